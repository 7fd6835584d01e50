"""Frozen view models: what the panes are given to show (no database objects, no Textual).

Built from the store by :func:`load_snapshot`; pure functions format times and clocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from data.engine.access import Access
from data.engine.lazy import lazy
from data.engine.models import TERMINAL_STATUSES, utc_time
from data.incidents.describe import describe
from data.incidents.links import LinkRow, by_incident, merged_into, parent_of
from data.incidents.links import links as links_of
from data.procedures.clocks import (
    Clock,
    PmPolicy,
    Policy,
    ack_clock,
    clock_state,
    floor_clock,
    item_clock,
    meeting_clock,
    nearest,
    t0_of,
    update_clock,
)
from data.procedures.holds import HoldRow, hold_rows
from data.roster.people import People
from data.roster.rotation import Override, Rotation
from data.triage.signals import SignalRow, incident_signal_seqs, incident_signals, open_signals

if TYPE_CHECKING:
    from data.engine.store import IncidentRecord, Store
    from data.incidents import queries
    from data.incidents.queries import EventRow, HandoffRow, ItemRow
    from data.roster import queries as roster_queries
else:  # (SQLAlchemy: imported when first used, after the console's first paint)
    queries = lazy("data.incidents.queries")
    roster_queries = lazy("data.roster.queries")

#: (the name the views and the handoff use) the same few thousand times are read back at
#: every snapshot (each incident's and item's): parsed once (a datetime is immutable)
parse_time = lru_cache(maxsize=1 << 15)(utc_time)


@dataclass(frozen=True)
class IncidentRow:
    id: str
    severity: int
    title: str
    category: str
    status: str
    commander: str | None
    opened_at: datetime | None
    restricted: bool
    regions: tuple[str, ...]
    last_seq: int
    roles: tuple[tuple[str, str], ...] = ()  # (role, person)
    #: its response clocks (acknowledge, stakeholder updates) and its open item clocks
    clocks: tuple[Clock, ...] = ()
    next_clock: Clock | None = None  # the open clock due first (None once it is settled)
    #: who may see its details besides the role holders (``incident.participant_added``)
    participants: tuple[str, ...] = ()
    #: those of its role holders and participants who are not in the roster (none when the
    #: journal has no roster): shown marked, "not in the roster" (data/roster/people.py)
    unlisted: tuple[str, ...] = ()
    #: an open legal clock of 24 h or less while it is below severity 1: the console says
    #: so and offers the raise (data/procedures/clocks.py ``floor_clock``)
    floor: Clock | None = None
    #: the last page while it is unacknowledged (docs/escalation.md): (who, when)
    paged: tuple[str | None, datetime] | None = None
    #: the line of the latest triage that put a signal into it (its timeline shows the
    #: signal; its own ``last_seq`` does not move): docs/intake.md
    signals_seq: int = 0

    @property
    def shown_seq(self) -> int:
        """The last line that changed what its timeline shows (its events, its signals)."""
        return max(self.last_seq, self.signals_seq)

    #: its links to other incidents, each seen from it (docs/links.md)
    links: tuple[LinkRow, ...] = ()

    @property
    def parent(self) -> str | None:
        """The incident it is a child of (the queue shows it under it), or None."""
        return parent_of(self.links)

    @property
    def next_due(self) -> datetime | None:
        return self.next_clock.due if self.next_clock is not None else None

    @property
    def incident_clocks(self) -> tuple[Clock, ...]:
        """The clocks that are not checklist items (acknowledge, stakeholder updates)."""
        return tuple(c for c in self.clocks if c.kind not in ("item", "hold"))

    @property
    def active(self) -> bool:
        return self.status not in TERMINAL_STATUSES

    def holds_role(self, person: str) -> bool:
        return any(p == person for _, p in self.roles)

    @property
    def access(self) -> Access:
        return Access.of(self.id, self.restricted, (p for _, p in self.roles), self.participants)

    def visible_to(self, person: str) -> bool:
        """Whether ``person`` may see its details (need-to-know: a role in it, or listed as
        a participant; data/engine/access.py)."""
        return not self.restricted or self.access.sees(person)


@dataclass(frozen=True)
class TreeMark:
    """Where a queue row stands among linked incidents (docs/links.md): ``depth`` 0 at the
    top level; ``children`` how many of the rows shown are its children; ``open`` whether
    they are shown under it (folded by default)."""

    depth: int = 0
    children: int = 0
    open: bool = False
    #: folded: the highest severity (lowest number) among the incidents hidden under it, when
    #: higher than its own (the queue says so: a folded S1 must not go unseen)
    hidden_severity: int | None = None


def nest(
    rows: Sequence[IncidentRow], unfolded: frozenset[str] | set[str] = frozenset(), fold: bool = True
) -> tuple[tuple[IncidentRow, ...], dict[str, TreeMark]]:
    """The queue's rows with each child under its parent (both among ``rows``, in their
    order), the children of a parent not in ``unfolded`` left out (``fold`` False: none
    are). A child whose parent is not among ``rows`` (filtered out, closed) is at the top
    level. Returns the rows to show and a mark for each."""
    ids = {r.id for r in rows}
    kids: dict[str, list[IncidentRow]] = {}
    top: list[IncidentRow] = []
    for r in rows:
        parent = r.parent
        if parent is not None and parent in ids and parent != r.id:
            kids.setdefault(parent, []).append(r)
        else:
            top.append(r)
    out: list[IncidentRow] = []
    marks: dict[str, TreeMark] = {}
    placed: set[str] = set()

    def under(r: IncidentRow, seen: set[str]) -> list[IncidentRow]:
        """Every incident under ``r`` not placed yet (its children, theirs, …)."""
        out = []
        for c in kids.get(r.id, []):
            if c.id not in placed and c.id not in seen:
                seen.add(c.id)
                out += [c, *under(c, seen)]
        return out

    def place(r: IncidentRow, depth: int) -> None:
        placed.add(r.id)
        children = [c for c in kids.get(r.id, []) if c.id not in placed]
        shown = not fold or r.id in unfolded
        out.append(r)
        hidden = [] if shown else under(r, {r.id})
        worst = min((c.severity for c in hidden), default=None)
        marks[r.id] = TreeMark(depth, len(children), shown and bool(children),
                               worst if worst is not None and worst < r.severity else None)  # fmt: skip
        if shown:
            for c in children:
                if c.id not in placed:
                    place(c, depth + 1)
        else:
            placed.update(c.id for c in hidden)

    for r in top:
        place(r, 0)
    for r in rows:  # a cycle (written by another tool: warroom refuses them) at the top level
        if r.id not in placed:
            place(r, 0)
    return tuple(out), marks


def may_see(inc: IncidentRecord, person: str) -> bool:
    """:meth:`IncidentRow.visible_to` for a store row of ``incidents`` (``Store.incidents``):
    the one need-to-know rule of the screens, the reports and the exports (data/engine/access.py)."""
    return not inc.restricted or Access.of_row(inc).sees(person)


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows. Empty sets mean "any"."""

    severities: frozenset[int] = frozenset()
    categories: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    mine: bool = False
    text: str = ""
    show_closed: bool = False

    def describe(self) -> str:
        parts = []
        if self.severities:
            parts.append("S" + "/".join(str(s) for s in sorted(self.severities)))
        for values in (self.categories, self.regions, self.statuses):
            if values:
                parts.append(",".join(sorted(values)))
        if self.mine:
            parts.append("mine")
        if self.text:
            parts.append(f"“{self.text}”")
        if self.show_closed:
            parts.append("+closed")
        return " · ".join(parts)

    def apply(self, rows: tuple[IncidentRow, ...], me: str) -> tuple[IncidentRow, ...]:
        needle = self.text.casefold()
        out = []
        for r in rows:
            if not self.show_closed and not r.active:
                continue
            if self.severities and r.severity not in self.severities:
                continue
            if self.categories and r.category not in self.categories:
                continue
            if self.regions and not self.regions.intersection(r.regions):
                continue
            if self.statuses and r.status not in self.statuses:
                continue
            if self.mine and not r.holds_role(me):
                continue
            if needle:
                hay = [r.id, r.category, r.status, r.commander or ""]
                if r.visible_to(me):
                    hay.append(r.title)
                if not any(needle in h.casefold() for h in hay):
                    continue
            out.append(r)
        return tuple(out)


