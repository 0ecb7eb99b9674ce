"""`Service.handle(who, inbound) -> prompts`: the one entry point every chat adapter calls.

One event is one unit of work: load the contact's conversation, run one step of the flow it is
in, apply what the step asked for (open a sub-flow, save a profile, submit a case), save, and
commit. If another event on the same conversation committed first, the whole unit is retried
from fresh data; if the database is unreachable, nothing is half-saved and the user is asked to
try again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot import accounts, dispatch, i18n, languages
from bot.alerts import NOBODY, Staff
from bot.event import Event, platform_locale, system_clock
from bot.protocol import OpenCase, View, Who
from bot.replies import FOLLOWUP_DAYS, unthreaded
from bot.samples import SampleChecker, SampleChecks
from flows.answers import sample_suffixes
from flows.context import Clock, untested
from flows.errors import Invalid
from flows.i18n import _
from flows.model import Inbound, Prompt, info
from store.blobs import Blobs
from store.repositories.contacts import ContactInfo
from store.repositories.conversations import ConvRow, StaleConversation
from store.tables import DONE_STATUSES
from store.uow import UnitOfWork, unit_of_work
from store.world import RateFn

log = logging.getLogger(__name__)

RETRIES = 8
# How long a busy/locked store may be retried (plus one busy timeout) before the user is
# asked to try again, so a long lock never leaves a chat waiting for minutes.
BUSY_BUDGET = 2.0

STORE_DOWN = _("casebot can't reach its database right now, so your last answer was not "
               "saved. Please send it again in a minute.")
OPEN_CASES = 20  # at most this many on App Home (Slack caps a view at 100 blocks)


class NotLinked(Exception):
    """The chat identity is not linked to a contact yet (the adapter runs verification)."""


class Service:
    def __init__(self, engine: Engine, files: Blobs, *, rate: RateFn = untested,
                 max_attachment_bytes: int = 250 * 1024 * 1024,
                 mail_from: str = "casebot@localhost", unknown_domains: str = "own",
                 cc_outside_domains: bool = False, max_cases_per_hour: int = 10,
                 samples: SampleChecker | None = None,
                 file_quota_bytes: int = 2048 * 1024 * 1024,
                 files_budget_bytes: int = 20480 * 1024 * 1024,
                 reopen_days: int = 7, clock: Clock = system_clock,
                 staff: Staff = NOBODY, followup_days: int = FOLLOWUP_DAYS,
                 default_language: str = i18n.ENGLISH) -> None:
        self.engine = engine
        self.default_language = default_language  # CASEBOT_DEFAULT_LANGUAGE (bot/i18n.py)
        self.staff = staff  # where staff alerts go (bot/alerts.py)
        self.clock = clock  # the flows' time now (flows/context.Ctx.clock)
        self.file_quota_bytes = file_quota_bytes  # CASEBOT_FILE_QUOTA_MB (bot/quota.py)
        self.files_budget_bytes = files_budget_bytes  # CASEBOT_FILES_BUDGET_MB (bot/quota.py)
        # sample zips: a pool and verdict cache here, or jobs on PostgreSQL (bot/sample_jobs.py)
        self.samples: SampleChecker = samples or SampleChecks(blobs=files)
        self.files = files
        self.rate = rate
        self.max_attachment_bytes = max_attachment_bytes
        self.mail_from = mail_from
        self.unknown_domains = unknown_domains  # CASEBOT_UNKNOWN_DOMAINS (bot/accounts.py)
        self.cc_outside_domains = cc_outside_domains  # CASEBOT_CC_OUTSIDE_DOMAINS (flows/cc.py)
        self.max_cases_per_hour = max_cases_per_hour  # CASEBOT_MAX_CASES_PER_HOUR
        self.reopen_days = reopen_days  # CASEBOT_REOPEN_DAYS (bot/replies.py)
        self.followup_days = followup_days  # CASEBOT_FOLLOWUP_DAYS (bot/replies.py)

    # -- the entry point ----------------------------------------------------------------------

    def handle(self, who: Who, inbound: Inbound, *, delivery_id: str | None = None,
               auto_start: bool = False) -> list[Prompt]:
        """Run one event as one unit of work (reads go through `view`, which writes nothing)."""
        give_up = time.monotonic() + BUSY_BUDGET
        for attempt in range(RETRIES):
            try:
                with unit_of_work(self.engine) as unit:
                    # who it is first: a person not linked yet costs this one read, no write
                    contact, conv = self._contact(unit, who)
                    if delivery_id and not unit.deliveries.first(delivery_id):
                        return []
                    event = Event(self, unit, contact, conv, who, auto_start)
                    prompts = dispatch.run(event, inbound)
                    language = event.speaks()
                    if prompts:
                        prompts = [*languages.offer(event, inbound, language), *prompts]
                return i18n.prompts_in(prompts, language)
            except StaleConversation:
                continue
            except accounts.UnknownDomain as exc:
                return i18n.prompts_in([info(exc.args[0])], self.language(None, who))
            except sa.exc.IntegrityError:
                # a concurrent event inserted first (delivery id, conversation, case key)
                continue
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
                if _is_busy(exc) and time.monotonic() < give_up:
                    time.sleep(min(0.05 * 2 ** attempt, 0.5, max(give_up - time.monotonic(), 0)))
                    continue
                log.warning("store unavailable: %s", type(exc).__name__)
                return i18n.prompts_in([info(STORE_DOWN, retry=True)], self.language(None, who))
        return i18n.prompts_in([info(STORE_DOWN, retry=True)], self.language(None, who))

    def language(self, own: str | None, who: Who, stored: str | None = None,
                 account: str | None = None) -> str:
        """The language a person gets (bot/i18n.py, `choose`): their own choice, their
        platform's, their account's default, this deployment's default, English. The
        platform is asked only when they chose none."""
        if i18n.normal(own) is not None:
            return i18n.choose(own, None, None, None)
        return i18n.choose(None, platform_locale(who, stored), account, self.default_language)

    def language_of(self, who: Who) -> str:
        """`language` for a person, read with their identity and account (one read, nothing
        written); the platform's when the store cannot be read (what is said then is "send it
        again")."""
        try:
            with unit_of_work(self.engine, read_only=True) as unit:
                found = unit.conversations.load_for_identity(who.channel, who.external_id)
        except sa.exc.SQLAlchemyError:
            found = None
        if found is None:
            return self.language(None, who)
        return self.speaks(found[0], who)

    def speaks(self, contact: ContactInfo, who: Who) -> str:
        """`language` for a loaded contact: everything it needs came with the load."""
        return self.language(contact.language, who, contact.platform_locale,
                             contact.account_language)

    def view(self, who: Who, *, cases: bool = False, waiting: bool = False) -> View:
        """Where the person is, in one transaction that only reads: the question is rendered
        from the loaded conversation, as the step that asked it did, and nothing is saved.
        `waiting`: whether a message of theirs that replies to nothing would go to a case
        (bot/replies.py `unthreaded`; asked only where files arrive)."""
        with unit_of_work(self.engine, read_only=True) as unit:
            found = unit.conversations.load_for_identity(who.channel, who.external_id)
            if found is None:
                return View(language=self.language(None, who))
            contact, conv = found
            assert contact.id is not None
            question = None
            language = self.speaks(contact, who)
            if conv is not None:
                event = Event(self, unit, contact, conv, who, auto_start=False)
                question = i18n.prompt_in(event.current_prompt().for_draft(conv.draft_id),
                                          language)
            open_cases = [OpenCase(c.number or "", c.subject, c.status, c.updated_at)
                          for c in unit.cases.open_of(contact.id, DONE_STATUSES,
                                                      OPEN_CASES)] if cases else None
            where = unthreaded(unit, contact.id, days=self.followup_days) \
                if waiting and conv is None else None
            waits = where is not None and (where.case is not None or bool(where.ask))
            return View(linked=True, question=question, waiting=waits,
                        has_answers=conv is not None and conv.answered,
                        checked_urls=unit.url_checks.last(contact.id),
                        open_cases=open_cases, language=language)

    def _contact(self, unit: UnitOfWork, who: Who) -> tuple[ContactInfo, ConvRow | None]:
        found = unit.conversations.load_for_identity(who.channel, who.external_id)
        if found is not None:
            return found
        if who.email is None:
            raise NotLinked(who)
        contact = accounts.join(unit, who.email, who.name, policy=self.unknown_domains)
        unit.contacts.link_identity(contact, who.channel, who.external_id, who.chat_ref,
                                    locale=who.locale)
        acct = unit.accounts.get(contact.account_id)  # once, at linking
        info_ = ContactInfo.of(contact, acct.language if acct is not None else None)
        return info_, unit.conversations.load(info_.id)

    def store_file(self, path: str, name: str | None = None) -> Any:
        return self.files.put_path(path, name)

    def zip_ok(self, password: str | None,
               category: str | None) -> Callable[[dict[str, Any]], bool]:
        """For rules.violations: does a stored attachment pass the sample check?"""

        def check(att: dict[str, Any]) -> bool:
            try:
                self.samples.check(att["sha256"], att.get("path", ""), att.get("name", ""),
                                   password, sample_suffixes(category))
            except (Invalid, OSError, KeyError):
                return False
            return True

        return check


def _is_busy(exc: Exception) -> bool:
    """A lock conflict worth retrying: SQLite busy, PostgreSQL deadlock or serialization."""
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40001", "40P01"):
        return True
    return "database is locked" in str(exc) or "database is busy" in str(exc)
