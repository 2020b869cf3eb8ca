"""Calendar months and years in durations: ``1mo``, ``3mo``, ``1y``.

A month is counted on the organisation's wall clock (REVIEWFLOW_TIMEZONE), so these
tests give the zone explicitly and compare naive UTC times, the way times are stored.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.durations import Duration, DurationError, format_duration, parse_duration

CPH = ZoneInfo("Europe/Copenhagen")


def local(text: str, zone=CPH) -> datetime:
    """A local wall-clock time in ``zone`` as naive UTC (as stored)."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC).replace(
        tzinfo=None)


@pytest.mark.parametrize("text, months", [("1mo", 1), ("3mo", 3), ("12mo", 12), ("1y", 12),
                                          ("2y", 24), ("120mo", 120), ("10y", 120)])
def test_months_and_years_parse_as_calendar_months(text, months):
    assert parse_duration(text) == Duration(months=months)
    assert parse_duration(text) != timedelta(days=30 * months)


def test_m_stays_minutes():
    assert parse_duration("1m") == timedelta(minutes=1)


@pytest.mark.parametrize("text", ["121mo", "11y", "0mo", "0y", "1 month", "1yr"])
def test_too_many_or_misspelt_months_are_refused(text):
    with pytest.raises(DurationError):
        parse_duration(text)


@pytest.mark.parametrize("start, months, end", [
    ("2027-01-31T09:00", 1, "2027-02-28T09:00"),   # the last day of a shorter month
    ("2028-01-31T09:00", 1, "2028-02-29T09:00"),   # a leap year
    ("2028-02-29T09:00", 12, "2029-02-28T09:00"),  # a leap day a year later
    ("2027-03-31T09:00", 1, "2027-04-30T09:00"),
    ("2027-11-15T23:59", 3, "2028-02-15T23:59"),   # across a new year
    ("2027-01-15T09:00", 1, "2027-02-15T09:00"),
])
def test_a_month_keeps_the_day_or_takes_the_last_one(start, months, end):
    assert Duration(months=months).add_to(local(start), CPH) == local(end)


def test_a_month_across_the_spring_daylight_change_keeps_the_local_time():
    # Copenhagen moves from CET (UTC+1) to CEST (UTC+2) on 28 March 2027
    start = local("2027-03-15T09:00")
    later = Duration(months=1).add_to(start, CPH)
    assert later == local("2027-04-15T09:00")
    assert later - start == timedelta(days=31, hours=-1)  # one hour less of real time
    assert later.replace(tzinfo=UTC).astimezone(CPH).hour == 9


def test_a_month_back_across_the_autumn_change_keeps_the_local_time():
    due = local("2027-11-15T23:59")  # CET
    reminder = Duration(months=1).subtract_from(due, CPH)
    assert reminder == local("2027-10-15T23:59")  # CEST
    assert due - reminder == timedelta(days=31, hours=1)


def test_a_local_time_the_spring_change_skips_comes_out_as_clocks_show_it():
    # 02:30 on 28 March 2027 does not exist in Copenhagen: clocks jump from 02:00 to 03:00
    start = local("2027-02-28T02:30")
    later = Duration(months=1).add_to(start, CPH)
    assert later.replace(tzinfo=UTC).astimezone(CPH).strftime("%H:%M") == "03:30"


def test_the_organisation_zone_is_the_default(monkeypatch):
    monkeypatch.setenv("REVIEWFLOW_TIMEZONE", "Europe/Copenhagen")
    start = local("2027-03-15T09:00")
    assert Duration(months=1).add_to(start) == local("2027-04-15T09:00")
    monkeypatch.setenv("REVIEWFLOW_TIMEZONE", "UTC")
    assert Duration(months=1).add_to(start) == start + timedelta(days=31)


def test_a_fixed_duration_is_exact_time_in_any_zone():
    start = local("2027-03-27T09:00")
    assert parse_duration("2d").add_to(start, CPH) == start + timedelta(days=2)
    assert parse_duration("2d").subtract_from(start, CPH) == start - timedelta(days=2)


def test_an_aware_time_is_taken_as_its_utc():
    start = datetime(2027, 1, 31, 8, 0, tzinfo=UTC)
    assert Duration(months=1).add_to(start, CPH) == datetime(2027, 2, 28, 8, 0)


@pytest.mark.parametrize("shorter, longer, answer", [
    ("2w", "1mo", True), ("1mo", "2w", False), ("1mo", "3mo", True), ("30d", "1mo", None),
    ("28d", "1mo", None), ("27d", "1mo", True), ("32d", "1mo", False), ("3mo", "3mo", False),
    ("11mo", "1y", True), ("1y", "52w", False),
])
def test_comparing_months_with_days_says_when_it_depends(shorter, longer, answer):
    assert parse_duration(shorter).shorter_than(parse_duration(longer)) is answer


@pytest.mark.parametrize("value, text", [
    (Duration(months=1), "1mo"), (Duration(months=3), "3mo"), (Duration(months=12), "1y"),
    (Duration(months=18), "18mo"), (Duration(months=24), "2y"),
    (Duration(timedelta(days=14)), "2w"), (Duration(timedelta(days=2), 1), "1mo 2d"),
])
def test_format_duration_spells_months_back(value, text):
    assert format_duration(value) == text
    if " " not in text:
        assert parse_duration(text) == value
