"""Small helpers the Telegram handlers share: the chats' worker threads, concurrent Bot API
calls."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

WORKERS = 4
# How long the event loop itself waits for a chat API call when it is the only one in flight.
# A step takes ~1 ms; handed off and awaited, it first waits 0.3–0.5 ms for the GIL while the
# loop runs whatever else is ready (the next getUpdates), and its reply waits again for the
# loop to notice. A longer call (a lock, a download the call asks the loop for) goes on
# asynchronously after this; under load (another call in flight) the loop never waits.
LEND = 0.005


class ChatWorkers:
    """The synchronous chat API off the event loop: each chat on its own warm thread (same
    chat, same thread, so one chat's events stay in order); `workers=0`: `asyncio.to_thread`."""

    def __init__(self, workers: int = WORKERS) -> None:
        self.threads = [ThreadPoolExecutor(1, thread_name_prefix=f"casebot-tg-{i}")
                        for i in range(max(0, workers))]
        self.in_flight = 0  # calls running on the threads now

    async def run(self, chat_id: int | str, fn: Callable[..., Any], *args: Any,
                  **kwargs: Any) -> Any:
        """`fn` on the chat's thread; when it is the only call in flight, the loop waits up to
        `LEND` for it before awaiting, so the step starts and its reply follows at once."""
        if not self.threads:
            return await asyncio.to_thread(fn, *args, **kwargs)
        thread = self.threads[hash(str(chat_id)) % len(self.threads)]
        self.in_flight += 1
        try:
            done = thread.submit(functools.partial(fn, *args, **kwargs))
            if self.in_flight == 1:
                concurrent.futures.wait([done], timeout=LEND)
            if done.done():
                return done.result()
            return await asyncio.wrap_future(done)
        finally:
            self.in_flight -= 1

    def close(self) -> None:
        for thread in self.threads:
            thread.shutdown(wait=False)


async def together(*calls: Awaitable[Any]) -> None:
    """Independent Bot API calls at once, started in the order given (put the one the user
    waits for first); the first failure is raised after all have ended."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
