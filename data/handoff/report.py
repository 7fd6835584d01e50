"""The shift-handoff report, built from the store (pure data: no Textual).

What the outgoing incident commander hands to the incoming one (``docs/handoff.md``):
the header (who, where, when), every open clock due before the end of the next shift,
each active incident with what changed this shift and its open items, the watch list,
the journal's health, and the team's load. :func:`to_markdown` and :func:`to_json` render
it for a document, a chat or a script.

Need-to-know holds here as on the screens: for a restricted incident in which the actor
holds no role and is not a participant, no title, event text or item text is put in the
report (``None``).
Everything else from the journal is untrusted: :func:`to_markdown` writes control
characters as visible escapes (``\\x1b``; kept inside ``data.privacy.text.raw_controls()``, a
``--raw-text`` report) and escapes what Markdown would read as syntax, so it stays literal.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from data.care.wellbeing import SENSITIVE, Exposure, label
from data.engine.clock import utc_text
from data.engine.lazy import lazy
from data.engine.models import TERMINAL_STATUSES, read_handoff_extension
from data.incidents.describe import describe
from data.incidents.views import (
    IncidentRow,
    SyncState,
    load_holds,
    load_snapshot,
    parse_time,
    pending_handoffs,
)
from data.privacy.text import clean, escaping
from data.procedures.clocks import Policy, clock_state
from data.procedures.holds import ending_soon
from data.roster.rotation import ALL, OnCall, Override, Rotation, holder, on_call, regions, successor, zone
from data.triage.signals import SignalRow

if TYPE_CHECKING:
    from data.care import exposure as _exposure
    from data.engine.store import Store
    from data.incidents import queries as incident_queries
    from data.incidents.queries import HandoffRow, IncidentEventRow, ItemRow, RoleRow
    from data.roster import queries as roster_queries
    from data.roster.queries import PersonRow
else:  # (SQLAlchemy: imported when first used, after the console's first paint)
    _exposure = lazy("data.care.exposure")
    incident_queries = lazy("data.incidents.queries")
    roster_queries = lazy("data.roster.queries")

#: the sustainable pace (domain notes): about two incidents per 12-hour shift
GUIDELINE_INCIDENTS = 2
GUIDELINE_HOURS = 12
#: the rule the team's load is held to, as the report says it
LOAD_RULE = (
    f"incidents each person was commander of at any moment of this shift; more than "
    f"{GUIDELINE_INCIDENTS} per {GUIDELINE_HOURS} h, scaled to the shift's length, is above the guideline"
)
#: statuses of an incident no longer being worked (its commander's load ends there)
SETTLED = TERMINAL_STATUSES | {"resolved"}
#: the default length of a shift when the roster does not say
DEFAULT_SHIFT = timedelta(hours=12)
#: how many of an incident's changes this shift are written out (the rest are counted)
LAST_CHANGES = 3
#: open checklist states (an item still to do)
OPEN_ITEM_STATES = ("open", "blocked")

_TITLE = 200  # characters of untrusted text kept per line in the Markdown
_TEXT = 300


class HandoffError(ValueError):
    """A report that cannot be built as asked (an unknown region); one line."""


@dataclass(frozen=True)
class Person:
    handle: str | None
    name: str | None = None


@dataclass(frozen=True)
class TimeCritical:
    due: datetime
    state: str  # clock_state: ok, at_risk, overdue
    incident: str
    severity: int
    kind: str  # item, ack, update
    what: str | None  # None: withheld (a restricted incident's item)
    team: str | None
    #: the clock's identity (``incident/kind/name``, :attr:`data.procedures.clocks.Clock.key`): unique
    #: in a report whatever is withheld, so the screen keys its rows by it
    key: str = ""


@dataclass(frozen=True)
class Change:
    seq: int
    ts: datetime | None
    actor: str
    type: str
    text: str | None  # None: withheld


@dataclass(frozen=True)
class OpenItem:
    item: str
    text: str | None  # None: withheld
    team: str
    state: str
    due: datetime | None


@dataclass(frozen=True)
class Assessment:
    """What the outgoing commander says of one incident: its trend, a one-line summary,
    and if/then contingencies (the ``incidents`` extension of ``handoff.submitted``)."""

    trend: str = "stable"  # stable, watch, unstable
    summary: str = ""
    contingencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draft:
    """A handoff being written: the assessments by incident and the free notes."""

    assessments: dict[str, Assessment] = field(default_factory=dict)
    notes: str = ""


@dataclass(frozen=True)
class Submission:
    """A handoff submitted and not yet acknowledged: what the incoming commander reviews."""

    handoff: str
    from_person: str | None
    to_person: str | None
    submitted_by: str | None
    submitted_at: datetime | None
    notes: str
    assessments: dict[str, Assessment]


@dataclass(frozen=True)
class IncidentReport:
    id: str
    severity: int
    status: str
    commander: str | None
    title: str | None  # None: restricted and the actor holds no role
    restricted: bool
    changes: int  # applied events this shift
    last_changes: tuple[Change, ...]  # the last few, in journal order
    open_items: tuple[OpenItem, ...]
    assessment: Assessment | None = None  # None: the outgoing commander has not said


@dataclass(frozen=True)
class WatchItem:
    id: str
    title: str | None
    status: str


@dataclass(frozen=True)
class External:
    """An obligation to someone outside, due within :data:`EXTERNAL_WITHIN` (or past due):
    a preservation hold that ends, an order or notice whose clock runs (domain notes,
    handoff section 5)."""

    kind: str  # "hold" or "order"
    incident: str
    due: datetime
    state: str  # clock_state
    what: str | None  # None: withheld (a restricted incident)
    ref: str | None  # None: withheld or none
    basis: str | None


#: the handoff's external state lists what is due within this (domain notes: holds 7 days)
EXTERNAL_WITHIN = timedelta(days=7)
#: the triggers whose clocks are "orders" in the external state
ORDER_TRIGGERS = ("order_received", "notice_received", "preservation_requested")


@dataclass(frozen=True)
class ShiftDecision:
    """A decision recorded this shift (docs/decisions.md): its text and basis None when
    withheld (a restricted incident the reader may not see)."""

    incident: str
    decision: str
    ts: datetime
    text: str | None
    approvers: tuple[tuple[str, str], ...]  # (person, role)
    basis: str | None
    reversible: bool
    supersedes: str | None
    superseded_by: str | None


@dataclass(frozen=True)
class Health:
    quarantined: int
    chain_breaks: int
    first_break: tuple[int, str] | None  # (line, reason)


@dataclass(frozen=True)
class Load:
    person: str
    commanded: int  # distinct incidents they were commander of at some moment this shift
    over: bool  # above the guideline for the shift's length


@dataclass(frozen=True)
class SignalBrief:
    """One signal the next shift must know of (docs/intake.md): ``at`` is when it was
    received (urgent ones) or when its snooze ends (returning ones)."""

    signal: str
    channel: str
    title: str
    at: datetime | None


@dataclass(frozen=True)
class Intake:
    """The signals in the handoff (docs/handoff.md): how many wait and since when, the urgent
    ones waiting, the snoozed ones that come back before the next shift ends, and what
    triage did this shift (outcome -> count)."""

    waiting: int = 0
    oldest: datetime | None = None
    urgent: tuple[SignalBrief, ...] = ()
    returning: tuple[SignalBrief, ...] = ()
    triaged: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class HandoffReport:
    region: str  # a region, or "all"
    tz: str  # the region's zone (its rotation's), else UTC
    rotation: str | None  # the rotation the people come from
    outgoing: Person
    incoming: Person
    generated_at: datetime  # now, UTC
    shift_start: datetime  # the last acknowledged handoff of the region, else now - 12 h
    since_handoff: str | None  # the id of that handoff
    next_shift_start: datetime | None  # when the incoming person takes over (None: unknown)
    next_shift_end: datetime  # the end of the incoming person's shift, else now + 12 h
    time_critical: tuple[TimeCritical, ...]
    incidents: tuple[IncidentReport, ...]
    watch: tuple[WatchItem, ...]
    health: Health
    team: tuple[Load, ...]
    guideline: float  # incidents commanded per person for a shift of this length
    #: holds ending and orders due within 7 days (past due too), by due time
    external: tuple[External, ...] = ()
    pending: Submission | None = None  # the region's handoff awaiting acknowledgement
    notes: str = ""  # the outgoing commander's notes (the draft's, else the pending one's)
    #: the reader's own exposure to sensitive categories this shift (numbers only; the
    #: local store's exposure counters, data/care/wellbeing.py); None: not asked for
    wellbeing: Exposure | None = None
    #: the trends the region's last acknowledged handoff gave, by incident: what a new
    #: draft starts from (its summaries and contingencies were for that shift)
    carried: dict[str, Assessment] = field(default_factory=dict)
    #: the decisions recorded this shift, in journal order (docs/decisions.md)
    decisions: tuple[ShiftDecision, ...] = ()
    #: the signals waiting for triage and what triage did this shift (docs/intake.md)
    intake: Intake = field(default_factory=Intake)


# --- building --------------------------------------------------------------------------


async def intake_state(
    store: Store,
    open_signals: Sequence[SignalRow],
    urgent: Sequence[Any],
    since: datetime,
    now: datetime,
    until: datetime,
) -> Intake:
    """The signals section: of ``open_signals`` (untriaged or snoozed), those waiting at
    ``now`` and the urgent ones among them, the snoozed ones back before ``until``; and the
    outcomes of the signals triaged from ``since`` to ``now`` (their latest triage)."""
    from data.triage.queue import is_urgent
    from data.triage.signals import triaged_between, waiting

    shown = waiting(open_signals, now)
    times = [r.received_at for r in shown if r.received_at is not None]
    flagged = tuple(
        SignalBrief(r.signal, r.channel, r.title, r.received_at) for r in shown if is_urgent(r, urgent)
    )
    back = sorted(
        (r for r in open_signals if r.status == "snoozed" and r.until is not None and now < r.until <= until),
        key=lambda r: (r.until, r.signal),
    )
    counts: dict[str, int] = {}
    for outcome in await triaged_between(store, since, now):
        counts[outcome] = counts.get(outcome, 0) + 1
    return Intake(
        waiting=len(shown), oldest=min(times) if times else None, urgent=flagged,
        returning=tuple(SignalBrief(r.signal, r.channel, r.title, r.until) for r in back),
        triaged=tuple(sorted(counts.items())),
    )  # fmt: skip


def _pick_rotation(
    rotations: Iterable[Rotation], region: str, actor: str, held: Collection[str] = ()
) -> Rotation | None:
    """The rotation whose people the report names: of ``region`` (any for ``all``), the
    actor's own first, else the first one; among those, one that has someone on call now
    (``held``: their names) first."""
    chosen = [r for r in rotations if region == ALL or r.region == region]
    mine = [r for r in chosen if actor in r.members]
    pool = sorted(mine or chosen, key=lambda r: r.rotation not in held)
    return pool[0] if pool else None


def _ack_time(row: HandoffRow) -> datetime | None:
    return parse_time(row.acknowledged_at)


def _last_acknowledged(handoffs: Sequence[HandoffRow], region: str, now: datetime) -> HandoffRow | None:
    """The last acknowledged handoff of ``region`` (for ``all``: those without a region)
    at or before ``now``."""
    want = None if region == ALL else region
    best: HandoffRow | None = None
    for h in handoffs:
        at = _ack_time(h)
        if at is None or at > now or h.region != want:
            continue
        if best is None or (h.acknowledged_seq or 0) > (best.acknowledged_seq or 0):
            best = h
    return best


def current_shift(handoffs: Sequence[HandoffRow], region: str, now: datetime) -> datetime | None:
    """When this shift of ``region`` began: the acknowledgement of its last acknowledged
    handoff (None: there is none, and the shift is the last 12 hours)."""
    last = _last_acknowledged(handoffs, region, now)
    return _ack_time(last) if last is not None else None


def home_region(rotations: Iterable[Rotation], actor: str) -> str:
    """The region of the first rotation the actor belongs to, else ``all``."""
    mine = next((r for r in rotations if actor in r.members), None)
    return mine.region if mine is not None else ALL


def assessments_of(data: dict[str, Any] | None) -> dict[str, Assessment]:
    """The assessments a ``handoff.submitted`` carries (its well-formed entries)."""
    ext = read_handoff_extension(data)
    return {
        e.incident: Assessment(e.trend, e.summary or "", tuple(e.contingencies or ()))
        for e in ext.incidents or ()
    }


async def pending_submission(store: Store, region: str) -> Submission | None:
    """The handoff of ``region`` awaiting acknowledgement (for ``all``: the one for every
    region), with what it says."""
    want = None if region == ALL else region
    found = next(
        (p for p in reversed(pending_handoffs(await incident_queries.handoffs(store))) if p.region == want),
        None,
    )
    if found is None:
        return None
    data = await incident_queries.event_data(store, found.submitted_seq) or {}
    notes = data.get("notes")
    return Submission(
        handoff=found.handoff,
        from_person=found.from_person,
        to_person=found.to_person,
        submitted_by=found.submitted_by,
        submitted_at=found.submitted_at,
        notes=notes if isinstance(notes, str) else "",
        assessments=assessments_of(data),
    )


async def carried_trends(store: Store, last: HandoffRow | None) -> dict[str, Assessment]:
    """The trend of each incident the handoff ``last`` (a row of ``handoffs()``,
    data/incidents/queries.py) assessed, without its summary and contingencies: where a
    new draft starts."""
    seq = last.submitted_seq if last is not None else None
    if seq is None:
        return {}
    return {
        i: Assessment(a.trend)
        for i, a in assessments_of(await incident_queries.event_data(store, seq)).items()
    }


def _names(people: list[PersonRow]) -> dict[str, str]:
    return {p.handle: p.name for p in people}


def _person(handle: str | None, names: dict[str, str]) -> Person:
    return Person(handle, names.get(handle) if handle else None)


async def build_handoff(
    store: Store,
    actor: str,
    region: str | None,
    now: datetime,
    policy: Policy | None = None,
    *,
    draft: Draft | None = None,
    people: tuple[str | None, str | None] | None = None,
    wellbeing: Sequence[str] | None = SENSITIVE,
    urgent: Sequence[Any] = (),
) -> HandoffReport:
    """The handoff report as the store stands (sync it first). ``region`` None: the region
    of the actor's rotation, else ``all``. Raises :class:`HandoffError` for a region no
    rotation belongs to.

    The outgoing commander's assessments and notes come from ``draft`` (a handoff being
    written), else from the region's handoff awaiting acknowledgement. ``people``
    (outgoing, incoming) replaces whom the roster names, where not None. ``wellbeing``:
    the sensitive categories whose exposure of ``actor`` this shift the report counts
    (None: no wellbeing section). ``urgent``: the urgent rules of ``[intake]``."""
    now = now.astimezone(UTC)
    snap = await load_snapshot(store, SyncState(journal=""), policy=policy)
    rotations = snap.rotations
    overrides: list[Override] = list(snap.overrides)
    known = regions(rotations)
    if region is None:
        region = home_region(rotations, actor)
    elif region != ALL and region not in known:
        raise HandoffError(f"no rotation in region {region!r} (regions: {', '.join([*known, ALL])})")

    held = {r.rotation for r in rotations if holder(r, overrides, now)[0] is not None}
    rot = _pick_rotation(rotations, region, actor, held)
    names = _names(await roster_queries.people(store))
    oc: OnCall | None = on_call(rot, overrides, now) if rot is not None else None
    last = _last_acknowledged(await incident_queries.handoffs(store), region, now)
    outgoing = oc.person if oc is not None and oc.person else actor
    # whoever read back the region's last handoff holds the war room, unless the roster
    # has put someone else on call since
    took = last.acknowledged_by if last is not None else None
    at = _ack_time(last) if last is not None else None
    if took and at is not None and (oc is None or oc.since is None or at >= oc.since):
        outgoing = took
    # who takes over when this cover ends: the rotation's next person, else (its day is
    # over) the region that follows the sun
    after = successor(rotations, overrides, oc) if oc is not None and oc.person is not None else None
    incoming = after.person if after is not None else (oc.next_person if oc is not None else None)
    pending = await pending_submission(store, region)
    if pending is not None and draft is None:  # the people of the handoff under review
        outgoing = pending.from_person or outgoing
        incoming = pending.to_person or incoming
    if people is not None:
        outgoing = people[0] or outgoing
        incoming = people[1] or incoming
    next_start = oc.next_at if oc is not None else None
    next_end = now + DEFAULT_SHIFT
    if after is not None and after.person == incoming:
        if next_start is not None and after.since is not None:  # after a gap: when they start
            next_start = max(next_start, after.since)
        if after.until is not None:
            next_end = after.until
    elif rot is not None and next_start is not None and incoming is not None:
        theirs = on_call(rot, overrides, next_start)
        if theirs.until is not None:
            next_end = theirs.until

    if last is not None:
        shift_start = _ack_time(last) or now - DEFAULT_SHIFT
        since_seq: int | None = last.acknowledged_seq
    else:
        shift_start, since_seq = now - DEFAULT_SHIFT, None

    def in_shift(event: IncidentEventRow) -> bool:
        if since_seq is not None:
            return True  # the query took the events after the acknowledgement
        ts = parse_time(event.ts)
        return ts is not None and shift_start <= ts <= now

    if since_seq is not None:
        rows = await incident_queries.incident_events(store, after_seq=since_seq)
    else:
        rows = await incident_queries.incident_events(store, since=shift_start, until=now)
    events = [e for e in rows if in_shift(e)]
    by_incident: dict[str, list[IncidentEventRow]] = {}
    for e in events:
        by_incident.setdefault(e.incident, []).append(e)
    # the data of only the changes written out (the last few of each incident)
    shown = await incident_queries.events_data(
        store, [e.seq for evs in by_incident.values() for e in evs[-LAST_CHANGES:]]
    )

    active = [r for r in snap.incidents if r.status not in TERMINAL_STATUSES]
    critical = sorted(
        (
            TimeCritical(
                c.due,
                clock_state(c, now),
                r.id,
                r.severity,
                c.kind,
                c.label if not c.detail or r.visible_to(actor) else None,
                c.team,
                c.key,
            )
            for r in active
            for c in r.clocks
            if c.closed_at is None and c.due < next_end
        ),
        key=lambda t: (t.severity, t.due, t.incident, t.key),  # the most severe first, then by due time
    )

    checklist: dict[str, list[ItemRow]] = {}
    for item in await incident_queries.checklist(store, states=OPEN_ITEM_STATES):
        checklist.setdefault(item.incident, []).append(item)

    carried = await carried_trends(store, last)
    said = (
        draft.assessments if draft is not None else (pending.assessments if pending is not None else carried)
    )
    reports = tuple(
        _incident(r, actor, by_incident.get(r.id, []), shown, checklist.get(r.id, []), said.get(r.id))
        for r in active
    )
    watch = tuple(
        WatchItem(r.id, r.title if r.visible_to(actor) else None, r.status) for r in active if r.severity == 4
    )

    external = [
        External("hold", h.incident, h.ends, h.state, h.text if h.visible else None,
                 h.ref if h.visible else None, h.basis if h.visible else None)
        for h in ending_soon(await load_holds(store, now, actor), now, EXTERNAL_WITHIN)
    ]  # fmt: skip
    for r in active:
        for c in r.clocks:
            if c.kind != "item" or c.closed_at is not None or c.trigger is None:
                continue
            if c.trigger[0] in ORDER_TRIGGERS and c.due - now <= EXTERNAL_WITHIN:
                sees = r.visible_to(actor)
                external.append(External("order", r.id, c.due, clock_state(c, now), c.label if sees else None,
                                         c.trigger[2] if sees else None, c.basis if sees else None))  # fmt: skip
    external.sort(key=lambda e: (e.due, e.incident))

    breaks = await store.chain_breaks()
    health = Health(
        quarantined=(await store.status()).counters["quarantined"],
        chain_breaks=len(breaks),
        first_break=(breaks[0].line, breaks[0].reason) if breaks else None,
    )

    hours = max((now - shift_start).total_seconds() / 3600, 0.0)
    guideline = GUIDELINE_INCIDENTS * hours / GUIDELINE_HOURS
    # an incident settled (resolved, closed) before the shift has no event in it: its
    # commander was not commanding it this shift
    live = {r.id for r in active if r.status not in SETTLED} | set(by_incident)
    commanded = commanded_in(
        await incident_queries.role_history(store), live, since_seq=since_seq, since=shift_start, until=now
    )
    team = tuple(
        Load(person, len(incs), len(incs) > guideline)
        for person, incs in sorted(commanded.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    )

    return HandoffReport(
        region=region,
        tz=rot.tz if rot is not None else "UTC",
        rotation=rot.rotation if rot is not None else None,
        outgoing=_person(outgoing, names),
        incoming=_person(incoming, names),
        generated_at=now,
        shift_start=shift_start,
        since_handoff=last.handoff if last is not None else None,
        next_shift_start=next_start,
        next_shift_end=next_end,
        time_critical=tuple(critical),
        incidents=reports,
        watch=watch,
        health=health,
        team=team,
        guideline=guideline,
        external=tuple(external),
        pending=pending,
        notes=draft.notes if draft is not None else (pending.notes if pending is not None else ""),
        wellbeing=await _exposure.exposure_for(store, actor, shift_start, now, wellbeing)
        if wellbeing is not None
        else None,
        carried=carried,
        decisions=await shift_decisions(store, actor, since_seq, shift_start, now),
        intake=await intake_state(store, snap.signals, urgent, shift_start, now, next_end),
    )


async def shift_decisions(
    store: Store, actor: str, since_seq: int | None, shift_start: datetime, now: datetime
) -> tuple[ShiftDecision, ...]:
    """The decisions recorded in the handoff's window: after the acknowledgement's line,
    else from ``shift_start`` to ``now``; withheld where ``actor`` may not see the incident."""
    from data.decisions.queries import decisions
    from data.incidents.views import may_see

    if since_seq is not None:
        rows = await decisions(store, after_seq=since_seq)
    else:
        rows = await decisions(store, since=shift_start, until=now)
    hidden = {r.id for r in await store.incidents() if not may_see(r, actor)} if rows else set()
    return tuple(
        ShiftDecision(
            r.incident,
            r.decision,
            r.at,
            None if r.incident in hidden else r.text,
            tuple((a.person, a.role) for a in r.approvers),
            None if r.incident in hidden else r.basis,
            r.reversible,
            r.supersedes,
            r.superseded_by,
        )
        for r in rows
    )


def commanded_in(
    holds: Iterable[RoleRow],
    incidents: Collection[str],
    *,
    since_seq: int | None,
    since: datetime,
    until: datetime,
) -> dict[str, set[str]]:
    """The incidents of ``incidents`` each person was commander of at some moment of the
    shift (from ``role_history``, data/incidents/queries.py): a hold that had not ended
    when the shift began and had begun by its end. The shift begins after line
    ``since_seq`` (its acknowledged handoff), else at ``since``; it ends at ``until``.
    An incident counts once per person, however often they took the role back."""
    out: dict[str, set[str]] = {}
    for h in holds:
        if h.role != "commander" or h.incident not in incidents:
            continue
        if since_seq is not None:
            if h.end_seq is not None and h.end_seq <= since_seq:
                continue  # handed over before the shift began
        else:
            start, end = parse_time(h.start_ts), parse_time(h.end_ts)
            if (end is not None and end <= since) or (start is not None and start > until):
                continue
        out.setdefault(h.person, set()).add(h.incident)
    return out


def _incident(
    row: IncidentRow,
    actor: str,
    events: list[IncidentEventRow],
    data: dict[int, dict[str, Any]],
    items: list[ItemRow],
    assessment: Assessment | None,
) -> IncidentReport:
    visible = row.visible_to(actor)
    if assessment is not None and not visible:  # the trend is not a detail; the text is
        assessment = Assessment(assessment.trend)
    changes = tuple(
        Change(
            e.seq,
            parse_time(e.ts),
            e.actor,
            e.type,
            describe(e.type, data.get(e.seq, {})) if visible else None,
        )
        for e in events[-LAST_CHANGES:]
    )
    open_items = tuple(
        OpenItem(i.item, i.text if visible else None, i.team, i.state, parse_time(i.due)) for i in items
    )
    return IncidentReport(
        id=row.id,
        severity=row.severity,
        status=row.status,
        commander=row.commander,
        title=row.title if visible else None,
        restricted=row.restricted,
        changes=len(events),
        last_changes=changes,
        open_items=open_items,
        assessment=assessment,
    )


# --- JSON ------------------------------------------------------------------------------


def _iso(t: datetime | None) -> str | None:
    return utc_text(t) if t is not None else None


def _local_iso(t: datetime | None, tz: str) -> str | None:
    if t is None:
        return None
    return t.astimezone(zone(tz)).isoformat(timespec="seconds")


def to_json(report: HandoffReport) -> dict[str, Any]:
    """The report as plain JSON types (times in UTC, with the region's local time where
    people read it). Withheld text is ``null``; other text is as the journal holds it."""
    tz = report.tz
    return {
        "region": report.region,
        "tz": tz,
        "rotation": report.rotation,
        "outgoing": {"handle": report.outgoing.handle, "name": report.outgoing.name},
        "incoming": {"handle": report.incoming.handle, "name": report.incoming.name},
        "generated_at": _iso(report.generated_at),
        "generated_local": _local_iso(report.generated_at, tz),
        "shift": {
            "start": _iso(report.shift_start),
            "start_local": _local_iso(report.shift_start, tz),
            "since_handoff": report.since_handoff,
        },
        "next_shift": {
            "start": _iso(report.next_shift_start),
            "end": _iso(report.next_shift_end),
            "end_local": _local_iso(report.next_shift_end, tz),
        },
        "time_critical": [
            {
                "due": _iso(t.due),
                "due_local": _local_iso(t.due, tz),
                "state": t.state,
                "incident": t.incident,
                "severity": t.severity,
                "kind": t.kind,
                "what": t.what,
                "team": t.team,
            }
            for t in report.time_critical
        ],
        "incidents": [
            {
                "id": i.id,
                "severity": i.severity,
                "status": i.status,
                "commander": i.commander,
                "title": i.title,
                "restricted": i.restricted,
                "changes": i.changes,
                "last_changes": [
                    {"seq": c.seq, "ts": _iso(c.ts), "actor": c.actor, "type": c.type, "text": c.text}
                    for c in i.last_changes
                ],
                "open_items": [
                    {"item": o.item, "text": o.text, "team": o.team, "state": o.state, "due": _iso(o.due)}
                    for o in i.open_items
                ],
                "trend": i.assessment.trend if i.assessment else None,
                "summary": (i.assessment.summary or None) if i.assessment and i.title is not None else None,
                "contingencies": list(i.assessment.contingencies) if i.assessment else [],
            }
            for i in report.incidents
        ],
        "notes": report.notes,
        "pending": (
            {
                "handoff": report.pending.handoff,
                "from": report.pending.from_person,
                "to": report.pending.to_person,
                "submitted_by": report.pending.submitted_by,
                "submitted_at": _iso(report.pending.submitted_at),
            }
            if report.pending is not None
            else None
        ),
        "decisions": [
            {
                "incident": d.incident,
                "decision": d.decision,
                "ts": _iso(d.ts),
                "text": d.text,
                "approvers": [{"person": p, "role": r} for p, r in d.approvers],
                "basis": d.basis,
                "reversible": d.reversible,
                "supersedes": d.supersedes,
                "superseded_by": d.superseded_by,
            }
            for d in report.decisions
        ],
        "watch": [{"id": w.id, "title": w.title, "status": w.status} for w in report.watch],
        "intake": {
            "waiting": report.intake.waiting,
            "oldest": _iso(report.intake.oldest),
            "urgent": [_brief_json(b, "received_at") for b in report.intake.urgent],
            "returning": [_brief_json(b, "until") for b in report.intake.returning],
            "triaged": dict(report.intake.triaged),
        },
        "external": [
            {
                "kind": e.kind,
                "incident": e.incident,
                "due": _iso(e.due),
                "state": e.state,
                "what": e.what,
                "ref": e.ref,
                "basis": e.basis,
            }
            for e in report.external
        ],
        "health": {
            "quarantined": report.health.quarantined,
            "chain_breaks": report.health.chain_breaks,
            "first_break": (
                {"line": report.health.first_break[0], "reason": report.health.first_break[1]}
                if report.health.first_break
                else None
            ),
        },
        "team": {
            "rule": LOAD_RULE,
            "guideline": round(report.guideline, 2),
            "people": [{"person": t.person, "commanded": t.commanded, "over": t.over} for t in report.team],
        },
        "wellbeing": _wellbeing_json(report.wellbeing),
    }


def _brief_json(b: SignalBrief, when: str) -> dict[str, Any]:
    return {"signal": b.signal, "channel": b.channel, "title": b.title, when: _iso(b.at)}


def _wellbeing_json(e: Exposure | None) -> dict[str, Any] | None:
    """The reader's exposure this shift: numbers only."""
    if e is None:
        return None
    return {
        "person": e.actor,
        "since": _iso(e.since),
        "incidents": e.incidents,
        "minutes": round(e.seconds / 60, 1),
        "categories": [
            {"category": c.category, "incidents": c.incidents, "minutes": round(c.seconds / 60, 1)}
            for c in e.categories
        ],
    }


