"""The account's default language in the chats (issue 27): it counts only when the platform
says nothing. A Telegram user who sends no language_code, in an account set to Japanese,
gets Japanese (the mailed code and the link notice too); a Slack user whose locale is en-US
in the same account gets English (the platform wins); /language en beats the account's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.accounts import add_account
from bot.service import Service
from bot.settings import Settings
from store.uow import unit_of_work
from tests.e2e.fake_slack import Rig, link, slack_rig
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.telegram_driver import BotRun
from tests.e2e.test_identity_goes_on import verify_after

pytestmark = [pytest.mark.timeout(90), pytest.mark.real_english(
    "tests which language a person gets: English (after /language en) is an outcome it checks")]


def japanese_account(service: Service) -> None:
    with unit_of_work(service.engine) as s:
        add_account(s, "Acme", "acme.example", actor="test", language="ja")


async def test_telegram_without_language_code_gets_the_accounts_japanese(
        fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        japanese_account(run.service)
        user = run.user(8301)  # fake.languages has no entry: no language_code is sent
        texts = await verify_after(run, user, "/newcase", "kenji@acme.example")
        with unit_of_work(run.service.engine, read_only=True) as s:
            mailed = {m.kind: m for m in s.outbox.recent()}
        # not linked yet: the chat's answer is the same for every address (English here), the
        # mail to the address speaks its account's language
        assert mailed["verification"].subject == "casebot の確認コード"
        assert mailed["identity_linked"].subject == \
            "Telegram のアカウントがお客様のサポート連絡先にリンクされました"
        assert "製品プロファイルがまだありません。" in texts[-1], texts
        await user.say("/language en")  # their own choice beats the account's
        assert "casebot speaks English to you now." in user.last_text
        await user.say("/cases")
        assert "no cases yet" in user.last_text


async def test_telegrams_language_code_beats_the_accounts(
        fake: FakeTelegram, settings: Settings) -> None:
    fake.languages[8302] = "en"
    async with BotRun(fake, settings, "polling") as run:
        japanese_account(run.service)
        run.link(8302, "ann@acme.example")
        user = run.user(8302)
        await user.say("/newcase")
        assert "You have no product profiles yet" in user.last_text


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with slack_rig(tmp_path) as r:
        yield r


def test_a_slack_locale_of_en_us_beats_a_japanese_account(rig: Rig) -> None:
    japanese_account(rig.service)
    slack = rig.slack
    rig.fake.add_user("U91", "di@acme.example", "Di", locale="en-US")
    link(rig.service, "U91", "di@acme.example", locale="en-US")
    slack.command("U91", "/case", "new")
    assert "You have no product profiles yet" in slack.text("U91")
    # a Slack user whose locale casebot does not speak gets the account's Japanese
    rig.fake.add_user("U92", "eri@acme.example", "Eri", locale="de-DE")
    link(rig.service, "U92", "eri@acme.example", locale="de-DE")
    slack.command("U92", "/case", "new")
    assert "製品プロファイルがまだありません。" in slack.text("U92")
    assert not rig.fake.of("users.info")  # the locale was kept: Slack asked nothing