@dataclass(frozen=True)
class ChecklistRow:
    item: str
    text: str
    team: str
    state: str
    due: datetime | None
    note: str | None
    state_by: str | None
    state_at: datetime | None
    basis: str | None
    added_at: datetime | None = None
    template: str | None = None
    #: what started its clock: (trigger kind, RFC 3339 ``at``, ``ref``); None: T0
    trigger: tuple[str, str, str | None] | None = None
    hold: bool = False  # a preservation hold: ``due`` is when it ends

    def clock(self, incident: str) -> Clock | None:
        return item_clock(incident, self.item, self.text, self.due, self.added_at, self.state, self.state_at,
                          self.team, self.basis, self.trigger, self.hold)  # fmt: skip


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    ts: datetime | None
    ts_text: str
    actor: str
    type: str
    text: str
    pinned: bool
    ref: str | None = None  # an external reference (report number, case id) of an action
    kind: str | None = None
    id: str = ""  # the event's id (an audit.reveal names it)
    template: str | None = None  # a checklist item's procedure (``checklist.added`` ``template``)
    #: the incident merged into this one that the entry is from (None: its own; docs/links.md)
    origin: str | None = None


@dataclass(frozen=True)
class EntryRun:
    """Checklist items added together (the procedure's items when an incident opens, or
    when a change of severity calls for more): the timeline shows them as one entry that
    expands. See :func:`group_runs`."""

    entries: tuple[TimelineEntry, ...]

    @property
    def key(self) -> str:
        """What names the run while it is shown (its first event)."""
        first = self.entries[0]
        return first.id or f"seq:{first.seq}"

    @property
    def template(self) -> str | None:
        return self.entries[0].template

    @property
    def text(self) -> str:
        n = len(self.entries)
        what = f"Procedure {self.template}" if self.template else "Checklist"
        return f"{what}: {n} items added"