# --- Markdown --------------------------------------------------------------------------

# CommonMark lets a backslash escape any ASCII punctuation; these are the characters that
# can start markup inline (emphasis, code, links, images, HTML, entities, tables,
# strikethrough) or a heading. Text is one line (clean()), so no block can start inside it.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&!#])")


def md(value: object, limit: int | None = _TEXT) -> str:
    """Untrusted text as literal Markdown: one line, control characters written as visible
    escapes (``\\x1b``, ``\\u202e``: data.privacy.text.visible_escape; kept as they are inside
    ``data.privacy.text.raw_controls()``), markup characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", clean(value, limit, controls="escape" if escaping() else "keep"))


_MARKS = {"overdue": "OVERDUE", "at_risk": "AT RISK", "ok": "ok"}
TREND_MARKS = {"stable": "stable", "watch": "WATCH", "unstable": "UNSTABLE"}
_WITHHELD = "(restricted)"


def _both(t: datetime | None, tz: str) -> str:
    """``2026-11-22 03:00 UTC (14:00 AEDT)``; the date too when it differs locally."""
    if t is None:
        return "unknown"
    u = t.astimezone(UTC)
    loc = t.astimezone(zone(tz))
    text = u.strftime("%Y-%m-%d %H:%M UTC")
    if tz == "UTC":
        return text
    fmt = "%H:%M %Z" if loc.date() == u.date() else "%Y-%m-%d %H:%M %Z"
    return f"{text} ({loc.strftime(fmt)})"


def _who(p: Person) -> str:
    if p.handle is None:
        return "nobody on the roster"
    return md(p.handle, 64) + (f" ({md(p.name, 100)})" if p.name else "")


def decision_line(d: ShiftDecision) -> str:
    """A decision in one line of Markdown: what, who approved it in what role, the basis,
    whether it can be reversed, what it supersedes and what superseded it."""
    text = md(d.text, _TEXT) if d.text is not None else _WITHHELD
    who = ", ".join(f"{md(p, 64)} ({md(r)})" for p, r in d.approvers)
    parts = [f"approved by {who}"]
    if d.basis:
        parts.append(f"basis {md(d.basis, 200)}")
    parts.append("reversible" if d.reversible else "**irreversible**")
    if d.supersedes:
        parts.append(f"supersedes {md(d.supersedes, 32)}")
    if d.superseded_by:
        parts.append(f"superseded by {md(d.superseded_by, 32)}")
    return f"{text} ({'; '.join(parts)})"


def to_markdown(report: HandoffReport) -> str:
    """The report as a Markdown document, safe to paste whatever the journal holds."""
    tz = report.tz
    out: list[str] = []
    add = out.append
    where = "all regions" if report.region == ALL else md(report.region)
    add(f"# Shift handoff: {where}")
    add("")
    add(f"- **Outgoing:** {_who(report.outgoing)}")
    add(f"- **Incoming:** {_who(report.incoming)}")
    rot = f", rotation {md(report.rotation, 64)}" if report.rotation else ""
    add(f"- **Region:** {where} ({md(tz)}{rot})")
    add(f"- **Time:** {_both(report.generated_at, tz)}")
    since = (
        f"since handoff {md(report.since_handoff, 64)} was acknowledged"
        if report.since_handoff
        else "the last 12 hours (no acknowledged handoff)"
    )
    add(f"- **This shift:** from {_both(report.shift_start, tz)}, {since}")
    add(f"- **Next shift:** until {_both(report.next_shift_end, tz)}")
    if report.pending is not None:
        p = report.pending
        add(
            f"- **Handoff {md(p.handoff, 64)}:** submitted by {md(p.submitted_by or '?', 64)} at "
            f"{_both(p.submitted_at, tz)}, awaiting the read-back of {md(p.to_person or '?', 64)}"
        )
    add("")
    if report.notes.strip():
        add("## Notes from the outgoing commander")
        add("")
        for note in report.notes.strip().splitlines():
            add(md(note, 2000) if note.strip() else "")
        add("")

    add("## Time-critical")
    add("")
    if report.time_critical:
        for t in report.time_critical:
            what = md(t.what, _TITLE) if t.what is not None else _WITHHELD
            team = f" \\[{md(t.team)}\\]" if t.team else ""
            add(
                f"- {_both(t.due, tz)} · **{_MARKS.get(t.state, t.state)}** · {md(t.incident, 64)} "
                f"S{t.severity} · {what}{team}"
            )
    else:
        add("Nothing due before the end of the next shift.")
    add("")

    add(f"## Active incidents ({len(report.incidents)})")
    add("")
    if not report.incidents:
        add("No active incidents.")
        add("")
    for i in report.incidents:
        ic = f" · IC {md(i.commander, 64)}" if i.commander else " · no IC"
        add(f"### {md(i.id, 64)} · S{i.severity} · {md(i.status)}{ic}")
        add("")
        add(md(i.title, _TITLE) if i.title is not None else _WITHHELD)
        add("")
        a = i.assessment
        if a is not None:
            summary = f": {md(a.summary, 500)}" if a.summary else ""
            add(f"- **Trend:** {TREND_MARKS.get(a.trend, md(a.trend))}{summary}")
            for cont in a.contingencies:
                add(f"  - If/then: {md(cont, 2000)}")
        else:
            add("- **Trend:** not assessed")
        if i.changes:
            add(f"- **Changed this shift:** {i.changes} event{'s' if i.changes != 1 else ''}")
            for c in i.last_changes:
                when = c.ts.astimezone(UTC).strftime("%d %b %H:%MZ") if c.ts else "?"
                text = md(c.text, _TEXT) if c.text is not None else md(c.type)
                add(f"  - {when} {md(c.actor, 64)}: {text}")
        else:
            add("- **Changed this shift:** nothing")
        if i.open_items:
            add("- **Open items:**")
            for o in i.open_items:
                text = md(o.text, _TITLE) if o.text is not None else _WITHHELD
                due = f", due {_both(o.due, tz)}" if o.due else ""
                state = " (blocked)" if o.state == "blocked" else ""
                add(f"  - {text}{state}: {md(o.team)}{due}")
        else:
            add("- **Open items:** none")
        add("")

    add(f"## Decisions this shift ({len(report.decisions)})")
    add("")
    for d in report.decisions:
        add(f"- {_both(d.ts, tz)} · {md(d.incident, 64)} {md(d.decision, 32)}: {decision_line(d)}")
    if not report.decisions:
        add("No decision was recorded this shift.")
    add("")

    add("## Watch list")
    add("")
    if report.watch:
        for w in report.watch:
            title = md(w.title, _TITLE) if w.title is not None else _WITHHELD
            add(f"- {md(w.id, 64)} ({md(w.status)}): {title}")
    else:
        add("Nothing on the watch list.")
    add("")

    add("## External state: holds and orders due within 7 days")
    add("")
    if report.external:
        for x in report.external:
            what = md(x.what, _TITLE) if x.what is not None else _WITHHELD
            ref = f" (ref {md(x.ref, 64)})" if x.ref else ""
            word = "ends" if x.kind == "hold" else "due"
            late = " **PAST DUE**" if x.state == "overdue" else ""
            add(f"- {x.kind} {md(x.incident, 64)}{ref}, {word} {_both(x.due, tz)}{late}: {what}")
    else:
        add("No preservation hold ends and no order or notice is due within 7 days.")
    add("")

    intake = report.intake
    add(f"## Signals waiting for triage ({intake.waiting})")
    add("")
    if intake.waiting:
        add(f"- **Oldest:** received {_both(intake.oldest, tz)}")
    for b in intake.urgent:
        add(
            f"- **URGENT** {md(b.signal, 32)} ({md(b.channel, 32)}), received {_both(b.at, tz)}: {md(b.title, _TITLE)}"
        )
    for b in intake.returning:
        add(
            f"- snoozed {md(b.signal, 32)} ({md(b.channel, 32)}) comes back {_both(b.at, tz)}: {md(b.title, _TITLE)}"
        )
    if intake.triaged:
        add("- **Triaged this shift:** " + ", ".join(f"{n} {outcome}" for outcome, n in intake.triaged))
    if not (intake.waiting or intake.returning or intake.triaged):
        add("No signal waits, none comes back from a snooze, and none was triaged this shift.")
    add("")

    add("## Journal health")
    add("")
    h = report.health
    if not h.quarantined and not h.chain_breaks:
        add("No quarantined lines and no chain breaks.")
    else:
        add(f"- **Quarantined lines:** {h.quarantined}")
        if h.first_break is not None:
            line, reason = h.first_break
            add(f"- **Chain breaks:** {h.chain_breaks}, the first at line {line}: {md(reason, _TITLE)}")
        else:
            add("- **Chain breaks:** none")
    add("")

    add("## Team state")
    add("")
    hours = (report.generated_at - report.shift_start).total_seconds() / 3600
    add(
        f"Load: {LOAD_RULE} ({report.guideline:.1f} for this shift of {hours:.1f} h; "
        f"about {GUIDELINE_INCIDENTS} per {GUIDELINE_HOURS} h is a sustainable pace)."
    )
    add("")
    if report.team:
        for load in report.team:
            flag = " · **above the guideline**" if load.over else ""
            n = load.commanded
            add(f"- {md(load.person, 64)}: commanded {n} incident{'s' if n != 1 else ''}{flag}")
    else:
        add("Nobody commanded an incident this shift.")
    e = report.wellbeing
    if e is not None:
        add("")
        add(
            f"**Exposure of {md(e.actor, 64)} this shift** (counts only: incidents opened in detail, minutes on screen):"
        )
        add("")
        for ce in e.categories:
            n = ce.incidents
            add(f"- {md(label(ce.category))}: {n} incident{'s' if n != 1 else ''}, {ce.seconds / 60:.0f} min")
    return "\n".join(out) + "\n"


def submission_data(report: HandoffReport, handoff: str, draft: Draft) -> dict[str, Any]:
    """The ``data`` of the ``handoff.submitted`` that hands ``report`` over: the core
    members (``from``, ``to``, ``region``, ``notes``) and the extension members
    (``shift_start``; ``incidents``, one entry per assessed active incident)."""
    data: dict[str, Any] = {
        "handoff": handoff,
        "from": report.outgoing.handle,
        "to": report.incoming.handle,
        "notes": draft.notes,
        "shift_start": utc_text(report.shift_start),
    }
    if report.region != ALL:
        data["region"] = report.region
    entries = []
    for i in report.incidents:
        a = draft.assessments.get(i.id)
        if a is None:
            continue
        entry: dict[str, Any] = {
            "incident": i.id,
            "trend": a.trend,
            "severity": i.severity,
            "status": i.status,
        }
        if a.summary.strip():
            entry["summary"] = a.summary.strip()
        cont = [c.strip() for c in a.contingencies if c.strip()]
        if cont:
            entry["contingencies"] = cont
        entries.append(entry)
    data["incidents"] = entries
    return data


async def handoff_for(settings: Any, region: str | None, policy: Policy | None = None) -> HandoffReport:
    """What ``warroom handoff`` prints: sync the store with the journal, then build the
    report for ``settings.actor`` at the console clock's now (with the exposure counters
    of the categories ``[wellbeing]`` of the config file names)."""
    from data.care.wellbeing import WellbeingError, wellbeing_of
    from data.engine import clock

    try:
        categories = wellbeing_of(settings.config).categories
    except WellbeingError:
        categories = SENSITIVE
    from data.engine.store import Store

    async with await Store.open(settings.db) as store:
        await store.sync(settings.open_journal())
        return await build_handoff(store, settings.actor, region, clock.now(), policy, wellbeing=categories,
                                   urgent=settings.config.intake.urgent)  # fmt: skip
