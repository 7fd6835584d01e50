"""The escalation screen (``E``): who was paged about one incident, when, by which
notifier, and whether the page was delivered; then the steps still to come, until the
incident is acknowledged (docs/escalation.md). It reloads with each snapshot."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Static

from data.comms.escalation import IncidentEscalation, incident_escalation
from data.engine import clock
from data.incidents.views import Snapshot
from data.privacy.text import clean
from screens.live import LiveScreen, live
from screens.registry import bindings

DELIVERED = {
    True: ("delivered", "#5fb36b"),
    False: ("NOT DELIVERED", "bold #e5484d"),
    None: ("unknown", "dim"),
}


def _when(value: str) -> str:
    return value[:16].replace("T", " ")


def summary(view: IncidentEscalation) -> Text:
    """The line above the table: the policy, and whether the escalation runs."""
    if view.problem is not None:
        return Text(f"Escalation is off: {clean(view.problem, 300)}", style="bold #e5484d")
    if view.policy is None:
        return Text("No escalation policy applies to this incident ([escalation] in the config file).")
    if view.acknowledged_at is not None:
        return Text(f"Policy {view.policy}. Acknowledged {_when(view.acknowledged_at)} UTC: no more pages.")
    return Text(f"Policy {view.policy}. Not acknowledged: pages go on until someone sets a status or takes a role.",
                style="bold #e8833a")  # fmt: skip


class EscalationScreen(LiveScreen[None]):
    """One incident's pages and its next steps."""

    BINDINGS = bindings("escalation.back")

    DEFAULT_CSS = """
    EscalationScreen #pages-box { border: round $primary-darken-2; height: 1fr; }
    EscalationScreen #pages-summary { height: auto; padding: 0 1; }
    """

    def __init__(self, incident: str) -> None:
        super().__init__()
        self.incident = incident
        self.view: IncidentEscalation | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="pages-summary")
        with Vertical(id="pages-box"):
            yield DataTable(id="pages", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pages-box").border_title = f"Escalation of {clean(self.incident, 32)}"
        table = self.query_one("#pages", DataTable)
        table.add_columns("Step", "Who", "Channel", "When (UTC)", "By", "Delivered")
        self.load()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.load()

    @work(group="escalation", exclusive=True)
    async def load(self) -> None:
        c = self.console
        view = await incident_escalation(c.store, c.settings.config, self.incident, clock.now())
        if not live(self):
            return
        self.view = view
        self._fill(view)

    def _fill(self, view: IncidentEscalation) -> None:
        self.query_one("#pages-summary", Static).update(summary(view))
        table = self.query_one("#pages", DataTable)
        table.clear()
        for p in view.pages:
            word, style = DELIVERED[p.delivered]
            if p.delivered is False and p.error:
                word = f"{word}: {clean(p.error, 80)}"
            step = f"{p.step}" + (f" (repeat {p.repeat})" if p.repeat else "")
            table.add_row(Text(step), Text(clean(p.person or "nobody on call", 40)), Text(clean(p.channel, 32)),
                          Text(_when(p.ts)), Text(clean(p.actor, 32), style="dim"), Text(word, style=style),
                          key=p.id)  # fmt: skip
        for n, planned in enumerate(view.planned):
            table.add_row(Text(str(planned.step)), Text(clean(planned.notify, 60), style="dim"), Text(""),
                          Text(planned.due.strftime("%Y-%m-%d %H:%M"), style="dim"), Text(""),
                          Text("next" if n == 0 else "planned", style="dim"), key=f"planned:{n}")  # fmt: skip
