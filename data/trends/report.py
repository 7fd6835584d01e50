"""Trends over weeks: what the war room handled and how fast (pure computation, no Textual).

Fed from the store by :func:`load_input` (one read of incidents, checklists, roles, the
stakeholder updates and severity changes, rotations and overrides); :func:`compute` turns
that into a :class:`Trends` for one window and region. Every number is defined in
docs/trends.md; in short:

- **Weeks** are ISO weeks in UTC, Monday 00:00 to the next Monday 00:00, labelled
  ``2026-W47``. The window is ``[start, end)``; weeks are the ISO weeks it touches, the
  first and last possibly cut by it.
- **Opened**: incidents whose ``opened_at`` (the opening event's ``ts``) falls in the
  window, counted in its week, by category and by the severity they hold now.
- **Time to acknowledge** = ``acknowledged_at − T0`` and **time to resolve** =
  ``resolved_at − T0``, T0 being ``detected_at`` else ``opened_at`` (the acknowledgement
  clock's start), for the incidents opened in the window that have that time (a negative
  difference counts as 0). Grouped by the severity they hold now and by category.
- **Median and 90th percentile** by the nearest-rank method: the values sorted ascending,
  the p-th percentile is the value of rank ``ceil(p/100 × n)`` (1-based). The median is
  the 50th percentile so defined (for an even count, the lower of the two middle values):
  always a time that really happened.
- **Clocks** (data/procedures/clocks.py): ``met`` (closed at or before due), ``missed`` (closed after
  due, or still open past due when its incident settled), ``overdue`` (open and past due
  now, on an incident still active), each counted at the moment it was settled (closed;
  else its due time) when that falls in the window. An open clock not yet due is not
  counted. Closed incidents count. In the screen and the totals, missed includes overdue.
- **On-call load**, per person: hours on call over the window up to now, from every
  rotation of the region (``roster.segments``: overrides win); incidents worked (opened in
  the window, the person held any role in them at any time); of which as commander; and
  incidents worked per 12 hours on call. A handle that is not in the roster (a typo given a
  role) is counted as written and marked ``in_roster: false``, so that it can be seen and
  corrected; with no roster at all, ``in_roster`` is null.
- **Signals** (docs/intake.md): those whose ``received_at`` falls in the window, by channel;
  a repeat (same channel and reference as an earlier signal) is counted apart, not as a
  signal. **Time to triage** = ``first_triaged_at − received_at`` for those triaged (median,
  p90 as above); **promoted** = their latest triage made an incident of them. Signals have
  no region: the same whatever the region filter.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from data.engine.models import CATEGORIES, REGIONS, SIGNAL_CHANNELS
from data.engine.store import IncidentRecord
from data.incidents import queries as incident_queries
from data.incidents.queries import EventRow, ItemRow, RoleRow
from data.incidents.views import parse_time
from data.procedures.clocks import Clock, Policy, ack_clock, item_clock, t0_of
from data.roster import queries as roster_queries
from data.roster.rotation import Override, Rotation, segments

KINDS = ("ack", "update", "item")
SEVERITIES = (1, 2, 3, 4)
WEEK = timedelta(days=7)


_time = parse_time  # the one reading of a stored time (data.incidents.views)


# --- the input ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentFacts:
    id: str
    category: str
    severity: int  # as it is now
    regions: tuple[str, ...]
    status: str
    opened_at: datetime
    t0: datetime  # detected_at, else opened_at
    acknowledged_at: datetime | None = None
    acknowledged_severity: int | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    opening_severity: int | None = None

    @property
    def settled_at(self) -> datetime | None:
        """When it stopped being worked: resolved, else closed (false positive, merged)."""
        return self.resolved_at or self.closed_at


@dataclass(frozen=True)
class ItemFacts:
    incident: str
    item: str
    text: str
    team: str
    due: datetime | None
    added_at: datetime | None
    state: str
    state_at: datetime | None


@dataclass(frozen=True)
class RoleSpell:
    incident: str
    role: str
    person: str


@dataclass(frozen=True)
class SignalFacts:
    signal: str
    channel: str
    received_at: datetime
    status: str  # untriaged, repeat, or the latest outcome
    first_triaged_at: datetime | None = None

    @property
    def repeat(self) -> bool:
        return self.status == "repeat"


@dataclass(frozen=True)
class TrendInput:
    """Everything the trends are computed from (plain values, no database objects)."""

    incidents: tuple[IncidentFacts, ...] = ()
    items: tuple[ItemFacts, ...] = ()
    roles: tuple[RoleSpell, ...] = ()
    #: incident -> times of its ``incident.action`` of kind ``stakeholder_update``, in order
    updates: dict[str, tuple[datetime, ...]] = field(default_factory=dict)
    #: incident -> (time, severity) of its ``incident.severity_set`` events, in order
    severity_changes: dict[str, tuple[tuple[datetime, int], ...]] = field(default_factory=dict)
    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()
    people: frozenset[str] = frozenset()  # the roster's handles (``roster.person``)
    signals: tuple[SignalFacts, ...] = ()

    def first_opened(self) -> datetime | None:
        return min((i.opened_at for i in self.incidents), default=None)


def input_from_rows(
    incidents: Iterable[IncidentRecord],
    items: Iterable[ItemRow] = (),
    roles: Iterable[RoleRow] = (),
    events: Iterable[EventRow] = (),
    rotations: Iterable[Rotation] = (),
    overrides: Iterable[Override] = (),
    people: Iterable[str] = (),
) -> TrendInput:
    """A :class:`TrendInput` from store rows (``Store.incidents``, ``checklist``,
    ``role_history`` of data/incidents/queries.py, ``events_of_types``) and the roster's handles."""
    facts = []
    for r in incidents:
        opened = _time(r.opened_at)
        if opened is None:
            continue
        facts.append(
            IncidentFacts(
                id=r.id, category=r.category, severity=r.severity, regions=r.regions,
                status=r.status, opened_at=opened, t0=t0_of(_time(r.detected_at), opened) or opened,
                acknowledged_at=_time(r.acknowledged_at),
                acknowledged_severity=r.acknowledged_severity,
                resolved_at=_time(r.resolved_at), closed_at=_time(r.closed_at),
            )
        )  # fmt: skip
    its = tuple(
        ItemFacts(
            i.incident,
            i.item,
            i.text,
            i.team,
            _time(i.due),
            _time(i.added_at),
            i.state,
            _time(i.state_at),
        )
        for i in items
    )
    spells = tuple(RoleSpell(r.incident, r.role, r.person) for r in roles)
    updates: dict[str, list[datetime]] = defaultdict(list)
    changes: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    opening: dict[str, int] = {}
    for e in events:
        at = _time(e.ts)
        data = e.data if isinstance(e.data, dict) else {}
        inc = e.incident
        if at is None or inc is None:
            continue
        if e.type == "incident.action" and data.get("kind") == "stakeholder_update":
            updates[inc].append(at)
        elif e.type == "incident.severity_set" and isinstance(data.get("severity"), int):
            changes[inc].append((at, data["severity"]))
        elif e.type == "incident.opened" and isinstance(data.get("severity"), int):
            opening[inc] = data["severity"]
    facts = [
        IncidentFacts(**{**f.__dict__, "opening_severity": opening.get(f.id)}) if f.id in opening else f
        for f in facts
    ]
    return TrendInput(
        tuple(facts), its, spells, {k: tuple(v) for k, v in updates.items()},
        {k: tuple(v) for k, v in changes.items()}, tuple(rotations), tuple(overrides), frozenset(people),
    )  # fmt: skip


