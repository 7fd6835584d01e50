"""Durations of legal clocks (data/procedures/calendars.py): parsing, canonical text, and
due times on the calendars of the jurisdictions, across daylight-saving changes, month ends
and public holidays. Every expected time is worked out by hand in the comment beside it.

Facts used (2026 unless said): US DST starts Sun 8 March, ends Sun 1 November; UK BST starts
Sun 29 March, ends Sun 25 October; Sydney AEDT (+11) ends Sun 5 April, AEST (+10) until
Sun 4 October; Brussels CEST starts Sun 29 March. US Thanksgiving Thu 26 November,
Christmas Fri 25 December; England: Boxing Day Sat 26 December, substitute Mon 28 December;
New South Wales: the same substitute Monday, and Australia Day 2025 (Sun 26 January)
observed Mon 27 January 2025.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from data.procedures.calendars import Due, business_deadline, is_business_day, parse_cutoff


def z(text: str) -> datetime:
    """``"2026-05-30T14:00"`` as a UTC time."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- parse and text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("30m", Due(minutes=30)),
        ("1h30m", Due(minutes=90)),
        ("24h", Due(minutes=1440)),
        ("3d", Due(days=3)),
        ("2w", Due(days=14)),
        ("2w3d", Due(days=17)),
        ("6mo", Due(months=6)),
        ("1y", Due(months=12)),
        ("1y6mo", Due(months=18)),
        ("2y", Due(months=24)),
        ("4bd", Due(business_days=4)),
        ("260bd", Due(business_days=260)),
    ],
)
def test_parse_valid(text: str, due: Due) -> None:
    assert Due.parse(text) == due


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "'' is not a duration: use whole numbers"),
        ("1.5h", "'1.5h' is not a duration"),
        ("30m1h", "'30m1h' is not a duration"),  # units in the wrong order
        ("h", "'h' is not a duration"),
        ("24 h", "'24 h' is not a duration"),
        ("4bd2h", "'4bd2h' is not a duration"),  # business days go alone
        ("-1h", "'-1h' is not a duration"),
        ("0m", "must be longer than zero"),
        ("0d0h", "must be longer than zero"),
        ("0bd", "business days must be from 1 to 260"),
        ("261bd", "business days must be from 1 to 260"),
        ("3y", "must be at most 800 days"),
        ("900d", "must be at most 800 days"),
        (24, "must be a duration string"),
        (None, "must be a duration string"),
    ],
)
def test_parse_invalid(value: object, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(".", r"\.")) as err:
        Due.parse(value)
    if "not a duration" in message:
        assert '"4bd"' in str(err.value)  # the hint says what is accepted


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("45m", "45m"),
        ("90m", "1h30m"),
        ("1h30m", "1h30m"),
        ("72h", "72h"),
        ("3d", "3d"),  # days stay days: on a calendar, 3 days is not always 72 hours
        ("6d23h", "6d23h"),
        ("7d", "7d"),
        ("2w", "14d"),
        ("90d", "90d"),
        ("12mo", "1y"),
        ("18mo", "1y6mo"),
        ("1mo3d", "1mo3d"),
        ("4bd", "4bd"),
    ],
)
def test_text_is_canonical_and_parses_back(text: str, canonical: str) -> None:
    due = Due.parse(text)
    assert due.text() == canonical
    back = Due.parse(canonical)
    # the same clock (3d and 72h differ only in how they are counted across DST)
    assert back.nominal() == due.nominal()


# --- elapsed ------------------------------------------------------------------------------


