"""The core, wired from settings: an upgraded engine and a ready `Service`.

Everything that needs the core builds it here (the CLI, workers, tests). The processes that put
a chat adapter or the web console around it are composed in bot/processes.py.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot import clock as response_clock
from bot import jobs
from bot.alerts import Staff
from bot.blobs import make_blobs
from bot.event import system_clock
from bot.ratings import make_provider
from bot.samples import SampleChecker, SampleChecks
from bot.service import Service
from bot.settings import Settings
from flows.context import Clock
from store.blobs import Blobs
from store.db import check_upgraded, current_revision, make_engine, private_dir, upgrade


def build_engine(settings: Settings, *, migrate: bool | None = None,
                 check: bool = True) -> Engine:
    """SQLite is upgraded in place; any other database must already be (`casebot db
    upgrade`), else `store.db.NotUpgraded` says so before anything else runs."""
    private_dir(settings.home)  # CASEBOT_HOME holds the database and samples: 0700
    engine = make_engine(settings.db_url, pooler=settings.database_pooler,
                         direct_url=settings.database_direct_url)
    jobs.attach(engine)  # PostgreSQL: rows that need a job get one (bot/jobs.py)
    if migrate if migrate is not None else engine.dialect.name == "sqlite":
        before = current_revision(engine)
        upgrade(engine)
        if current_revision(engine) != before:  # cases made before the response clock (0012)
            response_clock.use(settings)
            response_clock.recompute_due(engine)
    elif check:
        check_upgraded(engine)
    return engine


def build_service(settings: Settings | None = None, engine: Engine | None = None,
                  clock: Clock = system_clock) -> Service:
    settings = settings or Settings()
    response_clock.use(settings)  # the response clock's calendar and targets (bot/clock.py)
    engine = engine or build_engine(settings)
    files = make_blobs(settings, engine)
    provider = make_provider(engine, settings.url_rating_url)
    return Service(engine, files, rate=provider.rate,
                   max_attachment_bytes=settings.max_attachment_bytes,
                   mail_from=settings.mail_from, unknown_domains=settings.unknown_domains,
                   cc_outside_domains=settings.cc_outside_domains,
                   max_cases_per_hour=settings.max_cases_per_hour,
                   samples=sample_checks(settings, engine, files),
                   file_quota_bytes=settings.file_quota_mb * 1024 * 1024,
                   files_budget_bytes=settings.files_budget_mb * 1024 * 1024,
                   reopen_days=settings.reopen_days, clock=clock,
                   default_language=settings.default_language,
                   staff=Staff.from_settings(settings),
                   followup_days=settings.followup_days)


def sample_checks(settings: Settings, engine: Engine, files: Blobs) -> SampleChecker:
    """On PostgreSQL checks are jobs any worker runs (bot/sample_jobs.py); on SQLite they run
    in this process's bounded pool (bot/samples.py)."""
    queue = jobs.attach(engine)
    if queue is None:
        return SampleChecks(settings.zip_check_workers, settings.zip_check_seconds,
                            blobs=files)
    from bot.sample_jobs import SharedSampleChecks

    return SharedSampleChecks(engine, queue, settings.zip_check_seconds)
