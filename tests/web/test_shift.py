"""A support engineer's shift, in Debian's chromium with JavaScript off, against `casebot web`
and `casebot slack` (on the Slack stand-in) as operators run them, on one casebot home, with
cases made through the real terminal chat (issue 24's done-when):

two operators; one takes a case and the other sees it taken; a stale form is refused with the
changes shown and the text kept; a Critical case reaches the staff channel within 5 s; due
times are right across a weekend and for Critical (24x7); search finds cases by email, account,
reference id and a description word; bulk assign; no sideways scroll at 390 px.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from tests.e2e.conftest import CASEBOT, EMAIL, Script, submitted
from tests.e2e.fake_slack import FakeSlack
from tests.web.conftest import OPERATOR, PASSWORD, Console, free_port
from tests.web.test_browser import shoot

SECOND = "night@support.example"
STAFF = "CSTAFF"
APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10", "Windows Server 2016"])
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PHONE = ViewportSize(width=390, height=844)


def business_day() -> datetime:
    """The only business day: three days from today (UTC), so today is a "weekend" day and
    the expected due times are exact whatever day the test runs."""
    day = datetime.now(UTC) + timedelta(days=3)
    return day.replace(hour=9, minute=0, second=0, microsecond=0)


class Shift:
    """`casebot web` and `casebot slack` on one home, the Slack stand-in, two operators."""

    def __init__(self, home: Path, fake: FakeSlack) -> None:
        self.fake = fake
        self.console = Console(home)
        self.console.chat.env.update({
            "CASEBOT_BUSINESS_HOURS": f"{DAYS[business_day().weekday()]} 09:00-18:00",
            "CASEBOT_TIMEZONE": "UTC",
            "CASEBOT_STAFF_SLACK_CHANNEL": STAFF,
            "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "shh",
            "SLACK_API_URL": fake.api_url})
        self.console.add_operator()
        self.console.add_operator(SECOND)
        self.slack: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.console.start()
        port = free_port()
        self.slack = subprocess.Popen([CASEBOT, "slack", "--port", str(port)],
                                      env=self.console.chat.env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/up", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # serving (404 for an unknown path)
            except OSError:
                assert self.slack.poll() is None, self.slack.communicate()[0]
                assert time.monotonic() < deadline, "casebot slack did not start"
                time.sleep(0.1)

    def close(self) -> None:
        if self.slack is not None and self.slack.poll() is None:
            self.slack.terminate()
            self.slack.wait(10)
        self.console.close()

    def staff_posts(self, number: str) -> list[str]:
        return [str(c.args.get("text", "")) + str(c.args.get("blocks", ""))
                for c in self.fake.of("chat.postMessage")
                if c.args.get("channel") == STAFF and number in str(c.args)]


@pytest.fixture
def shift(tmp_path: Path) -> Iterator[Shift]:
    with FakeSlack() as fake:
        s = Shift(tmp_path / "home", fake)
        s.start()
        yield s
        s.close()


def signed_in(browser: Browser, shift: Shift, email: str,
              viewport: ViewportSize | None = None) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=viewport or ViewportSize(width=1280, height=900),
                                  java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(shift.console.url + "/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(shift.console.url + "/**")
    return context, page


def row(page: Page, number: str) -> str:
    return page.locator("tbody tr", has_text=number).inner_text()


def search(page: Page, shift: Shift, words: str) -> list[str]:
    page.goto(shift.console.url + "/?view=all")
    page.get_by_role("searchbox", name="Search").fill(words)
    page.get_by_role("button", name="Show").click()
    return [t.strip() for t in page.locator("tbody tr td:nth-child(2)").all_inner_texts()]


def test_a_shift_at_the_desk(shift: Shift, browser: Browser, tmp_path: Path) -> None:
    chat = shift.console.chat
    chat.cli("accounts", "add", "Acme", "--domain", "acme.example")
    s = Script().first_profile(*APEX, settings=["Smart Scan Server"])
    s.say("Windows Server 2016", "Product Issues")
    s.common("Agent crashes after pattern update", "The agent stops on every fileserver.",
             severity="Critical", impact="All servers unprotected.")
    s.new_case().say("Windows 10", "Product Issues")
    s.common("Console is slow to load", "Takes a minute to show the dashboard.",
             severity="Low")
    s.new_case().say("Windows 10", "Activation and Registration Issues")
    s.common("Licence shows expired", "Renewed last week, still expired.", severity="Medium")
    s.new_case().say("Windows 10", "File False Positive", "Conventional Scan (Virus Pattern)")
    s.common("Our tool is flagged", password="I have no files to attach", files=None)
    made = time.monotonic()
    critical, low, medium, threat = submitted(chat.run(s), 4)

    # The Critical case reaches the staff channel within 5 s; the Low one does not.
    shift.fake.wait_for(lambda _: shift.staff_posts(critical) or None, timeout=5)
    assert time.monotonic() - made < 5 + 0.5  # the chat's own exit included
    assert "Critical" in shift.staff_posts(critical)[0]
    assert not shift.staff_posts(low)

    # Due times: Critical runs 24x7 (2 hours); the others wait for the business day.
    day = business_day()
    cases = {n: chat.case(n) for n in (critical, low, medium)}
    opened = datetime.fromisoformat(cases[critical]["created_at"])
    assert datetime.fromisoformat(cases[critical]["due_at"]) - opened == timedelta(hours=2)
    # Medium: 1 business day = the 9 hours of the one business day
    assert datetime.fromisoformat(cases[medium]["due_at"]) == day.replace(hour=18)
    # Low: 2 business days = that day and the same day a week later
    assert datetime.fromisoformat(cases[low]["due_at"]) == day.replace(hour=18) + timedelta(7)

    ann_ctx, ann = signed_in(browser, shift, OPERATOR)
    night_ctx, night = signed_in(browser, shift, SECOND)

    # The queue: unresolved by due time, Critical first, each with its due time.
    ann.goto(shift.console.url + "/?view=unresolved")
    numbers = [t.strip() for t in ann.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert numbers[:3] == [critical, medium, low]
    assert "due in 1 h 5" in row(ann, critical) or "due in 2 h" in row(ann, critical)
    assert "due in" in row(ann, low)

    # Ann takes the Critical case; Night sees it taken.
    ann.get_by_role("link", name=critical).click()
    ann.get_by_role("button", name="Take it").click()
    ann.wait_for_url(f"{shift.console.url}/cases/{critical}**")
    assert OPERATOR in ann.locator("main").inner_text()
    night.goto(shift.console.url + "/?view=unassigned")
    assert critical not in night.locator("main").inner_text()
    night.goto(shift.console.url + "/?view=unresolved")
    assert OPERATOR in row(night, critical)
    night.goto(f"{shift.console.url}/cases/{critical}")
    assert OPERATOR in night.locator("main").inner_text()

    # A stale form: Night opens the Medium case, Ann answers it first; Night's reply is
    # refused with what changed and by whom, the typed text kept; sent again, it goes.
    night.goto(f"{shift.console.url}/cases/{medium}")
    ann.goto(f"{shift.console.url}/cases/{medium}")
    ann.get_by_label("Message").fill("Which licence key do you see?")
    ann.get_by_role("button", name="Reply to customer").click()
    ann.wait_for_url(f"{shift.console.url}/cases/{medium}?done=reply**")
    typed = "Please send a screenshot of the licence page."
    night.get_by_label("Message").fill(typed)
    night.get_by_role("button", name="Reply to customer").click()
    body = night.locator("main").inner_text()
    assert "Changed since you opened it" in body
    assert OPERATOR in body
    assert night.get_by_label("Message").input_value() == typed
    assert [m["text"] for m in chat.case(medium)["messages"]
            if m["author_kind"] == "operator"] == ["Which licence key do you see?"]
    night.get_by_role("button", name="Reply to customer").click()
    night.wait_for_url(f"{shift.console.url}/cases/{medium}?done=reply**")
    replies = [m for m in chat.case(medium)["messages"] if m["author_kind"] == "operator"]
    assert [(m["author"], m["text"]) for m in replies] == [
        (OPERATOR, "Which licence key do you see?"), (SECOND, typed)]

    # Search: by the contact's email, the account, the reference id, a description word.
    reference = chat.case(threat)["reference_id"]
    assert set(search(night, shift, EMAIL)) == {critical, low, medium, threat}
    assert set(search(night, shift, "Acme")) == {critical, low, medium, threat}
    assert search(night, shift, reference) == [threat]
    assert search(night, shift, "dashboard") == [low]
    assert search(night, shift, low[-3:]) == [low]

    # Bulk assign: Night gives the Low and the threat case to Ann.
    night.goto(shift.console.url + "/?view=unassigned")
    night.get_by_label(f"Pick case {low}").check()
    night.get_by_label(f"Pick case {threat}").check()
    night.get_by_label("Assign to").select_option(OPERATOR)
    night.get_by_role("button", name="Apply").click()
    assert "Assigned 2 cases" in night.get_by_role("status").inner_text()
    assert chat.case(low)["assignee"] == OPERATOR
    assert chat.case(threat)["assignee"] == OPERATOR
    ann.goto(shift.console.url + "/?view=mine")
    mine = ann.locator("tbody").inner_text()
    assert all(n in mine for n in (critical, low, threat))
    assert medium not in mine
    ann_ctx.close()
    night_ctx.close()

    # A phone: the queue and a case page fit 390 px, and the reply form is one press away.
    phone_ctx, phone = signed_in(browser, shift, OPERATOR, PHONE)
    for path in ("/?view=mine", f"/cases/{critical}"):
        phone.goto(shift.console.url + path)
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    shoot(phone, "web-case-phone.png")
    phone.goto(shift.console.url + "/?view=mine")
    shoot(phone, "web-phone-queue.png")
    phone_ctx.close()
