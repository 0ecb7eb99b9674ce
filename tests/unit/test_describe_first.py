"""Describe first (issue 10): what the user writes opens the request, and what it most likely
means is offered first, never chosen without a press."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.catalog import get_catalog
from flows.context import ProfileView
from flows.model import Inbound
from flows.suggest import suggested_category, suggested_product, suggested_profile
from tests.unit.flowkit import Talk, fresh_service, seeded_home

CAT = get_catalog()
APEX = ProfileView(id=1, name="HQ Apex One", product="Apex One", version="2019",
                   operating_systems=("Windows 10",), language="English")
DEEP = ProfileView(id=2, name="DC servers", product="Deep Security", version="20 LTS",
                   operating_systems=("Windows Server 2019",), language="English")


@pytest.mark.parametrize(("text", "profile"), [
    ("Apex One agents stop reporting after the update", "1"),
    ("apex one 2019 console is slow", "1"),
    ("The deep security manager shows errors", "2"),
    ("DC servers cannot reach the relay", "2"),
    ("Printer is out of paper", None)])
def test_profile_suggestion(text: str, profile: str | None) -> None:
    assert suggested_profile(text, [APEX, DEEP]) == profile


@pytest.mark.parametrize(("text", "product"), [
    ("Deep Security Virtual Appliance drops packets", "Deep Security Virtual Appliance"),
    ("Our OfficeScan server crashed", "OfficeScan"),
    ("Nothing to do with a product", None)])
def test_product_suggestion(text: str, product: str | None) -> None:
    assert suggested_product(text, CAT) == product


@pytest.mark.parametrize(("text", "product", "category"), [
    ("Agents stop reporting after the update", "Apex One", "Product Issues"),
    ("Our licence shows expired since Monday", "Apex One",
     "Activation and Registration Issues"),
    ("Collected a suspicious file sample from a laptop", "Apex One",
     "Collected Threat Sample Analysis"),
    ("Our own tool is a false positive", "Apex One", "File False Positive"),
    ("Spam keeps getting through to our inboxes", "Apex One", "Spam"),
    ("This website is blocked with the wrong category", "Apex One", "URL Reclassification"),
    ("Planned change window for the manager upgrade", "Deep Security", "Change Control Issue"),
    ("Planned change window for the manager upgrade", "Apex One", "Product Issues"),
    ("Spam keeps coming", "TippingPoint Digital Vaccine", None),
    ("Question about the roadmap", "Apex One", None)])
def test_category_suggestion(text: str, product: str, category: str | None) -> None:
    assert suggested_category(text, CAT, product) == category


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_home(tmp_path_factory.mktemp("describe"))


def test_a_message_opens_a_request_with_suggestions_offered_first(seed: Path,
                                                                  tmp_path: Path) -> None:
    talk = Talk(fresh_service(seed, tmp_path / "home"))
    prompts = talk.say("DC Deep Security: the manager cannot reach agents\nSince Monday.")
    asked = prompts[-1]
    assert asked.step == "profile"  # several profiles: asked, the suggestion first
    assert asked.choices[0].label == "DC Deep Security"
    assert "suggested from your description" in asked.choices[0].hint
    talk.say("1")
    assert talk.prompt.step == "issue"
    assert talk.prompt.choices[0].label == "Product Issues"  # its one OS was filled in
    talk.say("1", "Low")
    shown = {i.label: i.value for i in talk.prompt.summary}
    assert shown["Subject"] == "DC Deep Security: the manager cannot reach agents"
    assert shown["Description"].startswith("DC Deep Security: the manager")
    assert shown["Product profile"].startswith("DC Deep Security")


def test_newcase_with_text_and_a_description_at_an_untouched_first_question(seed: Path,
                                                                            tmp_path: Path) -> None:
    talk = Talk(fresh_service(seed, tmp_path / "home"))
    talk.send(Inbound(kind="command", command="newcase", args="Spam keeps coming in"))
    assert talk.prompt.step == "profile"
    assert talk.state()[2]["subject"] == "Spam keeps coming in"
    # a request opened empty (as `casebot chat` used to): typing a description there starts it
    other = Talk(fresh_service(seed, tmp_path / "other"))
    other.start()
    assert other.prompt.step == "profile"
    other.say("The licence of the OfficeScan server expired")
    assert other.state()[2]["subject"] == "The licence of the OfficeScan server expired"
    assert other.prompt.choices[0].label == "Lab OfficeScan"


def test_short_greetings_do_not_open_a_request(seed: Path, tmp_path: Path) -> None:
    talk = Talk(fresh_service(seed, tmp_path / "home"))
    prompts = talk.say("hi")
    assert prompts[-1].kind == "info"
    assert talk.state()[0] is None
