"""Issue 24's console defects, against the running `casebot web`: ratings applied once, a
failed feed import shown as failed by the uploaded file's name, unlink asks first, account add
and unlink answer 303 (a reload re-submits nothing), and a reply typed before the session
ended comes back in the form after signing in again, unsent."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import Script, submitted
from tests.e2e.test_urls_console import profile
from tests.web.conftest import OPERATOR, PASSWORD, Console, csrf_of
from tests.web.desk import version_of
from tests.web.test_imports import upload

DESK = f"web:{OPERATOR}"


def audit(console: Console, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(console.chat.cli("audit", "list", "--json", *args))
    return rows


def a_case(console: Console) -> str:
    s = Script().first_profile("HQ Apex One", "Apex One", "2019", ["Windows 10"])
    s.say("Product Issues").common("Agent stops", severity="Low")
    [number] = submitted(console.chat.run(s))
    return number


def test_apply_the_requested_ratings_twice_sends_once(console: Console) -> None:
    script = Script().say("/reclassify https://evil.example.com/login")
    profile(script)
    script.say("Windows 10", "Dangerous", "Phishing", "Low", "Submit")
    [number] = submitted(console.chat.run(script))
    console.chat.cli("cases", "update", number, "--status", "resolved")
    one, two = console.signed_in(), console.signed_in()  # two tabs, both showing the button
    pages = [c.get(f"/cases/{number}").text for c in (one, two)]
    forms = [{"csrf_token": csrf_of(html), "version": version_of(html), "apply_urls": "yes"}
             for html in pages]
    assert "Apply the requested ratings" in pages[0]

    r = one.post(f"/cases/{number}", data=forms[0])
    assert r.headers["location"] == f"/cases/{number}?done=ratings"
    case, mails = console.chat.case(number), console.chat.cli("mail", "list", "--json")
    r = two.post(f"/cases/{number}", data=forms[1])  # a form older than the apply
    assert r.status_code == 303
    assert r.headers["location"] == f"/cases/{number}?done=already"
    html = two.get(r.headers["location"]).text
    assert re.search(r"Already applied on \d{4}-\d\d-\d\d \d\d:\d\d UTC by "
                     + re.escape(OPERATOR) + r"\. Nothing was changed or sent again\.", html)
    assert "Apply the requested ratings" not in html  # the page says when, not the button
    assert console.chat.case(number) == case
    assert console.chat.cli("mail", "list", "--json") == mails
    assert [r["action"] for r in audit(console, "--subject", number)
            ] == ["case_update", "case_update"]  # the CLI's status, the console's apply


def test_a_broken_feed_fails_named_by_its_own_name(console: Console, tmp_path: Path) -> None:
    feed = tmp_path / "vendor-ratings.csv"
    feed.write_text("address,score\nhttps://shop.example/,Safe\n")  # no url/rating header
    desk = console.signed_in()
    where = upload(desk, feed)
    html = ""
    for _ in range(300):
        html = desk.get(where).text
        if "In progress" not in html:
            break
        time.sleep(0.1)
    main = html.split("<main", 1)[1]
    assert '<label for="progress">Failed</label>' in main, main
    assert "Finished" not in main
    assert "100%" not in main
    assert "The import of vendor-ratings.csv failed: vendor-ratings.csv: the CSV header" in main
    assert "imports/" not in main.replace("/urls/imports/", "")
    assert not re.search(r"[0-9a-f]{16}\.csv", main), main  # the console's own temp name


def test_unlink_asks_first_and_redirects(console: Console) -> None:
    console.chat.cli("accounts", "add", "Acme", "--domain", "acme.example")
    console.chat.cli("contacts", "link", "--email", "ann@acme.example", "--telegram", "77")
    desk = console.signed_in()
    account = re.search(r'href="/accounts/(\d+)">Acme<', desk.get("/accounts").text)
    assert account
    where = f"/accounts/{account.group(1)}"
    page = desk.get(where).text
    assert 'method="get" action="' + where + '/unlink"' in page  # a button that only asks

    confirm = desk.get(f"{where}/unlink", params={"email": "ann@acme.example",
                                                  "identity": "telegram:77"})
    assert confirm.status_code == 200
    assert "Unlink this chat identity?" in confirm.text
    assert "ann@acme.example" in confirm.text
    assert "77" in confirm.text
    assert "telegram:77" in console.chat.cli("accounts", "members", "Acme")  # nothing yet

    r = desk.post(f"{where}/unlink", data={"csrf_token": csrf_of(confirm.text),
                                           "email": "ann@acme.example",
                                           "identity": "telegram:77"})
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"{where}?done=unlinked")
    shown = desk.get(r.headers["location"])  # a reload is this GET: nothing re-submitted
    assert "Unlinked telegram 77 from ann@acme.example." in shown.text
    assert "telegram:77" not in console.chat.cli("accounts", "members", "Acme")
    assert audit(console, "--action", "unlink")[0]["actor"] == DESK
    # the confirmation of a link that is gone (a stale tab) says so
    assert desk.get(f"{where}/unlink", params={"email": "ann@acme.example",
                                               "identity": "telegram:77"}).status_code == 404
    # a notice is said only when true: a made-up one for a live link is not shown
    console.chat.cli("contacts", "link", "--email", "ann@acme.example", "--telegram", "78")
    made_up = desk.get(where, params={"done": "unlinked", "email": "ann@acme.example",
                                      "identity": "telegram:78"}).text
    assert "Unlinked" not in made_up


def test_adding_an_account_redirects_and_an_error_keeps_the_input(console: Console) -> None:
    desk = console.signed_in()
    token = csrf_of(desk.get("/accounts").text)
    r = desk.post("/accounts", data={"csrf_token": token, "name": "Acme",
                                     "domain": "acme.example"})
    assert r.status_code == 303
    assert re.fullmatch(r"/accounts\?done=created&account=\d+", r.headers["location"])
    assert "Account &#39;Acme&#39; (acme.example) created." in desk.get(
        r.headers["location"]).text
    bad = desk.post("/accounts", data={"csrf_token": token, "name": "Mail",
                                       "domain": "gmail.com"})
    assert bad.status_code == 400
    assert "public mail domain" in bad.text
    assert 'value="gmail.com"' in bad.text


def _post_reply(client: httpx.Client, number: str, html: str, note: str,
                **headers: str) -> httpx.Response:
    """The case page's reply form, as `html` showed it, sent with `note`."""
    return client.post(f"/cases/{number}", headers=headers,
                       data={"csrf_token": csrf_of(html), "version": version_of(html),
                             "note": note, "status": "in progress", "action": "reply"},
                       files={"files": ("", b"", "application/octet-stream")})


