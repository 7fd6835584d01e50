"""The timeline of the selected incident: every event, newest at the bottom."""

from __future__ import annotations

from rich.text import Text
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


class Timeline(RichLog):
    """Follows live additions unless the user has scrolled up (RichLog's auto-scroll)."""

    DEFAULT_CSS = """
    Timeline { height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, auto_scroll=True, **kwargs)  # type: ignore[arg-type]
        self.incident: str | None = None
        self.last_seq = 0

    def show(self, incident: str, entries: tuple[TimelineEntry, ...]) -> None:
        if incident != self.incident:
            self.clear()
            self.incident = incident
            self.last_seq = 0
        for e in entries:
            if e.seq <= self.last_seq:
                continue
            self.write(self.line(e))
            self.last_seq = e.seq

    def empty(self, message: str) -> None:
        self.clear()
        self.incident = None
        self.last_seq = 0
        self.write(Text(message, style="dim"))

    @staticmethod
    def line(e: TimelineEntry) -> Text:
        marker, style = TYPE_MARKERS.get(e.type, ("????", "dim"))
        when = e.ts.strftime("%H:%M:%SZ") if e.ts else clean(e.ts_text, 25)
        pin = Text("📌 " if e.pinned else "", style="bold")
        return Text.assemble(
            (when, "dim"), " ", (marker, style), " ", (clean(e.actor, 24), "bold"), " ", pin, clean(e.text, 2000)
        )
