"""Issue 11, finding 4 (first half): a Telegram or Slack file is downloaded only for a linked
contact whose current question takes files. The attack: anyone who finds the bot sends files
(or a linked user sends them at any step) and casebot fetches and stores every byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from store.uow import unit_of_work
from tests.e2e.fake_slack import slack_rig
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.telegram_driver import BotRun

pytestmark = pytest.mark.timeout(60)
def stored(home: Path) -> list[Path]:
    return [p for p in (home / "attachments").rglob("*") if p.is_file()] \
        if (home / "attachments").exists() else []


async def test_telegram_file_from_a_stranger_is_not_downloaded(fake: FakeTelegram,
                                                              settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = run.user(7001)
        await user.document("payload.zip", b"PK" + b"x" * 4096)
        assert not fake.of("getFile")
        assert stored(settings.home) == []
        assert "work email" in user.last_text


async def test_telegram_file_at_a_step_without_files_is_not_downloaded(
        fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        run.link(7002, "ann@acme.example")
        user = run.user(7002)
        await user.say("/newcase")
        await user.document("payload.zip", b"PK" + b"x" * 4096)
        assert not fake.of("getFile")
        assert stored(settings.home) == []
        assert "only when a question asks for attachments" in user.last_text


def test_slack_file_from_a_stranger_or_at_a_step_without_files_is_not_fetched(
        tmp_path: Path) -> None:
    with slack_rig(tmp_path) as rig:
        rig.fake.add_user("U1", None, "Eve")
        partial = rig.fake.add_file("F1", "payload.zip", b"PK" + b"x" * 4096)
        rig.slack.say("U1", "", files=[partial])
        assert rig.fake.downloads == []
        assert not rig.fake.of("files.info")
        assert "work email" in rig.slack.last("U1").args["text"]

        with unit_of_work(rig.service.engine) as s:
            contact = s.contacts.ensure("pat@acme.example", "Pat")
            s.contacts.link_identity(contact, "slack", "T1:U2", "DU2")
            s.commit()
        rig.slack.command("U2", "/case", "new")
        rig.slack.say("U2", "", files=[rig.fake.add_file("F2", "payload.zip", b"PK")])
        assert rig.fake.downloads == []
        assert not rig.fake.of("files.info")
        assert stored(rig.settings.home) == []
