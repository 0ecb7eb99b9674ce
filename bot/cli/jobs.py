"""`casebot worker` and `casebot jobs`: the job queue on PostgreSQL (bot/jobs.py)."""

from __future__ import annotations

import logging
import sys
from typing import Annotated, NoReturn

import typer
from rich.table import Table

from bot.app import build_engine
from bot.cli.common import out, print_json
from bot.settings import Settings

app = typer.Typer(help="The job queue (PostgreSQL): what waits, runs and failed.",
                  no_args_is_help=True)

ON_SQLITE = ("On SQLite, jobs run inside the chat processes (casebot slack / telegram / chat); "
             "`casebot worker` is for PostgreSQL (CASEBOT_DATABASE_URL=postgresql+psycopg://…).")


def _on_sqlite() -> NoReturn:
    """One line on stderr (never wrapped: scripts read it), exit 2."""
    print(ON_SQLITE, file=sys.stderr)
    raise typer.Exit(2)


def worker(concurrency: Annotated[int | None, typer.Option(
               help="jobs run at once (default CASEBOT_JOB_CONCURRENCY)")] = None) -> None:
    """Run the jobs (sample checks, mail, chat notices, staff alerts, housekeeping) until
    SIGTERM or Ctrl-C, finishing the ones in hand."""
    settings = Settings()
    engine = build_engine(settings)
    if engine.dialect.name != "postgresql":
        _on_sqlite()
    from bot.processes import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    try:
        run_worker(settings, engine, concurrency=concurrency)
    finally:
        engine.dispose()


@app.command("list")
def jobs_list(failed: Annotated[bool, typer.Option("--failed", help="failed jobs only")] = False,
              as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Jobs waiting, running and failed, newest first, with their last error."""
    from bot.jobs import job_rows

    engine = build_engine(Settings())
    if engine.dialect.name != "postgresql":
        _on_sqlite()
    rows = job_rows(engine, failed=failed)
    engine.dispose()
    if as_json:
        print_json(rows)
        return
    table = Table("id", "task", "status", "attempts", "scheduled", "last error")
    for r in rows:
        table.add_row(str(r["id"]), r["task"], r["status"], str(r["attempts"]),
                      r["scheduled_at"] or "", r["last_error"] or "")
    out.print(table if rows else ("No failed jobs." if failed else "No jobs waiting."))