#: the fewest consecutive ``checklist.added`` of one batch that read as one entry
RUN_MIN = 2


def same_batch(a: TimelineEntry, b: TimelineEntry) -> bool:
    """Whether ``b``, right after ``a``, was added with it: both ``checklist.added``, by the
    same actor, in the same second, from the same procedure (or none)."""
    return (
        a.type == b.type == "checklist.added"
        and a.actor == b.actor
        and a.template == b.template
        and a.origin == b.origin
        and _second(a) == _second(b)
    )


def _second(e: TimelineEntry) -> object:
    return e.ts.replace(microsecond=0) if e.ts is not None else e.ts_text


def group_runs(entries: tuple[TimelineEntry, ...] | list[TimelineEntry]) -> list[TimelineEntry | EntryRun]:
    """``entries`` (in journal order) with every run of at least ``RUN_MIN`` consecutive
    checklist items added together (:func:`same_batch`) as one :class:`EntryRun`."""
    out: list[TimelineEntry | EntryRun] = []
    run: list[TimelineEntry] = []

    def flush() -> None:
        if len(run) >= RUN_MIN:
            out.append(EntryRun(tuple(run)))
        else:
            out.extend(run)
        run.clear()

    for e in entries:
        if run and not same_batch(run[-1], e):
            flush()
        if e.type == "checklist.added":
            run.append(e)
        else:
            out.append(e)
    flush()
    return out


@dataclass(frozen=True)
class SyncState:
    """How current the console's picture is."""

    journal: str
    line: int = 0
    synced_at: float | None = None  # wall clock of the last good sync
    quarantined: int = 0
    chain_breaks: int = 0
    first_break: int | None = None
    error: str | None = None  # why the last sync failed (the data on screen is stale)
    progress: tuple[int, int] | None = None  # bytes done, bytes to do, while catching up
    queued: int = 0  # actions waiting in the outbox (data/engine/outbox.py) for the journal
    refused: int = 0  # queued actions the journal refused (kept in the outbox, shown on !)
    #: a first screen read from the cache (data/incidents/first_screen.py): when it was written
    cached_at: float | None = None


