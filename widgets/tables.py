"""Helpers shared by the panes' tables."""

from __future__ import annotations

from itertools import count
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, ColumnKey, RowDoesNotExist, RowKey

#: a row's cells as last set: every add_row and update_cell takes the next number
_VERSIONS = count(1)


def cell_look(cell: Any) -> tuple[object, ...]:
    """What a ``Text`` cell shows, to compare (Text's own ``==`` leaves out its style)."""
    if not isinstance(cell, Text):
        return (cell,)
    return (cell.plain, str(cell.style), tuple(cell.spans), cell.overflow, cell.justify, cell.no_wrap)


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

    DataTable keys its render caches (cells and lines) on a counter that every
    ``add_row``, ``update_cell``, ``remove_row`` and ``sort`` bumps, so one changed cell
    anywhere renders every visible cell again through Rich, and its line cache is keyed on
    the cursor's position, so a cursor move makes every line again. Here a line and a
    cell are kept, in caches of their own, by what they are drawn from: the row's key,
    where it stands (its index: the zebra stripe, the mouse's metadata), its cells'
    version (a number taken by each ``add_row``/``update_cell`` of that row), the columns'
    keys, labels and widths, the styles, and whether the cursor or the mouse is on it.
    What Textual clears its caches for (styles, the reactives) clears these too.
    """

    def __init__(self, **kwargs: Any) -> None:
        # (set before DataTable's __init__, whose reactives clear the caches)
        self._row_version: dict[RowKey, int] = {}
        self._stable_lines: LRUCache[tuple[object, ...], Strip] = LRUCache(1000)
        self._stable_cells: LRUCache[tuple[object, ...], tuple[int, bool, list[list[Segment]]]] = LRUCache(
            10000
        )
        self._frame: tuple[object, ...] = ()  # what every line depends on (render_lines)
        self._frame_number = 0  # bumped when it changes
        self._cells_frame: tuple[object, ...] = ()  # the same but the columns' widths (a cell has its own)
        self._cells_frame_number = 0
        super().__init__(**kwargs)

    # --- the rows' versions ------------------------------------------------------------

    def add_row(
        self, *cells: Any, height: int | None = 1, key: str | None = None, label: Any = None
    ) -> RowKey:
        row_key = super().add_row(*cells, height=height, key=key, label=label)
        self._row_version[row_key] = next(_VERSIONS)
        return row_key

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: Any, *,
                    update_width: bool = False) -> None:  # fmt: skip
        super().update_cell(row_key, column_key, value, update_width=update_width)
        self._row_version[row_key if isinstance(row_key, RowKey) else RowKey(row_key)] = next(_VERSIONS)

    def remove_row(self, row_key: RowKey | str) -> None:
        """As DataTable's, without asking for a layout of the whole screen (the table's
        virtual size is set again by :meth:`_update_dimensions`, which lays the screen out
        only when a scrollbar comes or goes)."""
        key = row_key if isinstance(row_key, RowKey) else RowKey(row_key)
        if key not in self._row_locations:
            raise RowDoesNotExist(f"Row key {row_key!r} is not valid.")
        gone = self._row_locations.get(key)
        assert gone is not None
        locations = self._row_locations
        self._row_locations = TwoWayDict({
            k: i - 1 if i > gone else i for k in locations if k != key and (i := locations.get(k)) is not None
        })  # fmt: skip
        for column_key in self._data[key]:
            self._updated_cells.discard(CellKey(key, column_key))
        del self.rows[key]
        del self._data[key]
        self._row_version.pop(key, None)
        self._new_rows.discard(key)
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        self.hover_coordinate = self.hover_coordinate
        self._update_count += 1
        self.refresh()
        self.check_idle()

    def clear(self, columns: bool = False) -> Any:
        self._row_version.clear()
        return super().clear(columns)

    # --- rendering, cached by what is drawn ----------------------------------------------

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._stable_lines.clear()
        self._stable_cells.clear()

    def notify_style_update(self) -> None:
        self._stable_lines.clear()
        self._stable_cells.clear()
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        columns = self.ordered_columns
        rest = (
            self.fixed_rows, self.fixed_columns, self.zebra_stripes, self.show_header, self.header_height,
            self.cell_padding, self.show_row_labels, self._labelled_row_exists, self._row_label_column_width,
            self.cursor_foreground_priority, self.cursor_background_priority,
        )  # fmt: skip
        cells_frame = (tuple((c.key, c.label.plain) for c in columns), *rest)
        frame = (tuple(c.get_render_width(self) for c in columns), *cells_frame)
        if frame != self._frame:
            self._frame = frame
            self._frame_number += 1
        if cells_frame != self._cells_frame:
            self._cells_frame = cells_frame
            self._cells_frame_number += 1
        return super().render_lines(crop)

    def _version(self, row_key: RowKey) -> int:
        return self._row_version.get(row_key, 0) if row_key is not self._header_row_key else 0

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        try:
            row_key, line = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        row = -1 if row_key is self._header_row_key else self._row_locations.get(row_key)
        cursor, hover = self.cursor_coordinate, self.hover_coordinate
        if self.cursor_type == "row":  # only whether the row is the cursor's (or the mouse's)
            on_cursor: object = cursor.row == row
            on_hover: object = hover.row == row
        else:
            on_cursor, on_hover = cursor, hover
        key = (row_key, line, row, self._version(row_key), self._frame_number, x1, x2, self.size.width,
               base_style, on_cursor, on_hover, self.cursor_type, self.show_cursor, self._show_hover_cursor,
               self._pseudo_class_state)  # fmt: skip
        strip = self._stable_lines.get(key)
        if strip is None:
            strip = super()._render_line(y, x1, x2, base_style)
            self._stable_lines[key] = strip
        return strip

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:  # fmt: skip
        """A cell is kept by what it shows, not where: a row that moves (a row added or
        removed above it) takes its cells as drawn, their mouse metadata (row, column) set
        to the new place; its stripe is in ``base_style``."""
        row_key = self._header_row_key if row_index == -1 else self._row_locations.get_key(row_index)
        key = (row_key, column_index, self._version(row_key) if row_key is not None else -1,
               self._cells_frame_number, base_style, width, cursor, hover, self.show_cursor, self._show_hover_cursor,
               self._pseudo_class_state, row_index < self.fixed_rows, row_index == -1)  # fmt: skip
        kept = self._stable_cells.get(key)
        if kept is not None:
            at, movable, lines = kept
            if at == row_index:
                return lines
            if movable:
                meta = Style.from_meta({"row": row_index, "column": column_index})
                lines = [
                    [Segment(t, None if s is None else s + meta, c) for t, s, c in line] for line in lines
                ]
                self._stable_cells[key] = (row_index, True, lines)
                return lines
        lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        # (a cell whose only metadata is its place can move; one with more is drawn again)
        place = {"row": row_index, "column": column_index}
        movable = all(s.style is None or s.style.meta == place for line in lines for s in line)
        self._stable_cells[key] = (row_index, movable, lines)
        return lines

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
