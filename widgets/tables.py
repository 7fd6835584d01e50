"""Helpers shared by the panes' tables."""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey


def fit_column(
    table: DataTable[Any], flex: str, columns: tuple[tuple[str, str, int], ...], minimum: int = 12
) -> None:
    """Give column ``flex`` the width the other (fixed) columns leave."""
    fixed = sum(w for k, _, w in columns if k != flex)
    padding = 2 * table.cell_padding * len(columns)
    width = max(minimum, table.size.width - fixed - padding - 2)
    column = table.columns.get(ColumnKey(flex))
    if column is not None and column.width != width:
        column.width = width
        column.auto_width = False
        table._require_update_dimensions = True
        table.refresh()


class FixedTable(DataTable[Any]):
    """A DataTable whose columns all have set widths and whose rows are one line high.

    DataTable measures every cell of every new row to size auto-width columns (for rich
    ``Text``, a console measurement each: ~0.5 s for 500 rows of 8 columns). With no
    auto-width column and no auto-height row there is nothing to learn from it, so only
    the virtual size is recomputed.
    """

    def cursor_key(self) -> str | None:
        """The key of the row under the cursor (None: no rows)."""
        if self.row_count == 0:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except Exception:
            return None

    def _update_dimensions(self, new_rows: Any) -> None:
        if any(column.auto_width for column in self.columns.values()):
            super()._update_dimensions(new_rows)
            return
        # the virtual size DataTable would set, without the screen's layout that setting
        # it asks for: a row more or less changes nothing outside the table unless a
        # scrollbar comes or goes (then _scroll_update asks for the layout itself)
        width = sum(column.get_render_width(self) for column in self.columns.values())
        size = Size(
            width + self._row_label_column_width,
            self._total_row_height + (self.header_height if self.show_header else 0),
        )
        if size != self.virtual_size:
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
            self.refresh()


class KeyedTable(FixedTable):
    """A fixed table of row cursor, shown from (key, cells) rows: when the keys are those
    on screen in the same order, only the cells that changed are updated; otherwise it is
    refilled. The cursor stays on its row's key. Subclasses give ``COLUMNS`` (key, label,
    width) and ``FLEX``, the column that takes the width the others leave."""

    COLUMNS: tuple[tuple[str, str, int], ...] = ()
    FLEX = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self._shown: dict[str, tuple[Any, ...]] = {}
        self._order: list[str] = []

    def on_mount(self) -> None:
        for key, label, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    def on_resize(self) -> None:
        fit_column(self, self.FLEX, self.COLUMNS)

    def show_rows(self, rows: list[tuple[str, tuple[Any, ...]]]) -> None:
        keys = [k for k, _ in rows]
        if keys == self._order:
            columns = list(self.columns)
            with self.app.batch_update():
                for key, cells in rows:
                    old = self._shown[key]
                    for n, cell in enumerate(cells):
                        if old[n] != cell:
                            self.update_cell(key, columns[n], cell)
                    self._shown[key] = cells
            return
        selected = self.cursor_key()
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        self._shown = dict(rows)
        self._order = keys
        if selected in self._shown:
            self.move_cursor(row=self.get_row_index(selected), animate=False)
