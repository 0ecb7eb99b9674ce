"""Which blob store this process uses (CASEBOT_BLOBS; store/blobs)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.settings import Settings
from store.blobs import Blobs
from store.blobs.database import DatabaseBlobs
from store.blobs.local import LocalBlobs


def make_blobs(settings: Settings, engine: Engine) -> Blobs:
    """The database, so every machine reads the same bytes (the default on PostgreSQL), or
    the folder under CASEBOT_HOME (one machine; the default on SQLite)."""
    if settings.blobs_kind == "database":
        return DatabaseBlobs(engine, settings.max_attachment_bytes,
                             settings.home / "blob-temp")
    return LocalBlobs(settings.files_dir, settings.max_attachment_bytes)
