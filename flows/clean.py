"""The one place that makes user text safe to store and any text safe to print.

Users can type (or paste, or name a file with) characters that are invisible or that drive a
terminal: C0 controls such as ESC, C1 controls such as U+009B (a one-byte CSI on many
terminals), and bidi overrides/isolates that make "exe.pdf" read as "fdp.exe". Stored user
text has them removed (`clean_input`, applied to every `Inbound`); everything the CLI prints
passes `for_terminal`, which shows any that remain (older rows, feeds) as visible escapes.
"""

from __future__ import annotations

import re

# C0 except tab and newline, DEL, C1 (U+0080–U+009F), bidi embeddings/overrides/isolates.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\x85\u2028\u2029]")


def clean_input(text: str) -> str:
    """User text as stored: line breaks become "\\n", unsafe characters go."""
    if not text:
        return text
    return _UNSAFE.sub("", _LINE_BREAKS.sub("\n", text))


def _escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group(0)):04x}"


def for_terminal(text: str) -> str:
    """Text to print: unsafe characters shown as `\\u009b`-style escapes (valid inside JSON
    strings too, so JSON output parses to the same data)."""
    return _UNSAFE.sub(_escape, text.replace("\r\n", "\n")) if text else text
