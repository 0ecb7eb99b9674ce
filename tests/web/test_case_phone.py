"""The case page in Debian's chromium (Playwright), JavaScript off: on a 390 px phone nothing
scrolls sideways and the reply form is one press away; image thumbnails and a log's first
lines are shown; two operators in two browsers, the older form refused with the changes and
the typed text kept; a canned reply inserted without JavaScript.

`CASEBOT_SCREENSHOTS=docs` also saves docs/web-case-phone.png (the README shows it).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from bot.app import build_service
from bot.settings import Settings
from store.tables import CannedReply, utcnow
from store.uow import unit_of_work
from tests.web import samples
from tests.web.conftest import OPERATOR, PASSWORD, Console
from tests.web.test_browser import shoot

PHONE = {"width": 390, "height": 844}
SECOND = "second@support.example"
LONG_WORD = "Unbroken" * 40


def make_case(console: Console) -> str:
    """A case with what makes a page wide: a long word, a long log line, files, a table."""
    service = build_service(Settings(home=console.home))
    shot = service.files.put_bytes(samples.png(320, 200), "screenshot.png")
    log = service.files.put_bytes(samples.LOG + b"x" * 400 + b"\n", "agent.log")
    with unit_of_work(service.engine) as s:
        contact = s.contacts.ensure("ann@acme.example")
        case, _ = s.cases.create(contact, "phone-1", "console", {
            "subject": "Agent crashes " + LONG_WORD[:60], "severity": "Critical",
            "description": "It stops.\n" + LONG_WORD, "cc_emails": ["it@acme.example"],
            "phone": "+1 555 0100", "contact_method": "Phone",
            "archive_password": "infected",
            "urls": [{"url": "https://example.com/" + "a" * 150, "current_rating": "Safe"}],
            "attachments": [{"name": "screenshot.png", "size": shot.size,
                             "sha256": shot.sha256},
                            {"name": "agent.log", "size": log.size, "sha256": log.sha256}]})
        s.canned.save(_canned())
        assert case.number is not None
        number = case.number
    service.engine.dispose()
    return number


def _canned() -> CannedReply:
    return CannedReply(name="Need logs", text="Please send the debug log.",
                       updated_by=OPERATOR, updated_at=utcnow())


def signed_in(browser: Browser, console: Console, email: str = OPERATOR, *,
              javascript: bool = False, **options: object) -> tuple[BrowserContext, Page]:
    """A browser context signed in as `email`, JavaScript off unless asked (axe needs it)."""
    context = browser.new_context(java_script_enabled=javascript,
                                  **options)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(console.url + "/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(console.url + "/")
    return context, page


@pytest.fixture
def number(console: Console) -> str:
    console.add_operator(SECOND)
    return make_case(console)


def test_phone_layout_previews_and_the_reply_form_in_reach(console: Console, browser: Browser,
                                                           number: str) -> None:
    context, page = signed_in(browser, console, viewport=PHONE)
    page.goto(f"{console.url}/cases/{number}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    jump = page.get_by_role("navigation", name="On this page").get_by_role("link",
                                                                           name="Reply")
    box = jump.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= PHONE["height"]  # on the first screen
    jump.click()
    note = page.get_by_label("Message")
    assert note.is_visible()
    top = note.bounding_box()
    assert top is not None
    assert 0 <= top["y"] < PHONE["height"]  # the reply form is on screen now
    # the thumbnail is a real, loaded image; the log's first lines are shown as text
    img = page.get_by_role("img", name="Image screenshot.png")
    assert img.evaluate("i => i.complete && i.naturalWidth") == 320
    assert "12:00:01 agent service stopped" in page.locator("pre.preview").inner_text()
    assert "infected" in page.locator(".secret").inner_text()
    assert page.get_by_role("link", name="+1 555 0100").get_attribute("href") == \
        "tel:+15550100"
    page.goto(f"{console.url}/cases/{number}")
    shoot(page, "web-case-phone.png")
    for path in ("/", "/replies"):
        page.goto(console.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    context.close()


def test_two_operators_the_older_form_is_refused_then_sent(console: Console,
                                                           browser: Browser,
                                                           number: str) -> None:
    a_ctx, a = signed_in(browser, console)
    b_ctx, b = signed_in(browser, console, SECOND)
    a.goto(f"{console.url}/cases/{number}")
    b.goto(f"{console.url}/cases/{number}")
    a.get_by_role("button", name="Take it").click()
    assert "You own this case now." in a.locator("main").inner_text()
    a.get_by_label("Status").select_option("resolved")
    a.get_by_label("Message").fill("Fixed by the 1.2.4 pattern.")
    a.get_by_role("button", name="Reply to customer").click()
    assert "Reply sent." in a.locator("main").inner_text()

    # B's page is older: a canned reply inserted (no JavaScript), then sent
    b.get_by_label("Message").fill("Hello,")
    b.get_by_label("Canned reply").select_option(label="Need logs")
    b.get_by_role("button", name="Insert").click()
    assert b.get_by_label("Message").input_value() == "Hello,\n\nPlease send the debug log."
    assert "Changed since you opened it" in b.locator("main").inner_text()  # warned already
    b.get_by_label("Status").select_option("in progress")
    b.get_by_role("button", name="Reply to customer").click()
    assert "Reply sent." in b.locator("main").inner_text()
    b.goto(f"{console.url}/cases/{number}")
    assert "in progress" in b.locator("dl.desk").inner_text()
    a_ctx.close()
    b_ctx.close()


def test_a_stale_form_is_refused_in_the_browser(console: Console, browser: Browser,
                                                number: str) -> None:
    a_ctx, a = signed_in(browser, console)
    b_ctx, b = signed_in(browser, console, SECOND)
    a.goto(f"{console.url}/cases/{number}")
    b.goto(f"{console.url}/cases/{number}")
    a.get_by_label("Status").select_option("resolved")
    a.get_by_role("button", name="Reply to customer").click()
    b.get_by_label("Message").fill("Reopening: the agent still stops.")
    b.get_by_label("Status").select_option("open")
    b.get_by_role("button", name="Reply to customer").click()
    main = b.locator("main").inner_text()
    assert "Changed since you opened it" in main
    assert "Status changed to resolved." in main
    assert f"by {OPERATOR}" in main
    assert b.get_by_label("Message").input_value() == "Reopening: the agent still stops."
    assert b.get_by_label("Status").input_value() == "open"
    b.get_by_role("button", name="Reply to customer").click()
    assert "Reply sent." in b.locator("main").inner_text()
    a_ctx.close()
    b_ctx.close()


def test_case_page_with_previews_and_the_canned_reply_pages_pass_axe(
        console: Console, browser: Browser, number: str) -> None:
    from tests.web.test_accessibility import axe_source, violations

    source = axe_source()
    context, page = signed_in(browser, console, javascript=True, bypass_csp=True)
    found = {}
    for path in (f"/cases/{number}", "/replies", "/replies/1"):
        page.goto(console.url + path)
        found[path] = violations(page, source)
    context.close()
    assert found == {p: [] for p in found}
