"""The timeline of the selected incident: every event, newest at the bottom.

A line-API widget (``ScrollView``): it knows the wrapped height of every entry (counted
without rendering, ``widgets.wrap``) and renders only the entries on screen, each once per
width. Selecting an incident therefore costs the few lines in view, not the whole history.
"""

from __future__ import annotations

from bisect import bisect_right

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from data.text import clean
from data.views import TimelineEntry
from widgets.wrap import line_count

TYPE_MARKERS = {
    "incident.opened": ("OPEN", "bold"),
    "incident.updated": ("EDIT", ""),
    "incident.severity_set": ("SEV ", "bold #e8833a"),
    "incident.status_set": ("STAT", "bold"),
    "incident.role_set": ("ROLE", "#7fa7c9"),
    "incident.participant_added": ("WHO+", "#7fa7c9"),
    "incident.participant_removed": ("WHO-", "#7fa7c9"),
    "incident.note": ("NOTE", ""),
    "incident.action": ("ACT ", "bold #5fb36b"),
    "checklist.added": ("TODO", "dim"),
    "checklist.set": ("TICK", "#5fb36b"),
    "postmortem.section_set": ("PM  ", "#b48ead"),
    "postmortem.status_set": ("PM  ", "bold #b48ead"),
    "postmortem.action_added": ("PM +", "#b48ead"),
    "postmortem.action_set": ("PM  ", "#b48ead"),
    "postmortem.pin_set": ("PIN ", "#b48ead"),
    "postmortem.meeting": ("MEET", "#b48ead"),
    "roster.person": ("ROST", "dim"),
    "roster.rotation": ("ROST", "dim"),
    "roster.override": ("ROST", "dim"),
    "handoff.submitted": ("HAND", "dim"),
    "handoff.acknowledged": ("HAND", "dim"),
    "audit.reveal": ("AUDT", "bold"),
    "audit.unmasked_export": ("AUDT", "bold"),
}
#: the marker of a type this version does not know (a newer console wrote it): its text
#: names the type
UNKNOWN_MARKER = ("OTHR", "dim")


#: the timeline's type filters, in the order the key cycles through them
FILTERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("all events", None),
    ("notes", frozenset({"incident.note"})),
    ("decisions", frozenset({"incident.opened", "incident.severity_set", "incident.status_set",
                             "incident.role_set", "incident.updated", "incident.participant_added",
                             "incident.participant_removed"})),
    ("actions", frozenset({"incident.action"})),
    ("checklist", frozenset({"checklist.added", "checklist.set"})),
)  # fmt: skip

MIN_WIDTH = 20  # narrower panes scroll sideways rather than wrap to nothing


