"""A whole product case in Japanese in the terminal chat (issue 27): the contact chooses
Japanese with /language, every question, option and the review come in Japanese, options
are picked by their Japanese names, and the case keeps the canonical English values
(interfaces.md, "Case JSON")."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from bot.app import build_engine
from bot.settings import Settings
from store.tables import OutboxMail
from store.uow import unit_of_work
from tests.e2e.conftest import EMAIL, UPDATED_EN, UPDATED_JA, Chat, Script

pytestmark = pytest.mark.real_english("a test of the Japanese catalog, and of /language en")

SUBJECT = "パターン更新後にエージェントが停止する"
DESCRIPTION = "全サーバーでエージェントが停止します。\n再起動しても直りません。"


def test_a_whole_product_case_in_japanese(chat: Chat) -> None:
    s = Script().say("/language ja", "/newcase")
    s.say("本社 Apex One", "Apex One", "2019", "Windows 10, Windows Server 2016, done",
          "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7", "Smart Scan Server, done",
          "プロファイルを保存")
    s.say("Windows Server 2016", "製品の不具合・お問い合わせ", SUBJECT).block(DESCRIPTION)
    s.say("高").block("全拠点で業務が止まっています。")
    s.say("送信", "/cases")
    result = chat.run(s)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for said in ("表示言語を日本語に切り替えました。",
                 "製品プロファイルがまだありません。",
                 "製品をお選びください。",
                 "プロファイルの内容をご確認ください。",
                 "問題が発生しているOSをお選びください。",
                 "お問い合わせの種類をお選びください。",
                 "製品の不具合・お問い合わせ",
                 "件名: ケースの短いタイトルを1行でご入力ください。",
                 "重要度をお選びください。",
                 "高 — 製品の機能が著しく損なわれており、業務に重大な影響が出ている。"
                 "初回回答の目安: 4営業時間 / 1時間",
                 "業務への影響をご記入ください",
                 "お問い合わせの内容をご確認ください。",
                 "  重要度: 高",
                 "件名を修正",
                 "お問い合わせを受け付けました。ありがとうございます。",
                 "お客様のケース(新しい順):"):
        assert said in out, f"{said!r} not in:\n{out[-3000:]}"
    assert "Which" not in out
    assert "Please review" not in out
    [number] = re.findall(r"ケース番号: (\d+)", out)
    case = chat.case(number)
    assert case["issue_category"] == "Product Issues"  # canonical values, not the labels
    assert case["issue_type"] == "Product Issue"
    assert case["severity"] == "High"
    assert case["contact_method"] == "Email"
    assert case["product_language"] == "Japanese"  # the profile's, preselected from the UI's
    assert case["subject"] == SUBJECT
    assert case["description"] == DESCRIPTION
    assert f"{number} · {SUBJECT} · 受付済み · 更新 " in out
    assert UPDATED_JA.search(out), out[-500:]  # the date in Japanese format
    assert not UPDATED_EN.search(out)
    english = chat.run(Script().say("/language en", "/cases")).stdout
    assert UPDATED_EN.search(english), english[-500:]

    # the confirmation mail is in Japanese too, subject included; its values shown in it
    engine = build_engine(Settings(home=chat.home))
    with unit_of_work(engine, read_only=True) as uow:
        [mail] = uow.session.exec(select(OutboxMail).where(
            OutboxMail.kind == "confirmation")).all()
    engine.dispose()
    assert mail.subject == f"【ケース {number}】{SUBJECT}"
    assert (mail.headers or {}).get("Content-Language") == "ja"  # as every later mail says
    body = mail.body_text
    assert body.startswith("サポートへお問い合わせいただき、ありがとうございます。"
                           "お問い合わせを受け付けました。\n\n")
    for line in (f"ケース番号: {number}", "ステータス: 受付済み",
                 "カテゴリ: 製品の不具合・お問い合わせ", "重要度: 高", "ご連絡方法: メール",
                 f"件名: {SUBJECT}", "詳細:",
                 "このメールにご返信いただくと、ケースに情報を追加できます。"):
        assert line in body, body
    assert "<th align='left'>重要度</th><td>高</td>" in (mail.body_html or "")


def test_language_is_the_contacts_own_and_kept_between_chats(chat: Chat) -> None:
    first = chat.run(Script().say("/language ja"))
    assert "表示言語を日本語に切り替えました。" in first.stdout
    again = chat.run(Script().say("/help", "/myprofile", "/cancel", "/language",
                                  "/language en", "/help", "/language klingon"))
    out = again.stdout
    assert "お客様のプロフィールです。ケースの受信者は" in out  # /myprofile
    assert "  1. 保存" in out
    assert out.startswith("casebot — サポートケースを作成します。")  # kept: the next run
    assert "コマンド: /newcase サポートケースの作成" in out
    assert "casebot の表示言語をお選びください。" in out  # /language alone: the choice
    assert "/language ja と入力してください" in out
    english = out.split("casebot speaks English to you now.", 1)[1]
    assert "Commands: /newcase opens a support case" in english
    assert "casebot speaks English, 日本語. Type /language followed by one of en, ja." \
        in english


def test_japanese_typed_to_an_english_casebot_is_offered_japanese_once(chat: Chat) -> None:
    result = chat.run(Script().say("/newcase", "/cancel",
                                   "Apex One の管理コンソールが起動しません。",
                                   "/cancel", "エージェントがまた停止しました。"))
    out = result.stdout
    assert out.count("casebot を日本語で表示しますか?") == 1
    assert out.count("Would you like casebot in Japanese?") == 1
    assert "Type /language ja" in out


def test_the_deployment_default_applies_to_a_contact_who_chose_none(chat: Chat) -> None:
    chat.env["CASEBOT_DEFAULT_LANGUAGE"] = "ja"
    out = chat.run(Script().say("/help", "/language en", "/help")).stdout
    assert out.startswith("casebot — サポートケースを作成します。")
    assert "コマンド: /newcase" in out
    assert out.rstrip().endswith("/language chooses the language · /help shows this.")


def test_products_and_their_languages_show_the_vendors_japanese_names(chat: Chat) -> None:
    """Where the vendor sells a product under a Japanese name (OfficeScan is ウイルスバスター
    コーポレートエディション, Worry-Free ウイルスバスター ビジネスセキュリティ), a Japanese
    contact reads and may type that name; the profile keeps the catalog's English name."""
    s = Script().say("/language ja", "/newcase", "本社 WFBS",
                     "ウイルスバスター ビジネスセキュリティ", "Services", "Windows 10, done",
                     "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7",
                     "done", "プロファイルを保存", "/profiles")
    out = chat.run(s).stdout
    assert "ウイルスバスター コーポレートエディション" in out  # among the products offered
    assert "製品: ウイルスバスター ビジネスセキュリティ" in out  # the profile's review
    assert "言語: 日本語" in out  # the product language, in Japanese (and preselected)
    profiles = json.loads(chat.cli("profiles", "list", "--as", EMAIL, "--json"))
    assert [p["product"] for p in profiles] == ["Worry-Free Business Security"]