@dataclass(frozen=True)
class PendingHandoff:
    """A handoff submitted and not yet acknowledged (the latest of its region: an earlier
    one still pending is superseded by it)."""

    handoff: str
    region: str | None  # None: for every region
    from_person: str | None
    to_person: str | None
    submitted_by: str | None
    submitted_at: datetime | None
    submitted_seq: int


def pending_handoffs(rows: Sequence[HandoffRow]) -> tuple[PendingHandoff, ...]:
    """From the store's handoff rows: per region, the latest submission, if it has not
    been acknowledged; in journal order."""
    latest: dict[str | None, tuple[int, HandoffRow]] = {}
    for h in rows:
        seq = h.submitted_seq
        if seq is None:
            continue  # an acknowledgement of a handoff never submitted
        best = latest.get(h.region)
        if best is None or seq > best[0]:
            latest[h.region] = (seq, h)
    out = [
        PendingHandoff(
            h.handoff,
            h.region,
            h.from_person,
            h.to_person,
            h.submitted_by,
            parse_time(h.submitted_at),
            seq,
        )
        for seq, h in latest.values()
        if h.acknowledged_seq is None
    ]
    return tuple(sorted(out, key=lambda p: p.submitted_seq))


@dataclass(frozen=True)
class Snapshot:
    incidents: tuple[IncidentRow, ...] = ()
    sync: SyncState = field(default_factory=lambda: SyncState(journal=""))
    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()
    people: tuple[tuple[str, str, str], ...] = ()  # (handle, name, tz)
    pending: tuple[PendingHandoff, ...] = ()  # handoffs submitted, not yet acknowledged
    #: the signals untriaged or snoozed (data/triage/signals.py ``waiting`` says which wait now)
    signals: tuple[SignalRow, ...] = ()

    def pending_for(self, region: str, actor: str | None = None) -> tuple[PendingHandoff, ...]:
        """The pending handoffs a console of ``region`` shows: its region's, those for
        every region (a console of no region, ``all``, shows every one), and those
        addressed to ``actor``, whatever their region (the incoming commander of another
        region's handoff)."""
        return tuple(
            p for p in self.pending
            if region == "all" or p.region in (None, region) or (actor is not None and p.to_person == actor)
        )  # fmt: skip

    def person_tz(self, handle: str, default: str) -> str:
        for h, _, tz in self.people:
            if h == handle:
                return tz
        return default


def incident_clocks(inc: IncidentRecord, items: Sequence[ItemRow], policy: Policy) -> tuple[Clock, ...]:
    """An incident's clocks from its store row and its open due items: the acknowledgement
    target, the stakeholder-update cadence (severity 1–2, until resolved) and the items."""
    out: list[Clock] = []
    t0 = t0_of(parse_time(inc.detected_at), parse_time(inc.opened_at))
    active = inc.status not in TERMINAL_STATUSES
    if t0 is not None:
        # held to the target of its severity when acknowledged (a later change does not
        # make an acknowledgement late); until then, of its current severity
        severity = inc.acknowledged_severity or inc.severity
        out.append(ack_clock(inc.id, severity, t0, parse_time(inc.acknowledged_at), policy))
        if active and inc.status != "resolved":
            update = update_clock(inc.id, inc.severity, t0, parse_time(inc.last_update_at), policy)
            if update is not None:
                out.append(update)
    for item in items:
        c = item_clock(inc.id, item.item, item.text, parse_time(item.due), parse_time(item.added_at),
                       item.state, None, item.team, item.basis, trigger_of(item), item.hold)  # fmt: skip
        if c is not None:
            out.append(c)
    return tuple(out)


#: each incident's clocks as last made, by what they are made from: a snapshot makes again
#: only those of the incidents that changed (the clocks of 500 incidents were a third of a
#: snapshot's time). The key holds every field of the record :func:`incident_clocks` reads.
_CLOCKS: dict[tuple[object, ...], tuple[Policy, tuple[Clock, ...]]] = {}
_CLOCKS_KEPT = 1 << 13


