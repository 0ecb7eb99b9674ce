"""`casebot files`: where attachment bytes live (store/blobs)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.app import build_engine
from bot.cli.common import cli_actor, fail, out
from bot.settings import Settings

app = typer.Typer(help="Attachment files.", no_args_is_help=True)

MB = 1024 * 1024


def say(line: str) -> None:
    out.print(line, soft_wrap=True)  # paths are not cut where the terminal wraps


@app.command("migrate")
def files_migrate(
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="count and verify what would move; write nothing")] = False,
        remove: Annotated[bool, typer.Option(
            "--remove", help="delete each file from the folder once its copy in the "
                             "database is verified (default: the folder is left as it is)")
        ] = False) -> None:
    """Move the attachments in CASEBOT_HOME/attachments into the database, so every machine
    reads them. Each copy is verified by its sha256; files already there are skipped, so it
    can be run again (or after an interruption) safely."""
    from bot.files_migrate import Migration, migrate_files
    from store.blobs.database import DatabaseBlobs
    from store.blobs.local import LocalBlobs
    from store.uow import unit_of_work

    settings = Settings()
    if settings.blobs_kind != "database":
        fail("Attachments are kept in the folder with this configuration, so there is "
             "nowhere to move them. Use PostgreSQL, e.g. "
             "CASEBOT_DATABASE_URL=postgresql+psycopg://casebot@db/casebot, and leave "
             "CASEBOT_BLOBS unset (or set CASEBOT_BLOBS=database), then run this again.")
    engine = build_engine(settings)
    source = LocalBlobs(settings.files_dir, settings.max_attachment_bytes)
    # files already accepted move whatever the per-file limit is now
    target = DatabaseBlobs(engine, 2**62, settings.home / "blob-temp")

    def progress(m: Migration) -> None:
        say(f"{m.seen}/{m.total} files, {m.seen_bytes / MB:,.1f}/"
                  f"{m.total_bytes / MB:,.1f} MB: {m.copied} "
                  f"{'to copy' if dry_run else 'copied'}, {m.present} already there"
                  + (f", {len(m.corrupt)} corrupt" if m.corrupt else ""))

    say(f"{'Checking' if dry_run else 'Moving'} the files in {settings.files_dir} "
              "into the database" + (" (dry run: nothing is written)." if dry_run else "."))
    m = migrate_files(source, target, dry_run=dry_run, remove=remove, progress=progress)
    for sha in m.corrupt:
        say(f"Corrupt, skipped: {source.path_for(sha)} (its bytes do not match its "
                  "name; it stays in the folder)")
    for name in m.strange:
        say(f"Not an attachment, left alone: {name}")
    verb = "would copy" if dry_run else "copied"
    say(f"Done: {m.copied} files ({m.copied_bytes / MB:,.1f} MB) {verb}, {m.present} "
              f"already in the database, {len(m.corrupt)} corrupt, {m.removed} removed "
              "from the folder.")
    if not dry_run and not remove and (m.copied or m.present):
        say(f"The folder {settings.files_dir} is left in place; once you are sure, "
                  "run `casebot files migrate --remove` to delete what is in the database.")
    if not dry_run and (m.copied or m.removed):  # a change: on the trail like `db prune`
        with unit_of_work(engine) as s:
            s.audit.record(cli_actor(), "files_migrate", "files",
                           f"{m.copied} copied, {m.present} present, "
                           f"{len(m.corrupt)} corrupt, {m.removed} removed")
    if m.corrupt:
        raise typer.Exit(1)
