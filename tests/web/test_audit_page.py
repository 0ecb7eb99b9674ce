"""Issue 24: every operator action is an audit row, and the console shows the trail at /audit
(newest first, keyset pages, filtered by actor, action or subject); sign-ins refused or not,
sign-outs, and the console's own changes each leave their row."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.app import build_engine
from bot.settings import Settings
from store.uow import unit_of_work
from tests.web.conftest import OPERATOR, PASSWORD, Console, csrf_of
from tests.web.desk import version_of
from tests.web.test_desk_defects import a_case

DESK = f"web:{OPERATOR}"


def audit(console: Console, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(console.chat.cli("audit", "list", "--json", *args))
    return rows


def test_sign_ins_refused_or_not_and_sign_outs_are_audited(console: Console) -> None:
    c = console.client()
    r = c.post("/signin", data={"csrf_token": csrf_of(c.get("/signin").text),
                                "email": "Mallory@Support.example", "password": "guess-one"})
    assert r.status_code == 401
    r = c.post("/signin", data={"csrf_token": csrf_of(c.get("/signin").text),
                                "email": OPERATOR, "password": "not the password"})
    assert r.status_code == 401
    desk = console.signed_in()
    desk.post("/signout", data={"csrf_token": csrf_of(desk.get("/").text)})

    rows = audit(console)
    assert [(r["actor"], r["action"], r["subject"], r["detail"]) for r in rows[:4]] == [
        (DESK, "sign-out", OPERATOR, ""),
        (DESK, "sign-in", OPERATOR, "127.0.0.1"),
        ("web:?", "sign-in refused", OPERATOR, "127.0.0.1"),
        ("web:?", "sign-in refused", "Mallory@Support.example", "127.0.0.1"),
    ]
    assert not any("guess-one" in json.dumps(r) or "not the password" in json.dumps(r)
                   for r in rows)


def test_the_audit_page_filters_and_pages(console: Console) -> None:
    number = a_case(console)
    desk = console.signed_in()
    html = desk.get(f"/cases/{number}").text
    assert desk.post(f"/cases/{number}", data={"csrf_token": csrf_of(html), "note": "On it.",
                                                "version": version_of(html),
                                                "action": "internal"}).status_code == 303
    engine = build_engine(Settings(home=console.home), migrate=False)
    with unit_of_work(engine) as s:  # a long trail: 120 rows by someone else
        for i in range(120):
            s.audit.record("cli:night-shift", "link", f"telegram:{i}", "x@acme.example")

    nav = desk.get("/").text
    assert '<a href="/audit" >Audit</a>' in nav or 'href="/audit"' in nav
    first = desk.get("/audit").text
    assert "telegram:119" in first
    assert "telegram:70" in first
    assert "telegram:69" not in first
    older = re.search(r'href="(/audit\?before=\d+)" rel="next">Older', first)
    assert older, first
    second = desk.get(older.group(1).replace("&amp;", "&")).text
    assert "telegram:69" in second
    assert "telegram:20" in second
    assert "telegram:70" not in second
    third = desk.get(re.search(r'href="(/audit\?before=\d+)" rel="next"', second)
                     .group(1)).text  # type: ignore[union-attr]
    assert "telegram:0<" in third
    assert 'rel="next"' not in third
    assert f"case:{number}" in third  # the oldest rows: the operator's own, under the links

    def rows(**params: str) -> str:
        html = desk.get("/audit", params=params).text
        return html.split("<tbody>", 1)[1] if "<tbody>" in html else html

    mine = rows(actor=DESK)
    assert "case_note" in mine
    assert f'href="/cases/{number}"' in mine
    assert "night-shift" not in mine
    by_case = rows(subject=number)  # a bare number: case:N
    assert "case_note" in by_case
    assert "telegram:" not in by_case
    by_action = rows(action="sign-in")
    assert "sign-in" in by_action
    assert "case_note" not in by_action
    assert "No audit rows match these filters." in rows(actor="cli:nobody")
    # the case page links to its history
    assert f'href="/audit?subject=case:{number}"' in desk.get(f"/cases/{number}").text


def test_a_signed_out_visitor_sees_no_trail(console: Console) -> None:
    r = console.client().get("/audit")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/signin")
    assert PASSWORD
