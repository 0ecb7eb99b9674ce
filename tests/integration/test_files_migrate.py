"""`casebot files migrate`: the attachment folder's files into PostgreSQL, verified by their
sha256; a dry run writes nothing, a rerun copies nothing, a corrupt file is reported and
skipped (nothing of it kept), and the folder stays unless `--remove`."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.cli.main import app
from store.blobs.database import DatabaseBlobs
from store.blobs.local import LocalBlobs
from store.db import make_engine, upgrade

MB = 1024 * 1024


def migrate(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["files", "migrate", *args], env=env)
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def env(pg_url: str, tmp_path: Path) -> dict[str, str]:
    upgrade(make_engine(pg_url))
    return {"CASEBOT_DATABASE_URL": pg_url, "CASEBOT_HOME": str(tmp_path / "home")}


def test_files_move_into_the_database_once(env: dict[str, str], tmp_path: Path) -> None:
    folder = LocalBlobs(tmp_path / "home" / "attachments", 300 * MB)
    datas = [os.urandom(n) for n in (10, 3 * MB + 1, 0, 150_000)]
    shas = [folder.put_bytes(d, f"f{n}").sha256 for n, d in enumerate(datas)]
    bad = folder.put_bytes(b"will be damaged on disk", "bad.log").sha256
    folder.path_for(bad).write_bytes(b"damaged")  # bit rot: the name no longer matches
    engine = make_engine(env["CASEBOT_DATABASE_URL"])
    target = DatabaseBlobs(engine, 300 * MB, tmp_path / "temp")

    code, said = migrate(env, "--dry-run")
    assert code == 1, said  # the corrupt file fails the run
    assert "dry run: nothing is written" in said
    assert "Done: 4 files (3.1 MB) would copy, 0 already in the database, 1 corrupt" in said
    assert f"Corrupt, skipped: {folder.path_for(bad)}" in said
    assert list(target.stored()) == []

    code, said = migrate(env)
    assert code == 1, said
    assert "5/5 files" in said  # the progress line
    assert "Done: 4 files (3.1 MB) copied, 0 already in the database, 1 corrupt, 0 removed" \
        in said
    assert "left in place" in said
    assert sorted(target.stored()) == sorted(zip(shas, map(len, datas), strict=True))
    for sha, data in zip(shas, datas, strict=True):
        assert hashlib.sha256(b"".join(target.chunks(sha))).hexdigest() == sha
        assert b"".join(target.chunks(sha)) == data
        assert folder.exists(sha)  # the folder is left as it was
    assert not target.exists(bad)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM blob_chunks WHERE sha256 NOT IN "
                                    "(SELECT sha256 FROM blobs)")).scalar_one() == 0
        audit = conn.execute(sa.text("SELECT detail FROM audit_events "
                                     "WHERE action = 'files_migrate'")).scalars().all()
    assert audit == ["4 copied, 0 present, 1 corrupt, 0 removed"]

    code, said = migrate(env)  # a rerun: everything is there already
    assert "Done: 0 files (0.0 MB) copied, 4 already in the database, 1 corrupt" in said

    folder.remove(bad)
    code, said = migrate(env, "--remove")
    assert code == 0, said
    assert "4 already in the database, 0 corrupt, 4 removed from the folder" in said
    assert list(folder.stored()) == []
    engine.dispose()


def test_the_folder_configuration_has_nowhere_to_move_to(env: dict[str, str]) -> None:
    code, said = migrate({**env, "CASEBOT_BLOBS": "local"})
    assert code == 2
    assert "nowhere to move them" in said
    assert "CASEBOT_DATABASE_URL=postgresql+psycopg://" in said
