"""Security review (issue 7, item 6): forged ids are refused, codes masked, bodies not logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.app import build_service
from bot.cli.main import app
from bot.dispatch import OUT_OF_DATE
from bot.protocol import Who
from bot.service import Service
from bot.settings import Settings
from flows.model import Inbound, Prompt
from store.repositories.conversations import ConvRow
from store.tables import ActivationCode, Contact, Profile
from store.uow import unit_of_work

CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"
ANN_EMAIL = "ann@acme.example"
ANN = Who("console", ANN_EMAIL, email=ANN_EMAIL)
BOB = Who("console", "bob@other.example", email="bob@other.example")
PROFILE = ["HQ", "Apex One", "2019", "1", "done", CODE, "done", "1"]  # opens at once
CASE = ["1", "Secret subject zebra", "Secret body walrus", "1", "1"]


def text_of(prompts: list[Prompt]) -> str:
    return json.dumps([repr(p) for p in prompts])


def run(service: Service, who: Who, answers: list[str]) -> list[Prompt]:
    seen = service.handle(who, Inbound(kind="command", command="where"), auto_start=True)
    for answer in answers:
        prompts = service.handle(who, Inbound.from_text(answer))
        assert not any(p.error for p in prompts), (answer, prompts)
        seen += prompts
    return seen


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    svc = build_service(Settings(home=tmp_path / "home"))
    yield svc
    svc.engine.dispose()


def state(service: Service, who: Who) -> ConvRow:
    """`who`'s conversation, which the test has started."""
    with unit_of_work(service.engine) as s:
        found = s.conversations.load_for_identity(who.channel, who.external_id)
    assert found is not None
    conv = found[1]
    assert conv is not None
    return conv


def ann_profile_and_case(service: Service) -> tuple[int, str]:
    prompts = run(service, ANN, PROFILE + CASE)
    number = prompts[-1].data["number"]
    with unit_of_work(service.engine) as s:
        pid = s.session.exec(select(Profile.id).join(Contact)
                     .where(Contact.email == ANN_EMAIL)).one()
    assert pid is not None
    return pid, number


def test_another_contacts_profile_id_is_refused_as_a_choice(service: Service) -> None:
    ann_pid, _ = ann_profile_and_case(service)
    run(service, BOB, PROFILE)
    conv = state(service, BOB)
    assert conv.state == "issue"  # the one profile and its one OS are filled in
    service.handle(BOB, Inbound.from_text("/back"))
    conv = state(service, BOB)
    assert conv.state == "profile"
    forged = Inbound(kind="choice", choice=str(ann_pid), step="profile", draft=conv.draft_id)
    prompts = service.handle(BOB, forged)
    assert prompts[-1].error, prompts
    assert state(service, BOB).answers.get("profile") != ann_pid
    # the profiles menu refuses it too (no edit/delete of someone else's profile)
    service.handle(BOB, Inbound.from_text("/cancel"))
    service.handle(BOB, Inbound.from_text("/profiles"))
    conv = state(service, BOB)
    prompts = service.handle(BOB, Inbound(kind="choice", choice=str(ann_pid), step=conv.state,
                                          draft=conv.draft_id))
    assert prompts[-1].error, prompts
    with unit_of_work(service.engine) as s:
        profile = s.session.get(Profile, ann_pid)
        assert profile is not None
        assert profile.name == "HQ"


def test_another_contacts_case_number_is_not_shown(service: Service) -> None:
    _, number = ann_profile_and_case(service)
    prompts = service.handle(BOB, Inbound.from_text(f"/case {number}"))
    assert "can't find a case" in prompts[0].text
    assert "case" not in prompts[0].data
    assert "Secret" not in text_of(prompts)
    prompts = service.handle(BOB, Inbound.from_text("/cases"))
    assert number not in text_of(prompts)
    mine = service.handle(ANN, Inbound.from_text(f"/case {number}"))
    assert mine[0].data["case"]["number"] == number


def test_a_button_from_an_old_draft_changes_nothing(service: Service) -> None:
    run(service, BOB, PROFILE)
    old = state(service, BOB)
    service.handle(BOB, Inbound.from_text("/cancel"))
    service.handle(BOB, Inbound.from_text("/newcase"))
    new = state(service, BOB)
    assert new.draft_id != old.draft_id
    prompts = service.handle(BOB, Inbound(kind="choice", choice="1", step=new.state,
                                          draft=old.draft_id))
    assert prompts[0].text == OUT_OF_DATE
    after = state(service, BOB)
    assert (after.state, after.answers, after.version) == (new.state, new.answers,
                                                           new.version + 1)


def test_store_refuses_forged_profile_code_and_delete_ids(service: Service) -> None:
    ann_pid, _ = ann_profile_and_case(service)
    run(service, BOB, [])
    with unit_of_work(service.engine) as s:
        bob = s.contacts.by_email("bob@other.example")
        assert bob is not None
        ann_code = s.session.exec(select(ActivationCode.id)).one()
        answers = {"_profile_id": ann_pid, "name": "Mine", "product": "Apex One",
                   "version": "2019", "language": "English", "activation_code": {"id": ann_code}}
        pid = s.profiles.save(bob, answers)
        assert pid != ann_pid
        bobs = s.session.get(Profile, pid)
        assert bobs is not None
        assert bobs.activation_code_id is None  # not Bob's account's code
        assert not s.profiles.delete(bob, ann_pid)
        s.commit()
        anns = s.session.get(Profile, ann_pid)
        assert anns is not None
        assert anns.name == "HQ"


def test_activation_codes_masked_and_nothing_secret_logged(service: Service,
                                                           caplog: pytest.LogCaptureFixture,
                                                           tmp_path: Path) -> None:
    caplog.set_level(logging.INFO)
    prompts = run(service, ANN, PROFILE)
    service.handle(ANN, Inbound.from_text("/profiles"))
    prompts += service.handle(ANN, Inbound.from_text("1"))
    prompts += service.handle(ANN, Inbound.from_text("/cancel"))
    assert state(service, ANN).state == "issue"
    prompts += run(service, ANN, CASE)
    assert prompts[-1].kind == "done"
    shown = text_of(prompts)
    assert CODE not in shown
    assert "MNOP5" not in shown
    assert "AB-CD12-*****-*****-*****-*****-UVWX7" in shown  # the profile's detail shows it
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (CODE, "MNOP5", "walrus", "zebra"):
        assert secret not in logged


def test_cli_profiles_list_masks_codes(service: Service, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    run(service, ANN, PROFILE)
    monkeypatch.setenv("CASEBOT_HOME", str(tmp_path / "home"))
    for args in (["profiles", "list", "--as", ANN_EMAIL],
                 ["profiles", "list", "--as", ANN_EMAIL, "--json"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "MNOP5" not in result.output
        assert "EFGH3" not in result.output
        assert "*****" in result.output  # the table may wrap the masked code


def test_attachments_live_outside_any_served_path(service: Service, tmp_path: Path) -> None:
    ref = service.files.put_bytes(b"x", "../../etc/passwd")
    path = Path(ref.path).resolve()
    assert path.is_relative_to((tmp_path / "home" / "attachments").resolve())
    assert ref.name == "passwd"
    root = Path(__file__).resolve().parents[2]
    assert not path.is_relative_to(root)
