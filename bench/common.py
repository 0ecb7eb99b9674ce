"""What the benchmarks share: the answers that bring a fresh contact to a measured step, and
a scratch PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from bot.protocol import Who
from bot.service import Service
from flows.model import Inbound

CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"
# start a request: no profile yet, so the profile form opens; fill it and save: back at the
# request, whose one profile and its one OS are filled in
PROFILE_ANSWERS = ["HQ Apex One", "Apex One", "2019", "1", "done", CODE, "done", "1"]
# ... then the issue (Product Issues): the subject question is next
TO_SUBJECT = [*PROFILE_ANSWERS, "1"]


def prepare(service: Service, who: Who, answers: list[str] = TO_SUBJECT) -> None:
    """Open the contact's request and give `answers`, one event each, as a user would."""
    service.handle(who, Inbound(kind="command", command="where"), auto_start=True)
    for answer in answers:
        service.handle(who, Inbound.from_text(answer))


@contextmanager
def scratch_database(server: str, prefix: str = "casebot_bench") -> Iterator[str]:
    """The URL of a new database on the PostgreSQL at `server`, dropped afterwards (its
    sessions ended first)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
