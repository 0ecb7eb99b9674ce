"""The CC question (flows/cc.py) for a contact whose company has no operator-made account yet
(issue 22, finding 13): colleagues at the contact's own domain are taken, an address that may
not be copied is refused as it is typed (saying which) and is not kept, so "done" always
finishes instead of asking again. The seeded contact is walker@acme.example, in a personal
account, and the operator allows no outside addresses (the default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.flowkit import Talk, case_json, fresh_service, seeded_home
from tests.unit.test_no_traps import TO_REVIEW, review


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_home(tmp_path_factory.mktemp("cc"))


@pytest.fixture
def talk(seed: Path, tmp_path: Path) -> Talk:
    t = Talk(fresh_service(seed, tmp_path / "home"))
    t.start()
    return t


def test_a_colleague_at_the_own_domain_is_taken_and_done_finishes(talk: Talk) -> None:
    talk.say(*TO_REVIEW, "Edit CC emails", "bob@acme.example")
    assert talk.prompt.step == "cc_emails"
    assert not talk.prompt.error
    talk.say("done")
    assert review(talk)["CC emails"] == "bob@acme.example"
    number = talk.say("Submit")[-1].data["number"]
    assert case_json(talk.service, number)["cc_emails"] == ["bob@acme.example"]


def test_an_outside_address_is_refused_when_typed_and_not_kept(talk: Talk) -> None:
    talk.say(*TO_REVIEW, "Edit CC emails", "bob@acme.example, victim@elsewhere.example")
    p = talk.prompt
    assert p.step == "cc_emails"
    assert p.error is not None
    assert "I can't copy victim@elsewhere.example" in p.error
    assert p.selected == ("bob@acme.example",)  # the colleague is kept, the stranger is not
    talk.say("carol@acme.example, done")
    assert review(talk)["CC emails"] == "bob@acme.example, carol@acme.example"


def test_done_typed_with_an_outside_address_asks_once_and_then_finishes(talk: Talk) -> None:
    talk.say(*TO_REVIEW, "Edit CC emails", "victim@elsewhere.example, done")
    assert talk.prompt.step == "cc_emails"  # refused, said, and not added
    assert "victim@elsewhere.example" in (talk.prompt.error or "")
    assert talk.prompt.selected == ()
    talk.say("done")
    assert review(talk)["CC emails"] == "none"


def test_my_profile_refuses_an_outside_recipient_when_typed(talk: Talk) -> None:
    talk.say("/myprofile", "Edit Case Recipients", "x@elsewhere.example, bob@acme.example")
    assert talk.prompt.step == "case_recipients"
    assert "I can't copy x@elsewhere.example" in (talk.prompt.error or "")
    talk.say("done")
    assert review(talk)["Case Recipients"] == "bob@acme.example"
