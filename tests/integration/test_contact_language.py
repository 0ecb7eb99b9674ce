"""Which language casebot's words queued for a case speak (issue 27): notices and mails are
rendered when an operator's update is queued, in a process that sees no chat event, so the
contact's platform language is the one kept with their identity on the case's channel."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from bot.i18n import PSEUDO
from bot.protocol import Who
from bot.replies import language_of, spoken
from bot.service import Service
from flows.model import Inbound
from store.files import BlobStore
from store.uow import unit_of_work


def _case(engine: Engine, *, chosen: str | None, locale: str | None) -> str:
    with unit_of_work(engine) as s:
        contact = s.contacts.ensure("kenji@acme.example")
        contact.language = chosen
        s.contacts.link_identity(contact, "telegram", "7101", locale=locale)
        s.contacts.link_identity(contact, "slack", "U7", locale="ja")  # another channel's
        case, _ = s.cases.create(contact, "k-1", "telegram", {
            "subject": "VPN client drops", "severity": "High", "cc_emails": []})
        s.commit()
        assert case.number is not None
        return case.number


def _spoken(engine: Engine, number: str, default: str = "en") -> tuple[str, str]:
    with unit_of_work(engine, read_only=True) as s:
        case = s.cases.by_number(number)
        assert case is not None
        assert language_of(s, case, default) == spoken(s, case, default)[0]
        return spoken(s, case, default)


def test_their_own_choice_wins(engine: Engine) -> None:
    assert _spoken(engine, _case(engine, chosen="en", locale="ja")) == ("en", "chosen")


def test_else_the_language_kept_with_their_identity_on_the_cases_channel(
        engine: Engine) -> None:
    number = _case(engine, chosen=None, locale="ja-JP")
    assert _spoken(engine, number) == ("ja", "telegram")
    with unit_of_work(engine) as s:  # Telegram sent a language_code casebot does not speak
        s.contacts.set_locale("telegram", "7101", "tlh")
        s.commit()
    assert _spoken(engine, number, default="ja") == ("ja", "default")


def test_else_the_deployments_default(engine: Engine) -> None:
    number = _case(engine, chosen=None, locale=None)
    assert _spoken(engine, number, default="ja") == ("ja", "default")
    assert _spoken(engine, number) == ("en", "default")  # not the Slack identity's ja


def test_language_answers_in_the_language_just_chosen(engine: Engine, tmp_path: Path) -> None:
    """`/language CODE` is answered in CODE, the pseudo-locale included: wholly ⟦marked⟧,
    and never saying casebot now speaks English."""
    service = Service(engine, BlobStore(tmp_path / "files", 2**20))
    who = Who("telegram", "7102", chat_ref="7102")
    with unit_of_work(engine) as s:
        s.contacts.link_identity(s.contacts.ensure("kenji@acme.example"), who.channel,
                                 who.external_id, who.chat_ref)

    def answer(code: str) -> str:
        said = service.handle(who, Inbound(kind="command", command="language", args=code))
        return said[0].text

    pseudo = answer(PSEUDO)
    assert pseudo.startswith("⟦")
    assert pseudo.endswith("⟧")
    assert PSEUDO in pseudo
    assert "Éñglîsh" not in pseudo
    assert answer("ja").startswith("表示言語を日本語に切り替えました。")
    assert answer("en").startswith("casebot speaks English to you now.")
