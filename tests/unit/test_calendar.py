"""flows/calendar.py: business time added across nights, weekends and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.calendar import parse
from flows.errors import Invalid

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = parse("Mon-Fri 09:00-18:00", "Europe/Berlin")
SPLIT = parse("Mon-Thu 09:00-18:00, Fri 09:00-15:00", "Europe/Berlin")
CALENDARS = [WEEK, SPLIT, parse("Mo-Fr 08:00-12:00,13:00-17:00", "America/New_York"),
             parse("Mo-Su 01:30-03:30", "Europe/Berlin"),  # right across the DST hours
             parse("Mon-Fri 09:00-18:00", "UTC")]


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_a_night_and_a_weekend_are_not_counted() -> None:
    # Friday 17:00 + 4 business hours: 1 h on Friday, 3 h on Monday
    assert WEEK.add(berlin(2026, 1, 9, 17), timedelta(hours=4)) == berlin(2026, 1, 12, 12)
    # Tuesday 20:00 (after hours) + 2 h: Wednesday 11:00
    assert WEEK.add(berlin(2026, 1, 6, 20), timedelta(hours=2)) == berlin(2026, 1, 7, 11)
    # Saturday: the clock starts on Monday at 09:00
    assert WEEK.add(berlin(2026, 1, 10, 12), timedelta(minutes=30)) \
        == berlin(2026, 1, 12, 9, 30)


def test_work_that_ends_with_the_day_is_due_at_its_end() -> None:
    assert WEEK.add(berlin(2026, 1, 7, 9), timedelta(hours=9)) == berlin(2026, 1, 7, 18)
    assert WEEK.day == timedelta(hours=9)


def test_several_ranges_a_day_and_a_short_friday() -> None:
    assert SPLIT.day == timedelta(hours=9)
    assert SPLIT.add(berlin(2026, 1, 9, 14), timedelta(hours=2)) == berlin(2026, 1, 12, 10)


def test_across_the_spring_dst_change() -> None:
    # Friday 27 March 2026 17:00 CET; Monday 30 March is CEST: 09:00 local = 07:00 UTC
    due = WEEK.add(berlin(2026, 3, 27, 17), timedelta(hours=4))
    assert due == berlin(2026, 3, 30, 12)
    assert due == datetime(2026, 3, 30, 10, tzinfo=UTC)
    night = parse("Mo-Su 00:00-24:00", "Europe/Berlin")
    # the night of the change has 23 hours: 24 business hours end an hour later on the clock
    assert night.add(berlin(2026, 3, 28, 12), timedelta(hours=24)) == berlin(2026, 3, 29, 13)


def test_across_the_autumn_dst_change() -> None:
    due = WEEK.add(berlin(2026, 10, 23, 17), timedelta(hours=4))  # CEST Friday → CET Monday
    assert due == berlin(2026, 10, 26, 12) == datetime(2026, 10, 26, 11, tzinfo=UTC)


def test_public_holidays_when_asked_for() -> None:
    de = parse("Mon-Fri 09:00-18:00; PH off", "Europe/Berlin", country="DE")
    # Friday 1 May 2026 is Labour Day: Thursday 17:00 + 2 h is Monday 10:00
    assert de.add(berlin(2026, 4, 30, 17), timedelta(hours=2)) == berlin(2026, 5, 4, 10)


@pytest.mark.parametrize(("hours", "zone", "says"), [
    ("Mon-Fri 9-18", "UTC", "at character 7"),
    ("weekdays", "UTC", "Write days and times like 'Mon-Fri 09:00-18:00'"),
    ("off", "UTC", "no business hours in a week"),
    ("Mon-Fri 09:00-18:00", "Mars/Olympus", "CASEBOT_TIMEZONE 'Mars/Olympus'"),
])
def test_mistakes_say_what_to_write(hours: str, zone: str, says: str) -> None:
    with pytest.raises(Invalid, match=says):
        parse(hours, zone)


def test_an_unknown_holiday_country_is_named() -> None:
    with pytest.raises(Invalid, match="CASEBOT_HOLIDAYS 'XX'"):
        parse("Mon-Fri 09:00-18:00; PH off", "UTC", country="XX")


def test_day_names_in_any_length() -> None:
    a = parse("Monday-Friday 09:00-18:00").add(berlin(2026, 1, 9, 17), timedelta(hours=5))
    b = parse("Mo-Fr 09:00-18:00").add(berlin(2026, 1, 9, 17), timedelta(hours=5))
    assert a == b


# -- properties ---------------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),
                        timezones=st.just(UTC))
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4))
calendars = st.sampled_from(CALENDARS)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations)
def test_the_business_time_added_is_the_duration(cal, start, duration) -> None:  # type: ignore[no-untyped-def]
    due = cal.add(start, duration)
    assert due >= start
    assert cal.between(start, due) == duration


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations.filter(lambda d: d > timedelta(0)))
def test_due_is_in_business_hours_or_at_a_range_end(cal, start, duration) -> None:  # type: ignore[no-untyped-def]
    due = cal.add(start, duration)
    assert cal.open_at(due) or cal.open_at(due - timedelta(microseconds=1))


@settings(max_examples=200, deadline=None)
@given(calendars, instants, instants, durations, durations)
def test_later_or_longer_is_never_earlier(cal, a, b, d1, d2) -> None:  # type: ignore[no-untyped-def]
    a, b = sorted((a, b))
    d1, d2 = sorted((d1, d2))
    assert cal.add(a, d1) <= cal.add(b, d1)
    assert cal.add(a, d1) <= cal.add(a, d2)


# -- the catalog's response times (flows/sla.py) ------------------------------------------

def test_response_times_per_plan_from_the_catalog() -> None:
    from flows.catalog import get_catalog
    from flows.sla import Targets

    targets = Targets((s.name, s.response) for s in get_catalog().severities)
    friday = berlin(2026, 1, 9, 15)
    cases = {("Low", "standard"): berlin(2026, 1, 13, 15),  # 18 business hours
             ("Low", "premium"): berlin(2026, 1, 12, 15),
             ("Medium", "standard"): berlin(2026, 1, 12, 15),
             ("Medium", "premium"): berlin(2026, 1, 12, 10),
             ("High", "standard"): berlin(2026, 1, 12, 10),
             ("High", "premium"): berlin(2026, 1, 9, 16),  # "1 hour": on the clock
             ("Critical", "standard"): berlin(2026, 1, 9, 17),  # 24x7
             ("Critical", "premium"): berlin(2026, 1, 9, 15, 30)}
    for (severity, plan), expected in cases.items():
        assert targets.of(severity, plan).due(friday, WEEK) == expected, (severity, plan)
    # no severity or plan known: Medium, standard
    assert targets.of(None, None) == targets.of("Medium", "standard")


@pytest.mark.parametrize("response", ["4 business hours", "4 hours / 1 hour / 2 hours",
                                      "soon / 1 hour", "0 hours / 1 hour"])
def test_a_bad_response_time_says_what_to_write(response: str) -> None:
    from flows.sla import BadTarget, parse_response

    with pytest.raises(BadTarget, match="High"):
        parse_response("High", response)


def test_the_clocks_paused_statuses_are_the_replies_ones() -> None:
    from bot import clock, replies

    assert set(clock.PAUSED) == {replies.WAITING, *replies.DONE}


def test_the_readme_example() -> None:
    """README, "Response times": the example's numbers."""
    from flows.catalog import get_catalog
    from flows.sla import Targets

    of = Targets((s.name, s.response) for s in get_catalog().severities).of
    friday = berlin(2026, 1, 9, 17)
    assert of("High", "standard").due(friday, WEEK) == berlin(2026, 1, 12, 12)
    assert of("Low", "standard").due(friday, WEEK) == berlin(2026, 1, 13, 17)
    assert of("Critical", "standard").due(friday, WEEK) == berlin(2026, 1, 9, 19)
    assert of("High", "standard").due(berlin(2026, 1, 12, 10), WEEK) == berlin(2026, 1, 12, 14)
    assert of("High", "standard").due(berlin(2026, 1, 13, 17, 30), WEEK) \
        == berlin(2026, 1, 14, 12, 30)