async def load_input(store: Any) -> TrendInput:
    """Read what the trends need from the store (a few queries, no journal access)."""
    rows = await store.incidents()
    items = await incident_queries.checklist(store)
    roles = await incident_queries.role_history(store)
    events = await incident_queries.events_of_types(
        store, ("incident.opened", "incident.severity_set", "incident.action")
    )
    rotations = [r.typed() for r in await roster_queries.rotations(store)]
    overrides = [o.typed() for o in await roster_queries.overrides(store)]
    people = [p.handle for p in await roster_queries.people(store)]
    inp = input_from_rows(rows, items, roles, events, rotations, overrides, people)
    return replace(inp, signals=await load_signals(store))


async def load_signals(store: Any) -> tuple[SignalFacts, ...]:
    """Every signal, as the trends count them (a signal whose time cannot be read is left out)."""
    from sqlalchemy import select

    from data.engine import schema as S

    c = S.signals.c
    found: list[Any] = await store.read_tuples(
        select(c.signal, c.channel, c.received_at, c.status, c.first_triaged_at)
    )
    out = []
    for signal, channel, received_at, status, first_triaged_at in found:
        at = _time(received_at)
        if at is not None:
            out.append(SignalFacts(signal, channel, at, status, _time(first_triaged_at)))
    return tuple(out)


