"""The incident queue: active incidents, most urgent first (one DataTable, rows by key)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets.data_table import ColumnKey

from data.care.wellbeing import SENSITIVE
from data.engine import clock
from data.incidents.views import IncidentRow, TreeMark, age, clock_text
from data.privacy.text import clean
from widgets.tables import FixedTable, fit_column

SEVERITY_STYLE = {
    1: "bold white on #b01c2e",
    2: "bold black on #e8833a",
    3: "black on #e3c44a",
    4: "black on #7fa7c9",
}
URGENCY_STYLE = {"overdue": "bold white on #b01c2e", "at_risk": "bold #e8833a", "ok": "", "none": "",
                 "met": "dim", "missed": "dim"}  # fmt: skip
COLUMNS = (("id", "ID", 15), ("sev", "Sev", 3), ("title", "Title", 30), ("category", "Category", 13),
           ("status", "Status", 13), ("commander", "Commander", 10), ("age", "Age", 6), ("due", "Next due", 13))  # fmt: skip
MIN_TITLE = 16
CATEGORY_NAMES = {"csea": "CSEA", "edr": "EDR", "self_harm": "self-harm", "violent_extremism": "violent extr.",
                  "hate_harassment": "hate/harass.", "data_security": "data security"}  # fmt: skip
STATUS_NAMES = {"false_positive": "false pos."}
#: the title width the other columns give way to, in this order, while the title is narrower
TITLE_WANTED = 36
GIVE_WAY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("compact", ("category", "status")),  # shorter names (below)
    ("drop", ("age",)),
    ("drop", ("category",)),
    ("drop", ("commander",)),
)  # the id, severity, title, status and next due always stay
COMPACT = {"category": 10, "status": 10}
COMPACT_CATEGORY = {**CATEGORY_NAMES, "violent_extremism": "extremism", "hate_harassment": "hate/har.",
                    "data_security": "data sec."}  # fmt: skip
COMPACT_STATUS = {**STATUS_NAMES, "investigating": "investig."}
ID_WIDTH = (8, 32)  # the id column fits the longest id shown (never cut: ids are at most 32)


def queue_columns(width: int, id_width: int = 15, padding: int = 1) -> tuple[tuple[str, str, int], ...]:
    """The columns the queue shows in ``width`` cells, with their widths: every column
    while the title keeps ``TITLE_WANTED`` cells; below that, category and status take
    shorter names, then age, category and commander give way in turn. The title takes
    what is left (at least ``MIN_TITLE``)."""
    widths = {key: w for key, _, w in COLUMNS} | {"id": id_width}
    shown = [key for key, _, _ in COLUMNS]

    def title() -> int:
        others = sum(widths[k] for k in shown if k != "title")
        return width - others - 2 * padding * len(shown) - 2  # the scrollbar's two cells

    for how, keys in GIVE_WAY:
        if title() >= TITLE_WANTED:
            break
        for key in keys:
            if how == "compact":
                widths[key] = COMPACT[key]
            else:
                shown.remove(key)
    widths["title"] = max(MIN_TITLE, title())
    return tuple((key, label, widths[key]) for key, label, _ in COLUMNS if key in shown)


class IncidentQueue(FixedTable):
    """Rows keyed by incident id; only changed cells are touched on refresh."""

    DEFAULT_CSS = """
    IncidentQueue { height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._rows: dict[str, IncidentRow] = {}
        self.me = ""
        self._cells: dict[str, tuple[str, ...]] = {}
        #: what each row's cells were made from (the row, hidden, its mark), and for
        #: whom and at which minute: a row that has not changed is not made again
        self._made: dict[str, tuple[object, ...]] = {}
        self._made_at: tuple[object, ...] = ()
        self._ticked_minute: datetime | None = None
        self._close: list[IncidentRow] = []  # rows whose clock is near: they tick every second
        #: quiet mode (docs/wellbeing.md): the titles of these categories are hidden, except
        #: on the cursor's row
        self.quiet = False
        self.sensitive: frozenset[str] = frozenset(SENSITIVE)
        self._revealed: str | None = None  # the row whose title quiet mode shows (the cursor's)
        self.shown_columns: tuple[tuple[str, str, int], ...] = ()  # (key, label, width) on screen
        self._keys: frozenset[str] = frozenset()  # their keys
        self._id_width = ID_WIDTH[0]
        self.compact = False  # the category and status columns take their shorter names
        #: where each row stands among linked incidents (a child under its parent: docs/links.md)
        self.nesting: dict[str, TreeMark] = {}

    def on_mount(self) -> None:
        self._set_columns(queue_columns(self.size.width, self._id_width, self.cell_padding))

    def on_resize(self) -> None:
        """The columns for the new width (the title takes what the others leave)."""
        self._fit()

    def _fit(self) -> bool:
        """Lay the columns out for the width and the ids shown; True if the set of columns
        or a fixed width changed (the rows were laid out again)."""
        wanted = queue_columns(self.size.width, self._id_width, self.cell_padding)
        if [c for c in wanted if c[0] != "title"] == [c for c in self.shown_columns if c[0] != "title"]:
            fit_column(self, "title", wanted, MIN_TITLE)
            return False
        if [c[:2] for c in wanted] == [c[:2] for c in self.shown_columns] and self.compact == _compact(
            wanted
        ):
            # the same columns and names, other widths (the id column follows the longest
            # id): set in place; refilling 500 rows would cost tens of ms
            self.shown_columns = wanted
            for key, _, width in wanted:
                column = self.columns[ColumnKey(key)]
                if column.width != width:
                    column.width = width
                    column.auto_width = False
            self._update_count += 1  # the render caches are keyed on it
            self._require_update_dimensions = True
            self.refresh()
            return False
        with self.app.batch_update():
            selected = self._selected_id()
            self._set_columns(wanted)
            now = clock.now()
            for r in self._rows.values():
                cells = self._row_cells(r, now, self.me, self._hidden(r))
                self.add_row(*self._visible(cells), key=r.id)
                self._cells[r.id] = tuple(c.plain for c in cells)
            if selected in self._rows:
                self.move_cursor(row=self.get_row_index(selected), animate=False)
        return True

    def _set_columns(self, columns: tuple[tuple[str, str, int], ...]) -> None:
        self.clear(columns=True)
        self.shown_columns = columns
        self._keys = frozenset(key for key, _, _ in columns)
        self.compact = _compact(columns)
        for key, label, width in columns:
            self.add_column(label, key=key, width=width)

    def _visible(self, cells: tuple[Text, ...]) -> tuple[Text, ...]:
        """The cells of the columns on screen, of a row's cells in ``COLUMNS`` order."""
        return tuple(cell for (key, _, _), cell in zip(COLUMNS, cells, strict=True) if key in self._keys)

    def show(
        self,
        rows: tuple[IncidentRow, ...],
        now: datetime,
        me: str = "",
        tree: dict[str, TreeMark] | None = None,
    ) -> None:
        """Make the table show ``rows`` in this order, touching only what changed: rows that
        left are removed, new ones added, changed cells updated, then the order fixed.
        ``tree``: each row's place among linked incidents (its title marked)."""
        self.me = me
        self.nesting = tree or {}
        wanted = [r.id for r in rows]
        selected = self._selected_id()
        if self._revealed is None:
            self._revealed = selected if selected is not None else (wanted[0] if wanted else None)
        # the id column as wide as the longest id: the title has the rest
        id_width = min(max(ID_WIDTH[0], max((len(clean(r.id)) for r in rows), default=0)), ID_WIDTH[1])
        if id_width != self._id_width:
            self._id_width = id_width
            kept = self._rows, self._cells
            self._rows, self._cells = {}, {}  # laid out again without rows: added below
            if not self._fit():
                self._rows, self._cells = kept  # only widths changed: the rows stay
        current = [str(k.value) for k in self.rows]
        with self.app.batch_update():
            if len(set(wanted) ^ set(current)) > max(8, len(wanted) // 2):
                # most rows changed: refill (remove_row is O(n) a call)
                self.clear()
                self._cells.clear()
                current = []
            else:
                for key in set(current) - set(wanted):
                    self.remove_row(key)
                    self._cells.pop(key, None)
            have = set(current)
            made_at = (_steady(now), me, self.compact)
            if made_at != self._made_at:
                self._made.clear()
                self._made_at = made_at
            for r in rows:
                made = (r, self._hidden(r), self.nesting.get(r.id))
                if r.id in have:
                    # the same row, shown the same way, in the same minute: its cells are
                    # what they were (a clock near due counts seconds: tick() keeps it)
                    if self._made.get(r.id) != made or r.id not in self._cells or _near(r, now):
                        self._update(r, now)
                else:
                    cells = self._row_cells(r, now, me, self._hidden(r))
                    self.add_row(*self._visible(cells), key=r.id)
                    self._cells[r.id] = tuple(c.plain for c in cells)
                self._made[r.id] = made
            if [str(r.key.value) for r in self.ordered_rows] != wanted:
                # by the row's own id cell (the object), never by its text: the id shown is
                # masked where it reads like a phone number (data/privacy/mask.py)
                order = {id(self.get_cell(key, "id")): n for n, key in enumerate(wanted)}
                self.sort("id", key=lambda cell: order[id(cell)])
            self._rows = {r.id: r for r in rows}
            self._ticked_minute = None  # look at every row on the next tick
            if selected in self._rows:
                self.move_cursor(row=self.get_row_index(selected), animate=False)

    def tick(self, now: datetime, me: str = "") -> None:
        """Refresh the time-dependent cells (age and countdown) where their text changed.
        Called every second: the rows are all looked at once a minute; in between, only
        those with a clock within two minutes of due (they count seconds)."""
        minute = _steady(now)
        if minute != self._ticked_minute:
            self._ticked_minute = minute
            rows = list(self._rows.values())
            self._close = [
                r for r in rows if r.next_due is not None and abs((r.next_due - now).total_seconds()) < 180
            ]
        else:
            rows = self._close
        changes = []
        for r in rows:
            old = self._cells.get(r.id)
            if old is None:
                continue
            age_text = age(r.opened_at, _steady(now))
            due_text, urgency = clock_text(r.next_clock, _clock_for(r, now)) if r.active else (old[7], "none")
            if age_text != old[6] or due_text != old[7]:
                changes.append((r, age_text, due_text, urgency))
        if not changes:
            return
        with self.app.batch_update():
            for r, age_text, due_text, urgency in changes:
                old = self._cells[r.id]
                if age_text != old[6] and "age" in self._keys:
                    self.update_cell(r.id, "age", Text(age_text))
                if due_text != old[7]:
                    self.update_cell(r.id, "due", Text(due_text, style=URGENCY_STYLE[urgency]))
                self._cells[r.id] = (*old[:6], age_text, due_text)

    def _update(self, r: IncidentRow, now: datetime) -> None:
        cells = self._row_cells(r, now, self.me, self._hidden(r))
        old = self._cells.get(r.id)
        for (key, _, _), cell, i in zip(COLUMNS, cells, range(len(cells)), strict=True):
            if (old is None or old[i] != cell.plain) and key in self._keys:
                self.update_cell(r.id, key, cell)
        self._cells[r.id] = tuple(c.plain for c in cells)

    def _selected_id(self) -> str | None:
        return self.cursor_key()

    # --- quiet mode ----------------------------------------------------------------------

    def _hidden(self, r: IncidentRow) -> bool:
        return self.quiet and r.category in self.sensitive and r.id != self._revealed

    def set_quiet(self, quiet: bool, categories: frozenset[str] | None = None) -> None:
        """Quiet mode on or off: only the title cells that change are touched."""
        self.quiet = quiet
        if categories is not None:
            self.sensitive = categories
        self._retitle(list(self._rows))

    def on_data_table_row_highlighted(self, event: FixedTable.RowHighlighted) -> None:
        """The cursor moved: in quiet mode, the title it left is hidden again and the one it
        reached is shown (two cells, nothing else)."""
        new = str(event.row_key.value) if event.row_key is not None else None
        old, self._revealed = self._revealed, new
        if self.quiet and old != new:
            self._retitle([k for k in (old, new) if k is not None])

    def _retitle(self, ids: list[str]) -> None:
        changed = []
        for key in ids:
            r, old = self._rows.get(key), self._cells.get(key)
            if r is not None and old is not None:
                cell = self._marked(r, self._title(r, self.me, self._hidden(r)))
                if cell.plain != old[2]:
                    changed.append((key, old, cell))
        if not changed:
            return
        with self.app.batch_update():
            for key, old, cell in changed:
                self.update_cell(key, "title", cell)
                self._cells[key] = (*old[:2], cell.plain, *old[3:])

    def _marked(self, r: IncidentRow, title: Text) -> Text:
        """The title with its place among linked incidents: ``▸ 2`` a parent whose two
        children are folded under it (``▾ 2`` shown), ``└`` a child under its parent."""
        mark = self.nesting.get(r.id)
        if mark is None or (mark.depth == 0 and not mark.children):
            return title
        parts: list[tuple[str, str] | Text] = []
        if mark.depth:
            parts.append(("  " * (mark.depth - 1) + "└ ", "dim"))
        if mark.children:
            parts.append((f"{'▾' if mark.open else '▸'} {mark.children} ", "bold"))
        if mark.hidden_severity is not None:  # a more severe incident folded under it
            parts.append((f"S{mark.hidden_severity} below", SEVERITY_STYLE.get(mark.hidden_severity, "bold")))
            parts.append((" ", ""))
        return Text.assemble(*parts, title, overflow="ellipsis")

    @staticmethod
    def _title(r: IncidentRow, me: str, hidden: bool = False) -> Text:
        if not r.visible_to(me):
            return Text("restricted", style="italic")
        if hidden:  # quiet mode: the category, never the title
            name = CATEGORY_NAMES.get(r.category, clean(r.category, 20))
            return Text(f"{name} incident · title hidden (quiet mode)", style="dim italic")
        if r.restricted:
            return Text.assemble(("[R] ", "bold"), clean(r.title, 200), overflow="ellipsis")
        return Text(clean(r.title, 200), overflow="ellipsis")  # a cut title ends in …

    def _row_cells(self, r: IncidentRow, now: datetime, me: str, hidden: bool = False) -> tuple[Text, ...]:
        """A row's cells, every column of ``COLUMNS`` (those on screen: :meth:`_visible`)."""
        due_text, urgency = clock_text(r.next_clock, _clock_for(r, now))
        title = self._marked(r, self._title(r, me, hidden))
        if not r.active:
            due_text, urgency = r.status.replace("_", " "), "none"
        categories, statuses = (
            (COMPACT_CATEGORY, COMPACT_STATUS) if self.compact else (CATEGORY_NAMES, STATUS_NAMES)
        )
        return (
            Text(clean(r.id)),
            # ↑: a legal clock of 24 h or less is open below S1 (the commander decides the raise)
            Text(f"S{r.severity}↑", style="bold #e5484d")
            if r.floor is not None and r.active
            else Text(f"S{r.severity}", style=SEVERITY_STYLE.get(r.severity, "")),
            title,
            Text(categories.get(r.category, clean(r.category, 13))),
            Text(statuses.get(r.status, clean(r.status, 13))),
            _commander(r),
            Text(age(r.opened_at, _steady(now))),
            Text(due_text, style=URGENCY_STYLE[urgency]),
        )


def _compact(columns: tuple[tuple[str, str, int], ...]) -> bool:
    """Whether the category and status columns take their shorter names at these widths."""
    return any(key in COMPACT and width <= COMPACT[key] for key, _, width in columns)


def _steady(now: datetime) -> datetime:
    """Ages and countdowns move on together at each whole minute, so the table redraws
    once a minute rather than every second (a redraw of one cell redraws them all)."""
    return now.replace(second=0, microsecond=0)


def _near(r: IncidentRow, now: datetime) -> bool:
    """A clock within two minutes of falling due (its cell counts seconds)."""
    return r.next_due is not None and abs((r.next_due - now).total_seconds()) < 120


def _clock_for(r: IncidentRow, now: datetime) -> datetime:
    """The exact time for a clock within two minutes of falling due (it counts seconds
    and turns OVERDUE on time), the whole minute for the others."""
    if r.next_due is not None and abs((r.next_due - now).total_seconds()) < 120:
        return now
    return _steady(now)


def _commander(r: IncidentRow) -> Text:
    """The commander; a handle not in the roster ends in a bold ``?`` (data/roster/people.py).
    Without one, while the incident is unacknowledged and paged: ``⚑`` who was paged last and
    when, UTC (docs/escalation.md; ``E`` shows every page)."""
    if r.commander is None and r.paged is not None:
        who, at = r.paged
        return Text.assemble(("⚑", "bold #e8833a"), clean(who or "?", 8), (at.strftime(" %H:%M"), "dim"))
    if r.commander is None:
        return Text("—")
    if r.commander in r.unlisted:
        return Text.assemble(clean(r.commander), ("?", "bold"))
    return Text(clean(r.commander))
