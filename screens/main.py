"""The main screen: the queue and the roster on top, the selected incident's timeline and
checklist below. The selected incident drives the timeline and checklist panes."""

from __future__ import annotations

import contextlib
from dataclasses import fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, Static

from data.engine import clock
from data.handoff.report import home_region
from data.incidents.views import IncidentRow, QueueFilter, Snapshot, SyncState, TreeMark, nest
from data.incidents.views import load_detail as fetch_detail
from data.privacy.text import clean
from data.procedures.clocks import floor_text
from data.roster.board import OnCallBoard, people_zones
from data.triage.queue import header as signals_header
from data.triage.queue import is_urgent
from data.triage.queue import summary as signals_summary
from screens import dialogs
from screens.actions import ACTION_BINDINGS, IncidentActions, Subject
from screens.live import LiveScreen, live
from screens.observer import MESSAGE as OBSERVER_MESSAGE
from screens.registry import binding, bindings
from screens.wellbeing import exposure_changed
from widgets.banner import HandoffBanner
from widgets.checklist import ChecklistDetail, ChecklistPane
from widgets.console import WellbeingShown, observer
from widgets.narrow import ClockStrip, PaneTabs
from widgets.queue import IncidentQueue
from widgets.roster import RosterPane
from widgets.status import CACHED_STYLE, StatusBar, cached_words
from widgets.timeline import Timeline
from widgets.wellbeing import WellbeingLine

if TYPE_CHECKING:
    from data.incidents import queries as incident_queries
else:  # (SQLAlchemy: imported after the first paint)
    from data.engine.lazy import lazy

    incident_queries = lazy("data.incidents.queries")

WELCOME = (
    "No incidents in the journal yet.\n\n"
    "Press o to open one, or append one from a script:\n"
    "  warroom append --type incident.opened --incident INC-1 --data "
    '\'{"title": "…", "category": "edr", "severity": 1, '
    '"source": "law_enforcement", "regions": ["US"]}\'\n\n'
    "Or try the demo war room:  make run"
)

QUEUE_TITLE = "1 Incident queue"
#: an urgent signal waiting, in the queue's title (colour and the ⚠ marker)
URGENT_STYLE = "bold white on #b01c2e"
#: what applies while the screen is the cached first screen (data/incidents/first_screen.py):
#: moving around; nothing that writes or reads the store
CACHED_ACTIONS = frozenset({"focus_pane", "search", "mine", "fold", "maximize_pane", "local_time"})
PANES = {"1": "queue", "2": "timeline", "3": "checklist", "4": "roster-table"}
#: the pane (container) of each number key, as one-pane-at-a-time mode shows it
PANE_BOXES = {"1": "queue-pane", "2": "timeline-pane", "3": "checklist-pane", "4": "roster-pane"}
#: below either, one pane at a time (1-4 switch) with the selected incident's clocks above
NARROW_WIDTH, NARROW_HEIGHT = 100, 28
COMPACT_WIDTH = 140  # below it (and not narrow): the queue's columns give way to its title
HOLD_LIMIT = 0.25  # seconds the screen may wait for a selected incident to load before it paints
FOOTER_DELAY = 0.12  # seconds after a selection settles before the footer shows which keys apply
TIMELINE_LAST = 200  # events the main screen shows of the selected incident (Enter: all of them)
#: actions that need a selected incident (hidden from the footer without one)