def test_elapsed_hours_ignore_the_calendar_and_dst() -> None:
    # 2026-03-08 06:30Z is 01:30 EST; at 07:00Z (02:00 EST) New York springs to 03:00 EDT.
    # One elapsed hour is 07:30Z whatever the calendar.
    start = z("2026-03-08T06:30")
    assert Due.parse("1h").after(start) == z("2026-03-08T07:30")
    assert Due.parse("1h").after(start, "US") == z("2026-03-08T07:30")
    # 72 hours across the UK change (29 March 01:00Z): 3 x 24 h = 2026-03-31T00:00Z
    assert Due.parse("72h").after(z("2026-03-28T00:00"), "UK") == z("2026-03-31T00:00")
    # a start in another zone is the same instant: 10:00+02:00 = 08:00Z, + 48 h
    start_cest = datetime.fromisoformat("2026-06-01T10:00:00+02:00")
    assert Due.parse("48h").after(start_cest) == z("2026-06-03T08:00")
    assert Due.parse("48h").after(start_cest).tzinfo == UTC


def test_naive_start_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Due.parse("1h").after(datetime(2026, 1, 1, 10, 0))


# --- calendar days across DST ------------------------------------------------------------


def test_calendar_days_across_us_dst_keep_the_wall_clock() -> None:
    # start 2026-03-01 10:00 EST (-5) = 15:00Z. 90 days: March 1 + 30 = March 31,
    # + 31 = May 1, + 29 = May 30. 10:00 EDT (-4) on 30 May = 14:00Z (an hour earlier in UTC).
    assert Due.parse("90d").after(z("2026-03-01T15:00"), "US") == z("2026-05-30T14:00")
    # without a calendar, days count in UTC: 15:00Z on 30 May
    assert Due.parse("90d").after(z("2026-03-01T15:00")) == z("2026-05-30T15:00")
    # autumn: 2026-10-30 10:00 EDT = 14:00Z; 3 days later 2 November 10:00 EST = 15:00Z
    assert Due.parse("3d").after(z("2026-10-30T14:00"), "US") == z("2026-11-02T15:00")


def test_calendar_days_across_uk_dst() -> None:
    # 2026-03-25 09:00 GMT = 09:00Z; 7 days: 1 April 09:00 BST (+1) = 08:00Z
    assert Due.parse("7d").after(z("2026-03-25T09:00"), "UK") == z("2026-04-01T08:00")
    # 2026-10-20 12:00 BST = 11:00Z; 1 week: 27 October 12:00 GMT = 12:00Z
    assert Due.parse("1w").after(z("2026-10-20T11:00"), "UK") == z("2026-10-27T12:00")


def test_calendar_days_across_au_dst() -> None:
    # 2026-03-20 09:00 AEDT (+11) = 2026-03-19T22:00Z; 30 days: March 20 + 11 = March 31,
    # + 19 = 19 April, 09:00 AEST (+10) = 2026-04-18T23:00Z
    assert Due.parse("30d").after(z("2026-03-19T22:00"), "AU") == z("2026-04-18T23:00")
    assert Due.parse("30d").after(z("2026-03-19T22:00"), "AU-NSW") == z("2026-04-18T23:00")
    # spring: 2026-10-01 09:00 AEST = 2026-09-30T23:00Z; 7 days: 8 October 09:00 AEDT = 2026-10-07T22:00Z
    assert Due.parse("7d").after(z("2026-09-30T23:00"), "AU") == z("2026-10-07T22:00")


# --- months and years ---------------------------------------------------------------------


def test_a_month_after_31_january_is_the_last_day_of_february() -> None:
    assert Due.parse("1mo").after(z("2026-01-31T12:00")) == z("2026-02-28T12:00")
    # 2028 is a leap year: 29 February
    assert Due.parse("1mo").after(z("2028-01-31T12:00")) == z("2028-02-29T12:00")


def test_a_year_after_29_february_is_28_february() -> None:
    # 2028-02-29 12:00 EST (-5) = 17:00Z; 1 year on the US calendar: 2029-02-28 12:00 EST = 17:00Z
    assert Due.parse("1y").after(z("2028-02-29T17:00"), "US") == z("2029-02-28T17:00")
    assert Due.parse("1y").after(z("2028-02-29T12:00")) == z("2029-02-28T12:00")


