"""Helpers shared by the panes' tables."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey


def fit_column(table: DataTable[Any], flex: str, columns: tuple[tuple[str, str, int], ...], minimum: int = 12) -> None:
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
