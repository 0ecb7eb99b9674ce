"""Load benchmark (issue 7): simulated users walk product cases through the real endpoints.

Real `casebot slack --port N` / `casebot telegram --webhook-url … --port N` processes (1 or 2
per configuration, sharing one database) serve the Slack HTTP endpoint `/slack/events` (every
request signed as Slack signs it, v0 HMAC-SHA256 with the signing secret) and the Telegram
webhook (updates POSTed with `X-Telegram-Bot-Api-Secret-Token`). They answer through the
stand-ins of the Slack Web API and the Telegram Bot API (tests/e2e/fake_slack.py,
tests/e2e/fake_telegram.py) running in this process. Users are linked (and given a product
profile) in the database before the run; each then walks a product case step by step: one
request per step, the next step only after the stand-in has recorded the bot's reply, so a
step's latency is "request sent -> reply posted to the stand-in". With 2 workers, users are
spread across the two processes (user i -> worker i mod 2).

The replies each step produces (how many messages) are learnt once per platform by a
calibration user who waits for quiet after every step; every worker then gets one warm-up walk.

    .venv/bin/python bench/load.py [--users 1,10,100] [--db sqlite,postgresql] [--workers 1,2]
        [--platform slack,telegram] [--steps-per-user 5] [--duration-cap 20] [--no-docs]
        [--telegram-polling]

`--telegram-polling` runs `casebot telegram` in its default mode instead, long polling the
stand-in (which then queues the users' updates for getUpdates); one worker only, as Telegram
allows one poller per bot.

Slow work (issue 26). Every process gets CASEBOT_SMTP_URL pointing at an SMTP sink in this
process (tests/smtpsink.py), so each submitted case's confirmation mail is really sent: on
PostgreSQL through the outbox to a `send_mail` job that `--job-workers N` real `casebot worker`
processes run (default: as many as receivers), on SQLite by the receiver's own sender loop. A
cell waits for one mail per case it submitted; a missing or extra mail marks the row failed.
CPU seconds come from /proc/<pid>/stat (utime+stime) of each receiver and each job worker,
from the cell's start until its last mail arrived, and are reported per step for each kind, so
a bigger machine's capacity can be computed: steps/s per core = 1000 / (CPU ms per step).
`--repeats N` runs each configuration N times (fresh processes) and reports medians;
`--section 26` writes between the "load.py issue 26 results" markers instead.

    CASEBOT_TEST_POSTGRES_URL=… .venv/bin/python bench/load.py --db postgresql --users 20 \
        --workers 1,2,4 --steps-per-user 10 --repeats 3 --section 26

PostgreSQL needs CASEBOT_TEST_POSTGRES_URL (a fresh database casebot_load_<random> is created
next to it, migrated with `casebot db upgrade`, and dropped afterwards). All traffic stays on
127.0.0.1. Results go to stdout and (unless --no-docs) into docs/benchmarks.md between the
"load.py results" markers of the "Load (issue 7)" section.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import logging
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench.common import CODE, PROFILE_ANSWERS, prepare  # noqa: E402
from bot.app import build_service  # noqa: E402
from bot.protocol import Who  # noqa: E402
from bot.settings import Settings  # noqa: E402
from flows.model import Inbound  # noqa: E402
from store.tables import Profile, saved_id  # noqa: E402
from store.uow import unit_of_work  # noqa: E402
from tests.e2e.fake_slack import BOT_TOKEN, Call, Driver, FakeSlack  # noqa: E402
from tests.e2e.fake_telegram import FakeTelegram, button_texts, keyboard_shown  # noqa: E402
from tests.smtpsink import SmtpSink  # noqa: E402

SLACK_SECRET = "load-signing-secret"
TG_SECRET = "load-hook_secret"
TEAM = "T1"
# One product case as a user makes it now (issue 10: describe first), one request per step:
# (kind, argument). The description opens the request (subject and description from it); the
# one profile and its one OS, CC, Email and "no attachments" are filled in; High asks for the
# business impact. "press" takes alternative labels (Telegram shows a grouped option with its
# group).
CASE = [("say", "Apex One agent offline after the update\nSince Monday the agent shows "
                "offline. Restarting did not help."),
        ("press", ("Product Issues", "Product Issue: Product Issues")),
        ("press", ("High",)), ("say", "Whole office affected"), ("press", ("Submit",))]
SUBMIT = len(CASE) - 1  # the step whose reply means "case opened, confirmation mail queued"
STEP_TIMEOUT = 30.0
START_TIMEOUT = 40.0
MAIL_TIMEOUT = 60.0  # after a cell's last step, for its mails to arrive
QUIET = 0.3
IDLE_WINDOW = 2.0  # seconds without traffic in which the processes' own idle CPU is measured
_ids = itertools.count(1)  # event ids, trigger ids, update ids: unique across the whole run


class StepFailed(Exception):
    """A step got no (or a wrong) answer in time."""


# -- the stand-ins, with a per-user record of what the bot posted ------------------------------

class Inbox:
    """Messages the bot posted to one user, and a condition to wait for the next one."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.cond = threading.Condition()

    def add(self, msg: Any) -> None:
        with self.cond:
            self.messages.append(msg)
            self.cond.notify_all()

    def count(self) -> int:
        with self.cond:
            return len(self.messages)

    def wait_count(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StepFailed(f"expected {n} messages, got {len(self.messages)}")
                self.cond.wait(left)

    def wait_quiet(self, before: int, timeout: float) -> int:
        """At least one new message, then none for QUIET seconds: how many came."""
        self.wait_count(before + 1, timeout)
        while True:
            n = self.count()
            time.sleep(QUIET)
            if self.count() == n:
                return n - before


def deepen_backlog(server: Any) -> None:
    """The stand-in's listen backlog: socketserver's default of 5 would drop the workers' SYNs
    under load (a 1 s retransmit charged to casebot). Linux lets listen() be called again."""
    server.socket.listen(1024)


class LoadSlack(FakeSlack):
    def __init__(self) -> None:
        super().__init__(team_id=TEAM)
        deepen_backlog(self.server)
        self.inboxes: dict[str, Inbox] = {}

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        result = super().answer(method, args)
        # a reply is a new message or, for a press, the pressed message turned into the answer
        # plus the next question (issue 13); either is what the user sees next
        if method in ("chat.postMessage", "chat.update"):
            box = self.inboxes.get(str(args.get("channel")))
            if box is not None:
                box.add(Call(method, args, None, result={**result, "ts": args.get("ts")}
                             if method == "chat.update" else result))
        return result


class LoadTelegram(FakeTelegram):
    def __init__(self) -> None:
        super().__init__()
        deepen_backlog(self.server)
        self.inboxes: dict[int, Inbox] = {}

    def m_sendMessage(self, p: dict[str, Any]) -> Any:
        msg = super().m_sendMessage(p)
        box = self.inboxes.get(int(p["chat_id"]))
        if box is not None and isinstance(msg, dict):  # as sent, with its reply keyboard
            box.add(self.messages[(int(p["chat_id"]), msg["message_id"])])
        return msg


# -- simulated users ---------------------------------------------------------------------------

class Conn:
    """One keep-alive HTTP connection to a worker on 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request("POST", path, body=body, headers=headers)
                resp = self.conn.getresponse()
                resp.read()
                return resp.status
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def open(self, plat: str) -> None:
        """Connect before the clock starts: one request, answered, on a kept-alive connection.

        (Without this, 100 users connecting at once overflow the Slack server's listen backlog;
        see --cold-connections.)
        """
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        if plat == "slack":
            self.conn.request("GET", "/healthz")
        else:  # no secret: PTB answers 403 and keeps the connection
            self.conn.request("POST", "/tg/hook", body=b"{}",
                              headers={"Content-Type": "application/json"})
        self.conn.getresponse().read()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


class SlackUser(Driver):
    """A Slack user: the e2e Driver's payloads and signing, sent over a keep-alive connection."""

    def __init__(self, fake: LoadSlack, user: str, port: int) -> None:
        super().__init__(None, fake, SLACK_SECRET, url=f"http://127.0.0.1:{port}/slack/events")
        self._ids = _ids
        self.user = user
        self.box = fake.inboxes.setdefault("D" + user, Inbox())
        self.http = Conn(port)

    def messages(self, user: str) -> list[Call]:  # what the driver looks at
        with self.box.cond:
            return list(self.box.messages)

    def send(self, body: str, content_type: str, extra: dict[str, str] | None = None,
             wait_idle: bool = True, **sign: Any) -> tuple[int, str]:
        headers = {**self.headers(body, content_type, **sign), **(extra or {})}
        return self.http.post("/slack/events", body.encode(), headers), ""

    def step(self, kind: str, arg: Any) -> int:
        if kind == "command":
            return self.command(self.user, "/case", arg)[0]
        if kind == "say":
            return self.say(self.user, arg, event_id=f"EvLoad{next(self._ids):09d}")[0]
        latest = self.box.messages[-1] if self.box.messages else None
        for label in arg:
            try:
                self._find(self.user, label, latest)
            except AssertionError:
                continue
            return self.press(self.user, label, latest)[0]
        shown = json.dumps(latest.args if latest else None)[:1500]
        raise StepFailed(f"no button {arg} on the last message: {shown}")


POLLING = False  # --telegram-polling


class TelegramUser:
    """A Telegram user: updates as Telegram sends them, POSTed to the worker's webhook (or,
    with --telegram-polling, queued at the stand-in for the worker's getUpdates)."""

    def __init__(self, fake: LoadTelegram, uid: int, port: int) -> None:
        self.fake = fake
        self.uid = uid
        self.box = fake.inboxes.setdefault(uid, Inbox())
        self.http = Conn(port)

    def post(self, update: dict[str, Any]) -> int:
        update["update_id"] = next(_ids)
        if POLLING:
            self.fake.enqueue(update)
            return 200
        return self.http.post("/tg/hook", json.dumps(update).encode(),
                              {"Content-Type": "application/json",
                               "X-Telegram-Bot-Api-Secret-Token": TG_SECRET})

    def say_text(self, text: str) -> int:
        msg = self.fake._message(self.uid, None, "private", text=text)
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split(" ", 1)[0])}]
        return self.post({"message": msg})

    def step(self, kind: str, arg: Any) -> int:
        if kind == "command":
            return self.say_text("/newcase")
        if kind == "say":
            return self.say_text(arg)
        with self.box.cond:  # this user's messages (not the stand-in's, all users sorted)
            sent = list(self.box.messages)
        buttons = button_texts(keyboard_shown(sent))
        for label in arg:
            hit = [b for b in buttons if b in (label, "✓ " + label)]
            if hit:  # a tap sends the button's text
                return self.say_text(hit[0])
        raise StepFailed(f"no button {arg} on the keyboard shown")


