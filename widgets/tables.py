"""Helpers shared by the panes' tables."""

from __future__ import annotations

from typing import Any

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

    def _update_dimensions(self, new_rows: Any) -> None:
        if any(column.auto_width for column in self.columns.values()):
            super()._update_dimensions(new_rows)
        else:
            super()._update_dimensions(())
