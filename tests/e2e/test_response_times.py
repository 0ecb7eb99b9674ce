"""Response-time targets through the real paths: a case typed into `casebot chat`, replies
from `casebot cases reply`, the customer's `/reply`, `casebot accounts plan`, and the due
time read back from `casebot cases show --json` (interfaces.md's `due_at`).

The business hours are one weekday three days from today (Berlin), so every due time is
known exactly whatever day the test runs on, and nights and days off lie in between.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import clock
from tests.e2e.conftest import Chat, Script, submitted
from tests.e2e.test_console_paths import apex

BERLIN = ZoneInfo("Europe/Berlin")
DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
DESK = "eve@support.example"


@pytest.fixture
def one_day_a_week(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Business hours 09:00-18:00 Berlin on one weekday, three days after today's."""
    weekday = (datetime.now(BERLIN).weekday() + 3) % 7
    env = {"CASEBOT_BUSINESS_HOURS": f"{DAYS[weekday]} 09:00-18:00",
           "CASEBOT_TIMEZONE": "Europe/Berlin"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)  # the CLI runs in this process
    chat.env.update(env)  # the chat in its own
    before = clock.use(None)
    yield weekday
    clock.use(before)


def at(text: str | None) -> datetime:
    assert text is not None
    assert text.endswith("Z")
    return datetime.fromisoformat(text)


def next_day(after: datetime, weekday: int) -> datetime:
    """09:00 Berlin on the first `weekday` after `after`'s Berlin date."""
    day = after.astimezone(BERLIN).date() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, tzinfo=BERLIN)


def test_due_times_from_the_chat_and_the_cli(chat: Chat, one_day_a_week: int) -> None:
    s = apex().say("Windows 10", "Product Issues")
    s.common("Console slow", severity="High", impact="Admins wait minutes.")
    s.new_case().say("Windows 10", "Product Issues")
    s.common("Question about exclusions", severity="Low")
    s.new_case().say("Windows 10", "Product Issues")
    s.common("All agents offline", severity="Critical", impact="Nobody can work.")
    high, low, critical = submitted(chat.run(s), 3)
    h, lo, c = chat.case(high), chat.case(low), chat.case(critical)
    opens = next_day(at(h["created_at"]), one_day_a_week)
    # High, standard: 4 business hours from the next business morning
    assert at(h["due_at"]) == opens + timedelta(hours=4)
    # Low: 2 business days = 18 business hours: that day, and the same day a week later
    assert at(lo["due_at"]) == opens + timedelta(days=7, hours=9)
    # Critical is 24x7: 2 hours on the clock
    assert at(c["due_at"]) == at(c["created_at"]) + timedelta(hours=2)

    # an engineer answers, then waits for the customer: nothing is due
    before = datetime.now(UTC)
    chat.cli("cases", "reply", critical, "--as", DESK, "Which agents?")
    after = datetime.now(UTC)
    assert before + timedelta(hours=2) <= at(chat.case(critical)["due_at"]) \
        <= after + timedelta(hours=2, seconds=1)
    chat.cli("cases", "reply", critical, "--as", DESK, "--status", "waiting for customer",
             "Please send the agent log.")
    assert chat.case(critical)["due_at"] is None

    # the customer's answer restarts the update clock
    before = datetime.now(UTC)
    result = chat.run(Script().say(f"/reply {critical} All of them, since 08:00."))
    assert f"Added to case {critical}" in result.stdout, result.stdout[-2000:]
    assert before + timedelta(hours=2) <= at(chat.case(critical)["due_at"]) \
        <= datetime.now(UTC) + timedelta(hours=2, seconds=1)

    # premium: 30 minutes for Critical, 1 business day (9 h) for Low, at once
    chat.cli("accounts", "add", "Acme", "--domain", "acme.example")
    assert "due times of 3 open cases recomputed" in chat.cli("accounts", "plan", "Acme",
                                                              "premium")
    assert before + timedelta(minutes=30) <= at(chat.case(critical)["due_at"]) \
        <= datetime.now(UTC) + timedelta(minutes=30)
    assert at(chat.case(low)["due_at"]) == opens + timedelta(hours=9)
    assert "premium" in chat.cli("accounts", "list")
    audit = chat.cli("audit", "list", "--json")
    assert "account_plan" in audit


def test_accounts_add_with_a_plan_and_a_bad_plan(chat: Chat) -> None:
    assert "Plan: premium." in chat.cli("accounts", "add", "Initech", "--domain",
                                        "initech.example", "--plan", "premium")
    from typer.testing import CliRunner

    from bot.cli.main import app

    result = CliRunner().invoke(app, ["accounts", "plan", "Initech", "gold"],
                                env={"CASEBOT_HOME": str(chat.home)})
    assert result.exit_code == 2
    assert "Use one of: standard, premium" in result.output


def test_business_hours_that_cannot_be_read_stop_casebot_with_what_to_write(chat: Chat) -> None:
    chat.env["CASEBOT_BUSINESS_HOURS"] = "weekdays 9 to 6"
    result = chat.run(Script().say("/cases"))
    assert result.returncode == 2
    assert "CASEBOT_BUSINESS_HOURS 'weekdays 9 to 6' is not business hours" in result.stderr
    assert "Write days and times like 'Mon-Fri 09:00-18:00'" in result.stderr
