"""A business calendar: when support works, and what "4 business hours from now" is.

The hours are written as OpenStreetMap's `opening_hours` (parsed and evaluated by the
`opening-hours-py` library, which also knows public holidays per country), with English day
names in two, three or all letters: "Mon-Fri 09:00-18:00", "Mo-Th 09:00-18:00, Fr 09:00-15:00",
"Mo-Fr 08:00-12:00,13:00-17:00; PH off". Days not named are closed (the weekend).

Pure: the time always comes in (never the wall clock). Every sum is taken on UTC instants, so
an hour is an hour across a DST change (a zone's local times of one day can be 23 or 25 hours
apart).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opening_hours import OpeningHours, State

from flows.errors import Invalid

EXAMPLE = "Mon-Fri 09:00-18:00"
_DAYS = {"mon": "Mo", "tue": "Tu", "wed": "We", "thu": "Th", "fri": "Fr", "sat": "Sa",
         "sun": "Su"}
_DAY_WORD = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", re.IGNORECASE)
# a calendar whose next business minute is further away than this is a mistake
_HORIZON = timedelta(days=400)
# a week with no DST change in either hemisphere: where a business day's length is measured
_REFERENCE_MONDAY = datetime(2024, 1, 8)


def _osm(hours: str) -> str:
    """English day names (Mon, Monday) as opening_hours writes them (Mo)."""
    return _DAY_WORD.sub(lambda m: _DAYS[m.group(1).lower()], hours.strip())


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("a business calendar needs times with their zone")
    return at.astimezone(UTC)


@dataclass(frozen=True)
class Calendar:
    """Business hours in a time zone. `day` is one business day's worth of business time
    (the longest day of an ordinary week): "1 business day" is that many business hours."""

    hours: str
    zone: ZoneInfo
    _oh: OpeningHours = field(repr=False, compare=False)
    day: timedelta

    def open_at(self, at: datetime) -> bool:
        return bool(self._oh.is_open(_utc(at).astimezone(self.zone)))

    def spans(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The business spans (UTC) between two instants, clipped to them."""
        return _spans(self._oh, start.astimezone(self.zone), end)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant (UTC) when `duration` of business time has passed since `start`: inside
        business hours, or exactly at the end of a range (work ending at 18:00 is due at 18:00,
        not at 09:00 the next morning)."""
        at = _utc(start)
        left = duration
        if left <= timedelta(0):
            return at
        for begin, stop, state, _ in self._oh.intervals(at.astimezone(self.zone)):
            b = max(_utc(begin), at)
            if b - at > _HORIZON:
                break
            if state != State.OPEN:
                continue
            if stop is None:
                return b + left
            span = _utc(stop) - b
            if span >= left:
                return b + left
            left -= span
        raise Invalid(f"The business hours {self.hours!r} have no business time within "
                      f"{_HORIZON.days} days of {at:%Y-%m-%d}.")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants (zero when `end` is not after `start`)."""
        if _utc(end) <= _utc(start):
            return timedelta(0)
        return sum((e - b for b, e in self.spans(start, end)), timedelta(0))


def parse(hours: str, zone: str = "UTC", country: str | None = None) -> Calendar:
    """The calendar of `CASEBOT_BUSINESS_HOURS` in `CASEBOT_TIMEZONE` (public holidays of
    `country` for a "PH off" rule); `Invalid` says what to write instead."""
    try:
        tz = ZoneInfo(zone.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"CASEBOT_TIMEZONE {zone!r} is not a time zone. Give an IANA name such "
                      "as Europe/Berlin, America/New_York or UTC.") from None
    text = hours.strip() or EXAMPLE
    osm = _osm(text)
    try:
        oh = OpeningHours(osm, timezone=tz, country=(country or None),
                          auto_country=False, auto_timezone=False)
    except Exception as exc:  # the library's ParserError, UnknownCountryError (not typed)
        if type(exc).__name__ == "UnknownCountryError":
            raise Invalid(f"CASEBOT_HOLIDAYS {country!r} is not a country whose public "
                          "holidays are known. Give an ISO 3166 code such as DE or FR, or "
                          "leave it unset.") from None
        where = f"read as {osm!r}, " if osm != text else ""
        raise Invalid(f"CASEBOT_BUSINESS_HOURS {text!r} is not business hours "
                      f"({where}{_problem(exc)}). Write "
                      f"days and times like {EXAMPLE!r}, several ranges like 'Mon-Thu "
                      "09:00-18:00, Fri 09:00-15:00', and 'PH off' for public holidays.") \
            from None
    monday = _REFERENCE_MONDAY.replace(tzinfo=tz)
    days = [sum((e - b for b, e in _spans(oh, monday + timedelta(days=n),
                                           monday + timedelta(days=n + 1))), timedelta(0))
            for n in range(7)]
    if not any(days):
        raise Invalid(f"CASEBOT_BUSINESS_HOURS {text!r} has no business hours in a week. "
                      f"Write days and times like {EXAMPLE!r}.")
    return Calendar(hours=text, zone=tz, _oh=oh, day=max(days))


def _problem(exc: Exception) -> str:
    """The parser's complaint in one line: where, and what it expected."""
    where = re.search(r"--> \d+:(\d+)", str(exc))
    expected = re.search(r"= (expected .*)", str(exc))
    if where and expected:
        return f"at character {where.group(1)}: {expected.group(1)}"
    return " ".join(str(exc).split())[:200]


def _spans(oh: OpeningHours, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Open spans between two instants, as UTC instants clipped to them."""
    lo, hi = _utc(start), _utc(end)
    out = []
    zone = start.tzinfo if isinstance(start.tzinfo, ZoneInfo) else ZoneInfo("UTC")
    for b, e, state, _ in oh.intervals(lo.astimezone(zone), hi.astimezone(zone)):
        begin, stop = max(_utc(b), lo), min(_utc(e), hi) if e is not None else hi
        if state == State.OPEN and stop > begin:
            out.append((begin, stop))
    return out
