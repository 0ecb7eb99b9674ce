"""Slack file downloads: streamed with the bot token, only ever to Slack, size-checked.

The chat layer reserved each file's room from the size Slack declared before asking for it;
the bytes stream into that reservation (`store_upload(..., who=, file=)`), counted as they
arrive, so a download that passes the quota or the disk budget stops there and leaves nothing.
"""

from __future__ import annotations

import logging
import urllib.parse
import urllib.request
from collections.abc import Callable, Generator, Iterable
from contextlib import closing
from dataclasses import replace
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.protocol import FileRef, Invalid, PendingFile, Who

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


class Uploads(Protocol):
    """Where files go: the chat layer (`bot.chat.Chat.store_upload`), counted as they come."""

    @property
    def upload_limit(self) -> int: ...

    def store_upload(self, data: Iterable[bytes], name: str | None = None, *,
                     who: Who | None = None, file: PendingFile | None = None) -> FileRef: ...


def trusted(url: str, api_base: str) -> bool:
    """The bot token only ever goes to Slack (or to the configured stand-in)."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    api = urllib.parse.urlsplit(api_base)
    if parts.scheme == api.scheme and host == (api.hostname or "").lower() \
            and parts.port == api.port:
        return True
    return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))


class _NoForeignRedirect(urllib.request.HTTPRedirectHandler):
    def __init__(self, ok: Callable[[str], bool]) -> None:
        self.ok = ok

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        if not self.ok(newurl):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(client: WebClient, token: str | None, f: dict[str, Any], files: Uploads,
             api_base: str, who: Who, pending: PendingFile) -> FileRef:
    """Fetch a DM file with the bot token and store it into the room the chat layer
    reserved for `pending` (streamed, counted as it comes)."""
    if not f.get("url_private_download"):
        f = client.files_info(file=f["id"])["file"]
    name = f.get("name") or f.get("title") or "file"
    limit = files.upload_limit
    if int(f.get("size") or 0) > limit:
        raise Invalid(f"{name} is larger than the {limit // (1024 * 1024)} MB limit. "
                      "Compress it, split it, or use the support portal's large-file upload.")
    url = f.get("url_private_download") or ""

    def ok(u: str) -> bool:
        return trusted(u, api_base)

    if not ok(url):
        raise Invalid(f"I couldn't fetch {name} from Slack. Please share it again.")
    opener = urllib.request.build_opener(_NoForeignRedirect(ok))
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})

    def body() -> Generator[bytes]:  # opened only once the chat layer has room for the size
        with opener.open(req, timeout=60) as resp:
            yield from iter(lambda: resp.read(CHUNK), b"")

    declared = f.get("size")
    try:  # the size files.info declares (the event's may be missing) is checked first
        with closing(body()) as chunks:  # a download cut off is closed at once
            return files.store_upload(chunks, name, who=who, file=replace(
                pending, size=declared if isinstance(declared, int) else pending.size))
    except OSError as exc:
        log.warning("file download failed: %s", type(exc).__name__)
        raise Invalid(f"I couldn't fetch {name} from Slack. Please share it again.") from exc


def download_all(client: WebClient, token: str | None, files: Iterable[dict[str, Any]],
                 blobs: Uploads, api_base: str, who: Who,
                 pending: tuple[PendingFile, ...]) -> tuple[list[FileRef], list[str]]:
    """The message's files the chat layer asked for (`pending`, by Slack's file id) stored;
    one that can't be fetched becomes a note for the person."""
    stored: list[FileRef] = []
    notes: list[str] = []
    asked = {p.id: p for p in pending}
    for f in files:
        wanted = asked.get(str(f.get("id")))
        if wanted is None:  # refused before the fetch (quota, disk budget): not downloaded
            continue
        try:
            stored.append(download(client, token, f, blobs, api_base, who, wanted))
        except Invalid as exc:
            notes.append(str(exc))
        except SlackApiError as exc:  # e.g. a file in a channel the app can't read
            log.warning("files.info failed: %s", exc.response.get("error"))
            notes.append(f"I couldn't fetch {f.get('name') or 'a file'} from Slack; "
                         "send it here when the request asks for files.")
    return stored, notes
