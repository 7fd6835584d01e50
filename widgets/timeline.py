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
from textual.actions import SkipAction
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from data.incidents.views import EntryRun, TimelineEntry, group_runs, same_batch
from data.privacy.text import clean
from widgets.wrap import line_count

TYPE_MARKERS = {
    "incident.opened": ("OPEN", "bold"),
    "incident.updated": ("EDIT", ""),
    "incident.severity_set": ("SEV ", "bold #e8833a"),
    "incident.status_set": ("STAT", "bold"),
    "incident.role_set": ("ROLE", "#7fa7c9"),
    "incident.participant_added": ("WHO+", "#7fa7c9"),
    "incident.participant_removed": ("WHO-", "#7fa7c9"),
    "incident.linked": ("LINK", "#88c0d0"),
    "incident.note": ("NOTE", ""),
    "incident.action": ("ACT ", "bold #5fb36b"),
    "checklist.added": ("TODO", "dim"),
    "checklist.set": ("TICK", "#5fb36b"),
    "checklist.retimed": ("DUE ", "bold #e8833a"),
    "postmortem.section_set": ("PM  ", "#b48ead"),
    "postmortem.status_set": ("PM  ", "bold #b48ead"),
    "postmortem.action_added": ("PM +", "#b48ead"),
    "postmortem.action_set": ("PM  ", "#b48ead"),
    "postmortem.pin_set": ("PIN ", "#b48ead"),
    "postmortem.meeting": ("MEET", "#b48ead"),
    "decision.recorded": ("DECN", "bold #ebcb8b"),
    "page.sent": ("PAGE", "bold #e8833a"),
    "page.delivered": ("PAGE", "dim"),
    "roster.person": ("ROST", "dim"),
    "roster.rotation": ("ROST", "dim"),
    "roster.override": ("ROST", "dim"),
    "handoff.submitted": ("HAND", "dim"),
    "handoff.acknowledged": ("HAND", "dim"),
    "audit.reveal": ("AUDT", "bold"),
    "audit.unmasked_export": ("AUDT", "bold"),
    "response.drafted": ("RESP", "#d0a85c"),
    "response.reviewed": ("RESP", "#d0a85c"),
    "response.sent": ("SENT", "bold #d0a85c"),
    "disclosure.recorded": ("DISC", "bold #d0a85c"),
    "signal.received": ("SGNL", "bold #88c0d0"),
    "signal.payload": ("SGNL", "dim"),
    "signal.triaged": ("SGNL", "#88c0d0"),
}


def _origin(e: TimelineEntry) -> tuple[str, str] | str:
    """The mark of an entry from an incident merged into this one (docs/links.md)."""
    return (f"from {clean(e.origin, 32)} ", "bold #b48ead") if e.origin else ""


#: the marker of a type this version does not know (a newer console wrote it): its text
#: names the type
UNKNOWN_MARKER = ("OTHR", "dim")


#: the timeline's type filters, in the order the key cycles through them
FILTERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("all events", None),
    ("notes", frozenset({"incident.note"})),
    ("decisions", frozenset({"incident.opened", "incident.severity_set", "incident.status_set",
                             "incident.role_set", "incident.updated", "incident.participant_added",
                             "incident.participant_removed", "decision.recorded"})),
    ("actions", frozenset({"incident.action"})),
    ("checklist", frozenset({"checklist.added", "checklist.set", "checklist.retimed"})),
)  # fmt: skip

MIN_WIDTH = 20  # narrower panes scroll sideways rather than wrap to nothing


