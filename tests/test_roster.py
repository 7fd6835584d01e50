"""The roster (data/roster/rotation.py) against the spec's "How a rotation is read".

Property tests compare the implementation with a brute-force reference written
independently here: the UTC instant a shift starts is found by scanning UTC instants for
the one whose local wall-clock reading is the shift's start (never by converting local to
UTC), and who is on call is decided minute by minute. Windows are drawn around the 2026
daylight-saving changes of New York, London and Sydney, which change on different dates
and in opposite directions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.roster.rotation import (
    ALL,
    Cover,
    Override,
    Rotation,
    coverage,
    gaps,
    gaps_by_region,
    holder,
    on_call,
    overlaps,
    regions,
    segments,
    shift_on,
    shifts_between,
    successor,
)

MINUTE = timedelta(minutes=1)
DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]  # date.weekday() order

#: the 2026 changes: (zone, local date of the change)
CHANGES = [
    ("America/New_York", date(2026, 3, 8)),  # spring forward 02:00 -> 03:00
    ("America/New_York", date(2026, 11, 1)),  # fall back 02:00 -> 01:00
    ("Europe/London", date(2026, 3, 29)),  # 01:00 -> 02:00
    ("Europe/London", date(2026, 10, 25)),  # 02:00 -> 01:00
    ("Australia/Sydney", date(2026, 4, 5)),  # fall back 03:00 -> 02:00 (southern autumn)
    ("Australia/Sydney", date(2026, 10, 4)),  # spring forward 02:00 -> 03:00
]
WEEKS = {
    "every day": DAY_NAMES,
    "mon-fri": ["mon", "tue", "wed", "thu", "fri"],
    "tue-sat": ["tue", "wed", "thu", "fri", "sat"],
    "sun-thu": ["sun", "mon", "tue", "wed", "thu"],
    "weekend": ["sat", "sun"],
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def rot(**kw: object) -> Rotation:
    base: dict[str, object] = {
        "rotation": "r", "team": "emergency_response", "region": "US", "tz": "America/New_York",
        "days": tuple(DAY_NAMES), "start": "09:00", "hours": 9.0, "members": ("amara", "eli"),
        "anchor": date(2026, 1, 5), "turn_days": 7,
    }  # fmt: skip
    base.update(kw)
    if isinstance(base["days"], list):
        base["days"] = tuple(base["days"])
    if isinstance(base["members"], list):
        base["members"] = tuple(base["members"])
    return Rotation(**base)  # type: ignore[arg-type]


def ov(seq: int, person: str, start: datetime, end: datetime, rotation: str = "r") -> Override:
    return Override(seq, rotation, person, start, end, None)


# --- the brute-force reference ----------------------------------------------------------


def ref_start(tz: str, day: date, hhmm: str) -> datetime:
    """The UTC instant a shift that begins at ``hhmm`` on local date ``day`` starts: the
    first UTC minute whose local wall-clock reading is exactly that; on a day that skips
    it (spring forward), the reading taken with the UTC offset in force just before the
    skip (RFC 5545)."""
    z = ZoneInfo(tz)
    hh, mm = (int(x) for x in hhmm.split(":"))
    wall = datetime.combine(day, time(hh, mm))  # naive local wall time
    lo = (wall - timedelta(hours=15)).replace(tzinfo=UTC)
    found = [
        u
        for k in range(0, 30 * 60)
        if (u := lo + timedelta(minutes=k)).astimezone(z).replace(tzinfo=None) == wall
    ]
    if found:
        return found[0]
    before = lo
    for k in range(0, 30 * 60):
        u = lo + timedelta(minutes=k)
        if u.astimezone(z).replace(tzinfo=None) > wall:
            break
        before = u
    offset = before.astimezone(z).utcoffset()
    assert offset is not None
    return (wall - offset).replace(tzinfo=UTC)


@dataclass
class RefShift:
    start: datetime
    end: datetime
    person: str
    day: date


def ref_person(r: Rotation, day: date) -> str:
    elapsed = (day - r.anchor).days  # calendar days
    turn = elapsed // r.turn_days  # floor, also before the anchor
    return r.members[turn % len(r.members)]


def ref_shifts(r: Rotation, begin: datetime, end: datetime) -> list[RefShift]:
    z = ZoneInfo(r.tz)
    first = begin.astimezone(z).date() - timedelta(days=int(r.hours // 24) + 3)
    last = end.astimezone(z).date() + timedelta(days=2)
    out = []
    day = first
    while day <= last:
        if DAY_NAMES[day.weekday()] in r.days:
            start = ref_start(r.tz, day, r.start)
            out.append(RefShift(start, start + timedelta(hours=r.hours), ref_person(r, day), day))
        day += timedelta(days=1)
    return out


def ref_minutes(
    r: Rotation, overrides: list[Override], begin: datetime, end: datetime
) -> list[tuple[str | None, int | None]]:
    """(person, seq of the override that puts them there) for every minute of [begin, end)."""
    shifts = ref_shifts(r, begin, end)
    mine = [o for o in overrides if o.rotation == r.rotation]
    out: list[tuple[str | None, int | None]] = []
    t = begin
    while t < end:
        over = [o for o in mine if o.start <= t < o.end]
        if over:
            latest = max(over, key=lambda o: o.seq)
            out.append((latest.person, latest.seq))
        else:
            covering = [s for s in shifts if s.start <= t < s.end]
            out.append((max(covering, key=lambda s: s.start).person if covering else None, None))
        t += MINUTE
    return out


def impl_minutes(
    r: Rotation, overrides: list[Override], begin: datetime, end: datetime
) -> list[tuple[str | None, int | None]]:
    out: list[tuple[str | None, int | None]] = []
    segs = segments(r, overrides, begin, end)
    assert segs[0].start == begin and segs[-1].end == end
    for a, b in pairwise(segs):
        assert a.end == b.start, "segments must be consecutive"
    for s in segs:
        n = int((s.end - s.start) / MINUTE)
        out += [(s.person, s.override.seq if s.override else None)] * n
    return out


def first_difference(a: list[object], b: list[object], begin: datetime) -> str:
    for n, (x, y) in enumerate(zip(a, b, strict=True)):
        if x != y:
            return f"at {begin + n * MINUTE:%Y-%m-%d %H:%M} UTC: implementation {x}, reference {y}"
    return "none"


# --- strategies ---------------------------------------------------------------------------

POOL = ["amara", "eli", "jonah", "hugo", "dana", "isla"]

starts = st.one_of(
    # the critical times around the changes, and any quarter-hour
    st.sampled_from(
        ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "03:00", "03:30", "23:00", "23:45"]
    ),
    st.builds(lambda h, q: f"{h:02d}:{q * 15:02d}", st.integers(0, 23), st.integers(0, 3)),
)
days = st.one_of(
    st.sampled_from(list(WEEKS.values())),
    st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True),
)


@st.composite
def rotations(draw: st.DrawFn, tz: str, name: str = "r", region: str = "US") -> Rotation:
    return rot(
        rotation=name,
        region=region,
        tz=tz,
        days=draw(days),
        start=draw(starts),
        hours=draw(st.integers(1, 40 * 4)) / 4,  # a quarter-hour to 40 hours: some overlap
        members=draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=4)),
        anchor=date(2026, 1, 1) + timedelta(days=draw(st.integers(-200, 360))),
        turn_days=draw(st.sampled_from([1, 2, 3, 5, 7, 7, 14])),
    )


@st.composite
def windows(draw: st.DrawFn) -> tuple[str, datetime, datetime]:
    """A zone and a window of 1 to 3 days that usually contains one of its 2026 changes."""
    tz, day = draw(st.sampled_from(CHANGES))
    around = datetime.combine(day, time(0), tzinfo=UTC)
    begin = around + timedelta(minutes=draw(st.integers(-3 * 1440, 1 * 1440)))
    length = timedelta(minutes=draw(st.integers(60, 3 * 1440)))
    return tz, begin, begin + length


@st.composite
def overrides_in(draw: st.DrawFn, begin: datetime, end: datetime, names: list[str]) -> list[Override]:
    out = []
    seqs = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=5))
    span = int((end - begin) / MINUTE)
    for seq in seqs:
        start = begin + timedelta(minutes=draw(st.integers(-600, span)))
        length = timedelta(minutes=draw(st.sampled_from([15, 60, 90, 600, 1440, 2000])))
        out.append(
            Override(seq, draw(st.sampled_from(names)), draw(st.sampled_from(POOL)), start, start + length)
        )
    return out


PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- properties ---------------------------------------------------------------------------


@PROPS
@given(data=st.data())
def test_who_is_on_call_matches_the_reference_minute_by_minute(data: st.DataObject) -> None:
    tz, begin, end = data.draw(windows())
    r = data.draw(rotations(tz))
    overrides = data.draw(overrides_in(begin, end, ["r", "other"]))
    impl = impl_minutes(r, overrides, begin, end)
    ref = ref_minutes(r, overrides, begin, end)
    assert impl == ref, first_difference(impl, ref, begin)  # type: ignore[arg-type]


@PROPS
@given(data=st.data())
def test_shift_starts_match_the_reference(data: st.DataObject) -> None:
    tz, day = data.draw(st.sampled_from(CHANGES))
    r = data.draw(rotations(tz))
    for d in (day - timedelta(days=1), day, day + timedelta(days=1)):
        s = shift_on(r, d)
        if DAY_NAMES[d.weekday()] not in r.days:
            assert s is None
            continue
        assert s is not None
        assert s.start == ref_start(tz, d, r.start), (d, r.start)
        assert s.end - s.start == timedelta(hours=r.hours)
        assert s.person == ref_person(r, d)
        assert s.local_date == d


@PROPS
@given(data=st.data())
def test_on_call_agrees_with_the_reference(data: st.DataObject) -> None:
    tz, begin, end = data.draw(windows())
    r = data.draw(rotations(tz))
    overrides = data.draw(overrides_in(begin, end, ["r"]))
    ref = ref_minutes(r, overrides, begin, end)
    n = data.draw(st.integers(0, len(ref) - 1))
    at = begin + n * MINUTE
    oc = on_call(r, overrides, at)
    person, seq = ref[n]
    assert oc.person == person
    assert (oc.override.seq if oc.override else None) == seq
    assert holder(r, overrides, at) == (oc.person, oc.override)
    # the stretch the same person holds, as far as the reference window shows it
    first = n
    while first > 0 and ref[first - 1][0] == person:
        first -= 1
    last = n
    while last + 1 < len(ref) and ref[last + 1][0] == person:
        last += 1
    if first > 0:
        assert oc.since == begin + first * MINUTE
    else:
        assert oc.since is None or oc.since <= begin
    if last + 1 < len(ref):
        assert oc.next_at == oc.until == begin + (last + 1) * MINUTE
        assert oc.next_person == ref[last + 1][0]
    else:
        assert oc.next_at is None or oc.next_at >= end


@PROPS
@given(data=st.data())
def test_coverage_and_gaps_match_the_reference(data: st.DataObject) -> None:
    tz, begin, end = data.draw(windows())
    rots = [
        data.draw(rotations(tz, "us-a", "US")),
        data.draw(rotations(data.draw(st.sampled_from([c[0] for c in CHANGES])), "us-b", "US")),
        data.draw(rotations(data.draw(st.sampled_from([c[0] for c in CHANGES])), "uk", "UK")),
    ]
    overrides = data.draw(overrides_in(begin, end, ["us-a", "us-b", "uk"]))
    per = {r.rotation: ref_minutes(r, overrides, begin, end) for r in rots}
    for region in ("US", "UK", ALL):
        names = [r.rotation for r in rots if region == ALL or r.region == region]
        want = [
            tuple((name, per[name][n][0]) for name in names if per[name][n][0] is not None)
            for n in range(len(per["uk"]))
        ]
        got: list[tuple[tuple[str, str], ...]] = []
        covers = coverage(rots, overrides, begin, end, region)
        assert covers[0].start == begin and covers[-1].end == end
        for c in covers:
            got += [c.holders] * int(c.duration / MINUTE)
        assert got == want, first_difference(got, want, begin)  # type: ignore[arg-type]
        uncovered = [begin + n * MINUTE for n, h in enumerate(want) if not h]
        from_gaps = [g.start + k * MINUTE for g in gaps(rots, overrides, begin, end, region)
                     for k in range(int(g.duration / MINUTE))]  # fmt: skip
        assert from_gaps == uncovered
        doubled = [begin + n * MINUTE for n, h in enumerate(want) if len(h) > 1]
        from_overlaps = [c.start + k * MINUTE for c in overlaps(rots, overrides, begin, end, region)
                         for k in range(int(c.duration / MINUTE))]  # fmt: skip
        assert from_overlaps == doubled
    # gaps are maximal: two never touch
    for region_gaps in gaps_by_region(rots, overrides, begin, end).values():
        for a, b in pairwise(region_gaps):
            assert a.end < b.start


# --- examples: daylight saving ------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "before", "after", "utc_before", "utc_after"),
    [
        # New York springs forward on Sun 8 Mar: 09:00 EST is 14:00 UTC, 09:00 EDT 13:00
        ("America/New_York", date(2026, 3, 7), date(2026, 3, 9), 14, 13),
        ("America/New_York", date(2026, 10, 31), date(2026, 11, 2), 13, 14),
        # London three weeks later (29 Mar) and a week earlier in autumn (25 Oct)
        ("Europe/London", date(2026, 3, 28), date(2026, 3, 30), 9, 8),
        ("Europe/London", date(2026, 10, 24), date(2026, 10, 26), 8, 9),
        # Sydney goes the other way: back on 5 Apr, forward on 4 Oct (09:00 is the day before in UTC)
        ("Australia/Sydney", date(2026, 4, 4), date(2026, 4, 6), 22, 23),
        ("Australia/Sydney", date(2026, 10, 3), date(2026, 10, 5), 23, 22),
    ],
)
def test_a_0900_shift_begins_at_0900_local_on_both_sides_of_a_change(
    tz: str, before: date, after: date, utc_before: int, utc_after: int
) -> None:
    r = rot(tz=tz)
    for day, hour in ((before, utc_before), (after, utc_after)):
        s = shift_on(r, day)
        assert s is not None
        assert s.start.hour == hour
        assert s.start.astimezone(ZoneInfo(tz)).strftime("%H:%M") == "09:00"


def test_a_night_shift_across_a_change_lasts_its_hours_of_elapsed_time() -> None:
    # 20:00 for 12 hours in New York across the fall-back night: ends at 07:00 local, not 08:00
    s = shift_on(rot(start="20:00", hours=12), date(2026, 10, 31))
    assert s is not None
    assert s.start == utc(2026, 11, 1, 0) and s.end == utc(2026, 11, 1, 12)
    assert s.end.astimezone(ZoneInfo("America/New_York")).strftime("%a %H:%M") == "Sun 07:00"
    # and across the spring-forward night: ends at 09:00 local
    s = shift_on(rot(start="20:00", hours=12), date(2026, 3, 7))
    assert s is not None
    assert s.end.astimezone(ZoneInfo("America/New_York")).strftime("%a %H:%M") == "Sun 09:00"


def test_a_start_skipped_by_spring_forward_is_read_with_the_offset_before_it() -> None:
    # 02:30 does not happen in New York on 8 Mar 2026: read as 02:30 EST = 07:30 UTC (03:30 EDT)
    s = shift_on(rot(start="02:30"), date(2026, 3, 8))
    assert s is not None and s.start == utc(2026, 3, 8, 7, 30)
    # Sydney skips 02:00-03:00 on 4 Oct 2026: 02:30 AEST = 16:30 UTC on the 3rd
    s = shift_on(rot(tz="Australia/Sydney", start="02:30"), date(2026, 10, 4))
    assert s is not None and s.start == utc(2026, 10, 3, 16, 30)


def test_a_start_that_happens_twice_is_the_first_of_the_two() -> None:
    s = shift_on(rot(start="01:30"), date(2026, 11, 1))  # 01:30 EDT, then 01:30 EST
    assert s is not None and s.start == utc(2026, 11, 1, 5, 30)
    s = shift_on(rot(tz="Europe/London", start="01:30"), date(2026, 10, 25))  # BST first
    assert s is not None and s.start == utc(2026, 10, 25, 0, 30)
    s = shift_on(rot(tz="Australia/Sydney", start="02:30"), date(2026, 4, 5))  # AEDT first
    assert s is not None and s.start == utc(2026, 4, 4, 15, 30)


def test_follow_the_sun_handoffs_move_when_one_region_changes_and_not_the_other() -> None:
    """UK 09:00-18:00 and New York 09:00-18:00: the overlap is 4 h, 3 h in the weeks New York
    has changed and London has not."""
    uk = rot(rotation="uk", region="UK", tz="Europe/London")
    us = rot(rotation="us", region="US", tz="America/New_York")

    def overlap_on(day: date) -> timedelta:
        begin = datetime.combine(day, time(0), tzinfo=UTC)
        return sum(
            (c.duration for c in overlaps([uk, us], [], begin, begin + timedelta(days=1))), timedelta()
        )

    assert overlap_on(date(2026, 3, 2)) == timedelta(hours=4)
    assert overlap_on(date(2026, 3, 16)) == timedelta(hours=5)  # NY on EDT, London on GMT
    assert overlap_on(date(2026, 4, 6)) == timedelta(hours=4)
    assert overlap_on(date(2026, 10, 28)) == timedelta(hours=5)  # London back on GMT, NY not yet


# --- examples: midnight, weeks, turns ------------------------------------------------------


def test_a_shift_crossing_midnight_and_the_week_boundary_belongs_to_the_day_it_began() -> None:
    # Sunday 22:00 for 10 h; turns change on Mondays (anchor is a Monday): the Sunday night
    # shift that ends on Monday morning is still the previous turn's
    r = rot(tz="Europe/London", days=["sun"], start="22:00", hours=10, members=["hugo", "dana"],
            anchor=date(2026, 1, 5))  # fmt: skip
    s = shift_on(r, date(2026, 1, 11))  # Sunday, turn 0 (days 0-6 from the anchor)
    assert s is not None and s.person == "hugo"
    assert s.start == utc(2026, 1, 11, 22) and s.end == utc(2026, 1, 12, 8)
    assert holder(r, [], utc(2026, 1, 12, 7, 59)) == ("hugo", None)  # Monday morning
    assert holder(r, [], utc(2026, 1, 12, 8)) == (None, None)  # half-open: ends at 08:00
    s = shift_on(r, date(2026, 1, 18))
    assert s is not None and s.person == "dana"


@pytest.mark.parametrize(
    ("week", "anchor", "expected"),
    [
        # Tue-Sat: Tuesday is the first day of the turn
        ("tue-sat", date(2026, 11, 3), ["amara"] * 5 + ["eli"] * 5),
        # Sun-Thu: Sunday is the first day of the turn
        ("sun-thu", date(2026, 11, 1), ["amara"] * 5 + ["eli"] * 5),
    ],
)
def test_work_weeks(week: str, anchor: date, expected: list[str]) -> None:
    r = rot(days=WEEKS[week], anchor=anchor)
    begin = datetime.combine(anchor, time(0), tzinfo=UTC)
    shifts = shifts_between(r, begin, begin + timedelta(days=14))
    assert [s.person for s in shifts] == expected
    assert [DAY_NAMES[s.local_date.weekday()] for s in shifts] == WEEKS[week] * 2
    # the days between the weeks are off
    assert all(DAY_NAMES[s.local_date.weekday()] in WEEKS[week] for s in shifts)


def test_turns_of_other_lengths_and_dates_before_the_anchor() -> None:
    r = rot(members=["a", "b", "c"], turn_days=3, anchor=date(2026, 6, 10))
    people = [shift_on(r, date(2026, 6, 10) + timedelta(days=k)) for k in range(-4, 8)]
    assert [s.person for s in people if s] == ["b", "c", "c", "c", "a", "a", "a", "b", "b", "b", "c", "c"]
    daily = rot(members=["a", "b"], turn_days=1, anchor=date(2026, 6, 10))
    assert [s.person for k in range(4) if (s := shift_on(daily, date(2026, 6, 10) + timedelta(days=k)))] == [
        "a", "b", "a", "b"
    ]  # fmt: skip


def test_turn_days_count_calendar_days_not_hours_across_a_change() -> None:
    # a turn of 1 day with members a, b: the 23-hour and 25-hour days do not shift the turns
    r = rot(members=["a", "b"], turn_days=1, anchor=date(2026, 3, 1), start="00:30", hours=23.5)
    people = [s.person for s in shifts_between(r, utc(2026, 3, 7, 12), utc(2026, 3, 10, 0))]
    assert people == ["a", "b", "a"]  # Sat 7 (day 6), Sun 8 (day 7), Mon 9 (day 8)


def test_overlapping_shifts_the_one_that_began_last_holds_it() -> None:
    r = rot(start="08:00", hours=30, members=["a", "b"], turn_days=1, anchor=date(2026, 6, 1))
    assert holder(r, [], utc(2026, 6, 2, 13)) == ("b", None)  # Tue's shift began at 08:00 EDT
    assert holder(r, [], utc(2026, 6, 2, 11)) == ("a", None)  # before it, Monday's still runs


# --- examples: overrides -------------------------------------------------------------------


def test_the_latest_override_wins_where_two_overlap() -> None:
    r = rot(members=["amara"])
    early_but_later_in_journal = ov(9, "ben", utc(2026, 6, 1, 14), utc(2026, 6, 1, 16))
    long_and_earlier = ov(3, "dana", utc(2026, 6, 1, 12), utc(2026, 6, 1, 20))
    both = [early_but_later_in_journal, long_and_earlier]
    assert holder(r, both, utc(2026, 6, 1, 15))[0] == "ben"
    assert holder(r, both, utc(2026, 6, 1, 17))[0] == "dana"
    assert holder(r, both, utc(2026, 6, 1, 21))[0] == "amara"  # 09:00-18:00 EDT = 13-22 UTC
    # an override of another rotation does not count
    assert holder(r, [ov(10, "zed", utc(2026, 6, 1), utc(2026, 6, 2), rotation="x")], utc(2026, 6, 1, 15)) == (
        "amara", None
    )  # fmt: skip


def test_an_override_covers_a_gap_and_on_call_says_until_when() -> None:
    r = rot(members=["amara"])  # 09:00-18:00 New York = 13:00-22:00 UTC in June
    night = ov(1, "ben", utc(2026, 6, 1, 22), utc(2026, 6, 2, 6))
    oc = on_call(r, [night], utc(2026, 6, 1, 23))
    assert (oc.person, oc.override, oc.since, oc.until) == (
        "ben",
        night,
        utc(2026, 6, 1, 22),
        utc(2026, 6, 2, 6),
    )
    assert oc.next_person is None and oc.next_at == utc(2026, 6, 2, 6)  # then a gap
    gap = on_call(r, [night], utc(2026, 6, 2, 7))
    assert gap.person is None and gap.since == utc(2026, 6, 2, 6)
    assert (gap.next_person, gap.next_at) == ("amara", utc(2026, 6, 2, 13))
    # the same person on an override right after their shift: one stretch
    after = ov(2, "amara", utc(2026, 6, 1, 22), utc(2026, 6, 1, 23))
    oc = on_call(r, [after], utc(2026, 6, 1, 14))
    assert oc.until == utc(2026, 6, 1, 23) and oc.override is None


def test_segments_mark_overrides_and_the_shift_under_them() -> None:
    r = rot(members=["amara"])
    cover = ov(4, "ben", utc(2026, 6, 1, 15), utc(2026, 6, 1, 17))
    segs = segments(r, [cover], utc(2026, 6, 1, 12), utc(2026, 6, 2, 0))
    got = [(s.start.hour, s.end.hour, s.person, s.override is not None, s.shift is not None) for s in segs]
    assert got == [
        (12, 13, None, False, False),
        (13, 15, "amara", False, True),
        (15, 17, "ben", True, True),
        (17, 22, "amara", False, True),
        (22, 0, None, False, False),
    ]


# --- coverage ------------------------------------------------------------------------------


def test_regions_in_the_journal_order() -> None:
    rs = [rot(rotation="a", region="AU"), rot(rotation="b", region="US"), rot(rotation="c", region="UK")]
    assert regions(rs) == ["US", "UK", "AU"]


def test_coverage_by_region_overlaps_and_gaps() -> None:
    us1 = rot(rotation="us1", region="US", tz="UTC", start="00:00", hours=12, members=["amara"])
    us2 = rot(rotation="us2", region="US", tz="UTC", start="10:00", hours=4, members=["amara"])
    uk = rot(rotation="uk", region="UK", tz="UTC", start="12:00", hours=6)
    rs = [us1, us2, uk]
    day = utc(2026, 6, 1)
    covers = coverage(rs, [], day, day + timedelta(days=1), "US")
    assert [(c.start.hour, c.end.hour, c.state) for c in covers] == [
        (0, 10, "covered"), (10, 12, "overlap"), (12, 14, "covered"), (14, 0, "gap")
    ]  # fmt: skip
    assert covers[1].holders == (("us1", "amara"), ("us2", "amara"))
    assert [(g.start.hour, g.end.hour) for g in gaps(rs, [], day, day + timedelta(days=1), "UK")] == [
        (0, 12),
        (18, 0),
    ]
    assert [(g.start.hour, g.end.hour) for g in gaps(rs, [], day, day + timedelta(days=1))] == [(18, 0)]
    by = gaps_by_region(rs, [], day, day + timedelta(days=1))
    assert list(by) == ["US", "UK"]
    assert by["US"] == [Cover(utc(2026, 6, 1, 14), utc(2026, 6, 2), ())]


#: the Sundays the clocks change in 2026: New York (8 Mar, 1 Nov), London (29 Mar, 25 Oct),
#: Sydney (5 Apr, 4 Oct)
DST_CHANGES = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5),
               date(2026, 10, 4), date(2026, 10, 25), date(2026, 11, 1)]  # fmt: skip


def test_the_demo_roster_has_a_commander_on_call_every_15_minutes_across_the_clock_changes() -> None:
    from data.sample import ROTATIONS

    rs = [Rotation.from_row(r) for r in ROTATIONS]
    assert regions(rs) == ["US", "UK", "AU"]
    assert {r.team for r in rs} == {"emergency_response"}  # the commanders' rotations
    # every region works every day with Tue-Sat and Sun-Thu weeks
    for region in ("US", "UK", "AU"):
        weeks = sorted(tuple(r.days) for r in rs if r.region == region)
        assert weeks == [("sun", "mon", "tue", "wed", "thu"), ("tue", "wed", "thu", "fri", "sat")]
    for change in DST_CHANGES:
        # the week before the change to the week after it, every 15 minutes
        at = datetime.combine(change - timedelta(days=7), time(), UTC)
        end = at + timedelta(days=14)
        while at < end:
            on = [(r.rotation, p) for r in rs if (p := holder(r, [], at)[0]) is not None]
            assert on, f"nobody on call at {at:%Y-%m-%d %H:%M} UTC"
            at += timedelta(minutes=15)
    # and the coverage view of the whole year finds no gap
    assert gaps(rs, [], utc(2026, 1, 1), utc(2027, 1, 1)) == []


def test_the_demo_commanders_work_five_day_weeks_one_rotation_at_a_time() -> None:
    from data.sample import ROTATIONS

    rs = [Rotation.from_row(r) for r in ROTATIONS]
    on_days: dict[str, list[date]] = {}
    day = date(2026, 1, 1)
    while day < date(2027, 1, 1):
        people = [s.person for r in rs if (s := shift_on(r, day)) is not None]
        assert len(people) == len(set(people)), (day, people)  # nobody on two rotations in a day
        for person in people:
            on_days.setdefault(person, []).append(day)
        day += timedelta(days=1)
    assert len(on_days) == 9  # three commanders a region
    for person, days in on_days.items():
        run = longest = 1
        for a, b in pairwise(days):
            run = run + 1 if b - a == timedelta(days=1) else 1
            longest = max(longest, run)
        assert longest == 5, person  # never a Saturday straight into a Sunday week


# --- the command line: warroom roster ... ---------------------------------------------------

ROSTER_TOML = """\
# The follow-the-sun incident-command roster
[[people]]
handle = "amara"
name = "Amara Okafor"
team = "emergency_response"
region = "US"
tz = "America/New_York"

