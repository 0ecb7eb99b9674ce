"""The console's account page shows the account's plan and changes it (POST, then 303 back
to the page), audited like the CLI's `casebot accounts plan`."""

from __future__ import annotations

import json

from tests.web.conftest import OPERATOR, Console, csrf_of


def test_the_plan_is_shown_and_changed(console: Console) -> None:
    console.chat.cli("accounts", "add", "Acme", "--domain", "acme.example")
    account = json.loads(console.chat.cli("accounts", "list", "--json"))[0]
    url = f"/accounts/{account['id']}"
    c = console.signed_in()
    page = c.get(url)
    assert page.status_code == 200
    assert '<label for="plan">Plan</label>' in page.text
    assert '<option value="standard" selected>' in page.text
    r = c.post(f"{url}/plan", data={"csrf_token": csrf_of(page.text), "plan": "premium"})
    assert (r.status_code, r.headers["location"]) == (303, f"{url}?done=plan")
    after = c.get(r.headers["location"]).text
    assert '<option value="premium" selected>' in after
    assert "on the premium plan now" in after
    audit = json.loads(console.chat.cli("audit", "list", "--json"))
    assert any(a["action"] == "account_plan" and a["actor"] == f"web:{OPERATOR}"
               and a["detail"] == "Acme: standard → premium" for a in audit)
    bad = c.post(f"{url}/plan", data={"csrf_token": csrf_of(after), "plan": "gold"})
    assert bad.status_code == 400
    assert "There is no plan" in bad.text
    assert c.post(f"{url}/plan", data={"plan": "standard"}).status_code == 403  # no token