# --- the numbers -------------------------------------------------------------------------


def percentile(values: Sequence[float], p: int) -> float | None:
    """The p-th percentile by nearest rank: sorted ascending, the value of rank
    ``ceil(p/100 × n)`` (1-based); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered) / 100))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Stat:
    """A distribution of durations in seconds: how many, median and 90th percentile."""

    n: int = 0
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        return cls(len(values), percentile(values, 50), percentile(values, 90))


@dataclass(frozen=True)
class Lifecycle:
    """Time to acknowledge and to resolve of one group (all, a severity, a category)."""

    group: str  # "all", "severity" or "category"
    key: str  # "", "1".."4", a category
    ack: Stat
    resolve: Stat


@dataclass(frozen=True)
class ClockCount:
    met: int = 0
    missed: int = 0
    overdue: int = 0  # open and past due now, on an active incident

    @property
    def counted(self) -> int:
        return self.met + self.missed + self.overdue

    @property
    def met_share(self) -> float | None:
        return self.met / self.counted if self.counted else None


@dataclass(frozen=True)
class PersonLoad:
    person: str
    on_call_hours: float
    incidents: int  # worked: held any role in it
    as_commander: int
    in_roster: bool | None = None  # None: the journal has no roster to check against

    @property
    def per_12h(self) -> float | None:
        return self.incidents * 12 / self.on_call_hours if self.on_call_hours > 0 else None


@dataclass(frozen=True)
class ChannelSignals:
    """The signals of one channel (or of every channel: ``channel`` "")."""

    channel: str
    received: int = 0
    repeats: int = 0
    promoted: int = 0
    triage: Stat = Stat()

    @property
    def promoted_share(self) -> float | None:
        return self.promoted / self.received if self.received else None


@dataclass(frozen=True)
class Week:
    label: str  # 2026-W47
    monday: date

    @property
    def start(self) -> datetime:
        return datetime(self.monday.year, self.monday.month, self.monday.day, tzinfo=UTC)


@dataclass(frozen=True)
class Trends:
    start: datetime
    end: datetime
    region: str | None
    weeks: tuple[Week, ...]
    #: category -> incidents opened in each week (same order as ``weeks``); every category
    opened: dict[str, tuple[int, ...]]
    opened_total: tuple[int, ...]
    severity_mix: dict[int, int]
    lifecycle: tuple[Lifecycle, ...]
    clocks: dict[str, ClockCount]
    #: kind -> clocks missed or overdue in each week (of the moment they were settled)
    missed_by_week: dict[str, tuple[int, ...]]
    load: tuple[PersonLoad, ...]
    #: every channel's signals (in the order of the channels), and all of them
    signals: tuple[ChannelSignals, ...] = ()
    signals_all: ChannelSignals = ChannelSignals("")

    @property
    def incidents(self) -> int:
        return sum(self.opened_total)

    def lifecycle_of(self, group: str, key: str = "") -> Lifecycle:
        return next(row for row in self.lifecycle if row.group == group and row.key == key)


def week_of(t: datetime) -> Week:
    d = t.astimezone(UTC).date()
    monday = d - timedelta(days=d.weekday())
    year, week, _ = monday.isocalendar()
    return Week(f"{year}-W{week:02d}", monday)


def weeks_between(start: datetime, end: datetime) -> tuple[Week, ...]:
    """The ISO weeks that ``[start, end)`` touches, in order."""
    if end <= start:
        return ()
    out = []
    w = week_of(start)
    while w.start < end:
        out.append(w)
        w = week_of(w.start + WEEK)
    return tuple(out)


def last_weeks(n: int, now: datetime) -> tuple[datetime, datetime]:
    """The window of the last ``n`` ISO weeks: from Monday 00:00 UTC ``n − 1`` weeks before
    this week's, to now (this week is the last, cut at now)."""
    return week_of(now).start - (n - 1) * WEEK, now


