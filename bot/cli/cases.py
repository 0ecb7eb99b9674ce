"""`casebot cases`: the operator's view of cases, and their updates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from bot.app import build_engine, build_service
from bot.cli.common import cli_actor, fail, out, print_json
from bot.settings import Settings
from store.tables import iso
from store.uow import UnitOfWork, unit_of_work

app = typer.Typer(help="Operator view of cases.", no_args_is_help=True)


@app.command("list")
def cases_list(as_: Annotated[str | None, typer.Option("--as", metavar="EMAIL",
                                                       help="only this contact")] = None,
               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Cases, newest first."""
    engine = build_engine(Settings())
    with unit_of_work(engine, read_only=True) as s:
        contact_id = None
        if as_:
            contact = s.contacts.by_email(as_)
            if contact is None:
                fail(f"No contact with the email {as_}.")
            contact_id = contact.id
        cases = s.cases.of_contact(contact_id, limit=1000)
        rows = [s.cases.as_json(c, internal=True) for c in cases] if as_json else []
        if as_json:
            print_json(rows)
            return
        table = Table("number", "status", "severity", "subject", "contact", "updated")
        for c in cases:
            contact = s.contacts.get(c.contact_id)
            table.add_row(c.number, c.status, c.details.get("severity", ""), c.subject,
                          contact.email if contact else "", iso(c.updated_at))
        out.print(table if cases else "No cases.")


def _case_or_fail(s: UnitOfWork, number: str) -> Any:
    case = s.cases.by_number(number)
    if case is None:
        fail(f"No case {number}. `casebot cases list` shows the numbers.")
    return case


@app.command("show")
def cases_show(number: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One case with its timeline."""
    from bot.mails import case_text

    engine = build_engine(Settings())
    with unit_of_work(engine, read_only=True) as s:
        data = s.cases.as_json(_case_or_fail(s, number), internal=True)
        went = s.messages.deliveries([m["id"] for m in data["messages"]])
    if as_json:
        print_json(data)
    else:
        out.print(case_text(data, went))


@app.command("update")
def cases_update(number: str,
                 status: Annotated[str | None, typer.Option(help="new status")] = None,
                 note: Annotated[str | None, typer.Option(help="a note for the customer")] = None,
                 apply_urls: Annotated[bool, typer.Option(
                     "--apply-urls", help="URL Reclassification: make the requested ratings "
                     "the local ratings")] = False,
                 ) -> None:
    """Change a case's status and/or add a note; the contact is told. Audited."""
    from bot.reclassify import AlreadyApplied, NotReclassification
    from bot.updates import update_case

    if not status and not note and not apply_urls:
        fail("Give --status, --note and/or --apply-urls.")
    service = build_service(Settings())
    try:
        update_case(service, number, status=status, note=note, apply_urls=apply_urls,
                    actor=cli_actor())
    except AlreadyApplied as exc:  # nothing changed or sent: the same command again is fine
        if note or (status and status.lower() != exc.status):
            fail(f"{exc} Nothing was changed: run the update again without --apply-urls.")
        out.print(f"Case {number}: the requested ratings were {str(exc)[0].lower()}"
                  f"{str(exc)[1:]} Nothing was changed or sent again.")
        return
    except (LookupError, NotReclassification) as exc:
        fail(str(exc))
    out.print(f"Case {number} updated.")


@app.command("reply")
def cases_reply(number: str,
                text: Annotated[str, typer.Argument(help="the message")],
                as_: Annotated[str | None, typer.Option(
                    "--as", metavar="OPERATOR_EMAIL",
                    help="who wrote it (default: cli: and your login name)")] = None,
                internal: Annotated[bool, typer.Option(
                    "--internal", help="an internal note: never sent to the customer")] = False,
                attach: Annotated[list[Path] | None, typer.Option(
                    "--attach", metavar="PATH", help="a file to send with it (repeatable)")
                ] = None,
                status: Annotated[str | None, typer.Option(help="new status")] = None,
                ) -> None:
    """An operator's message on the case: a reply (to the customer's chat and by mail) or an
    internal note. Prints the message id. Audited."""
    from bot.updates import STATUSES, reply_case
    from flows.errors import Invalid

    if not text.strip():
        fail("Write the message: casebot cases reply NUMBER TEXT.")
    if status is not None and status.lower() not in STATUSES:
        fail(f"Unknown status {status!r}. Use one of: {', '.join(STATUSES)}.")
    author = (as_ or "").strip() or None
    service = build_service(Settings())
    with unit_of_work(service.engine, read_only=True) as s:
        _case_or_fail(s, number)  # before any file is stored
    try:
        files = [service.files.put_path(path) for path in attach or []]
        message_id = reply_case(service, number, actor=cli_actor(), author=author,
                                text=text, internal=internal, files=files, status=status)
    except (LookupError, Invalid, OSError) as exc:
        fail(str(exc))
    out.print(str(message_id))


NOBODY = "-"


@app.command("assign")
def cases_assign(number: str,
                 operator: Annotated[str | None, typer.Argument(
                     metavar="OPERATOR_EMAIL",
                     help=f"the new owner (an operator); '{NOBODY}' or --nobody: no owner"
                 )] = None,
                 nobody: Annotated[bool, typer.Option(
                     "--nobody", help="unassign: the case has no owner")] = False,
                 ) -> None:
    """Set the case's owner (an operator, `casebot operators list`), or unassign it with
    `-` or --nobody. Audited."""
    from bot.desk import assign

    if nobody and operator not in (None, NOBODY):
        fail("Give an OPERATOR_EMAIL or --nobody, not both.")
    if not nobody and operator is None:
        fail("Give the new owner: casebot cases assign NUMBER OPERATOR_EMAIL "
             f"(or '{NOBODY}' / --nobody to unassign).")
    owner = None if nobody or operator == NOBODY else (operator or "").strip()
    with unit_of_work(build_engine(Settings())) as s:
        case = _case_or_fail(s, number)
        try:
            changed = assign(s, case, owner, actor=cli_actor())
        except LookupError as exc:
            fail(str(exc))
        now = case.assignee
    if not changed:
        out.print(f"Case {number} already has {'no owner' if now is None else now}.")
    elif now is None:
        out.print(f"Case {number} has no owner now.")
    else:
        out.print(f"Case {number} assigned to {now}.")


@app.command("recompute-due")
def cases_recompute_due(every: Annotated[bool, typer.Option(
        "--all", help="recompute every unresolved case (after changing "
                      "CASEBOT_BUSINESS_HOURS, CASEBOT_TIMEZONE or the catalog's response "
                      "times), not only those that have none")] = False) -> None:
    """Set the response due times of cases that have none (made before the response clock;
    `casebot db upgrade` does this too), or with --all recompute every unresolved case's."""
    from bot.clock import recompute_due, use

    settings = Settings()
    use(settings)
    done = recompute_due(build_engine(settings), every=every)
    out.print(f"Due times {'recomputed' if every else 'set'} for {done} "
              f"case{'s' if done != 1 else ''}.")
