"""Issue 26: casebot behind PgBouncer in transaction mode (README, "Several machines").

A real PgBouncer (Debian's package; `.ci/run` installs it) in transaction mode, two server
connections for every client, in front of the test PostgreSQL. Without
CASEBOT_DATABASE_POOLER=pgbouncer, psycopg prepares a statement it runs often on the server
connection it happens to be on, and a later transaction of the same client lands on another
one ("prepared statement "_pg3_0" does not exist" / "already exists"); with it, psycopg
prepares nothing, and migrations and whole conversations run through the pooler. What holds a
session (LISTEN, the Telegram poller's advisory lock) uses the direct URL, or says it needs
one.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from bot import jobs
from bot.app import build_service
from bot.chat import Chat
from bot.settings import Settings
from bot.worker import handle_until_applied
from store import poller
from store.db import make_engine, upgrade
from tests.integration import workload

pytestmark = pytest.mark.timeout(180)

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
CONVERSATIONS = 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def bouncer(pg_url: str) -> Iterator[str]:
    """PgBouncer in transaction mode in front of `pg_url`'s server; its URL to the same
    database."""
    if not Path(PGBOUNCER).exists():
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)")
    target = sa.make_url(pg_url)
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="casebot-pgbouncer-"))
    folder.chmod(0o755)  # PgBouncer refuses to run as root: it runs as postgres, reading this
    (folder / "users.txt").write_text(f'"{target.username}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={target.host or '127.0.0.1'} port={target.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 200\n"
        "ignore_startup_parameters = extra_float_digits\n")
    for f in folder.iterdir():
        f.chmod(0o644)
    as_user = (["-u", "postgres"] if os.geteuid() == 0 and _has_user("postgres") else [])
    proc = subprocess.Popen([PGBOUNCER, *as_user, str(folder / "pgbouncer.ini")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = target.set(port=port)
    try:
        _wait_for(url, proc)
        yield url.render_as_string(hide_password=False)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _wait_for(url: sa.URL, proc: subprocess.Popen[bytes]) -> None:
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise AssertionError(f"pgbouncer exited: {out}")
        try:
            psycopg.connect(dsn, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            assert time.monotonic() < deadline, "pgbouncer did not start in 20 s"
            time.sleep(0.1)


def hammer(engine: sa.Engine, loops: int, threads: int = 3) -> list[str]:
    """`threads` clients each running the same statement `loops` times, one transaction
    each; the errors they met."""
    errors: list[str] = []

    def work(n: int) -> None:
        try:
            for i in range(loops):
                with engine.begin() as conn:
                    conn.execute(sa.text("SELECT count(*) FROM pg_class WHERE relpages >= :n"),
                                 {"n": (i + n) % 3}).scalar_one()
        except sa.exc.DBAPIError as exc:
            errors.append(str(exc.orig))

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(60)
    return errors


def test_without_the_setting_prepared_statements_break(bouncer: str) -> None:
    engine = make_engine(bouncer)
    errors = hammer(engine, loops=100)
    engine.dispose()
    assert errors, "psycopg's prepared statements went through transaction pooling unharmed"
    assert all("prepared statement" in e for e in errors), errors


def test_with_the_setting_statements_run_over_three_connections(bouncer: str) -> None:
    engine = make_engine(bouncer, pooler="pgbouncer")
    assert hammer(engine, loops=100) == []
    engine.dispose()


def test_migrations_and_conversations_through_the_pooler(bouncer: str, pg_url: str,
                                                         tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", database_url=bouncer,
                        database_pooler="pgbouncer")
    engine = make_engine(bouncer, pooler="pgbouncer")
    upgrade(engine)
    service = build_service(settings, engine)
    sample = service.files.put_bytes(b"agent log line\n" * 10, "agent.log")
    events = 0
    errors: list[BaseException] = []

    def converse(i: int) -> None:
        try:
            for k, inbound in enumerate(workload.script(i, sample)):
                handle_until_applied(service, workload.who(i), inbound, f"c{i}:e{k}", k == 0)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=converse, args=(i,)) for i in range(CONVERSATIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    events = sum(len(workload.script(i, sample)) for i in range(CONVERSATIONS))
    workload.check_final(engine, CONVERSATIONS, events)

    # what holds a session: polled notices, no poller lock, without the direct URL ...
    chat = Chat(service)
    assert not chat.listener.listens
    with pytest.raises(poller.NeedsDirectConnection, match="CASEBOT_DATABASE_DIRECT_URL"):
        chat.hold_poller(1, "casebot_test_bot")
    engine.dispose()
    # ... and LISTEN and the lock on the direct connection when it is given
    direct = make_engine(bouncer, pooler="pgbouncer", direct_url=pg_url)
    chat = Chat(build_service(settings, direct))
    assert chat.listener.listens
    assert chat.listener.wait(0.1) is False  # LISTEN works: nothing was announced
    release = chat.hold_poller(1, "casebot_test_bot")
    release()
    chat.listener.close()
    direct.dispose()


def test_the_job_queue_prepares_nothing_through_the_pooler(bouncer: str) -> None:
    """procrastinate's own connections follow the setting too: its pool went to the pooler
    with psycopg's default (prepare a statement run five times), so the queue's reads broke
    like any other client's."""
    engine = make_engine(bouncer, pooler="pgbouncer")
    upgrade(engine)
    queue = jobs.attach(engine)
    assert queue is not None
    errors: list[str] = []

    def read() -> None:
        try:
            for _ in range(30):
                queue.manager().list_jobs(queue=jobs.QUEUE)
        except Exception as exc:  # what the driver raised, reported below
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    queue.app.close()
    engine.dispose()
    assert errors == []


def test_job_workers_connect_on_the_direct_url(bouncer: str, pg_url: str) -> None:
    """A worker's LISTEN and heartbeats hold a session: with the direct URL given, the job
    queue's connections bypass the pooler (the server sees the direct URL's own name)."""
    named = sa.make_url(pg_url).update_query_dict({"application_name": "casebot-direct"})
    direct = make_engine(bouncer, pooler="pgbouncer",
                         direct_url=named.render_as_string(hide_password=False))
    upgrade(direct)
    queue = jobs.attach(direct)
    assert queue is not None
    queue.manager().list_jobs(queue=jobs.QUEUE)
    with psycopg.connect(jobs.dsn(pg_url), autocommit=True) as admin:
        names = {row[0] for row in admin.execute(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()")}
    queue.app.close()
    direct.dispose()
    assert "casebot-direct" in names, names
