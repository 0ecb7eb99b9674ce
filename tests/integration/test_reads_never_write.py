"""A read never writes (issue 21): `Chat.view`, the Telegram keyboard drawn again after a
restart and Slack's App Home issue no INSERT, UPDATE or DELETE, take no write lock (SQLite's
`BEGIN IMMEDIATE`) and no row lock (`FOR UPDATE`/`FOR SHARE`).

Every statement is seen where the database driver sends it, below SQLAlchemy (so statements
run on the DB-API cursor are seen too): SQLite's `set_trace_callback`, libpq's protocol trace
on PostgreSQL; both set on each new connection through SQLAlchemy's `connect` event.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa
from slack_sdk import WebClient

from adapters.slack.dispatch import Dispatch
from adapters.telegram.chats import Chats
from bot.app import build_service
from bot.chat import Chat
from bot.protocol import Inbound, Who
from bot.settings import Settings
from store.db import make_engine, upgrade
from store.uow import unit_of_work

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT|MERGE|TRUNCATE|CREATE|DROP|ALTER"
                    r"|BEGIN\s+(IMMEDIATE|EXCLUSIVE)|LOCK)\b"
                    r"|\bFOR\s+(NO\s+KEY\s+)?(UPDATE|SHARE)\b", re.IGNORECASE)
MESSAGE = re.compile(r"\n(?=\S+ \S+\t[FB]\t)")  # libpq trace: timestamp, direction, ...
SENT = re.compile(r'\S+ \S+\tF\t\d+\t(?:Query\t "|Parse\t "[^"]*" ")')
TELEGRAM = Who("telegram", "4242", chat_ref="4242")
SLACK = Who("slack", "T1:U1", chat_ref="D1")


class Statements:
    """Every statement the driver sends, from the moment `start` is called."""

    def __init__(self, engine: sa.Engine, trace_dir: Path) -> None:
        self.engine = engine
        self.trace_dir = trace_dir
        self.sqlite: list[str] = []
        self.traces: list[Path] = []
        self.pgconns: list[Any] = []
        self.on = False

    def start(self) -> None:
        self.engine.dispose()  # every connection from now on is a new, traced one
        sa.event.listen(self.engine, "connect", self._trace)
        self.on = True

    def _trace(self, dbapi_conn: Any, _record: object) -> None:
        if self.engine.dialect.name == "sqlite":
            dbapi_conn.set_trace_callback(self.sqlite.append)
            return
        path = self.trace_dir / f"libpq-{len(self.traces)}.trace"
        self.traces.append(path)
        pgconn = dbapi_conn.pgconn
        # libpq writes through its own stream on this descriptor (closed with the process)
        pgconn.trace(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        self.pgconns.append(pgconn)

    def all(self) -> list[str]:
        if self.engine.dialect.name == "sqlite":
            return list(self.sqlite)
        for pgconn in self.pgconns:
            pgconn.untrace()  # flushes what libpq wrote
        self.pgconns.clear()
        sent = []
        for path in self.traces:  # one message a record; a statement may span lines
            for record in MESSAGE.split(path.read_text(errors="replace")):
                found = SENT.match(record)  # F(rontend): Query "..." or Parse "name" "..."
                if found:
                    rest = record[found.end():]
                    sent.append(rest[:rest.rfind('"')])
        return sent

    def writes(self) -> list[str]:
        return [s for s in self.all() if WRITES.search(s)]


@pytest.fixture
def chat(db_url: str, tmp_path: Path) -> Iterator[Chat]:
    settings = Settings(home=tmp_path / "home", database_url=db_url)
    engine = make_engine(db_url)
    upgrade(engine)
    service = build_service(settings, engine)
    with unit_of_work(service.engine) as uow:
        contact = uow.contacts.ensure("ann@acme.example")
        uow.contacts.link_identity(contact, "telegram", TELEGRAM.external_id, TELEGRAM.chat_ref)
        uow.contacts.link_identity(contact, "slack", SLACK.external_id, SLACK.chat_ref)
    chat = Chat(service)
    chat.handle(TELEGRAM, Inbound(kind="command", command="newcase"))
    reply = chat.handle(TELEGRAM, Inbound(kind="text", text="The console hangs at login"))
    assert reply.question is not None  # a request is open, a question asked
    yield chat
    service.engine.dispose()


@pytest.fixture
def statements(chat: Chat, tmp_path: Path) -> Statements:
    recorder = Statements(chat.service.engine, tmp_path)
    recorder.start()
    return recorder


def test_the_view_reads_where_the_person_is_without_writing(chat: Chat,
                                                            statements: Statements) -> None:
    view = chat.view(TELEGRAM, cases=True)
    assert view.linked
    assert view.question is not None
    assert view.has_answers
    assert view.open_cases == []
    assert view.checked_urls == []
    assert chat.view(Who("telegram", "no-such-person")).linked is False
    sent = statements.all()
    assert any("SELECT" in s.upper() for s in sent), sent  # the trace sees the reads
    assert statements.writes() == []


def test_the_trace_sees_a_write(chat: Chat, statements: Statements) -> None:
    """The check can fail: a step that saves an answer is seen writing."""
    chat.handle(TELEGRAM, Inbound(kind="command", command="back"))
    assert statements.writes() != []


class FakeBot:
    """The Bot API at its boundary: what was sent, nothing more."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, Any]] = []

    async def send_message(self, chat_id: int, text: str, reply_markup: Any = None) -> None:
        self.sent.append((chat_id, text, reply_markup))


