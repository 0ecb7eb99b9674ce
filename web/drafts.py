"""A reply typed before the session ended, kept across signing in again (issue 24).

A case's reply form POSTed without a live session (it expired, or the operator signed out in
another tab) is not saved: `SignInGuard` answers with the sign-in page, which carries what was
typed (`Draft`: the fields note, status and action, size-limited) in hidden fields. Signing in
there puts the draft in the new session, and the case page puts it back in the reply form with
a notice; nothing is sent until the operator presses Send again. The old session's CSRF token
cannot be reused, which is why the form is not resubmitted by itself.

The draft is never trusted for anything but refilling the form: it is escaped like any text,
its status is used only if it is one of the statuses, and it is kept only for a POST that came
from this console's own pages (Origin / Sec-Fetch-Site), so another site can't plant a reply.
Files are not kept: they must be attached again (the notice says so).
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Scope

CASE_PATH = re.compile(r"/cases/([0-9]{1,20})")
FIELDS = ("note", "status", "action")
ACTIONS = ("reply", "internal")
MAX_CHARS = 20_000  # a kept note longer than this is cut (the sign-in page says so)
MAX_SCAN = 64 * 2**20  # body bytes read looking for the fields (files' bytes are skipped)
MAX_URLENCODED = 2**20
# the packed draft rides in the session cookie, which a browser drops beyond 4 KB: the rest
# of the session (ids, CSRF token) and two base64 layers leave this much
COOKIE_BUDGET = 2_400


@dataclass(frozen=True)
class Draft:
    case: str
    note: str
    status: str = ""
    action: str = "reply"
    cut: bool = False  # the note was longer than MAX_CHARS

    @staticmethod
    def of(case: str, fields: Mapping[str, str]) -> Draft | None:
        """The draft of these form fields, or None when there is no text to keep."""
        note = fields.get("note", "")
        if not note.strip():
            return None
        action = fields.get("action", "")
        return Draft(case, note[:MAX_CHARS], fields.get("status", "")[:40],
                     action if action in ACTIONS else "reply", len(note) > MAX_CHARS)

    @staticmethod
    def of_signin(form: Mapping[str, object], target: str) -> Draft | None:
        """The draft the sign-in page carried back (`draft_*` fields), for the case its
        `next` target names."""
        found = CASE_PATH.fullmatch(target)
        if found is None:
            return None
        return Draft.of(found.group(1), {k: str(form.get(f"draft_{k}") or "") for k in FIELDS})

    def pack(self) -> str | None:
        """The draft for the session cookie, or None when it is too long to fit."""
        raw = json.dumps([self.case, self.note, self.status, self.action],
                         ensure_ascii=False).encode()
        packed = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode()
        return packed if len(packed) <= COOKIE_BUDGET else None

    @staticmethod
    def unpack(packed: object) -> Draft | None:
        if not isinstance(packed, str) or len(packed) > COOKIE_BUDGET:
            return None
        try:
            case, note, status, action = json.loads(zlib.decompress(
                base64.urlsafe_b64decode(packed)))
        except (ValueError, TypeError, zlib.error):
            return None
        return Draft.of(str(case), {"note": str(note), "status": str(status),
                                    "action": str(action)})


def from_this_site(scope: Scope) -> bool:
    """A browser's POST from one of this console's own pages (not a form on another site)."""
    headers = Headers(scope=scope)
    if headers.get("sec-fetch-site", "same-origin") != "same-origin":
        return False
    origin = headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == headers.get("host")


async def draft_of(request: Request) -> Draft | None:
    """What a case's reply form POSTed (note, status, action), read without storing files;
    None for any other request, one from another site, or one with no text."""
    scope = request.scope
    found = CASE_PATH.fullmatch(scope["path"])
    if scope["method"] != "POST" or found is None or not from_this_site(scope):
        return None
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    try:
        if kind == b"multipart/form-data" and options.get(b"boundary"):
            fields = await _multipart(request, options[b"boundary"])
        elif kind == b"application/x-www-form-urlencoded":
            fields = await _urlencoded(request)
        else:
            return None
    except Exception:  # a malformed body keeps nothing, and says nothing
        return None
    return Draft.of(found.group(1), fields)


async def _urlencoded(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_URLENCODED:
            return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items() if k in FIELDS}


class _TextFields:
    """python-multipart callbacks keeping the text fields among FIELDS; file parts and other
    fields are read past, not kept."""

    LIMIT = MAX_CHARS * 4 + 1  # bytes of UTF-8 per field

    def __init__(self) -> None:
        self.fields: dict[str, bytearray] = {}
        self.header: dict[str, bytes] = {}
        self.current: bytearray | None = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header["field"] = self.header.get("field", b"") + data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header["value"] = self.header.get("value", b"") + data[start:end]

    def on_header_end(self) -> None:
        if self.header.get("field", b"").lower() == b"content-disposition":
            _, options = parse_options_header(self.header.get("value", b""))
            name = options.get(b"name", b"").decode("utf-8", "replace")
            if name in FIELDS and b"filename" not in options:
                self.current = self.fields.setdefault(name, bytearray())
        self.header.clear()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        kept = self.current
        if kept is not None and len(kept) < self.LIMIT:
            kept += data[start:end][: self.LIMIT - len(kept)]

    def on_part_end(self) -> None:
        self.current = None

    def text(self) -> dict[str, str]:
        return {k: bytes(v).decode("utf-8", "replace") for k, v in self.fields.items()}


async def _multipart(request: Request, boundary: bytes) -> dict[str, str]:
    found = _TextFields()
    parser = MultipartParser(boundary, {
        "on_header_field": found.on_header_field, "on_header_value": found.on_header_value,
        "on_header_end": found.on_header_end, "on_part_data": found.on_part_data,
        "on_part_end": found.on_part_end})
    read = 0
    async for chunk in request.stream():
        read += len(chunk)
        if read > MAX_SCAN:
            break
        parser.write(chunk)
    return found.text()
