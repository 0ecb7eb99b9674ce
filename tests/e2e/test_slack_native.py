"""Issue 15 on Slack: a case from any message (message shortcut), the global shortcut and the
App Home tab, through the real Bolt app with signed payloads against the stand-in Web API."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.home import home_text
from bot.app import build_service
from bot.processes import build_slack_bot
from store.uow import unit_of_work
from tests.e2e.fake_slack import (
    SECRET,
    Driver,
    Rig,
    TrackingExecutor,
    give_profiles,
    link,
    slack_rig,
)
from tests.e2e.pseudo import update_case

pytestmark = pytest.mark.timeout(60)

MESSAGE = "The Apex One console hangs again\nSince this morning, screenshot attached."


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with slack_rig(tmp_path) as r:
        yield r


def case_of(rig: Rig, number: str) -> dict[str, Any]:
    with unit_of_work(rig.service.engine) as s:
        stored = s.cases.by_number(number)
        assert stored is not None
        return s.cases.as_json(stored)


def number_in(rig: Rig, user: str) -> str:
    text: str = rig.slack.last(user).args["text"]
    assert "Case number:" in text, rig.slack.text(user)[-1500:]
    return text.split("Case number: ", 1)[1].split()[0]


def test_message_shortcut_makes_a_case_with_text_files_and_link(rig: Rig) -> None:
    user = "U1"
    link(rig.service, user, "pat@acme.example")
    give_profiles(rig.service, "pat@acme.example", count=1)
    shot = rig.fake.add_file("F7", "screenshot.png", b"\x89PNG" + b"\0" * 300)
    status, _ = rig.slack.message_shortcut(user, MESSAGE, channel="C42", files=[shot],
                                           ts="1700000001.000200")
    assert status == 200
    dm = rig.slack.text(user)
    assert "Attached from the message: screenshot.png" in dm
    # one profile: filled in; the category is suggested, first
    rig.slack.press(user, "Product Issues")
    rig.slack.press(user, "Low")
    rig.slack.press(user, "Submit")
    case = case_of(rig, number_in(rig, user))
    assert case["subject"] == "The Apex One console hangs again"
    assert case["description"] == MESSAGE
    assert [a["name"] for a in case["attachments"]] == ["screenshot.png"]
    assert case["source_url"] == "https://acme.slack.com/archives/C42/p1700000001000200"
    assert case["channel"] == "slack"
    assert rig.fake.of("chat.getPermalink")[0].args["channel"] == "C42"


def test_shortcut_before_linking_identifies_first_then_goes_on(rig: Rig) -> None:
    user = "U5"
    rig.fake.add_user(user, "kim@acme.example", "Kim Lee")
    shot = rig.fake.add_file("F8", "log.txt", b"error 42\n" * 10)
    rig.slack.message_shortcut(user, MESSAGE, files=[shot])
    assert "Is kim@acme.example" in rig.slack.last(user).args["text"]
    assert rig.fake.downloads == []  # nothing fetched for a person not linked yet
    rig.slack.press(user, "Yes")
    assert rig.fake.downloads, "the message's files are fetched once linked"
    dm = rig.slack.text(user)
    assert "Attached from the message: log.txt" in dm
    assert "no product profiles yet" in dm  # the request goes on with that message


def test_shortcut_files_survive_linking_on_another_worker(rig: Rig) -> None:
    """The message's files are kept as Slack file ids with the first ask in the database, not
    as a download in the worker that got the shortcut: another Slack HTTP worker (its own
    SlackBot and service on the same database) that sees the person link fetches them."""
    user, email = "U7", "lou@acme.example"
    rig.fake.add_user(user, email, "Lou Ng")
    give_profiles(rig.service, email, count=1)
    data = b"error 42: agent lost its server\n" * 10
    shot = rig.fake.add_file("F11", "agent.log", data)
    rig.slack.message_shortcut(user, MESSAGE, files=[shot])
    assert f"Is {email}" in rig.slack.last(user).args["text"]
    assert rig.fake.downloads == []
    assert not rig.fake.of("files.info")

    executor = TrackingExecutor()
    other = build_slack_bot(rig.settings, build_service(rig.settings), listener_executor=executor)
    try:
        Driver(other.app, rig.fake, SECRET, executor).press(user, "Yes")
    finally:
        executor.shutdown(wait=True)
    assert [path for path, _ in rig.fake.downloads] == ["/files/F11/download/agent.log"]
    assert "Attached from the message: agent.log" in rig.slack.text(user)

    rig.slack.press(user, "Product Issues")  # on with the first worker: one conversation
    rig.slack.press(user, "Low")
    rig.slack.press(user, "Submit")
    case = case_of(rig, number_in(rig, user))
    assert case["description"] == MESSAGE
    assert [(a["name"], a["sha256"]) for a in case["attachments"]] == [
        ("agent.log", hashlib.sha256(data).hexdigest())]


def test_global_shortcut_opens_a_request_in_the_dm(rig: Rig) -> None:
    link(rig.service, "U2", "ann@acme.example")
    give_profiles(rig.service, "ann@acme.example", count=2)
    rig.slack.global_shortcut("U2")
    last = rig.slack.last("U2")
    assert last.args["channel"] == "DU2"
    rig.slack.press("U2", "Profile 1")  # the request's first question


def test_app_home_lists_open_cases_and_follows_updates(rig: Rig) -> None:
    user = "U3"
    link(rig.service, user, "lee@acme.example")
    give_profiles(rig.service, "lee@acme.example", count=1)
    link(rig.service, "U4", "other@acme.example")
    give_profiles(rig.service, "other@acme.example", count=1)
    numbers = []
    for who, text in ((user, "Apex One agents stop reporting"),
                      (user, "Apex One console is slow to load"),
                      ("U4", "Someone else's secret problem here")):
        rig.slack.message_shortcut(who, text)
        rig.slack.press(who, "Product Issues")
        rig.slack.press(who, "Low")
        rig.slack.press(who, "Submit")
        numbers.append(number_in(rig, who))
    update_case(rig.service, numbers[0], status="closed", actor="test")
    rig.slack.open_home(user)
    shown = home_text(rig.slack.home(user))
    assert numbers[1] in shown
    assert "slow to load" in shown
    assert numbers[0] not in shown  # closed
    assert numbers[2] not in shown
    assert "secret" not in shown
    labels = [e["text"]["text"] for b in rig.slack.home(user)["blocks"]
              if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["New case", "Check URLs", "My profiles"]

    update_case(rig.service, numbers[1], status="in progress", note="Looking at it.", actor="test")
    seen = len(rig.fake.of("views.publish"))
    assert rig.bot.deliver_notices() >= 1
    assert len(rig.fake.of("views.publish")) > seen
    assert "in progress" in home_text(rig.slack.home(user))

    rig.slack.press_home(user, "New case")
    assert rig.slack.last(user).args["channel"] == "D" + user


def test_home_of_a_person_not_linked_reveals_nothing(rig: Rig) -> None:
    rig.slack.open_home("U9")
    shown = home_text(rig.slack.home("U9"))
    assert "link your work email" in shown


def test_message_files_get_the_sample_checks_of_uploads(rig: Rig, tmp_path: Path) -> None:
    """A plain file from the message does not pass as a sample: the zip is asked for."""
    from tests.zipfactory import make_aes_zip

    user = "U6"
    link(rig.service, user, "sam@acme.example")
    give_profiles(rig.service, "sam@acme.example", count=1)
    notes = rig.fake.add_file("F9", "notes.txt", b"looks odd\n")
    rig.slack.message_shortcut(user, "Collected a suspicious file sample from a laptop",
                               files=[notes])
    rig.slack.press(user, "Collected Threat Sample Analysis")
    rig.slack.press(user, "Conventional Scan (Virus Pattern)")
    rig.slack.press(user, "infected")
    assert "password-protected zip" in rig.slack.last(user).args["text"]
    data = make_aes_zip(tmp_path / "sample.zip", {"a.exe": b"MZ" + b"\0" * 300},
                        "infected").read_bytes()
    rig.slack.say(user, "", files=[rig.fake.add_file("F10", "sample.zip", data)])
    rig.slack.press(user, "Done")
    rig.slack.press(user, "Low")
    rig.slack.press(user, "Submit")
    case = case_of(rig, number_in(rig, user))
    assert [a["name"] for a in case["attachments"]] == ["sample.zip"]
