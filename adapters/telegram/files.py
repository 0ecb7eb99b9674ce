"""Telegram file downloads: streamed from the Bot API's file URL into the chat layer's
reservation, counted as they arrive.

PTB's own downloads (`File.download_as_bytearray`, `download_to_memory`) read the whole body
into memory first, so a file larger than Telegram declared would be held whole before any
check. Here the bytes go chunk by chunk into `Chat.store_upload(..., who=, file=)`, which
stops the download as soon as it passes the per-file limit, the person's quota or the disk
budget (bot/quota.py). The URL is the one PTB built from the configured file URL and the bot
token, so it is never logged.
"""

from __future__ import annotations

import logging
import urllib.parse
import urllib.request
from collections.abc import Generator, Iterable
from contextlib import closing
from typing import Protocol

from bot.protocol import FileRef, Invalid, PendingFile, Who

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
TIMEOUT = 60.0  # seconds a connect or a read may take


class Uploads(Protocol):
    """Where files go: the chat layer (`bot.chat.Chat.store_upload`), counted as they come."""

    def store_upload(self, data: Iterable[bytes], name: str | None = None, *,
                     who: Who | None = None, file: PendingFile | None = None) -> FileRef: ...


def stream(url: str, base: str, uploads: Uploads, who: Who, file: PendingFile,
           failed: str) -> FileRef:
    """Download `url` (which must be under the bot's file URL `base`) into the room reserved
    for `file`. `Invalid` says why when it is refused or cannot be fetched."""
    if not url.startswith(base):  # e.g. a local Bot API server's file path: not for us
        raise Invalid(failed.format(name=file.name))

    parts = urllib.parse.urlsplit(url)  # a file path may hold any character (as PTB does)
    quoted = urllib.parse.urlunsplit(parts._replace(path=urllib.parse.quote(parts.path)))

    def body() -> Generator[bytes]:  # opened only once the chat layer has room for the size
        with urllib.request.urlopen(quoted, timeout=TIMEOUT) as resp:
            yield from iter(lambda: resp.read(CHUNK), b"")

    try:
        with closing(body()) as chunks:  # a download cut off is closed at once
            return uploads.store_upload(chunks, file.name, who=who, file=file)
    except OSError as exc:  # the URL holds the token: only the error's kind is logged
        log.warning("file download failed: %s", type(exc).__name__)
        raise Invalid(failed.format(name=file.name)) from exc
