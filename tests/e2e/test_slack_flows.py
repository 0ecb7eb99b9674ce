"""Complete cases through the real Bolt App, signed as Slack signs, against a stand-in Web API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.service import Service
from store.uow import unit_of_work
from tests.e2e.fake_slack import BOT_TOKEN, Rig, link, make_profile, slack_rig


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with slack_rig(tmp_path) as r:
        yield r


def test_product_case(rig: Rig) -> None:
    slack, user = rig.slack, "U1"
    link(rig.service, user, "pat@acme.example")
    status, _ = slack.command(user, "/case", "new")
    assert status == 200
    make_profile(slack, user)
    slack.press(user, "Windows 10")
    slack.press(user, "Product Issues")
    slack.say(user, "Console <!channel> @here <script>alert(1)</script> & co")
    slack.say(user, "Line one\nLine two")
    slack.press(user, "High")
    slack.say(user, "Whole office affected")
    review = slack.last(user)
    assert any("fields" in b for b in review.args["blocks"])
    slack.press(user, "Submit")
    assert "Case number: 10000001" in slack.last(user).args["text"]
    # one call for the press (issue 13): the review message now shows the choice, then the
    # case number, and no buttons
    case = rig.fake.of("chat.update")[-1]
    kinds = [b["type"] for b in case.args["blocks"]]
    assert "actions" not in kinds
    answer = case.args["blocks"][kinds.index("divider") - 1]
    assert answer["elements"][0]["text"] == "→ *Submit*"
    assert "Case number: 10000001" in case.args["text"]
    with unit_of_work(rig.service.engine) as s:
        stored = s.cases.by_number("10000001")
        assert stored is not None
        data = s.cases.as_json(stored)
    assert data["channel"] == "slack"
    assert data["subject"] == "Console <!channel> @here <script>alert(1)</script> & co"
    # every bot message: no unfurling, and nothing the user typed is live markup
    for call in rig.fake.of("chat.postMessage"):
        assert call.args["unfurl_links"] is False
        assert call.args["unfurl_media"] is False
    wire = json.dumps([c.args for c in rig.fake.calls])
    assert "<!channel>" not in wire
    assert "<!here>" not in wire
    assert "<script>" not in wire
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in wire


def case_json(service: Service, number: str) -> dict[str, Any]:
    with unit_of_work(service.engine) as s:
        stored = s.cases.by_number(number)
        assert stored is not None
        return s.cases.as_json(stored)


def test_threat_sample_with_attachment(rig: Rig, tmp_path: Path) -> None:
    from tests.zipfactory import make_aes_zip

    slack, user = rig.slack, "U2"
    link(rig.service, user, "sam@acme.example")
    slack.say(user, "new case")
    make_profile(slack, user)
    slack.press(user, "Windows 10")
    slack.press(user, "Collected Threat Sample Analysis")
    slack.press(user, "Conventional Scan (Virus Pattern)")
    slack.say(user, "Suspicious binary on a laptop")
    slack.say(user, "Found by the scheduled scan.")
    slack.press(user, "infected")
    data = make_aes_zip(tmp_path / "sample.zip", {"evil.exe": b"MZ" * 500}, "infected")
    partial = rig.fake.add_file("F1", "sample.zip", data.read_bytes())
    slack.say(user, "", files=[partial])
    assert rig.fake.downloads == [("/files/F1/download/sample.zip", BOT_TOKEN)]
    slack.press(user, "Done")
    slack.press(user, "Low")
    slack.press(user, "Submit")
    done = slack.last(user).args["text"]
    assert "Case number: 10000001" in done
    assert "Reference id:" in done
    case = case_json(rig.service, "10000001")
    assert case["issue_category"] == "Collected Threat Sample Analysis"
    assert [a["name"] for a in case["attachments"]] == ["sample.zip"]


def test_url_reclassification(rig: Rig) -> None:
    slack, user = rig.slack, "U3"
    link(rig.service, user, "uma@acme.example")
    slack.command(user, "/case", "new")
    make_profile(slack, user)
    slack.press(user, "Windows 10")
    slack.press(user, "URL Reclassification")
    # Slack wraps typed links as <http://…|…>; the flow gets what was typed
    slack.say_raw(user, "<http://shop.example.com/deals|shop.example.com/deals>")
    slack.press(user, "Safe")  # one URL: its new rating, then its category
    category = next(b for b in slack.last(user).args["blocks"] if b["type"] == "actions")
    first = category["elements"][0]
    assert [g["label"]["text"] for g in first["option_groups"]][:3] == [
        "Likely for Safe", "Adult", "Business"]
    slack.press(user, "Business/Economy")  # one grouped select
    # the subject comes from the URLs and the description is optional: not asked
    slack.press(user, "Low")
    slack.press(user, "Submit")
    assert "Case number: 10000001" in slack.last(user).args["text"]
    case = case_json(rig.service, "10000001")
    assert case["issue_category"] == "URL Reclassification"
    assert case["urls"][0]["requested_rating"] == "Safe"
    assert "shop.example.com" in case["urls"][0]["url"]