def _clocks_of(inc: IncidentRecord, items: Sequence[ItemRow], policy: Policy) -> tuple[Clock, ...]:
    """:func:`incident_clocks`, kept: the same record, items and policy give the same clocks."""
    key = (inc.id, inc.severity, inc.status, inc.detected_at, inc.opened_at, inc.acknowledged_at,
           inc.acknowledged_severity, inc.last_update_at, *items)  # fmt: skip
    kept = _CLOCKS.get(key)
    if kept is not None and (kept[0] is policy or kept[0] == policy):
        return kept[1]
    clocks = incident_clocks(inc, items, policy)
    if len(_CLOCKS) >= _CLOCKS_KEPT:
        _CLOCKS.clear()
    _CLOCKS[key] = (policy, clocks)
    return clocks


CLOSED_SHOWN = 300  # closed incidents shown on request (the most recent)


async def load_snapshot(
    store: Store,
    sync: SyncState,
    *,
    include_closed: bool = False,
    policy: Policy | None = None,
    pm_policy: PmPolicy | None = None,
) -> Snapshot:
    """The console's view of the store. A resolved incident's clocks include its
    post-mortem meeting clock while the meeting is not held (the meeting has one source:
    ``pm_policy``, ``[postmortem]``). Its reads go through one connection: one state of
    the store."""
    return await store.reading(
        lambda: _load_snapshot(store, sync, include_closed=include_closed, policy=policy, pm_policy=pm_policy)
    )


async def _load_snapshot(
    store: Store,
    sync: SyncState,
    *,
    include_closed: bool,
    policy: Policy | None,
    pm_policy: PmPolicy | None,
) -> Snapshot:
    policy = policy or Policy()
    pm_policy = pm_policy or PmPolicy()
    incidents = await store.incidents(active=True)
    if include_closed:
        incidents += await store.incidents(active=False, limit=CLOSED_SHOWN)
    due: dict[str, list[ItemRow]] = {}
    for item in await queries.open_due_items(store):
        due.setdefault(item.incident, []).append(item)
    people = tuple((p.handle, p.name, p.tz) for p in await roster_queries.people(store))
    roster = People.of_snapshot(people)
    rows = []
    resolved = [inc.id for inc in incidents if inc.status == "resolved"]
    held = await queries.meetings_held(store) if resolved else {}
    paged = await queries.last_pages(store, [inc.id for inc in incidents if inc.acknowledged_at is None])
    signal_seqs = await incident_signal_seqs(store)
    linked = by_incident(await links_of(store))
    for inc in incidents:
        clocks = _clocks_of(inc, due.get(inc.id, []), policy)
        if inc.status == "resolved" and inc.id not in held:
            meeting = meeting_clock(inc.id, inc.severity, parse_time(inc.resolved_at), None, pm_policy)
            if meeting is not None:
                clocks = (*clocks, meeting)
        rows.append(
            IncidentRow(
                id=inc.id,
                severity=inc.severity,
                title=inc.title,
                category=inc.category,
                status=inc.status,
                commander=inc.roles.get("commander"),
                opened_at=parse_time(inc.opened_at),
                restricted=inc.restricted,
                regions=inc.regions,
                last_seq=inc.last_seq,
                roles=tuple(sorted(inc.roles.items())),
                participants=inc.participants,
                unlisted=roster.unlisted([*inc.roles.values(), *inc.participants]),
                clocks=clocks,
                next_clock=nearest(clocks) if inc.status not in TERMINAL_STATUSES else None,
                floor=floor_clock(clocks, inc.severity) if inc.status not in TERMINAL_STATUSES else None,
                paged=_paged(paged.get(inc.id)),
                signals_seq=signal_seqs.get(inc.id, 0),
                links=linked.get(inc.id, ()),
            )
        )
    far = datetime.max.replace(tzinfo=UTC)
    # most urgent first: severity, then the nearest clock, then the oldest
    rows.sort(key=lambda r: (not r.active, r.severity, r.next_due or far, r.opened_at or far))
    rotations = tuple(r.typed() for r in await roster_queries.rotations(store))
    overrides = tuple(o.typed() for o in await roster_queries.overrides(store))
    pending = pending_handoffs(await queries.handoffs(store))
    signals = await open_signals(store)
    return Snapshot(tuple(rows), sync, rotations, overrides, people, pending, signals)


