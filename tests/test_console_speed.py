"""What keeps the console quick without changing what it shows (docs/performance.md,
"Round two: the console"): the queue follows a wider id without refilling its rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult

from data.incidents.views import IncidentRow
from widgets.queue import IncidentQueue
from widgets.timeline import Timeline

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


class _Queue(App[None]):
    def compose(self) -> ComposeResult:
        yield IncidentQueue(id="queue")


def _incident(incident: str, severity: int = 2) -> IncidentRow:
    return IncidentRow(
        incident, severity, f"Title of {incident}", "edr", "new", None, NOW - timedelta(hours=1), False,
        ("US",), 1,
    )  # fmt: skip


def _picture(queue: IncidentQueue) -> tuple[Any, ...]:
    widths = tuple((str(k.value), c.width) for k, c in queue.columns.items())
    rows = tuple((str(r.key.value), tuple(c.plain for c in queue.get_row(r.key))) for r in queue.ordered_rows)
    return widths, rows


async def test_a_longer_id_widens_its_column_in_place_and_shows_what_a_fresh_queue_shows() -> None:
    rows = tuple(_incident(f"INC-{n}") for n in range(1, 30))
    longer = _incident("INC-PROBE-0000001", 1)
    app = _Queue()
    async with app.run_test(size=(150, 40)) as pilot:
        queue = app.query_one(IncidentQueue)
        queue.show(rows, NOW)
        await pilot.pause()
        narrow = queue.columns[next(k for k in queue.columns if k.value == "id")].width
        added: list[str] = []
        original = queue.add_row

        def add_row(*cells: Any, **kw: Any) -> Any:
            added.append(kw["key"])
            return original(*cells, **kw)

        queue.add_row = add_row  # type: ignore[method-assign]
        queue.show((longer, *rows), NOW)
        await pilot.pause()
        assert added == [longer.id]  # the 29 rows stay; only the new one is added
        wide = _picture(queue)
        assert dict(wide[0])["id"] > narrow
        queue.show(rows, NOW)  # and back
        await pilot.pause()
        assert added == [longer.id]
        back = _picture(queue)
    for shown, each in ((wide, (longer, *rows)), (back, rows)):
        fresh_app = _Queue()
        async with fresh_app.run_test(size=(150, 40)) as pilot:
            fresh = fresh_app.query_one(IncidentQueue)
            fresh.show(each, NOW)
            await pilot.pause()
            assert _picture(fresh) == shown


class _Panes(App[None]):
    def compose(self) -> ComposeResult:
        yield IncidentQueue(id="queue")
        yield Timeline(id="timeline")

    CSS = "IncidentQueue { height: 12; } Timeline { height: 8; }"


def _count_layouts(app: App[None]) -> list[int]:
    """How many times the screen is laid out from now on (the length of the list)."""
    screen = app.screen
    layouts: list[int] = []
    original = screen._refresh_layout

    def counted(*args: Any, **kw: Any) -> None:
        layouts.append(1)
        original(*args, **kw)

    screen._refresh_layout = counted  # type: ignore[method-assign]
    return layouts


async def test_rows_and_lines_added_with_room_to_spare_lay_nothing_out_again() -> None:
    """A new row in the queue, new lines in the timeline: the screen is not laid out
    again (it repaints the pane) unless a scrollbar comes or goes."""
    app = _Panes()
    async with app.run_test(size=(150, 40)) as pilot:
        queue, timeline = app.query_one(IncidentQueue), app.query_one(Timeline)
        queue.show(tuple(_incident(f"INC-{n}") for n in range(1, 4)), NOW)
        timeline.empty("one line")
        await pilot.pause()
        layouts = _count_layouts(app)
        queue.show(tuple(_incident(f"INC-{n}") for n in range(1, 6)), NOW)
        timeline.empty("one line\ntwo lines\nthree")
        await pilot.pause()
        assert layouts == []
        assert queue.virtual_size.height == 1 + 5 and timeline.virtual_size.height == 3
        assert not queue.show_vertical_scrollbar and not timeline.show_vertical_scrollbar
        # more than fits: the scrollbars come (a layout)
        queue.show(tuple(_incident(f"INC-{n}") for n in range(1, 40)), NOW)
        timeline.empty("\n".join(f"line {n}" for n in range(30)))
        await pilot.pause()
        assert queue.show_vertical_scrollbar and timeline.show_vertical_scrollbar
        assert layouts
        assert queue.virtual_size.height == 1 + 39 and timeline.virtual_size.height == 30
        # and go
        queue.show(tuple(_incident(f"INC-{n}") for n in range(1, 3)), NOW)
        timeline.empty("short")
        await pilot.pause()
        assert not queue.show_vertical_scrollbar and not timeline.show_vertical_scrollbar


async def test_a_snapshot_makes_again_only_the_rows_that_changed() -> None:
    """500 rows and one changed: one row's cells are made again, and the queue shows what
    a fresh queue shows."""
    from dataclasses import replace

    rows = tuple(_incident(f"INC-{n}") for n in range(1, 31))
    changed = (*rows[:10], replace(rows[10], title="A new title", severity=1), *rows[11:])
    app = _Queue()
    async with app.run_test(size=(150, 40)) as pilot:
        queue = app.query_one(IncidentQueue)
        queue.show(rows, NOW)
        await pilot.pause()
        made: list[str] = []
        original = queue._row_cells

        def row_cells(r: IncidentRow, *args: Any, **kw: Any) -> Any:
            made.append(r.id)
            return original(r, *args, **kw)

        queue._row_cells = row_cells  # type: ignore[method-assign]
        queue.show(changed, NOW)
        await pilot.pause()
        assert made == [rows[10].id]
        queue.show(changed, NOW + timedelta(minutes=1))  # a new minute: every row looked at
        await pilot.pause()
        assert len(made) == 1 + len(rows)
        shown = _picture(queue)
    fresh_app = _Queue()
    async with fresh_app.run_test(size=(150, 40)) as pilot:
        fresh = fresh_app.query_one(IncidentQueue)
        fresh.show(changed, NOW + timedelta(minutes=1))
        await pilot.pause()
        assert _picture(fresh) == shown


async def test_the_incidents_beside_the_selected_one_are_read_ahead_and_dropped_by_a_new_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A move to the next row shows it without reading the store again (read while the
    cursor rested); a snapshot that arrives meanwhile drops what was read ahead, so the
    move shows the incident as it is now."""
    import screens.main as main_module
    from app.console import WarRoom
    from tests._console_helpers import opened, scoped, seed, settings_for, settle

    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-1", title="First", severity=1), opened("INC-2", title="Second", severity=2),
        opened("INC-3", title="Third", severity=3), scoped("incident.note", "INC-2", text="note one"),
    ])  # fmt: skip
    read: list[str] = []
    original = main_module.fetch_detail

    async def fetch_detail(store: Any, incident: str, **kw: Any) -> Any:
        read.append(incident)
        return await original(store, incident, **kw)

    monkeypatch.setattr(main_module, "fetch_detail", fetch_detail)
    app = WarRoom(settings)
    async with app.run_test(size=(150, 42)) as pilot:
        timeline = app.screen.query_one(Timeline)
        await settle(pilot, lambda app: timeline.incident == "INC-1")
        assert "INC-2" in read  # read ahead
        before = len(read)
        await pilot.press("down")
        await settle(pilot, lambda app: timeline.incident == "INC-2")
        assert read[before:].count("INC-2") == 0  # shown from what was read ahead
        assert any(e.text == "note one" for e in timeline.entries)
        # INC-3 was read ahead too; a note on it arrives: the new snapshot drops it
        assert "INC-3" in read
        synced_line = app.sync_state.line
        await seed(settings, [scoped("incident.note", "INC-3", text="note two")])
        await settle(pilot, lambda app: app.sync_state.line > synced_line)
        before = len(read)
        await pilot.press("down")
        await settle(pilot, lambda app: timeline.incident == "INC-3")
        assert "INC-3" in read[before:]  # read again, as it is now
        assert any(e.text == "note two" for e in timeline.entries)
