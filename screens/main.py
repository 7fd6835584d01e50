"""The main screen: the queue on top, the selected incident's timeline below."""

from __future__ import annotations

from datetime import UTC, datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from data.views import Snapshot, SyncState, load_timeline
from widgets.queue import IncidentQueue
from widgets.status import StatusBar
from widgets.timeline import Timeline

WELCOME = (
    "No incidents in the journal yet.\n\n"
    "Open one from a script:  warroom append --type incident.opened --incident INC-1 "
    "--data '{\"title\": \"…\", \"category\": \"edr\", \"severity\": 1, "
    "\"source\": \"law_enforcement\", \"regions\": [\"US\"]}'\n"
    "or try the demo:  make run"
)


class MainScreen(Screen[None]):
    BINDINGS = [
        Binding("1", "focus_pane('queue')", "Queue", id="focus.queue", tooltip="Focus the incident queue"),
        Binding("2", "focus_pane('timeline')", "Timeline", id="focus.timeline", tooltip="Focus the timeline"),
        Binding("q", "app.quit", "Quit", id="app.quit", tooltip="Leave the console"),
    ]

    DEFAULT_CSS = """
    MainScreen #queue-pane { height: 3fr; border: round $primary-darken-2; }
    MainScreen #timeline-pane { height: 2fr; border: round $primary-darken-2; }
    MainScreen #queue-pane:focus-within, MainScreen #timeline-pane:focus-within { border: round $accent; }
    MainScreen #welcome { display: none; padding: 1 2; color: $text-muted; }
    MainScreen.empty #welcome { display: block; }
    MainScreen.empty #queue { display: none; }
    """

    def __init__(self, actor: str) -> None:
        super().__init__()
        self.actor = actor
        self.snapshot = Snapshot()

    def compose(self) -> ComposeResult:
        yield StatusBar(self.actor, id="status")
        with Vertical(id="queue-pane") as pane:
            pane.border_title = "1 Incident queue"
            yield IncidentQueue(id="queue")
            yield Static(WELCOME, id="welcome", markup=False)
        with Vertical(id="timeline-pane") as pane:
            pane.border_title = "2 Timeline"
            yield Timeline(id="timeline")
        yield Footer()

    def on_mount(self) -> None:
        self.app.snapshots.subscribe(self, self.show)  # type: ignore[attr-defined]
        self.set_interval(1.0, self.tick)
        self.query_one(Timeline).empty("Select an incident to see its timeline.")
        self.query_one(IncidentQueue).focus()

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        now = datetime.now(UTC)
        self.query_one(StatusBar).show(now, snapshot.sync)
        self.set_class(not snapshot.incidents and snapshot.sync.synced_at is not None, "empty")
        self.query_one(IncidentQueue).show(snapshot.incidents, now)
        self.load_timeline()

    def show_state(self, state: SyncState) -> None:
        self.query_one(StatusBar).show(datetime.now(UTC), state)

    def tick(self) -> None:
        now = datetime.now(UTC)
        self.query_one(StatusBar).show(now)
        self.query_one(IncidentQueue).tick(now)

    def action_focus_pane(self, name: str) -> None:
        self.query_one(f"#{name}").focus()

    @on(DataTable.RowHighlighted, "#queue")
    def _selected(self, _: DataTable.RowHighlighted) -> None:
        self.load_timeline()

    @work(group="timeline", exclusive=True)
    async def load_timeline(self) -> None:
        queue = self.query_one(IncidentQueue)
        incident = queue._selected_id()
        timeline = self.query_one(Timeline)
        if incident is None:
            timeline.empty("Select an incident to see its timeline.")
            return
        entries = await load_timeline(self.app.store, incident)  # type: ignore[attr-defined]
        timeline.show(incident, entries)
        self.query_one("#timeline-pane").border_title = f"2 Timeline · {incident}"