def test_the_telegram_keyboard_drawn_again_after_a_restart_writes_nothing(
        chat: Chat, statements: Statements) -> None:
    chats = Chats(chat, workers=1)  # a fresh process: no keyboard cached for the chat
    bot = FakeBot()
    try:
        asyncio.run(chats.say(bot, 4242, TELEGRAM, "That file is too big."))
    finally:
        chats.close()
    (_, text, markup), = bot.sent
    assert text == "That file is too big."
    assert type(markup).__name__ == "ReplyKeyboardMarkup"
    assert statements.writes() == []


class FakeSlackClient:
    """The Web API at its boundary: views.publish recorded."""

    token = "xoxb-test"

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def views_publish(self, user_id: str, view: dict[str, Any]) -> None:
        self.published.append(view)

    def users_info(self, user: str, include_locale: bool = False) -> dict[str, Any]:
        """The person's Slack language (issue 27: App Home is in it)."""
        return {"user": {"id": user, "locale": "en-US"}}


def test_slack_app_home_writes_nothing(chat: Chat, statements: Statements) -> None:
    client = FakeSlackClient()
    dispatch = Dispatch(chat, lambda team: None, "https://slack.com/api/")
    dispatch.publish_home(cast("WebClient", client), "T1", "U1")
    (view,) = client.published
    assert "You have no open cases." in str(view)
    assert statements.writes() == []


def write_transactions(sent: list[str]) -> int:
    """Transactions that wrote: runs of statements up to a COMMIT or ROLLBACK with a write."""
    count, wrote = 0, False
    for statement in sent:
        wrote = wrote or bool(WRITES.search(statement))
        if re.match(r"^\s*(COMMIT|ROLLBACK)\b", statement, re.IGNORECASE):
            count += wrote
            wrote = False
    return count + wrote


def test_a_stranger_s_first_message_is_one_write(chat: Chat, statements: Statements) -> None:
    """A person not linked yet: reads, then one transaction (the delivery id and what they
    asked first), before the answer asking for their email (it cost three before)."""
    stranger = Who("telegram", "777", chat_ref="777")
    reply = chat.handle(stranger, Inbound(kind="text", text="hi"), delivery_id="tg:1")
    assert "work email" in reply.prompts[-1].text
    assert write_transactions(statements.all()) == 1