[[people]]
handle = "hugo"
name = "Hugo Martin"
team = "emergency_response"
region = "UK"
tz = "Europe/London"

[[rotations]]
rotation = "us-ic"
team = "emergency_response"
region = "US"
tz = "America/New_York"
days = ["tue", "wed", "thu", "fri", "sat"]
start = "09:00"
hours = 9
members = ["amara", "eli"]
anchor = 2026-11-03          # a Tuesday: amara's turn begins
turn_days = 7

[[rotations]]
rotation = "uk-ic"
team = "emergency_response"
region = "UK"
tz = "Europe/London"
days = ["mon", "tue", "wed", "thu", "fri"]
start = 09:00:00
hours = 9
members = ["hugo"]
anchor = 2026-11-02

[[overrides]]
rotation = "us-ic"
person = "ben"
start = 2026-11-26T09:00:00          # no offset: read in the rotation's zone (EST)
end = 2026-11-26T18:00:00-05:00
reason = "Thanksgiving cover"
"""

# the people of the calendars below (dana's address is not her handle: her e-mail says it)
MORE_PEOPLE_TOML = """\
[[people]]
handle = "ben"
name = "Ben Carter"
team = "emergency_response"
region = "US"
tz = "America/New_York"

[[people]]
handle = "dana"
name = "Dana Whitfield"
team = "emergency_response"
region = "US"
tz = "America/New_York"
email = "d.whitfield@example.co.uk"

