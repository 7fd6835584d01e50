"""The holds screen: every preservation hold, open ones first by when they end, closed
incidents' too (a hold outlives its incident; data/procedures/holds.py). Enter opens the
selected hold's incident; Escape closes it. It reloads with each snapshot."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Static

from data.engine import clock
from data.incidents.views import Snapshot, load_holds, span_text
from data.privacy.text import clean
from data.procedures.holds import HoldRow
from screens.live import LiveScreen, live
from screens.registry import bindings

STATE_TEXT = {
    "ok": ("held", ""),
    "at_risk": ("ENDS SOON", "bold #e8833a"),
    "overdue": ("ENDED", "bold #e5484d"),
    "met": ("released", "dim"),
    "missed": ("RELEASED EARLY", "bold #e5484d"),
}
EMPTY = (
    "No preservation holds.\n\n"
    "A hold starts when its trigger is recorded on an incident (k, a ⏱ kind): a report filed to "
    "NCMEC (regime us_ncmec), a preservation request, terrorist content removed under an EU order. "
    "An EDR's 90-day preservation starts with the incident. See docs/sop.md."
)


class HoldsScreen(LiveScreen[None]):
    """Preservation holds with their ends, reminders (30 and 7 days) and state."""

    BINDINGS = bindings("holds.back", "holds.open")

    DEFAULT_CSS = """
    HoldsScreen #holds-box { border: round $primary-darken-2; height: 1fr; }
    HoldsScreen #holds-empty { padding: 1 2; display: none; }
    HoldsScreen.empty #holds-empty { display: block; }
    HoldsScreen.empty #holds-box { display: none; }
    HoldsScreen #holds-help { color: $text-muted; height: auto; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.holds: list[HoldRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="holds-box"):
            yield DataTable(id="holds", cursor_type="row", zebra_stripes=True)
        yield Static(Text(EMPTY), id="holds-empty")
        yield Static(
            Text("Reminders 30 and 7 days before a hold ends. Release a hold by ticking its item done "
                 "on the incident; extend a 2703(f) hold by recording preservation_extended with its ref."),
            id="holds-help",
        )  # fmt: skip
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#holds-box").border_title = "Preservation holds"
        table = self.query_one("#holds", DataTable)
        table.add_columns("Ends (UTC)", "Left", "State", "Incident", "Ref", "What", "Basis")
        self.load()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.load()

    @work(group="holds", exclusive=True)
    async def load(self) -> None:
        c = self.console
        now = clock.now()
        holds = await load_holds(c.store, now, c.settings.actor)
        if not live(self):
            return
        self.holds = holds
        self.set_class(not holds, "empty")
        self._fill(now)

    def _fill(self, now: datetime) -> None:
        table = self.query_one("#holds", DataTable)
        row = table.cursor_row
        table.clear()
        for h in self.holds:
            word, style = STATE_TEXT.get(h.state, (h.state, ""))
            if h.stage in ("30d", "7d") and h.state == "at_risk":
                word = f"ENDS < {h.stage}"
            left = h.ends - now
            seconds = int(left.total_seconds())
            left_text = ("-" if seconds < 0 else "") + span_text(abs(seconds)) if h.open else ""
            what = clean(h.text, 70) if h.visible else "(restricted)"
            ref = clean(h.ref or "", 40) if h.visible else ""
            basis = clean(h.basis or "", 60) if h.visible else ""
            table.add_row(
                Text(h.ends.strftime("%Y-%m-%d %H:%M")),
                Text(left_text),
                Text(word + (" · extended" if h.extended else ""), style=style),
                Text(clean(h.incident, 32)),
                Text(ref),
                Text(what),
                Text(basis, style="dim"),
                key=f"{h.incident}/{h.item}",
            )
        if self.holds:
            table.move_cursor(row=min(row, len(self.holds) - 1))

    def action_open(self) -> None:
        table = self.query_one("#holds", DataTable)
        if not self.holds or table.cursor_row >= len(self.holds):
            return
        hold = self.holds[table.cursor_row]
        from screens.incident import IncidentScreen

        self.app.push_screen(IncidentScreen(hold.incident))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()
