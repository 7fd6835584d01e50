"""The incident queue: active incidents, most urgent first (one DataTable, rows by key)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from data.text import clean
from data.views import IncidentRow, age, clock_text
from data.wellbeing import SENSITIVE
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


class IncidentQueue(FixedTable):
    """Rows keyed by incident id; only changed cells are touched on refresh."""

    DEFAULT_CSS = """
    IncidentQueue { height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._rows: dict[str, IncidentRow] = {}
        self.me = ""
        self._cells: dict[str, tuple[str, ...]] = {}
        self._ticked_minute: datetime | None = None
        self._close: list[IncidentRow] = []  # rows whose clock is near: they tick every second
        #: quiet mode (docs/wellbeing.md): the titles of these categories are hidden, except
        #: on the cursor's row
        self.quiet = False
        self.sensitive: frozenset[str] = frozenset(SENSITIVE)
        self._revealed: str | None = None  # the row whose title quiet mode shows (the cursor's)

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def on_resize(self) -> None:
        """The title takes the width the other columns leave."""
        fit_column(self, "title", COLUMNS, MIN_TITLE)

    def show(self, rows: tuple[IncidentRow, ...], now: datetime, me: str = "") -> None:
        """Make the table show ``rows`` in this order, touching only what changed: rows that
        left are removed, new ones added, changed cells updated, then the order fixed."""
        self.me = me
        wanted = [r.id for r in rows]
        current = [str(k.value) for k in self.rows]
        selected = self._selected_id()
        if self._revealed is None:
            self._revealed = selected if selected is not None else (wanted[0] if wanted else None)
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
            for r in rows:
                if r.id in have:
                    self._update(r, now)
                else:
                    cells = self._render(r, now, me, self._hidden(r))
                    self.add_row(*cells, key=r.id)
                    self._cells[r.id] = tuple(c.plain for c in cells)
            if [str(r.key.value) for r in self.ordered_rows] != wanted:
                # by the row's own id cell (the object), never by its text: the id shown is
                # masked where it reads like a phone number (data/mask.py)
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
                if age_text != old[6]:
                    self.update_cell(r.id, "age", Text(age_text))
                if due_text != old[7]:
                    self.update_cell(r.id, "due", Text(due_text, style=URGENCY_STYLE[urgency]))
                self._cells[r.id] = (*old[:6], age_text, due_text)

    def _update(self, r: IncidentRow, now: datetime) -> None:
        cells = self._render(r, now, self.me, self._hidden(r))
        old = self._cells.get(r.id)
        for (key, _, _), cell, i in zip(COLUMNS, cells, range(len(cells)), strict=True):
            if old is None or old[i] != cell.plain:
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
                cell = self._title(r, self.me, self._hidden(r))
                if cell.plain != old[2]:
                    changed.append((key, old, cell))
        if not changed:
            return
        with self.app.batch_update():
            for key, old, cell in changed:
                self.update_cell(key, "title", cell)
                self._cells[key] = (*old[:2], cell.plain, *old[3:])

    @staticmethod
    def _title(r: IncidentRow, me: str, hidden: bool = False) -> Text:
        if not r.visible_to(me):
            return Text("restricted", style="italic")
        if hidden:  # quiet mode: the category, never the title
            name = CATEGORY_NAMES.get(r.category, clean(r.category, 20))
            return Text(f"{name} incident · title hidden (quiet mode)", style="dim italic")
        if r.restricted:
            return Text.assemble(("[R] ", "bold"), clean(r.title, 200))
        return Text(clean(r.title, 200))

    @classmethod
    def _render(cls, r: IncidentRow, now: datetime, me: str, hidden: bool = False) -> tuple[Text, ...]:
        due_text, urgency = clock_text(r.next_clock, _clock_for(r, now))
        title = cls._title(r, me, hidden)
        if not r.active:
            due_text, urgency = r.status.replace("_", " "), "none"
        return (
            Text(clean(r.id)),
            Text(f"S{r.severity}", style=SEVERITY_STYLE.get(r.severity, "")),
            title,
            Text(CATEGORY_NAMES.get(r.category, clean(r.category, 13))),
            Text(STATUS_NAMES.get(r.status, clean(r.status, 13))),
            Text(clean(r.commander or "—")),
            Text(age(r.opened_at, _steady(now))),
            Text(due_text, style=URGENCY_STYLE[urgency]),
        )


def _steady(now: datetime) -> datetime:
    """Ages and countdowns move on together at each whole minute, so the table redraws
    once a minute rather than every second (a redraw of one cell redraws them all)."""
    return now.replace(second=0, microsecond=0)


def _clock_for(r: IncidentRow, now: datetime) -> datetime:
    """The exact time for a clock within two minutes of falling due (it counts seconds
    and turns OVERDUE on time), the whole minute for the others."""
    if r.next_due is not None and abs((r.next_due - now).total_seconds()) < 120:
        return now
    return _steady(now)
