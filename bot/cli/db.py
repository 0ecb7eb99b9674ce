"""`casebot db`: schema migrations and pruning."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.app import build_engine
from bot.cli.common import cli_actor, fail, out
from bot.settings import Settings

app = typer.Typer(help="The database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply schema migrations; cases made before the response clock get their due times."""
    from bot.clock import recompute_due, use
    from store.db import current_revision, upgrade

    settings = Settings()
    use(settings)
    engine = build_engine(settings, migrate=False, check=False)
    upgrade(engine)
    done = recompute_due(engine)
    out.print(f"Database at revision {current_revision(engine)}."
              + (f" Due times set for {done} older cases." if done else ""))


@app.command("prune")
def db_prune(hours: Annotated[float | None, typer.Option(
        help="keep delivery ids this many hours (default CASEBOT_DELIVERY_RETENTION_HOURS "
             "or 168)")] = None) -> None:
    """Forget old delivery ids, sent mails (CASEBOT_OUTBOX_RETENTION_HOURS), files no draft or
    case refers to (CASEBOT_FILE_RETENTION_HOURS), expired limit rows and week-old asks of
    people who never linked. Run it daily."""
    from datetime import timedelta

    from bot.maintenance import prune_all
    from store.uow import unit_of_work

    if hours is not None and hours < 0:
        fail("--hours must be 0 or more.")
    settings = Settings()
    engine = build_engine(settings)
    done = prune_all(engine, settings, timedelta(hours=hours) if hours is not None else None)
    with unit_of_work(engine) as s:  # an operator's deletion, on the trail like the others
        s.audit.record(cli_actor(), "db_prune", "database",
                       ", ".join(f"{n} {what}" for what, n in done.items()))
    out.print(f"Forgot {done['delivery ids']} delivery ids, {done['mails']} old mails, "
              f"{done['staff alerts']} old staff alerts, "
              f"{done['files']} unreferenced files, {done['limit rows']} expired limit rows and "
              f"{done['identity waits']} unlinked first asks.")
