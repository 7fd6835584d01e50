"""The stakeholder checklist of the selected incident: items grouped by owning team."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from data.text import clean
from data.views import ChecklistRow, countdown

STATE_MARKS = {
    "open": ("[ ] open", ""),
    "done": ("[x] done", "#5fb36b"),
    "skipped": ("[-] skipped", "dim"),
    "blocked": ("[!] blocked", "bold #e8833a"),
}
URGENCY = {"overdue": "bold white on #b01c2e", "at_risk": "bold #e8833a", "ok": "", "none": "dim"}


class ChecklistPane(DataTable[Text]):
    """One row per item (keyed by item id), sorted by team, then due time."""

    DEFAULT_CSS = """
    ChecklistPane { height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self.incident: str | None = None
        self.items: tuple[ChecklistRow, ...] = ()

    def on_mount(self) -> None:
        self.add_column("Team", key="team", width=18)
        self.add_column("State", key="state", width=12)
        self.add_column("Item", key="text")
        self.add_column("Due", key="due", width=13)
        self.add_column("Ticked", key="by", width=20)

    def show(self, incident: str | None, items: tuple[ChecklistRow, ...], now: datetime) -> None:
        selected = self.selected_item()
        self.incident = incident
        far = datetime.max.replace(tzinfo=now.tzinfo)
        self.items = tuple(sorted(items, key=lambda r: (r.team, r.state in ("done", "skipped"), r.due or far)))
        with self.app.batch_update():
            self.clear()
            previous_team = None
            for r in self.items:
                team = Text(clean(r.team.replace("_", " ")), style="bold") if r.team != previous_team else Text("")
                previous_team = r.team
                self.add_row(team, *self._cells(r, now), key=r.item)
            if selected is not None and any(r.item == selected for r in self.items):
                self.move_cursor(row=self.get_row_index(selected), animate=False)

    def tick(self, now: datetime) -> None:
        for r in self.items:
            if r.state in ("open", "blocked") and r.due is not None:
                self.update_cell(r.item, "due", self._due(r, now))

    def selected_item(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except Exception:
            return None

    def selected_row(self) -> ChecklistRow | None:
        item = self.selected_item()
        return next((r for r in self.items if r.item == item), None)

    def _due(self, r: ChecklistRow, now: datetime) -> Text:
        if r.due is None:
            return Text("—", style="dim")
        if r.state in ("done", "skipped"):
            met = r.state_at is not None and r.state_at <= r.due
            return Text("met" if met else "late", style="dim" if met else "#e8833a")
        text, urgency = countdown(r.due, now)
        return Text(text, style=URGENCY[urgency])

    def _cells(self, r: ChecklistRow, now: datetime) -> tuple[Text, ...]:
        mark, style = STATE_MARKS.get(r.state, (r.state, ""))
        text = clean(r.text, 300)
        if r.note:
            text += f" — {clean(r.note, 200)}"
        ticked = ""
        if r.state_by and r.state != "open":
            ticked = f"{clean(r.state_by, 12)} {r.state_at:%H:%MZ}" if r.state_at else clean(r.state_by, 12)
        return (Text(mark, style=style), Text(text), self._due(r, now), Text(ticked, style="dim"))
