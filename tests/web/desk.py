"""The console in-process for the desk's tests: `web.app.build_web_app` on a real service (its
SQLite or PostgreSQL database, its blob store) behind Starlette's TestClient, operators made
with `bot.operators.add_operator`, cases made by the store as intake makes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select
from starlette.testclient import TestClient

from bot.app import build_engine, build_service
from bot.operators import add_operator
from bot.service import Service
from bot.settings import Settings
from store.tables import ChatNotice, OutboxMail
from store.uow import unit_of_work
from web.app import build_web_app

PASSWORD = "correct horse battery staple"
ANN = "ann@support.example"
BOB = "bob@support.example"


def csrf_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    assert marker in html, html[:2000]
    return html.split(marker, 1)[1].split('"', 1)[0]


def version_of(html: str) -> str:
    marker = 'name="version" value="'
    assert marker in html, html[:2000]
    return html.split(marker, 1)[1].split('"', 1)[0]


class Desk:
    """One casebot home (or PostgreSQL database), its console, and clients per operator."""

    def __init__(self, home: Path, db_url: str | None = None) -> None:
        settings = Settings(home=home, database_url=db_url)
        self.service: Service = build_service(settings, build_engine(settings, migrate=True))
        self.app = build_web_app(settings, self.service)
        with unit_of_work(self.service.engine) as s:
            for email in (ANN, BOB):
                add_operator(s, email, PASSWORD, actor="cli:test")

    def client(self, email: str = ANN) -> TestClient:
        """A browser of `email`, signed in."""
        c = TestClient(self.app, base_url="http://testserver", follow_redirects=False)
        token = csrf_of(c.get("/signin").text)
        r = c.post("/signin", data={"csrf_token": token, "email": email, "password": PASSWORD,
                                    "next": "/"})
        assert r.status_code == 303, r.text
        return c

    def case(self, subject: str = "VPN client drops", *, email: str = "tg@acme.example",
             key: str | None = None, **details: Any) -> str:
        """A Telegram case of `email` (so replies queue a chat notice and a mail)."""
        with unit_of_work(self.service.engine) as s:
            contact = s.contacts.ensure(email)
            s.contacts.link_identity(contact, "telegram", "4242")
            case, _ = s.cases.create(contact, key or f"k-{subject}", "telegram", {
                "subject": subject, "severity": "High", "cc_emails": [], **details})
            assert case.number is not None
            return case.number

    def sent(self) -> tuple[list[ChatNotice], list[OutboxMail]]:
        """The chat notices and the mails (no confirmations) queued so far."""
        with unit_of_work(self.service.engine, read_only=True) as s:
            notices = list(s.session.exec(select(ChatNotice)))
            mails = [m for m in s.session.exec(select(OutboxMail))
                     if m.kind != "confirmation"]
        return notices, mails

    def json(self, number: str) -> dict[str, Any]:
        with unit_of_work(self.service.engine, read_only=True) as s:
            case = s.cases.by_number(number)
            assert case is not None
            return s.cases.as_json(case, internal=True)

    def close(self) -> None:
        self.service.engine.dispose()
