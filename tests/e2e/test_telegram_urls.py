"""Telegram: /checkurl (defanged, no link preview) -> "Request reclassification" -> a URL
Reclassification case completed in the DM -> the operator applies it -> the chat is told and a
new /checkurl shows the new rating. Real PTB Application against the Bot API stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.feeds import import_feed
from bot.settings import Settings
from store.tables import UrlCheck
from store.uow import unit_of_work
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.pseudo import update_case
from tests.e2e.telegram_driver import (
    BotRun,
    add_profile,
)

URL = "https://shop.example.com/deals"
OTHER = "http://files.example.net/a.exe"
FEED = f"url,host,rating,category\n{URL},,Safe,Business/Economy\n"
pytestmark = pytest.mark.timeout(60)



def no_preview(fake: FakeTelegram) -> None:
    for c in fake.of("sendMessage") + fake.of("editMessageText"):
        assert c.params.get("link_preview_options") == {"is_disabled": True}, c.params
        assert "parse_mode" not in c.params


async def test_checkurl_reclassify_apply_and_check_again(fake: FakeTelegram, settings: Settings,
                                                         tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED)
    async with BotRun(fake, settings) as run:
        assert import_feed(run.service.engine, feed, actor="test").added == 1
        run.link(4601, "rae@acme.example")
        add_profile(run, "rae@acme.example")
        user = run.user(4601)

        await user.say(f"/checkurl {URL} {OTHER}")
        answer = user.keyboard_message()
        text = answer["text"]
        assert "hxxps://shop[.]example[.]com/deals — Safe · Business/Economy (Business)" in text
        assert "hxxp://files[.]example[.]net/a[.]exe — Untested" in text
        assert "shop.example.com" not in text
        assert "files.example.net" not in text
        assert user.keyboard() == ["Request reclassification"]
        no_preview(fake)

        before = len(user.messages)
        await user.press("Request reclassification", exact=True)
        assert fake.transcript(4601)[-2]["text"] == "Request reclassification"  # the tap
        assert len(user.messages) == before + 1  # one answer: the note and the first URL
        assert "A URL Reclassification request for 2 URLs" in user.last_text
        # the one profile and its one OS are filled in: straight to the first URL
        step = user.keyboard_message()["text"]
        assert "hxxps://shop[.]example[.]com/deals" in step
        assert "Safe" in step
        await user.press("Dangerous", exact=True)
        await user.press("Internet Security: Phishing", exact=True)
        await user.press("Keep", exact=True)  # the second URL stays Untested
        # the subject comes from the URLs, the description is optional: not asked
        await user.press("Low", exact=True)
        await user.press("Submit", exact=True)
        number = user.case_number()

        with unit_of_work(run.service.engine) as s:
            stored = s.cases.by_number(number)
            assert stored is not None
            case = s.cases.as_json(stored)
        assert case["channel"] == "telegram"
        assert case["issue_category"] == "URL Reclassification"
        assert case["subject"].startswith("URL reclassification: shop.example.com")
        got = {u["url"]: (u["current_rating"], u["requested_rating"], u["requested_category"])
               for u in case["urls"]}
        assert got[URL] == ("Safe", "Dangerous", "Phishing")

        update_case(run.service, number, status="resolved", apply_urls=True, actor="test")
        await run.until(lambda: any("requested URL ratings are now in effect" in t
                                    for t in fake.texts(4601)))
        notice = next(t for t in fake.texts(4601) if "now in effect" in t)
        assert number in notice
        assert "hxxps://shop[.]example[.]com/deals: Safe → Dangerous, Phishing" in notice

        await user.say(f"/checkurl {URL}")
        assert ("hxxps://shop[.]example[.]com/deals — Dangerous · Phishing (Internet Security)"
                in user.keyboard_message()["text"])
        no_preview(fake)


async def test_reclassify_button_after_a_restart(fake: FakeTelegram, settings: Settings) -> None:
    """The last check is kept in the database: the button still works after a restart."""
    async with BotRun(fake, settings) as run:
        run.link(4602, "sam@acme.example")
        user = run.user(4602)
        await user.say(f"/checkurl {URL}")
    async with BotRun(fake, settings) as run:
        user = run.user(4602)
        await user.tap("Request reclassification")
        with unit_of_work(run.service.engine) as s:
            found = s.conversations.load_for_identity("telegram", "4602")
        assert found is not None
        conv = found[1]
        # no profile yet: the profile form is open on top of the request holding the URLs
        assert conv is not None
        assert conv.flow == "profile"
        assert conv.stack[0]["flow"] == "intake"
        assert [u["url"] for u in conv.stack[0]["answers"]["urls"]] == [URL]


async def test_the_button_asks_to_check_again_when_the_check_is_gone(fake: FakeTelegram,
                                                                     settings: Settings) -> None:
    """After a restart the URLs come from the last check; when that is gone too (pruned),
    the button says to check again and starts nothing."""
    async with BotRun(fake, settings) as run:
        run.link(4603, "tim@acme.example")
        user = run.user(4603)
        await user.say(f"/checkurl {URL}")
    async with BotRun(fake, settings) as run:
        with unit_of_work(run.service.engine) as s:
            for row in s.session.exec(select(UrlCheck)):
                s.session.delete(row)
            s.commit()
        user = run.user(4603)
        before = len(user.messages)
        await user.tap("Request reclassification")
        assert "/checkurl URL… again" in user.last_text
        assert len(user.messages) == before + 1
        assert user.keyboard() == []
        with unit_of_work(run.service.engine) as s:
            found = s.conversations.load_for_identity("telegram", "4603")
            assert found is not None
            assert found[1] is None  # nothing started


async def test_inline_query_rates_the_urls_among_words(fake: FakeTelegram, settings: Settings,
                                                       tmp_path: Path) -> None:
    """`@bot is this safe? …` from someone casebot does not know: one answer per URL found in
    the words (defanged ones too); words alone give no answer."""
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED)
    async with BotRun(fake, settings, "polling") as run:
        assert import_feed(run.service.engine, feed, actor="test").added == 1
        user = run.user(4607)
        await user.act(fake.inline, 4607,
                       f"is this safe? {URL} or hxxp://files[.]example[.]net/a[.]exe?")
        await user.act(fake.inline, 4607, "このURL（shop.example.com/deals）は安全？")
        await user.act(fake.inline, 4607, "is report.pdf safe")
    first, japanese, words = (a.params["results"] for a in fake.of("answerInlineQuery"))
    titles = [r["title"] for r in first]
    assert titles[0] == "hxxps://shop[.]example[.]com/deals — Safe · Business/Economy (Business)"
    assert titles[1].startswith("hxxp://files[.]example[.]net/a[.]exe — Untested")
    assert len(titles) == 2
    assert [r["title"].split(" — ")[0] for r in japanese] == [
        "hxxp://shop[.]example[.]com/deals"]
    assert words == []


@pytest.mark.real_english("only English answers are shared in Telegram's cache: needs an English "
                          "default")
async def test_inline_answers_follow_the_askers_language(fake: FakeTelegram, settings: Settings,
                                                         tmp_path: Path) -> None:
    """Telegram's inline answers in the asker's language_code (issue 27); only English ones
    are shared in Telegram's cache for everyone typing the same query."""
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED)
    fake.languages[4608] = "ja"
    async with BotRun(fake, settings, "polling") as run:
        assert import_feed(run.service.engine, feed, actor="test").added == 1
        await run.user(4608).act(fake.inline, 4608, f"これは安全？ {URL}")
        await run.user(4609).act(fake.inline, 4609, f"is this safe? {URL}")
    japanese, english = fake.of("answerInlineQuery")
    assert japanese.params["results"][0]["title"] == \
        "hxxps://shop[.]example[.]com/deals — 安全 · ビジネス/経済(ビジネス)"
    assert str(japanese.params.get("is_personal")).lower() == "true"
    assert english.params["results"][0]["title"].endswith("Safe · Business/Economy (Business)")
    assert str(english.params.get("is_personal")).lower() in ("false", "none")
