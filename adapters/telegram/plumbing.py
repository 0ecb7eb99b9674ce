"""Small helpers the Telegram handlers share: the chats' worker threads, the long poll that
waits for them, concurrent Bot API calls."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from telegram.request import HTTPXRequest

WORKERS = 4
POLL_WAIT = 0.005  # at most this long (s) the next getUpdates waits for steps in flight


class ChatWorkers:
    """The synchronous chat API off the event loop: each chat on its own warm thread (same
    chat, same thread, so one chat's events stay in order); `workers=0`: `asyncio.to_thread`."""

    def __init__(self, workers: int = WORKERS) -> None:
        self.threads = [ThreadPoolExecutor(1, thread_name_prefix=f"casebot-tg-{i}")
                        for i in range(max(0, workers))]
        self.running = 0  # calls in flight
        self._idle: list[asyncio.Future[None]] = []  # `idle()` callers waiting for 0

    async def run(self, chat_id: int | str, fn: Callable[..., Any], *args: Any,
                  **kwargs: Any) -> Any:
        """`fn` on the chat's thread, awaited: the loop goes on with other chats meanwhile."""
        self.running += 1
        try:
            if not self.threads:
                return await asyncio.to_thread(fn, *args, **kwargs)
            thread = self.threads[hash(str(chat_id)) % len(self.threads)]
            return await asyncio.get_running_loop().run_in_executor(
                thread, functools.partial(fn, *args, **kwargs))
        finally:
            self.running -= 1
            if not self.running:
                for waiter in self._idle:
                    if not waiter.done():
                        waiter.set_result(None)
                self._idle.clear()

    async def idle(self, at_most: float) -> None:
        """Until no call is in flight, or `at_most` seconds: whichever comes first."""
        if not self.running:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._idle.append(waiter)
        try:
            await asyncio.wait_for(waiter, at_most)
        except TimeoutError:
            pass

    def close(self) -> None:
        for thread in self.threads:
            thread.shutdown(wait=False)


class PollAfterSteps(HTTPXRequest):
    """getUpdates' connection: the next long poll is sent once the steps in flight are done
    (at most `POLL_WAIT` later).

    The event loop and the workers share one GIL. PTB asks for the next updates the moment
    it has the last ones, so a step handed to its worker waited while the loop built and
    sent that request (~0.9 ms in bench/telegram_bench.py, of a 5 ms answer on loopback).
    Waiting for the step first puts the user's answer ahead of a poll for updates nobody
    has sent yet; updates that do arrive meanwhile wait at Telegram at most `POLL_WAIT`."""

    def __init__(self, workers: ChatWorkers, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workers = workers

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        await self.workers.idle(POLL_WAIT)
        return await super().do_request(*args, **kwargs)


async def together(*calls: Awaitable[Any]) -> None:
    """Independent Bot API calls at once, started in the order given (put the one the user
    waits for first); the first failure is raised after all have ended."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
