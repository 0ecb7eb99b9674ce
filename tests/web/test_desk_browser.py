"""Issue 24's console defects in Debian's chromium with JavaScript off, as an operator meets
them: unlinking asks first, and a reply typed when the session had ended comes back in the form
after signing in again, unsent. The same pages, with JavaScript on, pass axe-core."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import OPERATOR, PASSWORD, Console, csrf_of
from tests.web.test_accessibility import axe_source, violations
from tests.web.test_desk_defects import a_case


def sign_in(page: Page, console: Console, path: str = "/") -> None:
    page.goto(console.url + path)
    page.get_by_label("Email").fill(OPERATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def unlink_and_lose_a_session(page: Page, console: Console,
                              check: Callable[[str], None]) -> None:
    """The two flows, `check(name)` called on each new page."""
    console.chat.cli("accounts", "add", "Acme", "--domain", "acme.example")
    console.chat.cli("contacts", "link", "--email", "ann@acme.example", "--telegram", "77")
    number = a_case(console)
    sign_in(page, console, "/accounts")
    page.get_by_role("link", name="Acme").click()
    page.get_by_role("button", name="Unlink telegram:77 from ann@acme.example…").click()
    expect(page.get_by_role("heading", name="Unlink this chat identity?")).to_be_visible()
    check("unlink confirmation")
    assert "telegram:77" in console.chat.cli("accounts", "members", "Acme")
    page.get_by_role("button", name="Unlink telegram:77 from ann@acme.example").click()
    expect(page.get_by_role("status")).to_have_text("Unlinked telegram 77 from ann@acme.example.")
    assert "?done=unlinked" in page.url
    page.reload()  # a GET: nothing is sent again
    assert "telegram:77" not in console.chat.cli("accounts", "members", "Acme")

    page.goto(f"{console.url}/cases/{number}")
    page.get_by_label("Message").fill("The fix is in pattern 1.2.4.\nPlease update.")
    page.get_by_label("Status").select_option("waiting for customer")
    other = console.signed_in()  # the operator signs out in another tab: every session ends
    other.post("/signout", data={"csrf_token": csrf_of(other.get("/").text)})
    page.get_by_role("button", name="Reply to customer").click()
    expect(page.get_by_role("status")).to_contain_text("was not saved or sent")
    check("sign-in keeping a reply")
    messages = console.chat.case(number)["messages"]
    page.get_by_label("Email").fill(OPERATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{console.url}/cases/{number}")
    expect(page.get_by_role("status")).to_contain_text(
        "Your reply was kept: check it and press Send")
    expect(page.get_by_label("Message")).to_have_value(
        "The fix is in pattern 1.2.4.\nPlease update.")
    expect(page.get_by_label("Status")).to_have_value("waiting for customer")
    assert console.chat.case(number)["messages"] == messages  # nothing sent by itself
    page.get_by_role("button", name="Reply to customer").click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent")
    case = console.chat.case(number)
    # (a browser sends a textarea's line breaks as CRLF, as it did before the session ended)
    assert case["messages"][-1]["text"].replace("\r\n", "\n") \
        == "The fix is in pattern 1.2.4.\nPlease update."
    assert case["status"] == "waiting for customer"
    page.goto(f"{console.url}/audit?subject={number}")
    check("audit page")


def test_unlink_and_a_kept_reply_without_javascript(console: Console, page: Page) -> None:
    unlink_and_lose_a_session(page, console, lambda _name: None)


def test_the_new_pages_pass_axe(console: Console, browser: Browser, tmp_path: Path) -> None:
    source = axe_source()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        problems[name] = violations(page, source)

    try:
        unlink_and_lose_a_session(page, console, check)
    finally:
        context.close()
    assert set(problems) == {"unlink confirmation", "sign-in keeping a reply", "audit page"}
    assert {k: v for k, v in problems.items() if v} == {}
