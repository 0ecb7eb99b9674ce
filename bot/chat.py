"""The chat API every adapter calls: an event (who, where, what) in, prompts to show out.

Adapters parse the platform event, call `Chat`, render what comes back and send it; they
never open a database session. `Chat` owns what is not about a platform:

- identity: a person not linked to a contact goes through `flows.identity` (mailed code, or
  the email the platform vouches for); once linked they go on with what they first asked for;
- dropping repeated deliveries (the database records each delivery id, linked or not);
- whether a file may be downloaded at all (`takes_files`), before the adapter fetches it;
- operator updates, by claim-and-ack (`claim_notices`, `ack_notice`, `deliver_notices`);
- a request started from an existing message (`describe`), a person's open cases
  (`open_cases`), and URL ratings for anyone (`rate_urls`, which takes no identity).

A message's files are fetched only for a linked contact. For a person not linked yet they are
kept as the platform's references (`PendingFile`) inside the first ask in the database, not
as a download in this process: whichever worker sees the person linked (after a restart too)
fetches them through the adapter's `fetch_files`, and a file it cannot fetch becomes a note.

The conversation itself runs in `bot.service.Service` (one unit of work per event).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy.exc import SQLAlchemyError

from bot import accounts, notices, verification
from bot.notices import Notice, Outcome
from bot.ratings import describe, rating_lines
from bot.service import NotLinked, Service, Who
from flows import identity
from flows.errors import Invalid
from flows.model import FileRef, Inbound, PendingFile, Prompt, info
from flows.urls import parse_url_list
from store.tables import iso
from store.uow import unit_of_work

log = logging.getLogger(__name__)

NO_FILES_HERE = ("I can take files only when a question asks for attachments, and this one "
                 "doesn't.")
CLOSED = ("resolved", "closed")
LINKED = "Thank you: your {platform} account is now linked to {address}."


@dataclass(frozen=True)
class Vouched:
    """What a platform says about a person's email (Slack's users.info)."""

    email: str | None
    confirmed: bool
    team: str = ""
    name: str = ""


Directory = Callable[[], Vouched | None]


Fetched = tuple[list[FileRef], list[str]]
"""A message's files stored, and a note for each one that could not be fetched."""

FetchFiles = Callable[[Who, tuple[PendingFile, ...]], Fetched]
"""The adapter's way to download and store a message's files (by the platform's references)
in whichever process runs it; the chat layer calls it only for a linked contact."""

CANNOT_FETCH = "I couldn't fetch {name}; send it here when the request asks for files."


def none_fetched(pending: Sequence[PendingFile]) -> Fetched:
    """Nothing stored, a note for each file: what a fetch that cannot run at all answers."""
    return [], [CANNOT_FETCH.format(name=f.name) for f in pending]


@dataclass(frozen=True)
class OpenCase:
    """One line of a person's open cases (Slack's App Home)."""

    number: str
    subject: str
    status: str
    updated: str


