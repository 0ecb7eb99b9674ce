"""URL feed imports started from the browser: `bot.feeds.import_feed` (what `casebot urls import`
runs) on a thread, its progress and result in table `feed_imports`.

In the database, any console process shows any import, and a restart keeps its result page.
An import whose process stopped (a restart, a crash) shows as stopped with what it had saved:
the running process touches its row at every batch and every `HEARTBEAT`, so a row untouched
for `STOPPED_AFTER` belongs to no process. The rows themselves go to the database batch by
batch as with the CLI, so importing the file again finishes the job (rows already in count as
unchanged).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.feeds import Report, import_feed
from flows.errors import Invalid
from store.tables import FeedImport, as_utc, utcnow
from store.uow import unit_of_work

log = logging.getLogger(__name__)

KEEP = 50  # imports remembered for their result page, newest first
REJECTS_SHOWN = 100
HEARTBEAT = 20.0  # seconds between touches of a running import's row
STOPPED_AFTER = timedelta(minutes=2)


@dataclass
class Job:
    """What the progress page shows of one import."""

    id: str
    name: str
    done: int = 0
    total: int = 0
    report: Report = field(default_factory=Report)
    finished: bool = False
    error: str = ""
    stopped: bool = False  # its process ended before it finished

    @property
    def running(self) -> bool:
        return not self.finished and not self.stopped

    @property
    def failed(self) -> bool:
        """It ended on an error (`error` says why): the rows before it are saved, no more."""
        return self.finished and bool(self.error)

    @property
    def state(self) -> str:
        """What the progress page's label says."""
        return ("Failed" if self.failed else "Finished" if self.finished
                else "Stopped" if self.stopped else "In progress")

    @property
    def percent(self) -> int:
        if self.finished and not self.error:
            return 100
        return min(99, int(100 * self.done / self.total)) if self.total else 0

    @staticmethod
    def of(row: FeedImport, now: datetime) -> Job:
        report = Report(added=row.added, changed=row.changed, unchanged=row.unchanged,
                        rejected=row.rejected, seconds=row.seconds,
                        rejects=[(line, reason) for line, reason in row.rejects])
        stopped = not row.finished and as_utc(row.updated_at) < now - STOPPED_AFTER
        return Job(row.id, row.name, row.done_bytes, row.total_bytes, report, row.finished,
                   row.error, stopped)


class Imports:
    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine = engine
        self.folder = folder
        self.running: set[str] = set()
        self.lock = threading.Lock()
        self.beating = False
        self.sweep()

    def sweep(self) -> int:
        """Remove uploads no running import needs: those of imports that finished, stopped
        (their page never viewed) or are no longer kept, and strays. A file younger than
        `STOPPED_AFTER` stays: it may be an upload still being written, before its row.
        Runs when a console starts and with every new import; returns how many went."""
        if not self.folder.is_dir():
            return 0
        try:
            with unit_of_work(self.engine, read_only=True) as s:
                now = utcnow()
                alive = {row.upload for row in s.feed_imports.unfinished()
                         if not Job.of(row, now).stopped}
        except sa.exc.SQLAlchemyError:  # the console still starts; the next sweep will do
            log.warning("could not list feed imports to sweep uploads", exc_info=True)
            return 0
        old = time.time() - STOPPED_AFTER.total_seconds()
        gone = 0
        for path in self.folder.iterdir():
            try:
                if path.is_file() and path.name not in alive and path.stat().st_mtime < old:
                    path.unlink()
                    gone += 1
            except OSError:  # removed meanwhile by another console, or not ours to remove
                continue
        return gone

    def start(self, path: Path, name: str, *, actor: str) -> Job:
        """Import the uploaded `path` in a thread of its own; audited as `actor`."""
        row = FeedImport(id=secrets.token_urlsafe(12), name=name, upload=path.name,
                         total_bytes=path.stat().st_size)
        with unit_of_work(self.engine) as s:
            s.feed_imports.start(row, keep=KEEP)
        self.sweep()
        with self.lock:
            self.running.add(row.id)
            if not self.beating:
                self.beating = True
                threading.Thread(target=self._heartbeat, daemon=True,
                                 name="feed-import-heartbeat").start()
        threading.Thread(target=self._run, args=(row.id, name, path, actor), daemon=True,
                         name=f"feed-import-{row.id}").start()
        return Job(row.id, name, total=row.total_bytes)

    def get(self, job_id: str) -> Job | None:
        with unit_of_work(self.engine, read_only=True) as s:
            row = s.feed_imports.get(job_id)
            if row is None:
                return None
            job = Job.of(row, utcnow())
        if job.stopped:  # its process is gone: so is the need for the uploaded file
            (self.folder / row.upload).unlink(missing_ok=True)
        return job

    def _save(self, job_id: str, done: int, total: int, report: Report, *,
              finished: bool = False, error: str = "") -> None:
        values = dict(done_bytes=done, total_bytes=total, added=report.added,
                      changed=report.changed, unchanged=report.unchanged,
                      rejected=report.rejected, seconds=report.seconds,
                      rejects=[list(r) for r in report.rejects[:REJECTS_SHOWN]],
                      finished=finished, error=error, updated_at=utcnow())
        with unit_of_work(self.engine) as s:
            s.feed_imports.update([job_id], values)

    def _run(self, job_id: str, name: str, path: Path, actor: str) -> None:
        total = path.stat().st_size
        last: list[tuple[int, Report]] = [(0, Report())]  # the latest progress, kept on a failure

        def progress(done: int, total: int, report: Report) -> None:
            last[0] = (done, report)
            self._save(job_id, done, total, report)

        error = ""
        try:
            last[0] = (total, import_feed(self.engine, path, actor=actor,
                                          source=f"feed:{name}", progress=progress))
        except Invalid as exc:
            error = self._named(str(exc), path, name)
        except Exception as exc:  # shown on the page rather than lost in a thread
            log.warning("feed import failed", exc_info=True)
            error = self._named(f"The import failed: {exc}", path, name)
        finally:
            with self.lock:
                self.running.discard(job_id)
            path.unlink(missing_ok=True)
        done, report = last[0]
        self._save(job_id, done, total, report, finished=True, error=error)

    def _named(self, error: str, path: Path, name: str) -> str:
        """The error as the operator knows the file: by the name they uploaded, never the
        console's own temporary file (its path tells the server's layout)."""
        for internal in (str(path), str(self.folder), path.name):
            error = error.replace(internal, name)
        return error

    def _heartbeat(self) -> None:
        """Touch the rows of this process's running imports, so they don't look stopped
        while one long batch (or a JSON array being read whole) gives no progress."""
        while True:
            time.sleep(HEARTBEAT)
            with self.lock:
                ids = list(self.running)
            if not ids:
                continue
            try:
                with unit_of_work(self.engine) as s:
                    s.feed_imports.update(ids, {"updated_at": utcnow()})
            except sa.exc.SQLAlchemyError:  # the next beat, or the import's progress, will do
                log.warning("feed import heartbeat missed", exc_info=True)
