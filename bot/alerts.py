"""Staff alerts: every rule of what tells support staff, and whom, in one place (issue 24).

Three things tell staff: a new Critical or High case, a case whose due time passed unresolved
(once per due time: `cases.alerted_due_at`), and a customer's reply on a case that has an
owner. Each goes to the staff Slack channel (CASEBOT_STAFF_SLACK_CHANNEL) and by mail
(CASEBOT_STAFF_MAIL): a new or overdue case to the operators' list (an overdue case's owner
too), a reply to the case's owner. With neither setting nothing is written at all.

An alert is written in the same unit of work as the change that causes it, so a rolled-back
change alerts nobody and a committed one cannot lose its alert: mail through the outbox like
every other case mail (bot/mailer.py sends it; kind `staff_alert`, no customer reply address),
Slack as a `staff_alerts` row that the Slack process posts (`claim` / `ack`, through
`bot.chat.Chat.deliver_alerts`), woken at commit on PostgreSQL (store/signals.py), polling
on SQLite. A failed post is tried again, backing off from CASEBOT_STAFF_ALERT_RETRY_SECONDS
to `MAX_RETRY`, for a day (`GIVE_UP_AFTER`); the last error stays on the row.

Overdue cases are found by `OverdueSweep`, which every long-running process that delivers
(the Slack and Telegram processes, `casebot mail send`) runs beside its mail sender; several
may run at once: a case is claimed by a conditional UPDATE, so exactly one of them alerts.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bot.protocol import Alert
from bot.settings import Settings
from store.tables import NEVER, Case, CaseMessage, as_utc, saved_id, utcnow
from store.uow import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

ALERTED_SEVERITIES = ("Critical", "High")  # a new case of these tells staff
NEW, OVERDUE, REPLY = "new", "overdue", "reply"
MAIL_KIND = "staff_alert"  # bot/mailer.py: no signed customer reply address on it

CLAIM_LIMIT = 20  # alerts one Slack process takes at a time
LEASE = timedelta(minutes=2)  # a Slack process that died mid-post: another posts it after this
MAX_RETRY = timedelta(minutes=15)
GIVE_UP_AFTER = timedelta(days=1)  # an alert this old that still fails is dropped (logged)
SWEEP_EVERY = 15.0  # seconds between overdue sweeps
SWEEP_CHUNK = 500  # index entries one sweep reads of the old overdue range
SWEEP_GRACE = timedelta(minutes=1)  # a due time committed late (or clocks apart) is still new


@dataclass(frozen=True)
class Staff:
    """Where alerts go, from the settings; `NOBODY` (nothing configured) alerts nobody."""

    slack_channel: str | None = None
    mail_to: tuple[str, ...] = ()
    web_url: str | None = None
    retry_seconds: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Staff:
        return cls(slack_channel=(settings.staff_slack_channel or "").strip() or None,
                   mail_to=tuple(settings.staff_addresses),
                   web_url=(settings.web_url or "").strip().rstrip("/") or None,
                   retry_seconds=max(settings.staff_alert_retry_seconds, 0.1))

    @property
    def configured(self) -> bool:
        return bool(self.slack_channel or self.mail_to)

    def link(self, number: str) -> str | None:
        return f"{self.web_url}/cases/{number}" if self.web_url else None


NOBODY = Staff()


# -- what tells staff (called in the unit of work of the change) ----------------------------

def case_opened(uow: UnitOfWork, case: Case, staff: Staff) -> None:
    """A new case: Critical and High ones tell the staff channel and the operators' list."""
    severity = str(case.details.get("severity") or "")
    if severity in ALERTED_SEVERITIES:
        _tell(uow, case, staff, NEW, f"New {severity} case {case.number}: {case.subject}",
              staff.mail_to)


def customer_replied(uow: UnitOfWork, case: Case, message: CaseMessage, staff: Staff) -> None:
    """A customer's message on a case with an owner tells the channel and mails the owner."""
    if case.assignee:
        _tell(uow, case, staff, REPLY,
              f"{message.author} replied on case {case.number}: {case.subject}",
              (case.assignee,) if staff.mail_to else (), said=message.text)