def test_a_reply_typed_before_the_session_ended_comes_back(console: Console) -> None:
    number = a_case(console)
    desk = console.signed_in()
    html = desk.get(f"/cases/{number}").text
    other = console.signed_in()  # signing out anywhere ends every session of the operator
    assert other.post("/signout", data={"csrf_token": csrf_of(other.get("/").text)}
                      ).status_code == 303
    note = "We found the cause: <b>the agent's</b> cache. Ünïcode kept.\nSecond line."
    origin = {"origin": console.url, "sec-fetch-site": "same-origin"}

    # another site's form (or no Origin at all) keeps nothing: plain 403
    assert _post_reply(desk, number, html, note).text == "Sign in first."
    assert _post_reply(desk, number, html, note, origin="https://evil.example"
                       ).text == "Sign in first."
    kept = _post_reply(desk, number, html, note, **origin)
    assert kept.status_code == 403
    assert "was not saved or sent" in kept.text
    assert 'name="draft_note" value="We found the cause: &lt;b&gt;' in kept.text
    assert "<b>the agent" not in kept.text  # escaped, never markup
    messages = console.chat.case(number)["messages"]

    page = kept.text
    r = desk.post("/signin", data={
        "csrf_token": csrf_of(page), "email": OPERATOR, "password": PASSWORD,
        "next": re.search(r'name="next" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
        "draft_note": note, "draft_status": "in progress", "draft_action": "reply"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/cases/{number}"
    back = desk.get(f"/cases/{number}").text
    assert "Your reply was kept: check it and press Send" in back
    assert ">We found the cause: &lt;b&gt;the agent&#39;s&lt;/b&gt; cache. Ünïcode kept.\nSecond" \
        " line.</textarea>" in back
    assert '<option value="in progress" selected>' in back
    assert console.chat.case(number)["messages"] == messages  # nothing was sent
    assert "was kept" not in desk.get(f"/cases/{number}").text  # once

    # pressing Send now (the new session's token) sends it, once
    r = _post_reply(desk, number, back, note, **origin)
    assert r.status_code == 303
    assert [m["text"] for m in console.chat.case(number)["messages"]][-1] == note


def test_a_draft_too_long_for_the_cookie_is_shown_to_copy(console: Console) -> None:
    number = a_case(console)
    desk = console.signed_in()
    html = desk.get(f"/cases/{number}").text
    other = console.signed_in()
    other.post("/signout", data={"csrf_token": csrf_of(other.get("/").text)})
    import secrets

    note = secrets.token_hex(4000)  # 8,000 characters that do not compress
    kept = _post_reply(desk, number, html, note, origin=console.url)
    assert "too long to carry across signing in: copy it" in kept.text
    assert f"readonly aria-labelledby=\"kept-h\" style=\"max-width: 720px\">{note}" in kept.text
