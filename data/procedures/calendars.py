"""Durations of legal clocks: elapsed time, calendar days, months and years of a
jurisdiction, and business days with its public holidays (pure functions).

A duration is written as the procedure files write it (docs/sop.md):

- ``"30m"``, ``"1h30m"``, ``"24h"``: elapsed time, the same on every clock.
- ``"3d"``, ``"2w"``, ``"6mo"``, ``"1y"``: calendar days, weeks, months and years, counted
  on the wall clock of the item's calendar (its time zone): 90 days after 10:00 is 10:00
  on the 90th day, whether or not daylight saving changed in between. Without a calendar
  they count in UTC (a day is 24 hours). A month after 31 January is the last day of
  February.
- ``"4bd"``: business days of a jurisdiction (a calendar is required): the deadline is the
  end (24:00 local) of the 4th business day after the day the clock starts, or the
  calendar's ``cutoff`` time on that day. Weekends and the jurisdiction's public holidays
  are not business days. The holidays come from the ``holidays`` library, never a hand-kept
  list.

The calendars: ``US`` (federal holidays, New York time), ``UK`` (England and Wales bank
holidays, London time), ``AU`` (Australian national holidays, Sydney time), ``AU-NSW``
(national and New South Wales holidays, Sydney time), ``EU`` (no public holidays common to
the Union: weekends only, Brussels time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class Jurisdiction:
    """Where business days and calendar days are counted."""

    name: str
    zone: str
    country: str | None  # the ``holidays`` country code (None: weekends only)
    subdiv: str | None
    label: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


JURISDICTIONS: dict[str, Jurisdiction] = {
    j.name: j
    for j in (
        Jurisdiction("US", "America/New_York", "US", None, "US federal business days (New York time)"),
        Jurisdiction("UK", "Europe/London", "GB", "ENG", "England and Wales business days (London time)"),
        Jurisdiction("AU", "Australia/Sydney", "AU", None, "Australian national business days (Sydney time)"),
        Jurisdiction(
            "AU-NSW", "Australia/Sydney", "AU", "NSW", "New South Wales business days (Sydney time)"
        ),
        Jurisdiction("EU", "Europe/Brussels", None, None, "weekdays (Brussels time)"),
    )
}
CALENDARS: tuple[str, ...] = tuple(JURISDICTIONS)


@cache
def _holidays(name: str, year: int) -> frozenset[date]:
    import holidays

    j = JURISDICTIONS[name]
    if j.country is None:
        return frozenset()
    found: Any = holidays.country_holidays(j.country, subdiv=j.subdiv, years=year)
    return frozenset(found)


def holiday_name(name: str, day: date) -> str | None:
    """The public holiday on ``day`` in the calendar ``name``, if any (for explanations)."""
    import holidays

    j = JURISDICTIONS[name]
    if j.country is None:
        return None
    found: Any = holidays.country_holidays(j.country, subdiv=j.subdiv, years=day.year)
    got = found.get(day)
    return str(got) if got is not None else None


def is_business_day(name: str, day: date) -> bool:
    """A weekday that is not a public holiday of the calendar ``name``."""
    return day.weekday() < 5 and day not in _holidays(name, day.year)


_UNITS = re.compile(
    r"(?:(?P<y>\d{1,2})y)?(?:(?P<mo>\d{1,3})mo)?(?:(?P<w>\d{1,4})w)?(?:(?P<d>\d{1,4})d)?"
    r"(?:(?P<h>\d{1,5})h)?(?:(?P<m>\d{1,6})m)?"
)
_BUSINESS = re.compile(r"(?P<bd>\d{1,3})bd")
HINT = (
    'use whole numbers of y, mo, w, d, h and m in that order ("30m", "1h30m", "24h", "90d", "6mo", '
    '"1y"), or business days alone ("4bd")'
)
#: the longest a clock may run
MAX_SPAN = timedelta(days=800)


@dataclass(frozen=True)
class Due:
    """A clock's duration: elapsed ``minutes``, calendar ``days`` and ``months``, or
    ``business_days`` (alone). Counted on a calendar by :meth:`after`."""

    minutes: int = 0
    days: int = 0
    months: int = 0
    business_days: int = 0

    @classmethod
    def parse(cls, value: object) -> Due:
        """``"1h"``, ``"90d"``, ``"1y"``, ``"4bd"`` (see the module's notes). Raises
        ValueError with a reason for people."""
        if not isinstance(value, str):
            raise ValueError(f"must be a duration string ({HINT})")
        b = _BUSINESS.fullmatch(value)
        if b is not None:
            n = int(b.group("bd"))
            if n < 1 or n > 260:
                raise ValueError("business days must be from 1 to 260")
            return cls(business_days=n)
        m = _UNITS.fullmatch(value)
        if not value or m is None:
            raise ValueError(f"{value!r} is not a duration: {HINT}")
        g = {k: int(v or 0) for k, v in m.groupdict().items()}
        due = cls(minutes=g["h"] * 60 + g["m"], days=g["w"] * 7 + g["d"], months=g["y"] * 12 + g["mo"])
        if due.minutes == 0 and due.days == 0 and due.months == 0:
            raise ValueError("must be longer than zero (leave `due` out for an item with no due time)")
        if due.nominal() > MAX_SPAN:
            raise ValueError("must be at most 800 days (about 2 years)")
        return due

    @classmethod
    def of(cls, td: timedelta) -> Due:
        """An elapsed duration (whole minutes)."""
        return cls(minutes=int(td.total_seconds() // 60))

    def nominal(self) -> timedelta:
        """About how long it is (a month as 31 days, a business day as 1.4 days): for
        limits and for ordering, never for a due time."""
        return timedelta(minutes=self.minutes, days=self.days + self.months * 31 + self.business_days * 1.4)

    @property
    def elapsed(self) -> bool:
        """Only hours and minutes: the same on every calendar."""
        return not (self.days or self.months or self.business_days)

    def after(self, start: datetime, calendar: str | None = None, cutoff: time | None = None) -> datetime:
        """When the clock started at ``start`` is due (aware; UTC). ``calendar``: where
        days, months and business days are counted (None: UTC; required for business
        days); ``cutoff``: the local time a business-day deadline falls at (None: 24:00)."""
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("the start must carry a time zone")
        if self.business_days:
            if calendar is None:
                raise ValueError("business days need a calendar")
            return business_deadline(start, self.business_days, calendar, cutoff)
        out = start
        if self.days or self.months:
            tz = JURISDICTIONS[calendar].tz if calendar is not None else UTC
            local = start.astimezone(tz)
            wall = local.replace(tzinfo=None) + relativedelta(months=self.months, days=self.days)
            out = wall.replace(tzinfo=tz)  # the same wall-clock time; fold 0 in a repeated hour
        return (out + timedelta(minutes=self.minutes)).astimezone(UTC)

    def text(self) -> str:
        """The canonical form: ``"45m"``, ``"1h30m"``, ``"72h"``, ``"3d"``, ``"1y"``, ``"4bd"``.
        Days stay days (on a calendar, 3 days is not always 72 hours)."""
        if self.business_days:
            return f"{self.business_days}bd"
        years, months = divmod(self.months, 12)
        hours, mins = divmod(self.minutes, 60)
        days = self.days
        parts = [(years, "y"), (months, "mo"), (days, "d"), (hours, "h"), (mins, "m")]
        return "".join(f"{n}{u}" for n, u in parts if n) or "0m"

    def words(self, calendar: str | None = None) -> str:
        """For people: ``"1 hour"``, ``"90 calendar days"``, ``"4 business days (US)"``."""
        if self.business_days:
            n = self.business_days
            return f"{n} business day{'s' if n != 1 else ''}" + (f" ({calendar})" if calendar else "")
        parts = []
        years, months = divmod(self.months, 12)
        for n, unit in ((years, "year"), (months, "month"), (self.days, "day")):
            if n:
                parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
        hours, mins = divmod(self.minutes, 60)
        for n, unit in ((hours, "hour"), (mins, "minute")):
            if n:
                parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
        return " ".join(parts) or "0 minutes"


def business_deadline(start: datetime, n: int, calendar: str, cutoff: time | None = None) -> datetime:
    """The end (or ``cutoff``, local) of the ``n``-th business day of ``calendar`` after the
    local day ``start`` falls on, in UTC."""
    tz = JURISDICTIONS[calendar].tz
    day = start.astimezone(tz).date()
    left = n
    while left:
        day += timedelta(days=1)
        if is_business_day(calendar, day):
            left -= 1
    if cutoff is None:
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    else:
        end = datetime.combine(day, cutoff, tzinfo=tz)
    return end.astimezone(UTC)


def parse_cutoff(value: object) -> time:
    """``"17:30"`` as a time. Raises ValueError."""
    if not isinstance(value, str) or not re.fullmatch(r"\d\d:\d\d", value):
        raise ValueError('must be a local time "HH:MM", e.g. "17:30"')
    hh, mm = int(value[:2]), int(value[3:])
    if hh > 23 or mm > 59:
        raise ValueError(f"{value!r} is not a time of day")
    return time(hh, mm)