def overdue(uow: UnitOfWork, case: Case, staff: Staff) -> None:
    """A missed due time (claimed by the sweep): the channel, the operators' list, the owner."""
    owner = (case.assignee,) if case.assignee and staff.mail_to else ()
    to: dict[str, str] = {}
    for address in (*staff.mail_to, *owner):
        to.setdefault(address.casefold(), address)
    what = case.due_kind.replace("_", " ") if case.due_kind else "an answer"
    when = f"{as_utc(case.due_at):%Y-%m-%d %H:%M} UTC" if case.due_at else "earlier"
    _tell(uow, case, staff, OVERDUE,
          f"Case {case.number} is overdue: {what} was due {when}", tuple(to.values()))


def _tell(uow: UnitOfWork, case: Case, staff: Staff, kind: str, text: str,
          mail_to: tuple[str, ...], said: str = "") -> None:
    if staff.slack_channel:
        uow.alerts.add(saved_id(case), kind, text)
    if not mail_to:
        return
    facts = _facts(uow, case, staff)
    lines = [text, "", *(f"{label}: {value}" for label, value in facts if value)]
    if said:
        lines += ["", "They wrote:", *(f"> {line}" for line in said[:2000].split("\n"))]
    for address in mail_to:  # one mail each: one bad address holds up no one else
        uow.outbox.queue(kind=MAIL_KIND, to=address, subject=f"[casebot] {text}"[:300],
                         body_text="\n".join(lines) + "\n", case_id=case.id)


def _facts(uow: UnitOfWork, case: Case, staff: Staff) -> list[tuple[str, str]]:
    contact = uow.contacts.get(case.contact_id)
    account = uow.accounts.get(contact.account_id) if contact else None
    return [("Case", case.number or ""), ("Severity", str(case.details.get("severity") or "")),
            ("Subject", case.subject), ("Account", account.name if account else ""),
            ("Contact", contact.email if contact else ""),
            ("Owner", case.assignee or "nobody yet"), ("Due", _due(case)),
            ("Open it", staff.link(case.number or "") or "")]


def _due(case: Case) -> str:
    if case.due_at is None:
        return ""
    what = f" ({case.due_kind.replace('_', ' ')})" if case.due_kind else ""
    return f"{as_utc(case.due_at):%Y-%m-%d %H:%M} UTC{what}"


# -- the Slack process's side ---------------------------------------------------------------

def claim(uow: UnitOfWork, staff: Staff, *, limit: int = CLAIM_LIMIT) -> list[Alert]:
    """Due alerts, taken for this process for `LEASE` (the caller's unit commits the claim),
    as values with their case as it is now."""
    now = utcnow()
    mine = []
    for row in uow.alerts.due(now, limit):
        if not uow.alerts.take(row, now + LEASE):
            continue  # another Slack process took it first
        alert = _values(uow, staff, row.id)
        if alert is not None:
            mine.append(alert)
    return mine


def claim_one(uow: UnitOfWork, staff: Staff, alert_id: int, *,
              lease: timedelta = LEASE) -> Alert | None:
    """Take this one alert for `lease` if it is due (a job's claim: bot/chat_jobs.py); None
    when it is posted, given up, backing off, or another sender holds it."""
    now = utcnow()
    row = uow.alerts.due_one(alert_id, now)
    if row is None or not uow.alerts.take(row, now + lease):
        return None
    return _values(uow, staff, alert_id)


def _values(uow: UnitOfWork, staff: Staff, alert_id: int) -> Alert | None:
    alert = uow.alerts.get(alert_id)
    case = uow.cases.get(alert.case_id) if alert else None
    if alert is None or case is None:
        return None
    facts = dict(_facts(uow, case, staff))
    return Alert(id=alert_id, kind=alert.kind, text=alert.text, case=case.number or "",
                 severity=facts["Severity"], subject=case.subject, account=facts["Account"],
                 contact=facts["Contact"], assignee=case.assignee, due=_due(case) or None,
                 link=staff.link(case.number or ""))


