"""`casebot urls`: rating look-ups and rating feed imports."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from bot.app import build_engine, build_service
from bot.cli.common import cli_actor, err, fail, out, print_json
from bot.settings import Settings
from flows.errors import Invalid

app = typer.Typer(help="URL ratings.", no_args_is_help=True)


@app.command("check")
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


@app.command("import")
def urls_import(file: Annotated[str, typer.Argument(help="CSV, JSON Lines or JSON array feed")],
                source: Annotated[str | None, typer.Option(
                    help="source for rows without one (default feed:FILE_NAME)")] = None,
                fmt: Annotated[str | None, typer.Option(
                    "--format", metavar="csv|jsonl|json",
                    help="csv, jsonl or json (an array of objects)")] = None,
                show: Annotated[int, typer.Option(
                    help="rejected rows to list (all are counted)")] = 50) -> None:
    """Load URL ratings (upsert). Columns: url|prefix|host|domain (or kind,key), rating,
    category, source. Prints added/changed/unchanged/rejected with line numbers and reasons.
    Audited."""
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
        report = import_feed(engine, file, actor=cli_actor(), source=source, fmt=fmt,
                             progress=progress)
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
