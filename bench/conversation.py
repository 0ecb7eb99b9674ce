"""The conversation both ways (issue 23): how long a message takes to cross, while intake load runs.

Real `casebot slack` / `casebot telegram --webhook-url` worker processes (as bench/load.py
starts them) answer through the stand-ins of the Slack Web API and the Telegram Bot API, each
call delayed by `--rtt` ms (half each way). Conversation users, each with three open cases
whose confirmations are remembered chat messages, then exchange messages with an operator
while `--load-users` other users walk product cases (bench/load.py's walk) beside them:

- customer -> console: a reply in the case's thread (Slack `thread_ts`) or to a message about
  the case (Telegram `reply_to_message`) is POSTed to the worker (signed as the platform signs
  it); the clock stops when the message can be read from the database the web console reads
  (polled every 10 ms with the console's own query, `cases show`'s JSON path): "request sent ->
  visible to staff";
- operator -> chat: `bot.replies.operator_message` commits a public reply, as the console's
  reply form does; the clock stops when the stand-in records the bot's chat.postMessage /
  sendMessage carrying it: "reply saved -> in the customer's chat". On PostgreSQL a `casebot
  worker` posts it (a `send_notice` job, woken by NOTIFY); on SQLite the chat process's notice
  loop polls every 0.5 s, which is the floor there.

Every message is checked to land on its own case (misrouted must be 0).

    .venv/bin/python bench/conversation.py [--platform slack,telegram] [--db postgresql]
        [--messages 500] [--rtt 20] [--load-users 100] [--no-docs]

Results go to stdout and (unless --no-docs) into docs/benchmarks.md between the
"conversation.py results" markers.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402
    CASE,
    TEAM,
    LoadSlack,
    LoadTelegram,
    Walk,
    Worker,
    calibrate,
    database,
    link_users,
    machine,
    make_user,
    pct,
    profile_template,
    stand_in,
    start_job_worker,
    start_worker,
    stop_worker,
    walk,
)
from bot import replies  # noqa: E402
from bot.app import build_engine  # noqa: E402
from bot.settings import Settings  # noqa: E402
from store.tables import Case, as_utc  # noqa: E402
from store.uow import unit_of_work  # noqa: E402

CUSTOMERS = 10  # conversation users, three open cases each
CASES_EACH = 3
TIMEOUT = 30.0  # a message not across after this counts as lost
DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- conversation.py results -->", "<!-- /conversation.py results -->"


@dataclass
class Thread:
    """One open case of a conversation user: its number and the chat message it hangs on."""

    uid: int
    number: str
    ref: str


@dataclass
class Result:
    platform: str
    db: str
    inbound: list[float] = field(default_factory=list)  # seen by the console's query
    stored: list[float] = field(default_factory=list)  # the message row's own time
    outbound: list[float] = field(default_factory=list)
    lost: int = 0
    misrouted: int = 0
    load_steps: list[float] = field(default_factory=list)  # the intake steps beside, s
    load_failed: int = 0


def open_threads(db: Any, plat: str, uids: list[int]) -> list[Thread]:
    """Three cases per user, each with its confirmation remembered as a chat message."""
    engine = build_engine(Settings(home=db.home, database_url=db.url), migrate=False)
    out = []
    refs = itertools.count(900_000)
    with unit_of_work(engine) as s:
        for uid in uids:
            ext = f"{TEAM}:U{uid}" if plat == "slack" else str(uid)
            contact = s.contacts.for_identity(plat, ext)
            assert contact is not None
            for k in range(CASES_EACH):
                case, _ = s.cases.create(contact, f"conv:{plat}:{uid}:{k}", plat,
                                         {"subject": f"Conversation {uid}.{k}"})
                assert case.id is not None
                assert case.number is not None
                ref = f"1700000000.{next(refs):06d}" if plat == "slack" else str(next(refs))
                s.case_refs.remember(plat, ext, ref, case.id)
                out.append(Thread(uid, case.number, ref))
    engine.dispose()
    return out


class Conversation:
    """Sends customer replies into threads and operator replies out, timing each crossing."""

    def __init__(self, plat: str, db: Any, fake: LoadSlack | LoadTelegram,
                 worker: Worker) -> None:
        self.plat = plat
        self.fake = fake
        self.engine = build_engine(Settings(home=db.home, database_url=db.url), migrate=False)
        self.users: dict[tuple[int, int], Any] = {}  # (talking thread, uid): own connection
        self.worker = worker
        self.seen: dict[str, float] = {}  # operator text -> when the stand-in got it
        self.cond = threading.Condition()
        self.ids = itertools.count(1)

    def user(self, uid: int) -> Any:
        """The user's client for the calling thread (a keep-alive connection is not shared)."""
        key = (threading.get_ident(), uid)
        if key not in self.users:
            self.users[key] = make_user(self.plat, self.fake, uid, self.worker)
        return self.users[key]

    def saw(self, text: str) -> None:
        """The stand-in recorded a bot message: note any operator marker it carries."""
        with self.cond:
            for word in text.split():
                if word.startswith("OPMARK") and word not in self.seen:
                    self.seen[word] = time.perf_counter()
            self.cond.notify_all()

    # -- customer -> console ---------------------------------------------------------------

    def customer_says(self, thread: Thread, text: str) -> int:
        user = self.user(thread.uid)
        if self.plat == "slack":
            event = {"type": "message", "channel": f"DU{thread.uid}", "user": f"U{thread.uid}",
                     "text": text, "ts": f"1800000000.{next(self.ids):06d}",
                     "thread_ts": thread.ref, "channel_type": "im", "team": TEAM}
            return int(user.send(user.event_body(event, f"EvConv{next(self.ids):09d}"),
                                 "application/json")[0])
        assert isinstance(self.fake, LoadTelegram)
        msg = self.fake._message(thread.uid, None, "private", text=text)
        msg["reply_to_message"] = {**self.fake._message(thread.uid, None, "private",
                                                         text="about the case"),
                                   "message_id": int(thread.ref)}
        return int(user.post({"message": msg}))

    def stored_at(self, number: str, text: str) -> float | None:
        """What the console's case page reads (the case's messages, one indexed query): when
        the worker stored the message (its row's time, wall clock), None while not there."""
        with unit_of_work(self.engine, read_only=True) as s:
            case = s.cases.by_number(number)
            found = [m for m in s.messages.of_case(case.id or 0) if m.text == text] \
                if case is not None else []
            return as_utc(found[0].at).timestamp() if found else None

    def inbound(self, thread: Thread, n: int) -> tuple[float, float] | None:
        """(seen by the poll, stored by the worker) after the message was sent. The poll's
        time is an upper bound (the bench's own threads wait for the GIL under load), the
        row's time a lower bound (its unit commits a few statements later)."""
        text = f"customer message {n} for {thread.number}"
        t0, wall0 = time.perf_counter(), time.time()
        if self.customer_says(thread, text) != 200:
            return None
        while time.perf_counter() - t0 < TIMEOUT:
            at = self.stored_at(thread.number, text)
            if at is not None:
                return time.perf_counter() - t0, max(0.0, at - wall0)
            time.sleep(0.01)
        return None

    # -- operator -> chat ------------------------------------------------------------------

    def outbound(self, thread: Thread, n: int) -> float | None:
        """Reply committed -> the stand-in got the chat message carrying it."""
        mark = f"OPMARK{n:06d}x{thread.number}"
        with unit_of_work(self.engine) as s:
            case = s.cases.by_number(thread.number)
            assert case is not None
            replies.operator_message(s, case, operator="bench@support.example",
                                     text=f"Operator question {mark}")
        t0 = time.perf_counter()  # committed: from here the console shows it as sent
        deadline = t0 + TIMEOUT
        with self.cond:
            while mark not in self.seen:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return max(0.0, self.seen[mark] - t0)

    def misrouted(self, threads: list[Thread]) -> int:
        """Messages on a case that name another case's number."""
        bad = 0
        with unit_of_work(self.engine, read_only=True) as s:
            for t in threads:
                case = s.cases.by_number(t.number)
                assert isinstance(case, Case)
                for m in s.messages.of_case(case.id or 0):
                    if m.author_kind == "customer" and not m.text.endswith(t.number):
                        bad += 1
        return bad


