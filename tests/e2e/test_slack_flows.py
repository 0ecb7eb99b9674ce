"""Complete cases through the real Bolt App, signed as Slack signs, against a stand-in Web API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import Session

from adapters.slack.app import SlackBot
from bot.app import build_service
from bot.service import Service
from bot.settings import Settings
from store import repo
from tests.e2e.fake_slack import BOT_TOKEN, Driver, FakeSlack, TrackingExecutor

SECRET = "test-signing-secret"
CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"


@dataclass
class Rig:
    fake: FakeSlack
    bot: SlackBot
    service: Service
    slack: Driver
    settings: Settings


@pytest.fixture
def rig(tmp_path) -> Iterator[Rig]:
    with FakeSlack() as fake:
        settings = Settings(home=tmp_path / "home", slack_bot_token=BOT_TOKEN,
                            slack_signing_secret=SECRET, slack_api_url=fake.api_url)
        service = build_service(settings)
        executor = TrackingExecutor()
        bot = SlackBot(settings, service, listener_executor=executor)
        yield Rig(fake, bot, service, Driver(bot.app, fake, SECRET, executor), settings)
        executor.shutdown(wait=True)


def link(service: Service, user: str, email: str, team: str = "T1") -> None:
    with Session(service.engine) as s:
        contact = repo.ensure_contact(s, email, "Pat")
        repo.link_identity(s, contact, "slack", f"{team}:{user}", "D" + user)
        s.commit()


def make_profile(slack: Driver, user: str) -> None:
    """From a fresh request: add a profile and come back to the request."""
    slack.press(user, "Update or add a product profile")
    slack.press(user, "Add a new profile")
    slack.say(user, "HQ Apex One")
    slack.press(user, "Apex One")
    slack.press(user, "2019")
    slack.pick_many(user, ["Windows 10", "Windows Server 2016"])
    slack.say(user, CODE)
    slack.pick_many(user, ["Smart Scan Server", "Web Reputation Enabled"])
    slack.press(user, "English")
    slack.press(user, "Save profile")


def test_product_case(rig: Rig) -> None:
    slack, user = rig.slack, "U1"
    link(rig.service, user, "pat@acme.example")
    status, _ = slack.command(user, "/case", "new")
    assert status == 200
    make_profile(slack, user)
    slack.press(user, "Windows 10")
    slack.press(user, "Product Issue")
    slack.press(user, "Product Issues")
    slack.say(user, "Console <!channel> @here <script>alert(1)</script> & co")
    slack.say(user, "Line one\nLine two")
    slack.press(user, "No attachments")
    slack.press(user, "High")
    slack.say(user, "Whole office affected")
    slack.press(user, "Done")
    slack.press(user, "Email")
    review = slack.last(user)
    assert any("fields" in b for b in review.args["blocks"])
    slack.press(user, "Submit")
    assert "Case number: 10000001" in slack.last(user).args["text"]
    case = rig.fake.of("chat.update")[-1]
    assert case.args["blocks"][-1]["elements"][0]["text"] == "→ *Submit*"
    with Session(rig.service.engine) as s:
        data = repo.case_json(s, repo.case_by_number(s, "10000001"))
    assert data["channel"] == "slack"
    assert data["subject"] == "Console <!channel> @here <script>alert(1)</script> & co"
    # every bot message: no unfurling, and nothing the user typed is live markup
    for call in rig.fake.of("chat.postMessage"):
        assert call.args["unfurl_links"] is False and call.args["unfurl_media"] is False
    wire = json.dumps([c.args for c in rig.fake.calls])
    assert "<!channel>" not in wire and "<!here>" not in wire and "<script>" not in wire
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in wire
