"""`casebot mail`: the outbox, and its delivery as a separate worker."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bot.app import build_engine
from bot.cli.common import fail, out, print_json
from bot.settings import Settings
from store.tables import iso
from store.uow import unit_of_work

app = typer.Typer(help="The mail outbox.", no_args_is_help=True)


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

    from bot.mailer import run_sender

    settings = Settings()
    if not settings.smtp_url:
        fail("CASEBOT_SMTP_URL is not set, so mail stays in the outbox (`casebot mail list`). "
             "Set it, e.g. smtp://mail.example.com:587 or smtps://user:pass@host:465.")
    if interval <= 0:
        fail("--interval must be more than 0 seconds.")
    stop = threading.Event()
    before = {sig: signal.signal(sig, lambda *_: stop.set())
              for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        report = run_sender(build_engine(settings), settings, stop, interval=interval,
                            once=once)
    except ValueError as exc:
        fail(str(exc))
        raise
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
    out.print(f"Sent {report.sent}, to retry {report.retried}, failed {report.failed}.")
