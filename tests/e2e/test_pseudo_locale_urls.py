"""The URL side in the pseudo-locale `en_XA` (issue 27): a /checkurl answer (ratings,
categories, warnings, what was not checked) and a URL Reclassification request show no
customer-facing word outside the catalogs, in the terminal and in Slack; and a check in
Japanese. The URLs and the catalog's data are excepted (tests/e2e/test_pseudo_locale.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.i18n import PSEUDO, pseudo
from tests.e2e.conftest import EMAIL, Chat, Script
from tests.e2e.fake_slack import give_profiles, link, slack_rig
from tests.e2e.pseudo import data_words, untranslated
from tests.e2e.test_pseudo_locale import shown_words

pytestmark = pytest.mark.real_english("reads the raw pseudo-locale output itself")

FEED = "url,host,rating,category\nhttps://evil.example.com/login,,Safe,Business/Economy\n"
URLS = ["hxxps://evil[.]example[.]com/login", "hxxps://bücher[.]example/a",
        "xn--bcher-kva.example", "hxxps://shop[.]example[.]com/deals", "nosuch://x"]


def rated(chat: Chat, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED)
    assert "1 added" in chat.cli("urls", "import", str(feed))


def test_a_url_check_and_reclassification_in_the_pseudo_locale(chat: Chat,
                                                                tmp_path: Path) -> None:
    rated(chat, tmp_path)
    chat.env["CASEBOT_DEFAULT_LANGUAGE"] = PSEUDO
    typed = ["HQ Apex One"]
    s = Script().say("/checkurl hxxps://evil[.]example[.]com/login nosuch://x "
                     "https://joe:secret@bücher.example/a", "/reclassify")
    s.first_profile(typed[0], "Apex One", "2019", ["Windows 10", "Windows Server 2016"],
                    settings=["Smart Scan Server"])
    s.say("Windows 10", "Dangerous", "Phishing", "Keep", "Low", "Submit",
          "/checkurl", "/checkurl is this safe?", "/reclassify ftp://x")
    result = chat.run(s)
    assert result.returncode == 0, result.stderr
    [number] = re.findall(pseudo("Case number: {n}").replace("{n}", r"(\d+)"), result.stdout)
    out = result.stdout
    assert pseudo("Not checked: {reason}").split("{")[0] in out
    case = chat.case(number)
    assert [(u["requested_rating"], u["requested_category"]) for u in case["urls"]] \
        == [("Dangerous", "Phishing"), (None, None)]  # the canonical English values
    bad = untranslated(out, data_words(*typed, *URLS, number))
    assert not bad, "\n".join(bad)


def test_a_slack_url_check_and_reclassification_in_the_pseudo_locale(tmp_path: Path) -> None:
    with slack_rig(tmp_path) as rig:
        slack, user = rig.slack, "U9"
        link(rig.service, user, EMAIL)
        give_profiles(rig.service, EMAIL, count=1)
        slack.command(user, "/case", f"language {PSEUDO}")
        slack.command(user, "/urlcheck", "hxxps://shop[.]example[.]com/deals nosuch://x")
        slack.command(user, "/case", "reclassify hxxps://shop[.]example[.]com/deals")
        slack.press(user, pseudo("Dangerous"))
        slack.press(user, pseudo("Phishing"))
        slack.press(user, pseudo("Low"))
        slack.press(user, pseudo("Submit"))
        rig.fake.add_user("U10", "x@acme.example", locale="en-US")
        link(rig.service, "U10", "x@acme.example")
        slack.command("U10", "/case", f"language {PSEUDO}")
        slack.mention("U10", "<@UBOT> is this safe? <https://shop.example.com/deals>")
        sent = [c.args for c in rig.fake.calls if c.method in ("chat.postMessage",
                                                                "chat.update",
                                                                "chat.postEphemeral")]
        said = json.dumps(sent, ensure_ascii=False)
        assert pseudo("Thank you. Your request has been submitted.") in said
        assert pseudo("Request reclassification") in said
    shown = "\n".join(shown_words(sent))
    bad = untranslated(shown, data_words("Profile 1", "Windows 10", *URLS))
    assert not bad, "\n".join(bad)


def test_a_url_check_in_japanese(chat: Chat, tmp_path: Path) -> None:
    rated(chat, tmp_path)
    result = chat.run(Script().say(
        "/language ja",
        "/checkurl このURL「https://evil.example.com/login」と nosuch://x は安全ですか？",
        "/checkurl https://joe:secret@bücher.example/a", "/checkurl"))
    out = result.stdout
    assert "1. hxxps://evil[.]example[.]com/login — 安全 · ビジネス/経済(ビジネス)" in out
    assert "未確認: " in out
    assert "hxxps://bücher[.]example/a — 未評価(まだ評価されていません。" in out
    assert "国際化ドメイン名です。Punycode 表記: xn--bcher-kva.example" in out
    assert "このURLにはユーザー名またはパスワードが含まれていました。" in out
    assert "どのURLを確認しますか。" in out
    assert "secret" not in out
