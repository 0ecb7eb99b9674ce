"""One event's work in hand: the contact, their conversation, the flow context, the store.

An `Event` lives for one event. It holds what the commands (bot/commands.py) and the effects
(bot/effects.py) share and the few things every one of them does: show where the
conversation is, end it, save it. bot/dispatch.py decides what the event is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot import i18n
from bot.alerts import Staff
from bot.samples import SampleChecker, verdict_text
from flows.context import Clock, Ctx
from flows.flow import Flow
from flows.i18n import Msg
from flows.intake import INTAKE
from flows.model import Prompt
from flows.myprofile import MYPROFILE
from flows.profile import MENU, PROFILE
from store.blobs import Blobs
from store.repositories.contacts import ContactInfo
from store.repositories.conversations import ConvRow
from store.uow import UnitOfWork, unit_of_work
from store.world import RateFn, StoreWorld

log = logging.getLogger(__name__)

FLOWS: dict[str, Flow] = {"intake": INTAKE, "profile": PROFILE, "profiles": MENU,
                          "myprofile": MYPROFILE}


class Runner(Protocol):
    """What an event needs of the service that runs it (bot/service.Service)."""

    engine: Engine
    samples: SampleChecker
    rate: RateFn
    max_attachment_bytes: int
    mail_from: str
    cc_outside_domains: bool
    max_cases_per_hour: int
    file_quota_bytes: int
    reopen_days: int
    followup_days: int  # CASEBOT_FOLLOWUP_DAYS (bot/replies.py `unthreaded`)
    staff: Staff  # where staff alerts go (bot/alerts.py)
    files: Blobs
    clock: Clock
    default_language: str  # CASEBOT_DEFAULT_LANGUAGE (bot/i18n.py)

    def zip_ok(self, password: str | None,
               category: str | None) -> Callable[[dict[str, Any]], bool]: ...


class Who(Protocol):
    """The person behind the event (bot/service.Who)."""

    @property
    def channel(self) -> str: ...

    @property
    def external_id(self) -> str: ...

    @property
    def chat_ref(self) -> str | None: ...

    @property
    def locale(self) -> str | None: ...

    @property
    def ask_locale(self) -> Callable[[], str | None] | None: ...


def platform_locale(who: Who, stored: str | None) -> str | None:
    """The platform's language for the person: given with the event (Telegram's
    language_code), kept with their identity (Slack's, read at linking and refreshed by
    user_change), or asked of the platform (Slack's users.info) when neither is known."""
    if who.locale:
        return who.locale
    if stored:
        return stored
    return who.ask_locale() if who.ask_locale is not None else None


def system_clock() -> datetime:
    """The wall clock, for the service (flows ask `Ctx.clock`, never the wall clock)."""
    return datetime.now(UTC)


class Event:
    """The work of one event; lives for that event only."""

    def __init__(self, svc: Runner, unit: UnitOfWork, contact: ContactInfo,
                 conv: ConvRow | None, who: Who, auto_start: bool) -> None:
        self.svc = svc
        self.unit = unit
        self.contact = contact
        self.who = who
        self.auto_start = auto_start
        self.world = StoreWorld(unit, contact, svc.rate,
                                cc_outside_allowed=svc.cc_outside_domains,
                                sample_check=self.check_sample)
        self.ctx = Ctx(world=self.world, clock=svc.clock, contact_email=contact.email,
                       max_attachment_bytes=svc.max_attachment_bytes)
        self.conv = conv
        self._platform: tuple[str, str | None] | None = None  # (platform locale, stored)
        self.language = contact.language

    @property
    def language(self) -> str | None:
        """The contact's own language (/language may change it during the event)."""
        return self._own

    @language.setter
    def language(self, code: str | None) -> None:
        """The flows get it as plain data (`Ctx.language`): what is known without asking the
        platform (their choice, the locale sent or kept, the account's and this casebot's
        default), so no flow step costs
        a platform call; `speaks` is the full rule for what is said."""
        self._own = code
        self.ctx.language = i18n.choose(code, self.who.locale or self.contact.platform_locale,
                                        self.contact.account_language,
                                        self.svc.default_language)

    def speaks(self) -> str:
        """The language the person gets (bot/i18n.py, `choose`; their account's default came
        with the contact's load, so it costs no query). The platform is asked only
        when they chose none and their identity keeps no locale. What the platform says (asked,
        or sent with the event: Telegram's language_code) is kept with the identity when it is
        new, so a notice or mail queued later speaks it too (bot/replies.py `language_of`)."""
        own = i18n.normal(self.language)
        if own is not None:
            return own
        if self._platform is None:
            stored = self.contact.platform_locale
            self._platform = (platform_locale(self.who, stored) or "", stored)
            found = self._platform[0]
            if found and found != stored:
                self.unit.contacts.set_locale(self.who.channel, self.who.external_id, found)
        return i18n.choose(None, self._platform[0] or None, self.contact.account_language,
                           self.svc.default_language)

    def written(self, text: Msg) -> str:
        """Text casebot writes on the person's behalf (a request's description when they sent
        files without words): in their language, and plain text from then on, as if typed."""
        return i18n.say(text, self.speaks())

    def check_sample(self, sha256: str, path: str, name: str, password: str | None,
                     suffixes: tuple[str, ...] | None) -> None:
        """The service's pool and cache; a check longer than a chat should wait goes on and
        its verdict reaches this chat later as a notice (bot/samples.py)."""
        svc, who, language = self.svc, self.who, self.speaks()

        def tell(verdict: str | None) -> None:
            text = i18n.say(verdict_text(name, verdict), language)  # stored as text
            try:
                with unit_of_work(svc.engine) as s:
                    s.notices.add(who.channel, who.external_id,
                                     who.chat_ref, text)
            except sa.exc.SQLAlchemyError as exc:  # the verdict stays cached; "done" asks again
                log.warning("could not queue a sample verdict: %s", type(exc).__name__)

        svc.samples.check(sha256, path, name, password, suffixes, wait=svc.samples.answer_wait,
                          on_done=tell, listener=f"{who.channel}:{who.external_id}",
                          waiter=(who.channel, who.external_id, who.chat_ref))

    # -- the conversation ---------------------------------------------------------------------

    def in_request(self) -> bool:
        return self.conv is not None and self.conv.in_request

    def untouched(self) -> bool:
        return self.conv is not None and self.conv.untouched_request

    def current_prompt(self) -> Prompt:
        assert self.conv is not None
        answers, form = self.conv.draft
        return FLOWS[self.conv.flow].current(self.conv.state, answers, form, self.ctx)

    def with_current(self, prompts: list[Prompt]) -> list[Prompt]:
        return [*prompts, self.current_prompt()] if self.conv else prompts

    def end(self) -> None:
        """The conversation is over (submitted, cancelled or closed): remove it now."""
        if self.conv is not None:
            self.unit.conversations.delete(self.conv)
        self.conv = None

    def save(self) -> None:
        if self.conv is not None:
            self.conv.channel = self.who.channel
            self.unit.conversations.update(self.conv)
