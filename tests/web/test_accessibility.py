"""Every console page, found by following its links, has no accessibility violation that
axe-core (from the npm registry: tests/web/axe.py) finds, and none scrolls sideways on a
390 px phone. The crawl starts at the inbox and follows every same-origin link a signed-in
operator sees, so a page added later is checked without being listed here.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from tests.e2e.conftest import Script, submitted
from tests.web import axe
from tests.web.conftest import OPERATOR, PASSWORD, Console

PHONE = ViewportSize(width=390, height=844)
MAX_PAGES = 60
# downloads and actions, not pages: a file, a raw mail, signing out
NOT_PAGES = ("/files/", "/raw", "/signout")
APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10", "Windows Server 2016"])


def axe_source() -> str:
    try:
        return axe.fetch().read_text()
    except OSError as exc:
        if os.environ.get("CASEBOT_REQUIRE_AXE"):
            raise
        pytest.skip(f"axe-core could not be fetched from {axe.REGISTRY} ({exc}); "
                    "`python -m tests.web.axe` fetches it")


def violations(page: Page, source: str) -> list[str]:
    page.add_script_tag(content=source)
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — '
            + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
    }""")
    return list(found)


def sideways(page: Page) -> int:
    """How many pixels the page is wider than the screen (0: no horizontal scroll)."""
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return max(0, width - PHONE["width"])


def links(page: Page, base: str) -> set[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    out = set()
    for href in hrefs:
        url = urljoin(page.url, href).split("#", 1)[0]
        if url.startswith(base) and not any(p in urlsplit(url).path for p in NOT_PAGES):
            out.add(url)
    return out


def make_cases(console: Console, tmp_path: Path) -> None:
    log = tmp_path / "agent.log"
    log.write_text("12:00:01 agent service stopped\n")
    console.chat.cli("accounts", "add", "Acme", "--domain", "acme.example")
    s = Script().first_profile(*APEX, settings=["Smart Scan Server"])
    s.say("Windows Server 2016", "Product Issues")
    s.common("Agent crashes after pattern update", "Since the 1.2.3 pattern the agent\n"
             "stops on every server.", severity="Critical", impact="All servers unprotected.",
             cc=["bob@acme.example"], files=[log])
    s.new_case().say("Windows 10", "URL Reclassification")
    s.block("hxxp://evil[.]example[.]com/login").say("Dangerous", "Phishing")
    s.common(None, None)
    numbers = submitted(console.chat.run(s), 2)
    console.chat.cli("cases", "reply", numbers[0], "Which pattern version exactly?")
    console.chat.cli("contacts", "link", "--email", "carol@acme.example", "--telegram", "77")


def test_every_page_passes_axe_and_fits_a_phone(console: Console, browser: Browser,
                                                tmp_path: Path) -> None:
    source = axe_source()
    make_cases(console, tmp_path)
    # the console's CSP forbids inline scripts, axe's too: bypassed in the checking browser
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(console.url + "/signin")
    problems = {"/signin": violations(page, source)}
    page.get_by_label("Email").fill(OPERATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(console.url + "/")

    phone = browser.new_context(viewport=PHONE, storage_state=context.storage_state())
    small = phone.new_page()
    todo, seen, wide = [console.url + "/"], set[str](), dict[str, int]()
    while todo and len(seen) < MAX_PAGES:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        page.goto(url)
        path = urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else "")
        problems[path] = violations(page, source)
        todo.extend(sorted(links(page, console.url) - seen))
        small.goto(url)
        if over := sideways(small):
            wide[path] = over
    page.goto(console.url + "/cases/99999999")  # the error page
    problems["(404)"] = violations(page, source)
    context.close()
    phone.close()

    assert len(seen) >= 6, seen  # inbox, cases, URL ratings, accounts, an account, aside
    assert {p: v for p, v in problems.items() if v} == {}
    assert wide == {}, f"pages wider than {PHONE['width']} px (extra px): {wide}"
