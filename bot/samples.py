"""Sample-archive checks: each file checked once, in a bounded pool, within a time budget.

A sample check decrypts every member (pure-Python ZipCrypto reads ~1.7 MB/s), so it must not
run once per answer, nor many at once, nor for ever (issue 11, finding 6):

- the verdict is cached by the file's sha256, the password and the accepted member types, so
  re-checking on a changed answer, on the review and at submit costs nothing;
- checks run in a small worker pool (CASEBOT_ZIP_CHECK_WORKERS, default 2), so however many
  users send zips at once, at most that many cores decrypt and the rest of the process keeps
  serving; two requests for the same file share one check;
- each check has a time budget (CASEBOT_ZIP_CHECK_SECONDS): the check stops itself at its
  deadline and the user is told to re-zip with AES;
- a chat event waits at most `answer_wait` seconds for a verdict: a longer check goes on in the
  pool, the user is told the file is being checked (`StillChecking`), and `on_done` tells
  them the verdict later (the service queues it as a chat notice).

The flow reaches this through `World.check_sample` (flows stay pure; see store/world.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Protocol

from flows.archives import check_sample_zip
from flows.errors import Invalid, StillChecking
from flows.i18n import Msg, _
from store.blobs import Blobs


def verdict_text(name: str, verdict: str | None) -> Msg:
    """The chat notice that tells a person waiting on a long check how it went (render it
    in their language: a notice is stored as text)."""
    return (_("{name} passed the sample check. Say done when you have attached everything.",
              name=name)
            if verdict is None else _("{name} can't be used: {verdict}", name=name,
                                      verdict=verdict))


def still_checking(name: str) -> StillChecking:
    return StillChecking(_("{name} is being checked (big or slowly encrypted zips take a "
                           "while). I'll tell you here when it's done; then say done.",
                           name=name))


def waiting_turn(name: str) -> Invalid:
    return Invalid(_("Many files are being checked right now, so {name} is still waiting its "
                     "turn. Please send it again in a few minutes.", name=name))


def unreadable(name: str) -> Msg:
    return _("{name} could not be read. Please send it again.", name=name)


class SampleChecker(Protocol):
    """What the service asks of sample checks: this pool, or the shared ones on PostgreSQL
    (bot/sample_jobs.py)."""

    answer_wait: float

    def check(self, sha256: str, path: str, name: str, password: str | None,
              suffixes: tuple[str, ...] | None, *, wait: float | None = None,
              on_done: Callable[[str | None], None] | None = None,
              listener: str = "", waiter: Waiter | None = None) -> None: ...

    def close(self) -> None: ...


CACHE_SIZE = 4096  # verdicts kept (a few dozen bytes each); oldest forgotten first
Key = tuple[str, str, tuple[str, ...]]
Waiter = tuple[str, str, "str | None"]  # the chat told "being checked": channel, id, chat_ref


class SampleChecks:
    def __init__(self, workers: int = 2, budget_seconds: float = 300.0,
                 blobs: Blobs | None = None) -> None:
        # where a file's bytes are read from, by sha256 (a copy when they live in the
        # database: zipfile seeks); without it, the path the check is given
        self.blobs = blobs
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                       thread_name_prefix="casebot-zipcheck")
        self.budget = budget_seconds
        self._lock = threading.Lock()
        self._verdicts: OrderedDict[Key, str | None] = OrderedDict()  # None: passed
        self._running: dict[Key, Future[str | None]] = {}
        self.runs = 0  # how many checks really ran (tests and benchmarks read it)
        self.answer_wait = 5.0  # seconds a chat event waits before "being checked"
        self._told: set[tuple[Key, str]] = set()  # (check, listener) already waiting

    @staticmethod
    def key(sha256: str, password: str | None, suffixes: tuple[str, ...] | None) -> Key:
        secret = hashlib.sha256((password or "").encode()).hexdigest()  # no password in memory
        return sha256, secret, tuple(suffixes or ())

    def check(self, sha256: str, path: str, name: str, password: str | None,
              suffixes: tuple[str, ...] | None, *, wait: float | None = None,
              on_done: Callable[[str | None], None] | None = None,
              listener: str = "", waiter: Waiter | None = None) -> None:
        """Raise `Invalid` with the reason when the sample fails (or ran out of time).

        `wait`: how long to wait for a verdict (default: the budget plus half a minute).
        With `on_done`, a verdict not ready in time raises `StillChecking` and `on_done(verdict)`
        runs when it is (once per `listener` and check). `waiter` is for the shared checks
        (bot/sample_jobs.py): here `on_done` tells."""
        key = self.key(sha256, password, suffixes)
        with self._lock:
            if key in self._verdicts:
                self._verdicts.move_to_end(key)
                verdict = self._verdicts[key]
                if verdict is not None:
                    raise Invalid(verdict)
                return
            future = self._running.get(key)
            if future is None:
                future = self.pool.submit(self._run, key, path, name, password, suffixes)
                self._running[key] = future
        try:  # a running check stops at its deadline; a queued one may wait longer
            verdict = future.result(timeout=wait if wait is not None else self.budget + 30)
        except FutureTimeout:
            if on_done is None:
                raise waiting_turn(name) from None
            with self._lock:
                first = (key, listener) not in self._told
                self._told.add((key, listener))
            if first:
                future.add_done_callback(lambda done: self._tell(key, listener, done, on_done))
            raise still_checking(name) from None
        if verdict is not None:
            raise Invalid(verdict)

    def _tell(self, key: Key, listener: str, done: Future[str | None],
              on_done: Callable[[str | None], None]) -> None:
        with self._lock:
            self._told.discard((key, listener))
        on_done(done.result())

    def _run(self, key: Key, path: str, name: str, password: str | None,
             suffixes: tuple[str, ...] | None) -> str | None:
        verdict: str | None = None
        keep = True
        try:
            with (self.blobs.local_path(key[0]) if self.blobs is not None
                  else contextlib.nullcontext(Path(path))) as local:
                check_sample_zip(str(local), password or "", member_suffixes=suffixes,
                                 name=name, deadline=time.monotonic() + self.budget)
        except Invalid as exc:
            verdict = str(exc)
        except OSError:  # the bytes are missing, not bad: not remembered
            verdict, keep = unreadable(name), False
        with self._lock:
            self.runs += 1
            self._running.pop(key, None)
            if keep:
                self._verdicts[key] = verdict
            while len(self._verdicts) > CACHE_SIZE:
                self._verdicts.popitem(last=False)
        return verdict

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
