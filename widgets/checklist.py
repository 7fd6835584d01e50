"""The stakeholder checklist of the selected incident: its response clocks (acknowledge,
stakeholder updates), then its items grouped by owning team, each due item with its clock's
state (ok, at risk, overdue, met, missed)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import Static

from data.incidents.views import ChecklistRow, clock_text
from data.privacy.text import clean
from data.procedures.clocks import Clock, clock_state
from widgets.tables import FixedTable, cell_look, fit_column

STATE_MARKS = {
    "open": ("[ ] open", ""),
    "done": ("[x] done", "#5fb36b"),
    "skipped": ("[-] skip", "dim"),
    "blocked": ("[!] block", "bold #e8833a"),
}
#: the keys of the rows that are not items (the headings, the response clocks) begin with
#: this: longer than any item id (at most 32 characters, ``ItemId`` in data/engine/models.py), so
#: an item's id, whatever its text, never meets one of them
NOT_ITEM = "\x00" * 33


def row_key(name: str) -> str:
    """The key of a row that is not an item: ``heading:clocks``, ``clock:ack``, ``team:legal``."""
    return NOT_ITEM + name


URGENCY = {"overdue": "bold white on #b01c2e", "at_risk": "bold #e8833a", "ok": "", "none": "dim", "met": "dim",
           "missed": "#e8833a"}  # fmt: skip


STATE_WORDS = {"open": "open", "done": "done", "skipped": "skipped", "blocked": "BLOCKED"}


class ChecklistDetail(Static):
    """The whole of the checklist row under the cursor (its text, team, due time, state,
    who ticked it, its note and legal basis), under the table, whose cells cut it: shown
    while the table has the focus and its cursor is on an item or a clock (unfocused, the
    table keeps the room). :meth:`ChecklistPane.detail` says what."""

    DEFAULT_CSS = """
    ChecklistDetail { height: auto; max-height: 7; padding: 0 1; border-top: hkey $primary-darken-2;
        display: none; }
    ChecklistDetail.shown.-focused { display: block; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self._shown: Text | None = None

    def show(self, text: Text | None, focused: bool = True) -> None:
        self.set_class(text is not None, "shown")
        self.set_class(focused, "-focused")
        if text is not None and text != self._shown:
            self._shown = text
            self.update(text)


class ChecklistPane(FixedTable):
    """One row per item (keyed by its id), sorted by team, then due time, under a heading per
    team; the incident's response clocks above them (keys from :func:`row_key`). A
    :class:`ChecklistDetail` beside it (same parent) shows the row under the cursor whole."""

    DEFAULT_CSS = """
    ChecklistPane { height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.incident: str | None = None
        self.items: tuple[ChecklistRow, ...] = ()
        self.clocks: tuple[Clock, ...] = ()
        self._shown: dict[str, str] = {}  # item -> the due text on screen

    COLUMNS = (("state", "State", 9), ("text", "Item", 20), ("due", "Due · ticked by", 18))

    def on_mount(self) -> None:
        for key, label, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    def on_resize(self) -> None:
        fit_column(self, "text", self.COLUMNS)

    def show(
        self,
        incident: str | None,
        items: tuple[ChecklistRow, ...],
        now: datetime,
        clocks: tuple[Clock, ...] = (),
        floor: str | None = None,
    ) -> None:
        """``clocks``: the incident's response clocks, shown above its items; ``floor``: why
        it should be severity 1 (a legal clock of 24 h or less is open), shown first."""
        selected = self.selected_item()
        self.incident = incident
        self.clocks = clocks
        far = datetime.max.replace(tzinfo=now.tzinfo)
        self.items = tuple(
            sorted(items, key=lambda r: (r.team, r.state in ("done", "skipped"), r.due or far))
        )
        rows: list[tuple[str, tuple[Text, ...]]] = []
        self._shown.clear()
        if floor is not None:
            rows.append((row_key("heading:floor"), (
                Text("RAISE S1?", style="bold #e5484d"),
                Text(clean(f"{floor[:1].upper()}{floor[1:]}; press s to raise it", 400), style="bold #e5484d",
                     overflow="ellipsis"),
                Text("s: severity", style="bold"))))  # fmt: skip
        if clocks:
            rows.append(
                (
                    row_key("heading:clocks"),
                    (Text(""), Text("RESPONSE CLOCKS", style="bold #7fa7c9"), Text("")),
                )
            )
            for c in clocks:
                cell = self._clock_cell(c, now)
                self._shown[row_key(f"clock:{c.name}")] = cell.plain
                mark = "[x] done" if c.closed_at is not None else "[ ] clock"
                rows.append((row_key(f"clock:{c.name}"),
                             (Text(mark, style="dim"), Text(clean(c.label, 120), overflow="ellipsis"), cell)))  # fmt: skip
        previous_team = None
        for r in self.items:
            if r.team != previous_team:  # a heading row per owning team
                rows.append((row_key(f"team:{r.team}"),
                             (Text(""), Text(clean(r.team.replace("_", " ")).upper(), style="bold #7fa7c9"), Text(""))))  # fmt: skip
                previous_team = r.team
            cells = self._cells(r, now)
            self._shown[r.item] = cells[2].plain
            rows.append((r.item, cells))
        with self.app.batch_update():
            self._fill(rows)
            if selected is not None and any(r.item == selected for r in self.items):
                self.move_cursor(row=self.get_row_index(selected), animate=False)
        self.show_detail()

    def _fill(self, rows: list[tuple[str, tuple[Text, ...]]]) -> None:
        """Show ``rows``: when they are the rows on screen (the same keys in the same order:
        incidents of one procedure have the same items), only the cells that differ are
        set, and only their rows are drawn again; otherwise the table is filled again. The
        cursor and the scroll go back to the top either way, as a fill leaves them."""
        if rows and [key for key, _ in rows] == [str(row.key.value) for row in self.ordered_rows]:
            for key, cells in rows:
                for (column, _, _), cell in zip(self.COLUMNS, cells, strict=True):
                    if cell_look(cell) != cell_look(self.get_cell(key, column)):
                        self.update_cell(key, column, cell)
            self.cursor_coordinate = Coordinate(0, 0)
            self.hover_coordinate = Coordinate(0, 0)
            self.scroll_x = self.scroll_y = 0
            self.scroll_target_x = self.scroll_target_y = 0
            return
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)

    # --- the row under the cursor, whole ----------------------------------------------

    def on_data_table_row_highlighted(self, _: FixedTable.RowHighlighted) -> None:
        self.show_detail()

    def on_focus(self) -> None:
        self.show_detail(focused=True)

    def on_blur(self) -> None:
        self.show_detail(focused=False)

    def show_detail(self, focused: bool | None = None) -> None:
        """Tell the :class:`ChecklistDetail` beside this table what the cursor is on."""
        parent = self.parent
        if parent is None:
            return
        for widget in parent.query_children(ChecklistDetail):
            widget.show(self.detail(), self.has_focus if focused is None else focused)

    def detail(self) -> Text | None:
        """The row under the cursor, nothing cut (on a heading, what is under it); None
        without rows."""
        key = self.selected_item()
        if key is None:
            return None
        if key == "heading:clocks":  # a heading: what is under it (the detail keeps its place)
            return Text(
                f"Response clocks: {len(self.clocks)} (acknowledgement, stakeholder updates)", style="dim"
            )
        if key.startswith("team:"):
            team = [r for r in self.items if f"team:{r.team}" == key]
            still = sum(1 for r in team if r.state in ("open", "blocked"))
            name = clean(key.removeprefix("team:").replace("_", " "), 60)
            return Text(f"{name}: {len(team)} item{'s' if len(team) != 1 else ''}, {still} open", style="dim")
        if key.startswith("clock:"):
            c = next((c for c in self.clocks if f"clock:{c.name}" == key), None)
            if c is None:
                return None
            facts = [f"due {c.due:%d %b %H:%MZ}"]
            if c.closed_at is not None:
                facts.append(f"{clock_state(c, c.closed_at)} {c.closed_at:%H:%MZ}")
            if c.basis:
                facts.append(f"basis: {clean(c.basis, 2000)}")
            return Text.assemble((clean(c.label, 2000), "bold"), "\n", (" · ".join(facts), "dim"))
        r = self.selected_row()
        if r is None:
            return None
        facts = [clean(r.team.replace("_", " "), 60)]
        facts.append(f"due {r.due:%d %b %H:%MZ}" if r.due is not None else "no due time")
        state = STATE_WORDS.get(r.state, clean(r.state, 20))
        if r.state != "open" and (r.state_by or r.state_at):
            when = f" {r.state_at:%H:%MZ}" if r.state_at else ""
            state += f" by {clean(r.state_by or '?', 40)}{when}"
        facts.append(state)
        text = Text.assemble((clean(r.text, 2000), "bold"), "\n", (" · ".join(facts), "dim"))
        if r.note:
            text.append(f"\nnote: {clean(r.note, 8000)}")
        if r.basis:
            text.append(f"\nbasis: {clean(r.basis, 2000)}", style="dim")
        return text

    def tick(self, now: datetime) -> None:
        """Refresh clocks whose text changed (a redraw of one cell redraws them all)."""
        for c in self.clocks:
            if c.closed_at is None:
                cell = self._clock_cell(c, now)
                key = row_key(f"clock:{c.name}")
                if self._shown.get(key) != cell.plain:
                    self._shown[key] = cell.plain
                    self.update_cell(key, "due", cell)
        for r in self.items:
            if r.state in ("open", "blocked") and r.due is not None:
                cell = self._due(r, now)
                if self._shown.get(r.item) != cell.plain:
                    self._shown[r.item] = cell.plain
                    self.update_cell(r.item, "due", cell)

    def selected_item(self) -> str | None:
        """The id of the item under the cursor (None: a heading or a response clock)."""
        key = self.cursor_key()
        return None if key is None or key.startswith(NOT_ITEM) else key

    def advance(self, item: str) -> None:
        """``item`` was just acted on (done, blocked, skipped): the cursor goes on to the
        next open item below it, as on a paper checklist, if it is still on ``item`` (the
        user has not moved meanwhile). When the list re-sorts (a ticked item sinks to the
        end of its team) the cursor stays on the item it reached, so what is highlighted is
        always what the next key acts on."""
        if self.selected_item() != item:
            return
        keys = [str(row.key.value) for row in self.ordered_rows]
        waiting = {r.item for r in self.items if r.state == "open" and r.item != item}
        following = keys[keys.index(item) + 1 :] if item in keys else []
        nxt = next((k for k in following if k in waiting), None)
        if nxt is not None:
            self.move_cursor(row=self.get_row_index(nxt), animate=False)

    def selected_row(self) -> ChecklistRow | None:
        """The selected item (None on a team heading)."""
        item = self.selected_item()
        return next((r for r in self.items if r.item == item), None)

    def _due(self, r: ChecklistRow, now: datetime) -> Text:
        """A countdown while open; once done or skipped, who ticked it when, and whether
        its clock was met or missed."""
        if r.state in ("done", "skipped"):
            who = clean(r.state_by or "?", 7)
            when = f"{r.state_at:%H:%M}" if r.state_at else ""
            c = r.clock(self.incident or "")
            if c is None:
                return Text(f"{who} {when}", style="dim")
            state = clock_state(c, now)
            return Text(f"{state} {when} {who}", style=URGENCY[state])
        if r.due is None:
            return Text("—", style="dim")
        return self._clock_cell(r.clock(self.incident or ""), now)

    @staticmethod
    def _clock_cell(c: Clock | None, now: datetime) -> Text:
        if c is not None and c.closed_at is None and abs((c.due - now).total_seconds()) >= 120:
            now = now.replace(second=0, microsecond=0)  # whole minutes: one redraw a minute
        if c is not None and c.closed_at is not None:
            state = clock_state(c, now)
            return Text(f"{state} {c.closed_at:%H:%M}", style=URGENCY[state])
        text, state = clock_text(c, now)
        return Text(text or "—", style=URGENCY[state])

    def _cells(self, r: ChecklistRow, now: datetime) -> tuple[Text, ...]:
        mark, style = STATE_MARKS.get(r.state, (r.state, ""))
        text = clean(r.text, 300)
        if r.note:
            text += f" — {clean(r.note, 200)}"
        # cut with an ellipsis where the column ends: the detail under the table shows it whole
        return (Text(mark, style=style), Text(text, overflow="ellipsis"), self._due(r, now))