#: The longest period a trends report covers: five years of ISO weeks. The default period
#: ("all") starts at the first incident's week, but never further back than this: one line
#: with a mistyped or hostile timestamp (the year 1000, or 1970 from a bot's zero) would
#: otherwise make every report and the trends screen compute centuries of rotations.
MAX_PERIOD_WEEKS = 260


def period_start(inp: TrendInput, now: datetime) -> datetime:
    """Where the default period ("all") starts: the week of the first incident opened (not
    in the future), but at most :data:`MAX_PERIOD_WEEKS` weeks back."""
    floor, _ = last_weeks(MAX_PERIOD_WEEKS, now)
    first = inp.first_opened()
    if first is None or first >= now:
        return week_of(now).start
    return max(week_of(first).start, floor)


def period_problem(start: datetime, end: datetime) -> str | None:
    """Why ``[start, end)`` cannot be a trends period, or None."""
    if end <= start:
        return "the period ends before it starts"
    if end - start > (MAX_PERIOD_WEEKS + 1) * WEEK:
        return f"a trends period is at most {MAX_PERIOD_WEEKS} weeks (five years); give a later --since or an earlier --until"
    return None


def update_clocks(
    inc: IncidentFacts, updates: Sequence[datetime], changes: Sequence[tuple[datetime, int]],
    now: datetime, policy: Policy,
) -> list[Clock]:  # fmt: skip
    """The stakeholder-update clocks an incident was held to, one per update window: while
    its severity was one of the policy's (1–2), the next update was due a cadence after the
    last (or after T0), as data/clocks.update_clock says, until it was resolved. The last
    window is open (``closed_at`` None) unless an update closed it; a window still running
    when the incident settled, and not yet due then, is not a clock."""
    end = inc.settled_at or now
    # the severity it was opened with (unknown: the one it has now)
    severity = inc.opening_severity if inc.opening_severity is not None else inc.severity
    last: datetime | None = None
    urgent = policy.update_severities

    def window() -> tuple[datetime, datetime]:
        since = max(last, inc.t0) if last is not None else inc.t0
        every = policy.update_every if since < inc.t0 + policy.update_early else policy.update_later
        return since, since + every

    current = window() if severity in urgent else None
    points = sorted([(t, 1, 0) for t in updates] + [(t, 0, s) for t, s in changes])
    out: list[Clock] = []
    for t, is_update, value in points:
        if t >= end:
            break
        if is_update:
            if current is not None:
                out.append(Clock(inc.id, "update", f"update-{len(out) + 1}", "Stakeholder update", current[0],
                                 current[1], closed_at=t))  # fmt: skip
            last = t
        else:
            severity = value
        current = window() if severity in urgent else None
    if current is not None and current[1] <= end:
        out.append(
            Clock(inc.id, "update", f"update-{len(out) + 1}", "Stakeholder update", current[0], current[1])
        )
    return out


