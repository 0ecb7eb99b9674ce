"""The account's default language in the store and the rules that read it (issue 27), on
SQLite and PostgreSQL: migration 0020, the identity load that carries it (no extra query per
event), the language of words queued for a case (notices, update mails) and where it comes
from, mails to an address, and sample verdicts told later."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.accounts import add_account, set_default_language
from bot.app import build_service
from bot.replies import spoken
from bot.sample_jobs import run_check
from bot.settings import Settings
from bot.verification import mail_language
from flows.errors import Invalid
from store.db import alembic_config, make_engine, upgrade
from store.tables import ChatNotice
from store.uow import unit_of_work


def _contact(engine: Engine, email: str, *, chosen: str | None = None,
             identity: tuple[str, str, str | None] | None = None) -> str:
    """A contact with a case on Telegram (a number back); `identity`: (channel, id, locale)."""
    with unit_of_work(engine) as s:
        contact = s.contacts.ensure(email)
        contact.language = chosen
        if identity is not None:
            s.contacts.link_identity(contact, identity[0], identity[1], locale=identity[2])
        case, _ = s.cases.create(contact, f"k-{email}", "telegram", {
            "subject": "VPN client drops", "severity": "High", "cc_emails": []})
        assert case.number is not None
        return case.number


def _spoken(engine: Engine, number: str, default: str = "en") -> tuple[str, str]:
    with unit_of_work(engine, read_only=True) as s:
        case = s.cases.by_number(number)
        assert case is not None
        return spoken(s, case, default)


def test_the_account_language_comes_with_the_identity_load(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        add_account(s, "Acme", "acme.example", actor="test", language="ja")
        s.contacts.link_identity(s.contacts.ensure("kenji@acme.example"), "telegram", "71")
        s.contacts.link_identity(s.contacts.ensure("sam@solo.example"), "telegram", "72")
    with unit_of_work(engine, read_only=True) as s:
        kenji = s.conversations.load_for_identity("telegram", "71")
        solo = s.conversations.load_for_identity("telegram", "72")
    assert kenji is not None
    assert solo is not None
    assert (kenji[0].language, kenji[0].account_language) == (None, "ja")
    assert solo[0].account_language is None  # a personal account has none
    with unit_of_work(engine) as s:
        assert set_default_language(s, "Acme", "none", actor="test") is None
    with unit_of_work(engine, read_only=True) as s:
        again = s.conversations.load_for_identity("telegram", "71")
    assert again is not None
    assert again[0].account_language is None


def test_words_queued_for_a_case_follow_the_order(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        add_account(s, "Acme", "acme.example", actor="test", language="ja")
    mail_only = _contact(engine, "mo@acme.example")  # no chat identity: mail only
    assert _spoken(engine, mail_only) == ("ja", "account")
    assert _spoken(engine, mail_only, default="en") == ("ja", "account")
    chosen = _contact(engine, "own@acme.example", chosen="en",
                      identity=("telegram", "81", "ja"))
    assert _spoken(engine, chosen) == ("en", "chosen")
    platform = _contact(engine, "tg@acme.example", identity=("telegram", "82", "en-US"))
    assert _spoken(engine, platform) == ("en", "telegram")
    unspoken = _contact(engine, "de@acme.example", identity=("telegram", "83", "de"))
    assert _spoken(engine, unspoken) == ("ja", "account")
    personal = _contact(engine, "sam@solo.example")
    assert _spoken(engine, personal, default="ja") == ("ja", "default")
    assert _spoken(engine, personal) == ("en", "default")


def test_mails_to_an_address_speak_its_accounts_language(engine: Engine,
                                                         tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path), engine)
    with unit_of_work(engine) as s:
        add_account(s, "Acme", "acme.example", actor="test", language="ja")
        s.contacts.ensure("own@acme.example").language = "en"
    with unit_of_work(engine, read_only=True) as s:
        assert mail_language(s, service, "new@acme.example", None) == "ja"  # not a contact yet
        assert mail_language(s, service, "new@acme.example", "en-GB") == "en"  # the chat's
        assert mail_language(s, service, "own@acme.example", "ja") == "en"  # their own
        assert mail_language(s, service, "x@eu.acme.example", None) == "en"  # not its domain


def test_a_sample_verdict_told_later_speaks_the_accounts_language(engine: Engine,
                                                                    tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path), engine)
    with unit_of_work(engine) as s:
        add_account(s, "Acme", "acme.example", actor="test", language="ja")
        s.contacts.link_identity(s.contacts.ensure("kenji@acme.example"), "telegram", "91")
        s.contacts.link_identity(s.contacts.ensure("ann@acme.example"), "telegram", "92",
                                 locale="en")
        check_id = s.sample_checks.ask(("0" * 64, "", ""), "gone.zip", None)
        assert check_id is not None
        s.sample_checks.add_waiter(check_id, "telegram", "91", "91", "gone.zip")
        s.sample_checks.add_waiter(check_id, "telegram", "92", "92", "gone.zip")
    assert run_check(engine, service.files, check_id, 5.0)  # the bytes are gone: "send again"
    with unit_of_work(engine, read_only=True) as s:
        told = {n.external_id: n.text for n in s.session.exec(select(ChatNotice)).all()}
    assert told["91"].startswith("gone.zip "), told
    assert "Please send it again" not in told["91"]  # Japanese, the account's
    assert "Please send it again" in told["92"]  # English, Telegram's


def test_an_unknown_code_is_refused_naming_the_languages(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        add_account(s, "Acme", "acme.example", actor="test")
        with pytest.raises(Invalid, match=r"Use one of: en \(English\), ja \(日本語\), or none"):
            set_default_language(s, "Acme", "en_XA", actor="test")
        assert set_default_language(s, "Acme", "ja-JP", actor="test") == "ja"


def test_the_migration_adds_the_column_and_takes_it_away(db_url: str) -> None:
    engine = make_engine(db_url)
    cfg = alembic_config(db_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0019")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO accounts (id, name, domain, created_at) "
                             "VALUES (1, 'Initech', 'initech.example', CURRENT_TIMESTAMP)")
    upgrade(engine)
    with unit_of_work(engine) as s:
        acct = s.accounts.get(1)
        assert acct is not None
        assert acct.language is None  # existing accounts: the deployment's default
        set_default_language(s, acct, "ja", actor="test")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0019")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("accounts")}
    assert "language" not in columns
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name FROM accounts").scalar_one() == "Initech"
    upgrade(engine)
    engine.dispose()
