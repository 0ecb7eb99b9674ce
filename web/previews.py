"""Which case files the console may show in the page, judged from their bytes, never from their
name or the type the uploader claimed.

Only two kinds are ever shown inline: images whose bytes are a PNG, JPEG, GIF or WebP (sniffed
by `filetype`), and plain text (valid UTF-8, no control characters, not markup). Everything
else, an SVG, an HTML page, a PDF, a zip, a "picture.png" that is really HTML, stays a
download. The served file also carries `X-Content-Type-Options: nosniff` and a sandboxing CSP
(`FILE_HEADERS`), so even a polyglot can run nothing in the console's origin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

import filetype

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
TEXT_TYPE = "text/plain; charset=utf-8"
SNIFF_BYTES = 8192  # filetype reads at most the first 8 KB
TEXT_LIMIT = 5 * 2**20  # a bigger log is a download, not a page
PREVIEW_LINES = 20
PREVIEW_CHARS = 4000
MARKUP_NAMES = (".htm", ".html", ".xhtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt", ".mht")
CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")  # tab, newlines and form feed pass
# On the file itself, whatever the console's pages send: nothing in it may run or load.
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'",
}


@dataclass(frozen=True)
class Sniffed:
    """What a stored file really is: `media_type` for serving it inline, or None (download)."""

    media_type: str | None
    kind: str  # "image", "text" or "download"


DOWNLOAD = Sniffed(None, "download")


def is_plain_text(data: bytes, name: str, *, cut: bool = False) -> bool:
    """Valid UTF-8 without control characters (a NUL, an escape) that does not start as
    markup and is not named as markup: HTML or SVG shown as text would still be a page a
    careless browser might render. `cut`: `data` is a file's beginning, so a character split
    at its end is no fault."""
    if not data or name.lower().endswith(MARKUP_NAMES):
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not (cut and exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"):
            return False
        text = data[:exc.start].decode("utf-8")
    if CONTROLS.search(text):
        return False
    return not text.lstrip("\ufeff \t\r\n\f").startswith("<")


def sniff(fh: BinaryIO, name: str, *, whole: bool = True) -> Sniffed:
    """The file's real type from its bytes, read from `fh` (a stored file, streamed: images
    by their signature; text: the whole file up to `TEXT_LIMIT`, or with `whole=False` its
    first 8 KB, enough to choose the case page's preview)."""
    head = fh.read(SNIFF_BYTES)
    kind = filetype.guess(head)
    if kind is not None:
        mime = str(kind.mime)
        return Sniffed(mime, "image") if mime in IMAGE_TYPES else DOWNLOAD
    if not whole:
        return Sniffed(TEXT_TYPE, "text") if is_plain_text(head, name, cut=True) else DOWNLOAD
    data = head + fh.read(TEXT_LIMIT + 1 - len(head))
    if len(data) > TEXT_LIMIT or not is_plain_text(data, name):
        return DOWNLOAD
    return Sniffed(TEXT_TYPE, "text")


def text_head(fh: BinaryIO) -> str:
    """The first lines of a text file, for the case page (escaped there by Jinja)."""
    data = fh.read(PREVIEW_CHARS * 4)
    text = data.decode("utf-8", errors="ignore")[:PREVIEW_CHARS]
    lines = text.splitlines()
    return "\n".join(lines[:PREVIEW_LINES])
