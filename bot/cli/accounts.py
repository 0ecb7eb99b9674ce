"""`casebot accounts`: customer accounts and who is in them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bot.app import build_engine
from bot.cli.common import cli_actor, fail, out, print_json
from bot.i18n import LANGUAGES
from bot.settings import Settings
from flows.errors import Invalid
from store.uow import unit_of_work

app = typer.Typer(help="Customer accounts, made by operators for the domains they own.",
                  no_args_is_help=True)


@app.command("add")
def accounts_add(name: Annotated[str, typer.Argument(help="the company's name")],
                 domain: Annotated[str, typer.Option(help="its email domain, e.g. acme.example")],
                 include_subdomains: Annotated[bool, typer.Option(
                     "--include-subdomains",
                     help="addresses at sub-domains (eu.acme.example) join too")] = False,
                 plan: Annotated[str | None, typer.Option(
                     help="standard (default) or premium: which response times apply")] = None,
                 language: Annotated[str | None, typer.Option(
                     help=f"the default language of its contacts ({', '.join(LANGUAGES)}); "
                          "their own choice and their chat's language come first")] = None,
                 ) -> None:
    """Register a company; contacts with addresses at DOMAIN join it (sub-domains only with
    --include-subdomains). Public mail domains (gmail.com, …) are refused. Audited."""
    from bot.accounts import add_account

    with unit_of_work(build_engine(Settings())) as s:
        try:
            acct, what = add_account(s, name, domain, include_subdomains,
                                      actor=cli_actor(), plan=plan, language=language)
        except Invalid as exc:
            fail(str(exc))
        out.print(f"Account '{acct.name}' ({acct.domain}) {what}.")
        if plan is not None:
            out.print(f"Plan: {acct.plan}.")
        if language is not None:
            out.print(f"Default language: {_language_name(acct.language)}.")


@app.command("plan")
def accounts_plan(name: Annotated[str, typer.Argument(help="the account's name or domain")],
                  plan: Annotated[str, typer.Argument(help="standard or premium")]) -> None:
    """Change the account's plan: the catalog's standard or premium response times apply to
    its cases, the open ones' due times at once. Audited."""
    from bot.accounts import set_plan

    with unit_of_work(build_engine(Settings())) as s:
        try:
            changed = set_plan(s, name, plan, actor=cli_actor())
        except (Invalid, LookupError) as exc:
            fail(str(exc))
    out.print(f"Account '{name}' is on the {plan.strip().lower()} plan; due times of "
              f"{changed} open case{'s' if changed != 1 else ''} recomputed.")


@app.command("language")
def accounts_language(name: Annotated[str, typer.Argument(help="the account's name or domain")],
                      language: Annotated[str, typer.Argument(
                          help=f"{', '.join(LANGUAGES)}, or none to clear it")]) -> None:
    """Set the account's default language: what casebot speaks to its contacts who chose
    none (/language) and whose chat says none (Slack's locale, Telegram's language_code).
    `none` clears it: CASEBOT_DEFAULT_LANGUAGE then applies. Audited."""
    from bot.accounts import find, set_default_language

    with unit_of_work(build_engine(Settings())) as s:
        try:
            acct = find(s, name)
            code = set_default_language(s, acct, language, actor=cli_actor())
        except (Invalid, LookupError) as exc:
            fail(str(exc))
        out.print(f"Account '{acct.name}': default language {_language_name(code)}.")


def _language_name(code: str | None) -> str:
    """"ja (日本語)"; "none (CASEBOT_DEFAULT_LANGUAGE applies)" when there is none."""
    if code is None:
        return "none (CASEBOT_DEFAULT_LANGUAGE applies)"
    return f"{code} ({LANGUAGES.get(code, code)})"


@app.command("list")
def accounts_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Accounts with their domain and number of contacts."""
    from bot.accounts import list_accounts

    with unit_of_work(build_engine(Settings()), read_only=True) as s:
        rows = list_accounts(s)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "domain", "plan", "language", "contacts", "created")
    for r in rows:
        domain = r["domain"] or ("(personal)" if r["personal"] else "")
        if r["include_subdomains"]:
            domain += " +sub-domains"
        table.add_row(str(r["id"]), r["name"], domain, r["plan"], r["language"] or "-",
                      str(r["contacts"]), r["created_at"])
    out.print(table if rows else "No accounts yet. Add one with `casebot accounts add`.")


@app.command("members")
def accounts_members(name: Annotated[str, typer.Argument(help="the account's name or domain")],
                     as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The contacts of an account, whether they are listed for CC, and their chat identities."""
    from bot.accounts import members

    with unit_of_work(build_engine(Settings()), read_only=True) as s:
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
