"""The roster panes' view models (data/roster/board.py): computed without a widget, drawn by
widgets/roster.py and widgets/coverage.py as they are given."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from data.roster.board import (
    COARSE,
    FINE,
    OnCallBoard,
    Slot,
    coverage_day,
    day_start,
    people_zones,
    week_rows,
)
from data.roster.rotation import Override, Rotation
from tests._roster_helpers import GAPPY_ROTATIONS as ROTATIONS
from widgets.coverage import draw_strip, week_row_cells

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # Sunday: Sydney on call, London and New York off
ROTS = [Rotation.from_row(r) for r in ROTATIONS]


def test_coverage_day_has_the_gap_and_who_is_on_call_now() -> None:
    day = coverage_day(ROTS, [], NOW.date(), NOW)
    assert day.now == NOW and day.now_slot == 3 * 60 // FINE
    assert [(r.region, r.now) for r in day.regions] == [("AU", ("chen",)), ("UK", ()), ("US", ())]
    assert len(day.whole) == 24 * 60 // FINE
    [gap] = day.gaps
    assert (gap.start.hour, gap.end.hour, gap.when) == (7, 9, "in 4h00m")
    assert all(s is Slot.GAP for s in day.whole[7 * 4 : 9 * 4])
    assert not day.gap_now
    coarse = coverage_day(ROTS, [], NOW.date(), NOW, COARSE)
    assert len(coarse.whole) == 24 * 60 // COARSE
    # another day: no now
    later = coverage_day(ROTS, [], NOW.date() + timedelta(days=1), NOW)
    assert later.now is None and all(r.now is None for r in later.regions)


def test_the_strip_is_drawn_from_the_view_model_alone() -> None:
    grid, notes = draw_strip(coverage_day(ROTS, [], NOW.date(), NOW))
    assert "▼ now 03:00 UTC" in grid.plain
    assert "GAP  07:00-09:00 UTC (2h00m, in 4h00m)" in notes.plain


def test_the_on_call_board_recomputes_a_holder_only_at_its_handoff() -> None:
    board = OnCallBoard()
    zones = people_zones([("chen", "Chen", "Australia/Sydney"), ("chen", "Other", "UTC")])
    assert zones == {"chen": "Australia/Sydney"}  # the first one listed
    rows = {r.rotation: r for r in board.rows(ROTS, [], zones, NOW)}
    au = rows["au-ic"]
    assert au.person == "chen" and not au.override and au.local == "Sun 14:00"
    assert au.next_at is not None
    # an override that starts now is not seen until the rows are rebuilt (or the handoff)
    over = Override(1, "au-ic", "dana", NOW - timedelta(minutes=1), NOW + timedelta(hours=1), "cover")
    assert {r.rotation: r for r in board.rows(ROTS, [over], zones, NOW)}["au-ic"].person == "chen"
    rebuilt = {r.rotation: r for r in board.rows(ROTS, [over], zones, NOW, rebuild=True)}["au-ic"]
    assert rebuilt.person == "dana" and rebuilt.override
    gap = {r.rotation: r for r in board.rows(ROTS, [], zones, NOW)}["uk-ic"]
    assert gap.person is None and gap.local == ""


def test_week_rows_mark_overrides_and_what_they_replace() -> None:
    over = Override(1, "au-ic", "dana", datetime(2026, 11, 23, 22, 0, tzinfo=UTC),
                    datetime(2026, 11, 24, 2, 0, tzinfo=UTC), "[b]cover[/b]")  # fmt: skip
    rows = week_rows(ROTS, [over], day_start(date(2026, 11, 22)), NOW)
    assert rows[0].first and rows[0].rotation.rotation == "au-ic" and rows[0].current
    assert not rows[1].first
    [overridden] = [r for r in rows if r.override is not None]
    assert overridden.person == "dana" and overridden.instead_of is not None
    cells = [c.plain for c in week_row_cells(overridden)]
    assert cells[5] == "dana *"
    assert cells[6] == f"override, in place of {overridden.instead_of}: [b]cover[/b]"  # literal, no markup


async def test_the_on_call_pane_shows_the_rows_it_is_given() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from data.roster.board import OnCallRow
    from widgets.roster import RosterPane

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield RosterPane(id="roster")

    app = Host()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(RosterPane)
        pane.show([], NOW, rebuild=True)
        assert pane.has_class("empty")
        rows = [OnCallRow("au-ic", "[red]x", True, "Sun 14:00", NOW + timedelta(minutes=90), None),
                OnCallRow("uk-ic", None, False, "", None, "hugo")]  # fmt: skip
        pane.show(rows, NOW, rebuild=True)
        await pilot.pause()
        table = pane.query_one(DataTable)
        plain = [[c.plain for c in table.get_row_at(i)] for i in range(table.row_count)]
        # another rotation covers: uk-ic is off shift, not a gap
        assert plain == [["au-ic", "[red]x *", "Sun 14:00", "1h30m", "—"],
                         ["uk-ic", "off shift", "", "—", "hugo"]]  # fmt: skip
        assert not pane.has_class("empty")
        # nobody on call anywhere: a gap in the cover
        pane.show([OnCallRow("uk-ic", None, False, "", None, "hugo")], NOW, rebuild=True)
        await pilot.pause()
        assert [c.plain for c in table.get_row_at(0)][1] == "— GAP —"
