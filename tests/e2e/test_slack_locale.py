"""Slack's locale without a call per action (issue 27): it is read at linking from the same
users.info that vouches for the email (include_locale), kept with the identity, refreshed by
Slack's `user_change`, and an ordinary action of a linked person asks Slack nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store.uow import unit_of_work
from tests.e2e.fake_slack import Rig, link, slack_rig

pytestmark = [pytest.mark.timeout(60), pytest.mark.real_english(
    "a test of Slack's locale itself (ja-JP, en-US) and of switching")]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with slack_rig(tmp_path) as r:
        yield r


def stored_locale(rig: Rig, user: str) -> str | None:
    with unit_of_work(rig.service.engine, read_only=True) as s:
        found = s.conversations.load_for_identity("slack", f"T1:{user}")
    assert found is not None
    return found[0].platform_locale


def test_the_locale_is_read_at_linking_from_the_same_users_info(rig: Rig) -> None:
    slack, user = rig.slack, "U81"
    rig.fake.add_user(user, "aki@acme.example", "Aki", locale="ja-JP")
    slack.say(user, "hello")
    slack.press(user, "はい")  # the confirmation is already in Slack's language
    assert stored_locale(rig, user) == "ja-JP"
    calls = rig.fake.of("users.info")
    assert [c.args.get("include_locale") for c in calls] == ["1"]  # one call for both
    slack.command(user, "/case", "list")
    slack.command(user, "/case", "help")
    assert len(rig.fake.of("users.info")) == 1  # linked: never asked again


def test_no_users_info_on_ordinary_actions_of_a_linked_person(rig: Rig) -> None:
    slack, user = rig.slack, "U82"
    rig.fake.add_user(user, "bo@acme.example", "Bo", locale="ja-JP")
    link(rig.service, user, "bo@acme.example", locale="ja-JP")
    slack.command(user, "/case", "new")
    assert "製品プロファイルがまだありません。" in slack.text(user)
    slack.say(user, "本社 Apex One")
    slack.press(user, "Apex One")
    slack.command(user, "/case", "list")
    assert not rig.fake.of("users.info")


def test_a_person_linked_without_a_locale_is_asked_once_and_it_is_kept(rig: Rig) -> None:
    slack, user = rig.slack, "U83"
    rig.fake.add_user(user, "cy@acme.example", "Cy", locale="ja-JP")
    link(rig.service, user, "cy@acme.example")  # as an operator links: no locale known
    slack.command(user, "/case", "list")
    assert len(rig.fake.of("users.info")) == 1
    assert stored_locale(rig, user) == "ja-JP"
    rig.bot.dispatch.locales.clear()  # another process, or an hour later: still not asked
    slack.command(user, "/case", "list")
    assert len(rig.fake.of("users.info")) == 1


def test_user_change_switches_the_next_reply(rig: Rig) -> None:
    slack, user = rig.slack, "U84"
    rig.fake.add_user(user, "di@acme.example", "Di", locale="en-US")
    link(rig.service, user, "di@acme.example", locale="en-US")
    slack.command(user, "/case", "new")
    assert "You have no product profiles yet" in slack.text(user)
    slack.user_change(user, "ja-JP")
    assert stored_locale(rig, user) == "ja-JP"
    slack.command(user, "/case", "where")
    assert "このプロファイルの名前を入力してください" in slack.text(user)
    assert not rig.fake.of("users.info")  # the event carried the locale
    slack.command(user, "/case", "language en")  # their own choice still wins
    slack.user_change(user, "ja-JP")
    slack.command(user, "/case", "where")
    assert "A name for this profile" in slack.text(user)


def test_user_change_without_a_locale_asks_on_that_event_only(rig: Rig) -> None:
    slack, user = rig.slack, "U85"
    rig.fake.add_user(user, "ed@acme.example", "Ed", locale="en-US")
    link(rig.service, user, "ed@acme.example", locale="en-US")
    rig.fake.locales[user] = "ja-JP"
    slack.user_change(user, None)
    assert [c.args.get("include_locale") for c in rig.fake.of("users.info")] == ["1"]
    slack.command(user, "/case", "new")
    assert "製品プロファイルがまだありません。" in slack.text(user)
    assert len(rig.fake.of("users.info")) == 1


def test_a_mention_is_answered_in_the_askers_kept_language(rig: Rig) -> None:
    user = "U86"
    rig.fake.add_user(user, "fu@acme.example", "Fu", locale="ja-JP")
    link(rig.service, user, "fu@acme.example", locale="ja-JP")
    rig.slack.mention(user, "<@UBOT> これは安全？ <https://shop.example.com/deals> "
                            "と https://exa mple")
    [reply] = rig.fake.of("chat.postMessage")
    assert "1. hxxps://shop[.]example[.]com/deals — 未評価(まだ評価されていません。" \
        in reply.args["text"]
    assert "未確認: 'hxxps://exa' は有効なWebアドレスではありません: " in reply.args["text"]
    assert not rig.fake.of("users.info")
