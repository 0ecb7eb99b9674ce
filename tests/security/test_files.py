"""Finding 4 (the parts that are not the chat adapters'): nothing ever deleted a stored file,
and one contact could store any number of bytes."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from bot.app import build_service
from bot.maintenance import prune_files
from bot.protocol import Who
from bot.settings import Settings
from flows.model import Inbound
from store.tables import saved_id
from store.uow import unit_of_work


def test_files_no_draft_or_case_refers_to_are_pruned(tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path / "h"))
    on_case = service.files.put_bytes(b"case file", "a.log")
    in_draft = service.files.put_bytes(b"draft file", "b.log")
    orphan = service.files.put_bytes(b"sent, then the draft was cancelled", "c.log")
    with unit_of_work(service.engine) as s:
        contact = s.contacts.ensure("ann@acme.example")
        s.cases.create(contact, "k1", "console", {
            "subject": "s", "attachments": [{"name": "a.log", "size": 9,
                                             "sha256": on_case.sha256}]})
        s.conversations.insert(saved_id(contact), "intake", "attachments", {
            "attachments": [{"name": "b.log", "sha256": in_draft.sha256}]}, [], "console")
        s.commit()
    old = time.time() - 3 * 24 * 3600
    for ref in (on_case, in_draft, orphan):
        os.utime(ref.path, (old, old))
    assert prune_files(service.engine, service.files, timedelta(hours=24)) == 1
    assert not os.path.exists(orphan.path)
    assert os.path.exists(on_case.path)
    assert os.path.exists(in_draft.path)
    fresh = service.files.put_bytes(b"being attached right now", "d.log")
    assert prune_files(service.engine, service.files, timedelta(hours=24)) == 0
    assert os.path.exists(fresh.path)  # younger than the retention


def test_a_contact_cannot_store_more_than_the_quota(tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path / "h"))
    service.file_quota_bytes = 1000
    who = Who("console", "ann@acme.example", email="ann@acme.example")
    first = service.files.put_bytes(b"x" * 800, "one.log")
    second = service.files.put_bytes(b"y" * 300, "two.log")
    said = service.handle(who, Inbound(kind="file", file=first))
    assert not any("most one person may store" in p.text for p in said)
    again = service.handle(who, Inbound(kind="file", file=first))  # the same file is free
    assert not any("most one person may store" in p.text for p in again)
    refused = service.handle(who, Inbound(kind="file", file=second))
    assert "most one person may store in a day" in refused[0].text
    other = Who("console", "bob@acme.example", email="bob@acme.example")
    assert not any("most one person" in p.text
                   for p in service.handle(other, Inbound(kind="file", file=second)))


def test_files_in_the_database_are_pruned_by_reference_too(pg_url: str, tmp_path: Path) -> None:
    """On PostgreSQL the files live in the database (store/blobs): the same rule, by the age
    the row was last stored at; `casebot db prune` and the hourly prune take the same path."""
    import sqlalchemy as sa

    from bot.app import build_engine
    from bot.maintenance import prune_all

    settings = Settings(home=tmp_path / "h", database_url=pg_url)
    service = build_service(settings, build_engine(settings, migrate=True))
    assert service.files.kind == "database"
    on_case = service.files.put_bytes(b"case file", "a.log")
    orphan = service.files.put_bytes(b"sent, then the draft was cancelled", "c.log")
    with unit_of_work(service.engine) as s:
        contact = s.contacts.ensure("ann@acme.example")
        s.cases.create(contact, "k1", "console", {
            "subject": "s", "attachments": [{"name": "a.log", "size": 9,
                                             "sha256": on_case.sha256}]})
    fresh = service.files.put_bytes(b"being attached right now", "d.log")
    with service.engine.begin() as conn:
        conn.execute(sa.text("UPDATE blobs SET created_at = now() - interval '10 days' "
                             "WHERE sha256 <> :fresh"), {"fresh": fresh.sha256})
    assert prune_all(service.engine, settings)["files"] == 1
    assert not service.files.exists(orphan.sha256)
    assert service.files.exists(on_case.sha256)
    assert service.files.exists(fresh.sha256)
    assert not (tmp_path / "h" / "attachments").exists()
    service.engine.dispose()
