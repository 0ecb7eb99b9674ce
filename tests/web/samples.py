"""Small files whose bytes are what they claim, or pretend to be something else: for the
case page's previews (web/previews.py) and their security tests."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 24, height: int = 16, rgb: tuple[int, int, int] = (11, 87, 208)) -> bytes:
    """A real PNG of one colour (a browser renders it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"  # noqa: E501
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x000\x01\x00\x9d\x01*\x01\x00\x01\x00\x02\x004%\xa4\x00\x03p\x00\xfe\xfb\x94\x00\x00"  # noqa: E501
SCRIPT = b"<script>document.title='pwned'</script>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       + SCRIPT + b"</svg>")
HTML = b"<!doctype html><html><body>" + SCRIPT + b"</body></html>"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"\x00" * 40
LOG = ("12:00:01 agent service stopped (code 0xC0000005)\n"
       "12:00:02 blocked <script>alert(1)</script> in GET /login\n"
       "12:00:03 restarting… ✓\n").encode()