def hook_stand_in(fake: LoadSlack | LoadTelegram, conv: Conversation) -> None:
    """Have the stand-in report every bot message's text to the conversation's clock."""
    if isinstance(fake, LoadSlack):
        original = fake.answer

        def answer(method: str, args: dict[str, Any]) -> dict[str, Any]:
            result = original(method, args)
            if method == "chat.postMessage":
                conv.saw(str(args.get("text", "")) + " " + json.dumps(args.get("blocks", "")))
            return result

        fake.answer = answer  # type: ignore[method-assign]
        return
    send = fake.m_sendMessage

    def m_send(p: dict[str, Any]) -> Any:
        msg = send(p)
        conv.saw(str(p.get("text", "")))
        return msg

    fake.m_sendMessage = m_send  # type: ignore[method-assign]


class IntakeLoad:
    """`users` walking whole product cases, one after another, until stopped."""

    def __init__(self, plat: str, fake: LoadSlack | LoadTelegram, worker: Worker,
                 users: list[int], replies_per_step: list[int], think: float) -> None:
        self.think = think
        self.done = threading.Event()
        self.walks: list[Walk] = []
        self.threads = [threading.Thread(target=self._walk, daemon=True,
                                         args=(make_user(plat, fake, uid, worker),
                                               replies_per_step)) for uid in users]

    def _walk(self, user: Any, replies_per_step: list[int]) -> None:
        while not self.done.is_set():
            walked = walk(user, len(CASE), replies_per_step, time.monotonic() + 600,
                          think=self.think)
            self.walks.append(walked)
            if walked.error:
                return

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self) -> tuple[list[float], int]:
        """(each step's latency, users failed); each user ends after the case in hand."""
        self.done.set()
        for t in self.threads:
            t.join(60)
        return ([x for w in self.walks for x in w.latencies],
                sum(1 for w in self.walks if w.error))


