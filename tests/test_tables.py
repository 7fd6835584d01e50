"""The panes' tables (widgets/tables.py) draw exactly what Textual's DataTable draws, but
keep what they drew across changes to other rows (docs/performance.md, "Round two: the
console"): a changed cell redraws its row, a removed row lays nothing out again."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import DataTable

from widgets.tables import FixedTable

COLUMNS = (("id", "ID", 8), ("title", "Title", 20), ("age", "Age", 5))
SIZE = (60, 16)


class _Table(App[None]):
    def __init__(self, cls: type[DataTable[Any]]) -> None:
        super().__init__()
        self.cls = cls

    def compose(self) -> ComposeResult:
        yield self.cls(cursor_type="row", zebra_stripes=True, id="table")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        for n in range(30):
            table.add_row(*_cells(n), key=f"R{n}")


def _cells(n: int, title: str = "") -> tuple[Text, ...]:
    return Text(f"R{n}"), Text(title or f"Title of row {n}", overflow="ellipsis"), Text(f"{n}h", style="dim")


def _drawn(table: DataTable[Any]) -> list[list[tuple[str, Any]]]:
    """Every line of the table as drawn now: text and style (with the mouse's metadata)."""
    lines = table.render_lines(Region(0, 0, table.size.width, table.size.height))
    return [[(s.text, s.style) for s in line] for line in lines]


async def _steps(cls: type[DataTable[Any]]) -> list[list[list[tuple[str, Any]]]]:
    """What the table draws after each of a run of changes."""
    app = _Table(cls)
    pictures = []
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        await pilot.pause()
        pictures.append(_drawn(table))
        steps = (
            lambda: table.update_cell("R3", "title", Text("A changed title that is long", style="bold")),
            lambda: table.move_cursor(row=4),
            lambda: table.remove_row("R1"),  # the rows below move up: their stripes change
            lambda: table.remove_row("R2"),  # and back: they move, drawn as before but for their place
            lambda: table.add_row(*_cells(99, "New"), key="R99"),
            lambda: table.sort("id", key=lambda cell: -int(cell.plain[1:])),
            lambda: table.move_cursor(row=0),
            lambda: table.update_cell("R99", "age", Text("1m")),
            lambda: table.remove_row("R99"),  # the cursor's row
            lambda: setattr(table.columns[next(k for k in table.columns if k.value == "title")], "width", 12),
            lambda: table.refresh(),
            lambda: table.scroll_to(y=5, animate=False),
            lambda: table.clear(),
            lambda: table.add_row(*_cells(5, "Again"), key="R5"),  # a key seen before, other cells
        )
        for step in steps:
            step()
            table._update_count += 1  # (a column width set in place: as widgets/queue.py does)
            await pilot.pause()
            pictures.append(_drawn(table))
    return pictures


async def test_a_fixed_table_draws_what_a_datatable_draws_after_every_change() -> None:
    ours, theirs = await _steps(FixedTable), await _steps(DataTable)
    assert len(ours) == len(theirs)
    for n, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == b, f"after step {n}"


async def test_a_changed_cell_redraws_its_row_and_no_other() -> None:
    app = _Table(FixedTable)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FixedTable)
        await pilot.pause()
        drawn: list[str] = []
        original = table._render_line_in_row

        def counted(row_key: Any, *args: Any, **kw: Any) -> Any:
            drawn.append(str(row_key.value))
            return original(row_key, *args, **kw)

        table._render_line_in_row = counted  # type: ignore[method-assign]
        table.update_cell("R3", "title", Text("Changed"))
        await pilot.pause()
        assert drawn == ["R3"]
        assert "Changed" in "".join(t for t, _ in _drawn(table)[1 + 3])
        drawn.clear()
        table.move_cursor(row=5)  # the cursor leaves row 0 for row 5: those two
        await pilot.pause()
        assert sorted(drawn) == ["R0", "R5"]


async def test_a_removed_row_is_gone_and_the_screen_is_not_laid_out_again() -> None:
    app = _Table(FixedTable)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FixedTable)
        table.move_cursor(row=6)
        await pilot.pause()
        layouts: list[bool] = []
        original = table.refresh

        def refresh(*regions: Any, layout: bool = False, **kw: Any) -> Any:
            layouts.append(layout)
            return original(*regions, layout=layout, **kw)

        table.refresh = refresh  # type: ignore[method-assign]
        table.remove_row("R2")
        await pilot.pause()
        assert not any(layouts)
        assert "R2" not in table.rows and table.row_count == 29
        assert [str(r.key.value) for r in table.ordered_rows] == [f"R{n}" for n in range(30) if n != 2]
        assert table.get_row_index("R3") == 2 and table.get_row_index("R29") == 28
        assert table.virtual_size.height == 1 + 29


class _Checklist(App[None]):
    def compose(self) -> ComposeResult:
        from widgets.checklist import ChecklistPane

        yield ChecklistPane(id="checklist")


def _items(done: str = "", late: int = 1) -> tuple[Any, ...]:
    from datetime import timedelta

    from data.incidents.views import ChecklistRow
    from tests.test_console_speed import NOW

    teams = ("legal", "legal", "ops", "ops", "ops", "trust")
    return tuple(
        ChecklistRow(
            f"item-{n}",
            f"Item {n}",
            team,
            "done" if f"item-{n}" == done else "open",
            NOW + timedelta(hours=n * late),
            None,
            "ana" if f"item-{n}" == done else None,
            NOW if f"item-{n}" == done else None,
            None,
        )
        for n, team in enumerate(teams)
    )


async def test_a_checklist_of_the_same_items_sets_the_cells_that_differ_and_draws_what_a_fresh_one_draws() -> (
    None
):
    from tests.test_console_speed import NOW
    from widgets.checklist import ChecklistPane

    first, second = _items(), _items(done="item-4")  # the last of its team: the order stays
    app = _Checklist()
    async with app.run_test(size=(70, 20)) as pilot:
        pane = app.query_one(ChecklistPane)
        pane.show("INC-1", first, NOW)
        await pilot.pause()
        pane.move_cursor(row=5)
        await pilot.pause()
        drawn: list[str] = []
        original = pane._render_line_in_row

        def counted(row_key: Any, *args: Any, **kw: Any) -> Any:
            drawn.append(str(row_key.value))
            return original(row_key, *args, **kw)

        pane._render_line_in_row = counted  # type: ignore[method-assign]
        pane.show("INC-2", second, NOW)
        await pilot.pause()
        # the item done, and no other: the rows the cursor left and went back to (the first)
        # are drawn as they were before the cursor came (kept)
        assert drawn == ["item-4"]
        assert pane.selected_item() == "item-3" and pane.cursor_coordinate.row == 5  # kept on its item
        ours = _drawn(pane)
    fresh_app = _Checklist()
    async with fresh_app.run_test(size=(70, 20)) as pilot:
        fresh = fresh_app.query_one(ChecklistPane)
        fresh.show("INC-2", second, NOW)
        fresh.move_cursor(row=5)
        await pilot.pause()
        assert _drawn(fresh) == ours