class MainScreen(IncidentActions, LiveScreen[None]):
    BINDINGS = [
        *bindings("incident.new", "incident.details"),
        *ACTION_BINDINGS,
        *bindings("queue.search", "queue.filter", "queue.mine", "queue.closed", "queue.fold"),
        binding("timeline.filter", show=False),
        *bindings("timeline.local", "focus.queue", "focus.timeline", "focus.checklist", "focus.roster"),
        *bindings("pane.zoom", "roster.show", "handoff.show", "wellbeing.quiet", "wellbeing.step_away"),
        *bindings("trends.show", "holds.show", "sync.warnings", "triage.open"),
    ]
    #: what gets the focus when nothing has it (e.g. back from a dialog opened while the
    #: queue was hidden): never the search box, which is focusable while it is hidden
    AUTO_FOCUS = "#queue"

    DEFAULT_CSS = """
    MainScreen { overflow: hidden hidden; }
    MainScreen #queue-pane { height: 1fr; min-height: 12; }
    MainScreen #bottom { height: 1fr; min-height: 12; }
    MainScreen .pane { border: round $primary-darken-2; border-title-color: $text; }
    MainScreen .pane:focus-within { border: round $accent; }
    MainScreen #timeline-pane { width: 1fr; }
    MainScreen #right { width: 1fr; }
    MainScreen #checklist-pane { height: 1fr; }
    MainScreen #roster-pane { height: auto; max-height: 12; }
    MainScreen #search { display: none; height: 1; border: none; padding: 0 1; }
    MainScreen #search.shown { display: block; }
    MainScreen #welcome { display: none; padding: 1 2; color: $text-muted; }
    MainScreen.empty #welcome { display: block; }
    MainScreen.empty #queue { display: none; }
    MainScreen.-compact #queue-pane { height: 2fr; min-height: 10; }
    MainScreen.-compact #bottom { height: 3fr; }
    MainScreen.-compact #roster-pane { max-height: 8; }

    /* one pane at a time (a narrow or short terminal): 1-4 switch; the wellbeing line stays */
    MainScreen.-narrow #pane-tabs, MainScreen.-narrow #clock-strip { display: block; }
    MainScreen.-narrow #queue-pane, MainScreen.-narrow #timeline-pane,
    MainScreen.-narrow #checklist-pane, MainScreen.-narrow #roster-pane { display: none; min-height: 0; }
    MainScreen.-narrow #bottom { layout: vertical; height: auto; min-height: 0; }
    MainScreen.-narrow #right { width: 1fr; height: auto; }
    MainScreen.-narrow.-pane-1 #queue-pane { display: block; height: 1fr; }
    MainScreen.-narrow.-pane-2 #bottom, MainScreen.-narrow.-pane-3 #bottom,
    MainScreen.-narrow.-pane-4 #bottom { height: 1fr; }
    MainScreen.-narrow.-pane-2 #timeline-pane { display: block; height: 1fr; }
    MainScreen.-narrow.-pane-3 #right, MainScreen.-narrow.-pane-4 #right { height: 1fr; }
    MainScreen.-narrow.-pane-3 #checklist-pane { display: block; height: 1fr; }
    MainScreen.-narrow.-pane-4 #roster-pane { display: block; height: 1fr; max-height: 100%; }
    """

    def __init__(self, actor: str) -> None:
        super().__init__()
        self.actor = actor
        self.snapshot = Snapshot()
        self.filter = QueueFilter()
        self.shown: tuple[IncidentRow, ...] = ()
        #: the parents whose children the queue shows under them (folded by default: docs/links.md)
        self.unfolded: set[str] = set()
        self.nesting: dict[str, TreeMark] = {}
        self.selected: str | None = None
        self._paint_timer: Timer | None = None
        self._paint_hold = contextlib.ExitStack()  # the repaints held while an incident loads
        self._footer_timer: Timer | None = None
        self._detail_seq: tuple[str | None, int] = (None, -1)
        #: the details of the incidents beside the selected one, read ahead while the
        #: cursor rests, for this snapshot (a new one drops them): a move shows one at once
        self._ahead: dict[str, Any] = {}
        #: the links of the incident shown (a merge into it shows the merged one's entries)
        self._detail_links: tuple[Any, ...] = ()
        self.narrow = False  # one pane at a time (see NARROW_WIDTH)
        self.pane = "1"  # the pane shown when narrow
        self._select_next: str | None = None  # an incident this console opened, to select when shown
        self._displaced: str | None = None  # the selected incident a filter hid (selected again when shown)
        self.on_call = OnCallBoard()  # who holds each rotation, until its next handoff
        self._binding_state: bool | None = None  # whether an incident was selected when the footer was built
        #: the signals waiting (docs/intake.md, "Triage"): the urgent ones of the snapshot's
        #: signals, those a toast told of (None: none shown yet), the queue's title as set
        self._urgent: frozenset[str] = frozenset()
        self._urgent_of: object = None
        self._urgent_told: set[str] | None = None
        self._queue_title: tuple[str, bool] = (QUEUE_TITLE, False)

    def compose(self) -> ComposeResult:
        yield StatusBar(self.actor, id="status")
        yield HandoffBanner(self.actor, id="handoff-banner")
        yield PaneTabs(id="pane-tabs")
        yield ClockStrip(id="clock-strip")
        with Vertical(id="queue-pane", classes="pane") as pane:
            pane.border_title = QUEUE_TITLE
            yield Input(
                placeholder="filter: id, title, category, status, commander (Enter to keep, Esc to clear)",
                id="search",
            )
            yield IncidentQueue(id="queue")
            yield Static(WELCOME, id="welcome", markup=False)
        with Horizontal(id="bottom"):
            with Vertical(id="timeline-pane", classes="pane") as pane:
                pane.border_title = "2 Timeline"
                yield Timeline(id="timeline")
            with Vertical(id="right"):
                with Vertical(id="checklist-pane", classes="pane") as pane:
                    pane.border_title = "3 Checklist"
                    yield ChecklistPane(id="checklist")
                    yield ChecklistDetail(id="checklist-detail")
                with Vertical(id="roster-pane", classes="pane") as pane:
                    pane.border_title = "4 On call"
                    pane.border_subtitle = "w coverage and the week"
                    yield RosterPane(id="roster")
                yield WellbeingLine(id="wellbeing")
        yield Footer(compact=True)  # compact: every key that matters fits at 120 columns

    def on_mount(self) -> None:  # (LiveScreen's follows: it subscribes to the console's signals)
        self.set_interval(1.0, self.tick)
        self.query_one(Timeline).empty("Select an incident to see its timeline.")
        self.query_one(IncidentQueue).focus()
        c = self.console
        self.query_one(IncidentQueue).quiet = c.quiet  # its default: the config
        self.fit_layout()
        self.call_after_refresh(c.show_wellbeing)
        if c.last_snapshot is not None:
            self.show_snapshot(c.last_snapshot)

    # --- showing ---------------------------------------------------------------------

    def show_snapshot(self, snapshot: Snapshot) -> None:
        was_cached = self.snapshot.sync.cached_at is not None
        previous, self.snapshot = self.snapshot, snapshot
        if was_cached and snapshot.sync.cached_at is None:
            self.refresh_bindings()  # the keys the cached screen held back apply now
        now = clock.now()
        self.query_one(StatusBar).show(now, snapshot.sync)
        if (
            (previous.sync.synced_at is None) == (snapshot.sync.synced_at is None)
            and (previous.sync.cached_at is None) == (snapshot.sync.cached_at is None)
            and all(
                getattr(previous, f.name) is getattr(snapshot, f.name)
                for f in fields(Snapshot)
                if f.name != "sync"
            )
        ):
            return  # the same picture, synced again (app/console.py sync_once): only the status line
        self._ahead = {}  # read from the store as it was before this snapshot
        self.show_banner(now)
        self.refresh_queue(now)
        self.show_signals(now, arrived=True)
        self.show_roster(now, rebuild=True)
        self.show_clocks(now)
        row = next((r for r in self.shown if r.id == self.selected), None)
        if row is not None and (
            self._detail_seq != (row.id, row.shown_seq) or row.links != self._detail_links
        ):
            self.load_detail()
            exposure_changed(self)  # its category or who may see it may have changed

    def refresh_queue(self, now: datetime | None = None, filtering: bool = False) -> None:
        """Show the snapshot's incidents through the filter (``filtering``: the filter
        changed, not the incidents)."""
        now = now or clock.now()
        # a child under its parent, folded unless unfolded (a text search shows every match)
        filtered = self.filter.apply(self.snapshot.incidents, self.actor)
        self.shown, self.nesting = nest(filtered, self.unfolded, fold=not self.filter.text)
        empty = not self.snapshot.incidents and self.snapshot.sync.synced_at is not None
        self.set_class(empty, "empty")
        if not empty and self.focused is None:  # the queue was hidden while empty: focus it again
            self.query_one(IncidentQueue).focus()
        queue = self.query_one(IncidentQueue)
        queue.show(self.shown, now, self.actor, self.nesting)
        pane = self.query_one("#queue-pane")
        active = sum(1 for r in self.snapshot.incidents if r.active)
        pane.border_subtitle = Text(
            f"{len(self.shown)} shown · {active} active"
            + (f" · {self.filter.describe()}" if self.filter.describe() else "")
        )
        self._follow_the_work(queue, filtering)

    def _follow_the_work(self, queue: IncidentQueue, filtering: bool) -> None:
        """The selected incident is the highlighted row, always. A new incident this console
        opened is selected once it is shown. One a filter (a search) hid is remembered and
        selected again when the filter shows it again (cleared: Esc), unless the user has
        moved the cursor since."""
        shown = {r.id for r in self.shown}
        for wanted in (self._select_next, self._displaced):
            if wanted is not None and wanted in shown:
                self._select_next = self._displaced = None
                queue.move_cursor(row=queue.get_row_index(wanted), animate=False)
                self.select(wanted)
                return
        if self._select_next is not None and any(r.id == self._select_next for r in self.snapshot.incidents):
            self.notify(
                f"{self._select_next} is opened; the queue's filter hides it.", timeout=6, markup=False
            )
            self._select_next = None
        if self.selected is not None and self.selected not in shown:
            if filtering and self._displaced is None:
                self._displaced = self.selected
            self.select(queue.cursor_key())  # what is highlighted now (None: nothing is shown)

    def show_signals(self, now: datetime, arrived: bool = False) -> None:
        """The queue's title says how many signals wait and since when, and flags an urgent
        one (``[intake] urgent``); a toast tells once of each urgent signal that arrives
        (``arrived``: a new snapshot; those waiting when the console opens are in the title)."""
        signals = self.snapshot.signals
        if self._urgent_of is not signals:
            rules = self.console.settings.config.intake.urgent
            self._urgent = (
                frozenset(r.signal for r in signals if is_urgent(r, rules)) if rules else frozenset()
            )
            self._urgent_of = signals
        w = signals_summary(signals, now, self._urgent)
        if arrived:
            told = self._urgent_told
            if told is not None:
                for sid in w.urgent:
                    if sid not in told:
                        r = next(r for r in signals if r.signal == sid)
                        self.notify(f"⚠ URGENT signal from {clean(r.channel, 16)}: {clean(r.title, 120)} (T: triage)",
                                    severity="error", timeout=15, markup=False)  # fmt: skip
            self._urgent_told = (told or set()) | set(w.urgent)
        words = signals_header(w, now)
        cached = cached_words(self.snapshot.sync)
        if cached:
            words = f"{cached}, syncing…" + (f" · {words}" if words else "")
        shown = (f"{QUEUE_TITLE} · {words}" if words else QUEUE_TITLE, bool(w.urgent))
        if shown == self._queue_title:
            return
        self._queue_title = shown
        title = Text(QUEUE_TITLE)
        if cached:
            title.append(" · ")
            title.append(f" {cached.upper()} ", style=CACHED_STYLE)
            title.append(" syncing…", style="bold")
            words = signals_header(w, now)
        if words:
            title.append(f" · {words}", style="bold")
        if w.urgent:
            title.append(" · ")
            title.append("⚠ URGENT signal", style=URGENT_STYLE)
        self.query_one("#queue-pane").border_title = title

    def show_banner(self, now: datetime) -> None:
        """The handoffs of this console's region awaiting acknowledgement, and those
        addressed to its actor from any region."""
        snap = self.snapshot
        pending = (
            snap.pending_for(home_region(snap.rotations, self.actor), self.actor) if snap.pending else ()
        )
        self.query_one(HandoffBanner).show(pending, now)

    def show_roster(self, now: datetime, rebuild: bool = False) -> None:
        """Who is on call, per rotation (``rebuild``: the snapshot changed)."""
        snap = self.snapshot
        rows = self.on_call.rows(snap.rotations, snap.overrides, people_zones(snap.people), now, rebuild)
        self.query_one(RosterPane).show(rows, now, rebuild)

    def show_state(self, state: SyncState) -> None:
        self.query_one(StatusBar).show(clock.now(), state)

    def tick(self) -> None:
        now = clock.now()
        self.query_one(StatusBar).show(now)
        if self.query_one(HandoffBanner).pending:
            self.show_banner(now)
        self.query_one(IncidentQueue).tick(now, self.actor)
        self.show_signals(now)
        self.query_one(ChecklistPane).tick(now)
        if self.narrow:
            self.show_clocks(now)
        if now.second % 15 == 0:
            self.show_roster(now)

    def select(self, incident: str | None) -> None:
        if incident == self.selected:
            return
        self.selected = incident
        exposure_changed(self)
        self.show_clocks()
        self._detail_seq = (None, -1)
        if incident is None:
            self.query_one(Timeline).empty("Select an incident to see its timeline.")
            self.query_one(ChecklistPane).show(None, (), clock.now())
            self._titles("2 Timeline", "3 Checklist")
        else:
            self.workers.cancel_group(self, "read-ahead")  # the store for the one selected
            self._hold_paint()
            self.load_detail()
        self._refresh_bindings_if_changed()

    def _refresh_bindings_if_changed(self) -> None:
        """The footer rebuilds all its keys on refresh_bindings(): only when what applies
        changed (an incident selected or not)."""
        state = self.selected_row() is not None
        if state != self._binding_state:
            self._binding_state = state
            # the footer rebuilds itself (tens of ms): after the incident is on screen, and
            # once for a run of moves (a held arrow key)
            if self._footer_timer is not None:
                self._footer_timer.stop()
            self._footer_timer = self.set_timer(FOOTER_DELAY, self._footer_due, name="footer")

    def _footer_due(self) -> None:
        self._footer_timer = None  # (None: no footer refresh pending)
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#queue")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = str(event.row_key.value) if event.row_key is not None else None
        if key != self.selected:  # the user moved: a hidden incident is no longer awaited
            self._displaced = None
        self.select(key)

    @on(DataTable.RowSelected, "#queue")
    def _chosen(self, _: DataTable.RowSelected) -> None:
        self.action_open_incident()

    @work(group="detail", exclusive=True)
    async def load_detail(self) -> None:
        incident = self.selected
        row = self.selected_row()
        self._hold_paint()  # one frame for the moved cursor and the incident it shows
        try:
            if incident is not None and row is not None:
                await self._show_detail(incident, row)
        finally:
            if incident == self.selected:  # else the newer selection's worker releases it
                self._release_paint()

    async def _show_detail(self, incident: str, row: IncidentRow) -> None:
        store = self.console.store
        timeline = self.query_one(Timeline)
        checklist = self.query_one(ChecklistPane)
        if self.snapshot.sync.cached_at is not None:  # (the store is not open yet)
            timeline.empty(
                f"{incident}: its timeline shows once this console has caught up with the journal."
            )
            checklist.show(incident, (), clock.now(), row.incident_clocks, _floor(row))
            return  # (shown again when the store's picture comes: its _detail_seq is not set)
        if not row.visible_to(self.actor):
            timeline.empty(
                f"{incident} is restricted: its details are shown to its role holders and participants."
            )
            checklist.show(incident, (), clock.now(), row.incident_clocks, _floor(row))
        else:
            # all of it: Enter; with the entries of the incidents merged into it (docs/links.md)
            detail = self._ahead.get(incident)
            if detail is None:
                detail = await fetch_detail(store, incident, last=TIMELINE_LAST, person=self.actor)
            if incident != self.selected or not live(self):  # another one selected, or closing
                return
            timeline.show(incident, detail.entries, detail.earlier)
            checklist.show(incident, detail.items, clock.now(), row.incident_clocks, _floor(row))
        self._detail_seq = (incident, row.shown_seq)
        self._detail_links = row.links
        self._refresh_bindings_if_changed()
        self._titles(f"2 Timeline · {incident} · {timeline.filter_name}", f"3 Checklist · {incident}")
        self._read_ahead(incident)

    def _read_ahead(self, incident: str) -> None:
        """Read the details of the rows above and below ``incident`` (those this actor may
        see) in the background, so that a move to one shows it without waiting for the
        store; the others read before are dropped."""
        ids = [r.id for r in self.shown]
        if incident not in ids:
            return
        k = ids.index(incident)
        beside = [self.shown[j] for j in (k + 1, k - 1) if 0 <= j < len(ids)]
        self._ahead = {i: d for i, d in self._ahead.items() if i in {r.id for r in beside}}
        wanted = [r.id for r in beside if r.visible_to(self.actor) and r.id not in self._ahead]
        if wanted:
            self.run_worker(self._read(wanted), group="read-ahead", exclusive=True, name="read-ahead")

    async def _read(self, incidents: list[str]) -> None:
        snapshot = self.snapshot
        for incident in incidents:
            detail = await fetch_detail(self.console.store, incident, last=TIMELINE_LAST, person=self.actor)
            if self.snapshot is not snapshot or not live(self):  # read before a newer snapshot
                return
            self._ahead[incident] = detail

    def _hold_paint(self) -> None:
        """Hold the screen's repaints while the selected incident loads (a few ms), so that
        the cursor's move and the panes it changes are painted in one frame; released when
        it is shown, or after HOLD_LIMIT whatever happens."""
        if self._paint_timer is None:
            # (App.batch_update() held open across the load: entered here, left on release)
            self._paint_hold.enter_context(self.app.batch_update())
            self._paint_timer = self.set_timer(HOLD_LIMIT, self._release_paint, name="detail-hold")

    def _release_paint(self) -> None:
        if self._paint_timer is not None:
            self._paint_timer.stop()
            self._paint_timer = None
            self._paint_hold.close()

    def on_unmount(self) -> None:
        self._release_paint()

    def _titles(self, timeline: str, checklist: str) -> None:
        """The two detail panes' titles, set only when they change (a title redraws its pane)."""
        for pane, title in (("#timeline-pane", timeline), ("#checklist-pane", checklist)):
            widget = self.query_one(pane)
            if getattr(widget.border_title, "plain", widget.border_title) != title:
                widget.border_title = Text(title)

    def selected_row(self) -> IncidentRow | None:
        return next((r for r in self.shown if r.id == self.selected), None)

    # --- which actions apply ---------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.snapshot.sync.cached_at is not None and action not in CACHED_ACTIONS:
            return False  # the cached first screen: until the store's picture replaces it
        if action == "open_incident":
            return self.selected_row() is not None
        return self.actions_apply(action)

    def subject(self) -> Subject | None:
        row = self.selected_row()
        if row is None:
            return None
        return Subject(row.id, row.severity, row.status, row.commander, row.visible_to(self.actor),
                       row.participants, row.access, _floor(row))  # fmt: skip

    # --- revealing identifiers (screens/reveal.py, docs/privacy.md) -------------------

    def reveal_targets(self) -> list[Any]:
        from screens.reveal import entry_targets

        timeline = self.query_one(Timeline)
        row = self.selected_row()
        if row is None or timeline.incident != row.id:
            return []
        return entry_targets(timeline.entries)

    def apply_reveal(self, target: Any) -> None:
        self.query_one(Timeline).reveal(target.value)

    def on_screen_suspend(self) -> None:
        """Another screen (not a dialog over this one) was opened: this view is left, and
        its reveals are forgotten."""
        from textual.screen import ModalScreen

        if not isinstance(self.app.screen, ModalScreen):
            self.query_one(Timeline).forget_reveals()

    # --- actions (the incident and item ones: screens/actions.py) --------------------

    def action_new_incident(self) -> None:
        """The form; the incident it opens is selected once the console shows it."""
        dialog = dialogs.NewIncidentDialog(context={"taken": {r.id for r in self.snapshot.incidents}})

        def then(written: bool | None) -> None:
            if written and dialog.incident:
                self._select_next = dialog.incident
                self._displaced = None
                if any(r.id == dialog.incident for r in self.snapshot.incidents):  # it came first
                    self.refresh_queue()

        dialogs.open_dialog(self.app, dialog, then)

    def action_open_incident(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        from screens.incident import IncidentScreen

        self.app.push_screen(IncidentScreen(row.id))

    @on(DataTable.RowSelected, "#checklist")
    def _item_chosen(self, _: DataTable.RowSelected) -> None:
        self.action_item_state()

    def action_search(self) -> None:
        if self.narrow:
            self.show_pane("1")
        search = self.query_one("#search", Input)
        search.add_class("shown")
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.filter = replace(self.filter, text=event.value.strip())
        self.refresh_queue(filtering=True)

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.remove_class("shown")
        self.query_one(IncidentQueue).focus()

    def key_escape(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus or self.filter.text:
            search.value = ""
            search.remove_class("shown")
            self.query_one(IncidentQueue).focus()

    def action_filters(self) -> None:
        from screens.filters import FilterDialog

        def done(result: QueueFilter | None) -> None:
            if result is not None:
                self.filter = result
                self.refresh_queue(filtering=True)

        self.app.push_screen(FilterDialog(self.filter), done)

    def action_mine(self) -> None:
        self.filter = replace(self.filter, mine=not self.filter.mine)
        self.refresh_queue(filtering=True)

    def action_closed(self) -> None:
        self.filter = replace(self.filter, show_closed=not self.filter.show_closed)
        self.console.include_closed = self.filter.show_closed
        self.console.request_refresh()
        self.refresh_queue(filtering=True)

    def action_fold(self) -> None:
        """Show or hide the children under the selected incident (on a child: fold its
        parent, which is then selected)."""
        row = self.selected_row()
        if row is None:
            return
        mark = self.nesting.get(row.id)
        if mark is not None and mark.children:
            self.unfolded ^= {row.id}
        elif row.parent is not None and row.parent in self.unfolded:
            self.unfolded.discard(row.parent)
            self._select_next = row.parent
        else:
            self.notify(f"{row.id} has no child incidents here (L links one).", timeout=3, markup=False)
            return
        self.refresh_queue()

    def action_timeline_filter(self) -> None:
        name = self.query_one(Timeline).cycle_filter()
        if self.selected:
            self.query_one("#timeline-pane").border_title = Text(f"2 Timeline · {self.selected} · {name}")

    def action_local_time(self) -> None:
        tz = _local_zone_name()
        local = self.query_one(Timeline).toggle_local(tz)
        self.app.notify(
            f"Timeline times in {'local time (' + tz + ')' if local else 'UTC'}", timeout=3, markup=False
        )

    def action_focus_pane(self, key: str) -> None:
        if self.narrow:
            self.show_pane(key)
            self.call_after_refresh(self._focus_pane, key)  # once it is displayed
        else:
            self._focus_pane(key)

    def _focus_pane(self, key: str) -> None:
        self.query_one(f"#{PANES[key]}").focus()

    # --- the layout for the terminal's size ------------------------------------------

    def on_resize(self) -> None:
        self.fit_layout()

    def fit_layout(self) -> None:
        """Three layouts by the terminal's size: every pane (wide); every pane, the queue's
        columns giving way to its title (``-compact``, under COMPACT_WIDTH); one pane at a
        time, 1-4 switching, with the selected incident's clocks on a line of their own
        (``-narrow``, under NARROW_WIDTH columns or NARROW_HEIGHT rows)."""
        width, height = self.size
        narrow = width < NARROW_WIDTH or height < NARROW_HEIGHT
        self.set_class(not narrow and width < COMPACT_WIDTH, "-compact")
        if narrow == self.narrow:
            return
        self.narrow = narrow
        self.set_class(narrow, "-narrow")
        if narrow:  # show the pane that has the focus
            focused = self.focused
            boxes = {a.id for a in focused.ancestors_with_self} if focused is not None else set()
            self.show_pane(next((k for k, b in PANE_BOXES.items() if b in boxes), "1"))
            self.show_clocks()

    def show_pane(self, key: str) -> None:
        """One-pane mode: show pane ``key`` (1-4), and say so on the tabs."""
        self.pane = key
        for k in PANE_BOXES:
            self.set_class(k == key, f"-pane-{k}")
        self.query_one(PaneTabs).show(key)
        if self.maximized is not None:
            self.minimize()

    def show_clocks(self, now: datetime | None = None) -> None:
        """The selected incident's clocks on their line (shown when one pane at a time)."""
        if self.narrow:
            self.query_one(ClockStrip).show(self.selected_row(), now or clock.now(), self.actor)

    def action_maximize_pane(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        if focused is None:
            return
        pane = next(
            (a for a in focused.ancestors_with_self if isinstance(a, Widget) and a.has_class("pane")), None
        )
        if pane is not None:
            self.maximize(pane, container=False)

    def action_roster(self) -> None:
        from screens.roster import RosterScreen

        self.app.push_screen(RosterScreen(self.console.last_snapshot))

    # --- wellbeing (docs/wellbeing.md) ---------------------------------------------------

    def exposure_subject(self) -> tuple[str, str] | None:
        """The incident whose detail this screen shows (for the exposure counters)."""
        row = self.selected_row()
        return (row.id, row.category) if row is not None and row.visible_to(self.actor) else None

    def show_wellbeing(self, shown: WellbeingShown) -> None:
        self.query_one(WellbeingLine).show(shown.exposure, shown.quiet, shown.break_due)
        queue = self.query_one(IncidentQueue)
        if queue.quiet != shown.quiet:
            queue.set_quiet(shown.quiet)

    def action_quiet(self) -> None:
        quiet = self.console.toggle_quiet()  # told back on wellbeing_shown
        self.app.notify(
            "Quiet mode on: graphic categories' titles are hidden in the queue except on the selected row"
            if quiet
            else "Quiet mode off",
            timeout=4,
            markup=False,
        )

    def action_step_away(self) -> None:
        """Step away; or, when the deputies hold roles handed to them and there is nothing
        more to hand over, come back (I'm back)."""
        self._away("auto")

    def action_back(self) -> None:
        """I'm back: take back the roles the deputies still hold."""
        self._away("back")

    def _away(self, want: str) -> None:
        if observer(self.app):
            self.notify(OBSERVER_MESSAGE, severity="warning", markup=False)
            return
        self._plan_away(want)

    @work(group="step-away", exclusive=True)
    async def _plan_away(self, want: str) -> None:
        from data.care.wellbeing import return_candidates, return_plan, step_away_plan
        from screens.wellbeing import ReturnDialog, StepAwayDialog

        rows = self.snapshot.incidents
        plan = step_away_plan(rows, self.actor)
        store = self.console.store
        history = {
            i: await incident_queries.role_history(store, i) for i in return_candidates(rows, self.actor)
        }
        back = return_plan(rows, history, self.actor)
        if back and (want == "back" or not plan.moves):
            self._dialog(ReturnDialog(back, self.actor))
        elif want == "back":
            self.notify(
                "Nothing to take back: no deputy holds a role you handed to them.", timeout=5, markup=False
            )
        else:
            self._dialog(StepAwayDialog(plan, self.actor))

    def action_handoff(self) -> None:
        from screens.handoff import HandoffScreen

        self.app.push_screen(HandoffScreen())

    def action_trends(self) -> None:
        from screens.trends import TrendsScreen

        self.app.push_screen(TrendsScreen(self.console.last_snapshot))

    def action_holds(self) -> None:
        from screens.holds import HoldsScreen

        self.app.push_screen(HoldsScreen())

    def action_warnings(self) -> None:
        from screens.warnings import WarningsScreen

        self.app.push_screen(WarningsScreen())


def _local_zone_name() -> str:
    import os
    import time

    tz = os.environ.get("TZ")
    if tz:
        return tz.lstrip(":")
    try:
        link = os.readlink("/etc/localtime")
        return link.split("zoneinfo/", 1)[1]
    except (OSError, IndexError):
        return time.tzname[0] if time.tzname[0] != "UTC" else "UTC"


def _floor(row: IncidentRow) -> str | None:
    """Why the incident should be severity 1 (None: nothing says so): the console says so
    and offers the raise; nothing changes without the commander."""
    return floor_text(row.floor) if row.floor is not None and row.active else None
