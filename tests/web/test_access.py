"""Nothing of a case without a signed-in operator, whatever the URL; CSRF on every form; sign-in
rate limit; operators on the command line. Plain HTTP against the running `casebot web`."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route

from bot.app import build_service
from bot.settings import Settings
from tests.e2e.conftest import CASEBOT, Script, submitted
from tests.web.conftest import OPERATOR, PASSWORD, Console, csrf_of
from web.app import build_web_app

SECRET_WORDS = "Quarterly ledger agent crash"


def make_case(console: Console, tmp_path: Path) -> tuple[str, str]:
    """A case with an attachment, made through `casebot chat`; (number, sha256)."""
    log = tmp_path / "agent.log"
    log.write_text("2026-11-30 agent stopped\n")
    s = Script().first_profile("HQ Apex One", "Apex One", "2019", ["Windows 10"],
                               settings=["Smart Scan Server"])
    s.say("Product Issues")  # the one profile and its one OS are filled in
    s.common(SECRET_WORDS, "The ledger agent stops.", files=[log])
    [number] = submitted(console.chat.run(s))
    case = console.chat.case(number)
    return number, case["attachments"][0]["sha256"]


def every_route(number: str, sha: str) -> list[tuple[str, str]]:
    """(method, path) of every route the app has, path parameters filled with real values."""
    settings = Settings()
    app = build_web_app(settings, build_service(settings))
    values = {"number": number, "sha256": sha, "job": "x" * 16, "account_id": "1",
              "mail_id": "1", "reply_id": "1", "job_id": "1"}
    out = []
    for route in app.routes:
        assert isinstance(route, Route)
        path = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], route.path)
        out += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return out


def test_every_route_refused_without_a_session(console: Console, tmp_path: Path) -> None:
    number, sha = make_case(console, tmp_path)
    routes = every_route(number, sha)
    assert ("GET", f"/cases/{number}/files/{sha}") in routes
    assert len(routes) >= 10
    anonymous = console.client()
    forged = console.client()
    forged.cookies.set("casebot_session", "eyJvcGVyYXRvcl9pZCI6IDF9.aaaaaa.forgedsignature")
    for client in (anonymous, forged):
        for method, path in routes:
            r = client.request(method, path, data={"csrf_token": "x"})
            if path == "/signin":
                continue
            assert r.status_code in (303, 403), (method, path, r.status_code)
            if r.status_code == 303:
                assert r.headers["location"].startswith("/signin?next="), (method, path)
            assert SECRET_WORDS not in r.text, (method, path)
            assert number not in r.text, (method, path)
    # Signed in, the same file is served, as an attachment.
    signed = console.signed_in()
    r = signed.get(f"/cases/{number}/files/{sha}")
    assert r.status_code == 200
    assert r.content == b"2026-11-30 agent stopped\n"
    assert r.headers["content-disposition"].startswith("attachment;")
    # A sha256 of another case (or none) is not served through this case.
    assert signed.get(f"/cases/{number}/files/{'0' * 64}").status_code == 404
    # After sign-out the cookie no longer opens anything.
    page = signed.get("/")
    assert signed.post("/signout", data={"csrf_token": csrf_of(page.text)}).status_code == 303
    assert signed.get(f"/cases/{number}").status_code == 303


def test_a_post_without_the_csrf_token_is_refused(console: Console, tmp_path: Path) -> None:
    number, _ = make_case(console, tmp_path)
    c = console.signed_in()
    before = console.chat.case(number)["timeline"]
    for data in ({"status": "closed", "note": "forged"},
                 {"status": "closed", "note": "forged", "csrf_token": "wrong"}):
        r = c.post(f"/cases/{number}", data=data)
        assert r.status_code == 403, r.text
    assert c.post("/accounts", data={"name": "Evil", "domain": "evil.example"}
                  ).status_code == 403
    assert c.post("/signout", data={}).status_code == 403
    assert console.chat.case(number)["timeline"] == before
    # The sign-in form has a token too: a cross-site sign-in (login CSRF) is refused.
    assert console.client().post("/signin", data={"email": OPERATOR, "password": PASSWORD}
                                 ).status_code == 403


def test_sign_in_goes_back_only_to_this_site(console: Console) -> None:
    for target, expected in (("/cases/1?x=1", "/cases/1?x=1"), ("//evil.example/", "/"),
                             ("https://evil.example/", "/"), ("/\\evil.example", "/")):
        c = console.client()
        token = csrf_of(c.get("/signin").text)
        r = c.post("/signin", data={"csrf_token": token, "email": OPERATOR,
                                    "password": PASSWORD, "next": target})
        assert r.status_code == 303, target
        assert r.headers["location"] == expected, target


def test_session_cookie_is_signed_httponly_samesite(console: Console) -> None:
    r = console.client().get("/signin")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_wrong_password_then_rate_limited(console: Console) -> None:
    c = console.client()
    for _ in range(5):
        token = csrf_of(c.get("/signin").text)
        r = c.post("/signin", data={"csrf_token": token, "email": OPERATOR,
                                    "password": "not the password"})
        assert r.status_code == 401
        assert "do not match" in r.text
    token = csrf_of(c.get("/signin").text)
    r = c.post("/signin", data={"csrf_token": token, "email": OPERATOR, "password": PASSWORD})
    assert r.status_code == 429
    assert "Too many refused sign-ins" in r.text
    assert c.get("/").status_code == 303
    # Another operator is not locked out by these refusals.
    console.add_operator("other@support.example", PASSWORD)
    console.signed_in("other@support.example")


def test_operators_cli(console: Console) -> None:
    env = console.chat.env
    short = subprocess.run([CASEBOT, "operators", "add", "x@support.example"], input="short\n",
                           capture_output=True, text=True, env=env, timeout=60)
    assert short.returncode == 2
    assert "at least 12 characters" in short.stderr
    out = subprocess.run([CASEBOT, "operators", "list", "--json"], capture_output=True,
                         text=True, env=env, timeout=60)
    rows = json.loads(out.stdout)
    assert [r["email"] for r in rows] == [OPERATOR]
    assert "password" not in json.dumps(rows)
    # Adding again sets a new password; the old one stops working.
    assert "updated" in console.add_operator(OPERATOR, "a brand new password")
    with pytest.raises(AssertionError):
        console.signed_in()
    console.signed_in(OPERATOR, "a brand new password")


def test_operators_are_not_contacts(console: Console) -> None:
    console.signed_in()
    assert f'"{OPERATOR}"' not in console.chat.cli("accounts", "list", "--json")
    assert "support.example" not in console.chat.cli("accounts", "list", "--json")


def test_sign_out_and_a_new_password_end_copied_sessions(console: Console) -> None:
    """A cookie copied from a signed-in browser stops working once its operator signs out, or
    once the operator is given a new password (`operators add` again)."""
    first, copy = console.signed_in(), console.client()
    copy.cookies.update(first.cookies)
    assert copy.get("/").status_code == 200
    assert first.post("/signout", data={"csrf_token": csrf_of(first.get("/").text)}
                      ).status_code == 303
    assert copy.get("/").status_code == 303  # back to the sign-in page

    second, copy = console.signed_in(), console.client()
    copy.cookies.update(second.cookies)
    assert copy.get("/").status_code == 200
    console.add_operator(OPERATOR, "an entirely new passphrase")
    assert copy.get("/").status_code == 303
    assert second.get("/").status_code == 303
    assert console.signed_in(password="an entirely new passphrase").get("/").status_code == 200


def test_removing_an_operator_ends_their_sessions(console: Console) -> None:
    signed = console.signed_in()
    assert signed.get("/").status_code == 200
    assert "removed" in console.chat.cli("operators", "remove", OPERATOR)
    assert signed.get("/").status_code == 303  # back to the sign-in page
    with pytest.raises(AssertionError):
        console.signed_in()
    gone = subprocess.run([CASEBOT, "operators", "remove", OPERATOR], capture_output=True,
                          text=True, env=console.chat.env, timeout=60)
    assert gone.returncode != 0
    assert "operators list" in gone.stderr


def _refuse_twenty(c: httpx.Client, forwarded_for: Callable[[int], str]) -> None:
    """Twenty refused sign-ins (different emails: the per-email limit stays out of it)."""
    for i in range(20):
        token = csrf_of(c.get("/signin").text)
        r = c.post("/signin", data={"csrf_token": token, "email": f"nobody{i}@x.example",
                                    "password": "wrong password"},
                   headers={"X-Forwarded-For": forwarded_for(i)})
        assert r.status_code == 401


def _sign_in_from(c: httpx.Client, address: str) -> httpx.Response:
    token = csrf_of(c.get("/signin").text)
    return c.post("/signin", data={"csrf_token": token, "email": OPERATOR,
                                   "password": PASSWORD}, headers={"X-Forwarded-For": address})


def test_a_forged_forwarded_for_does_not_dodge_the_limit(console: Console) -> None:
    """No proxy is trusted by default: X-Forwarded-For is ignored, so rotating it is one
    client to the limit."""
    c = console.client()
    _refuse_twenty(c, lambda i: f"203.0.113.{i}")
    assert _sign_in_from(c, "198.51.100.9").status_code == 429


def test_behind_a_trusted_proxy_each_browser_has_its_own_count(tmp_path: Path) -> None:
    console = Console(tmp_path / "home")
    console.add_operator()
    console.start("--trusted-proxy", "127.0.0.1")
    try:
        c = console.client()
        _refuse_twenty(c, lambda _i: "203.0.113.7")
        assert _sign_in_from(c, "203.0.113.7").status_code == 429
        assert _sign_in_from(c, "198.51.100.9").status_code == 303  # another browser
    finally:
        console.close()
