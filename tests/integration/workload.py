"""A scripted load for several worker processes: 200 contacts each opening one case.

Every conversation's events go, in order, into the files of two workers (so each event is
delivered twice, with the same delivery id), interleaved at random with other conversations.
Each worker therefore applies a conversation's events in order; whichever copy commits
first wins and the other is dropped by its delivery id.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from bot.protocol import Who
from bot.service import Service
from flows.model import FileRef, Inbound
from store.tables import (
    Attachment,
    Case,
    CaseEvent,
    Contact,
    Conversation,
    OutboxMail,
    ProcessedEvent,
    Profile,
    saved_id,
)
from store.uow import unit_of_work

ROOT = Path(__file__).resolve().parents[2]
CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"


def who(i: int) -> Who:
    return Who("console", f"u{i}@c{i}.example", email=f"u{i}@c{i}.example")


def variant(i: int) -> tuple[bool, bool]:
    """(sends a file, High severity): the four shapes a script can take."""
    return i % 3 == 0, i % 2 == 0


def script(i: int, file: FileRef) -> list[Inbound]:
    with_file, high = variant(i)
    steps: list[Inbound] = [Inbound(kind="command", command="where")]
    # no profile yet: the profile form opens at once; its one OS is then filled in
    texts = [f"HQ {i}", "Apex One", "2019", "1", "done", CODE, "done", "1",
             "1", f"Subject {i}", f"Description {i}\nsecond line"]
    steps += [Inbound.from_text(t) for t in texts]
    steps += [Inbound.from_text(t) for t in (["3", f"Impact {i}"] if high else ["1"])]
    if with_file:  # attachments are offered in the review
        steps += [Inbound.from_text("Edit Attachments"), Inbound(kind="file", file=file),
                  Inbound.from_text("done")]
    steps.append(Inbound.from_text("1"))  # Submit
    return steps


def event(i: int, k: int, inbound: Inbound) -> dict[str, Any]:
    d = asdict(inbound)
    d["choices"] = list(d["choices"])
    return {"delivery_id": f"c{i}:e{k}", "who": asdict(who(i)), "inbound": d,
            "auto_start": k == 0}


def write_feeds(folder: Path, n: int, workers: int, file: FileRef,
                seed: int = 7) -> tuple[list[Path], int]:
    """Per-worker JSONL files; returns the paths and the number of distinct events."""
    rng = random.Random(seed)
    queues: list[list[list[dict[str, Any]]]] = [[] for _ in range(workers)]
    distinct = 0
    for i in range(n):
        events = [event(i, k, x) for k, x in enumerate(script(i, file))]
        distinct += len(events)
        a = i % workers
        b = (a + 1 + (i // workers) % (workers - 1)) % workers
        queues[a].append(list(events))
        queues[b].append(list(events))
    paths = []
    for w, convs in enumerate(queues):
        path = folder / f"worker{w}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            live = [c for c in convs if c]
            while live:
                conv = rng.choice(live)
                out.write(json.dumps(conv.pop(0)) + "\n")
                if not conv:
                    live.remove(conv)
        paths.append(path)
    return paths, distinct


def start_worker(feed: Path, db_url: str, home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CASEBOT_DATABASE_URL": db_url, "CASEBOT_HOME": str(home),
           "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "bot.worker", str(feed)], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_all(procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            _, err = p.communicate(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise AssertionError("workers did not finish in time") from None
        assert p.returncode == 0, err.decode()[-2000:]


def expected_steps(service: Service, file: FileRef) -> dict[tuple[bool, bool], list[str | None]]:
    """Per script shape, the conversation's state after each event (None: conversation over)."""
    out = {}
    for i in range(6):
        shape = variant(10_000 + i)
        if shape in out:
            continue
        states: list[str | None] = []
        for inbound in script(10_000 + i, file):
            service.handle(who(10_000 + i), inbound, auto_start=True)
            with unit_of_work(service.engine) as s:
                found = s.conversations.load_for_identity("console", who(10_000 + i).external_id)
                conv = found[1] if found else None
                states.append(conv.state if conv else None)
        out[shape] = states
    return out


def check_progress(engine: sa.Engine, n: int,
                   expected: dict[tuple[bool, bool], list[str | None]]) -> int:
    """With no worker running: each conversation applied a prefix of its events, no gaps, and
    stands exactly at the step that prefix leads to. Returns how many have finished."""
    with unit_of_work(engine) as s:
        keys = list(s.session.exec(select(ProcessedEvent.key)))
        done = 0
        applied: dict[int, set[int]] = {}
        for key in keys:
            conv_key, ev = key.split(":")
            applied.setdefault(int(conv_key[1:]), set()).add(int(ev[1:]))
        for i in range(n):
            got = applied.get(i, set())
            k = len(got)
            assert got == set(range(k)), (i, sorted(got))
            states = expected[variant(i)]
            found = s.conversations.load_for_identity("console", who(i).external_id)
            conv = found[1] if found else None
            if k == 0:
                assert conv is None
                continue
            assert (conv.state if conv else None) == states[k - 1], (i, k, conv)
            cases = s.session.exec(select(Case).where(Case.subject == f"Subject {i}")).all()
            assert len(cases) == (1 if k == len(states) else 0), (i, k)
            done += k == len(states)
    return done


def check_final(engine: sa.Engine, n: int, distinct_events: int) -> None:
    """Exactly one case per contact, carrying that contact's answers, whole and mailed once."""
    with unit_of_work(engine) as s:
        cases = s.session.exec(select(Case)).all()
        assert len(cases) == n
        assert len({c.contact_id for c in cases}) == n, "duplicate cases"
        assert s.session.exec(select(sa.func.count()).select_from(Conversation)).one() == 0
        assert (s.session.exec(select(sa.func.count()).select_from(ProcessedEvent)).one()
                == distinct_events)
        assert s.session.exec(select(sa.func.count()).select_from(Profile)).one() == n
        mails = dict(s.session.exec(select(OutboxMail.case_id, sa.func.count())
                            .group_by(col(OutboxMail.case_id))).all())
        created = dict(s.session.exec(select(CaseEvent.case_id, sa.func.count())
                              .where(CaseEvent.kind == "created")
                              .group_by(col(CaseEvent.case_id))).all())
        files = dict(s.session.exec(select(Attachment.case_id, sa.func.count())
                            .group_by(col(Attachment.case_id))).all())
        assert sum(mails.values()) == n, "outbox mail lost or doubled"
        for case in cases:
            i = int(case.subject.split()[1])
            with_file, high = variant(i)
            contact = s.session.get(Contact, case.contact_id)
            assert contact is not None
            assert contact.email == who(i).email
            d = case.details
            assert d["description"] == f"Description {i}\nsecond line", d
            assert d["severity"] == ("High" if high else "Low"), d
            assert d.get("business_impact") == (f"Impact {i}" if high else None), d
            assert d["profile_name"] == f"HQ {i}"
            case_id = saved_id(case)
            assert mails.get(case_id) == 1, case.number
            assert created.get(case_id) == 1, case.number
            assert files.get(case_id, 0) == (1 if with_file else 0), case.number
