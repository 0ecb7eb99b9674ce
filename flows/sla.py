"""Response-time targets: how long support may take to answer, per severity and plan.

The catalog says it per severity as "standard / premium" ("4 business hours / 1 hour").
- "N business hours/minutes" count only the business calendar's hours (flows/calendar.py).
- "N business days" are N full business days of hours: with Mon-Fri 09:00-18:00 one business
  day is 9 business hours, so a Medium case (1 business day) opened on Friday at 15:00 is due
  on Monday at 15:00.
- Plain "N hours/minutes/days" run on the clock, nights and weekends included.
- Critical always runs on the clock (24x7: a Critical case needs a 24x7 contact, intake.md),
  so its "2 business hours" are 2 hours of the clock.

Pure: the start time comes in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.calendar import Calendar

PLANS = ("standard", "premium")
DEFAULT_PLAN = "standard"
ROUND_THE_CLOCK = ("Critical",)
DEFAULT_SEVERITY = "Medium"  # a case without a known severity (none made by the form)
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
_TARGET = re.compile(r"^\s*(\d+)\s+(business\s+)?(minute|hour|day)s?\s*$", re.IGNORECASE)


class BadTarget(ValueError):
    """A catalog response time that can't be read; the message says what to write."""


@dataclass(frozen=True)
class Target:
    """`amount` `unit`s, counted on the business calendar or on the clock."""

    amount: int
    unit: str  # minute, hour, day
    business: bool
    text: str

    def due(self, start: datetime, calendar: Calendar) -> datetime:
        """When this much response time has passed since `start`."""
        if not self.business:
            return start + self.amount * _UNITS[self.unit]
        per = calendar.day if self.unit == "day" else _UNITS[self.unit]
        return calendar.add(start, self.amount * per)


def parse_target(text: str, *, clock: bool = False) -> Target:
    """"4 business hours", "30 minutes", "1 business day"; `clock`: counted on the clock
    whatever it says (Critical's 24x7)."""
    m = _TARGET.match(text)
    if m is None or int(m.group(1)) <= 0:
        raise BadTarget(f"{text!r} is not a response time: write it like '4 business hours', "
                        "'1 business day' or '30 minutes'")
    return Target(int(m.group(1)), m.group(3).lower(), bool(m.group(2)) and not clock,
                  text.strip())


def parse_response(severity: str, response: str) -> dict[str, Target]:
    """A catalog `response` ("standard / premium") as a target per plan."""
    parts = response.split("/")
    if len(parts) != len(PLANS):
        raise BadTarget(f"severity {severity}: response {response!r} must be two times, "
                        "standard / premium, like '4 business hours / 1 hour'")
    clock = severity in ROUND_THE_CLOCK
    try:
        return {plan: parse_target(p, clock=clock) for plan, p in zip(PLANS, parts, strict=True)}
    except BadTarget as exc:
        raise BadTarget(f"severity {severity}: {exc}") from None


class Targets:
    """Every severity's targets per plan, read once from the catalog's severities."""

    def __init__(self, severities: Iterable[tuple[str, str]]) -> None:
        self._by: Mapping[str, dict[str, Target]] = {
            name: parse_response(name, response) for name, response in severities}

    def of(self, severity: str | None, plan: str | None) -> Target:
        by_plan = self._by.get(severity or "") or self._by[DEFAULT_SEVERITY]
        return by_plan.get(plan or DEFAULT_PLAN) or by_plan[DEFAULT_PLAN]
