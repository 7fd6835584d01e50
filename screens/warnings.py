"""Quarantined lines and chain breaks: what the journal holds that could not be applied;
and the actions queued in this console's outbox that the journal refused (data/engine/outbox.py)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from data.incidents.export import raw_text
from data.privacy.text import clean
from screens.live import live
from widgets.console import console


class WarningsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="warnings.close")]
    DEFAULT_CSS = """
    WarningsScreen { align: center middle; }
    WarningsScreen > Vertical { width: 95%; height: 85%; border: thick $warning; background: $surface; padding: 0 1; }
    WarningsScreen DataTable { height: 1fr; }
    WarningsScreen .heading { text-style: bold; margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text(
                    "Chain breaks: lines whose prev does not match the line before (edited, removed or inserted lines)"
                ),
                classes="heading",
            )
            yield DataTable(id="breaks", cursor_type="row")
            yield Static(
                Text(
                    "Quarantined lines: kept byte for byte, never applied (warroom export quarantine --format csv)"
                ),
                classes="heading",
            )
            yield DataTable(id="quarantine", cursor_type="row")
            # shown only when the outbox holds refused actions
            yield Static(
                Text(
                    "Queued while the journal was unreachable, then refused by it: kept in this "
                    "console's outbox, never written"
                ),
                classes="heading",
                id="refused-heading",
            )
            yield DataTable(id="refused", cursor_type="row")
            yield Static(Text("Esc to close", style="dim"))

    def on_mount(self) -> None:
        b = self.query_one("#breaks", DataTable)
        b.add_columns("Line", "Reason")
        q = self.query_one("#quarantine", DataTable)
        q.add_columns("Line", "Reason", "Raw (first 160 characters, controls replaced)")
        r = self.query_one("#refused", DataTable)
        r.add_columns("Queued (UTC)", "Action", "Why it was refused")
        for widget in (r, self.query_one("#refused-heading")):
            widget.display = False
        self.load()

    @work(group="warnings", exclusive=True)
    async def load(self) -> None:
        store = console(self.app).store
        breaks = await store.chain_breaks()
        quarantined = await store.quarantine()
        from data.engine import outbox

        refused = await outbox.entries(store, refused=True)
        if not live(self):  # closed (or the console closing) while loading: its panes are going away
            return
        b = self.query_one("#breaks", DataTable)
        for row in breaks:
            b.add_row(Text(str(row.line)), Text(clean(row.reason, 200)))
        if b.row_count == 0:
            b.add_row(Text("—"), Text("the chain is intact", style="dim"))
        q = self.query_one("#quarantine", DataTable)
        for qrow in quarantined:
            q.add_row(
                Text(str(qrow.line)),
                Text(clean(qrow.reason, 200)),
                Text(clean(raw_text(qrow.raw), 160)),
            )
        if q.row_count == 0:
            q.add_row(Text("—"), Text("nothing quarantined", style="dim"), Text(""))
        if refused:
            from datetime import UTC, datetime

            r = self.query_one("#refused", DataTable)
            for entry in refused:
                r.add_row(
                    Text(f"{datetime.fromtimestamp(entry.queued_at, UTC):%Y-%m-%d %H:%M:%S}"),
                    Text(clean(entry.description, 80)),
                    Text(clean(entry.refused or "", 300)),
                )
            for widget in (r, self.query_one("#refused-heading")):
                widget.display = True
