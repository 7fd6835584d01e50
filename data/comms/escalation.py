"""Escalation: who is paged while an incident stays unacknowledged (docs/escalation.md).

The policy (``[escalation]`` of the config file) is a list of steps per severity, or per
severity and region (``"1/UK"`` wins over ``"1"``). Step 1 is due ``after_minutes`` after
T0 (detection, else opening); each later step ``after_minutes`` after the one before it
was due; the last step repeats every ``repeat_minutes`` until the incident is
acknowledged (a status other than ``new``, or a role given: the ack clock's rule).

:func:`due_pages` is pure: given the incidents, the roster, the policy, the ids of the
pages already in the journal and now, it says which pages are due. :func:`page_pass` does
one pass: each due page is appended to the journal FIRST, as ``page.sent`` under the id
``page:<incident>:<step>:<repeat>``, and only the notifier whose append wrote that line
sends the message (another pager or console that tries the same page finds it in the
journal: it sends nothing). What sending did is then appended as ``page.delivered``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import orjson
from sqlalchemy import select

from data.comms.channels import Delivery, send
from data.engine import schema as S
from data.engine.config import WarroomConfig
from data.engine.models import Draft, PageDelivered, PageSent, utc_time
from data.roster.rotation import Override, Rotation, holder


class EscalationError(ValueError):
    """An ``[escalation]`` section that cannot be used: said for people."""


@dataclass(frozen=True)
class Step:
    after: timedelta
    notify: str  # on_call | rotation:<id> | person:<handle>


@dataclass(frozen=True)
class Policy:
    key: str  # "1" or "1/UK"
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Escalation:
    """The ``[escalation]`` section, read (:func:`escalation_of`)."""

    policies: Mapping[str, Policy] = field(default_factory=dict)
    channel: str | None = None
    people: Mapping[str, str] = field(default_factory=dict)
    repeat: timedelta | None = None

    def policy_for(self, severity: int, regions: Sequence[str]) -> Policy | None:
        """The policy of a severity in the first of ``regions`` that has one, else the
        severity's own, else None (not escalated)."""
        for region in regions:
            found = self.policies.get(f"{severity}/{region}")
            if found is not None:
                return found
        return self.policies.get(str(severity))

    def channel_of(self, person: str | None) -> str | None:
        if person is not None and person in self.people:
            return self.people[person]
        return self.channel


def escalation_of(config: WarroomConfig) -> Escalation:
    """The escalation policy of the config file. Raises EscalationError (naming the file
    and the key) when ``[escalation]`` cannot be used."""
    problem = config.problem("escalation")
    if problem is not None:
        raise EscalationError(problem)
    section = config.escalation
    if section.policies and section.channel is None:
        where = f"{config.file}: " if config.file else ""
        raise EscalationError(f'{where}[escalation] has policies but no channel = "..." to page people on')
    policies = {
        key: Policy(key, tuple(Step(timedelta(minutes=s.after_minutes), s.notify) for s in steps))
        for key, steps in section.policies.items()
    }
    repeat = timedelta(minutes=section.repeat_minutes) if section.repeat_minutes is not None else None
    return Escalation(policies, section.channel, dict(section.people), repeat)


# --- the pure evaluation -----------------------------------------------------------------


class IncidentLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def severity(self) -> int: ...
    @property
    def regions(self) -> tuple[str, ...]: ...
    @property
    def acknowledged_at(self) -> str | None: ...
    @property
    def detected_at(self) -> str | None: ...
    @property
    def opened_at(self) -> str: ...


def page_id(incident: str, step: int, repeat: int) -> str:
    """The deterministic id of a page: one line per (incident, step, repeat), ever."""
    return f"page:{incident}:{step}:{repeat}"


@dataclass(frozen=True)
class Page:
    """A page that is due: who (``person``; None when nobody is on call), on which channel."""

    incident: str
    step: int
    repeat: int
    due: datetime
    policy: str
    notify: str
    person: str | None
    channel: str

    @property
    def id(self) -> str:
        return page_id(self.incident, self.step, self.repeat)


def schedule(
    policy: Policy, t0: datetime, repeat: timedelta | None, now: datetime
) -> list[tuple[int, int, datetime]]:
    """The (step, repeat, due) of ``policy`` due by ``now``: every step due, and of the last
    step's repeats only the latest due (a pager that was down does not send the missed
    repeats all at once)."""
    out: list[tuple[int, int, datetime]] = []
    due = t0
    for n, step in enumerate(policy.steps, start=1):
        due = due + step.after
        if due > now:
            return out
        out.append((n, 0, due))
    if repeat is not None:
        times = int((now - due) / repeat)
        if times > 0:
            out.append((len(policy.steps), times, due + times * repeat))
    return out


def next_due(policy: Policy, t0: datetime, repeat: timedelta | None, now: datetime) -> datetime | None:
    """When the next page of ``policy`` falls due after ``now`` (None: never again)."""
    due = t0
    for step in policy.steps:
        due = due + step.after
        if due > now:
            return due
    if repeat is None:
        return None
    return due + (int((now - due) / repeat) + 1) * repeat