[[people]]
handle = "fatima"
name = "Fatima Zahra"
team = "emergency_response"
region = "UK"
tz = "Europe/London"
"""

# a PagerDuty-style export: a daily 09:00-18:00 New York shift from Mon 23 Nov to Sun 29 Nov,
# not on Wed 25 (EXDATE), and Thu 26 moved to 10:00-16:00 and handed to dana (RECURRENCE-ID)
SCHEDULE_ICS = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//PagerDuty Inc.//On-Call Schedule//EN
BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:STANDARD
DTSTART:20071104T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:20070311T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:Q2X8-primary@example.pagerduty.com
DTSTART;TZID=America/New_York:20261123T090000
DTEND;TZID=America/New_York:20261123T180000
RRULE:FREQ=DAILY;UNTIL=20261130T045959Z
EXDATE;TZID=America/New_York:20261125T090000
SUMMARY:On Call - Ben Carter - Primary
ATTENDEE;CN=Ben Carter:mailto:ben@example.com
END:VEVENT
BEGIN:VEVENT
UID:Q2X8-primary@example.pagerduty.com
RECURRENCE-ID;TZID=America/New_York:20261126T090000
DTSTART;TZID=America/New_York:20261126T100000
DTEND;TZID=America/New_York:20261126T160000
SUMMARY:On Call - Dana Whitfield - Primary
ATTENDEE;CN=Dana Whitfield:mailto:d.whitfield@example.co.uk
END:VEVENT
BEGIN:VEVENT
UID:one-off-7@example.opsgenie.com
DTSTART:20261201T000000Z
DTEND:20261201T060000Z
SUMMARY:fatima@example.co.uk
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    from tests.helpers import cli_env

    return cli_env(tmp_path, tmp_path / "journal.jsonl", tmp_path / "store.db", actor="amara")


def _cli(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    from tests.helpers import run_cli

    proc = run_cli(args, env)
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert "Traceback" not in err, err
    return proc.returncode, out, err


def _journal(env: dict[str, str]) -> list[dict[str, Any]]:
    from tests.helpers import read_lines

    path = Path(env["WARROOM_JOURNAL"])
    return [json.loads(line) for line in read_lines(path)] if path.exists() else []


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_import_toml(tmp_path: Path, env: dict[str, str]) -> None:
    path = _write(tmp_path, "roster.toml", ROSTER_TOML)
    rc, out, err = _cli(["roster", "import", str(path)], env)
    assert rc == 0, err
    assert "imported from" in out and "2 people, 2 rotations, 1 override" in out
    assert "override  us-ic  ben  Thu 26 Nov 14:00-23:00 UTC  (Thanksgiving cover)" in out
    assert "eli not in the roster's people" in err  # a note, not a refusal
    events = _journal(env)
    assert [e["type"] for e in events] == ["roster.person"] * 2 + ["roster.rotation"] * 2 + [
        "roster.override"
    ]
    assert all(e["actor"] == "amara" for e in events)
    us = events[2]["data"]
    assert us == {"rotation": "us-ic", "team": "emergency_response", "region": "US", "tz": "America/New_York",
                  "days": ["tue", "wed", "thu", "fri", "sat"], "start": "09:00", "hours": 9,
                  "members": ["amara", "eli"], "anchor": "2026-11-03", "turn_days": 7}  # fmt: skip
    assert events[3]["data"]["start"] == "09:00" and "turn_days" not in events[3]["data"]
    assert events[4]["data"] == {"rotation": "us-ic", "person": "ben", "start": "2026-11-26T09:00:00-05:00",
                                 "end": "2026-11-26T18:00:00-05:00", "reason": "Thanksgiving cover"}  # fmt: skip
    # again: nothing new, nothing written
    rc, out, _ = _cli(["roster", "import", str(path)], env)
    assert rc == 0 and "nothing new" in out
    assert len(_journal(env)) == 5
    # a changed rotation is written, the rest is skipped
    _write(tmp_path, "roster.toml", ROSTER_TOML.replace('members = ["hugo"]', 'members = ["hugo", "dana"]'))
    rc, out, _ = _cli(["roster", "import", str(path), "--dry-run"], env)
    assert rc == 0 and "would import" in out and "1 rotation (4 already in the journal, skipped)" in out
    assert len(_journal(env)) == 5
    rc, out, _ = _cli(["roster", "import", str(path)], env)
    assert rc == 0 and len(_journal(env)) == 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ROSTER_TOML.replace('hours = 9\nmembers = ["amara"', 'hours = "nine"\nmembers = ["amara"'),
         "roster.toml:16: rotations[0] (us-ic): data.hours"),
        (ROSTER_TOML.replace("turn_days = 7", "turn_day = 7"),
         "roster.toml:16: rotations[0]: unknown key 'turn_day'"),
        (ROSTER_TOML.replace('rotation = "us-ic"\nperson', 'rotation = "us-icc"\nperson'),
         "roster.toml:39: overrides[0] (us-icc): rotation 'us-icc' is neither in this file nor in the journal"),
        (ROSTER_TOML.replace('tz = "Europe/London"\ndays', 'tz = "Europe/Londres"\ndays'),
         "roster.toml:28: rotations[1] (uk-ic): data.tz: unknown time zone 'Europe/Londres'"),
        (ROSTER_TOML.replace('name = "Hugo Martin"', 'name = "Hugo'), "roster.toml:11: not valid TOML"),
        ("[[rota]]\nx = 1\n", "roster.toml: unknown table or key 'rota'"),
    ],
    ids=["bad-value", "unknown-key", "unknown-rotation", "unknown-zone", "bad-toml", "unknown-table"],
)  # fmt: skip
def test_cli_import_refuses_a_bad_toml_file_in_one_line(
    tmp_path: Path, env: dict[str, str], text: str, expected: str
) -> None:
    path = _write(tmp_path, "roster.toml", text)
    rc, _, err = _cli(["roster", "import", str(path)], env)
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0], lines[0]
    assert not _journal(env)


def test_cli_import_ics_with_a_recurrence_an_exdate_and_a_moved_instance(
    tmp_path: Path, env: dict[str, str]
) -> None:
    roster = _write(tmp_path, "roster.toml", ROSTER_TOML)
    assert _cli(["roster", "import", str(roster)], env)[0] == 0
    assert _cli(["roster", "import", str(_write(tmp_path, "more.toml", MORE_PEOPLE_TOML))], env)[0] == 0
    ics = _write(tmp_path, "pagerduty.ics", SCHEDULE_ICS)
    rc, out, err = _cli(["roster", "import", str(ics)], env)
    assert rc == 2 and "--rotation ID" in err and len(err.strip().splitlines()) == 1
    rc, out, err = _cli(["roster", "import", str(ics), "--rotation", "nope"], env)
    assert rc == 2 and "no such rotation in the journal (rotations: us-ic, uk-ic)" in err
    before = len(_journal(env))
    rc, out, err = _cli(
        ["roster", "import", str(ics), "--rotation", "us-ic", "--from", "2026-11-22", "--days", "14"], env
    )
    assert rc == 0, err
    assert "imported from" in out and "7 overrides" in out
    assert "matched  On Call - Ben Carter - Primary → ben (by e-mail)" in out  # ben@example.com: the handle
    assert "matched  On Call - Dana Whitfield - Primary → dana (by e-mail)" in out  # her roster e-mail
    assert "matched  fatima@example.co.uk → fatima (by e-mail)" in out
    new = [e["data"] for e in _journal(env)[before:]]
    got = [(d["person"], d["start"], d["end"]) for d in new]
    assert got == [
        ("ben", "2026-11-23T14:00:00Z", "2026-11-23T23:00:00Z"),
        ("ben", "2026-11-24T14:00:00Z", "2026-11-24T23:00:00Z"),
        # Wed 25: EXDATE
        ("dana", "2026-11-26T15:00:00Z", "2026-11-26T21:00:00Z"),  # the moved instance
        ("ben", "2026-11-27T14:00:00Z", "2026-11-27T23:00:00Z"),
        ("ben", "2026-11-28T14:00:00Z", "2026-11-28T23:00:00Z"),
        ("ben", "2026-11-29T14:00:00Z", "2026-11-29T23:00:00Z"),  # UNTIL is the end of Sun 29
        ("fatima", "2026-12-01T00:00:00Z", "2026-12-01T06:00:00Z"),  # SUMMARY's address
    ]
    assert all(d["rotation"] == "us-ic" and d["reason"] == "imported from pagerduty.ics" for d in new)
    # on Thursday: dana (the later override) over ben's Thanksgiving cover, then ben again
    rc, out, _ = _cli(["roster", "now", "--at", "2026-11-26T16:00:00Z", "--json"], env)
    us = next(r for r in json.loads(out) if r["rotation"] == "us-ic")
    assert (us["person"], us["override"], us["until"], us["next_person"]) == (
        "dana",
        True,
        "2026-11-26T21:00:00Z",
        "ben",
    )
    # the window: only what overlaps it
    again = len(_journal(env))
    rc, out, _ = _cli(
        [
            "roster",
            "import",
            str(ics),
            "--rotation",
            "us-ic",
            "--from",
            "2026-11-28T20:00:00Z",
            "--days",
            "1",
        ],
        env,
    )
    assert rc == 0 and "nothing new" in out and "2 of its entries" in out
    assert len(_journal(env)) == again


def test_cli_import_refuses_a_bad_ics_file_with_its_line(tmp_path: Path, env: dict[str, str]) -> None:
    assert _cli(["roster", "import", str(_write(tmp_path, "roster.toml", ROSTER_TOML))], env)[0] == 0
    before = len(_journal(env))
    no_end = SCHEDULE_ICS.replace("DTEND:20261201T060000Z\n", "")
    path = _write(tmp_path, "bad.ics", no_end)
    rc, _, err = _cli(["roster", "import", str(path), "--rotation", "us-ic", "--from", "2026-11-22"], env)
    assert rc == 1
    assert err.strip().splitlines() == [
        f"warroom: {path}:38: an event without DTEND or DURATION (an on-call shift needs an end)"
    ]
    path = _write(tmp_path, "worse.ics", "BEGIN:VCALENDAR\nnonsense\nEND:VCALENDAR\n")
    rc, _, err = _cli(["roster", "import", str(path), "--rotation", "us-ic"], env)
    assert rc == 1 and f"{path}: not a valid iCalendar file" in err and len(err.strip().splitlines()) == 1
    path = _write(tmp_path, "roster.txt", "hello")
    rc, _, err = _cli(["roster", "import", str(path)], env)
    assert rc == 2 and "expected a .toml roster file or an .ics calendar" in err
    assert len(_journal(env)) == before


def test_cli_now_json(tmp_path: Path, env: dict[str, str]) -> None:
    assert _cli(["roster", "import", str(_write(tmp_path, "roster.toml", ROSTER_TOML))], env)[0] == 0
    # Mon 23 Nov 15:00 UTC: London on (hugo), New York off (its week is Tue-Sat)
    rc, out, err = _cli(["roster", "now", "--at", "2026-11-23T15:00:00Z", "--json"], env)
    assert rc == 0, err
    rows = {r["rotation"]: r for r in json.loads(out)}
    assert list(rows) == ["us-ic", "uk-ic"]  # regions in the journal's order
    keys = {"rotation", "team", "region", "tz", "person", "name", "local_tz", "local_time", "override",
            "override_reason", "shift_start", "shift_end", "since", "until", "next_person", "next_at", "at"}  # fmt: skip
    assert all(set(r) == keys for r in rows.values())
    uk = rows["uk-ic"]
    assert (uk["person"], uk["name"], uk["local_time"]) == (
        "hugo",
        "Hugo Martin",
        "2026-11-23T15:00:00+00:00",
    )
    assert (uk["shift_start"], uk["shift_end"]) == ("2026-11-23T09:00:00Z", "2026-11-23T18:00:00Z")
    assert (uk["override"], uk["next_person"], uk["next_at"]) == (False, None, "2026-11-23T18:00:00Z")
    us = rows["us-ic"]
    assert us["person"] is None and us["shift_start"] is None and us["shift_end"] is None
    assert us["local_time"] == "2026-11-23T10:00:00-05:00"  # the rotation's zone in a gap
    assert (us["next_person"], us["next_at"]) == ("eli", "2026-11-24T14:00:00Z")  # week 4 from the anchor
    # the override: ben, from the TOML file's local time
    rc, out, _ = _cli(["roster", "now", "--at", "2026-11-26T14:30:00Z", "--json"], env)
    us = next(r for r in json.loads(out) if r["rotation"] == "us-ic")
    assert (us["person"], us["override"], us["override_reason"]) == ("ben", True, "Thanksgiving cover")
    assert (us["shift_start"], us["shift_end"], us["next_person"]) == (
        "2026-11-26T14:00:00Z",
        "2026-11-26T23:00:00Z",
        None,
    )
    # human output: a table
    rc, out, _ = _cli(["roster", "now", "--at", "2026-11-26T14:30:00Z"], env)
    assert rc == 0
    assert out.splitlines()[0] == "On call at Thu 26 Nov 2026 14:30 UTC"
    assert re.search(
        r"us-ic\s+US\s+ben \*\s+Thu 09:30 EST\s+Thu 26 Nov 23:00 \(in 8h30m\)\s+nobody \(gap\)", out
    )
    assert "* ben is on us-ic by an override: Thanksgiving cover" in out


def test_cli_gaps(tmp_path: Path, env: dict[str, str]) -> None:
    assert _cli(["roster", "import", str(_write(tmp_path, "roster.toml", ROSTER_TOML))], env)[0] == 0
    rc, out, err = _cli(["roster", "gaps", "--from", "2026-11-23", "--days", "2", "--json"], env)
    assert rc == 0, err
    doc = json.loads(out)
    assert (doc["from"], doc["to"]) == ("2026-11-23T00:00:00Z", "2026-11-25T00:00:00Z")
    assert doc["follow_the_sun"]["rotations"] == ["us-ic", "uk-ic"]
    assert doc["follow_the_sun"]["gaps"] == [
        {"start": "2026-11-23T00:00:00Z", "end": "2026-11-23T09:00:00Z", "minutes": 540},
        {"start": "2026-11-23T18:00:00Z", "end": "2026-11-24T09:00:00Z", "minutes": 900},
        {"start": "2026-11-24T23:00:00Z", "end": "2026-11-25T00:00:00Z", "minutes": 60},
    ]
    regions_ = {r["region"]: r for r in doc["regions"]}
    assert list(regions_) == ["US", "UK"]
    assert regions_["US"]["gaps"][0] == {
        "start": "2026-11-23T00:00:00Z",
        "end": "2026-11-24T14:00:00Z",
        "minutes": 2280,
    }
    rc, out, _ = _cli(["roster", "gaps", "--from", "2026-11-23", "--days", "2"], env)
    assert rc == 0
    assert "Follow-the-sun (nobody on call in any region): 3 gaps, 25h00m in all" in out
    assert "  Mon 23 Nov 18:00 - Tue 24 Nov 09:00 UTC   15h00m" in out
    assert "US (us-ic; local time America/New_York): 2 gaps" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["roster", "now", "--at", "tomorrow"], "--at 'tomorrow': must be an RFC 3339 time"),
        (["roster", "gaps", "--from", "2026-02-30"], "--from '2026-02-30': not a valid date"),
        (["roster", "gaps", "--from", "next week"], "--from 'next week': expected a date YYYY-MM-DD"),
        (["roster", "gaps", "--days", "0"], "'--days': 0 is not in the range"),
        (["roster", "import", "missing.toml"], "'missing.toml' does not exist"),
    ],
)
def test_cli_wrong_arguments_get_one_line(env: dict[str, str], args: list[str], expected: str) -> None:
    rc, _, err = _cli(args, env)
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and expected in err, err


def test_cli_import_toml_refuses_ics_options(tmp_path: Path, env: dict[str, str]) -> None:
    path = _write(tmp_path, "roster.toml", ROSTER_TOML)
    rc, _, err = _cli(["roster", "import", str(path), "--rotation", "us-ic"], env)
    assert rc == 2 and "--rotation goes with an .ics file" in err


def test_cli_with_no_rotations(env: dict[str, str]) -> None:
    rc, out, _ = _cli(["roster", "now", "--json"], env)
    assert rc == 0 and json.loads(out) == []
    rc, out, _ = _cli(["roster", "gaps"], env)
    assert rc == 0 and "no rotations in the journal yet" in out


# --- people, not strings: matching calendar events to the roster's people -------------------

# a Google Calendar schedule as Grafana OnCall imports it: the summary names the person
# (a handle, or a name after an @), or an attendee's address does
GOOGLE_ICS = """\
BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:T&S incident command
X-WR-TIMEZONE:Europe/London
BEGIN:VEVENT
DTSTART:20261123T090000Z
DTEND:20261123T170000Z
RRULE:FREQ=DAILY;COUNT=2
DTSTAMP:20261120T120000Z
UID:0a1b2c3d4e@google.com
SUMMARY:@Bernard Desruisseaux
STATUS:CONFIRMED
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
DTSTART:20261125T090000Z
DTEND:20261125T170000Z
DTSTAMP:20261120T120000Z
UID:1b2c3d4e5f@google.com
SUMMARY:@Hugo
END:VEVENT
BEGIN:VEVENT
DTSTART:20261126T090000Z
DTEND:20261126T170000Z
DTSTAMP:20261120T120000Z
UID:2c3d4e5f6a@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Amara
 Okafor;X-NUM-GUESTS=0:mailto:amara.okafor@example.org