def test_months_on_the_eu_calendar_across_dst() -> None:
    # 2026-03-31 10:00 CEST (+2) = 08:00Z; 1 month: 30 April 10:00 CEST = 08:00Z
    assert Due.parse("1mo").after(z("2026-03-31T08:00"), "EU") == z("2026-04-30T08:00")
    # 2026-05-15 10:00 CEST = 08:00Z; 6 months: 15 November 10:00 CET (+1) = 09:00Z
    assert Due.parse("6mo").after(z("2026-05-15T08:00"), "EU") == z("2026-11-15T09:00")


# --- business days --------------------------------------------------------------------------


def test_us_business_days_skip_thanksgiving() -> None:
    # Tue 2026-11-24 10:00 EST = 15:00Z. After the 24th: Wed 25 (1), Thu 26 Thanksgiving,
    # Fri 27 (2), Sat, Sun, Mon 30 (3), Tue 1 December (4). End of 1 December = 2 December
    # 00:00 EST = 05:00Z; by 17:30 EST = 22:30Z.
    four = Due.parse("4bd")
    assert four.after(z("2026-11-24T15:00"), "US") == z("2026-12-02T05:00")
    assert four.after(z("2026-11-24T15:00"), "US", time(17, 30)) == z("2026-12-01T22:30")
    assert business_deadline(z("2026-11-24T15:00"), 4, "US", time(17, 30)) == z("2026-12-01T22:30")


def test_us_business_days_skip_christmas() -> None:
    # Tue 2026-12-22 (any hour: 12:00 EST = 17:00Z). Wed 23 (1), Thu 24 (2), Fri 25 Christmas,
    # Mon 28 (3), Tue 29 (4); 17:30 EST on the 29th = 22:30Z.
    assert Due.parse("4bd").after(z("2026-12-22T17:00"), "US", time(17, 30)) == z("2026-12-29T22:30")


def test_uk_boxing_day_substitute() -> None:
    # Thu 2026-12-24 10:00 GMT. England: Fri 25 Christmas, Sat, Sun, Mon 28 Boxing Day
    # (substitute), Tue 29 (1), Wed 30 (2). End of the 30th = 2026-12-31T00:00Z.
    assert Due.parse("2bd").after(z("2026-12-24T10:00"), "UK") == z("2026-12-31T00:00")
    # the US works on the 28th: Mon 28 (1), Tue 29 (2); end = 30 December 00:00 EST = 05:00Z
    assert Due.parse("2bd").after(z("2026-12-24T15:00"), "US") == z("2026-12-30T05:00")


def test_au_nsw_boxing_day_substitute_and_national() -> None:
    # Thu 2026-12-24 10:00 AEDT (+11) = 2026-12-23T23:00Z. NSW: Fri 25, Sat, Sun, Mon 28
    # Boxing Day observed, Tue 29 (1); end = 30 December 00:00 AEDT = 2026-12-29T13:00Z.
    assert Due.parse("1bd").after(z("2026-12-23T23:00"), "AU-NSW") == z("2026-12-29T13:00")
    # national holidays only (no NSW substitute): Mon 28 (1); end = 29 December 00:00 AEDT = 28th 13:00Z
    assert Due.parse("1bd").after(z("2026-12-23T23:00"), "AU") == z("2026-12-28T13:00")


def test_au_nsw_australia_day() -> None:
    # Fri 2026-01-23 10:00 AEDT = 2026-01-22T23:00Z. Mon 26 Australia Day, Tue 27 (1);
    # end = 28 January 00:00 AEDT = 2026-01-27T13:00Z
    assert Due.parse("1bd").after(z("2026-01-22T23:00"), "AU-NSW") == z("2026-01-27T13:00")
    # 2025: Australia Day Sun 26, observed in NSW Mon 27: from Fri 24 January, Tue 28 (1);
    # end = 29 January 00:00 AEDT = 2025-01-28T13:00Z
    assert Due.parse("1bd").after(z("2025-01-23T23:00"), "AU-NSW") == z("2025-01-28T13:00")


