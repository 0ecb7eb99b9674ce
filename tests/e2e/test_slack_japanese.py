"""Slack in Japanese (issue 27): a person whose Slack language is Japanese (users.info with
include_locale, asked once and cached) gets casebot in Japanese with no command, opens a whole
product case by pressing Japanese buttons, and the case keeps the canonical English values;
`/case language en` (their own choice) wins over Slack's locale."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.slack.home import home_text
from tests.e2e.conftest import UPDATED_EN, UPDATED_JA
from tests.e2e.conftest import Chat as Home
from tests.e2e.fake_slack import CODE, Rig, link, slack_rig

pytestmark = [pytest.mark.timeout(120), pytest.mark.real_english(
    "a test of the Japanese catalog, and of switching to English")]

EMAIL = "kenji@acme.example"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with slack_rig(tmp_path) as r:
        yield r


def test_a_product_case_in_japanese_from_slacks_locale(rig: Rig) -> None:
    slack, user = rig.slack, "U7"
    rig.fake.add_user(user, EMAIL, "Kenji", locale="ja-JP")
    link(rig.service, user, EMAIL)
    slack.command(user, "/case", "new")
    assert "製品プロファイルがまだありません。" in slack.text(user)
    slack.say(user, "本社 Apex One")
    slack.press(user, "Apex One")
    slack.press(user, "2019")
    slack.pick_many(user, ["Windows 10", "Windows Server 2016"])
    slack.say(user, CODE)
    slack.pick_many(user, ["Smart Scan Server"])
    slack.press(user, "プロファイルを保存")
    slack.press(user, "Windows 10")
    slack.press(user, "製品の不具合・お問い合わせ")
    slack.say(user, "管理コンソールが遅い")
    slack.say(user, "開くまでに1分かかります。")
    severity = json.dumps(slack.last(user).args["blocks"], ensure_ascii=False)
    assert "*低* — 表示上の軽微な問題" in severity  # the definitions, in Japanese
    slack.press(user, "中")
    review = slack.last(user)
    assert "お問い合わせの内容をご確認ください。" in review.args["text"]
    fields = [f["text"] for b in review.args["blocks"] for f in b.get("fields", [])]
    assert "*重要度*\n中" in fields
    slack.press(user, "送信")
    said = slack.text(user)
    assert "お問い合わせを受け付けました。" in said
    number = said.split("ケース番号: ", 1)[1].split()[0]
    with_locale = [c for c in rig.fake.of("users.info") if c.args.get("include_locale")]
    assert len(with_locale) == 1  # asked once for the whole conversation: cached
    case = Home(rig.settings.home).case(number)
    assert (case["issue_category"], case["severity"]) == ("Product Issues", "Medium")
    assert case["operating_system"] == "Windows 10"

    home = home_text(slack.home(user))  # App Home, in Japanese too
    assert "お客様のサポートケース" in home
    assert f"*{number}* · 管理コンソールが遅い\n受付済み · 更新 " in home
    assert UPDATED_JA.search(home), home  # the date in Japanese format
    slack.command(user, "/case", "list")
    assert UPDATED_JA.search(slack.text(user)), slack.text(user)

    slack.command(user, "/case", "language en")  # their own choice wins over Slack's
    assert "casebot speaks English to you now." in slack.text(user)
    slack.command(user, "/case", "list")
    assert "Your cases (newest first):" in slack.text(user)
    assert UPDATED_EN.search(slack.text(user)), slack.text(user)


def test_an_english_slack_keeps_english(rig: Rig) -> None:
    rig.fake.add_user("U8", "ann@acme.example", locale="en-GB")
    link(rig.service, "U8", "ann@acme.example")
    rig.slack.command("U8", "/case", "new")
    assert "You have no product profiles yet." in rig.slack.text("U8")
