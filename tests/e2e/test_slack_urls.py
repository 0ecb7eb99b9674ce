"""Slack: /urlcheck (ephemeral, defanged, never unfurled) -> "Request reclassification" ->
a URL Reclassification case completed in the DM -> the operator applies it -> the DM is told
and a new /urlcheck shows the new rating. Real Bolt app, signed payloads, stand-in Web API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.slack import render as srn
from bot.feeds import import_feed
from flows.model import Choice, Inbound, Prompt
from store.uow import unit_of_work
from tests.e2e.fake_slack import Rig, link, make_profile, press_ephemeral, slack_rig
from tests.e2e.pseudo import update_case

URL = "https://shop.example.com/deals"
FEED = f"url,host,rating,category\n{URL},,Safe,Business/Economy\n"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with slack_rig(tmp_path) as r:
        yield r


def test_urlcheck_reclassify_apply_and_check_again(rig: Rig, tmp_path: Path) -> None:
    slack, user = rig.slack, "U7"
    link(rig.service, user, "rae@acme.example")
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED)
    assert import_feed(rig.service.engine, feed, actor="test").added == 1

    # Slack auto-links what was typed: <https://…>
    status, _ = slack.command(user, "/urlcheck", f"<{URL}>", channel="C9")
    assert status == 200
    [eph] = rig.fake.of("chat.postEphemeral")
    assert eph.args["channel"] == "C9"
    assert eph.args["user"] == user
    assert eph.args["unfurl_links"] is False
    assert eph.args["unfurl_media"] is False
    text = eph.args["text"]
    assert "hxxps://shop[.]example[.]com/deals — Safe · Business/Economy (Business)" in text
    assert URL not in json.dumps(eph.args["text"])
    assert "shop.example.com" not in text
    [button] = [e for b in eph.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["text"]["text"] == "Request reclassification"
    assert button["value"] == f"cmd:reclassify\n{URL}"
    assert slack.messages(user) == []  # nothing in the DM, nothing in the channel

    press_ephemeral(rig, user, eph, "Request reclassification")
    assert not [c for c in rig.fake.of("chat.postMessage") if c.args["channel"] == "C9"]
    assert not rig.fake.of("chat.update")  # an ephemeral message can't be updated
    assert "A URL Reclassification request for 1 URL" in slack.text(user)

    make_profile(slack, user)
    slack.press(user, "Windows 10")
    step = slack.last(user).args["text"]
    assert "hxxps://shop[.]example[.]com/deals — Safe, Business/Economy" in step
    slack.press(user, "Dangerous")
    slack.press(user, "Phishing")  # the grouped category select
    # the subject is filled in from the URL, the description is optional: not asked
    slack.press(user, "Low")
    slack.press(user, "Submit")
    done = slack.last(user).args["text"]
    assert "Case number: 10000001" in done

    with unit_of_work(rig.service.engine) as s:
        stored = s.cases.by_number("10000001")
        assert stored is not None
        case = s.cases.as_json(stored)
    assert case["channel"] == "slack"
    assert case["issue_category"] == "URL Reclassification"
    assert case["subject"] == "URL reclassification: shop.example.com"
    assert [(u["url"], u["current_rating"], u["requested_rating"], u["requested_category"])
            for u in case["urls"]] == [(URL, "Safe", "Dangerous", "Phishing")]

    update_case(rig.service, "10000001", status="resolved", apply_urls=True, actor="test")
    seen = len(slack.messages(user))
    thread = rig.bot.start_notices(interval=0.05)
    try:
        rig.fake.wait_for(lambda calls: any(
            "requested URL ratings are now in effect" in c.args.get("text", "")
            for c in calls if c.method == "chat.postMessage"))
    finally:
        rig.bot.stop()
        thread.join(2)
    notice = slack.text(user, since=seen)
    assert "10000001" in notice
    assert "hxxps://shop[.]example[.]com/deals: Safe → Dangerous, Phishing" in notice
    for call in rig.fake.of("chat.postMessage"):
        assert call.args["unfurl_links"] is False
        assert call.args["unfurl_media"] is False

    slack.command(user, "/urlcheck", URL, channel="C9")
    again = rig.fake.of("chat.postEphemeral")[-1].args["text"]
    assert "hxxps://shop[.]example[.]com/deals — Dangerous · Phishing (Internet Security)" \
        in again


def test_button_value_falls_back_when_the_urls_do_not_fit() -> None:
    """10 long URLs exceed a button's 2,000 characters: the button carries only the command,
    and the service uses the URLs this person checked last."""
    long = [f"https://example.com/{i}/" + "a" * 400 for i in range(10)]
    prompt = Prompt(kind="info", text="…", data={"urls": long, "reclassify": True},
                    choices=(Choice(id="cmd:reclassify", label="Request reclassification"),))
    [block] = srn.render(prompt)["blocks"][-1:]
    [btn] = block["elements"]
    assert btn["value"] == "cmd:reclassify"
    assert len(btn["value"]) <= 2000
    short = Prompt(kind="info", text="…", data={"urls": [URL]}, choices=prompt.choices)
    assert srn.render(short)["blocks"][-1]["elements"][0]["value"] == f"cmd:reclassify\n{URL}"


def test_only_offered_commands_come_from_buttons() -> None:
    from adapters.slack.inbound import action_inbound

    def press(value: str) -> Inbound | None:
        return action_inbound({"type": "button", "action_id": "cb.cmd.0", "value": value,
                               "block_id": "cb|info||"}, None)

    got = press(f"cmd:reclassify\n{URL}\nhttps://b.example/")
    assert got is not None
    assert (got.kind, got.command, got.args) == ("command", "reclassify",
                                                 f"{URL}\nhttps://b.example/")
    bare = press("cmd:reclassify")
    assert bare is not None
    assert bare.args == ""
    assert press("cmd:cancel") is None
    assert press("reclassify") is None


def test_urlcheck_reads_urls_out_of_words(rig: Rig, tmp_path: Path) -> None:
    """/urlcheck with a sentence: the URLs in it are rated, the words ignored; none: usage."""
    link(rig.service, "U7", "rae@acme.example")
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED)
    import_feed(rig.service.engine, feed, actor="test")
    # as Slack sends it: what it auto-linked in <…|…>, defanged text left alone
    rig.slack.command("U7", "/urlcheck",
                      f"is this ok <{URL}|{URL}> or hxxp://evil[.]example[.]net/x?", channel="C9")
    [eph] = rig.fake.of("chat.postEphemeral")
    text = eph.args["text"]
    assert "1. hxxps://shop[.]example[.]com/deals — Safe · Business/Economy" in text
    assert "2. hxxp://evil[.]example[.]net/x — Untested" in text
    [button] = [e for b in eph.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["value"] == f"cmd:reclassify\n{URL}\nhttp://evil.example.net/x"

    rig.slack.command("U7", "/urlcheck", "is this ok?", channel="C9")
    usage = rig.fake.of("chat.postEphemeral")[-1].args["text"]
    assert "I found no URL to check in that." in usage
    assert "is this safe? hxxps://example[.]com/login" in usage
    assert rig.slack.messages("U7") == []


def test_mention_rates_urls_in_a_thread_reply(rig: Rig, tmp_path: Path) -> None:
    """@casebot in a channel, by someone casebot does not know: the ratings are a reply in the
    mention's thread (defanged, never unfurled); nothing is asked, nothing goes to a DM."""
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED)
    import_feed(rig.service.engine, feed, actor="test")
    status, _ = rig.slack.mention(
        "U55", f"<@UBOT> is this safe? <{URL}> and evil[.]example[.]com/login — report.pdf "
        "came with it; https://exa mple too", channel="C42", event_id="EvM1")
    assert status == 200
    [reply] = rig.fake.of("chat.postMessage")
    assert reply.args["channel"] == "C42"
    assert reply.args["thread_ts"]  # the mention's own ts: a thread under it
    assert reply.args["unfurl_links"] is False
    assert reply.args["unfurl_media"] is False
    text = reply.args["text"]
    assert "1. hxxps://shop[.]example[.]com/deals — Safe · Business/Economy (Business)" in text
    assert "2. hxxp://evil[.]example[.]com/login — Untested" in text
    assert "3." not in text
    assert "Not checked: 'hxxps://exa' is not a valid web address" in text
    assert "shop.example.com" not in text
    assert not rig.fake.of("users.info")  # no identity asked for
    assert not rig.fake.of("conversations.open")
    assert not rig.fake.of("chat.postEphemeral")

    # Slack retries a slow delivery with the same event id: answered once
    rig.slack.mention("U55", f"<@UBOT> is this safe? <{URL}>", event_id="EvM1", retry=1)
    assert len(rig.fake.of("chat.postMessage")) == 1


def test_mention_in_a_thread_answers_there_and_without_urls_hints(rig: Rig) -> None:
    rig.slack.mention("U56", "<@UBOT> このサイト（example.co.jp）は安全ですか", channel="C42",
                      thread="1700000000.000100")
    [reply] = rig.fake.of("chat.postMessage")
    assert reply.args["thread_ts"] == "1700000000.000100"
    assert "1. hxxp://example[.]co[.]jp/ — Untested" in reply.args["text"]

    rig.slack.mention("U56", "<@UBOT> can you help?", channel="C42")
    [hint] = rig.fake.of("chat.postEphemeral")
    assert hint.args["user"] == "U56"
    assert hint.args["channel"] == "C42"
    assert "Mention me with a URL" in hint.args["text"]
    assert len(rig.fake.of("chat.postMessage")) == 1  # nothing posted for the channel
