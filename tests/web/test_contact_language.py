"""Operators set the language casebot speaks to a contact on the account page (issue 27),
as the contact's own /language would; audited; and the contact's next chat follows it."""

from __future__ import annotations

import json
import re

from bot.app import build_engine
from bot.settings import Settings
from store.uow import unit_of_work
from tests.e2e.conftest import Script
from tests.web.conftest import OPERATOR, Console, csrf_of


def test_an_operator_sets_a_contacts_language(console: Console) -> None:
    console.chat.cli("accounts", "add", "Acme", "--domain", "acme.example")
    engine = build_engine(Settings(home=console.chat.home))
    with unit_of_work(engine) as uow:  # ann joins Acme
        uow.contacts.ensure("ann@acme.example", "Ann")
        uow.commit()
    engine.dispose()
    account = json.loads(console.chat.cli("accounts", "list", "--json"))[0]
    url = f"/accounts/{account['id']}"
    c = console.signed_in()
    page = c.get(url)
    assert '<option value="" selected>their chat\'s</option>' in page.text
    r = c.post(f"{url}/language", data={"csrf_token": csrf_of(page.text),
                                        "email": "ann@acme.example", "language": "ja"})
    assert (r.status_code, r.headers["location"]) == (303, f"{url}?done=language")
    after = c.get(r.headers["location"]).text
    assert '<option value="ja" selected>日本語</option>' in after
    assert "Language saved" in after
    audit = json.loads(console.chat.cli("audit", "list", "--json"))
    assert any(a["action"] == "contact_language" and a["actor"] == f"web:{OPERATOR}"
               and a["detail"] == "ja" for a in audit)
    s = Script().say("/help").first_profile("HQ Apex One", "Apex One", "2019", ["Windows 10"])
    s.say("Product Issues").common("Console is slow", severity="Low")
    out = console.chat.run(s).stdout
    assert "コマンド: /newcase サポートケースの作成" in out
    [number] = re.findall(r"ケース番号: (\d+)", out)
    assert '<dt>Language</dt><dd>日本語 <span class="muted">(chosen)</span></dd>' \
        in c.get(f"/cases/{number}").text

    bad = c.post(f"{url}/language", data={"csrf_token": csrf_of(after),
                                          "email": "ann@acme.example", "language": "tlh"})
    assert bad.status_code == 400
    assert "casebot speaks no" in bad.text
    stranger = c.post(f"{url}/language", data={"csrf_token": csrf_of(after),
                                               "email": "eve@other.example", "language": "en"})
    assert stranger.status_code == 400
    assert "is not a member of Acme" in stranger.text
    assert c.post(f"{url}/language", data={"email": "ann@acme.example",
                                            "language": "en"}).status_code == 403
