"""Operators set an account's default language in the console (issue 27): shown in the list,
set on the account page and when adding an account, audited like the CLI's `casebot accounts
language`; a case page says the language comes from the account."""

from __future__ import annotations

import json
import re

from tests.e2e.conftest import Script
from tests.web.conftest import OPERATOR, Console, csrf_of


def test_an_operator_sets_the_accounts_default_language(console: Console) -> None:
    console.chat.cli("accounts", "add", "Acme", "--domain", "acme.example")
    account = json.loads(console.chat.cli("accounts", "list", "--json"))[0]
    url = f"/accounts/{account['id']}"
    c = console.signed_in()
    page = c.get(url)
    assert '<option value="none" selected>this casebot\'s default</option>' in page.text
    r = c.post(f"{url}/default-language", data={"csrf_token": csrf_of(page.text),
                                                "language": "ja"})
    assert (r.status_code, r.headers["location"]) == (303, f"{url}?done=default-language")
    after = c.get(r.headers["location"]).text
    assert "Default language saved: members who chose none and whose chat says none get " \
           "日本語." in after
    assert re.search(r'id="default-language".*<option value="ja" selected>日本語</option>',
                     after)
    listing = c.get("/accounts").text
    assert "<td>日本語</td>" in listing
    audit = json.loads(console.chat.cli("audit", "list", "--json"))
    assert any(a["action"] == "account_language" and a["actor"] == f"web:{OPERATOR}"
               and a["detail"] == "Acme: none → ja" for a in audit)

    bad = c.post(f"{url}/default-language", data={"csrf_token": csrf_of(after),
                                                  "language": "tlh"})
    assert bad.status_code == 400
    assert "casebot speaks no &#39;tlh&#39;. Use one of: en (English), ja (日本語), or none." \
        in bad.text
    assert c.post(f"{url}/default-language", data={"language": "en"}).status_code == 403


def test_a_case_page_says_the_language_is_the_accounts(console: Console) -> None:
    console.chat.cli("accounts", "add", "Acme", "--domain", "acme.example", "--language", "ja")
    s = Script().say("/newcase", "本社 Apex One", "Apex One", "2019", "Windows 10, done",
                     "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7", "done", "プロファイルを保存",
                     "Windows 10", "製品の不具合・お問い合わせ", "管理画面が遅い")
    s.block("開くのに1分かかります。").say("低", "送信")
    out = console.chat.run(s).stdout
    [number] = re.findall(r"ケース番号: (\d+)", out)
    c = console.signed_in()
    assert '<dt>Language</dt><dd>日本語 <span class="muted">(the account\'s default)</span>' \
        '</dd>' in c.get(f"/cases/{number}").text
    add = c.get("/accounts")
    r = c.post("/accounts", data={"csrf_token": csrf_of(add.text), "name": "Initech",
                                  "domain": "initech.example", "language": "en"})
    assert r.status_code == 303
    rows = {a["domain"]: a for a in json.loads(console.chat.cli("accounts", "list", "--json"))}
    assert rows["initech.example"]["language"] == "en"
