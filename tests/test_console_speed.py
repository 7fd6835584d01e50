"""What keeps the console quick without changing what it shows (docs/performance.md,
"Round two: the console"): the queue follows a wider id without refilling its rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from textual.app import App, ComposeResult

from data.incidents.views import IncidentRow
from widgets.queue import IncidentQueue

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
