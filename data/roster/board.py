"""What the roster panes show, computed: view models for the war room's on-call pane
(:class:`OnCallBoard`), the roster screen's follow-the-sun strip (:func:`coverage_day`) and
its week of shifts (:func:`week_rows`). Pure: the widgets (widgets/roster.py,
widgets/coverage.py) only draw them; names and reasons from the journal are left as they
are, for the widgets to clean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum

from data.roster.rotation import (
    ALL,
    Cover,
    OnCall,
    Override,
    Rotation,
    coverage,
    on_call,
    regions,
    segments,
    zone,
)

#: how long a rotation's holder is trusted when its next handoff is beyond the horizon
RECHECK = timedelta(minutes=10)

# --- the war room's on-call pane --------------------------------------------------------------


@dataclass(frozen=True)
class OnCallRow:
    """One rotation: who holds it now (None: a gap), their local time, the next handoff."""

    rotation: str
    person: str | None
    override: bool  # held through an override
    local: str  # the holder's local time, ``Mon 14:05`` ("" in a gap)
    next_at: datetime | None  # the next handoff
    next_person: str | None  # who takes it then (None: a gap)


def people_zones(people: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """Each person's zone by handle, from (handle, name, zone) rows (the first one listed)."""
    zones: dict[str, str] = {}
    for handle, _, tz in people:
        zones.setdefault(handle, tz)
    return zones


class OnCallBoard:
    """The on-call rows of a snapshot's rotations. Who holds a rotation changes only at its
    next handoff: it is computed again then (or after :data:`RECHECK`, when the next one is
    beyond the horizon), not on every tick."""

    def __init__(self) -> None:
        self._on_call: dict[str, tuple[OnCall, datetime]] = {}  # rotation -> (who, until when)

    def rows(
        self,
        rotations: Sequence[Rotation],
        overrides: Sequence[Override],
        people_tz: Mapping[str, str],
        now: datetime,
        rebuild: bool = False,
    ) -> list[OnCallRow]:
        """``people_tz``: a person's zone by handle (else their rotation's); ``rebuild``:
        the rotations or overrides changed, compute every holder again."""
        if rebuild:
            self._on_call = {}
        out = []
        for rot in rotations:
            cached = self._on_call.get(rot.rotation)
            if cached is None or now >= cached[1]:
                oc = on_call(rot, list(overrides), now)
                self._on_call[rot.rotation] = (oc, min(oc.next_at or now + RECHECK, now + RECHECK))
            else:
                oc = cached[0]
            local = ""
            if oc.person is not None:
                local = now.astimezone(zone(people_tz.get(oc.person, rot.tz))).strftime("%a %H:%M")
            out.append(
                OnCallRow(rot.rotation, oc.person, oc.override is not None, local, oc.next_at, oc.next_person)
            )
        return out


# --- the roster screen: the follow-the-sun strip ------------------------------------------------

FINE = 15  # minutes per character where the width allows: 24 hours in 96 columns
COARSE = 30  # else: 24 hours in 48 columns


class Slot(Enum):
    """What one slot of the strip shows."""

    ON = "on"  # one on call throughout
    OVERLAP = "overlap"  # two or more at some moment
    PART = "part"  # someone for part of it
    OFF = "off"  # nobody (in this region)
    GAP = "gap"  # nobody in any region, at some moment


@dataclass(frozen=True)
class RegionStrip:
    """One region's row: its label's parts, its slots, who is on call now."""

    region: str
    city: str  # of its first rotation's zone
    zones: int  # how many zones its rotations use
    slots: tuple[Slot, ...]
    now: tuple[str, ...] | None  # who is on call now (None: the day is not today)


@dataclass(frozen=True)
class GapNote:
    """A stretch with nobody on call in any region."""

    start: datetime
    end: datetime
    when: str  # ``NOW``, ``in 3h05m``, ``ended 12m ago``
    local: tuple[tuple[str, datetime, datetime], ...]  # (zone, start, end) in each region's zone


@dataclass(frozen=True)
class CoverageDay:
    """The follow-the-sun coverage of one UTC day, in slots of ``minutes``."""

    day: date
    minutes: int
    now: datetime | None  # None: the day is not today
    now_slot: int | None
    regions: tuple[RegionStrip, ...]  # in the order the sun reaches them
    whole: tuple[Slot, ...]  # all regions together
    gap_now: bool
    gaps: tuple[GapNote, ...]
    overlaps: tuple[tuple[datetime, datetime, tuple[str, ...]], ...]  # handover overlaps: regions on call


def city(tz: str) -> str:
    """``America/New_York`` -> ``New York``."""
    return tz.rsplit("/", 1)[-1].replace("_", " ")


def sun_order(rotations: Sequence[Rotation], at: datetime) -> list[str]:
    """The regions of the rotations in the order the sun reaches them (east to west: the
    UTC offset of their first rotation's zone at ``at``, largest first), then by name."""

    def offset(region: str) -> timedelta:
        tz = next(r.tz for r in rotations if r.region == region)
        return at.astimezone(zone(tz)).utcoffset() or timedelta(0)

    return sorted(regions(rotations), key=lambda region: (-offset(region), region))