@dataclass
class Walk:
    latencies: list[float] = field(default_factory=list)
    index: list[int] = field(default_factory=list)  # the case step of each latency
    error: str | None = None


def walk(user: Any, steps: int, replies: list[int] | None, deadline: float,
         start: threading.Event | None = None, think: float = 0.0) -> Walk:
    """Walk `steps` steps of the case (repeating it), each waiting for its replies, then
    `think` seconds (0: the next step at once, a closed loop that saturates the workers)."""
    out = Walk()
    if start is not None:
        start.wait(60)
    try:
        for k in range(steps):
            if time.monotonic() > deadline:
                break
            kind, arg = CASE[k % len(CASE)]
            before = user.box.count()
            t0 = time.perf_counter()
            status = user.step(kind, arg)
            if status != 200:
                raise StepFailed(f"step {k} ({kind} {arg}): HTTP {status}")
            if replies is None:
                user.box.wait_quiet(before, STEP_TIMEOUT)
            else:
                user.box.wait_count(before + replies[k % len(CASE)], STEP_TIMEOUT)
            out.latencies.append(time.perf_counter() - t0)
            out.index.append(k % len(CASE))
            if think:
                time.sleep(think)
    except (StepFailed, OSError, http.client.HTTPException, AssertionError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    finally:
        user.http.close()
    return out


def calibrate(user: Any) -> list[int]:
    """How many messages each step of the case makes (wait for quiet after each)."""
    counts = []
    for kind, arg in CASE:
        before = user.box.count()
        if user.step(kind, arg) != 200:
            raise StepFailed(f"calibration: {kind} {arg} refused")
        counts.append(user.box.wait_quiet(before, STEP_TIMEOUT))
    user.http.close()
    return counts


# -- databases, workers --------------------------------------------------------------------

@dataclass
class Database:
    kind: str
    url: str
    home: Path


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[Database]:
    """A fresh, migrated database; PostgreSQL's is dropped afterwards."""
    home = tmp / f"home-{kind}"
    home.mkdir()
    if kind == "sqlite":
        db = Database(kind, f"sqlite:///{home / 'casebot.db'}", home)
        upgrade(db)
        yield db
        return
    admin_url = os.environ.get("CASEBOT_TEST_POSTGRES_URL")
    if not admin_url:
        raise SystemExit("--db postgresql needs CASEBOT_TEST_POSTGRES_URL")
    name = f"casebot_load_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = sa.engine.make_url(admin_url).set(database=name)
        db = Database(kind, url.render_as_string(hide_password=False), home)
        upgrade(db)
        yield db
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def casebot_exe() -> list[str]:
    exe = Path(sys.executable).parent / "casebot"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli"]


def upgrade(db: Database) -> None:
    env = {**os.environ, "CASEBOT_HOME": str(db.home), "CASEBOT_DATABASE_URL": db.url}
    subprocess.run([*casebot_exe(), "db", "upgrade"], env=env, check=True, timeout=120,
                   stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def cpu(self) -> float:
        """User+system CPU seconds of the worker process so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backends_cpu(db: Database) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving `db` (pid -> seconds): the
    processes whose title names the database (`postgres: … user casebot_load_x host …`)."""
    name = sa.engine.make_url(db.url).database
    if db.kind != "postgresql" or not name:
        return {}
    out: dict[int, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not title.startswith("postgres:") or f" {name} " not in title:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(proc.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two samples by the backends alive at the second (a backend that
    ended in between is not counted; the pools keep theirs)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine, every process (/proc/stat)."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def process_env(db: Database, smtp_url: str | None) -> dict[str, str]:
    """The processes' environment; without `smtp_url` mail stays in the outbox."""
    env = {**os.environ, "CASEBOT_HOME": str(db.home), "CASEBOT_DATABASE_URL": db.url,
           "CASEBOT_MAIL_FROM": "casebot@load.example"}
    for key in ("CASEBOT_SMTP_URL", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN"):
        env.pop(key, None)
    if smtp_url:
        env["CASEBOT_SMTP_URL"] = smtp_url
    return env


def start_job_worker(db: Database, tmp: Path, n: int, smtp_url: str | None,
                     plat: str | None = None, fake: Any = None) -> Worker:
    """A real `casebot worker` (PostgreSQL): it runs the jobs the receivers defer (send_mail;
    with `plat`, its chat notices too, posted to the stand-in `fake`)."""
    log = tmp / f"jobworker-{db.kind}-{n}-{secrets.token_hex(3)}.log"
    env = process_env(db, smtp_url)
    if plat is not None:
        env.update(platform_env(plat, fake))
    with log.open("wb") as out:
        proc = subprocess.Popen([*casebot_exe(), "worker"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, cwd=str(ROOT))
    time.sleep(0.5)
    if proc.poll() is not None:
        raise SystemExit(f"casebot worker exited ({proc.returncode}):\n{log.read_text()}")
    return Worker(proc, 0, log)


def platform_env(plat: str, fake: Any) -> dict[str, str]:
    """The chat settings of a receiver, and of a job worker that posts its notices."""
    if plat == "slack":
        return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SECRET,
                "SLACK_API_URL": fake.api_url}
    # the stand-in has no 30 a second: the shared budget is asked for every send (its cost
    # is measured) but never makes one wait
    return {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.url,
            "TELEGRAM_WEBHOOK_SECRET": TG_SECRET, "CASEBOT_TELEGRAM_PER_SECOND": "100000"}


def start_worker(plat: str, db: Database, fake: Any, tmp: Path, n: int,
                 smtp_url: str | None = None) -> Worker:
    port = free_port()
    env = {**process_env(db, smtp_url), **platform_env(plat, fake)}
    if plat == "slack":
        args = ["slack", "--port", str(port)]
    else:
        args = ["telegram"] if POLLING else ["telegram", "--webhook-url",
                                             f"http://127.0.0.1:{port}/tg/hook", "--port",
                                             str(port)]
    log = tmp / f"{plat}-{db.kind}-{n}-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*casebot_exe(), *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=str(ROOT))
    worker = Worker(proc, port, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{plat} worker exited ({proc.returncode}):\n{log.read_text()}")
        if ready(plat, port, fake):
            return worker
        time.sleep(0.1)
    stop_worker(worker)
    raise SystemExit(f"{plat} worker did not start in {START_TIMEOUT:.0f} s:\n{log.read_text()}")


def ready(plat: str, port: int, fake: Any) -> bool:
    if plat == "telegram" and POLLING:  # its last set-up call; it polls right after
        return bool(fake.of("setChatMenuButton"))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        if plat == "slack":
            conn.request("GET", "/healthz")
        else:  # the webhook answers 403 without the secret once it listens
            conn.request("POST", "/tg/hook", body=b"{}",
                         headers={"Content-Type": "application/json"})
        status = conn.getresponse().status
        conn.close()
        return status in (200, 403)
    except OSError:
        return False


def stop_worker(worker: Worker) -> None:
    if worker.proc.poll() is None:
        worker.proc.send_signal(signal.SIGINT if worker.port else signal.SIGTERM)
        try:
            worker.proc.wait(15)
        except subprocess.TimeoutExpired:
            worker.proc.kill()
            worker.proc.wait(5)


# -- users in the database ----------------------------------------------------------------------

def profile_template(db: Database) -> dict[str, Any]:
    """One profile made through the real profile form, to copy for every simulated user."""
    service = build_service(Settings(home=db.home, database_url=db.url))
    who = Who("console", "template@acme.example", email="template@acme.example")
    prepare(service, who, PROFILE_ANSWERS)
    service.handle(who, Inbound(kind="command", command="cancel"))
    with unit_of_work(service.engine) as s:
        p = s.session.exec(select(Profile)).one()
        data = {k: getattr(p, k) for k in ("name", "name_key", "product", "version",
                                           "operating_systems", "activation_code_id",
                                           "toolbox_guid", "settings", "language")}
    service.engine.dispose()
    return data


def link_users(db: Database, plat: str, ids: list[int], template: dict[str, Any]) -> None:
    """Link each simulated user to a contact with one product profile (as an admin would).

    Ten users per company, so the CC question offers a handful of colleagues, not everyone.
    """
    service = build_service(Settings(home=db.home, database_url=db.url))
    with unit_of_work(service.engine) as s:
        for i in ids:
            email = f"load{plat}{i}@load{plat}{i // 10}.example"
            contact = s.contacts.ensure(email, f"Load {i}")
            code = s.profiles.register_code(contact.account_id, template["product"], CODE)
            if plat == "slack":
                s.contacts.link_identity(contact, "slack", f"{TEAM}:U{i}", f"DU{i}")
            else:
                s.contacts.link_identity(contact, "telegram", str(i), str(i))
            s.session.add(Profile(contact_id=saved_id(contact),
                          **{**template, "activation_code_id": code.id}))
        s.commit()
    service.engine.dispose()


# -- one configuration ----------------------------------------------------------------------

@dataclass
class Row:
    platform: str
    db: str
    workers: int
    users: int
    steps: int
    errors: int
    wall: float
    p50: float
    p99: float
    gen_cpu: float
    worker_cpu: float  # receivers' cores busy over the walk
    machine_busy: float
    first_error: str | None = None
    job_workers: int = 0
    cases: int = 0
    mails: int = 0
    drain: float = 0.0  # seconds from the last step to the last mail
    recv_cpu_s: float = 0.0  # CPU seconds, from the cell's start to its last mail
    job_cpu_s: float = 0.0
    machine_cpu_s: float = 0.0  # every process on the machine (PostgreSQL, load generator)
    db_cpu_s: float = 0.0  # the PostgreSQL backends serving this database
    idle_recv: float = 0.0  # cores the receivers / job workers use with no traffic at all
    idle_jobs: float = 0.0
    runs: int = 1

    @property
    def rate(self) -> float:
        return self.steps / self.wall if self.wall else 0.0

    @property
    def failed(self) -> bool:
        return bool(self.errors) or self.mails != self.cases

    def per_step_ms(self, cpu_s: float) -> float:
        return cpu_s / self.steps * 1000 if self.steps else float("nan")


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def steps_of(results: list[Walk]) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    for r in results:
        for k, x in zip(r.index, r.latencies, strict=True):
            out.setdefault(k, []).append(x)
    return out


def make_user(plat: str, fake: Any, i: int, worker: Worker) -> Any:
    if plat == "slack":
        return SlackUser(fake, f"U{i}", worker.port)
    return TelegramUser(fake, i, worker.port)


@contextmanager
def stand_in(plat: str) -> Iterator[LoadSlack | LoadTelegram]:
    """The chat platform's stand-in, serving for the block."""
    if plat == "slack":
        slack = LoadSlack()
        with slack:
            yield slack
        return
    telegram = LoadTelegram()
    telegram.start()
    try:
        yield telegram
    finally:
        telegram.close()


def warm_up(plat: str, fake: LoadSlack | LoadTelegram, workers: list[Worker], warm: list[int],
            replies: dict[str, list[int]]) -> None:
    """Count the platform's replies per step (once per platform), then walk one untimed case
    per worker."""
    if plat not in replies:
        replies[plat] = calibrate(make_user(plat, fake, warm.pop(), workers[0]))
        print(f"  {plat}: replies per step {replies[plat]}", flush=True)
    for w, uid in enumerate(warm):
        got = walk(make_user(plat, fake, uid, workers[w]), len(CASE), replies[plat],
                   time.monotonic() + 60)
        if got.error:
            raise SystemExit(f"warm-up walk failed on worker {w}: {got.error}")


def cpu_of(procs: list[Worker]) -> float:
    return sum(w.cpu() for w in procs)


def settle(procs: list[Worker], limit: float = 20.0) -> None:
    """Wait until the processes have finished starting (imports, first connections, the job
    workers' periodic jobs): under 0.02 cores each over half a second, or `limit` seconds.
    Start-up CPU would otherwise be charged to the first cell."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_of(procs)
        time.sleep(0.5)
        if (cpu_of(procs) - before) / 0.5 < 0.02 * len(procs):
            return


def idle_cores(workers: list[Worker], jobs: list[Worker]) -> tuple[float, float]:
    """Cores the receivers and the job workers use together with nothing to do (heartbeats,
    periodic jobs, polls): a fixed cost per process, whatever the traffic."""
    settle(workers + jobs)
    r0, j0 = cpu_of(workers), cpu_of(jobs)
    time.sleep(IDLE_WINDOW)
    return (cpu_of(workers) - r0) / IDLE_WINDOW, (cpu_of(jobs) - j0) / IDLE_WINDOW


def wait_mails(sink: SmtpSink, count: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while len(sink.received) < count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def measure(plat: str, db: Database, fake: LoadSlack | LoadTelegram, workers: list[Worker],
            ids: list[int], steps: int, cap: float, replies: list[int], *, by_step: bool,
            cold: bool, jobs: list[Worker], sink: SmtpSink) -> Row:
    """One table row: the users `ids` walking at once, spread over the workers; then their
    confirmation mails, one per submitted case, through the job workers to the sink."""
    users = [make_user(plat, fake, uid, workers[k % len(workers)]) for k, uid in enumerate(ids)]
    if not cold and not (plat == "telegram" and POLLING):
        for u in users:
            u.http.open(plat)
    go = threading.Event()
    results: list[Walk] = [Walk() for _ in users]
    cpu0 = os.times()
    wcpu0 = cpu_of(workers)
    jcpu0 = cpu_of(jobs)
    dbcpu0 = backends_cpu(db)
    busy0 = busy_jiffies()
    mails0 = len(sink.received)

    def run_one(k: int, u: Any, deadline: float) -> None:
        results[k] = walk(u, steps, replies, deadline, go)

    t0 = time.monotonic()
    deadline = t0 + cap
    threads = [threading.Thread(target=run_one, args=(k, u, deadline), daemon=True)
               for k, u in enumerate(users)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    go.set()
    for t in threads:
        t.join(max(0.0, deadline + STEP_TIMEOUT + 5 - time.monotonic()))
    wall = time.monotonic() - t0
    cpu1 = os.times()
    busy1 = busy_jiffies()
    wcpu1 = cpu_of(workers)
    machine_busy = ((busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
                    * (os.cpu_count() or 1))
    lat = [x for r in results for x in r.latencies]
    errors = [r.error for r in results if r.error]
    cases = sum(r.index.count(SUBMIT) for r in results)
    wait_mails(sink, mails0 + cases, MAIL_TIMEOUT)
    time.sleep(0.3)  # a mail sent twice would land now
    drain = time.monotonic() - t0 - wall
    busy2 = busy_jiffies()
    row = Row(plat, db.kind, len(workers), len(users), len(lat), len(errors), wall,
              pct(lat, 50), pct(lat, 99),
              (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall,
              (wcpu1 - wcpu0) / wall, machine_busy,
              errors[0] if errors else None, job_workers=len(jobs), cases=cases,
              mails=len(sink.received) - mails0, drain=drain,
              recv_cpu_s=cpu_of(workers) - wcpu0, job_cpu_s=cpu_of(jobs) - jcpu0,
              machine_cpu_s=(busy2[0] - busy0[0]) / os.sysconf("SC_CLK_TCK"),
              db_cpu_s=cpu_since(dbcpu0, backends_cpu(db)))
    print("  " + fmt_row(row), flush=True)
    if by_step:
        print("    per step p50/max ms: " + ", ".join(
            f"{k}:{pct(v, 50) * 1000:.0f}/{max(v) * 1000:.0f}"
            for k, v in sorted(steps_of(results).items())), flush=True)
    if errors:
        print(f"    {len(errors)} users failed; first: {errors[0]}", flush=True)
    if row.mails != cases:
        row.first_error = row.first_error or f"{row.mails} mails for {cases} cases"
        print(f"    {row.mails} mails for {cases} cases", flush=True)
    return row


def run_config(plat: str, db: Database, nworkers: int, user_counts: list[int], steps: int,
               cap: float, tmp: Path, template: dict[str, Any], next_id: Iterator[int],
               replies: dict[str, list[int]], by_step: bool = False,
               cold: bool = False, njobs: int = 0) -> list[Row]:
    sink = SmtpSink().start()
    smtp_url = f"{sink.url}?starttls=0"
    try:
        with stand_in(plat) as fake:
            warm = [next(next_id) for _ in range(nworkers + (0 if plat in replies else 1))]
            cells = [[next(next_id) for _ in range(n)] for n in user_counts]
            link_users(db, plat, warm + [i for cell in cells for i in cell], template)
            workers: list[Worker] = []
            jobs: list[Worker] = []
            try:
                for w in range(nworkers):
                    workers.append(start_worker(plat, db, fake, tmp, w, smtp_url))
                if db.kind == "postgresql":
                    for j in range(njobs):
                        jobs.append(start_job_worker(db, tmp, j, smtp_url, plat, fake))
                warm_cases = len(warm)  # one case each (warm_up pops the calibration user)
                warm_up(plat, fake, workers, warm, replies)
                if not wait_mails(sink, warm_cases, MAIL_TIMEOUT):
                    logs = "\n".join(w.log.read_text()[-2000:] for w in jobs + workers)
                    raise SystemExit(f"{len(sink.received)} of {warm_cases} warm-up mails "
                                     f"arrived in {MAIL_TIMEOUT:.0f} s:\n{logs}")
                idle = idle_cores(workers, jobs)
                rows = [measure(plat, db, fake, workers, ids, steps, cap, replies[plat],
                                by_step=by_step, cold=cold, jobs=jobs, sink=sink)
                        for ids in cells]
                for row in rows:
                    row.idle_recv, row.idle_jobs = idle
                return rows
            finally:
                for worker in workers + jobs:
                    stop_worker(worker)
    finally:
        sink.stop()


# -- output -------------------------------------------------------------------------------------

HEADER = ("| platform | database | receivers | job workers | users | steps | steps/s "
          "| p50 ms | p99 ms | failed users | cases / mails "
          "| cores busy: load gen / receivers / whole machine "
          "| CPU ms per step: receivers / job workers / PostgreSQL / whole machine "
          "| steps/s per core: casebot / casebot + PostgreSQL "
          "| idle cores: receivers / job workers |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def fmt_row(r: Row) -> str:
    recv, job = r.per_step_ms(r.recv_cpu_s), r.per_step_ms(r.job_cpu_s)
    pg = r.per_step_ms(r.db_cpu_s)
    per_core = 1000 / (recv + job) if recv + job > 0 else float("nan")
    with_db = 1000 / (recv + job + pg) if recv + job + pg > 0 else float("nan")
    mark = " **FAILED**" if r.failed else ""
    runs = f" (median of {r.runs})" if r.runs > 1 else ""
    return (f"| {r.platform} | {r.db} | {r.workers} | {r.job_workers} | {r.users} | "
            f"{r.steps} | {r.rate:.1f}{runs} | {r.p50 * 1000:.1f} | {r.p99 * 1000:.1f} | "
            f"{r.errors}{mark} | {r.cases} / {r.mails} | "
            f"{r.gen_cpu:.2f} / {r.worker_cpu:.2f} / {r.machine_busy:.2f} | "
            f"{recv:.1f} / {job:.1f} / {pg:.1f} / {r.per_step_ms(r.machine_cpu_s):.1f} | "
            f"{per_core:.0f} / {with_db:.0f} | {r.idle_recv:.3f} / {r.idle_jobs:.3f} |")


def median_row(rows: list[Row]) -> Row:
    """The medians of one configuration's repeats (failures and mails summed, not hidden)."""
    def med(f: Any) -> Any:
        return statistics.median(f(r) for r in rows)

    rate = med(lambda r: r.rate)
    steps = round(float(med(lambda r: r.steps)))
    first = rows[0]
    errors = [r.first_error for r in rows if r.first_error]

    def cpu(f: Any) -> float:  # seconds at the median CPU per step
        return float(med(lambda r: r.per_step_ms(f(r)))) * steps / 1000

    return Row(first.platform, first.db, first.workers, first.users, steps,
               sum(r.errors for r in rows), steps / rate if rate else 0.0,
               med(lambda r: r.p50), med(lambda r: r.p99), med(lambda r: r.gen_cpu),
               med(lambda r: r.worker_cpu), med(lambda r: r.machine_busy),
               errors[0] if errors else None, job_workers=first.job_workers,
               cases=sum(r.cases for r in rows), mails=sum(r.mails for r in rows),
               drain=med(lambda r: r.drain), recv_cpu_s=cpu(lambda r: r.recv_cpu_s),
               job_cpu_s=cpu(lambda r: r.job_cpu_s), db_cpu_s=cpu(lambda r: r.db_cpu_s),
               machine_cpu_s=cpu(lambda r: r.machine_cpu_s), runs=len(rows),
               idle_recv=med(lambda r: r.idle_recv), idle_jobs=med(lambda r: r.idle_jobs))


def medians(rows: list[Row]) -> list[Row]:
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for r in rows:
        groups.setdefault((r.platform, r.db, r.workers, r.job_workers, r.users), []).append(r)
    return [median_row(g) if len(g) > 1 else g[0] for g in groups.values()]


def machine() -> str:
    load = os.getloadavg()
    return (f"{platform.machine()}, nproc {os.cpu_count()}, Python {platform.python_version()}"
            f", load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)")


SECTIONS = {"7": ("load.py results", "## Load (issue 7)"),
            "26": ("load.py issue 26 results",
                   "### Issue 26: receivers and job workers as separate processes")}


def write_docs(path: Path, text: str, section: str = "7") -> None:
    """Replace the text between the markers of the section's results (or add them)."""
    name, title = SECTIONS[section]
    start, end = f"<!-- {name} start -->", f"<!-- {name} end -->"
    block = f"{start}\n{text.rstrip()}\n{end}"
    doc = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in doc and end in doc:
        doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip() + f"\n\n{title}\n\n" + block + "\n"
    path.write_text(doc)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", default="1,10,100", help="concurrent users per cell")
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--workers", default=None,
                    help="receiver processes per configuration (default 1,2; 1 when polling)")
    ap.add_argument("--job-workers", type=int, default=None,
                    help="`casebot worker` processes beside them on PostgreSQL (default: as "
                         "many as receivers)")
    ap.add_argument("--repeats", type=int, default=1,
                    help="run each configuration this many times; the table shows medians")
    ap.add_argument("--section", choices=sorted(SECTIONS), default="7",
                    help="which results block of docs/benchmarks.md to write")
    ap.add_argument("--platform", default="slack,telegram")
    ap.add_argument("--steps-per-user", type=int, default=len(CASE),
                    help=f"steps each user walks (the case has {len(CASE)}; it repeats)")
    ap.add_argument("--duration-cap", type=float, default=20.0,
                    help="seconds after which a cell's users stop starting new steps")
    ap.add_argument("--by-step", action="store_true",
                    help="also print p50/max latency of each step of the case")
    ap.add_argument("--cold-connections", action="store_true",
                    help="users connect when their first step starts (all at once)")
    ap.add_argument("--no-docs", action="store_true", help="don't write docs/benchmarks.md")
    ap.add_argument("--telegram-polling", action="store_true",
                    help="Telegram long polls the stand-in instead of taking a webhook")
    args = ap.parse_args()
    global POLLING
    POLLING = args.telegram_polling
    users = [int(x) for x in args.users.split(",")]
    dbs = args.db.split(",")
    nworkers = [int(x) for x in (args.workers or ("1" if POLLING else "1,2")).split(",")]
    plats = args.platform.split(",")
    if not all(0 < u <= 1000 for u in users) or not all(0 < w <= 8 for w in nworkers):
        raise SystemExit("--users must be 1..1000 and --workers 1..8")
    if not set(dbs) <= {"sqlite", "postgresql"} or not set(plats) <= {"slack", "telegram"}:
        raise SystemExit("--db: sqlite,postgresql; --platform: slack,telegram")
    if not 1 <= args.repeats <= 9 or not 0 <= (args.job_workers or 0) <= 8:
        raise SystemExit("--repeats must be 1..9 and --job-workers 0..8")
    if POLLING and nworkers != [1]:
        raise SystemExit("--telegram-polling runs one worker: Telegram allows one poller")
    logging.disable(logging.WARNING)
    before = machine()
    print(f"machine: {before}", flush=True)
    started = time.monotonic()
    rows: list[Row] = []
    replies: dict[str, list[int]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="casebot-load-"))
    try:
        for kind in dbs:
            with database(kind, tmp) as db:
                template = profile_template(db)
                next_id = itertools.count(100_001)
                for rep, plat, w in itertools.product(range(args.repeats), plats, nworkers):
                    jw = w if args.job_workers is None else args.job_workers
                    jw = jw if kind == "postgresql" else 0
                    print(f"{plat}, {kind}, {w} receiver(s), {jw} job worker(s)"
                          f"{f', run {rep + 1}' if args.repeats > 1 else ''}:", flush=True)
                    rows += run_config(plat, db, w, users, args.steps_per_user,
                                       args.duration_cap, tmp, template, next_id, replies,
                                       args.by_step, args.cold_connections, jw)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    took = time.monotonic() - started
    command = " ".join(sys.argv[1:])
    shown = medians(rows)
    out = [f"Run of {time.strftime('%Y-%m-%d %H:%M')}, {took:.0f} s in all, "
           f"{os.cpu_count()} cores. Machine before: "
           f"{before}; after: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
           "", "```", f".venv/bin/python bench/load.py {command}".rstrip(), "```", "",
           HEADER, *(fmt_row(r) for r in shown)]
    if args.repeats > 1:
        out += ["", "steps/s of each run: " + "; ".join(
            f"{r.platform} {r.workers}+{r.job_workers} {r.users}u: " + ", ".join(
                f"{x.rate:.0f}" for x in rows if (x.platform, x.workers, x.job_workers,
                                                  x.users, x.db) ==
                (r.platform, r.workers, r.job_workers, r.users, r.db)) for r in shown)]
    failed = [r for r in rows if r.first_error]
    if failed:
        out += ["", "Errors: " + "; ".join(
            f"{r.platform}/{r.db}/{r.workers}w/{r.users}u: {r.first_error}" for r in failed)]
    text = "\n".join(out)
    print("\n" + text)
    if not args.no_docs:
        write_docs(ROOT / "docs" / "benchmarks.md", text, args.section)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