SUMMARY:On call
END:VEVENT
BEGIN:VEVENT
DTSTART:20261127T090000Z
DTEND:20261127T170000Z
DTSTAMP:20261120T120000Z
UID:3d4e5f6a7b@google.com
SUMMARY:@Zoe Quinn
END:VEVENT
END:VCALENDAR
"""

GOOGLE_PEOPLE_TOML = """\
[[people]]
handle = "bernard"
name = "Bernard Desruisseaux"
team = "emergency_response"
region = "UK"
tz = "Europe/London"

[[people]]
handle = "amara"
name = "Amara Okafor"
team = "emergency_response"
region = "US"
tz = "America/New_York"
email = "amara.okafor@example.org"
"""


def _google_roster(tmp_path: Path, env: dict[str, str]) -> Path:
    assert _cli(["roster", "import", str(_write(tmp_path, "roster.toml", ROSTER_TOML))], env)[0] == 0
    rc, out, err = _cli(["roster", "import", str(_write(tmp_path, "people.toml", GOOGLE_PEOPLE_TOML))], env)
    assert rc == 0, err
    # the responders' own handles, names and e-mails are not masked: the import can be checked
    assert "person    bernard  Bernard Desruisseaux" in out
    assert "amara.okafor@example.org" in out  # amara's e-mail is new: her person is written again
    return _write(tmp_path, "oncall.ics", GOOGLE_ICS)


def test_cli_import_ics_matches_events_to_people_and_lists_the_others(
    tmp_path: Path, env: dict[str, str]
) -> None:
    ics = _google_roster(tmp_path, env)
    args = ["roster", "import", str(ics), "--rotation", "uk-ic", "--from", "2026-11-22", "--days", "14"]
    before = len(_journal(env))
    rc, out, err = _cli([*args, "--dry-run"], env)
    assert rc == 0, err
    assert "matched  @Bernard Desruisseaux → bernard (by name)" in out
    assert "matched  @Hugo → hugo (by handle)" in out
    assert "matched  On call → amara (by e-mail)" in out
    assert re.search(r"not in the roster \(not imported\):\n  .*oncall\.ics:\d+: event 3d4e5f6a7b@google\.com: "
                     r"@Zoe Quinn: 1 shift from 2026-11-27T09:00:00Z", out), out  # fmt: skip
    assert "would import from" in out and "4 overrides" in out
    assert "override  uk-ic  bernard  Mon 23 Nov 09:00-17:00 UTC" in out
    assert "as it stands the import is refused: 1 event matches nobody in the roster" in out
    assert "***" not in out  # nothing of it is masked
    assert len(_journal(env)) == before
    # for real: refused, the unmatched event listed, nothing written
    rc, out, err = _cli(args, env)
    assert rc == 1 and "@Zoe Quinn: 1 shift" in err
    assert err.strip().splitlines()[-1] == (
        "warroom: 1 calendar event matches nobody in the roster; nothing was written. Add them to the roster "
        "(with their e-mail), or import the others with --skip-unmatched"
    )
    assert len(_journal(env)) == before
    # the others, with --skip-unmatched: each to its roster person, never the summary as a handle
    rc, out, err = _cli([*args, "--skip-unmatched"], env)
    assert rc == 0, err
    assert "@Zoe Quinn" in out and "imported from" in out
    written = [(e["data"]["person"], e["data"]["start"]) for e in _journal(env)[before:]]
    assert written == [("bernard", "2026-11-23T09:00:00Z"), ("bernard", "2026-11-24T09:00:00Z"),
                       ("hugo", "2026-11-25T09:00:00Z"), ("amara", "2026-11-26T09:00:00Z")]  # fmt: skip


def test_cli_import_ics_without_people_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    toml = ROSTER_TOML.split("[[rotations]]", 1)[1]
    assert _cli(["roster", "import", str(_write(tmp_path, "r.toml", "[[rotations]]" + toml.split("[[overrides]]")[0]))],
                env)[0] == 0  # fmt: skip
    ics = _write(tmp_path, "oncall.ics", GOOGLE_ICS)
    rc, _, err = _cli(["roster", "import", str(ics), "--rotation", "uk-ic", "--from", "2026-11-22"], env)
    assert rc == 1 and "the journal has no roster.person yet: import the people first" in err
    assert all(e["type"] == "roster.rotation" for e in _journal(env))


def test_a_person_s_email_is_checked_when_written_and_ignored_when_malformed(
    tmp_path: Path, env: dict[str, str]
) -> None:
    bad = GOOGLE_PEOPLE_TOML.replace('email = "amara.okafor@example.org"', 'email = "amara at example"')
    rc, _, err = _cli(["roster", "import", str(_write(tmp_path, "people.toml", bad))], env)
    assert rc == 1 and "people[1] (amara): data.email" in err and not _journal(env)
    # another writer's malformed e-mail: the person is applied (format 1 ignores the member)
    from tests.helpers import read_lines

    assert _cli(["roster", "import", str(_write(tmp_path, "ok.toml", GOOGLE_PEOPLE_TOML))], env)[0] == 0
    journal = Path(env["WARROOM_JOURNAL"])
    last = read_lines(journal)[-1]
    line = {"v": 1, "id": "P9", "ts": "2026-11-20T10:00:00Z", "actor": "bot", "type": "roster.person",
            "data": {"handle": "zoe", "name": "Zoe Quinn", "team": "emergency_response", "region": "UK",
                     "tz": "Europe/London", "email": 42}, "prev": __import__("hashlib").sha256(last).hexdigest()}  # fmt: skip
    with open(journal, "ab") as f:
        f.write(json.dumps(line).encode() + b"\n")
    assert _cli(["sync"], env)[0] == 0
    rc, out, _ = _cli(["status", "--json"], env)
    counters = json.loads(out)["counters"]
    assert rc == 0 and counters["quarantined"] == 0 and counters["applied"] == len(read_lines(journal))

    import asyncio

    from data.engine.store import Store
    from data.roster import queries as roster_queries

    async def emails() -> dict[str, str]:
        async with await Store.open(Path(env["WARROOM_DB"])) as store:
            return await roster_queries.person_emails(store)

    assert asyncio.run(emails()) == {"amara": "amara.okafor@example.org"}


def test_successor_follows_the_sun_across_a_gap_and_an_overlap() -> None:
    from tests._roster_helpers import GAPPY_ROTATIONS

    rs = [Rotation.from_row(r) for r in GAPPY_ROTATIONS]
    au = next(r for r in rs if r.region == "AU")
    # Sunday 22 Nov: Sydney until 07:00 UTC, then nobody until London's 09:00
    oc = on_call(au, [], utc(2026, 11, 22, 3))
    after = successor(rs, [], oc)
    assert after is not None and after.rotation.region == "UK"
    assert (after.person, after.since, after.until) == ("hugo", utc(2026, 11, 22, 9), utc(2026, 11, 22, 18))
    # London hands to New York, on since 14:00 UTC, at 18:00
    uk = on_call(after.rotation, [], utc(2026, 11, 22, 12))
    nxt = successor(rs, [], uk)
    assert nxt is not None and (nxt.rotation.region, nxt.since) == ("US", utc(2026, 11, 22, 14))
    # a rotation's own next person comes first
    night = Override(1, "au-ic", "dana", utc(2026, 11, 22, 7), utc(2026, 11, 22, 8))
    own = successor(rs, [night], on_call(au, [night], utc(2026, 11, 22, 3)))
    assert own is not None and (own.rotation.rotation, own.person) == ("au-ic", "dana")
