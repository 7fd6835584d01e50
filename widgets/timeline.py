"""The timeline of the selected incident: every event, newest at the bottom."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import RichLog

from data.text import clean
from data.views import TimelineEntry

TYPE_MARKERS = {
    "incident.opened": ("OPEN", "bold"),
    "incident.updated": ("EDIT", ""),
    "incident.severity_set": ("SEV ", "bold #e8833a"),
    "incident.status_set": ("STAT", "bold"),
    "incident.role_set": ("ROLE", "#7fa7c9"),
    "incident.note": ("NOTE", ""),
    "incident.action": ("ACT ", "bold #5fb36b"),
    "checklist.added": ("TODO", "dim"),
    "checklist.set": ("TICK", "#5fb36b"),
}


#: the timeline's type filters, in the order the key cycles through them
FILTERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("all events", None),
    ("notes", frozenset({"incident.note"})),
    ("decisions", frozenset({"incident.opened", "incident.severity_set", "incident.status_set",
                             "incident.role_set", "incident.updated"})),
    ("actions", frozenset({"incident.action"})),
    ("checklist", frozenset({"checklist.added", "checklist.set"})),
)  # fmt: skip


class Timeline(RichLog):
    """Follows live additions unless the user has scrolled up (RichLog's auto-scroll)."""

    DEFAULT_CSS = """
    Timeline { height: 1fr; scrollbar-gutter: stable; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, auto_scroll=True, min_width=20, **kwargs)  # type: ignore[arg-type]
        self.incident: str | None = None
        self.entries: tuple[TimelineEntry, ...] = ()
        self.last_seq = 0
        self.filter_index = 0
        self.local_tz: str | None = None  # None: UTC

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != getattr(self, "_wrapped_at", None):  # rewrap only when the width changed
            self._wrapped_at = event.size.width
            self.redraw()

    @property
    def filter_name(self) -> str:
        return FILTERS[self.filter_index][0]

    def show(self, incident: str, entries: tuple[TimelineEntry, ...]) -> None:
        if incident != self.incident:
            self.clear()
            self.incident = incident
            self.last_seq = 0
        self.entries = entries
        types = FILTERS[self.filter_index][1]
        for e in entries:
            if e.seq <= self.last_seq:
                continue
            if types is None or e.type in types:
                self.write(self.line(e, self.local_tz))
            self.last_seq = e.seq

    def redraw(self) -> None:
        if self.incident is None:
            return
        incident, entries = self.incident, self.entries
        self.incident = None
        self.show(incident, entries)

    def cycle_filter(self) -> str:
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self.redraw()
        return self.filter_name

    def toggle_local(self, tz: str) -> bool:
        self.local_tz = None if self.local_tz else tz
        self.redraw()
        return self.local_tz is not None

    def empty(self, message: str) -> None:
        self.clear()
        self.incident = None
        self.entries = ()
        self.last_seq = 0
        self.write(Text(message, style="dim"))

    @staticmethod
    def line(e: TimelineEntry, local_tz: str | None = None) -> Text:
        marker, style = TYPE_MARKERS.get(e.type, ("????", "dim"))
        if e.ts is None:
            when = clean(e.ts_text, 25)
        elif local_tz:
            from data.roster import zone

            when = e.ts.astimezone(zone(local_tz)).strftime("%H:%M:%S")
        else:
            when = e.ts.strftime("%H:%M:%SZ")
        pin = ("PINNED ", "bold reverse") if e.pinned else ""
        return Text.assemble(
            (when, "dim"), " ", (marker, style), " ", (clean(e.actor, 24), "bold"), " ", pin, clean(e.text, 2000)
        )
