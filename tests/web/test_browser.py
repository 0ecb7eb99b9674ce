"""The console in a real browser (Debian's chromium through Playwright), against `casebot web`
with cases made through the real terminal chat, JavaScript off (the fixture `page`): every
form and the import progress work without it.

`CASEBOT_SCREENSHOTS=docs .venv/bin/python -m pytest tests/web/test_browser.py` also saves
docs/web-inbox.png and docs/web-case.png (the README shows them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from playwright.sync_api import Page

from tests.e2e.conftest import EMAIL, Script, submitted
from tests.web.conftest import OPERATOR, PASSWORD, Console

APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10", "Windows Server 2016"])


def sign_in(page: Page, console: Console, password: str = PASSWORD, path: str = "/") -> None:
    page.goto(console.url + path)
    page.get_by_label("Email").fill(OPERATOR)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def shoot(page: Page, name: str) -> None:
    folder = os.environ.get("CASEBOT_SCREENSHOTS")
    if folder:
        root = Path(__file__).resolve().parents[2]  # a relative folder is the project's
        page.screenshot(path=str(root / folder / name), full_page=True)


def test_sign_in_find_a_chat_case_and_update_it(console: Console, page: Page,
                                                 tmp_path: Path) -> None:
    log = tmp_path / "agent-crash.log"
    log.write_text("12:00:01 agent service stopped (code 0xC0000005)\n")
    console.chat.cli("accounts", "add", "Acme", "--domain", "acme.example")  # CC inside Acme
    s = Script().first_profile(*APEX, settings=["Smart Scan Server"])
    s.say("Windows Server 2016", "Product Issues")
    s.common("Agent crashes after pattern update", "Since the 1.2.3 pattern the agent\n"
             "stops on every server.", severity="High", impact="All file servers unprotected.",
             cc=["bob@acme.example"], files=[log])
    s.new_case().say("Windows 10", "Activation and Registration Issues")
    s.common("Licence shows expired", "Renewed last week.", severity="Medium")
    s.new_case().say("Windows 10", "Product Issues")
    s.common("Console is slow to load", "Takes a minute.", severity="Low")
    first, second, third = submitted(console.chat.run(s), 3)

    sign_in(page, console)
    page.wait_for_url(console.url + "/")
    assert page.locator("tbody tr").count() == 3  # the landing view: all unresolved
    page.get_by_role("link", name="All (3)").click()
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("td").nth(1).inner_text() == third  # newest first
    row = page.locator("tr", has_text=first)
    for text in ("High", "open", "Acme", "Apex One", "Agent crashes", "console"):
        assert text in row.inner_text()
    shoot(page, "web-inbox.png")

    # Filters and search (plain GET forms).
    page.get_by_label("Severity").select_option("Medium")
    page.get_by_role("button", name="Show").click()
    assert page.locator("tbody tr").count() == 1
    assert second in page.locator("tbody").inner_text()
    page.goto(console.url + "/")
    page.get_by_role("searchbox", name="Search").fill("pattern agent")
    page.get_by_role("searchbox", name="Search").press("Enter")
    assert page.locator("tbody tr").count() == 1
    page.get_by_role("link", name=first).click()

    # The case page: every field the customer gave, the attachment, the timeline.
    page.wait_for_url(f"{console.url}/cases/{first}?back=*")
    body = page.locator("main").inner_text()
    for text in ("Agent crashes after pattern update", "HQ Apex One", "Windows Server 2016",
                 "Product Issues", "stops on every server.", "All file servers unprotected.",
                 "bob@acme.example", EMAIL, "agent-crash.log", "Case opened from console."):
        assert text in body, text
    sha = console.chat.case(first)["attachments"][0]["sha256"]
    assert sha in body
    with page.expect_download() as download:
        page.get_by_role("link", name="agent-crash.log", exact=True).click()
    assert Path(download.value.path()).read_text() == log.read_text()

    # A reply to the customer, with a status change: what `casebot cases reply` does.
    page.get_by_label("Status").select_option("in progress")
    page.get_by_label("Message").fill("We reproduced it; a hotfix follows.")
    page.get_by_role("button", name="Reply to customer").click()
    page.wait_for_url(f"{console.url}/cases/{first}?done=reply**")
    assert "Reply sent" in page.get_by_role("status").inner_text()
    conversation = page.locator("ol.conversation").inner_text()
    assert "We reproduced it; a hotfix follows." in conversation
    assert f"{OPERATOR} (operator, web)" in conversation
    assert "console: pending" in conversation
    assert "mail: pending" in conversation
    assert "Status changed to in progress." in page.locator("ol.timeline").inner_text()
    case = console.chat.case(first)
    assert case["status"] == "in progress"
    assert [e["kind"] for e in case["timeline"]][-2:] == ["reply", "status"]
    mails = [m for m in json.loads(console.chat.cli("mail", "list", "--json"))
             if "We reproduced it" in m["body_text"]]
    assert len(mails) == 1
    assert mails[0]["subject"] == f"[Case {first}] Update: Agent crashes after pattern update"
    assert mails[0]["to"] == EMAIL
    assert mails[0]["cc"] == ["bob@acme.example"]
    assert "Status: in progress" in mails[0]["body_text"]

    # An internal note with a file: on the case, marked, sent nowhere.
    outbox = len(json.loads(console.chat.cli("mail", "list", "--json")))
    dump = tmp_path / "triage.txt"
    dump.write_text("crash in the scan engine\n")
    page.get_by_label("Message").fill("Looks like the scan engine; ask the lab.")
    page.get_by_label("Files").set_input_files(dump)
    page.get_by_role("button", name="Internal note").click()
    page.wait_for_url(f"{console.url}/cases/{first}?done=note**")
    assert "Internal note saved" in page.get_by_role("status").inner_text()
    note = page.locator("li.msg.internal")
    assert "Internal note" in note.inner_text()
    assert "Looks like the scan engine" in note.inner_text()
    with page.expect_download() as download:
        note.get_by_role("link", name="triage.txt", exact=True).click()
    assert Path(download.value.path()).read_text() == dump.read_text()
    shoot(page, "web-case.png")
    assert len(json.loads(console.chat.cli("mail", "list", "--json"))) == outbox
    case = console.chat.case(first)

    # Nothing to save is refused, changing nothing.
    page.get_by_role("button", name="Reply to customer").click()
    assert "Write a message, attach a file" in page.get_by_role("alert").inner_text()
    assert len(console.chat.case(first)["timeline"]) == len(case["timeline"])


def test_wrong_password_and_deep_link(console: Console, page: Page) -> None:
    s = Script().first_profile(*APEX, settings=["Smart Scan Server"])
    s.say("Windows 10", "Product Issues").common("Scan stuck at 99%")
    [number] = submitted(console.chat.run(s))

    sign_in(page, console, password="wrong password here", path=f"/cases/{number}")
    assert "do not match" in page.get_by_role("alert").inner_text()
    assert "Scan stuck" not in page.content()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{console.url}/cases/{number}")  # back where the link pointed
    assert "Scan stuck at 99%" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{console.url}/cases/{number}")
    assert page.url.startswith(console.url + "/signin")


def test_reclassification_ratings_applied_and_feed_import(console: Console, page: Page,
                                                          tmp_path: Path) -> None:
    s = Script().first_profile(*APEX, settings=["Smart Scan Server"])
    s.say("Windows 10", "URL Reclassification")
    s.block("hxxp://evil[.]example[.]com/login").say("Dangerous", "Phishing")
    s.common(None, None)  # the subject comes from the URL; the description is optional
    [number] = submitted(console.chat.run(s))

    sign_in(page, console, path=f"/cases/{number}")
    assert "hxxp://evil[.]example[.]com/login" in page.locator("main").inner_text()
    assert "http://evil.example.com" not in page.content()  # never a live URL
    assert page.get_by_role("button", name="Apply the requested ratings").count() == 0
    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Reply to customer").click()
    page.get_by_role("button", name="Apply the requested ratings").click()
    page.wait_for_url(f"{console.url}/cases/{number}?done=ratings")
    assert "Local URL ratings updated" in page.locator("ol.timeline").inner_text()

    page.get_by_role("link", name="URL ratings").click()
    page.get_by_label("Entry contains").fill("evil.example.com")
    page.get_by_role("button", name="Search").click()
    row = page.locator("tbody tr").first.inner_text()
    assert "Dangerous" in row
    assert "Phishing" in row
    assert f"case {number}" in row

    feed = tmp_path / "feed.csv"
    feed.write_text("url,rating,category\n"
                    + "".join(f"https://site{i}.example/,Safe,Business/Economy\n"
                              for i in range(300))
                    + "https://bad.example/,Great,\n")
    page.get_by_label("Feed file").set_input_files(str(feed))
    page.get_by_role("button", name="Import").click()
    page.wait_for_selector("text=Finished: 100%")
    status = page.get_by_role("status").inner_text()
    assert "301 rows: 300 added" in status
    assert "1 rejected" in status
    assert "line 302: rating 'Great'" in page.locator("main").inner_text()
    assert "Safe" in console.chat.cli("urls", "check", "https://site7.example/")


def test_accounts_members_and_unlink(console: Console, page: Page) -> None:
    s = Script().first_profile(*APEX, settings=["Smart Scan Server"])
    s.say("Windows 10", "Product Issues").common("Hello")
    submitted(console.chat.run(s))
    console.chat.cli("contacts", "link", "--email", EMAIL, "--telegram", "4242")
    sign_in(page, console)
    page.get_by_role("link", name="Accounts").click()
    page.get_by_label("Company name").fill("Acme Corp")
    page.get_by_label("Email domain").fill("acme.example")
    page.get_by_label("Addresses at its sub-domains").check()
    page.get_by_role("button", name="Add account").click()
    assert "Account 'Acme Corp' (acme.example) created." in page.get_by_role(
        "status").inner_text()
    assert "and its sub-domains" in page.locator("tbody").inner_text()
    page.get_by_label("Company name").fill("Other")
    page.get_by_label("Email domain").fill("not a domain")
    page.get_by_role("button", name="Add account").click()
    assert "is not a domain name" in page.get_by_role("alert").inner_text()

    page.get_by_role("link", name="Acme Corp").click()  # the contact moved into the account
    members = page.locator("tbody").inner_text()
    assert EMAIL in members
    assert "telegram:4242" in members
    page.get_by_role("button", name=f"Unlink telegram:4242 from {EMAIL}…").click()
    page.get_by_role("button", name=f"Unlink telegram:4242 from {EMAIL}").click()  # confirmed
    assert f"Unlinked telegram 4242 from {EMAIL}." in page.get_by_role("status").inner_text()
    assert "telegram:4242" not in page.locator("tbody").inner_text()
    assert "Acme Corp" in console.chat.cli("accounts", "list")
    audit = console.chat.cli("audit", "list", "--json")
    assert '"actor": "web:desk@support.example"' in audit
    assert '"action": "unlink"' in audit