def who(
    notify: str,
    regions: Sequence[str],
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    at: datetime,
) -> str | None:
    """The person a step notifies at ``at``: ``person:<handle>``; ``rotation:<id>``'s
    holder; ``on_call``: the holder of the first rotation (by id) of the incident's first
    region that has someone on call (``global``: of any region). None: nobody."""
    if notify.startswith("person:"):
        return notify.removeprefix("person:")
    if notify.startswith("rotation:"):
        wanted = notify.removeprefix("rotation:")
        for rot in rotations:
            if rot.rotation == wanted:
                return holder(rot, overrides, at)[0]
        return None
    for region in regions:
        mine = sorted(
            (r for r in rotations if region == "global" or r.region == region), key=lambda r: r.rotation
        )
        for rot in mine:
            person = holder(rot, overrides, at)[0]
            if person is not None:
                return person
    return None


def due_pages(
    incidents: Iterable[IncidentLike],
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    escalation: Escalation,
    sent: Iterable[str],
    now: datetime,
) -> list[Page]:
    """The pages due at ``now`` and not in ``sent`` (ids of the pages in the journal), for
    the incidents not acknowledged, soonest first."""
    sent = set(sent)
    out: list[Page] = []
    for inc in incidents:
        if inc.acknowledged_at is not None:
            continue  # acknowledging stops the escalation
        policy = escalation.policy_for(inc.severity, inc.regions)
        t0 = utc_time(inc.detected_at) or utc_time(inc.opened_at)
        if policy is None or t0 is None:
            continue
        for step, repeat, due in schedule(policy, t0, escalation.repeat, now):
            if page_id(inc.id, step, repeat) in sent:
                continue
            notify = policy.steps[step - 1].notify
            person = who(notify, inc.regions, rotations, overrides, now)
            channel = escalation.channel_of(person)
            if channel is None:
                continue  # escalation_of refuses a policy without a channel
            out.append(Page(inc.id, step, repeat, due, policy.key, notify, person, channel))
    out.sort(key=lambda p: (p.due, p.incident, p.step, p.repeat))
    return out


def next_wakeup(incidents: Iterable[IncidentLike], escalation: Escalation, now: datetime) -> datetime | None:
    """When the next page of any unacknowledged incident falls due (None: none will)."""
    times = []
    for inc in incidents:
        if inc.acknowledged_at is not None:
            continue
        policy = escalation.policy_for(inc.severity, inc.regions)
        t0 = utc_time(inc.detected_at) or utc_time(inc.opened_at)
        if policy is not None and t0 is not None:
            due = next_due(policy, t0, escalation.repeat, now)
            if due is not None:
                times.append(due)
    return min(times, default=None)


# --- what the journal says was paged ----------------------------------------------------


@dataclass(frozen=True)
class SentPage:
    """A ``page.sent`` of the journal, with what its ``page.delivered`` said (None: not
    known yet, or never written)."""

    id: str
    incident: str
    ts: str
    actor: str
    step: int
    repeat: int
    notify: str
    person: str | None
    channel: str
    delivered: bool | None = None
    error: str | None = None


async def sent_pages(store: Any, incident: str | None = None) -> list[SentPage]:
    """The pages in the journal (of one incident, or all), in journal order."""
    c = S.events.c
    stmt = select(c.id, c.ts, c.actor, c.type, c.incident, c.raw).where(
        c.type.in_(("page.sent", "page.delivered")), c.applied.is_(True)
    )
    if incident is not None:
        stmt = stmt.where(c.incident == incident)
    pages: dict[str, SentPage] = {}
    outcome: dict[str, tuple[bool, str | None]] = {}
    for eid, ts, actor, etype, inc, raw in await store.read_tuples(stmt.order_by(c.seq)):
        d = orjson.loads(raw).get("data") or {}
        if etype == "page.sent":
            pages[eid] = SentPage(eid, inc, ts, actor, int(d.get("step", 0)), int(d.get("repeat", 0)),
                                  str(d.get("notify", "")), d.get("person"), str(d.get("channel", "")))  # fmt: skip
        else:
            outcome[str(d.get("page"))] = (bool(d.get("ok")), d.get("error"))
    out = []
    for page in pages.values():
        if page.id in outcome:
            ok, error = outcome[page.id]
            page = replace(page, delivered=ok, error=error)
        out.append(page)
    return out


# --- one pass: append first, then send ------------------------------------------------


@dataclass
class PassResult:
    """What one pass did: pages this notifier sent (with what sending did), pages another
    notifier had written first (not sent here), problems for people, and when the next
    page falls due."""

    sent: list[tuple[Page, Delivery]] = field(default_factory=list)
    taken: list[Page] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    next_at: datetime | None = None


Sender = Callable[[WarroomConfig, str, str, str], Awaitable[Delivery]]


