"""The `casebot` command (interfaces.md): chat, operator views, links and migrations.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input (message on stderr).
"""

from __future__ import annotations

import getpass
import io
import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO, cast

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from bot.app import build_engine, build_service
from bot.settings import Settings
from flows.clean import for_terminal
from flows.errors import Invalid
from store import repo
from store.uow import unit_of_work


def _option_label(self: Any, ctx: Any) -> str | None:
    """Help shows `--as EMAIL` and a bare `--json`, not typer 0.29's `<str>`/`<bool>` types."""
    if getattr(self, "is_flag", False) or getattr(self, "count", False):
        return None
    return self.metavar or (self.name or "value").strip("_").upper()


setattr(typer.core.TyperOption, "display_type_rich", _option_label)  # noqa: B010
setattr(typer.core.TyperArgument, "display_type_rich",  # noqa: B010
        lambda self, ctx: None)  # the argument's name is shown already

app = typer.Typer(help="casebot: open support cases from chat.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
cases_app = typer.Typer(help="Operator view of cases.", no_args_is_help=True)
profiles_app = typer.Typer(help="Contacts' product profiles.", no_args_is_help=True)
mail_app = typer.Typer(help="The mail outbox.", no_args_is_help=True)
contacts_app = typer.Typer(help="Contacts and their chat identities.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
urls_app = typer.Typer(help="URL ratings.", no_args_is_help=True)
accounts_app = typer.Typer(help="Customer accounts, made by operators for the domains they own.",
                           no_args_is_help=True)
app.add_typer(cases_app, name="cases")
app.add_typer(profiles_app, name="profiles")
app.add_typer(mail_app, name="mail")
app.add_typer(contacts_app, name="contacts")
app.add_typer(db_app, name="db")
app.add_typer(urls_app, name="urls")
app.add_typer(accounts_app, name="accounts")
audit_app = typer.Typer(help="The audit trail (who saw a full activation code, …).",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")
operators_app = typer.Typer(help="Support staff who sign in to the web console.",
                            no_args_is_help=True)
app.add_typer(operators_app, name="operators")

class _Out(io.TextIOBase):
    """stdout or stderr as they are now (CliRunner swaps them), showing terminal-driving
    characters as escapes (flows/clean.py)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _stream(self) -> TextIO:
        stream: TextIO = getattr(sys, self.name)
        return stream

    def write(self, text: str) -> int:
        return self._stream().write(for_terminal(text))

    def flush(self) -> None:
        self._stream().flush()

    def isatty(self) -> bool:
        return self._stream().isatty()

    def fileno(self) -> int:
        return self._stream().fileno()


# no colours: every byte printed goes through for_terminal, so no escape sequence is ours
out = Console(file=cast(TextIO, _Out("stdout")), highlight=False, markup=False, emoji=False,
              color_system=None)
err = Console(file=cast(TextIO, _Out("stderr")), stderr=True, highlight=False, markup=False,
              emoji=False, color_system=None)


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(message)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(for_terminal(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def console_email(settings: Settings, given: str | None) -> str:
    from flows.validators import email

    raw = given or settings.console_email or f"{getpass.getuser()}@example.com"
    try:
        return email(raw)
    except Invalid as exc:
        fail(f"--as: {exc}")
        raise


@app.command()
def chat(as_: Annotated[str | None, typer.Option("--as", metavar="EMAIL",
                                                 help="your email")] = None,
         name: Annotated[str, typer.Option(help="your name")] = "",
         describe: Annotated[Path | None, typer.Option(
             "--describe", metavar="FILE",
             help="start a request described by this file's text (a saved message)")] = None,
         ) -> None:
    """Open a case in the terminal (TTY or piped stdin, one answer per line)."""
    from adapters.console.app import ConsoleChat
    from bot.service import Who

    text = None
    if describe is not None:
        try:
            text = describe.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            fail(f"Can't read {describe}: {exc.strerror or exc}.", code=2)
    settings = Settings()
    address = console_email(settings, as_)
    service = build_service(settings)
    code = ConsoleChat(service, Who("console", address, email=address, name=name),
                       describe=text).run()
    raise typer.Exit(code)


@cases_app.command("list")
def cases_list(as_: Annotated[str | None, typer.Option("--as", metavar="EMAIL",
                                                       help="only this contact")] = None,
               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Cases, newest first."""
    engine = build_engine(Settings())
    with Session(engine) as s:
        contact_id = None
        if as_:
            contact = repo.contact_by_email(s, as_)
            if contact is None:
                fail(f"No contact with the email {as_}.")
            contact_id = contact.id
        cases = repo.cases_of(s, contact_id, limit=1000)
        rows = [repo.case_json(s, c) for c in cases] if as_json else []
        if as_json:
            print_json(rows)
            return
        table = Table("number", "status", "severity", "subject", "contact", "updated")
        for c in cases:
            contact = s.get(repo.Contact, c.contact_id)
            table.add_row(c.number, c.status, c.details.get("severity", ""), c.subject,
                          contact.email if contact else "", repo.iso(c.updated_at))
        out.print(table if cases else "No cases.")


def _case_or_fail(s: Session, number: str) -> Any:
    case = repo.case_by_number(s, number)
    if case is None:
        fail(f"No case {number}. `casebot cases list` shows the numbers.")
    return case


@cases_app.command("show")
def cases_show(number: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One case with its timeline."""
    from bot.mails import case_text

    engine = build_engine(Settings())
    with Session(engine) as s:
        data = repo.case_json(s, _case_or_fail(s, number))
    if as_json:
        print_json(data)
    else:
        out.print(case_text(data))


@cases_app.command("update")
def cases_update(number: str,
                 status: Annotated[str | None, typer.Option(help="new status")] = None,
                 note: Annotated[str | None, typer.Option(help="a note for the customer")] = None,
                 apply_urls: Annotated[bool, typer.Option(
                     "--apply-urls", help="URL Reclassification: make the requested ratings "
                     "the local ratings")] = False,
                 ) -> None:
    """Change a case's status and/or add a note; the contact is told."""
    from bot.reclassify import NotReclassification
    from bot.updates import update_case

    if not status and not note and not apply_urls:
        fail("Give --status, --note and/or --apply-urls.")
    service = build_service(Settings())
    try:
        update_case(service, number, status=status, note=note, apply_urls=apply_urls)
    except (LookupError, NotReclassification) as exc:
        fail(str(exc))
    out.print(f"Case {number} updated.")


@profiles_app.command("list")
def profiles_list(as_: Annotated[str, typer.Option("--as", metavar="EMAIL",
                                                   help="the contact's email")],
                  as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A contact's product profiles (activation codes masked)."""
    from dataclasses import asdict

    engine = build_engine(Settings())
    with Session(engine) as s:
        contact = repo.contact_by_email(s, as_)
        if contact is None:
            fail(f"No contact with the email {as_}.")
        views = repo.profile_views(s, repo.saved_id(contact))
    if as_json:
        print_json([asdict(v) for v in views])
        return
    table = Table("name", "product", "version", "systems", "language", "activation code")
    for v in views:
        table.add_row(v.name, v.product, v.version, ", ".join(v.operating_systems), v.language,
                      v.activation_code_masked or "")
    out.print(table if views else "No profiles.")


@mail_app.command("list")
def mail_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The outbox, newest first (verification codes never shown)."""
    from bot.mailer import REDACTED_BODY, SECRET_KINDS

    engine = build_engine(Settings())
    with Session(engine) as s:
        mails = repo.outbox(s, limit=1000)
        rows = [{"id": m.id, "kind": m.kind, "to": m.to, "cc": m.cc, "subject": m.subject,
                 "body_text": REDACTED_BODY if m.kind in SECRET_KINDS else m.body_text,
                 "status": m.status, "attempts": m.attempts,
                 "last_error": m.last_error, "headers": m.headers,
                 "next_attempt_at": repo.iso(m.next_attempt_at),
                 "sent_at": repo.iso(m.sent_at),
                 "created_at": repo.iso(m.created_at)} for m in mails]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "status", "to", "subject", "created")
    for r in rows:
        table.add_row(*(str(r[k] or "") for k in ("id", "status", "to", "subject",
                                                  "created_at")))
    out.print(table if rows else "The outbox is empty.")


@mail_app.command("send")
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


@accounts_app.command("add")
def accounts_add(name: Annotated[str, typer.Argument(help="the company's name")],
                 domain: Annotated[str, typer.Option(help="its email domain, e.g. acme.example")],
                 include_subdomains: Annotated[bool, typer.Option(
                     "--include-subdomains",
                     help="addresses at sub-domains (eu.acme.example) join too")] = False,
                 ) -> None:
    """Register a company; contacts with addresses at DOMAIN join it (sub-domains only with
    --include-subdomains). Public mail domains (gmail.com, …) are refused."""
    from bot.accounts import add_account

    with unit_of_work(build_engine(Settings())) as s:
        try:
            acct, what = add_account(s, name, domain, include_subdomains)
        except Invalid as exc:
            fail(str(exc))
        out.print(f"Account '{acct.name}' ({acct.domain}) {what}.")


@accounts_app.command("list")
def accounts_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Accounts with their domain and number of contacts."""
    from bot.accounts import list_accounts

    with Session(build_engine(Settings())) as s:
        rows = list_accounts(s)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "domain", "contacts", "created")
    for r in rows:
        domain = r["domain"] or ("(personal)" if r["personal"] else "")
        if r["include_subdomains"]:
            domain += " +sub-domains"
        table.add_row(str(r["id"]), r["name"], domain, str(r["contacts"]), r["created_at"])
    out.print(table if rows else "No accounts yet. Add one with `casebot accounts add`.")


@accounts_app.command("members")
def accounts_members(name: Annotated[str, typer.Argument(help="the account's name or domain")],
                     as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The contacts of an account, whether they are listed for CC, and their chat identities."""
    from bot.accounts import members

    with Session(build_engine(Settings())) as s:
        try:
            rows = members(s, name)
        except LookupError as exc:
            fail(str(exc))
            raise
    if as_json:
        print_json(rows)
        return
    table = Table("email", "name", "listed", "chat identities", "since")
    for r in rows:
        table.add_row(r["email"], r["name"], "yes" if r["listed"] else "no",
                      ", ".join(r["identities"]), r["created_at"])
    out.print(table if rows else "No contacts in this account yet.")


def read_password() -> str:
    """Twice at a terminal (no echo); otherwise the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            fail("The two passwords differ. Nothing was changed.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


@operators_app.command("add")
def operators_add(email: Annotated[str, typer.Argument(help="the operator's email")]) -> None:
    """Add an operator (or set a new password); the password is asked at the terminal or read
    from stdin."""
    from bot.operators import add_operator

    password = read_password()
    with Session(build_engine(Settings())) as s:
        try:
            op, what = add_operator(s, email, password)
        except Invalid as exc:
            fail(str(exc))
            raise
        s.commit()
        out.print(f"Operator {op.email} {what}.")


@operators_app.command("remove")
def operators_remove(email: Annotated[str, typer.Argument(help="the operator's email")]) -> None:
    """Remove an operator: they can no longer sign in, and their open sessions end."""
    from bot.operators import remove_operator

    with Session(build_engine(Settings())) as s:
        if not remove_operator(s, email):
            fail(f"No operator {email.strip()}. `casebot operators list` shows them.")
        s.commit()
    out.print(f"Operator {email.strip()} removed; their sessions have ended.")


@operators_app.command("list")
def operators_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Operators with their last sign-in."""
    from bot.operators import list_operators

    with Session(build_engine(Settings())) as s:
        rows = list_operators(s)
    if as_json:
        print_json(rows)
        return
    table = Table("email", "created", "last sign-in")
    for r in rows:
        table.add_row(r["email"], r["created_at"], r["last_sign_in_at"] or "never")
    out.print(table if rows else "No operators yet. Add one with `casebot operators add EMAIL`.")


@app.command()
def web(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="HTTP port")] = 8080,
        trusted_proxy: Annotated[list[str] | None, typer.Option(
            help="address of a reverse proxy in front (repeatable): its X-Forwarded-For names "
                 "the client, so the sign-in limit counts each browser, not the proxy")] = None,
        ) -> None:
    """The operator web console (sign in as an operator: `casebot operators add EMAIL`)."""
    import uvicorn

    from web.app import build_web_app

    settings = Settings()
    application = build_web_app(settings)
    err.print(f"casebot web console on http://{host}:{port}/ (Ctrl-C stops it)")
    # uvicorn's ProxyHeadersMiddleware believes X-Forwarded-For only from these peers
    uvicorn.run(application, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=bool(trusted_proxy),
                forwarded_allow_ips=",".join(trusted_proxy) if trusted_proxy else None)


@contacts_app.command("link")
def contacts_link(email: Annotated[str, typer.Option(help="the contact's email")],
                  telegram: Annotated[str | None, typer.Option(help="Telegram user id")] = None,
                  slack: Annotated[str | None, typer.Option(help="TEAM_ID:USER_ID")] = None,
                  ) -> None:
    """Link a chat identity to a contact (created if new), skipping email verification."""
    address, channel, ext = _identity_args(email, telegram, slack)
    engine = build_engine(Settings())
    with unit_of_work(engine) as s:
        contact = repo.ensure_contact(s, address)
        repo.link_identity(s, contact, channel, ext)
    out.print(f"Linked {channel} {ext} to {address}.")


@contacts_app.command("unlink")
def contacts_unlink(email: Annotated[str, typer.Option(help="the contact's email")],
                    telegram: Annotated[str | None, typer.Option(help="Telegram user id")] = None,
                    slack: Annotated[str | None, typer.Option(help="TEAM_ID:USER_ID")] = None,
                    ) -> None:
    """Remove a chat identity from a contact (e.g. one linked without the owner's consent)."""
    from bot.accounts import unlink

    address, channel, ext = _identity_args(email, telegram, slack)
    with unit_of_work(build_engine(Settings())) as s:
        try:
            unlink(s, address, channel, ext, actor="operator")
        except LookupError as exc:
            fail(str(exc))
    out.print(f"Unlinked {channel} {ext} from {address}.")


def _identity_args(email: str, telegram: str | None, slack: str | None) -> tuple[str, str, str]:
    from flows.validators import email as check_email

    if bool(telegram) == bool(slack):
        fail("Give exactly one of --telegram USER_ID or --slack TEAM_ID:USER_ID.")
    try:
        address = check_email(email)
    except Invalid as exc:
        fail(str(exc))
        raise
    if telegram is not None and not telegram.lstrip("-").isdigit():
        fail("--telegram takes the numeric Telegram user id.")
    if slack is not None and (slack.count(":") != 1 or not all(slack.split(":"))):
        fail("--slack takes TEAM_ID:USER_ID, e.g. T0123:U0456.")
    return (address, "telegram", telegram or "") if telegram else (address, "slack", slack or "")


@audit_app.command("list")
def audit_list(as_json: Annotated[bool, typer.Option("--json")] = False,
               limit: Annotated[int, typer.Option(help="newest this many")] = 200) -> None:
    """Sensitive reads and changes (full activation code reveals, unlinks), newest first."""
    from bot.audit import recent

    with Session(build_engine(Settings())) as s:
        rows = recent(s, limit)
    if as_json:
        print_json(rows)
        return
    table = Table("at", "actor", "action", "subject", "detail")
    for r in rows:
        table.add_row(r["at"], r["actor"], r["action"], r["subject"], r["detail"])
    out.print(table if rows else "Nothing audited yet.")


@app.command()
def slack(socket: Annotated[bool, typer.Option("--socket", help="Socket Mode")] = False,
          port: Annotated[int, typer.Option(help="HTTP port")] = 3000) -> None:
    """Run the Slack app: HTTP on /slack/events, or Socket Mode with --socket."""
    from adapters.slack.main import run

    raise typer.Exit(_with_background(lambda settings: run(settings, socket=socket, port=port)))


@app.command()
def telegram(webhook_url: Annotated[str | None, typer.Option(help="public webhook URL")] = None,
             port: Annotated[int, typer.Option(help="webhook listen port")] = 8443) -> None:
    """Run the Telegram bot: long polling, or a webhook with --webhook-url."""
    from adapters.telegram.app import run

    raise typer.Exit(_with_background(lambda settings: run(settings, webhook_url=webhook_url,
                                                           port=port)))


def _with_background(serve: Any) -> int:
    """Run a chat adapter with mail delivery and housekeeping beside it."""
    from bot.background import start_background

    settings = Settings()
    build_engine(settings).dispose()  # migrate an embedded SQLite database before threads start
    stop = start_background(settings)
    try:
        code: int = serve(settings)
        return code
    finally:
        stop()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply schema migrations."""
    from store.db import current_revision, upgrade

    engine = build_engine(Settings(), migrate=False, check=False)
    upgrade(engine)
    out.print(f"Database at revision {current_revision(engine)}.")


@db_app.command("prune")
def db_prune(hours: Annotated[float | None, typer.Option(
        help="keep delivery ids this many hours (default CASEBOT_DELIVERY_RETENTION_HOURS "
             "or 168)")] = None) -> None:
    """Forget old delivery ids, sent mails (CASEBOT_OUTBOX_RETENTION_HOURS), files no draft or
    case refers to (CASEBOT_FILE_RETENTION_HOURS), expired limit rows and week-old asks of
    people who never linked. Run it daily."""
    from datetime import timedelta

    from bot.maintenance import prune_all

    if hours is not None and hours < 0:
        fail("--hours must be 0 or more.")
    settings = Settings()
    done = prune_all(build_engine(settings), settings,
                     timedelta(hours=hours) if hours is not None else None)
    out.print(f"Forgot {done['delivery ids']} delivery ids, {done['mails']} old mails, "
              f"{done['files']} unreferenced files, {done['limit rows']} expired limit rows and "
              f"{done['identity waits']} unlinked first asks.")


@urls_app.command("check")
def urls_check(urls: list[str],
               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Rate 1-10 URLs: rating, category and group; URLs shown defanged."""
    from bot.ratings import describe, rating_lines
    from flows.urls import parse_url_list

    service = build_service(Settings())
    try:
        parsed = parse_url_list("\n".join(urls))
    except Invalid as exc:
        fail(str(exc))
        raise
    results = [describe(u, r)
               for u, r in zip(parsed, service.rate([u.url for u in parsed]), strict=True)]
    if as_json:
        print_json(results)
        return
    for d in results:
        for line in rating_lines(d):
            out.print(line, soft_wrap=True)


@urls_app.command("import")
def urls_import(file: Annotated[str, typer.Argument(help="CSV, JSON Lines or JSON array feed")],
                source: Annotated[str | None, typer.Option(
                    help="source for rows without one (default feed:FILE_NAME)")] = None,
                fmt: Annotated[str | None, typer.Option(
                    "--format", metavar="csv|jsonl|json",
                    help="csv, jsonl or json (an array of objects)")] = None,
                show: Annotated[int, typer.Option(
                    help="rejected rows to list (all are counted)")] = 50) -> None:
    """Load URL ratings (upsert). Columns: url|prefix|host|domain (or kind,key), rating,
    category, source. Prints added/changed/unchanged/rejected with line numbers and reasons."""
    import time

    from bot.feeds import import_feed

    engine = build_engine(Settings())
    tty = err.is_terminal
    if tty:
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        bar = Progress("[progress.description]{task.description}", BarColumn(),
                       DownloadColumn(), TimeRemainingColumn(),
                       console=Console(stderr=True), transient=True)  # counts only, no user text
        task = bar.add_task("importing", total=None)
        bar.start()
    last = [time.monotonic()]

    def progress(done: int, total: int, report: Any) -> None:
        if tty:
            bar.update(task, completed=done, total=total,
                       description=f"{report.rows:,} rows")
        elif time.monotonic() - last[0] >= 5 or done >= total:
            last[0] = time.monotonic()
            pct = 100 * done / total if total else 100
            err.print(f"{pct:5.1f}% · {report.rows:,} rows · {report.added:,} added · "
                      f"{report.changed:,} changed · {report.rejected:,} rejected")

    try:
        report = import_feed(engine, file, source=source, fmt=fmt, progress=progress)
    except Invalid as exc:
        fail(str(exc))
        raise
    finally:
        if tty:
            bar.stop()
    rate = report.rows / report.seconds if report.seconds else 0
    out.print(f"{report.rows:,} rows in {report.seconds:.1f} s ({rate:,.0f} rows/s): "
              f"{report.added:,} added, {report.changed:,} changed, "
              f"{report.unchanged:,} unchanged, {report.rejected:,} rejected.")
    for line, reason in report.rejects[:show]:
        out.print(f"  line {line}: {reason}", soft_wrap=True)
    if report.rejected > min(show, len(report.rejects)):
        out.print(f"  …and {report.rejected - min(show, len(report.rejects)):,} more rejected "
                  "rows (use --show N to list more).")


STORE_DOWN = ("casebot can't reach its database: check CASEBOT_DATABASE_URL and that the "
              "database server is running, then try again.")


def _line(message: str) -> None:
    """One line on stderr, never wrapped (operators grep and scripts read it)."""
    print(" ".join(message.split()), file=sys.stderr)


def main() -> None:
    """Every command: bad input exits 2, a store that is down or not upgraded exits 1, each
    with one line on stderr and no traceback."""
    from store.db import NotUpgraded

    try:
        app()
    except Invalid as exc:
        _line(str(exc))
        sys.exit(2)
    except NotUpgraded as exc:
        _line(str(exc))
        sys.exit(1)
    except sa.exc.ProgrammingError as exc:  # a table or column this casebot expects is missing
        _line("The database schema does not match this casebot: run `casebot db upgrade`. "
                  f"({type(exc.orig).__name__})")
        sys.exit(1)
    except (sa.exc.OperationalError, sa.exc.InterfaceError):
        _line(STORE_DOWN)
        sys.exit(1)


if __name__ == "__main__":
    main()