def _clock_verdict(c: Clock, inc: IncidentFacts, now: datetime) -> str | None:
    """``met``, ``missed``, ``overdue`` or None (not due yet, or moot)."""
    if c.closed_at is not None:
        return "met" if c.closed_at <= c.due else "missed"
    settled = inc.settled_at
    if settled is not None:
        return "missed" if c.due <= settled else None
    return "overdue" if c.due <= now else None


def clocks_of(inp: TrendInput, inc: IncidentFacts, items: Sequence[ItemFacts], now: datetime,
              policy: Policy) -> list[Clock]:  # fmt: skip
    """Every clock the incident was held to: acknowledgement, update windows, items."""
    out = [ack_clock(inc.id, inc.acknowledged_severity or inc.severity, inc.t0, inc.acknowledged_at, policy)]
    out += update_clocks(inc, inp.updates.get(inc.id, ()), inp.severity_changes.get(inc.id, ()), now, policy)
    for it in items:
        c = item_clock(inc.id, it.item, it.text, it.due, it.added_at, it.state, it.state_at, it.team)
        if c is not None:
            out.append(c)
    return out


def _seconds(a: datetime | None, b: datetime) -> float | None:
    return None if a is None else max(0.0, (a - b).total_seconds())


def signal_counts(
    signals: Iterable[SignalFacts], start: datetime, end: datetime
) -> tuple[tuple[ChannelSignals, ...], ChannelSignals]:
    """The signals received in ``[start, end)``, per channel and in all."""
    within = [s for s in signals if start <= s.received_at < end]

    def count(channel: str, group: list[SignalFacts]) -> ChannelSignals:
        firsts = [s for s in group if not s.repeat]
        waits = [w for s in firsts if (w := _seconds(s.first_triaged_at, s.received_at)) is not None]
        promoted = sum(1 for s in firsts if s.status == "promoted")
        return ChannelSignals(channel, len(firsts), len(group) - len(firsts), promoted, Stat.of(waits))

    per = tuple(count(ch, [s for s in within if s.channel == ch]) for ch in SIGNAL_CHANNELS)
    return per, count("", within)


