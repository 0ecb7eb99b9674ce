"""The conversation after Submit in Japanese (issue 27): a contact who chose Japanese gets an
operator's update with casebot's framing in Japanese (the engineer's words as written), the
resolution's question and the survey in Japanese, and the update and resolution mails with
Japanese subjects and bodies."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from bot.app import build_engine
from bot.settings import Settings
from store.tables import OutboxMail
from store.uow import unit_of_work
from tests.e2e.conftest import Chat, Script

pytestmark = pytest.mark.real_english("a test of the Japanese catalog (its Latin labels: OS)")

DESK = "desk@support.example"
ASKED = "Which agent build do you run?"


def mails(chat: Chat, kind: str) -> list[OutboxMail]:
    engine = build_engine(Settings(home=chat.home))
    with unit_of_work(engine, read_only=True) as s:
        found = list(s.session.exec(select(OutboxMail).where(OutboxMail.kind == kind)).all())
    engine.dispose()
    return found


def test_update_survey_and_mails_in_japanese(chat: Chat) -> None:
    s = Script().say("/language ja", "/newcase")
    s.say("本社 Apex One", "Apex One", "2019", "Windows 10, done",
          "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7", "done", "プロファイルを保存")
    s.say("Windows 10", "製品の不具合・お問い合わせ", "管理画面が遅い")
    s.block("開くのに1分かかります。")
    s.say("低", "送信")
    result = chat.run(s)
    assert result.returncode == 0, result.stderr
    [number] = re.findall(r"ケース番号: (\d+)", result.stdout)

    chat.cli("cases", "reply", number, "--as", DESK, "--status", "waiting for customer", ASKED)
    out = chat.run(Script().say("ビルド 14.0.1 です")).stdout
    assert f"ケース {number} (管理画面が遅い) の更新:\n{ASKED}" in out  # their words as written
    assert "ステータス: お客様の回答待ち" in out
    assert f"返信するには /reply {number} に続けて回答を入力してください。" in out
    # two sentences casebot joins: no English space after 。 (flows/i18n.py `_join`)
    assert f"ケース {number} (管理画面が遅い) に追加しました。サポートチーム" in out

    [update] = mails(chat, "update")
    assert update.subject == f"【ケース {number}】更新: 管理画面が遅い"
    assert update.body_text.startswith(f"{ASKED}\n\nステータス: お客様の回答待ち\n\n")
    assert "ご回答は、このメールに返信してお送りください。" in update.body_text
    assert update.headers["Content-Language"] == "ja"  # the words build_message adds follow it

    chat.cli("cases", "update", number, "--status", "resolved")
    out = chat.run(Script().say(f"/solved {number}", "5", "助かりました")).stdout
    assert f"ケース {number} (管理画面が遅い) は解決済みになりました。問題は解決しましたか?" in out
    assert f"ケース {number} の対応にどの程度満足されましたか?" in out
    assert "1 から 5 の数字を入力してください。" in out
    assert f"ありがとうございます。ケース {number} をクローズしました。" in out
    assert f"ご回答ありがとうございます (ケース {number}: 5/5)。" in out
    assert "コメントをありがとうございます。サポートチームにお伝えします。" in out
    assert chat.case(number)["satisfaction"] == {"rating": 5, "comment": "助かりました"}
    [resolved] = mails(chat, "resolved")
    assert resolved.subject == f"【ケース {number}】解決済み: 管理画面が遅い"
    assert resolved.body_text.startswith("お客様のケースは解決済みになりました。")