def message(page: Page, severity: int) -> tuple[str, str]:
    """The page's title and body. The incident's title is not in it (it may hold user
    identifiers): its id, severity and how long it has waited."""
    who_ = page.person or "on call (nobody is on call)"
    head = f"[warroom] S{severity} {page.incident} unacknowledged"
    body = (
        f"{page.incident} (severity {severity}) is not acknowledged. Paging {who_}: step {page.step}"
        f"{f', repeat {page.repeat}' if page.repeat else ''} of policy {page.policy} ({page.notify}). "
        "Acknowledge it in warroom (take a role or set its status)."
    )
    return head, body


async def page_pass(
    journal: Any,
    store: Any,
    config: WarroomConfig,
    actor: str,
    now: datetime,
    *,
    sender: Sender = send,
) -> PassResult:
    """One pass over the journal: sync, find the due pages, append each (``page.sent``)
    and send it only when this append wrote the line; then append ``page.delivered``.
    Raises EscalationError when ``[escalation]`` cannot be used."""
    from data.commands import AppendRefused, append_to, build_events
    from data.roster import queries as roster

    escalation = escalation_of(config)
    result = PassResult()
    if not escalation.policies:
        return result
    await store.sync(journal)
    incidents = await store.incidents(active=True)
    rotations = [r.typed() for r in await roster.rotations(store)]
    overrides = [o.typed() for o in await roster.overrides(store)]
    sent = {p.id for p in await sent_pages(store)}
    severity = {i.id: i.severity for i in incidents}
    for page in due_pages(incidents, rotations, overrides, escalation, sent, now):
        data = PageSent(step=page.step, repeat=page.repeat, policy=page.policy, notify=page.notify,
                        channel=page.channel, **({"person": page.person} if page.person else {}))  # fmt: skip
        try:
            events = build_events([(page.id, Draft(data, incident=page.incident, id=page.id))], actor)
            appended = await append_to(journal, store, events, [page.id])
        except AppendRefused as exc:
            if any(p.field == ("id",) and "already in the journal" in p.message for p in exc.problems):
                result.taken.append(page)  # another notifier wrote it first: it sends
            else:
                result.problems.append(f"{page.id}: not paged: {exc}")
            continue
        except Exception as exc:  # a journal that cannot be written: said, never swallowed
            result.problems.append(f"{page.id}: not paged: the journal could not be written: {exc}")
            continue
        if page.id in appended.skipped:
            result.taken.append(page)
            continue
        title, body = message(page, severity.get(page.incident, 0))
        delivery = await sender(config, page.channel, title, body)
        result.sent.append((page, delivery))
        outcome = PageDelivered(page=page.id, ok=delivery.ok, **({} if delivery.ok else {"error": (delivery.error or "not sent")[:300]}))  # fmt: skip
        try:
            done = build_events([(page.id, Draft(outcome, incident=page.incident, id=f"{page.id}:d"))], actor)
            await append_to(journal, store, done, [f"{page.id} delivery"])
        except Exception as exc:
            result.problems.append(f"{page.id}: sent ({delivery}), but its outcome was not recorded: {exc}")
    fresh = await store.incidents(active=True)
    result.next_at = next_wakeup(fresh, escalation, now)
    return result


# --- what the console shows (screens/escalation.py) -----------------------------------


@dataclass(frozen=True)
class Planned:
    """A step not paged yet: when it falls due and whom it names."""

    step: int
    due: datetime
    notify: str


@dataclass(frozen=True)
class IncidentEscalation:
    """One incident's escalation: its policy (None: not escalated), the pages sent, the
    steps still to come (none once acknowledged), and why there is no policy if the
    config file's section cannot be used."""

    incident: str
    policy: str | None
    acknowledged_at: str | None
    pages: list[SentPage]
    planned: list[Planned]
    problem: str | None = None


async def incident_escalation(
    store: Any, config: WarroomConfig, incident: str, now: datetime
) -> IncidentEscalation:
    """What the escalation screen shows of ``incident`` (from the store, no sync)."""
    pages = await sent_pages(store, incident)
    found = await store.incidents(incident)
    if not found:
        return IncidentEscalation(incident, None, None, pages, [])
    inc = found[0]
    try:
        escalation = escalation_of(config)
    except EscalationError as exc:
        return IncidentEscalation(incident, None, inc.acknowledged_at, pages, [], str(exc))
    policy = escalation.policy_for(inc.severity, inc.regions)
    t0 = utc_time(inc.detected_at) or utc_time(inc.opened_at)
    planned: list[Planned] = []
    if policy is not None and t0 is not None and inc.acknowledged_at is None:
        sent = {(p.step, p.repeat) for p in pages}
        due = t0
        for n, step in enumerate(policy.steps, start=1):
            due = due + step.after
            if (n, 0) not in sent:
                planned.append(Planned(n, due, step.notify))
        if escalation.repeat is not None:  # the next repeat of the last step (``due``: when it is due)
            again = due + escalation.repeat if due > now else next_due(policy, t0, escalation.repeat, now)
            if again is not None:
                planned.append(Planned(len(policy.steps), again, policy.steps[-1].notify))
    return IncidentEscalation(incident, policy.key if policy else None, inc.acknowledged_at, pages, planned)
