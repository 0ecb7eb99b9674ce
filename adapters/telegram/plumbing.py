"""Small helpers the Telegram handlers share: concurrent Bot API calls, a bounded id set."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any


async def together(*calls: Awaitable[Any]) -> None:
    """Independent Bot API calls at once; the first failure is raised after all have ended."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


class Recent:
    """The last `size` update ids handled: a set that forgets the oldest (bounded memory)."""

    def __init__(self, size: int = 1024) -> None:
        self.ids: OrderedDict[int, None] = OrderedDict()
        self.size = size

    def add(self, item: int) -> None:
        self.ids[item] = None
        while len(self.ids) > self.size:
            self.ids.popitem(last=False)

    def discard(self, item: int) -> None:
        self.ids.pop(item, None)

    def __contains__(self, item: object) -> bool:
        return item in self.ids
