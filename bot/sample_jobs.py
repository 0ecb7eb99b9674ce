"""Sample checks on PostgreSQL: a job any worker runs, a verdict every process sees.

The chat event asks for the check (a `sample_checks` row and its job, in one short
transaction of its own, committed before it waits: the event's own transaction commits only
when the event ends), then polls the verdict for up to `answer_wait` seconds. Not ready: the
chat is registered as a waiter and told the file is being checked; the job that finishes the
check queues the verdict as a chat notice for each waiter, in the transaction that records the
verdict. A worker killed mid-check: its job is found stalled (no heartbeat) and run again by
another worker; the finish is a compare-and-set, so exactly one run tells the waiters.

The verdict is keyed like the in-process cache (bot/samples.py): sha256, password hash and the
accepted member types. The check itself (`run_check`) is the same `check_sample_zip` with the
same time budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine

from bot import i18n
from bot.jobs import QueueJobs
from bot.samples import (
    SampleChecks,
    Waiter,
    still_checking,
    verdict_text,
    waiting_turn,
)
from flows.archives import check_sample_zip
from flows.errors import Invalid
from flows.i18n import _
from store.blobs import Blobs
from store.repositories.sample_checks import verdict_of
from store.uow import unit_of_work

log = logging.getLogger(__name__)

POLL = 0.1  # seconds between looks at the verdict while a chat event waits
UNREADABLE = _("the file could not be read. Please send it again.")
_PENDING = object()


class SharedSampleChecks:
    """`check` as bot/samples.SampleChecks has it, backed by the database and the queue."""

    def __init__(self, engine: Engine, jobs: QueueJobs, budget_seconds: float = 300.0) -> None:
        self.engine = engine
        self.jobs = jobs
        self.budget = budget_seconds
        self.answer_wait = 5.0  # seconds a chat event waits before "being checked"

    @staticmethod
    def key(sha256: str, password: str | None,
            suffixes: tuple[str, ...] | None) -> tuple[str, str, str]:
        sha, secret, members = SampleChecks.key(sha256, password, suffixes)
        return sha, secret, ",".join(members)

    def check(self, sha256: str, path: str, name: str, password: str | None,
              suffixes: tuple[str, ...] | None, *, wait: float | None = None,
              on_done: Callable[[str | None], None] | None = None,
              listener: str = "", waiter: Waiter | None = None) -> None:
        """Raise `Invalid` with the reason when the sample fails; `StillChecking` when the
        verdict takes longer than `wait` and `waiter` will be told it (as a chat notice)."""
        key = self.key(sha256, password, suffixes)
        check_id, verdict = self._ask(key, name, password)
        give_up = time.monotonic() + (wait if wait is not None else self.budget + 30)
        while verdict is _PENDING and time.monotonic() < give_up:
            time.sleep(POLL)
            verdict = self._verdict(check_id)
        if verdict is _PENDING:
            if waiter is None:
                raise waiting_turn(name)
            verdict = self._wait_for(check_id, waiter, name)
            if verdict is _PENDING:
                raise still_checking(name)
        if verdict is not None:
            raise Invalid(verdict)  # a message: shown in the uploader's language

    def _ask(self, key: tuple[str, str, str], name: str,
             password: str | None) -> tuple[int, object]:
        """The check's id and verdict (`_PENDING` while it runs); asks for it if new."""
        for _try in range(3):
            with unit_of_work(self.engine) as uow:
                row = uow.sample_checks.find(key)
                if row is None:
                    check_id = uow.sample_checks.ask(key, name, password)
                    if check_id is None:  # another process asked first: read its row
                        continue
                    self.jobs.defer(uow.conn, "check_sample", lock=f"sample:{check_id}",
                                    check_id=check_id)
                    uow.commit()
                    return check_id, _PENDING
            return int(row.id), (_PENDING if row.status == "checking" else verdict_of(row))
        raise Invalid(_("{name} could not be checked just now. Please send it again.",
                        name=name))

    def _verdict(self, check_id: int) -> object:
        with unit_of_work(self.engine, read_only=True) as uow:
            row = uow.sample_checks.get(check_id)
        if row is None:  # dropped: its file could not be read
            return UNREADABLE
        return _PENDING if row.status == "checking" else verdict_of(row)

    def _wait_for(self, check_id: int, waiter: Waiter, name: str) -> object:
        """Register the chat for the verdict, unless it came meanwhile (then the verdict)."""
        with unit_of_work(self.engine) as uow:
            if uow.sample_checks.hold_if_checking(check_id):
                channel, external_id, chat_ref = waiter
                uow.sample_checks.add_waiter(check_id, channel, external_id, chat_ref, name)
                uow.commit()
                return _PENDING
        return self._verdict(check_id)

    def close(self) -> None:
        pass


def run_check(engine: Engine, files: Blobs, check_id: int, budget: float,
              default_language: str = i18n.ENGLISH) -> bool:
    """The job: check the sample and record the verdict; the waiting chats get it as a notice,
    in each person's language (bot/i18n.py, `choose`: their own choice, their platform's as
    kept with the identity, their account's default, `default_language`). False when there
    was nothing to do (already done by another run)."""
    with unit_of_work(engine, read_only=True) as uow:
        row = uow.sample_checks.get(check_id)
    if row is None or row.status != "checking":
        return False
    verdict: str | None = None
    readable = True
    try:
        with files.local_path(row.sha256) as local:  # a copy when the bytes are in the database
            check_sample_zip(local, row.password or "",
                             member_suffixes=tuple(m for m in row.members.split(",") if m)
                             or None, name=row.name, deadline=time.monotonic() + budget)
    except Invalid as exc:
        verdict = str(exc)
    except OSError:  # the bytes are missing, not bad: not remembered
        verdict, readable = UNREADABLE, False
    with unit_of_work(engine) as uow:
        checks = uow.sample_checks
        waiters = checks.finish(check_id, verdict) if readable else checks.forget(check_id)
        if waiters is None:
            return False
        for w in waiters:
            found = uow.conversations.load_for_identity(w.channel, w.external_id)
            contact = found[0] if found is not None else None
            language = i18n.choose(contact.language, contact.platform_locale,
                                   contact.account_language, default_language) \
                if contact is not None else i18n.choose(None, None, None, default_language)
            uow.notices.add(w.channel, w.external_id, w.chat_ref,
                            i18n.say(verdict_text(w.name, verdict), language))
        uow.commit()
    log.info("sample check %s done (%s), %s chat(s) told", check_id,
             "passed" if verdict is None else "refused", len(waiters))
    return True
