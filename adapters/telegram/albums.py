"""Telegram albums arrive as one update per file: answer once, after the last one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

ALBUM_QUIET = 0.8


class _Album:
    """An album's deferred reply: `send` after a quiet moment, unless a newer update comes."""

    def __init__(self, group: str, send: Callable[[], Awaitable[None]]) -> None:
        self.group = group
        self.send = send
        self.sending = False
        self.task: asyncio.Task[None]


class Albums:
    """At most one pending album reply per chat (bounded by the chats with an album open)."""

    def __init__(self) -> None:
        self.pending: dict[int, _Album] = {}

    def __bool__(self) -> bool:
        return bool(self.pending)

    async def flush(self, chat_id: int, keep_group: str | None = None) -> None:
        """Answer a pending album now, before anything newer (or drop it: same album)."""
        album = self.pending.get(chat_id)
        if album is None:
            return
        if album.sending:
            await asyncio.shield(album.task)
            return
        album.task.cancel()
        self.pending.pop(chat_id, None)
        if keep_group != album.group:
            await album.send()

    def defer(self, chat_id: int, group: str, send: Callable[[], Awaitable[None]]) -> None:
        album = _Album(group, send)

        async def later() -> None:
            await asyncio.sleep(ALBUM_QUIET)
            album.sending = True
            try:
                await send()
            finally:
                if self.pending.get(chat_id) is album:
                    self.pending.pop(chat_id, None)

        album.task = asyncio.get_running_loop().create_task(later())
        self.pending[chat_id] = album