def talk(conv: Conversation, threads: list[Thread], messages: int, result: Result) -> None:
    """Customers and operators at once, as on a real desk: two talkers each way. Each
    customer talker speaks for its own half of the customers: one person's message is sent
    after their previous one is through (two at the same instant from one person would wait
    for each other in the worker's per-chat order, a queue no user makes)."""
    rng = random.Random(23)
    lock = threading.Lock()
    counters = {"in": itertools.count(), "out": itertools.count(messages)}  # distinct marks

    def talker(direction: str, part: int) -> None:
        mine = [t for t in threads if direction == "out" or t.uid % 2 == part]
        while True:
            with lock:
                n = next(counters[direction])
                thread = rng.choice(mine)
            if n - (messages if direction == "out" else 0) >= messages:
                return
            took = conv.inbound(thread, n) if direction == "in" else conv.outbound(thread, n)
            with lock:
                if took is None:
                    result.lost += 1
                elif isinstance(took, tuple):
                    result.inbound.append(took[0])
                    result.stored.append(took[1])
                else:
                    result.outbound.append(took)

    pool = [threading.Thread(target=talker, args=(d, part))
            for d in ("in", "out") for part in (0, 1)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def run(plat: str, kind: str, args: argparse.Namespace, tmp: Path) -> Result:
    result = Result(plat, kind)
    with database(kind, tmp) as db, stand_in(plat) as fake:
        if isinstance(fake, LoadSlack):
            fake.rtt = args.rtt / 1000
        else:
            fake.delay = args.rtt / 1000
        template = profile_template(db)
        talkers = list(range(1, CUSTOMERS + 1))
        loaders = list(range(1000, 1000 + args.load_users + 1))
        link_users(db, plat, talkers + loaders, template)
        threads = open_threads(db, plat, talkers)
        worker = start_worker(plat, db, fake, tmp, 0)
        # on PostgreSQL an operator's reply reaches the chat through a `casebot worker` job
        jobs = (start_job_worker(db, tmp, 0, None, plat, fake) if kind == "postgresql"
                else None)
        try:
            conv = Conversation(plat, db, fake, worker)
            hook_stand_in(fake, conv)
            load = IntakeLoad(plat, fake, worker, loaders[:-1],
                              calibrate(make_user(plat, fake, loaders[-1], worker)), args.think)
            load.start()
            time.sleep(2.0)  # the load is running before the first timed message
            talk(conv, threads, args.messages, result)
            result.load_steps, result.load_failed = load.stop()
            result.misrouted = conv.misrouted(threads)
            conv.engine.dispose()
        finally:
            stop_worker(worker)
            if jobs is not None:
                stop_worker(jobs)
    return result


def fmt(r: Result) -> str:
    def ms(values: list[float], p: float) -> str:
        return f"{pct(values, p) * 1000:.0f}"

    return (f"| {r.platform} | {r.db} | {len(r.inbound)} | {ms(r.inbound, 50)} | "
            f"{ms(r.inbound, 99)} | {ms(r.stored, 50)} | {ms(r.stored, 99)} | "
            f"{len(r.outbound)} | {ms(r.outbound, 50)} | "
            f"{ms(r.outbound, 99)} | {r.lost} | {r.misrouted} | {len(r.load_steps)} | "
            f"{ms(r.load_steps, 50)} | {ms(r.load_steps, 99)} | {r.load_failed} |")


HEADER = ("| platform | database | customer→console n | seen p50 ms | seen p99 ms "
          "| stored p50 ms | stored p99 ms | operator→chat n | p50 ms | p99 ms | lost "
          "| misrouted | intake steps beside | their p50 ms | their p99 ms "
          "| failed load users |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--platform", default="slack,telegram")
    ap.add_argument("--db", default="postgresql")
    ap.add_argument("--messages", type=int, default=500, help="per direction")
    ap.add_argument("--rtt", type=float, default=20.0, help="stand-in round trip, ms")
    ap.add_argument("--load-users", type=int, default=100)
    ap.add_argument("--think", type=float, default=0.0,
                    help="seconds a load user waits after each answer before the next step "
                         "(0: at once, a closed loop that keeps the worker saturated)")
    ap.add_argument("--no-docs", action="store_true")
    args = ap.parse_args()
    print(f"machine: {machine()}; stand-in RTT {args.rtt:g} ms; {args.load_users} intake "
          f"users walking beside (think {args.think:g} s); {args.messages} messages each way",
          flush=True)
    os.environ["CASEBOT_MAX_CASES_PER_HOUR"] = "100000"  # load users open case after case
    rows = []
    with tempfile.TemporaryDirectory(prefix="casebot-conv-") as tmp:
        for kind in args.db.split(","):
            for plat in args.platform.split(","):
                r = run(plat, kind, args, Path(tempfile.mkdtemp(dir=tmp)))
                rows.append(r)
                print(fmt(r), flush=True)
    text = "\n".join([HEADER, *map(fmt, rows)])
    print(text)
    if not args.no_docs:
        body = DOCS.read_text()
        block = (f"{BEGIN}\nMachine: {machine()}. Command: `.venv/bin/python bench/conversation.py "
                 f"--platform {args.platform} --db {args.db} --messages {args.messages} --rtt "
                 f"{args.rtt:g} --load-users {args.load_users} --think {args.think:g}`\n\n"
                 f"{text}\n{END}")
        if BEGIN in body:
            body = body.split(BEGIN)[0] + block + body.split(END, 1)[1]
        else:
            body += "\n" + block + "\n"
        DOCS.write_text(body)
    bad = sum(r.misrouted + r.lost for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
