"""URL feed imports started from the browser: `bot.feeds.import_feed` (what `casebot urls import`
runs) on a thread, with its progress kept so the progress page can show it.

Progress lives in this process's memory: the page that shows it is served by the process that
runs the import (one `casebot web` process; see docs/decisions.md). The rows themselves go to
the database batch by batch as with the CLI.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.feeds import Report, import_feed
from flows.errors import Invalid

KEEP = 20  # finished jobs remembered for their result page


@dataclass
class Job:
    id: str
    name: str
    done: int = 0
    total: int = 0
    report: Report = field(default_factory=Report)
    finished: bool = False
    error: str = ""

    @property
    def percent(self) -> int:
        return 100 if self.finished else int(100 * self.done / self.total) if self.total else 0


class Imports:
    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine = engine
        self.folder = folder
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()

    def start(self, path: Path, name: str) -> Job:
        job = Job(secrets.token_urlsafe(12), name)
        with self.lock:
            finished = [j for j in self.jobs.values() if j.finished]
            for old in finished[:max(0, len(finished) - KEEP)]:
                del self.jobs[old.id]
            self.jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, path), daemon=True,
                         name=f"feed-import-{job.id}").start()
        return job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def _run(self, job: Job, path: Path) -> None:
        def progress(done: int, total: int, report: Report) -> None:
            job.done, job.total, job.report = done, total, report

        try:
            job.report = import_feed(self.engine, path, source=f"feed:{job.name}",
                                     progress=progress)
        except Invalid as exc:
            job.error = str(exc)
        except Exception as exc:  # shown on the page rather than lost in a thread
            job.error = f"The import stopped: {exc}"
        finally:
            job.finished = True
            path.unlink(missing_ok=True)
