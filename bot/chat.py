"""The chat API every adapter calls: one event (who, what) in, one `Reply` out; `view` reads.

Adapters parse the platform event, call `Chat.handle` once, render the `Reply` and send it;
they import only this and `bot.protocol`, and never open a database session. `Chat` owns
what is not about a platform:

- identity: a person not linked to a contact goes through `flows.identity` (mailed code, or
  the email the platform vouches for); once linked they go on with what they first asked for;
- dropping repeated deliveries (the database records each delivery id, linked or not);
- files: an upload arrives as the platform's references and is fetched (through the
  adapter's fetcher) only when the person's question takes files; a request started from an
  existing message (`FromMessage`) has its files fetched only for a linked contact. Before a
  file is fetched its declared size is reserved against the person's quota and the disk
  budget (bot/quota.py): one that does not fit is never downloaded; the fetcher stores each
  file into its reservation (`store_upload(..., who=, file=)`), counted as it streams; a file
  the request did not take is deleted once the event is handled;
- operator updates, by claim-and-ack (`claim_notices`, `ack_notice`, `deliver_notices`);
- staff alerts for the staff channel, the same way (`deliver_alerts`; bot/alerts.py);
- URL ratings for anyone (`rate_urls`, which takes no identity).

`view` answers where a person is (their question, open cases, last checked URLs) from one
transaction that writes nothing, so a read never takes SQLite's write lock or a row lock.

A message's files are fetched only for a linked contact. For a person not linked yet they are
kept as the platform's references (`PendingFile`) inside the first ask in the database, not
as a download in this process: whichever worker sees the person linked (after a restart too)
fetches them through the adapter's `fetch_files`, and a file it cannot fetch becomes a note.

The conversation itself runs in `bot.service.Service` (one unit of work per event).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot import accounts, alerts, i18n, notices, verification
from bot.event import platform_locale
from bot.protocol import (
    Alert,
    AnotherPoller,
    Directory,
    FetchFiles,
    FileRef,
    FromMessage,
    Inbound,
    Notice,
    Outcome,
    PendingFile,
    Prompt,
    Reply,
    View,
    Vouched,
    Who,
    info,
    none_fetched,
)
from bot.quota import FileQuota, Reservation
from bot.ratings import describe, rating_lines
from bot.service import STORE_DOWN, NotLinked, Service
from bot.texts import HELP
from flows import identity
from flows.errors import Invalid
from flows.i18n import N_, _
from flows.urls import read_urls
from store import poller
from store.blobs import CHUNK
from store.budget import Bucket, Budget, budget_for
from store.health import Readiness
from store.signals import NoticeListener
from store.uow import unit_of_work

log = logging.getLogger(__name__)

NO_FILES_HERE = _("I can take files only when a question asks for attachments, and this one "
                  "doesn't.")
LINKED = N_("Thank you: your {platform} account is now linked to {address}.")


@dataclass
class _Fetch:
    """What one fetch came to: the files stored, a note for each one not stored, and the
    room reserved for each file fetched (to delete, after the event, what nothing took)."""

    stored: list[FileRef] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    held: list[Reservation] = field(default_factory=list)

    def tidy(self) -> None:
        for reservation in self.held:
            try:
                reservation.drop_unless_kept()
            except (SQLAlchemyError, OSError) as exc:  # `casebot db prune` takes it later
                log.warning("a file not taken was left for pruning: %s", type(exc).__name__)


class Chat:
    """One per chat process; thread-safe (adapters call it from several worker threads)."""

    def __init__(self, service: Service, *, trusted_teams: Iterable[str] = (),
                 start_after_link: bool = False, fetch_files: FetchFiles | None = None,
                 lists_cases: bool = False) -> None:
        self.service = service
        # Slack's App Home lists the open cases: a reply that submitted one brings them along
        self.lists_cases = lists_cases
        self.trusted_teams = frozenset(t.strip() for t in trusted_teams if t.strip())
        # Slack opens the request right after linking; Telegram says what it can do.
        self.start_after_link = start_after_link
        # set by the adapter (Telegram: once its application runs, with its bot and loop)
        self.fetch_files = fetch_files
        self.quota = FileQuota(service)  # the file quota and the disk budget
        # the outbound rate budget, shared by every process on PostgreSQL (store/budget.py)
        self.budget: Budget = budget_for(service.engine)
        self.readiness = Readiness(service.engine)

    @cached_property
    def listener(self) -> NoticeListener:
        """Wakes the notice loop (store/signals.py); made on first use: on PostgreSQL the chat
        processes run no loop (`sends_by_jobs`)."""
        return NoticeListener(self.service.engine)

    # -- operations (README "Several machines") ---------------------------------------------

    def ready(self) -> str | None:
        """None when this process can serve (its database answers, its schema is at head),
        else one line saying why not: what `/readyz` answers."""
        return self.readiness.check()

    def pace(self, buckets: Sequence[Bucket]) -> float:
        """Reserve a send in each bucket; the seconds to wait before sending (0: now). With
        the database away the send goes at once (the platform's 429s still pace it): a
        person's answer is not held up for want of the budget's row."""
        try:
            return self.budget.reserve(buckets)
        except SQLAlchemyError as exc:
            log.warning("the shared rate budget is unavailable (%s); sending unpaced",
                        type(exc).__name__)
            return 0.0

    def hold_poller(self, bot_id: int, username: str,
                    on_lost: Callable[[], None] | None = None) -> Callable[[], None]:
        """Be the one Telegram poller of this bot among every process on this database;
        returns what gives the role up. Raises `AnotherPoller` (its text says who and what to
        do instead) when a poller runs already. `on_lost` is called (on another thread) if
        the role is lost while held (the database dropped the lock's connection)."""
        try:
            held = poller.hold(self.service.engine, f"telegram-poller:{bot_id}")
        except poller.Taken as exc:
            raise AnotherPoller(username, exc.holder) from None
        if on_lost is not None:
            held.watch(on_lost)
        return held.release

    # -- events ---------------------------------------------------------------------------

    def handle(self, who: Who, event: Inbound | FromMessage, *,
               delivery_id: str | None = None, directory: Directory | None = None,
               fetch: FetchFiles | None = None) -> Reply:
        """One event. A repeated delivery id gives an empty reply; `directory` is asked only
        for a person not linked yet. An upload (`Inbound(kind="file")` carrying the platform's
        references in `pending_files`) is fetched through `fetch` (default: the chat's
        `fetch_files`) only when the person's question takes files."""
        if isinstance(event, FromMessage):
            reply = Reply(self._from_message(who, event, delivery_id, directory, fetch))
        elif event.kind == "file" and event.file is None:
            reply = self._upload(who, event, delivery_id, directory, fetch)
        else:
            try:
                reply = Reply(self.service.handle(who, event, delivery_id=delivery_id))
            except NotLinked:
                reply = Reply(self._identify(who, event, delivery_id, directory))
        if self.lists_cases and any(p.kind == "done" for p in reply.prompts):
            reply = replace(reply, open_cases=self.view(who, cases=True).open_cases)
        return self._rendered(who, reply)

    def _rendered(self, who: Who, reply: Reply) -> Reply:
        """Every prompt and notice in the person's language, rendered here, just before the
        adapter gets them (bot/i18n.py): the service rendered its prompts in the contact's
        language; what the chat layer added follows it, else the same rule read with their
        identity (their own choice, their platform's as kept, the default)."""
        language = next((p.language for p in reply.prompts if p.language), None) \
            or (self.service.language_of(who) if reply.prompts or reply.notices
                else i18n.ENGLISH)  # nothing to say: no language asked for
        return replace(reply, prompts=i18n.prompts_in(reply.prompts, language),
                       notices=[i18n.say(n, language) for n in reply.notices],
                       language=language)

    def view(self, who: Who, *, cases: bool = False) -> View:
        """Where the person is, read without writing (`cases`: their open cases too). A store
        that is away reads as nothing: no keyboard, no promise of a saved draft."""
        try:
            return self.service.view(who, cases=cases)
        except SQLAlchemyError as exc:
            log.warning("store unavailable for a read: %s", type(exc).__name__)
            return View()

    def store_upload(self, data: Path | Iterable[bytes], name: str | None = None, *,
                     who: Who | None = None, file: PendingFile | None = None) -> FileRef:
        """Store a file's bytes as they arrive (or a local file), counted as they come:
        `Invalid` past the per-file limit and, for a person (`who`), past the room their
        quota and the disk budget leave; nothing of a refused file stays on disk. `file`:
        the platform's reference this chat asked the adapter's fetcher for, whose room was
        reserved from its declared size before the fetch; otherwise (the terminal's /attach)
        the room is reserved here, from the declared or on-disk size, before a byte is read.
        For an adapter's fetcher, and the terminal's /attach."""
        files = self.service.files
        if isinstance(data, Path):
            name = name or data.name
            size = files.local_size(data, name)
            with data.open("rb") as fh:
                return self._store(iter(lambda: fh.read(CHUNK), b""), name, who, file, size)
        return self._store(data, name or (file.name if file else "file"), who, file,
                           file.size if file else None)

    def _store(self, chunks: Iterable[bytes], name: str, who: Who | None,
               file: PendingFile | None, declared: int | None) -> FileRef:
        if who is None:  # no person to count it for: the per-file limit only
            return self.service.files.put_counted(chunks, name).ref
        held = self.quota.held_for(who.channel, who.external_id, file.id) \
            if file is not None else None
        if held is None:
            held = self.quota.reserve(who.channel, who.external_id, name, declared)
        held.name = name  # the platform may name it only now (Slack's files.info)
        try:
            if declared is not None:  # e.g. Slack's files.info, when the event said no size
                held.expect(declared)
            stored = self.service.files.put_counted(chunks, name, admit=held.admit)
        except BaseException:
            held.release()
            raise
        return held.settle(stored)

    @property
    def upload_limit(self) -> int:
        """The largest file `store_upload` takes, in bytes (checked before a download)."""
        return self.service.files.max_bytes

    def _upload(self, who: Who, upload: Inbound, delivery_id: str | None,
                directory: Directory | None, fetch: FetchFiles | None) -> Reply:
        """Files sent to the chat: nothing is fetched unless the question takes files."""
        try:
            where = self.service.view(who, waiting=True)
        except SQLAlchemyError as exc:  # nothing fetched, nothing saved: send it again later
            log.warning("store unavailable: %s", type(exc).__name__)
            return Reply([info(STORE_DOWN, retry=True)])
        if not where.linked and who.email is None:  # (an email links them on the step)
            return Reply(self._identify(who, Inbound(kind="file"), delivery_id, directory))
        about_case = bool(upload.thread) or (where.question is None and where.waiting)
        if not where.takes_files and not about_case:
            return Reply([info(NO_FILES_HERE),
                          where.question if where.question is not None else info(HELP)])
        fetched = self._fetch(who, upload.pending_files, fetch)
        if about_case and not where.takes_files:  # one message of a case, its files and text
            said = self.service.handle(who, replace(
                upload, files=tuple(fetched.stored), pending_files=()),
                delivery_id=delivery_id) if fetched.stored else []
            fetched.tidy()
            return Reply(said, notices=fetched.notes)
        prompts: list[Prompt] = []
        for ref in fetched.stored:  # each file is its own step; the id tells a redelivery apart
            file_delivery = f"{delivery_id}:{ref.sha256[:16]}" if delivery_id else None
            prompts += self.service.handle(who, Inbound(kind="file", file=ref),
                                           delivery_id=file_delivery)
        fetched.tidy()
        return Reply(prompts, notices=fetched.notes)

    def _from_message(self, who: Who, message: FromMessage, delivery_id: str | None,
                      directory: Directory | None, fetch: FetchFiles | None) -> list[Prompt]:
        """A request started from an existing message (a Slack message shortcut, Telegram
        forwards): its text describes it, its files are fetched only once the person is a
        linked contact, its link is kept. A person not linked yet is identified first and then
        goes on with this message, on whichever worker they finish linking."""
        ask = Inbound(kind="command", command="newcase", args=message.text,
                      text=message.text, source=message.source, pending_files=message.files)
        if not self.view(who).linked and who.email is None:  # (an email links them now)
            # this message, its files' references included, is what they go on with once
            # linked; nothing is fetched for them before that
            return self._identify(who, ask, delivery_id, directory, replace_ask=True)
        ask, fetched = self._with_files(who, ask, fetch)
        prompts = self.service.handle(who, ask, delivery_id=delivery_id)
        fetched.tidy()
        return [*[info(note) for note in fetched.notes], *prompts]

    def _with_files(self, who: Who, ask: Inbound, fetch: FetchFiles | None = None
                    ) -> tuple[Inbound, _Fetch]:
        """The ask with its message's files stored (call only for a linked contact), and
        what the fetch came to (a note for each file not fetched; `tidy` it after the
        ask is handled)."""
        if not ask.pending_files:
            return ask, _Fetch()
        fetched = self._fetch(who, ask.pending_files, fetch)
        # the request's text when no words came with the files: written in their language
        text = ask.args or i18n.say(_("Files from a message: {names}", names=", ".join(
            f.name for f in fetched.stored)), self.language_of(who))
        return (replace(ask, files=tuple(fetched.stored), pending_files=(), args=text,
                        text=text), fetched)

    def _fetch(self, who: Who, pending: tuple[PendingFile, ...],
               fetch: FetchFiles | None) -> _Fetch:
        """Reserve room for each file from its declared size (a file that does not fit is
        not fetched: a note says why), then have the adapter fetch the rest."""
        fetch = fetch or self.fetch_files
        if fetch is None:  # an adapter that cannot fetch: say so, never drop quietly
            log.warning("no file fetcher: %d files not fetched", len(pending))
            return _Fetch(*none_fetched(pending))
        held = self.quota.hold_for_fetch(who.channel, who.external_id, pending)
        try:
            stored, failed = fetch(who, held.files) if held.files else ([], [])
        finally:
            held.end()
        return _Fetch(stored, [*held.notes, *failed], held.reservations)

    def rate_urls(self, text: str, language: str = i18n.ENGLISH) -> list[list[str]]:
        """Each URL's rating as lines (defanged URL and rating first), for a place anyone may
        ask from (Telegram's inline mode): no identity goes in, so nothing about a case or a
        contact can come out. The URLs are read out of the text (words around them are
        ignored); a text with none gives []. Rendered in `language`."""
        return self.rate_text(text, language)[0]

    def rate_text(self, text: str, language: str = i18n.ENGLISH
                  ) -> tuple[list[list[str]], list[str]]:
        """(each URL's rating lines, notes on what was not checked and why) for the URLs in
        `text`, rendered in `language`; as `rate_urls`, no identity goes in (Slack's
        @mention in a channel)."""
        found = read_urls(text, listed=True)
        notes = [i18n.say(n, language) for n in found.notes()]
        if not found.urls:
            return [], notes
        ratings = self.service.rate([u.url for u in found.urls])
        return ([[i18n.say(line, language) for line in rating_lines(describe(u, r))]
                 for u, r in zip(found.urls, ratings, strict=True)], notes)

    def platform_language(self, who: Who) -> str:
        """The language of a person casebot answers without reading the store (a group
        chat's refusal): their platform's, else the deployment's default."""
        return i18n.choose(None, who.locale, None, self.service.default_language)

    def language_of(self, who: Who) -> str:
        """The language a person gets, where no conversation runs (a channel mention): their
        own choice, their platform's as kept with their identity (else asked), the default."""
        return self.service.language_of(who)

    # -- identity -------------------------------------------------------------------------

    def _vouched(self, directory: Directory | None) -> Vouched | None:
        """The platform's email, only when the platform confirmed it and the team is trusted
        (SLACK_ALLOWED_TEAMS); anything else goes the mailed-code way."""
        found = directory() if directory is not None else None
        if found is None or not found.email or not found.confirmed:
            return None
        return found if found.team in self.trusted_teams else None

    def _identify(self, who: Who, inbound: Inbound, delivery_id: str | None,
                  directory: Directory | None, *, replace_ask: bool = False) -> list[Prompt]:
        """A person not linked yet: reads first (what they asked before, a code in flight),
        the platform's directory outside any transaction, then one write (the delivery id,
        and what they ask first or "not that email") before the action runs.
        `replace_ask`: this ask is what they go on with, whatever they asked before."""
        with unit_of_work(self.service.engine, read_only=True) as uow:
            first_ask, declined = uow.waits.get(who.channel, who.external_id)
        asks_for_email = inbound.kind == "text" or (
            inbound.kind == "choice" and inbound.step == identity.CONFIRM_STEP)
        vouched = None if declined else self._vouched(directory) if (
            asks_for_email or inbound.kind == "command") else None
        awaiting = verification.awaiting_code(self.service, who.channel, who.external_id)
        action = identity.next_action(inbound, awaiting_code=awaiting,
                                      vouched=vouched.email if vouched else None)
        keep = inbound if replace_ask or (
            isinstance(action, identity.Say) and inbound.kind in ("command", "text")
            and first_ask is None) else None
        with unit_of_work(self.service.engine) as uow:
            if delivery_id and not uow.deliveries.first(delivery_id):
                return []
            if keep is not None or isinstance(action, identity.Declined):
                uow.waits.remember(who.channel, who.external_id, ask=keep,
                                   declined=isinstance(action, identity.Declined),
                                   replace=replace_ask)
        platform = who.channel.capitalize()
        try:
            match action:
                case identity.SendCode(address):
                    return [info(verification.start_verification(
                        self.service, who.channel, who.external_id, address,
                        chat_ref=who.chat_ref, platform=platform_locale(who, None)))]
                case identity.CheckCode(code):
                    address = verification.confirm_verification(
                        self.service, who.channel, who.external_id, code,
                        chat_ref=who.chat_ref, name=who.name,
                        platform=platform_locale(who, None))
                    return [info(_(LINKED, platform=platform, address=address)),
                            *self._go_on(who)]
                case identity.LinkVouched():
                    assert vouched is not None
                    assert vouched.email
                    prompts = self._go_on(Who(who.channel, who.external_id,
                                              email=vouched.email,
                                              name=vouched.name or who.name,
                                              chat_ref=who.chat_ref,
                                              locale=vouched.locale or who.locale))
                    self._tell_linked(who)
                    return prompts
                case identity.Declined():
                    return [info(identity.ASK_EMAIL)]
                case identity.Say(prompt):
                    return [prompt]
        except (Invalid, accounts.UnknownDomain) as exc:
            return [info(str(exc))]
        raise AssertionError(f"unknown identity action {action!r}")

    def _tell_linked(self, who: Who) -> None:
        """Mail the address a platform vouched for that this identity is now linked to it,
        and how to undo that (as a mailed-code link does; bot/verification.py)."""
        with unit_of_work(self.service.engine) as uow:
            found = uow.conversations.load_for_identity(who.channel, who.external_id)
            if found is not None:
                verification.queue_link_notice(
                    uow, found[0].email, who.channel, who.external_id,
                    language=self.service.speaks(found[0], who))

    def _go_on(self, who: Who) -> list[Prompt]:
        """Linked: carry on with what the person first asked for (or where they are)."""
        with unit_of_work(self.service.engine) as uow:
            ask = uow.waits.take(who.channel, who.external_id)
        if ask is None or (ask.kind == "command" and ask.command in ("start", "help")):
            ask = Inbound(kind="command", command="where" if self.start_after_link else "help")
        try:
            # linked now: the message's files are fetched here, by the process that linked them
            ask, fetched = self._with_files(who, ask)
            prompts = self.service.handle(who, ask, auto_start=self.start_after_link)
            fetched.tidy()
            return [*[info(note) for note in fetched.notes], *prompts]
        except NotLinked:
            return []

    # -- operator updates -----------------------------------------------------------------

    def claim_notices(self, channel: str, external_id: str | None = None) -> list[Notice]:
        with unit_of_work(self.service.engine) as uow:
            return notices.claim(uow, channel, external_id=external_id,
                                 file_path=self.service.files.where)

    def stored_file(self, sha256: str) -> AbstractContextManager[Path]:
        """A stored file as a real local file while the `with` lasts (a notice's file for a
        chat library that uploads from a path); `OSError` when it is gone."""
        return self.service.files.local_path(sha256)

    def ack_notice(self, notice_id: int, outcome: Outcome, refs: Iterable[str] = ()) -> None:
        """`refs`: the platform's ids of the messages sent for it (a reply to any of them
        reaches the notice's case)."""
        with unit_of_work(self.service.engine) as uow:
            notices.ack(uow, notice_id, outcome, refs)

    def locale_changed(self, channel: str, external_id: str, locale: str | None) -> None:
        """The platform says the person's language changed (Slack's user_change): kept with
        their identity, so the next reply is in it with nothing asked (issue 27)."""
        try:
            with unit_of_work(self.service.engine) as uow:
                uow.contacts.set_locale(channel, external_id, locale)
        except SQLAlchemyError as exc:  # the next action asks the platform again
            log.warning("a locale change was not kept: %s", type(exc).__name__)

    def remember(self, who: Who, case_number: str, ref: str) -> None:
        """A message the adapter sent about one of `who`'s cases (Slack: the confirmation,
        the thread's parent; Telegram: the confirmation): a reply to it reaches that case."""
        try:
            with unit_of_work(self.service.engine) as uow:
                case = uow.cases.by_number(case_number)
                contact = uow.contacts.for_identity(who.channel, who.external_id)
                if case is not None and contact is not None and case.contact_id == contact.id:
                    assert case.id is not None
                    uow.case_refs.remember(who.channel, who.external_id, ref, case.id)
        except SQLAlchemyError as exc:  # the thread still works through "Add to case N"
            log.warning("a case message was not remembered: %s", type(exc).__name__)

    @property
    def sends_by_jobs(self) -> bool:
        """Notices, staff alerts and App Home refreshes go out as jobs of `casebot worker`
        (PostgreSQL, bot/chat_jobs.py); False: this chat process's own loop sends them."""
        return self.service.engine.dialect.name == "postgresql"

    @property
    def notice_interval(self) -> float:
        """Seconds between polls for notices (long when the store wakes the loop itself)."""
        return self.listener.interval

    def wait_for_notices(self, timeout: float | None = None) -> bool:
        """Block until a notice may be waiting (PostgreSQL wakes it at once; SQLite polls):
        a notice loop calls this between rounds instead of sleeping."""
        return self.listener.wait(timeout)

    def deliver_notices(self, channel: str,
                        send: Callable[[Notice], Outcome | tuple[Outcome, list[str]]], *,
                        external_id: str | None = None) -> int:
        """Claim due notices, `send` each, ack each; returns how many were sent. `send` may
        return the ids of the messages it posted with the outcome (remembered for the case)."""
        sent = 0
        for notice in self.claim_notices(channel, external_id):
            refs: list[str] = []
            try:
                outcome = send(notice)
            except Exception:
                log.exception("sending a case update failed")
                outcome = Outcome.RETRY
            if isinstance(outcome, tuple):
                outcome, refs = outcome
            self.ack_notice(notice.id, outcome, refs=[r for r in refs if r])
            sent += outcome is Outcome.SENT
        return sent

    # -- staff alerts ---------------------------------------------------------------------

    @property
    def staff_channel(self) -> str | None:
        """Where staff alerts are posted (CASEBOT_STAFF_SLACK_CHANNEL); None: nowhere."""
        return self.service.staff.slack_channel

    def deliver_alerts(self, send: Callable[[Alert], str | None]) -> int:
        """Claim due staff alerts, `send` each (it answers None when posted, else what went
        wrong: tried again later), record each, until none is due; returns how many were
        posted."""
        staff = self.service.staff
        posted = 0
        while True:
            with unit_of_work(self.service.engine) as uow:
                claimed = alerts.claim(uow, staff, limit=alerts.CLAIM_LIMIT)
            for alert in claimed:
                try:
                    error = send(alert)
                except Exception as exc:
                    log.exception("posting a staff alert failed")
                    error = type(exc).__name__
                with unit_of_work(self.service.engine) as uow:
                    alerts.ack(uow, alert.id, error, staff)
                posted += error is None
            if len(claimed) < alerts.CLAIM_LIMIT:
                return posted