class Chat:
    """One per chat process; thread-safe (adapters call it from several worker threads)."""

    def __init__(self, service: Service, *, trusted_teams: Iterable[str] = (),
                 start_after_link: bool = False, fetch_files: FetchFiles | None = None) -> None:
        self.service = service
        self.trusted_teams = frozenset(t.strip() for t in trusted_teams if t.strip())
        # Slack opens the request right after linking; Telegram says what it can do.
        self.start_after_link = start_after_link
        # set by the adapter (Telegram: once its application runs, with its bot and loop)
        self.fetch_files = fetch_files

    # -- events ---------------------------------------------------------------------------

    def handle(self, who: Who, inbound: Inbound, *, delivery_id: str | None = None,
               auto_start: bool = False, directory: Directory | None = None) -> list[Prompt]:
        """One event. A repeated delivery id returns []; `directory` is asked only for a
        person not linked yet."""
        try:
            return self.service.handle(who, inbound, delivery_id=delivery_id,
                                       auto_start=auto_start)
        except NotLinked:
            return self._identify(who, inbound, delivery_id, directory)

    def describe(self, who: Who, text: str, *, source: str = "",
                 files: Sequence[PendingFile] = (), downloaded: Fetched | None = None,
                 delivery_id: str | None = None,
                 directory: Directory | None = None) -> list[Prompt]:
        """A request started from an existing message (a Slack message shortcut, Telegram
        forwards): its text describes it, `files` are its files as the platform's references
        (fetched through `fetch_files` only once the person is a linked contact), `source`
        links back to it. `downloaded`: what the adapter already fetched for a person it found
        linked. A person not linked yet is identified first and then goes on with this
        message, on whichever worker they finish linking."""
        ask = Inbound(kind="command", command="newcase", args=text or "", text=text or "",
                      source=source, pending_files=tuple(files))
        try:
            self.service.current(who)
        except NotLinked:
            # this message, its files' references included, is what they go on with once
            # linked; nothing is fetched for them before that
            self._remember(who, ask=ask, replace=True)
            return self._identify(who, ask, delivery_id, directory)
        ask, notes = self._with_files(who, ask, downloaded)
        return [*notes, *self.service.handle(who, ask, delivery_id=delivery_id)]

    def _with_files(self, who: Who, ask: Inbound, downloaded: Fetched | None = None
                    ) -> tuple[Inbound, list[Prompt]]:
        """The ask with its message's files stored (call only for a linked contact), and a
        note for each file that could not be fetched."""
        if downloaded is None and not ask.pending_files:
            return ask, []
        stored, notes = downloaded if downloaded is not None else self._fetch(who, ask)
        text = ask.args or "Files from a message: " + ", ".join(f.name for f in stored)
        return (replace(ask, files=tuple(stored), pending_files=(), args=text, text=text),
                [info(note) for note in notes])

    def _fetch(self, who: Who, ask: Inbound) -> Fetched:
        if self.fetch_files is None:  # an adapter that cannot fetch: say so, never drop quietly
            log.warning("no file fetcher: %d message files not fetched", len(ask.pending_files))
            return none_fetched(ask.pending_files)
        return self.fetch_files(who, ask.pending_files)

    def rate_urls(self, text: str) -> list[list[str]]:
        """Each URL's rating as lines (defanged URL and rating first), for a place anyone may
        ask from (Telegram's inline mode): no identity goes in, so nothing about a case or a
        contact can come out. Text that is not 1-10 URLs gives []."""
        try:
            urls = parse_url_list(text)
        except Invalid:
            return []
        ratings = self.service.rate([u.url for u in urls])
        return [rating_lines(describe(u, r)) for u, r in zip(urls, ratings, strict=True)]

    def linked(self, who: Who) -> bool:
        try:
            self.service.current(who)
        except NotLinked:
            return False
        return True

    def open_cases(self, who: Who, limit: int = 20) -> list[OpenCase] | None:
        """The person's cases that are not closed or resolved, newest first (None: not
        linked). Only their own: looked up by the identity the platform signed for."""
        with unit_of_work(self.service.engine, read_only=True) as s:
            contact = s.contacts.for_identity(who.channel, who.external_id)
            if contact is None:
                return None
            assert contact.id is not None
            return [OpenCase(c.number or "", c.subject, c.status,
                             (iso(c.updated_at) or "")[:16].replace("T", " "))
                    for c in s.cases.open_of(contact.id, CLOSED, limit)]

    def current(self, who: Who) -> Prompt | None:
        """The question the person's conversation is at (None: none, or not linked)."""
        try:
            prompts = self.service.current(who)
        except NotLinked:
            return None
        asked = [p for p in prompts if p.kind not in ("info", "done")]
        return asked[-1] if asked else None

    def has_answers(self, who: Who) -> bool:
        """Does the person's open conversation hold anything they answered (worth saying
        "your draft is saved" for)?"""
        try:
            with unit_of_work(self.service.engine, read_only=True) as s:
                found = s.conversations.load_for_identity(who.channel, who.external_id)
        except SQLAlchemyError:  # the store went away: nothing to promise
            return False
        conv = found[1] if found else None
        return conv is not None and conv.answered

    def last_checked_urls(self, who: Who) -> list[str]:
        """The URLs of this person's last /checkurl (kept in the database)."""
        with unit_of_work(self.service.engine, read_only=True) as s:
            found = s.conversations.load_for_identity(who.channel, who.external_id)
            return s.url_checks.last(found[0].id) if found else []

    def takes_files(self, who: Who) -> bool:
        """May a file from this person be downloaded now? Only for a linked contact whose
        current question takes files (anything else is refused before a byte is fetched)."""
        try:
            return any(p.kind == "files" for p in self.service.current(who))
        except NotLinked:
            return False

    def refuse_file(self, who: Who, delivery_id: str | None = None,
                    directory: Directory | None = None) -> list[Prompt]:
        """What to say about a file that `takes_files` refused."""
        try:
            prompts = self.service.current(who)
        except NotLinked:
            return self._identify(who, Inbound(kind="file"), delivery_id, directory)
        return [info(NO_FILES_HERE), *prompts]

    # -- identity -------------------------------------------------------------------------

    def _vouched(self, directory: Directory | None) -> Vouched | None:
        """The platform's email, only when the platform confirmed it and the team is trusted
        (SLACK_ALLOWED_TEAMS); anything else goes the mailed-code way."""
        found = directory() if directory is not None else None
        if found is None or not found.email or not found.confirmed:
            return None
        return found if found.team in self.trusted_teams else None

    def _identify(self, who: Who, inbound: Inbound, delivery_id: str | None,
                  directory: Directory | None) -> list[Prompt]:
        with unit_of_work(self.service.engine) as s:
            if delivery_id and not s.deliveries.first(delivery_id):
                return []
            first_ask, declined = s.waits.get(who.channel, who.external_id)
        asks_for_email = inbound.kind == "text" or (
            inbound.kind == "choice" and inbound.step == identity.CONFIRM_STEP)
        vouched = None if declined else self._vouched(directory) if (
            asks_for_email or inbound.kind == "command") else None
        awaiting = verification.awaiting_code(self.service, who.channel, who.external_id)
        action = identity.next_action(inbound, awaiting_code=awaiting,
                                      vouched=vouched.email if vouched else None)
        platform = who.channel.capitalize()
        try:
            match action:
                case identity.SendCode(address):
                    return [info(verification.start_verification(
                        self.service, who.channel, who.external_id, address,
                        chat_ref=who.chat_ref))]
                case identity.CheckCode(code):
                    address = verification.confirm_verification(
                        self.service, who.channel, who.external_id, code,
                        chat_ref=who.chat_ref, name=who.name)
                    return [info(LINKED.format(platform=platform, address=address)),
                            *self._go_on(who)]
                case identity.LinkVouched():
                    assert vouched is not None and vouched.email
                    prompts = self._go_on(Who(who.channel, who.external_id,
                                              email=vouched.email,
                                              name=vouched.name or who.name,
                                              chat_ref=who.chat_ref))
                    self._tell_linked(who)
                    return prompts
                case identity.Declined():
                    self._remember(who, declined=True)
                    return [info(identity.ASK_EMAIL)]
                case identity.Say(prompt):
                    keep = inbound if inbound.kind in ("command", "text") else None
                    if keep is not None and first_ask is None:
                        self._remember(who, ask=keep)
                    return [prompt]
        except (Invalid, accounts.UnknownDomain) as exc:
            return [info(str(exc))]
        raise AssertionError(f"unknown identity action {action!r}")

    def _remember(self, who: Who, *, ask: Inbound | None = None, declined: bool = False,
                  replace: bool = False) -> None:
        """Keep what a person not linked yet asked first (`replace`: this ask instead) and
        "not that email" in the database, so whichever worker sees them linked goes on with
        it (after a restart too)."""
        with unit_of_work(self.service.engine) as s:
            s.waits.remember(who.channel, who.external_id, ask=ask, declined=declined,
                               replace=replace)

    def _tell_linked(self, who: Who) -> None:
        """Mail the address a platform vouched for that this identity is now linked to it,
        and how to undo that (as a mailed-code link does; bot/verification.py)."""
        with unit_of_work(self.service.engine) as s:
            contact = s.contacts.for_identity(who.channel, who.external_id)
            if contact is not None:
                verification.queue_link_notice(s, contact.email, who.channel, who.external_id)

    def _go_on(self, who: Who) -> list[Prompt]:
        """Linked: carry on with what the person first asked for (or where they are)."""
        with unit_of_work(self.service.engine) as s:
            ask = s.waits.take(who.channel, who.external_id)
        if ask is None or (ask.kind == "command" and ask.command in ("start", "help")):
            ask = Inbound(kind="command", command="where" if self.start_after_link else "help")
        try:
            # linked now: the message's files are fetched here, by the process that linked them
            ask, notes = self._with_files(who, ask)
            return [*notes, *self.service.handle(who, ask, auto_start=self.start_after_link)]
        except NotLinked:
            return []

    # -- operator updates -----------------------------------------------------------------

    def claim_notices(self, channel: str, external_id: str | None = None) -> list[Notice]:
        with unit_of_work(self.service.engine) as s:
            return notices.claim(s, channel, external_id=external_id)

    def ack_notice(self, notice_id: int, outcome: Outcome) -> None:
        with unit_of_work(self.service.engine) as s:
            notices.ack(s, notice_id, outcome)

    def deliver_notices(self, channel: str, send: Callable[[Notice], Outcome], *,
                        external_id: str | None = None) -> int:
        """Claim due notices, `send` each, ack each; returns how many were sent."""
        sent = 0
        for notice in self.claim_notices(channel, external_id):
            try:
                outcome = send(notice)
            except Exception:
                log.exception("sending a case update failed")
                outcome = Outcome.RETRY
            self.ack_notice(notice.id, outcome)
            sent += outcome is Outcome.SENT
        return sent
