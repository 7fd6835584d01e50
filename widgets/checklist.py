"""The stakeholder checklist of the selected incident: its response clocks (acknowledge,
stakeholder updates), then its items grouped by owning team, each due item with its clock's
state (ok, at risk, overdue, met, missed)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from data.clocks import Clock, clock_state
from data.text import clean
from data.views import ChecklistRow, clock_text
from widgets.tables import FixedTable, fit_column

STATE_MARKS = {
    "open": ("[ ] open", ""),
    "done": ("[x] done", "#5fb36b"),
    "skipped": ("[-] skip", "dim"),
    "blocked": ("[!] block", "bold #e8833a"),
}
#: the keys of the rows that are not items (the headings, the response clocks) begin with
#: this: longer than any item id (at most 32 characters, ``ItemId`` in data/models.py), so
#: an item's id, whatever its text, never meets one of them
NOT_ITEM = "\x00" * 33


def row_key(name: str) -> str:
    """The key of a row that is not an item: ``heading:clocks``, ``clock:ack``, ``team:legal``."""
    return NOT_ITEM + name


URGENCY = {"overdue": "bold white on #b01c2e", "at_risk": "bold #e8833a", "ok": "", "none": "dim", "met": "dim",
           "missed": "#e8833a"}  # fmt: skip


class ChecklistPane(FixedTable):
    """One row per item (keyed by its id), sorted by team, then due time, under a heading per
    team; the incident's response clocks above them (keys from :func:`row_key`)."""

    DEFAULT_CSS = """
    ChecklistPane { height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
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
    ) -> None:
        """``clocks``: the incident's response clocks, shown above its items."""
        selected = self.selected_item()
        self.incident = incident
        self.clocks = clocks
        far = datetime.max.replace(tzinfo=now.tzinfo)
        self.items = tuple(
            sorted(items, key=lambda r: (r.team, r.state in ("done", "skipped"), r.due or far))
        )
        with self.app.batch_update():
            self.clear()
            self._shown.clear()
            if clocks:
                self.add_row(
                    Text(""), Text("RESPONSE CLOCKS", style="bold #7fa7c9"), Text(""), key=row_key("heading:clocks")
                )
                for c in clocks:
                    cell = self._clock_cell(c, now)
                    self._shown[row_key(f"clock:{c.name}")] = cell.plain
                    mark = "[x] done" if c.closed_at is not None else "[ ] clock"
                    self.add_row(
                        Text(mark, style="dim"), Text(clean(c.label, 120)), cell, key=row_key(f"clock:{c.name}")
                    )
            previous_team = None
            for r in self.items:
                if r.team != previous_team:  # a heading row per owning team
                    self.add_row(Text(""), Text(clean(r.team.replace("_", " ")).upper(), style="bold #7fa7c9"),
                                 Text(""), key=row_key(f"team:{r.team}"))  # fmt: skip
                    previous_team = r.team
                cells = self._cells(r, now)
                self._shown[r.item] = cells[2].plain
                self.add_row(*cells, key=r.item)
            if selected is not None and any(r.item == selected for r in self.items):
                self.move_cursor(row=self.get_row_index(selected), animate=False)

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
        return (Text(mark, style=style), Text(text), self._due(r, now))
