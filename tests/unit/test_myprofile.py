"""My profile: the form on its own, and /myprofile through `Service.handle` on real SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.accounts import UnknownDomain, add_account, check_domain, join, normalize_domain
from bot.app import build_service
from bot.protocol import Who
from bot.settings import Settings
from flows.context import Ctx, EmptyWorld
from flows.errors import Invalid
from flows.flow import Turn
from flows.form import REVIEW
from flows.formstate import Answers, FormState
from flows.model import Inbound
from flows.myprofile import MYPROFILE
from store.tables import Contact, saved_id
from store.uow import unit_of_work
from tests.unit.flowkit import fixed_clock


class Colleagues(EmptyWorld):
    def account_contacts(self) -> Sequence[str]:
        return ("ann@acme.example", "bob@acme.example", "carol@acme.example")


CTX = Ctx(world=Colleagues(), clock=fixed_clock, contact_email="ann@acme.example")


def say(state: str, answers: Answers, text: str, form: FormState | None = None) -> Turn:
    return MYPROFILE.handle(state, answers, form or FormState(), Inbound.from_text(text), CTX)


def test_opens_on_the_review_with_what_is_stored() -> None:
    turn = MYPROFILE.start(CTX, {"name": "Ann", "case_recipients": ["x@y.example"],
                                 "listed": "no"}, REVIEW)
    [review] = turn.prompts
    assert review.kind == "review"
    assert turn.state == REVIEW
    assert [(i.label, i.value) for i in review.summary] == [
        ("Your name", "Ann"), ("Case Recipients", "x@y.example"),
        ("Visible to colleagues", "No")]
    assert next(c.label for c in review.choices) == "Save"
    empty = MYPROFILE.start(CTX, {"name": "", "case_recipients": [], "listed": "no"},
                            REVIEW).prompts[0]
    assert [i.value for i in empty.summary] == ["—", "none", "No"]


def test_recipients_offer_colleagues_but_not_yourself_and_take_typed_addresses() -> None:
    a = {"name": "Ann", "case_recipients": [], "listed": "no"}
    turn = say(REVIEW, a, "Edit Case Recipients")
    [ask] = turn.prompts
    assert [c.id for c in ask.choices] == ["bob@acme.example", "carol@acme.example"]
    turn = say(turn.state, turn.answers, "2, dan@partner.example", turn.form)
    assert turn.prompts[-1].selected == ("carol@acme.example", "dan@partner.example")
    turn = say(turn.state, turn.answers, "done", turn.form)
    assert turn.state == REVIEW
    assert turn.answers["case_recipients"] == ["carol@acme.example", "dan@partner.example"]
    edit = _edit(turn)
    cleared = say(edit.state, edit.answers, "none, done", edit.form)
    assert cleared.answers["case_recipients"] == []


def _edit(turn: Turn) -> Turn:
    return say(turn.state, turn.answers, "Edit Case Recipients", turn.form)


def test_bad_addresses_and_more_than_20_are_refused() -> None:
    edit = _edit(MYPROFILE.start(CTX, {"name": "A", "case_recipients": [], "listed": "no"},
                                 REVIEW))
    bad = say(edit.state, edit.answers, "ok@x.example, nope", edit.form)
    assert bad.state == edit.state
    assert "'nope' is not a valid address" in (bad.prompts[0].error or "")
    many = ", ".join(f"u{i}@x.example" for i in range(21))
    too_many = say(edit.state, edit.answers, many, edit.form)
    assert "limit is 20" in (too_many.prompts[0].error or "")


def test_name_is_one_line_and_required() -> None:
    t = say(REVIEW, {"name": "", "case_recipients": [], "listed": "no"}, "Edit Your name")
    assert say(t.state, t.answers, "", t.form).prompts[0].error
    done = say(t.state, t.answers, "  Ann   Smith ", t.form)
    assert done.state == REVIEW
    assert done.answers["name"] == "Ann   Smith"


def test_myprofile_through_the_service_with_buttons(tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path / "home"))
    with unit_of_work(service.engine) as s:
        add_account(s, "Acme", "acme.example", actor="test")
        s.commit()
    bob = Who("console", "bob@acme.example", email="bob@acme.example")
    service.handle(bob, Inbound(kind="command", command="help"))
    with unit_of_work(service.engine) as s:  # bob agreed to be listed (My profile)
        listed = s.contacts.by_email("bob@acme.example")
        assert listed is not None
        s.contacts.save_my_profile(saved_id(listed), "Bob", [], listed=True)
        s.commit()
    ann = Who("slack", "T1:U1", email="ann@acme.example")
    [review] = service.handle(ann, Inbound(kind="command", command="myprofile"))
    assert review.kind == "review"
    [ask] = service.handle(ann, Inbound(kind="choice", choice="edit:case_recipients",
                                        step=REVIEW, draft=review.draft))
    assert [c.id for c in ask.choices] == ["bob@acme.example"]
    [review] = service.handle(ann, Inbound(kind="multi", choices=("bob@acme.example",),
                                           done=True, step="case_recipients",
                                           draft=ask.draft))
    done = service.handle(ann, Inbound(kind="choice", choice="submit", step=REVIEW,
                                       draft=review.draft))
    assert "Your profile is saved" in done[0].text
    with unit_of_work(service.engine) as s:
        stored = s.contacts.by_email("ann@acme.example")
        assert stored is not None
        assert stored.case_recipients == ["bob@acme.example"]
    # a new request starts as usual (the CC pre-fill is checked in tests/e2e)
    started = service.handle(ann, Inbound(kind="command", command="newcase"))
    assert started
    assert started[-1].step == "name"


def test_domains_join_and_refuse(tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path / "home"))
    assert normalize_domain(" @Acme.Example. ") == "acme.example"
    with pytest.raises(Invalid):
        normalize_domain("localhost")
    with unit_of_work(service.engine) as s:
        with pytest.raises(UnknownDomain, match="not registered"):
            join(s, "x@nowhere.example", policy="refuse")
        with pytest.raises(UnknownDomain):
            check_domain(s, "x@nowhere.example", "refuse")
        check_domain(s, "x@nowhere.example", "own")
        own = join(s, "x@nowhere.example")  # a personal account of one
        other = join(s, "y@nowhere.example")
        assert own.account_id != other.account_id
        with pytest.raises(UnknownDomain):  # no account owns the domain: still refused
            check_domain(s, "z@nowhere.example", "refuse")
        add_account(s, "Nowhere", "nowhere.example", include_subdomains=True, actor="test")
        sub = join(s, "w@mail.nowhere.example", policy="refuse")  # the parent's account
        parent = s.session.get(Contact, own.id)
        assert parent is not None
        assert sub.account_id == parent.account_id
        assert isinstance(own, Contact)


def test_registering_a_new_activation_code_is_its_own_question(tmp_path: Path) -> None:
    """Issue 12: the new code is a state of the profile form, not a marker inside a step."""
    from pathlib import Path

    from tests.unit.flowkit import Talk, fresh_service, profile_views_of, seeded_home

    talk = Talk(fresh_service(seeded_home(Path(tmp_path) / "s")))
    talk.start()
    talk.say("/profiles", "Add a new profile", "Second", "Apex One", "2019", "1, done")
    assert talk.prompt.step == "activation_code"  # the account's code, or a new one
    talk.say("Register a new activation code")
    assert talk.prompt.step == "new_activation_code"
    talk.say("ZZ-9999-AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", "done")
    shown = {i.label: i.value for i in talk.prompt.summary}
    assert shown["New activation code"] == "ZZ-9999-*****-*****-*****-*****-EEEEE (new)"
    talk.say("Save profile")
    masked = {p.name: p.activation_code_masked for p in profile_views_of(talk.service)}
    assert masked["Second"] == "ZZ-9999-*****-*****-*****-*****-EEEEE"