def compute(
    inp: TrendInput,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    region: str | None = None,
    policy: Policy | None = None,
) -> Trends:
    """The trends of the window ``[start, end)`` (``end`` is usually now), for incidents
    touching ``region`` (and its rotations), or all."""
    if region is not None and region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; choose one of {', '.join(REGIONS)}")
    problem = period_problem(start, end)
    if problem is not None and end > start:
        raise ValueError(problem)
    policy = policy or Policy()
    weeks = weeks_between(start, end)
    index = {w.label: n for n, w in enumerate(weeks)}
    incs = [i for i in inp.incidents if region is None or region in i.regions]
    opened_in = [i for i in incs if start <= i.opened_at < end]

    by_cat: dict[str, list[int]] = {c: [0] * len(weeks) for c in CATEGORIES}
    for i in opened_in:
        by_cat.setdefault(i.category, [0] * len(weeks))[index[week_of(i.opened_at).label]] += 1
    total = tuple(sum(col) for col in zip(*by_cat.values(), strict=True)) if weeks else ()
    mix = Counter(i.severity for i in opened_in)

    def stats(group: list[IncidentFacts]) -> tuple[Stat, Stat]:
        acks = [s for i in group if (s := _seconds(i.acknowledged_at, i.t0)) is not None]
        res = [s for i in group if (s := _seconds(i.resolved_at, i.t0)) is not None]
        return Stat.of(acks), Stat.of(res)

    life = [Lifecycle("all", "", *stats(opened_in))]
    life += [
        Lifecycle("severity", str(s), *stats([i for i in opened_in if i.severity == s])) for s in SEVERITIES
    ]
    life += [Lifecycle("category", c, *stats([i for i in opened_in if i.category == c])) for c in CATEGORIES]

    items_of: dict[str, list[ItemFacts]] = defaultdict(list)
    for it in inp.items:
        items_of[it.incident].append(it)
    counts: dict[str, Counter[str]] = {k: Counter() for k in KINDS}
    missed_weeks: dict[str, list[int]] = {k: [0] * len(weeks) for k in KINDS}
    for inc in incs:
        for c in clocks_of(inp, inc, items_of.get(inc.id, ()), now, policy):
            verdict = _clock_verdict(c, inc, now)
            moment = c.closed_at or c.due  # when it was met or missed (or fell overdue)
            if verdict is None or not start <= moment < end:
                continue
            counts[c.kind][verdict] += 1
            if verdict != "met":
                missed_weeks[c.kind][index[week_of(moment).label]] += 1
    clocks = {k: ClockCount(v["met"], v["missed"], v["overdue"]) for k, v in counts.items()}

    hours: dict[str, float] = defaultdict(float)
    until = min(end, now)
    for rot in inp.rotations:
        if region is not None and rot.region != region:
            continue
        for seg in segments(rot, inp.overrides, start, until) if until > start else ():
            if seg.person is not None:
                hours[seg.person] += (seg.end - seg.start).total_seconds() / 3600
    ids = {i.id for i in opened_in}
    worked: dict[str, set[str]] = defaultdict(set)
    commanded: dict[str, set[str]] = defaultdict(set)
    for r in inp.roles:
        if r.incident in ids:
            worked[r.person].add(r.incident)
            if r.role == "commander":
                commanded[r.person].add(r.incident)
    people = set(hours) | set(worked)
    load = sorted(
        (
            PersonLoad(
                p,
                round(hours.get(p, 0.0), 2),
                len(worked.get(p, ())),
                len(commanded.get(p, ())),
                (p in inp.people) if inp.people else None,
            )
            for p in people
        ),
        key=lambda x: (-x.incidents, -x.on_call_hours, x.person),
    )
    per_channel, all_signals = signal_counts(inp.signals, start, end)
    return Trends(
        start=start, end=end, region=region, weeks=weeks, signals=per_channel, signals_all=all_signals,
        opened={k: tuple(v) for k, v in by_cat.items()}, opened_total=total,
        severity_mix={s: mix.get(s, 0) for s in SEVERITIES}, lifecycle=tuple(life), clocks=clocks,
        missed_by_week={k: tuple(v) for k, v in missed_weeks.items()}, load=tuple(load),
    )  # fmt: skip


# --- exports -----------------------------------------------------------------------------

FIELDS = ["section", "group", "key", "week", "metric", "value"]


def _num(v: float | None) -> float | int | None:
    if v is None:
        return None
    return int(v) if float(v).is_integer() else round(v, 2)


def _secs(v: float | None) -> int | None:
    return None if v is None else round(v)


def to_json(t: Trends) -> dict[str, Any]:
    """The trends as one JSON object (durations in whole seconds; see docs/trends.md)."""

    def stat(s: Stat) -> dict[str, Any]:
        return {"n": s.n, "median_seconds": _secs(s.median), "p90_seconds": _secs(s.p90)}

    def lifecycle(which: str) -> dict[str, Any]:
        def pick(row: Lifecycle) -> Stat:
            return row.ack if which == "ack" else row.resolve

        return {
            "all": stat(pick(t.lifecycle_of("all"))),
            "by_severity": {r.key: stat(pick(r)) for r in t.lifecycle if r.group == "severity"},
            "by_category": {r.key: stat(pick(r)) for r in t.lifecycle if r.group == "category"},
        }

    return {
        "window": {
            "since": t.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "until": t.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": t.region,
            "weeks": [w.label for w in t.weeks],
        },
        "incidents_opened": t.incidents,
        "opened_per_week": [
            {
                "week": w.label,
                "monday": w.monday.isoformat(),
                "total": t.opened_total[n],
                "by_category": {c: v[n] for c, v in t.opened.items()},
            }
            for n, w in enumerate(t.weeks)
        ],
        "severity_mix": {str(s): n for s, n in t.severity_mix.items()},
        "time_to_acknowledge": lifecycle("ack"),
        "time_to_resolve": lifecycle("resolve"),
        "clocks": {
            k: {
                "met": c.met,
                "missed": c.missed,
                "overdue": c.overdue,
                "missed_by_week": dict(zip((w.label for w in t.weeks), t.missed_by_week[k], strict=True)),
            }
            for k, c in t.clocks.items()
        },
        "signals": {
            **signal_json(t.signals_all),
            "by_channel": {c.channel: signal_json(c) for c in t.signals},
        },
        "on_call_load": [
            {
                "person": p.person,
                "on_call_hours": _num(p.on_call_hours),
                "incidents": p.incidents,
                "as_commander": p.as_commander,
                "incidents_per_12h": _num(p.per_12h),
                "in_roster": p.in_roster,
            }
            for p in t.load
        ],
    }