class Timeline(ScrollView, can_focus=True):
    """Follows live additions unless the user has scrolled up."""

    DEFAULT_CSS = """
    Timeline { height: 1fr; scrollbar-gutter: stable; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.incident: str | None = None
        self.entries: tuple[TimelineEntry, ...] = ()
        self.last_seq = 0
        self.earlier = 0  # events before the first entry, not loaded
        self.filter_index = 0
        self.local_tz: str | None = None  # None: UTC
        self._texts: list[Text] = []  # one per entry shown (after the type filter)
        self._starts: list[int] = []  # the first virtual line of each
        self._total = 0  # virtual lines
        self._width = 0  # the wrapping width the counts are for
        self._rendered: dict[int, list[Strip]] = {}  # entry index -> its lines at _width
        self._style = Style()
        self._content_width = 0
        #: the entries (event ids) whose identifiers were revealed, for ``_revealed_for``
        #: only: another incident, or forget_reveals(), forgets them (docs/privacy.md)
        self.revealed: set[str] = set()
        self._revealed_for: str | None = None

    # --- content ---------------------------------------------------------------------

    @property
    def filter_name(self) -> str:
        return FILTERS[self.filter_index][0]

    def show(self, incident: str, entries: tuple[TimelineEntry, ...], earlier: int = 0) -> None:
        """Show ``entries`` (in journal order); for the same incident, only entries newer
        than those shown are added, so a live addition costs one entry."""
        added = []
        if incident != self._revealed_for:
            self.revealed = set()
            self._revealed_for = incident
        if incident != self.incident or earlier != self.earlier:
            self._reset()
            self.incident = incident
            self.earlier = earlier
            if earlier:
                added.append(
                    Text(f"… {earlier} earlier events not shown: Enter opens the whole timeline", style="dim")
                )
        self.entries = entries
        types = FILTERS[self.filter_index][1]
        for e in entries:
            if e.seq <= self.last_seq:
                continue
            if types is None or e.type in types:
                added.append(self.line(e, self.local_tz, reveal=e.id in self.revealed if e.id else False))
            self.last_seq = e.seq
        self._extend(added)

    def empty(self, message: str) -> None:
        self._reset()
        self.revealed = set()
        self._revealed_for = None
        self._extend([Text(message, style="dim")])

    def redraw(self) -> None:
        if self.incident is None:
            return
        incident, entries, earlier = self.incident, self.entries, self.earlier
        self.incident = None
        self.show(incident, entries, earlier)

    def reveal(self, entry_id: str) -> None:
        """Show the entry ``entry_id`` unmasked (after its audit.reveal was written)."""
        self.revealed.add(entry_id)
        self.redraw()

    def forget_reveals(self) -> None:
        """Mask every entry again (the view that asked for the reveals was left)."""
        if self.revealed:
            self.revealed = set()
            self.redraw()

    def cycle_filter(self) -> str:
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self.redraw()
        return self.filter_name

    def toggle_local(self, tz: str) -> bool:
        self.local_tz = None if self.local_tz else tz
        self.redraw()
        return self.local_tz is not None

    def _reset(self) -> None:
        self.incident = None
        self.entries = ()
        self.last_seq = 0
        self.earlier = 0
        self._texts = []
        self._starts = []
        self._total = 0
        self._rendered = {}
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def _extend(self, texts: list[Text]) -> None:
        follow = self.scroll_offset.y >= self.max_scroll_y
        width = self._width
        for text in texts:
            self._texts.append(text)
            self._starts.append(self._total)
            self._total += line_count(text.plain, width) if width else 1
        self._update_size()
        if texts:
            self.refresh()
            if follow:
                self.scroll_end(animate=False, immediate=False, x_axis=False)

    def _update_size(self) -> None:
        self.virtual_size = Size(self._width, self._total)

    def _recount(self, width: int) -> None:
        """The wrapped height of every entry at a new width."""
        self._width = width
        self._rendered = {}
        self._starts = []
        self._total = 0
        for text in self._texts:
            self._starts.append(self._total)
            self._total += line_count(text.plain, width)
        self._update_size()

    def on_resize(self, event: events.Resize) -> None:
        width = max(MIN_WIDTH, self.scrollable_content_region.width)
        if width != self._width:
            follow = self.scroll_offset.y >= self.max_scroll_y
            self._recount(width)
            self.refresh()
            if follow:
                self.scroll_end(animate=False, immediate=False, x_axis=False)

    # --- rendering -------------------------------------------------------------------

    def _lines_of(self, index: int) -> list[Strip]:
        lines = self._rendered.get(index)
        if lines is None:
            console = self.app.console
            wrapped = self._texts[index].wrap(console, self._width)
            lines = [Strip(list(line.render(console)), line.cell_len) for line in wrapped]
            height = (
                self._starts[index + 1] if index + 1 < len(self._starts) else self._total
            ) - self._starts[index]
            if len(lines) < height:  # the count is the contract: never shift the lines below
                lines += [Strip([Segment("")], 0)] * (height - len(lines))
            self._rendered[index] = lines = lines[:height]
        return lines

    def render_lines(self, crop: Region) -> list[Strip]:
        self._style = self.rich_style  # once per pass: it walks the ancestors' styles
        self._content_width = self.scrollable_content_region.width
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width, style = self._content_width, self._style
        line = scroll_y + y
        if not self._width or line >= self._total or not self._starts:
            return Strip.blank(width, style)
        index = bisect_right(self._starts, line) - 1
        strip = self._lines_of(index)[line - self._starts[index]]
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)

    def rendered_lines(self) -> list[Strip]:
        """Every line, wrapped at the current width (for tests and exports of the view)."""
        return (
            [strip for index in range(len(self._texts)) for strip in self._lines_of(index)]
            if self._width
            else []
        )

    @staticmethod
    def line(e: TimelineEntry, local_tz: str | None = None, reveal: bool = False) -> Text:
        """One entry; its user identifiers masked unless ``reveal`` (marked REVEALED)."""
        marker, style = TYPE_MARKERS.get(e.type, UNKNOWN_MARKER)
        if e.ts is None:
            when = clean(e.ts_text, 25)
        elif local_tz:
            from data.roster import zone

            when = e.ts.astimezone(zone(local_tz)).strftime("%H:%M:%S")
        else:
            when = e.ts.strftime("%H:%M:%SZ")
        pin = ("PINNED ", "bold reverse") if e.pinned else ""
        shown = ("REVEALED ", "bold #e8833a") if reveal else ""
        return Text.assemble(
            (when, "dim"),
            " ",
            (marker, style),
            " ",
            (clean(e.actor, 24), "bold"),
            " ",
            pin,
            shown,
            clean(e.text, 2000, reveal=reveal),
        )