def in_sun_order(rotations: Sequence[Rotation], at: datetime) -> list[Rotation]:
    order = {region: n for n, region in enumerate(sun_order(rotations, at))}
    return sorted(rotations, key=lambda r: (order[r.region], r.rotation))


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def hhmm(t: datetime, base: date) -> str:
    """``07:00``; ``24:00`` at the end of ``base``; ``+1`` marks another day."""
    if t.time() == time(0) and t.date() == base + timedelta(days=1):
        return "24:00"
    days = (t.date() - base).days
    return t.strftime("%H:%M") + (f"{days:+d}" if days else "")


def length(d: timedelta) -> str:
    mins = int(d.total_seconds()) // 60
    return f"{mins // 60}h{mins % 60:02d}m"


def _slots(covers: Sequence[Cover], begin: datetime, minutes: int) -> list[tuple[int, int]]:
    """(fewest, most) rotations on call within each slot of the day."""
    slot = timedelta(minutes=minutes)
    out = []
    i = 0
    for k in range(24 * 60 // minutes):
        a = begin + k * slot
        b = a + slot
        while i < len(covers) and covers[i].end <= a:
            i += 1
        counts = []
        j = i
        while j < len(covers) and covers[j].start < b:
            counts.append(covers[j].count)
            j += 1
        out.append((min(counts), max(counts)) if counts else (0, 0))
    return out


def _slot(fewest: int, most: int, whole: bool) -> Slot:
    if whole and fewest == 0:
        return Slot.GAP
    if most == 0:
        return Slot.OFF
    if fewest == 0:
        return Slot.PART
    if most > 1:
        return Slot.OVERLAP
    return Slot.ON


def _when(t0: datetime, t1: datetime, now: datetime) -> str:
    if t0 <= now < t1:
        return "NOW"
    secs = int((t0 - now).total_seconds()) if t0 > now else int((now - t1).total_seconds())
    mins = secs // 60
    text = f"{mins // 60}h{mins % 60:02d}m" if mins >= 60 else f"{mins}m"
    return f"in {text}" if t0 > now else f"ended {text} ago"


def coverage_day(
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    day: date,
    now: datetime,
    minutes: int = FINE,
) -> CoverageDay:
    """The coverage of one UTC day: per region (in sun order) and for all regions together
    (where nobody is a real gap), who is on call now, the gaps and the handover overlaps."""
    begin = day_start(day)
    end = begin + timedelta(days=1)
    today = begin <= now < end
    tzs: dict[str, str] = {}
    rows = []
    for region in sun_order(rotations, begin):
        mine = [r for r in rotations if r.region == region]
        tzs[region] = mine[0].tz
        covers = coverage(rotations, overrides, begin, end, region)
        held: tuple[str, ...] | None = None
        if today:
            held = tuple(person for _, person in next(c for c in covers if c.start <= now < c.end).holders)
        slots = tuple(_slot(f, m, whole=False) for f, m in _slots(covers, begin, minutes))
        rows.append(RegionStrip(region, city(mine[0].tz), len({r.tz for r in mine}), slots, held))
    whole = coverage(rotations, overrides, begin, end, ALL)
    gap_now = today and not next(c for c in whole if c.start <= now < c.end).holders
    gaps = tuple(
        GapNote(g.start, g.end, _when(g.start, g.end, now),
                tuple((tz, g.start.astimezone(zone(tz)), g.end.astimezone(zone(tz)))
                      for tz in dict.fromkeys(tzs.values())))
        for g in whole if not g.holders
    )  # fmt: skip
    by_rotation = {r.rotation: r.region for r in rotations}
    overlaps = tuple(
        (c.start, c.end, tuple(by_rotation.get(rot, rot) for rot, _ in c.holders))
        for c in whole
        if c.count > 1
    )
    return CoverageDay(
        day, minutes, now if today else None,
        int((now - begin) / timedelta(minutes=minutes)) if today else None,
        tuple(rows), tuple(_slot(f, m, whole=True) for f, m in _slots(whole, begin, minutes)),
        gap_now, gaps, overlaps,
    )  # fmt: skip


# --- the roster screen: the week of shifts -----------------------------------------------------


@dataclass(frozen=True)
class WeekRow:
    """One stretch someone holds a rotation."""

    key: str  # rotation and start: unique
    rotation: Rotation
    first: bool  # the rotation's first row (it names the rotation)
    start: datetime  # UTC
    end: datetime
    local_start: datetime  # in the rotation's zone
    local_end: datetime
    person: str
    current: bool  # on call now
    override: Override | None
    instead_of: str | None  # whom an override replaces (None: outside the rotation's shifts)


def week_rows(
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    begin: datetime,
    now: datetime,
    days: int = 7,
) -> list[WeekRow]:
    """Every stretch someone holds a rotation from ``begin`` for ``days`` days, rotations
    in sun order; whole shifts (a stretch that began before or ends after is not cut)."""
    out: list[WeekRow] = []
    end = begin + timedelta(days=days)
    for rot in in_sun_order(rotations, begin):
        tz = zone(rot.tz)
        first = True
        reach = timedelta(hours=rot.hours) + timedelta(days=1)
        for seg in segments(rot, overrides, begin - reach, end + reach):
            if seg.person is None or seg.end <= begin or seg.start >= end:
                continue
            out.append(WeekRow(
                f"{rot.rotation}\x00{seg.start.isoformat()}", rot, first, seg.start, seg.end,
                seg.start.astimezone(tz), seg.end.astimezone(tz), seg.person, seg.start <= now < seg.end,
                seg.override, seg.shift.person if seg.shift else None,
            ))  # fmt: skip
            first = False
    return out
