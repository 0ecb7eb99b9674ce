"""Terminal input -> Inbound. Pure: the app reads lines, this decides what they mean."""

from __future__ import annotations

from flows.model import Inbound
from flows.steps import DONE


def parse_line(text: str) -> Inbound:
    """One answer line. `/done` ends an attachment step; other `/x` are commands."""
    stripped = text.strip()
    if stripped.lower() == "/done":
        return Inbound(kind="choice", choice=DONE, text=text)
    return Inbound.from_text(text)


def attach_path(inbound: Inbound) -> str | None:
    """The PATH of `/attach PATH`, with quotes removed, or None for any other input."""
    if inbound.kind == "command" and inbound.command == "attach":
        return inbound.args.strip().strip("'\"") or ""
    return None
