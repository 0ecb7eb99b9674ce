"""Small helpers the Telegram handlers share: concurrent Bot API calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def together(*calls: Awaitable[Any]) -> None:
    """Independent Bot API calls at once, started in the order given (put the one the user
    waits for first); the first failure is raised after all have ended."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