def signal_json(c: ChannelSignals) -> dict[str, Any]:
    return {
        "received": c.received, "repeats": c.repeats, "promoted": c.promoted,
        "promoted_share": None if c.promoted_share is None else round(c.promoted_share, 4),
        "time_to_triage": {"n": c.triage.n, "median_seconds": _secs(c.triage.median),
                           "p90_seconds": _secs(c.triage.p90)},
    }  # fmt: skip


def rows(t: Trends) -> list[dict[str, Any]]:
    """The same numbers as one long table (``FIELDS``), for CSV."""
    out: list[dict[str, Any]] = []

    def add(section: str, group: str, key: str, week: str, metric: str, value: Any) -> None:
        out.append(
            {"section": section, "group": group, "key": key, "week": week, "metric": metric, "value": value}
        )

    add("window", "", "", "", "since", t.start.strftime("%Y-%m-%dT%H:%M:%SZ"))
    add("window", "", "", "", "until", t.end.strftime("%Y-%m-%dT%H:%M:%SZ"))
    add("window", "", "", "", "region", t.region or "all")
    for n, w in enumerate(t.weeks):
        add("opened", "all", "", w.label, "count", t.opened_total[n])
        for c, v in t.opened.items():
            add("opened", "category", c, w.label, "count", v[n])
    for s, n in t.severity_mix.items():
        add("severity_mix", "severity", str(s), "", "count", n)
    for section, pick in (("time_to_acknowledge", "ack"), ("time_to_resolve", "resolve")):
        for r in t.lifecycle:
            st: Stat = getattr(r, pick)
            add(section, r.group, r.key, "", "n", st.n)
            add(section, r.group, r.key, "", "median_seconds", _secs(st.median))
            add(section, r.group, r.key, "", "p90_seconds", _secs(st.p90))
    for k, count in t.clocks.items():
        add("clocks", "kind", k, "", "met", count.met)
        add("clocks", "kind", k, "", "missed", count.missed)
        add("clocks", "kind", k, "", "overdue", count.overdue)
        for n, w in enumerate(t.weeks):
            add("clocks", "kind", k, w.label, "missed_or_overdue", t.missed_by_week[k][n])
    for sig in (t.signals_all, *t.signals):
        group = "channel" if sig.channel else "all"
        for metric, value in signal_json(sig).items():
            if metric == "time_to_triage":
                for k, v in value.items():
                    add("signals", group, sig.channel, "", f"time_to_triage_{k}", v)
            else:
                add("signals", group, sig.channel, "", metric, value)
    for p in t.load:
        add("on_call_load", "person", p.person, "", "on_call_hours", _num(p.on_call_hours))
        add("on_call_load", "person", p.person, "", "incidents", p.incidents)
        add("on_call_load", "person", p.person, "", "as_commander", p.as_commander)
        add("on_call_load", "person", p.person, "", "incidents_per_12h", _num(p.per_12h))
        add("on_call_load", "person", p.person, "", "in_roster", p.in_roster)
    return out