class Timeline(ScrollView, can_focus=True):
    """Follows the newest entry, as a log tailer does, unless the user has scrolled up;
    scrolled back to the bottom, it follows again. Checklist items added together (a
    procedure's items) read as one entry that Enter or a click expands."""

    BINDINGS = [
        Binding(
            "enter",
            "toggle_runs",
            "Expand",
            tooltip="Show or hide the items of the procedure entries",
            show=False,
        ),
    ]

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
        #: at the bottom and staying there as entries arrive (False once scrolled up)
        self.following = True
        self.expanded: set[str] = set()  # the runs (EntryRun.key) shown item by item
        self._shown: list[TimelineEntry | EntryRun] = []  # what is shown (after the type filter)
        self._texts: list[Text] = []  # one per line of text (an entry, a run, a run's item)
        self._owner: list[str | None] = []  # the run each text belongs to (None: an entry)
        self._starts: list[int] = []  # the first virtual line of each
        self._total = 0  # virtual lines
        self._width = 0  # the wrapping width the counts are for
        self._rendered: dict[int, list[Strip]] = {}  # text index -> its lines at _width
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

    @property
    def runs(self) -> list[EntryRun]:
        """The runs of items added together that are shown."""
        return [item for item in self._shown if isinstance(item, EntryRun)]

    def show(self, incident: str, entries: tuple[TimelineEntry, ...], earlier: int = 0) -> None:
        """Show ``entries`` (in journal order); for the same incident, only entries newer
        than those shown are added, so a live addition costs one entry."""
        if incident != self._revealed_for:
            self.revealed = set()
            self._revealed_for = incident
        if incident != self.incident:
            self._reset()
            self.incident = incident
            self.earlier = earlier
            self.entries = entries
            self._rebuild()
            return
        if earlier != self.earlier:  # the window of the last events moved on: same place
            self.earlier = earlier
            self.entries = entries
            self._rebuild()
            return
        self.entries = entries
        types = FILTERS[self.filter_index][1]
        new = []
        for e in entries:
            if e.seq <= self.last_seq:
                continue
            if types is None or e.type in types:
                new.append(e)
            self.last_seq = e.seq
        if not new:
            return
        last = self._shown[-1] if self._shown else None
        if isinstance(last, EntryRun):
            last = last.entries[-1]
        if last is not None and same_batch(last, new[0]):  # the batch goes on: group it anew
            self._rebuild()
            return
        grouped = group_runs(new)
        self._shown += grouped
        self._extend(self._texts_of(grouped))

    def empty(self, message: str) -> None:
        self._reset()
        self.revealed = set()
        self._revealed_for = None
        self._extend([(Text(message, style="dim"), None)])

    def redraw(self) -> None:
        """Show the same entries again (a filter, the time zone or a reveal changed),
        keeping the place: at the bottom if following, else the same first line."""
        if self.incident is not None:
            self._rebuild()

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

    def toggle_run(self, key: str) -> None:
        """Show a run's items, or fold them back into one entry."""
        if key in self.expanded:
            self.expanded.discard(key)
        else:
            self.expanded.add(key)
        self.redraw()

    def action_toggle_runs(self) -> None:
        """Enter: show the items of every run (hide them if all are shown); without runs,
        Enter does what it does on the screen."""
        keys = [run.key for run in self.runs]
        if not keys:
            raise SkipAction()
        if all(key in self.expanded for key in keys):
            self.expanded.difference_update(keys)
        else:
            self.expanded.update(keys)
        self.redraw()

    def on_click(self, event: events.Click) -> None:
        """A click on a run shows or hides its items."""
        offset = event.get_content_offset(self)
        if offset is None or not self._starts:
            return
        line = int(self.scroll_offset.y) + offset.y
        if line >= self._total:
            return
        owner = self._owner[bisect_right(self._starts, line) - 1]
        if owner is not None:
            self.toggle_run(owner)

    def _reset(self) -> None:
        self.incident = None
        self.entries = ()
        self.last_seq = 0
        self.earlier = 0
        self.expanded = set()
        self._clear()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.following = True  # a new incident shows its newest entry
        self.refresh()

    def _clear(self) -> None:
        self._shown = []
        self._texts = []
        self._owner = []
        self._starts = []
        self._total = 0
        self._rendered = {}

    def _rebuild(self) -> None:
        """Every text anew from ``entries``, keeping the place (see :meth:`redraw`)."""
        follow, y = self.following, self.scroll_offset.y
        self._clear()
        texts: list[tuple[Text, str | None]] = []
        if self.earlier:
            texts.append((Text(f"… {self.earlier} earlier events not shown (the incident screen has them all)",
                               style="dim"), None))  # fmt: skip
        types = FILTERS[self.filter_index][1]
        self._shown = group_runs([e for e in self.entries if types is None or e.type in types])
        self.last_seq = max((e.seq for e in self.entries), default=0)
        texts += self._texts_of(self._shown)
        self._extend(texts, follow=follow)
        if not follow:
            self.scroll_to(y=min(y, self.max_scroll_y), animate=False, immediate=True, force=True)
        self.refresh()

    def _texts_of(self, items: list[TimelineEntry | EntryRun]) -> list[tuple[Text, str | None]]:
        out: list[tuple[Text, str | None]] = []
        for item in items:
            if isinstance(item, EntryRun):
                shown = item.key in self.expanded
                out.append((self.run_line(item, shown, self.local_tz), item.key))
                if shown:
                    out += [(self.run_item(e, e.id in self.revealed), item.key) for e in item.entries]
            else:
                reveal = item.id in self.revealed if item.id else False
                out.append((self.line(item, self.local_tz, reveal=reveal), None))
        return out

    def _extend(self, texts: list[tuple[Text, str | None]], follow: bool | None = None) -> None:
        follow = self.following if follow is None else follow
        width = self._width
        for text, owner in texts:
            self._texts.append(text)
            self._owner.append(owner)
            self._starts.append(self._total)
            self._total += line_count(text.plain, width) if width else 1
        self._update_size()
        if texts:
            self.refresh()
            if follow:
                self._follow()

    def _follow(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        self.following = True

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # scrolled up by the user: stay; back at the bottom: follow again
        self.following = new_value >= self.max_scroll_y

    def _update_size(self) -> None:
        # without the screen's layout that setting virtual_size asks for: more or fewer
        # lines change nothing outside the timeline unless its scrollbar comes or goes
        # (then _scroll_update asks for the layout itself)
        size = Size(self._width, self._total)
        if size != self.virtual_size:
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
            self.refresh()

    def _recount(self, width: int) -> None:
        """The wrapped height of every text at a new width."""
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
        follow = self.following
        if width != self._width:
            self._recount(width)
            self.refresh()
        if follow:  # taller or narrower: still at the newest entry
            self._follow()

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
    def when(e: TimelineEntry, local_tz: str | None = None) -> str:
        """``03:04:05Z`` (UTC), ``22:04:05`` (local), or the journal's text if unreadable."""
        if e.ts is None:
            return clean(e.ts_text, 25)
        if local_tz:
            from data.roster.rotation import zone

            return e.ts.astimezone(zone(local_tz)).strftime("%H:%M:%S")
        return e.ts.strftime("%H:%M:%SZ")

    @staticmethod
    def run_line(run: EntryRun, shown: bool, local_tz: str | None = None) -> Text:
        """A run of items added together, as one entry: ``▸ Procedure edr@1: 6 items added``."""
        marker, style = TYPE_MARKERS["checklist.added"]
        return Text.assemble(
            (Timeline.when(run.entries[0], local_tz), "dim"),
            " ",
            (marker, style),
            " ",
            (clean(run.entries[0].actor, 24), "bold"),
            " ",
            _origin(run.entries[0]),
            ("▾ " if shown else "▸ ", "bold"),
            clean(run.text, 300),
            (" (Enter or click: hide)" if shown else " (Enter or click: show)", "dim"),
        )

    @staticmethod
    def run_item(e: TimelineEntry, reveal: bool = False) -> Text:
        """One item of a shown run, under it (its time and author are the run's)."""
        shown = ("REVEALED ", "bold #e8833a") if reveal else ""
        return Text.assemble("    · ", shown, clean(e.text.removeprefix("Checklist + "), 2000, reveal=reveal))

    @staticmethod
    def line(e: TimelineEntry, local_tz: str | None = None, reveal: bool = False) -> Text:
        """One entry; its user identifiers masked unless ``reveal`` (marked REVEALED)."""
        marker, style = TYPE_MARKERS.get(e.type, UNKNOWN_MARKER)
        when = Timeline.when(e, local_tz)
        pin = ("PINNED ", "bold reverse") if e.pinned else ""
        shown = ("REVEALED ", "bold #e8833a") if reveal else ""
        return Text.assemble(
            (when, "dim"),
            " ",
            (marker, style),
            " ",
            (clean(e.actor, 24), "bold"),
            " ",
            _origin(e),
            pin,
            shown,
            clean(e.text, 2000, reveal=reveal),
        )
