"""Telegram in Japanese (issue 27): a person whose Telegram speaks Japanese (the sender's
`language_code`) gets casebot in Japanese with no command, opens a whole product case by
tapping Japanese buttons, and the case keeps the canonical English values; their own choice
(/language en) wins over the platform's."""

from __future__ import annotations

import re

import pytest

from bot import replies
from bot.settings import Settings
from tests.e2e.conftest import UPDATED_EN, UPDATED_JA
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.pseudo import update_case
from tests.e2e.telegram_driver import BotRun, case_json, linked

pytestmark = pytest.mark.real_english("a test of the Japanese catalog, and of /language en")


async def test_a_product_case_in_japanese_from_telegrams_language_code(
        fake: FakeTelegram, settings: Settings) -> None:
    fake.languages[7101] = "ja"
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 7101, "kenji@acme.example")
        await user.say("/newcase")  # the one profile is filled in
        assert "お問い合わせの種類をお選びください。" in user.keyboard_message()["text"]
        await user.press("製品の不具合・お問い合わせ")
        assert "件名" in user.last_text
        await user.say("管理コンソールが遅い")
        await user.say("開くまでに1分かかります。")
        assert "重要度をお選びください。" in user.last_text
        assert "初回回答の目安" in user.last_text
        await user.press("低", exact=True)
        assert "お問い合わせの内容をご確認ください。" in user.last_text
        assert "件名を修正" in user.keyboard()
        await user.press("送信", exact=True)
        assert "お問い合わせを受け付けました。" in user.last_text
        [number] = re.findall(r"ケース番号: (\d+)", user.last_text)
        case = case_json(run, number)
        assert (case["issue_category"], case["severity"]) == ("Product Issues", "Low")
        assert case["subject"] == "管理コンソールが遅い"

        # an operator's update, queued as text in another process's terms: casebot's framing
        # speaks the language Telegram gave (kept with the identity), the engineer's words not
        update_case(run.service, number, status=replies.WAITING, actor="cli:op",
                    note="Which agent build do you run?")
        asked = "Which agent build do you run?"

        def notices() -> list[str]:
            return [m["text"] for m in user.messages if asked in m.get("text", "")]

        await run.until(notices)
        [notice] = notices()
        assert "ステータス: お客様の回答待ち" in notice, notice
        assert "Status:" not in notice

        await user.say("/cases")  # when it was updated, in Japanese format
        assert UPDATED_JA.search(user.last_text), user.last_text

        await user.say("/language en")  # the person's own choice wins over Telegram's
        assert "casebot speaks English to you now." in user.last_text
        await user.say("/cases")
        assert "Your cases (newest first):" in user.last_text
        assert UPDATED_EN.search(user.last_text), user.last_text


async def test_the_command_menu_is_set_in_each_language(fake: FakeTelegram,
                                                        settings: Settings) -> None:
    async with BotRun(fake, settings, "polling"):
        pass
    menus = {c.params.get("language_code"): {m["command"]: m["description"]
                                              for m in c.params["commands"]}
             for c in fake.of("setMyCommands")}
    assert set(menus) == {None, "ja"}  # the default (English), and Japanese
    assert menus[None]["cases"] == "list your cases"
    assert menus["ja"]["cases"] == "ケースの一覧を表示"
    assert menus["ja"]["language"] == "表示言語の選択: /language ja または /language en"
    assert list(menus["ja"]) == list(menus[None])


async def test_an_english_telegram_keeps_english_and_language_offers_buttons(
        fake: FakeTelegram, settings: Settings) -> None:
    fake.languages[7102] = "en"
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 7102, "ann@acme.example")
        await user.say("/newcase")
        assert "What is it about?" in user.keyboard_message()["text"]
        await user.say("/language")  # the choice: a button per language, each in its own
        offer = next(m for m in reversed(user.messages)
                     if "Which language should casebot use with you?" in m["text"])
        assert [b["text"] for b in user.buttons(offer)] == ["English", "日本語"]
        await user.press_data(offer, "cmd:language:ja")
        assert "表示言語を日本語に切り替えました。" in user.last_text
        assert "お問い合わせの種類をお選びください。" in user.keyboard_message()["text"]


async def test_a_file_out_of_place_is_refused_in_the_language_the_contact_chose(
        fake: FakeTelegram, settings: Settings) -> None:
    """With no question open, the refusal and the help come from the chat layer, not from a
    rendered question: they still follow the contact's own choice over their Telegram's."""
    fake.languages[7103] = "en"
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 7103, "ann@acme.example")
        await user.say("/language ja")
        await user.say("/cancel")
        await user.document("notes.txt", b"not asked for\n")
        refused = user.last_text
        assert refused.startswith("ファイルは添付ファイルをお尋ねする質問でのみお受けできます。")
        assert "コマンド: /newcase サポートケースの作成" in refused  # the help, in Japanese too