def _paged(last: tuple[str | None, str] | None) -> tuple[str | None, datetime] | None:
    at = parse_time(last[1]) if last is not None else None
    return (last[0], at) if last is not None and at is not None else None


def _items(rows: Sequence[ItemRow]) -> tuple[ChecklistRow, ...]:
    return tuple(
        ChecklistRow(
            item=r.item,
            text=r.text,
            team=r.team,
            state=r.state,
            due=parse_time(r.due),
            note=r.note,
            state_by=r.state_by,
            state_at=parse_time(r.state_at),
            basis=r.basis,
            added_at=parse_time(r.added_at),
            template=r.template,
            trigger=trigger_of(r),
            hold=r.hold,
        )
        for r in rows
    )


def trigger_of(r: ItemRow) -> tuple[str, str, str | None] | None:
    """What started an item's clock, as a clock keeps it."""
    if r.trigger_kind is None or r.trigger_at is None:
        return None
    return (r.trigger_kind, r.trigger_at, r.trigger_ref)


def _entries(rows: Sequence[EventRow], incident: str | None = None) -> tuple[TimelineEntry, ...]:
    """Timeline entries of ``incident``'s events (an entry of another incident merged into it
    is marked with its ``origin``)."""
    out = []
    for e in rows:
        data = e.data if isinstance(e.data, dict) else {}
        action = e.type == "incident.action"
        out.append(
            TimelineEntry(
                seq=e.seq,
                ts=parse_time(e.ts),
                ts_text=e.ts,
                actor=e.actor,
                type=e.type,
                text=describe(e.type, data),
                pinned=bool(data.get("pinned")) if e.type == "incident.note" else False,
                ref=data.get("ref") if action and isinstance(data.get("ref"), str) else None,
                kind=data.get("kind") if action and isinstance(data.get("kind"), str) else None,
                id=e.id or "",
                template=data.get("template")
                if e.type == "checklist.added" and isinstance(data.get("template"), str)
                else None,
                origin=e.incident if incident is not None and e.incident != incident else None,
            )
        )
    return tuple(out)


async def load_checklist(store: Store, incident: str) -> tuple[ChecklistRow, ...]:
    return _items(await queries.checklist(store, incident))


def signal_entry(r: SignalRow) -> TimelineEntry:
    """A signal promoted into or attached to an incident, as an entry of its timeline (at
    the line of the triage; marker SGNL): ``Signal SIG-… from le_portal: title``."""
    ts = r.triaged_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if r.triaged_at is not None else ""
    how = "promoted to this incident" if r.status == "promoted" else "attached"
    return TimelineEntry(
        seq=r.triaged_seq or r.seq, ts=r.triaged_at, ts_text=ts, actor=r.triaged_by or "", type="signal.triaged",
        text=f"Signal {r.signal} from {r.channel}: {r.title} ({how})", pinned=False, ref=r.ref,
    )  # fmt: skip


def _with_signals(
    entries: tuple[TimelineEntry, ...], signals: Sequence[SignalRow], earlier: int
) -> tuple[TimelineEntry, ...]:
    """``entries`` (journal order) with the incident's signals among them, by line; with
    ``earlier`` events not loaded, only the signals from the first entry on."""
    first = entries[0].seq if entries and earlier else 0
    extra = [signal_entry(r) for r in signals if (r.triaged_seq or r.seq) >= first]
    if not extra:
        return entries
    return tuple(sorted((*entries, *extra), key=lambda e: e.seq))


async def merged_shown(store: Store, incident: str, person: str | None) -> list[str]:
    """The incidents merged into ``incident`` whose entries its timeline shows: those
    ``person`` may see (None: every one)."""
    out = []
    for other in await merged_into(store, incident):
        found = await store.incidents(other)
        if found and (person is None or may_see(found[0], person)):
            out.append(other)
    return out


