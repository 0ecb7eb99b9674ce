"""`casebot mail`: the outbox, its delivery as a separate worker, and replies coming in (from
an MTA's pipe, or fetched from an IMAP mailbox)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from bot.app import build_engine
from bot.cli.common import fail, out, print_json
from bot.settings import Settings
from store.tables import iso
from store.uow import unit_of_work

app = typer.Typer(help="The mail outbox, and replies by mail.", no_args_is_help=True)


@app.command("list")
def mail_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The outbox, newest first (verification codes never shown)."""
    from bot.mailer import REDACTED_BODY, SECRET_KINDS

    engine = build_engine(Settings())
    with unit_of_work(engine, read_only=True) as s:
        mails = s.outbox.recent(limit=1000)
        rows = [{"id": m.id, "kind": m.kind, "to": m.to, "cc": m.cc, "subject": m.subject,
                 "body_text": REDACTED_BODY if m.kind in SECRET_KINDS else m.body_text,
                 "status": m.status, "attempts": m.attempts,
                 "last_error": m.last_error, "headers": m.headers,
                 "next_attempt_at": iso(m.next_attempt_at),
                 "sent_at": iso(m.sent_at),
                 "created_at": iso(m.created_at)} for m in mails]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "status", "to", "subject", "created")
    for r in rows:
        table.add_row(*(str(r[k] or "") for k in ("id", "status", "to", "subject",
                                                  "created_at")))
    out.print(table if rows else "The outbox is empty.")


@app.command("send")
def mail_send(once: Annotated[bool, typer.Option(
                  "--once", help="send what is due now, then exit")] = False,
              interval: Annotated[float, typer.Option(
                  help="seconds between looks at the outbox")] = 5.0) -> None:
    """Deliver the outbox over SMTP (CASEBOT_SMTP_URL) until Ctrl-C; a separate worker."""
    import signal
    import threading

    from bot.alerts import Staff, start_sweep
    from bot.mailer import run_sender

    settings = Settings()
    if not settings.smtp_url:
        fail("CASEBOT_SMTP_URL is not set, so mail stays in the outbox (`casebot mail list`). "
             "Set it, e.g. smtp://mail.example.com:587 or smtps://user:pass@host:465.")
    if interval <= 0:
        fail("--interval must be more than 0 seconds.")
    if settings.db_url.startswith("postgresql"):
        fail("On PostgreSQL each mail is a job: run `casebot worker` to send the outbox "
             "(`casebot jobs list` shows what waits).")
    stop = threading.Event()
    before = {sig: signal.signal(sig, lambda *_: stop.set())
              for sig in (signal.SIGINT, signal.SIGTERM)}
    engine = build_engine(settings)
    # the overdue sweep beside the sender (bot/alerts.py): a mail-only deployment alerts too
    sweep = None if once else start_sweep(engine, Staff.from_settings(settings))
    try:
        report = run_sender(engine, settings, stop, interval=interval, once=once)
    except ValueError as exc:
        fail(str(exc))
        raise
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        if sweep is not None:
            sweep[0].set()
            sweep[1].join(10)
    out.print(f"Sent {report.sent}, to retry {report.retried}, failed {report.failed}.")


@app.command("receive")
def mail_receive() -> None:
    """Read one mail (RFC 5322) on stdin, e.g. from an MTA's pipe: a reply to a case is added
    to it, anything else is kept aside. Exit 0 either way; 2 when the input is no mail."""
    from bot.app import build_service
    from bot.inbound_mail import Unreadable, receive
    from bot.reply_address import ReplyAddresses

    raw = sys.stdin.buffer.read()
    settings = Settings()
    try:
        outcome = receive(build_service(settings), raw, ReplyAddresses.of(settings))
    except Unreadable as exc:
        fail(str(exc))
    out.print(outcome.line())


@app.command("fetch")
def mail_fetch(idle: Annotated[bool, typer.Option(
                   "--idle", help="keep waiting for new mail (IMAP IDLE) until Ctrl-C")] = False
               ) -> None:
    """Read new mail from the IMAP mailbox in CASEBOT_IMAP_URL as `mail receive` does, each
    then flagged seen."""
    import imaplib
    import signal
    import threading

    from bot.app import build_service
    from bot.imap import ImapConfig, Tally, run_fetch
    from bot.inbound_mail import receive
    from bot.reply_address import ReplyAddresses

    settings = Settings()
    if not settings.imap_url:
        fail("CASEBOT_IMAP_URL is not set: set it to the mailbox replies arrive in, e.g. "
             "imaps://user:password@mail.example.com/INBOX.")
    try:
        config = ImapConfig.parse(settings.imap_url)
    except ValueError as exc:
        fail(str(exc))
    service = build_service(settings)
    addresses = ReplyAddresses.of(settings)
    stop = threading.Event()
    before = {sig: signal.signal(sig, lambda *_: stop.set())
              for sig in (signal.SIGINT, signal.SIGTERM)}

    def progress(tally: Tally) -> None:
        if idle:
            out.print(tally.line())
            out.file.flush()

    try:
        total = run_fetch(config, lambda raw: receive(service, raw, addresses), stop,
                          idle=idle, report=progress)
    except ValueError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"Can't reach {config.host}:{config.port}: {type(exc).__name__}: {exc}", 1)
    except imaplib.IMAP4.error as exc:
        fail(f"The IMAP server refused: {exc}", 1)
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
    out.print(total.line())

