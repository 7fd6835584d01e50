"""Who is on call: rotations and overrides read as the journal spec says (pure functions).

A rotation's shift begins at ``start`` local time on every local date whose weekday is in
``days`` and lasts ``hours`` of elapsed time, so a 09:00 shift begins at 09:00 local on
both sides of a daylight-saving change and may cross midnight. The person on the shift
that begins on local date D is ``members[floor((D - anchor) / turn_days) mod len]``. An
override puts its person on call from ``start`` to ``end`` in place of whoever the
rotation names; the latest override (the later line of the journal) wins where two
overlap. Every interval is half-open: a shift from 08:00 to 20:00 covers 08:00 but not
20:00, so back-to-back shifts and overrides hand over without overlapping.

Choices the spec leaves open (docs/roster.md says why):

- Where two shifts of one rotation overlap (``hours`` longer than the time to the next
  start), the one that began last is on call.
- A local start time that does not exist on a day (skipped by a spring-forward change) is
  read with the UTC offset in force before the change, as RFC 5545 (iCalendar) and
  Python's zoneinfo do (``fold=0``): 02:30 on the day New York skips from 02:00 to 03:00
  is 03:30 EDT. One that happens twice (fall-back) is the first of the two.

Coverage (:func:`coverage`, :func:`gaps`): a set of rotations (those of a region, or all
of them for the follow-the-sun whole) covers an instant when at least one of them has
someone on call; two or more at once is an overlap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo

from data.engine.models import REGIONS, WEEKDAYS, parse_rfc3339

#: the key of the follow-the-sun whole (every rotation, whatever its region)
ALL = "all"


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class Rotation:
    rotation: str
    team: str
    region: str
    tz: str
    days: tuple[str, ...]
    start: str  # HH:MM local
    hours: float
    members: tuple[str, ...]
    anchor: date
    turn_days: int = 7

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Rotation:
        return cls(
            rotation=row["rotation"],
            team=row["team"],
            region=row["region"],
            tz=row["tz"],
            days=tuple(row["days"]),
            start=row["start"],
            hours=float(row["hours"]),
            members=tuple(row["members"]),
            anchor=date.fromisoformat(row["anchor"]),
            turn_days=int(row.get("turn_days") or 7),
        )


@dataclass(frozen=True)
class Override:
    seq: int
    rotation: str
    person: str
    start: datetime
    end: datetime
    reason: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Override:
        return cls(
            seq=row["seq"],
            rotation=row["rotation"],
            person=row["person"],
            start=parse_rfc3339(row["start"]).astimezone(UTC),
            end=parse_rfc3339(row["end"]).astimezone(UTC),
            reason=row.get("reason"),
        )


@dataclass(frozen=True)
class Shift:
    person: str
    start: datetime  # UTC
    end: datetime  # UTC
    local_date: date


@dataclass(frozen=True)
class OnCall:
    """Who holds a rotation at a moment, and what changes next."""

    rotation: Rotation
    person: str | None  # None: a gap, nobody on call
    since: datetime | None
    until: datetime | None  # when this person's cover ends (None: beyond the horizon)
    override: Override | None
    next_person: str | None
    next_at: datetime | None  # the next handoff: when someone else takes over (or a gap starts)


@dataclass(frozen=True)
class Segment:
    """A stretch of time over which one person (or nobody) holds a rotation, for one
    reason: the same override, or the same shift of the rotation."""

    start: datetime  # UTC
    end: datetime  # UTC
    person: str | None  # None: nobody on call
    override: Override | None  # the override that puts ``person`` there, if one does
    shift: Shift | None  # the rotation's own shift under it (also when overridden), if any


@dataclass(frozen=True)
class Cover:
    """A stretch of time over which the same rotations have the same people on call."""

    start: datetime  # UTC
    end: datetime  # UTC
    holders: tuple[tuple[str, str], ...]  # (rotation, person), in the order rotations were given

    @property
    def count(self) -> int:
        return len(self.holders)

    @property
    def state(self) -> Literal["gap", "covered", "overlap"]:
        if not self.holders:
            return "gap"
        return "covered" if len(self.holders) == 1 else "overlap"

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


# --- a rotation's own shifts -----------------------------------------------------------


def _start_time(rot: Rotation) -> time:
    hh, mm = rot.start.split(":")
    return time(int(hh), int(mm))


def person_for(rot: Rotation, day: date) -> str:
    turn = (day - rot.anchor).days // rot.turn_days
    return rot.members[turn % len(rot.members)]


def shift_on(rot: Rotation, day: date) -> Shift | None:
    """The shift that begins on local date ``day``, if the rotation works that weekday."""
    if WEEKDAYS[day.weekday()] not in rot.days:
        return None
    # fold=0: a start in a spring-forward gap is read with the offset before the change,
    # one that happens twice is the first of the two
    local = datetime.combine(day, _start_time(rot), tzinfo=zone(rot.tz))
    start = local.astimezone(UTC)
    return Shift(person_for(rot, day), start, start + timedelta(hours=rot.hours), day)


def shifts_between(rot: Rotation, begin: datetime, end: datetime) -> list[Shift]:
    """Every shift that overlaps [begin, end), in order of start."""
    tz = zone(rot.tz)
    # a shift that begins on local date D starts no earlier than D 00:00 local: one that
    # still runs at ``begin`` began at most ``hours`` (and a day of offsets) before it
    lookback = int(rot.hours // 24) + 2
    first = begin.astimezone(tz).date() - timedelta(days=lookback)
    last = end.astimezone(tz).date() + timedelta(days=1)
    out = []
    day = first
    while day <= last:
        s = shift_on(rot, day)
        if s is not None and s.start < end and s.end > begin:
            out.append(s)
        day += timedelta(days=1)
    return out


# --- who holds a rotation --------------------------------------------------------------


def _pick(
    shifts: Iterable[Shift], overrides: Iterable[Override], at: datetime
) -> tuple[Shift | None, Override | None]:
    """The shift (the one that began last) and the override (the latest) covering ``at``."""
    shift: Shift | None = None
    for s in shifts:
        if s.start <= at < s.end and (shift is None or s.start > shift.start):
            shift = s
    best: Override | None = None
    for o in overrides:
        if o.start <= at < o.end and (best is None or o.seq > best.seq):
            best = o
    return shift, best


def holder(rot: Rotation, overrides: Iterable[Override], at: datetime) -> tuple[str | None, Override | None]:
    """Who holds ``rot`` at ``at`` and the override that puts them there (if one does)."""
    at = at.astimezone(UTC)
    mine = [o for o in overrides if o.rotation == rot.rotation]
    shift, override = _pick(shifts_between(rot, at, at + timedelta(microseconds=1)), mine, at)
    if override is not None:
        return override.person, override
    return (shift.person if shift else None), None


def segments(rot: Rotation, overrides: Iterable[Override], begin: datetime, end: datetime) -> list[Segment]:
    """Who holds ``rot`` over [begin, end), as consecutive segments that cover it exactly
    (nobody on call is a segment too, with ``person`` None). Only the overrides of ``rot``
    count; others are ignored."""
    begin = begin.astimezone(UTC)
    end = end.astimezone(UTC)
    if end <= begin:
        return []
    shifts = shifts_between(rot, begin, end)
    mine = [o for o in overrides if o.rotation == rot.rotation and o.start < end and o.end > begin]
    points = {begin, end}
    for s in shifts:
        points.update((s.start, s.end))
    for o in mine:
        points.update((o.start, o.end))
    cuts = sorted(p for p in points if begin <= p <= end)
    out: list[Segment] = []
    for a, b in pairwise(cuts):
        shift, override = _pick(shifts, mine, a)
        person = override.person if override else (shift.person if shift else None)
        last = out[-1] if out else None
        if last is not None and (last.person, last.override, last.shift) == (person, override, shift):
            out[-1] = Segment(last.start, b, person, override, shift)
        else:
            out.append(Segment(a, b, person, override, shift))
    return out


def on_call(rot: Rotation, overrides: list[Override], at: datetime, horizon_days: int = 15) -> OnCall:
    """Who is on call for ``rot`` at ``at`` (UTC-aware), since when, and the next handoff.

    ``since`` and ``until`` bound the stretch over which the same person holds the rotation
    (across shifts and overrides); they are None where that stretch reaches beyond
    ``horizon_days`` either side of ``at``."""
    at = at.astimezone(UTC)
    back = at - timedelta(days=horizon_days)
    horizon = at + timedelta(days=horizon_days)
    segs = segments(rot, overrides, back, horizon)
    i = next(n for n, s in enumerate(segs) if s.start <= at < s.end)
    now = segs[i]
    first = i
    while first > 0 and segs[first - 1].person == now.person:
        first -= 1
    last = i
    while last + 1 < len(segs) and segs[last + 1].person == now.person:
        last += 1
    since = segs[first].start if first > 0 else None
    if last + 1 < len(segs):
        nxt: Segment | None = segs[last + 1]
        next_at: datetime | None = segs[last].end
    else:
        nxt, next_at = None, None
    return OnCall(rot, now.person, since, next_at, now.override, nxt.person if nxt else None, next_at)


def successor(rotations: Sequence[Rotation], overrides: list[Override], oc: OnCall) -> OnCall | None:
    """Who takes over from ``oc`` (:func:`on_call` of one of ``rotations``) when its
    holder's cover ends: the rotation's next person, else, where the rotation leaves a gap
    then, the follow-the-sun handover: whoever another rotation has on call at that moment
    (of the same region first, then the one whose holder took over last: the region whose
    day has just begun), else the first to come on call after it. None: nobody within the
    horizon."""
    at = oc.next_at
    if at is None:
        return None
    if oc.next_person is not None:
        return on_call(oc.rotation, overrides, at)
    then = [on_call(r, overrides, at) for r in rotations if r.rotation != oc.rotation.rotation]
    taking = [o for o in then if o.person is not None and o.person != oc.person]
    if taking:
        earliest = at - timedelta(days=366)
        return max(taking, key=lambda o: (o.rotation.region == oc.rotation.region, o.since or earliest))
    later = [o for o in then if o.person is None and o.next_person is not None and o.next_at is not None]
    if not later:
        return None
    first = min(later, key=lambda o: o.next_at or at)
    return on_call(first.rotation, overrides, first.next_at or at)


# --- coverage: regions and the follow-the-sun whole -----------------------------------


def regions(rotations: Iterable[Rotation]) -> list[str]:
    """The regions the rotations belong to, in the journal's order (US, UK, AU, EU,
    global), then any other."""
    seen = {r.region for r in rotations}
    known = [r for r in REGIONS if r in seen]
    return known + sorted(seen - set(known))


def coverage(
    rotations: Sequence[Rotation],
    overrides: Iterable[Override],
    begin: datetime,
    end: datetime,
    region: str | None = None,
) -> list[Cover]:
    """Who covers [begin, end), as consecutive stretches with the same people on call.

    ``region``: only the rotations of that region (None or :data:`ALL`: every rotation,
    the follow-the-sun whole). A stretch with nobody on call is a gap; two or more
    rotations on call at once is an overlap."""
    begin = begin.astimezone(UTC)
    end = end.astimezone(UTC)
    if end <= begin:
        return []
    chosen = [r for r in rotations if region in (None, ALL) or r.region == region]
    overrides = list(overrides)
    per_rotation = [(r.rotation, segments(r, overrides, begin, end)) for r in chosen]
    points = {begin, end}
    for _, segs in per_rotation:
        points.update(s.start for s in segs)
    cuts = sorted(points)
    index = [0] * len(per_rotation)
    out: list[Cover] = []
    for a, b in pairwise(cuts):
        holders: list[tuple[str, str]] = []
        for k, (name, segs) in enumerate(per_rotation):
            while segs[index[k]].end <= a:
                index[k] += 1
            person = segs[index[k]].person
            if person is not None:
                holders.append((name, person))
        key = tuple(holders)
        if out and out[-1].holders == key:
            out[-1] = Cover(out[-1].start, b, key)
        else:
            out.append(Cover(a, b, key))
    return out


def gaps(
    rotations: Sequence[Rotation],
    overrides: Iterable[Override],
    begin: datetime,
    end: datetime,
    region: str | None = None,
) -> list[Cover]:
    """The stretches of [begin, end) when nobody is on call (in ``region``, or in any
    region when it is None or :data:`ALL`), each as long as it is (adjacent stretches
    joined)."""
    out: list[Cover] = []
    for c in coverage(rotations, overrides, begin, end, region):
        if c.holders:
            continue
        if out and out[-1].end == c.start:
            out[-1] = Cover(out[-1].start, c.end, ())
        else:
            out.append(c)
    return out


def overlaps(
    rotations: Sequence[Rotation],
    overrides: Iterable[Override],
    begin: datetime,
    end: datetime,
    region: str | None = None,
) -> list[Cover]:
    """The stretches of [begin, end) when two or more of the rotations are on call."""
    return [c for c in coverage(rotations, overrides, begin, end, region) if c.count > 1]


def gaps_by_region(
    rotations: Sequence[Rotation], overrides: Iterable[Override], begin: datetime, end: datetime
) -> dict[str, list[Cover]]:
    """:func:`gaps` of every region the rotations belong to, in :func:`regions` order."""
    overrides = list(overrides)
    return {region: gaps(rotations, overrides, begin, end, region) for region in regions(rotations)}
