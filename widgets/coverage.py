"""The roster screen's panes: the follow-the-sun coverage strip (24 hours UTC, one row per
region and one for all regions together) and the week of shifts per rotation.

Both draw the view models of ``data.roster.board`` (``coverage_day``, ``week_rows``), which
compute the rotations. Gaps and overlaps read without colour: each state has its own
character, a legend says which, and the gaps are also listed in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from data.privacy.text import clean
from data.roster.board import (
    COARSE,
    FINE,
    CoverageDay,
    Slot,
    WeekRow,
    city,
    hhmm,
    length,
)

LABEL = 14  # the width of the row labels
NOW_COLUMN = 16  # room for who is on call now, after each row

ON = "█"
OVERLAP = "▓"
PART = "▌"
OFF = "·"
GAP = "!"

ON_STYLE = "#3a9a5b"
OVERLAP_STYLE = "bold #4f9bd9"
PART_STYLE = "#3a9a5b"
OFF_STYLE = "dim"
GAP_STYLE = "bold white on #b01c2e"
NOW_STYLE = "bold #e3c44a"


#: each slot's character and style
SLOT_LOOK = {
    Slot.ON: (ON, ON_STYLE),
    Slot.OVERLAP: (OVERLAP, OVERLAP_STYLE),
    Slot.PART: (PART, PART_STYLE),
    Slot.OFF: (OFF, OFF_STYLE),
    Slot.GAP: (GAP, GAP_STYLE),
}


def fits(width: int) -> int:
    """Minutes per character for a strip ``width`` columns wide."""
    return FINE if width >= LABEL + 24 * 60 // FINE + NOW_COLUMN else COARSE


def _slots_text(grid: Text, slots: Sequence[Slot]) -> None:
    for slot in slots:
        char, style = SLOT_LOOK[slot]
        grid.append(char, style=style)


def draw_strip(c: CoverageDay) -> tuple[Text, Text]:
    """The coverage strip of one UTC day (:func:`data.roster.board.coverage_day`), one
    character per ``minutes``: an hour ruler, a now marker, one row per region (with who is
    on call now), a row for all regions together (where a gap is a real gap), and a legend;
    then, in words, the gaps and the handover overlaps."""
    day, minutes = c.day, c.minutes
    slots = 24 * 60 // minutes
    every = 1 if minutes == FINE else 2  # hours from one label to the next: 4 columns
    grid = Text(no_wrap=True, overflow="crop")
    grid.append(f"{'UTC':<{LABEL}}", style="bold")
    grid.append("".join(f"{h:02d}  " for h in range(0, 24, every)), style="bold")
    grid.append("  on call now\n" if c.now is not None else "\n", style="dim")
    if c.now is not None and c.now_slot is not None:
        k, now = c.now_slot, c.now
        note = f"▼ now {now:%H:%M} UTC"
        if k + len(note) <= slots:
            grid.append(" " * (LABEL + k))
            grid.append(note + "\n", style=NOW_STYLE)
        else:
            grid.append(" " * (LABEL + k - len(note) + 1))
            grid.append(f"now {now:%H:%M} UTC ▼\n", style=NOW_STYLE)
    else:
        grid.append(f"{'':<{LABEL}}{day:%a %d %b %Y}: not today\n", style="dim")
    for row in c.regions:
        label = f"{clean(row.region, 6):<3} {clean(row.city, LABEL)}" + ("+" if row.zones > 1 else "")
        grid.append(f"{label:<{LABEL}}"[:LABEL])
        _slots_text(grid, row.slots)
        if row.now is not None:
            who = ", ".join(clean(person, 16) for person in row.now)
            grid.append(f"  {who}" if who else "  nobody", style="bold" if who else "dim")
        grid.append("\n")
    grid.append(f"{'ALL regions':<{LABEL}}", style="bold")
    _slots_text(grid, c.whole)
    if c.gap_now:
        grid.append("  GAP NOW", style=GAP_STYLE)
    grid.append("\n")
    legend: list[tuple[str, str] | str] = [
        (f"{f'{minutes} min/char':<{LABEL}}", "dim"),
        (ON, ON_STYLE), " on call  ",
        (OVERLAP, OVERLAP_STYLE), " 2+ on call (overlap)  ",
        (PART, PART_STYLE), f" part of the {minutes} min  ",
        (OFF, OFF_STYLE), " nobody  ",
        (GAP, GAP_STYLE), " GAP: nobody in any region",
    ]  # fmt: skip
    grid.append_text(Text.assemble(*legend))
    notes = Text()
    if not c.gaps:
        notes.append("No gap this day: someone is on call in some region around the clock.", style="bold")
    for n, g in enumerate(c.gaps):
        local = " · ".join(f"{clean(city(tz), 16)} {a:%H:%M}-{b:%H:%M}" for tz, a, b in g.local)
        notes.append("\n" if n else "")
        notes.append(" GAP ", style=GAP_STYLE)
        notes.append(
            f" {hhmm(g.start, day)}-{hhmm(g.end, day)} UTC ({length(g.end - g.start)}, {g.when}):",
            style="bold",
        )
        notes.append(f" nobody on call in any region. Local: {local}")
    overlaps = [
        f"{hhmm(start, day)}-{hhmm(end, day)} " + "+".join(dict.fromkeys(clean(r, 8) for r in names))
        for start, end, names in c.overlaps
    ]
    if overlaps:
        notes.append("\nHandover overlaps (UTC): " + " · ".join(overlaps), style="dim")
    return grid, notes


class CoverageStrip(Vertical):
    """The follow-the-sun strip (cropped, never wrapped) and its notes (wrapped), drawn from
    a :class:`~data.roster.board.CoverageDay`; :meth:`show` repaints only what changed. When
    its width calls for another number of minutes per character it says so
    (:class:`Resized`): the screen computes the day again."""

    class Resized(Message):
        """The strip's width calls for another number of minutes per character."""

    DEFAULT_CSS = """
    CoverageStrip { height: auto; padding: 0 1; }
    CoverageStrip Static { height: auto; }
    CoverageStrip #strip-grid { text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[Text, Text] | None = None
        self._minutes: int | None = None  # of the day shown

    def compose(self) -> ComposeResult:
        yield Static("", id="strip-grid", markup=False)
        yield Static("", id="strip-notes", markup=False)

    def minutes(self) -> int:
        """Minutes per character for its width."""
        return fits(self.content_size.width or self.app.size.width)

    def show(self, day: CoverageDay) -> None:
        self._minutes = day.minutes
        shown = draw_strip(day)
        if shown != self._shown:
            self._shown = shown
            self.query_one("#strip-grid", Static).update(shown[0])
            self.query_one("#strip-notes", Static).update(shown[1])

    def on_resize(self) -> None:
        if self._minutes is not None and self._minutes != self.minutes():
            self.post_message(self.Resized())

    @property
    def text(self) -> str:
        """What it shows, as plain text (for tests)."""
        return "\n".join(t.plain for t in self._shown) if self._shown else ""


def week_row_cells(w: WeekRow) -> list[Text]:
    """One row of the week table: a stretch someone holds a rotation, in local time and UTC,
    an override marked with ``*`` and what it replaces."""
    rot, a, b = w.rotation, w.local_start, w.local_end
    name = Text(clean(rot.rotation, 12), style="bold") if w.first else Text("")
    region = Text(f"{clean(rot.region, 6)} {city(rot.tz)}", style="dim") if w.first else Text("")
    names = a.tzname() if a.tzname() == b.tzname() else f"{a.tzname()}/{b.tzname()}"
    local = f"{a:%H:%M}-{hhmm(b, a.date())} {names}"
    utc = f"{w.start:%a %H:%M}-{hhmm(w.end, w.start.date())}"
    person = Text(clean(w.person, 16), style="bold" if w.current else "")
    note = Text("")
    if w.override is not None:
        person.append(" *", style="bold #e8833a")
        instead = (
            f"in place of {clean(w.instead_of, 16)}"
            if w.instead_of is not None
            else "outside the rotation's shifts"
        )
        reason = f": {clean(w.override.reason, 48)}" if w.override.reason else ""
        note = Text(f"override, {instead}{reason}", style="#e8833a")
    if w.current:
        note = Text.assemble(("◀ NOW ", NOW_STYLE), note)
    return [name, region, Text(f"{a:%a %d %b}"), Text(local), Text(utc), person, note]


class RosterWeek(Vertical):
    """The week of shifts, one row per stretch someone holds a rotation."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rows: list[tuple[str, list[Text]]] | None = None

    DEFAULT_CSS = """
    RosterWeek { height: 1fr; }
    RosterWeek DataTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield DataTable(id="week-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, key in (("Rotation", "rotation"), ("Region", "region"), ("Local day", "day"),
                           ("Local time", "local"), ("UTC", "utc"), ("On call", "person"), ("Note", "note")):  # fmt: skip
            table.add_column(label, key=key)

    def show(self, week: Sequence[WeekRow]) -> None:
        rows = [(w.key, week_row_cells(w)) for w in week]
        if rows == self._rows:
            return
        self._rows = rows
        table = self.query_one(DataTable)
        with self.app.batch_update():
            table.clear()
            for key, cells in rows:
                table.add_row(*cells, key=key)
            current = next((n for n, (_, cells) in enumerate(rows) if "◀ NOW" in cells[-1].plain), None)
            if current is not None:
                table.move_cursor(row=current)
