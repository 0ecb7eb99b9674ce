"""Issue 11, finding 3: Slack's email links a contact only when Slack confirmed it and the
team is one the operator trusts (SLACK_ALLOWED_TEAMS); otherwise the mailed code.

The attack: a workspace admin sets a member's email to the victim's address (unconfirmed), or
installs the app in a workspace of their own, then answers "Yes" (or forges the Yes press).
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.app import build_service
from bot.processes import build_slack_bot
from bot.service import Service
from bot.settings import Settings
from store.uow import unit_of_work
from tests.e2e.fake_slack import BOT_TOKEN, SECRET, Driver, FakeSlack, TrackingExecutor

VICTIM = "ceo@acme.example"


@contextmanager
def slack(tmp_path: Path, allowed: str) -> Iterator[tuple[FakeSlack, Driver, Service]]:
    with FakeSlack() as fake:
        settings = Settings(home=tmp_path / "home", slack_bot_token=BOT_TOKEN,
                            slack_signing_secret=SECRET, slack_api_url=fake.api_url,
                            slack_allowed_teams=allowed)
        service = build_service(settings)
        executor = TrackingExecutor()
        bot = build_slack_bot(settings, service, listener_executor=executor)
        try:
            yield fake, Driver(bot.app, fake, SECRET, executor), service
        finally:
            executor.shutdown(wait=True)


def forged_yes(driver: Driver, fake: FakeSlack, user: str) -> None:
    """A Yes press on "Is … your work email?" that casebot never offered."""
    payload = {"type": "block_actions", "team": {"id": fake.team_id},
               "user": {"id": user, "team_id": fake.team_id}, "api_app_id": "A1",
               "token": "x", "trigger_id": "trig-forged",
               "container": {"type": "message", "channel_id": "D" + user,
                             "is_ephemeral": False},
               "channel": {"id": "D" + user, "name": "directmessage"},
               "actions": [{"action_id": "cb.id.yes", "block_id": "cb|identity||",
                            "type": "button", "value": "yes",
                            "text": {"type": "plain_text", "text": "Yes"},
                            "action_ts": f"{time.time():.6f}"}]}
    status, _ = driver.send(urllib.parse.urlencode({"payload": json.dumps(payload)}),
                            "application/x-www-form-urlencoded")
    assert status == 200
    assert driver.executor is not None
    driver.executor.wait_idle()


def linked_email(service: Service, user: str) -> str | None:
    with unit_of_work(service.engine) as s:
        contact = s.contacts.for_identity("slack", f"T1:{user}")
        return contact.email if contact else None


def test_an_unconfirmed_slack_email_is_not_offered_nor_linked(tmp_path: Path) -> None:
    with slack(tmp_path, allowed="T1") as (fake, driver, service):
        fake.add_user("U66", VICTIM, "Mallory", confirmed=False)
        driver.say("U66", "hello")
        assert VICTIM not in driver.last("U66").args["text"]
        assert "work email" in driver.last("U66").args["text"]
        forged_yes(driver, fake, "U66")
        assert linked_email(service, "U66") is None


def test_a_team_not_allowed_gets_the_mailed_code_path(tmp_path: Path) -> None:
    with slack(tmp_path, allowed="T_OTHER") as (fake, driver, service):
        fake.add_user("U67", VICTIM, "Mallory", confirmed=True)
        driver.say("U67", "hello")
        assert VICTIM not in driver.last("U67").args["text"]
        forged_yes(driver, fake, "U67")
        assert linked_email(service, "U67") is None
        driver.say("U67", VICTIM)  # the only way left: a code mailed to the victim
        assert "8-digit code" in driver.last("U67").args["text"]
        assert linked_email(service, "U67") is None


def test_a_confirmed_email_in_an_allowed_team_links(tmp_path: Path) -> None:
    with slack(tmp_path, allowed="T1") as (fake, driver, service):
        fake.add_user("U68", "kim@acme.example", "Kim", confirmed=True)
        driver.say("U68", "hello")
        assert "kim@acme.example" in driver.last("U68").args["text"]
        driver.press("U68", "Yes")
        assert linked_email(service, "U68") == "kim@acme.example"
