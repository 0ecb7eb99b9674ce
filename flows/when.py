"""Dates and times as a person reads them (issue 27): values a message carries as parameters
(`_("updated {when}", when=Moment(at))`), which each language formats when the message is
rendered (bot/dates.py, with Babel's CLDR formats: "Dec 6, 2026, 10:49 PM UTC",
"2026年12月6日 22:49 UTC"). Nothing here formats for a language, so flows/ stays free of
Babel; what a value's `str` says is the ISO-style English that logs, operators and stored
text keep ("2026-12-06 22:49 UTC").

A value is shown in the zone it carries: an instant casebot recorded in UTC (casebot knows
no customer's zone), a change window in the zone it was typed in (docs/decisions.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo


def zone_label(zone: tzinfo | None, at: datetime | None = None) -> str:
    """The zone as a person reads it: "UTC", an abbreviation ("JST", "CET"), else its offset
    ("UTC+9", "UTC+5:30"; what `timezone(offset)` and an ISO string's offset give)."""
    if zone is None:
        return "UTC"
    name = zone.tzname(at)
    if name and not _OFFSET_NAME.match(name):
        return name
    return offset_label(zone.utcoffset(at) or timedelta(0))


_OFFSET_NAME = re.compile(r"^(?:[+-]|(?:UTC|GMT)[+-])")  # "+04", "UTC+09:00": no name


def offset_label(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


@dataclass(frozen=True)
class Moment:
    """An instant, shown with its date, its time to the minute and its zone. `at` is aware
    (a naive one is taken as UTC, as every stored time is)."""

    at: datetime

    @classmethod
    def utc(cls, at: datetime) -> Moment:
        """An instant casebot recorded, shown in UTC (whatever zone the database gave it)."""
        return cls((at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(UTC))

    @property
    def local(self) -> datetime:
        return self.at if self.at.tzinfo is not None else self.at.replace(tzinfo=UTC)

    def zone(self) -> str:
        return zone_label(self.local.tzinfo, self.local)

    def __str__(self) -> str:
        return f"{self.local:%Y-%m-%d %H:%M} {self.zone()}"


@dataclass(frozen=True)
class Day:
    """A calendar day, no time."""

    day: date

    def __str__(self) -> str:
        return self.day.isoformat()


DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # weekday() 0..6
EVERY_DAY = frozenset(range(7))


@dataclass(frozen=True)
class Weekly:
    """Hours on some days of every week in one zone: a preferred call time ("Mon-Fri
    09:00-17:00 JST"). `days` None: the days were not given; `end` may be (24, 0)."""

    days: frozenset[int] | None
    start: tuple[int, int]
    end: tuple[int, int]
    zone: str

    def runs(self) -> list[tuple[int, int]]:
        """The days as (first, last) runs of consecutive days, Monday first; a run over
        Sunday into Monday stays one ("Fri-Mon")."""
        runs: list[list[int]] = []
        for d in sorted(self.days or ()):
            if runs and runs[-1][-1] == d - 1:
                runs[-1].append(d)
            else:
                runs.append([d])
        if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 6:
            runs[0] = runs.pop() + runs[0]
        return [(r[0], r[-1]) for r in runs]

    def days_text(self) -> str:
        """English canonical days: "Daily", "Mon-Fri", "Mon, Wed, Fri", "Fri-Mon"."""
        if self.days == EVERY_DAY:
            return "Daily"
        return ", ".join(DAY_NAMES[a] if a == b else f"{DAY_NAMES[a]}-{DAY_NAMES[b]}"
                         for a, b in self.runs())

    def __str__(self) -> str:
        """The canonical form, what a case stores ("Mon-Fri 09:00-17:00 JST")."""
        (h1, m1), (h2, m2) = self.start, self.end
        hours = f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d} {self.zone}"
        return f"{self.days_text()} {hours}" if self.days else hours

    @classmethod
    def parse(cls, text: str) -> Weekly | None:
        """The canonical form read back; None for anything else ("24x7", older text)."""
        found = _CANONICAL.match(text.strip())
        if found is None:
            return None
        days: set[int] | None = None
        if found["days"] == "Daily":
            days = set(EVERY_DAY)
        elif found["days"]:
            days = set()
            for run in found["days"].split(", "):
                first, _, last = run.partition("-")
                a = DAY_NAMES.index(first)
                b = DAY_NAMES.index(last) if last else a
                days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
        start, end = (int(found["h1"]), int(found["m1"])), (int(found["h2"]), int(found["m2"]))
        return cls(frozenset(days) if days is not None else None, start, end, found["zone"])


_DAY = "|".join(DAY_NAMES)
_RUN = rf"(?:{_DAY})(?:-(?:{_DAY}))?"
_CANONICAL = re.compile(rf"^(?:(?P<days>Daily|{_RUN}(?:, {_RUN})*) )?"
                        r"(?P<h1>\d\d):(?P<m1>\d\d)-(?P<h2>\d\d):(?P<m2>\d\d) (?P<zone>\S+)$")


When = Moment | Day | Weekly
