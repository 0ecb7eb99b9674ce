"""Small helpers the Telegram handlers share: the chats' worker threads, concurrent Bot API
calls."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

WORKERS = 4


class ChatWorkers:
    """The synchronous chat API off the event loop: each chat on its own warm thread (same
    chat, same thread, so one chat's events stay in order); `workers=0`: `asyncio.to_thread`."""

    def __init__(self, workers: int = WORKERS) -> None:
        self.threads = [ThreadPoolExecutor(1, thread_name_prefix=f"casebot-tg-{i}")
                        for i in range(max(0, workers))]

    async def run(self, chat_id: int | str, fn: Callable[..., Any], *args: Any,
                  **kwargs: Any) -> Any:
        """`fn` on the chat's thread, awaited: the loop goes on with other chats meanwhile."""
        if not self.threads:
            return await asyncio.to_thread(fn, *args, **kwargs)
        thread = self.threads[hash(str(chat_id)) % len(self.threads)]
        return await asyncio.get_running_loop().run_in_executor(
            thread, functools.partial(fn, *args, **kwargs))

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
