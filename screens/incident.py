"""The incident screen: every field, the lifecycle and its durations, roles with their
history, the full timeline, the checklist and the external references."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Static

from data.engine import clock
from data.engine.access import Access
from data.engine.models import TERMINAL_STATUSES
from data.engine.store import IncidentRecord
from data.incidents import queries as incident_queries
from data.incidents.views import Snapshot, incident_clocks, load_checklist, load_timeline, may_see, parse_time
from data.postmortem.report import duration
from data.privacy.text import clean
from data.procedures.clocks import floor_clock, floor_text
from data.roster.people import NOT_LISTED
from screens.actions import ACTION_BINDINGS, IncidentActions, Subject
from screens.dialogs import roster_of
from screens.live import LiveScreen, live
from screens.registry import bindings
from screens.wellbeing import exposure_changed
from widgets.checklist import ChecklistDetail, ChecklistPane
from widgets.status import StatusBar
from widgets.timeline import Timeline


async def link_lines(store: Any, incident: str, actor: str) -> list[str]:
    """The incident's links, one line each: ``duplicated by INC-2 title`` (a restricted
    other incident the actor may not see: its id and ``(restricted)``; docs/links.md)."""
    from data.incidents.links import links, name_of

    out = []
    for r in await links(store, incident):
        found = await store.incidents(r.other)
        name = name_of(found[0], actor) if found else r.other
        status = f" [{found[0].status}]" if found and found[0].status in TERMINAL_STATUSES else ""
        out.append(f"{r.words} {name}{status}")
    return out


def fmt_time(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%SZ") if t else "—"


class IncidentScreen(IncidentActions, LiveScreen[None]):
    BINDINGS = [*bindings("incident.back"), *ACTION_BINDINGS, *bindings("timeline.filter", "triage.open")]

    DEFAULT_CSS = """
    IncidentScreen { overflow: hidden hidden; }
    IncidentScreen .box { border: round $primary-darken-2; height: auto; }
    IncidentScreen .box:focus-within { border: round $accent; }
    IncidentScreen #fields { padding: 0 1; }
    IncidentScreen #middle { height: 1fr; }
    IncidentScreen #roles-box { width: 2fr; height: 1fr; }
    IncidentScreen #checklist-box { width: 3fr; height: 1fr; }
    IncidentScreen #timeline-box { height: 1fr; }
    IncidentScreen DataTable { height: 1fr; }
    """

    def __init__(self, incident: str) -> None:
        super().__init__()
        self.incident = incident
        self.row: IncidentRecord | None = None
        self.floor: str | None = None  # why it should be severity 1 (clocks.floor_text), or None
        self._seq = -1
        self._signals_seq = 0  # the snapshot row's signals_seq last loaded for
        self._links: tuple[
            Any, ...
        ] = ()  # its links in the last snapshot (a link written on the other changes them)
        self.link_lines: list[str] = []  # its links as the fields show them (docs/links.md)
        #: the fields (title, summary) revealed on this screen (docs/privacy.md); the
        #: timeline's revealed entries are its own; both go when the screen is left
        self.revealed_fields: frozenset[str] = frozenset()

    def compose(self) -> ComposeResult:
        yield StatusBar(self.console.settings.actor, id="status")
        with Vertical(id="fields-box", classes="box") as box:
            box.border_title = Text(self.incident)
            yield Static("", id="fields", markup=False)
        with Horizontal(id="middle"):
            with Vertical(id="roles-box", classes="box") as box:
                box.border_title = "Roles and their history"
                yield DataTable(id="roles", cursor_type="row")
            with Vertical(id="checklist-box", classes="box") as box:
                box.border_title = "Checklist"
                yield ChecklistPane(id="checklist")
                yield ChecklistDetail(id="checklist-detail")
        with Vertical(id="timeline-box", classes="box") as box:
            box.border_title = "Timeline"
            yield Timeline(id="timeline")
        yield Footer()

    def on_mount(self) -> None:
        roles = self.query_one("#roles", DataTable)
        roles.add_columns("Role", "Person", "From", "Until", "Held for")
        self.set_interval(1.0, self.tick)
        self.load()
        self.query_one(Timeline).focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.query_one(StatusBar).show(clock.now(), snapshot.sync)
        row = next((r for r in snapshot.incidents if r.id == self.incident), None)
        signals = row.signals_seq if row is not None else 0
        if (
            row is None
            or row.last_seq != self._seq
            or signals != self._signals_seq
            or row.links != self._links
        ):
            self._signals_seq = signals  # a signal attached: its timeline shows it (docs/intake.md)
            self._links = row.links if row is not None else ()
            self.load()

    def tick(self) -> None:
        now = clock.now()
        self.query_one(StatusBar).show(now)
        self.query_one(ChecklistPane).tick(now)

    def exposure_subject(self) -> tuple[str, str] | None:
        """The incident whose detail this screen shows (for the exposure counters)."""
        return (self.incident, self.row.category) if self.row is not None and self.details_visible() else None

    def details_visible(self) -> bool:
        if self.row is None:
            return False
        me = self.console.settings.actor
        return may_see(self.row, me)

    @work(group="incident", exclusive=True)
    async def load(self) -> None:
        store = self.console.store
        rows = await store.incidents(self.incident)
        if not live(self):  # closed (or the console closing) while loading: its panes are going away
            return
        if not rows:
            self.query_one("#fields", Static).update(
                Text(f"{self.incident} is not in the store.", style="bold")
            )
            return
        self.row = inc = rows[0]
        self._seq = inc.last_seq
        visible = self.details_visible()
        # read everything first, then show it without awaiting in between
        me = self.console.settings.actor
        entries = await load_timeline(store, self.incident, limit=100_000, person=me) if visible else ()
        self.link_lines = await link_lines(store, self.incident, me) if visible else []
        history = await incident_queries.role_history(store, self.incident) if visible else []
        items = await load_checklist(store, self.incident) if visible else ()
        if not live(self):
            return
        now = clock.now()
        fields = self.fields_text(inc, now)
        refs = [e for e in entries if e.ref]
        if refs:
            fields.append(f"{'References':<13}", style="dim")
            fields.append(
                clean(
                    "   ".join(
                        f"{e.ref} ({e.kind}, {e.ts:%d %b %H:%MZ})" if e.ts else str(e.ref) for e in refs
                    ),
                    600,
                )
                + "\n"
            )
        self.query_one("#fields", Static).update(fields)
        self.query_one("#fields-box").border_title = Text(
            f"{self.incident} · S{inc.severity} · {inc.category} · {inc.status}"
        )
        roles = self.query_one("#roles", DataTable)
        roles.clear()
        timeline = self.query_one(Timeline)
        checklist = self.query_one(ChecklistPane)
        response = tuple(c for c in incident_clocks(inc, [], self.console.policy) if c.kind != "item")
        item_clocks = [c for r in items if (c := r.clock(self.incident)) is not None]
        floor = floor_clock(item_clocks, inc.severity) if inc.status not in TERMINAL_STATUSES else None
        self.floor = floor_text(floor) if floor is not None else None
        if not visible:
            timeline.empty("Restricted: details are shown to its role holders and participants.")
            checklist.show(self.incident, (), now, response)
        else:
            people = roster_of(self.app)
            for h in history:
                start, end = parse_time(h.start_ts), parse_time(h.end_ts)
                who = clean(h.person, 30) + ("" if people.knows(h.person) else f" ({NOT_LISTED})")
                roles.add_row(
                    Text(h.role), Text(who, style="bold" if end is None else ""),
                    Text(fmt_time(start)), Text(fmt_time(end) if end else "now"), Text(duration(start, end or now)),
                )  # fmt: skip
            timeline.show(self.incident, entries)
            checklist.show(self.incident, items, now, response, self.floor)
        self.query_one("#timeline-box").border_title = Text(f"Timeline · {timeline.filter_name}")
        self.refresh_bindings()
        exposure_changed(self)

    def fields_text(self, inc: IncidentRecord, now: datetime) -> Text:
        visible = self.details_visible()
        t = Text()

        def line(label: str, value: str, style: str = "", reveal: bool = False) -> None:
            t.append(f"{label:<13}", style="dim")
            if reveal:
                t.append("REVEALED ", style="bold #e8833a")
            t.append(clean(value, 400, reveal=reveal) + "\n", style=style)

        line(
            "Title",
            inc.title if visible else "restricted",
            "bold",
            visible and "title" in self.revealed_fields,
        )
        line(
            "Severity",
            f"S{inc.severity}    Status  {inc.status}    Category  {inc.category}    Source  {inc.source}",
        )
        line(
            "Regions",
            ", ".join(inc.regions) + ("    RESTRICTED (need-to-know)" if inc.restricted else ""),
        )
        people = roster_of(self.app)

        def who(p: str) -> str:  # a handle not in the roster is marked (data/roster/people.py)
            return p if people.knows(p) else f"{p} ({NOT_LISTED})"

        roles = ", ".join(f"{r}: {who(p)}" for r, p in sorted(inc.roles.items())) or "none yet"
        line("Roles", roles)
        if inc.participants or inc.restricted:
            line(
                "Participants",
                ", ".join(who(p) for p in inc.participants) or "none (role holders only)",
            )
        if visible and inc.summary:
            line("Summary", inc.summary, reveal="summary" in self.revealed_fields)
        for n, text in enumerate(self.link_lines):
            line("Links" if n == 0 else "", text)
        opened = parse_time(inc.detected_at) or parse_time(inc.opened_at)
        ack, cont, res, closed = (
            parse_time(t) for t in (inc.acknowledged_at, inc.contained_at, inc.resolved_at, inc.closed_at)
        )
        line("Opened", f"{fmt_time(parse_time(inc.opened_at))} by {inc.opened_by}"
             + (f"   detected {fmt_time(parse_time(inc.detected_at))}" if inc.detected_at else ""))  # fmt: skip
        line("Lifecycle", f"acknowledged {fmt_time(ack)} (after {duration(opened, ack)})   "
             f"contained {fmt_time(cont)} (after {duration(opened, cont)})")  # fmt: skip
        line("", f"resolved {fmt_time(res)} (after {duration(opened, res)})   closed {fmt_time(closed)}")
        return t

    # --- revealing identifiers (screens/reveal.py, docs/privacy.md) -------------------

    def reveal_targets(self) -> list[Any]:
        from screens.reveal import entry_targets, field_target

        if self.row is None or not self.details_visible():
            return []
        fields = field_target(self.row)
        return ([fields] if fields else []) + entry_targets(self.query_one(Timeline).entries)

    def apply_reveal(self, target: Any) -> None:
        from screens.reveal import FIELDS_TARGET

        if target.value == FIELDS_TARGET:
            self.revealed_fields = self.revealed_fields | set(target.fields)
            self.load()
        else:
            self.query_one(Timeline).reveal(target.value)

    def on_screen_suspend(self) -> None:
        """Another screen (not a dialog over this one) was opened: the reveals are forgotten."""
        from textual.screen import ModalScreen

        if not isinstance(self.app.screen, ModalScreen):
            self.query_one(Timeline).forget_reveals()
            if self.revealed_fields:
                self.revealed_fields = frozenset()
                self.load()

    # --- actions (the incident and item ones: screens/actions.py) ---------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "timeline_filter":
            return self.details_visible()
        return self.actions_apply(action)

    def subject(self) -> Subject | None:
        if self.row is None:
            return None
        r = self.row
        return Subject(self.incident, r.severity, r.status, r.roles.get("commander"), self.details_visible(),
                       r.participants, Access.of_row(r), self.floor)  # fmt: skip

    @on(DataTable.RowSelected, "#checklist")
    def _item_chosen(self, _: DataTable.RowSelected) -> None:
        self.action_item_state()

    def action_timeline_filter(self) -> None:
        name = self.query_one(Timeline).cycle_filter()
        self.query_one("#timeline-box").border_title = Text(f"Timeline · {name}")
