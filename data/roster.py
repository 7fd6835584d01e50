"""Who is on call: rotations and overrides read as the journal spec says (pure functions).

A rotation's shift begins at ``start`` local time on every local date whose weekday is in
``days`` and lasts ``hours`` of elapsed time, so a 09:00 shift begins at 09:00 local on
both sides of a daylight-saving change and may cross midnight. The person on the shift
that begins on local date D is ``members[floor((D - anchor) / turn_days) mod len]``. An
override puts its person on call from ``start`` to ``end``; the latest override wins where
two overlap. Where two shifts of one rotation overlap, the one that began last is on call.

A local start time that does not exist on a day (skipped by a spring-forward change) is
read with the offset before the change, as Python's zoneinfo does (``fold=0``); one that
happens twice (fall-back) is the first of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from .models import WEEKDAYS, parse_rfc3339


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
    local = datetime.combine(day, _start_time(rot), tzinfo=zone(rot.tz))
    start = local.astimezone(UTC)
    return Shift(person_for(rot, day), start, start + timedelta(hours=rot.hours), day)


def shifts_between(rot: Rotation, begin: datetime, end: datetime) -> list[Shift]:
    """Every shift that overlaps [begin, end), in order of start."""
    tz = zone(rot.tz)
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


def _holder(rot: Rotation, overrides: list[Override], at: datetime) -> tuple[str | None, Override | None]:
    best: Override | None = None
    for o in overrides:
        if o.start <= at < o.end and (best is None or o.seq > best.seq):
            best = o
    if best is not None:
        return best.person, best
    covering = [s for s in shifts_between(rot, at, at + timedelta(microseconds=1))]
    if not covering:
        return None, None
    return max(covering, key=lambda s: s.start).person, None


def on_call(rot: Rotation, overrides: list[Override], at: datetime, horizon_days: int = 15) -> OnCall:
    """Who is on call for ``rot`` at ``at`` (UTC-aware), since when, and the next handoff."""
    at = at.astimezone(UTC)
    mine = [o for o in overrides if o.rotation == rot.rotation]
    person, override = _holder(rot, mine, at)
    horizon = at + timedelta(days=horizon_days)
    back = at - timedelta(days=horizon_days)
    points: set[datetime] = set()
    for s in shifts_between(rot, back, horizon):
        points.update((s.start, s.end))
    for o in mine:
        points.update((o.start, o.end))
    after = sorted(p for p in points if at < p <= horizon)
    before = sorted((p for p in points if back <= p <= at), reverse=True)
    since = None
    for p in before:  # walk back while the same person holds it
        if _holder(rot, mine, p - timedelta(microseconds=1))[0] != person:
            since = p
            break
    next_person = None
    next_at = None
    for p in after:
        who = _holder(rot, mine, p)[0]
        if who != person:
            next_person, next_at = who, p
            break
    return OnCall(rot, person, since, next_at, override, next_person, next_at)
