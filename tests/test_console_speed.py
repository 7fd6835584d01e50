"""What keeps the console quick without changing what it shows (docs/performance.md,
"Round two: the console"): the queue follows a wider id without refilling its rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

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
