"""The on-call roster: for each rotation, who is on call now, their local time, and the
next handoff, drawn from the rows of ``data.roster.board.OnCallBoard``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from data.incidents.views import countdown
from data.privacy.text import clean
from data.roster.board import OnCallRow
from widgets.tables import cell_look

EMPTY = (
    "No rotations in the journal yet. Import a roster:\n"
    "  warroom roster import roster.toml   (people, rotations, overrides: docs/roster.md)\n"
    "  warroom roster import oncall.ics --rotation us-ic   (a PagerDuty or Opsgenie export)"
)


class RosterPane(Vertical):
    """Per rotation: who is on call now, their local time, the next handoff and who is
    next (``w`` opens the roster screen: coverage, gaps and the week)."""

    DEFAULT_CSS = """
    RosterPane { height: auto; }
    RosterPane DataTable { height: auto; max-height: 10; }
    RosterPane #roster-empty { display: none; color: $text-muted; padding: 0 1; }
    RosterPane.empty #roster-empty { display: block; }
    RosterPane.empty DataTable { display: none; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._looks: list[
            tuple[str, tuple[tuple[object, ...], ...]]
        ] = []  # the rows as shown: key, cells' looks

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", id="roster-table")
        yield table
        yield Static(EMPTY, id="roster-empty", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Rotation", key="rotation", width=8)
        table.add_column("On call", key="person", width=10)
        table.add_column("Local", key="local", width=9)
        table.add_column("Handoff", key="handoff", width=8)
        table.add_column("Next", key="next", width=9)

    def show(self, on_call: Sequence[OnCallRow], now: datetime, rebuild: bool = False) -> None:
        """One row per rotation (data/roster/board.py OnCallBoard); ``rebuild``: the
        rotations changed, fill the table again (else only the cells are updated)."""
        self.set_class(not on_call, "empty")
        table = self.query_one(DataTable)
        covered = any(r.person is not None for r in on_call)  # else nobody anywhere: a real gap
        rows = [self.cells(r, now, covered) for r in on_call]
        # what each cell shows (a snapshot rebuilds the rows; most often they show the
        # same: nothing is touched then, and the table is not drawn again)
        looks = [(key, tuple(cell_look(c) for c in cells)) for key, *cells in rows]
        if looks == self._looks:
            return
        with self.app.batch_update():
            keys = [str(k.value) for k in table.rows]
            if keys != [r[0] for r in rows] or len(self._looks) != len(rows):
                table.clear()
                for key, *cells in rows:
                    table.add_row(*cells, key=key)
            else:
                columns = ("rotation", "person", "local", "handoff", "next")
                for (key, *cells), (_, look), (_, was) in zip(rows, looks, self._looks, strict=True):
                    for column, cell, new, old in zip(columns, cells, look, was, strict=True):
                        if new != old:
                            table.update_cell(key, column, cell)
        self._looks = looks

    @staticmethod
    def cells(r: OnCallRow, now: datetime, covered: bool = False) -> tuple[str, Text, Text, Text, Text, Text]:
        """(key, cells) of one rotation's row (names from the journal: cleaned, never markup).
        ``covered``: another rotation has someone on call, so one with nobody is off shift,
        not a gap in the cover."""
        if r.person is None and covered:
            person, local = Text("off shift", style="dim"), Text("")
        elif r.person is None:
            person, local = Text("— GAP —", style="bold #e8833a"), Text("")
        else:
            person = Text(clean(r.person, 8) + (" *" if r.override else ""), style="bold")
            local = Text(r.local)
        handoff = Text(countdown(r.next_at, now)[0] if r.next_at else "—")
        nxt = Text(clean(r.next_person or "—", 9), style="dim")
        return (r.rotation, Text(clean(r.rotation, 8)), person, local, handoff, nxt)