def ack(uow: UnitOfWork, alert_id: int, error: str | None, staff: Staff) -> None:
    """Posted (`error` None), or failed: tried again after a delay that doubles per try up to
    `MAX_RETRY`; a day after it was written it is given up (and logged, with what to do)."""
    now = utcnow()
    if error is None:
        uow.alerts.sent(alert_id, now)
        return
    alert = uow.alerts.get(alert_id)
    if alert is None:
        return
    delay = min(timedelta(seconds=staff.retry_seconds * 2 ** max(alert.attempts - 1, 0)),
                MAX_RETRY)
    if now - as_utc(alert.created_at) > GIVE_UP_AFTER:
        log.error("a staff alert could not be posted for a day and was dropped (%s): check "
                  "CASEBOT_STAFF_SLACK_CHANNEL and that the app is in that channel", error)
        uow.alerts.failed(alert_id, f"gave up: {error}", NEVER)
        return
    log.warning("a staff alert was not posted (%s); trying again in %d s", error,
                delay.total_seconds())
    uow.alerts.failed(alert_id, error, now + delay)


# -- overdue cases --------------------------------------------------------------------------

class OverdueSweep:
    """Finds unresolved cases whose due time passed and alerts each once per due time.

    Each run reads what came due since the previous run (all of it, from the partial index
    `ix_cases_open_due`), plus the next `chunk` entries of the whole overdue range, whose walk
    starts again at the beginning once it reaches the end: a due time moved into the past (a
    severity raised) or a backlog at start-up is found within a few runs, and a run costs at
    most `chunk` index entries beyond the new ones however many old overdue cases there are.
    """

    def __init__(self, engine: Engine, staff: Staff, *, chunk: int = SWEEP_CHUNK) -> None:
        self.engine = engine
        self.staff = staff
        self.chunk = chunk
        self.last: datetime | None = None  # the previous run's now
        self.position: tuple[datetime, int] | None = None  # the walk's (due_sort, id)

    def run(self, now: datetime | None = None) -> int:
        """One sweep; returns how many cases this process alerted."""
        if not self.staff.configured:
            return 0
        now = now or utcnow()
        told = 0
        if self.last is not None:
            after = None
            while True:
                rows = self._read(now, since=self.last - SWEEP_GRACE, after=after)
                told += self._alert(rows)
                if len(rows) < self.chunk:
                    break
                after = (rows[-1].due_sort, rows[-1].id)
        rows = self._read(now, after=self.position)
        told += self._alert(rows)
        self.position = (rows[-1].due_sort, rows[-1].id) if len(rows) == self.chunk else None
        self.last = now
        return told

    def _read(self, now: datetime, *, since: datetime | None = None,
              after: tuple[datetime, int] | None = None) -> list[Any]:
        with unit_of_work(self.engine, read_only=True) as uow:
            return uow.alerts.overdue(now, self.chunk, since=since, after=after)

    def _alert(self, rows: list[Any]) -> int:
        told = 0
        for row in rows:
            if row.due_at is None or row.alerted_due_at == row.due_at:
                continue
            with unit_of_work(self.engine) as uow:  # the claim is the unit's first statement
                if not uow.alerts.claim_overdue(row.id, row.due_at):
                    continue
                case = uow.cases.get(row.id)
                assert case is not None
                overdue(uow, case, self.staff)
                told += 1
        return told


def start_sweep(engine: Engine, staff: Staff, *, every: float = SWEEP_EVERY
                ) -> tuple[threading.Event, threading.Thread] | None:
    """Sweep for overdue cases every `every` seconds in a daemon thread; None when no alert
    destination is configured. To stop: `stop.set()`, then `thread.join(timeout)`."""
    if not staff.configured:
        return None
    sweep = OverdueSweep(engine, staff)
    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                sweep.run()
            except Exception:  # the database away for a moment: the next run tries again
                log.exception("an overdue sweep failed")
            if stop.wait(every):
                return

    thread = threading.Thread(target=loop, name="casebot-overdue", daemon=True)
    thread.start()
    return stop, thread