async def load_timeline(
    store: Store, incident: str, limit: int = 500, person: str | None = None
) -> tuple[TimelineEntry, ...]:
    """The timeline of ``incident``, with the entries of the incidents merged into it that
    ``person`` may see, marked (docs/links.md), and the signals put into it (docs/intake.md)."""
    also = await merged_shown(store, incident, person)
    events = await queries.timeline(store, incident, also=also)
    entries = _entries(events[-limit:], incident)
    return _with_signals(entries, await incident_signals(store, incident), len(events) - len(entries))


@dataclass(frozen=True)
class Detail:
    """The selected incident as the main screen shows it."""

    entries: tuple[TimelineEntry, ...]  # the most recent events, in journal order
    earlier: int  # how many events came before them
    items: tuple[ChecklistRow, ...]


async def load_detail(store: Store, incident: str, last: int = 200, person: str | None = None) -> Detail:
    """What the main screen shows of ``incident``: its reads through one connection."""
    return await store.reading(lambda: _load_detail(store, incident, last, person))


async def _load_detail(store: Store, incident: str, last: int, person: str | None) -> Detail:
    also = await merged_shown(store, incident, person)
    events, earlier, items = await queries.detail(store, incident, last, also=also)
    entries = _with_signals(_entries(events, incident), await incident_signals(store, incident), earlier)
    return Detail(entries, earlier, _items(items))


def countdown(due: datetime | None, now: datetime) -> tuple[str, str]:
    """``("12m", "ok")``, ``("OVERDUE 4m", "overdue")``: the text and its urgency."""
    if due is None:
        return "", "none"
    delta = due - now
    secs = int(delta.total_seconds())
    text = span_text(abs(secs))
    if secs < 0:
        return f"OVERDUE {text}", "overdue"
    if secs < 15 * 60:
        return text, "at_risk"
    return text, "ok"


def clock_text(c: Clock | None, now: datetime) -> tuple[str, str]:
    """A clock as the panes show it, and its state: ``("12m", "ok")``, ``("! 12m",
    "at_risk")`` (the mark reads without colour), ``("OVERDUE 4m", "overdue")``,
    ``("met", "met")``, ``("missed", "missed")``; ``("", "none")`` without a clock."""
    if c is None:
        return "", "none"
    state = clock_state(c, now)
    if state in ("met", "missed"):
        return state, state
    secs = int((c.due - now).total_seconds())
    text = span_text(abs(secs))
    if state == "overdue":
        return f"OVERDUE {text}", state
    if state == "at_risk":
        return f"! {text}", state
    return text, state


def age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return ""
    return span_text(max(0, int((now - since).total_seconds())))


def span_text(secs: int) -> str:
    """``45s``, ``12m``, ``3h05m``, ``2d04h``."""
    if secs < 60:
        return f"{secs}s"
    mins = secs // 60
    if mins < 60:
        return f"{mins}m"
    hours, mins = divmod(mins, 60)
    if hours < 48:
        return f"{hours}h{mins:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


async def load_holds(store: Store, now: datetime, person: str | None = None) -> list[HoldRow]:
    """Every preservation hold in the store, closed incidents' too
    (data/procedures/holds.py), each marked whether ``person`` may see its incident's
    details (None: everyone may) and with its incident's severity."""
    items = await queries.holds(store)
    retimed: dict[tuple[str, str], bool] = {}
    seen: dict[str, tuple[bool, int | None]] = {}
    holding = {r.incident for r in items}
    for e in await queries.events_of_types(store, ["checklist.retimed"]) if items else []:
        if e.incident in holding and isinstance(e.data, dict) and isinstance(e.data.get("item"), str):
            retimed[(e.incident, e.data["item"])] = True
    for incident in sorted(holding):
        found = await store.incidents(incident)
        row = found[0] if found else None
        sees = row is None or person is None or may_see(row, person)
        seen[incident] = (sees, row.severity if row is not None else None)
    return [
        replace(h, visible=seen[h.incident][0], severity=seen[h.incident][1])
        for h in hold_rows(items, retimed, now)
    ]
