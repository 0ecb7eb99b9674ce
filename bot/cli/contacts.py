"""`casebot contacts`: link and unlink a contact's chat identities."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.app import build_engine
from bot.cli.common import cli_actor, fail, out
from bot.settings import Settings
from flows.errors import Invalid
from store.uow import unit_of_work

app = typer.Typer(help="Contacts and their chat identities.", no_args_is_help=True)


@app.command("link")
def contacts_link(email: Annotated[str, typer.Option(help="the contact's email")],
                  telegram: Annotated[str | None, typer.Option(help="Telegram user id")] = None,
                  slack: Annotated[str | None, typer.Option(help="TEAM_ID:USER_ID")] = None,
                  ) -> None:
    """Link a chat identity to a contact (created if new), skipping email verification. The
    address is mailed about it (with how to undo it) and the link is audited."""
    from bot.identities import link

    address, channel, ext = _identity_args(email, telegram, slack)
    settings = Settings()
    with unit_of_work(build_engine(settings)) as s:
        new = link(s, address, channel, ext, actor=cli_actor(),
                   default_language=settings.default_language)
    out.print(f"Linked {channel} {ext} to {address}." if new
              else f"{channel} {ext} was already linked to {address}.")


@app.command("unlink")
def contacts_unlink(email: Annotated[str, typer.Option(help="the contact's email")],
                    telegram: Annotated[str | None, typer.Option(help="Telegram user id")] = None,
                    slack: Annotated[str | None, typer.Option(help="TEAM_ID:USER_ID")] = None,
                    ) -> None:
    """Remove a chat identity from a contact (e.g. one linked without the owner's consent);
    audited."""
    from bot.accounts import unlink

    address, channel, ext = _identity_args(email, telegram, slack)
    with unit_of_work(build_engine(Settings())) as s:
        try:
            unlink(s, address, channel, ext, actor=cli_actor())
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