def test_weekends_and_the_local_day() -> None:
    # Fri 2026-11-06 (12:00 EST = 17:00Z): Mon 9 (1); end = 10 November 00:00 EST = 05:00Z
    assert Due.parse("1bd").after(z("2026-11-06T17:00"), "US") == z("2026-11-10T05:00")
    # starting on Saturday 7 November: the same Monday
    assert Due.parse("1bd").after(z("2026-11-07T17:00"), "US") == z("2026-11-10T05:00")
    # 2026-11-25T03:00Z is still Tue 24 November 22:00 in New York: the count starts after
    # the 24th: Wed 25 (1); end = 26 November 00:00 EST = 05:00Z
    assert Due.parse("1bd").after(z("2026-11-25T03:00"), "US") == z("2026-11-26T05:00")
    # EU: weekdays only, Christmas counts. Thu 2026-12-24 10:00 CET = 09:00Z: Fri 25 (1),
    # Mon 28 (2); end = 29 December 00:00 CET = 2026-12-28T23:00Z
    assert Due.parse("2bd").after(z("2026-12-24T09:00"), "EU") == z("2026-12-28T23:00")


def test_business_days_across_dst() -> None:
    # Fri 2026-10-30 10:00 EDT = 14:00Z. Mon 2 November (1), after the change on the 1st;
    # end = 3 November 00:00 EST (-5) = 05:00Z
    assert Due.parse("1bd").after(z("2026-10-30T14:00"), "US") == z("2026-11-03T05:00")
    # with a cutoff: 17:30 EST on 2 November = 22:30Z
    assert Due.parse("1bd").after(z("2026-10-30T14:00"), "US", time(17, 30)) == z("2026-11-02T22:30")


def test_business_days_need_a_calendar() -> None:
    with pytest.raises(ValueError, match="business days need a calendar"):
        Due.parse("4bd").after(z("2026-11-24T15:00"))


def test_is_business_day() -> None:
    assert not is_business_day("US", date(2026, 11, 26))  # Thanksgiving
    assert is_business_day("US", date(2026, 11, 27))
    assert not is_business_day("US", date(2026, 11, 28))  # Saturday
    assert not is_business_day("US", date(2026, 11, 29))  # Sunday
    assert not is_business_day("US", date(2026, 12, 25))
    assert is_business_day("US", date(2026, 12, 28))
    assert not is_business_day("UK", date(2026, 12, 28))  # Boxing Day (substitute)
    assert is_business_day("UK", date(2026, 11, 26))  # not a UK holiday
    assert not is_business_day("AU-NSW", date(2026, 12, 28))
    assert is_business_day("AU", date(2026, 12, 28))
    assert not is_business_day("AU", date(2026, 1, 26))  # Australia Day
    assert not is_business_day("AU-NSW", date(2025, 1, 27))  # observed in NSW
    assert is_business_day("EU", date(2026, 12, 25))  # weekdays only
    assert not is_business_day("EU", date(2026, 12, 26))


def test_parse_cutoff() -> None:
    assert parse_cutoff("17:30") == time(17, 30)
    assert parse_cutoff("00:00") == time(0, 0)
    for bad in ("7:30", "24:00", "17:60", "1730", 1730):
        with pytest.raises(ValueError):
            parse_cutoff(bad)


def test_calendar_days_into_a_skipped_or_repeated_hour() -> None:
    # 2026-03-07 02:30 EST = 07:30Z; a day later, 02:30 on 8 March does not exist in New
    # York (02:00 EST -> 03:00 EDT): read with the offset before the change (EST), 07:30Z,
    # which is 03:30 EDT
    assert Due.parse("1d").after(z("2026-03-07T07:30"), "US") == z("2026-03-08T07:30")
    # 2026-10-31 01:30 EDT = 05:30Z; 01:30 on 1 November happens twice: the first (EDT), 05:30Z
    assert Due.parse("1d").after(z("2026-10-31T05:30"), "US") == z("2026-11-01T05:30")
