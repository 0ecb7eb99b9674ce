"""A message's files, for a person not linked yet, are kept as the platform's references with
their first ask in the database, and fetched by whichever process sees them linked."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from bot.app import build_service
from bot.chat import Chat
from bot.protocol import Fetched, FromMessage, Who
from bot.settings import Settings
from flows.model import Inbound, PendingFile
from store.db import make_engine, upgrade
from store.uow import unit_of_work

FILES = (PendingFile("BQACAgIAAxkBAAIBQ2Vt", "agent.log", 160), PendingFile("F0ABC", "a file"))


def test_the_file_references_round_trip_through_the_identity_wait(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'casebot.db'}")
    upgrade(engine)
    ask = Inbound(kind="command", command="newcase", args="printer on fire",
                  text="printer on fire", source="https://t.me/acme/7", pending_files=FILES)
    with unit_of_work(engine) as s:
        s.waits.remember("telegram", "7", ask=ask)
    with unit_of_work(engine) as s:
        assert s.waits.get("telegram", "7") == (ask, False)
        assert s.waits.take("telegram", "7") == ask
    engine.dispose()


def test_a_wait_written_before_file_references_reads_back_without_any(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'casebot.db'}")
    upgrade(engine)
    with unit_of_work(engine) as s:
        s.waits.remember("slack", "T1:U1", ask=Inbound(kind="command", command="cases"))
    with engine.begin() as conn:  # the JSON as 0008's code wrote it
        conn.execute(sa.text("UPDATE identity_waits SET ask = :ask"),
                     {"ask": '{"kind": "command", "text": "", "command": "cases", '
                             '"args": "", "source": ""}'})
    with unit_of_work(engine) as s:
        ask, _ = s.waits.get("slack", "T1:U1")
    assert ask == Inbound(kind="command", command="cases")
    engine.dispose()


def test_the_worker_that_links_the_person_fetches_the_files(tmp_path: Path) -> None:
    """Two chat processes on one database: the first sees the message and fetches nothing,
    the second checks the mailed code and fetches the files with its own fetcher."""
    settings = Settings(home=tmp_path / "home")
    first = Chat(build_service(settings))
    second_service = build_service(settings)
    fetched: list[tuple[str, tuple[PendingFile, ...]]] = []

    def never(who: Who, pending: tuple[PendingFile, ...]) -> Fetched:
        raise AssertionError("fetched for a person not linked yet")

    def download(who: Who, pending: tuple[PendingFile, ...]) -> Fetched:
        fetched.append((who.external_id, pending))
        return ([second_service.files.put_bytes(b"error 42\n", pending[0].name)],
                [f"I couldn't fetch {pending[1].name} from the platform."])

    first.fetch_files = never
    second = Chat(second_service, fetch_files=download)
    who = Who("telegram", "4711", chat_ref="4711")

    asked = first.handle(who, FromMessage("Apex One console hangs", files=FILES)).prompts
    assert "work email" in asked[-1].text
    first.handle(who, Inbound(kind="text", text="eve@acme.example"))
    with unit_of_work(second_service.engine) as s:
        mail = next(m for m in s.outbox.recent() if m.kind == "verification")
    code = re.search(r"\b(\d{8})\b", mail.body_text)
    assert code is not None
    assert fetched == []

    texts = [p.text for p in second.handle(who, Inbound(kind="text", text=code.group(1))).prompts]
    assert fetched == [("4711", FILES)]
    assert "linked to eve@acme.example" in texts[0]
    assert texts[1] == "I couldn't fetch a file from the platform."
    joined = "\n".join(texts)
    assert "Attached from the message: agent.log" in joined
    assert "no product profiles yet" in joined  # the request goes on with that message


def test_without_a_fetcher_the_files_become_notes_not_silence(tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path / "home"))
    with unit_of_work(service.engine) as s:
        contact = s.contacts.ensure("max@acme.example")
        s.contacts.link_identity(contact, "telegram", "99", "99")
        s.commit()
    prompts = Chat(service).handle(Who("telegram", "99", chat_ref="99"),
                                   FromMessage("Printer on fire", files=FILES[:1])).prompts
    assert prompts[0].text == ("I couldn't fetch agent.log; send it here when the request "
                               "asks for files.")


def test_files_forwarded_without_words_are_described_in_the_contacts_language(
        tmp_path: Path) -> None:
    """The description casebot writes for a message with files and no text is the case's
    text, written on the customer's behalf: in their language (issue 27)."""
    service = build_service(Settings(home=tmp_path / "home"))
    who = Who("telegram", "4712", chat_ref="4712")
    with unit_of_work(service.engine) as s:
        eve = s.contacts.ensure("eve@acme.example", "Eve")
        s.contacts.link_identity(eve, who.channel, who.external_id, who.chat_ref)
        assert eve.id is not None
        s.contacts.choose_language(eve.id, "ja")

    def download(who: Who, pending: tuple[PendingFile, ...]) -> Fetched:
        return [service.files.put_bytes(b"error 42\n", p.name) for p in pending], []

    Chat(service, fetch_files=download).handle(who, FromMessage("", files=FILES[:1]))
    with unit_of_work(service.engine) as s:
        found = s.conversations.load_for_identity(who.channel, who.external_id)
        assert found is not None
        assert found[1] is not None
        kept = str([found[1].stack, found[1].draft])  # the request, under a first profile
    assert "メッセージのファイル: agent.log" in kept
