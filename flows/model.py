"""Plain values that cross the line between chat platforms and the flow.

Adapters turn platform events into an `Inbound` and render each `Prompt` natively; the flow
never sees an SDK object and never produces one. Everything here is frozen so a value can be
logged, compared in tests and passed between threads without surprises.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from flows.clean import clean_input
from flows.normalize import normal

InboundKind = Literal["text", "choice", "multi", "file", "command"]
PromptKind = Literal["choice", "multi", "text", "multiline", "files", "review", "info", "done"]


@dataclass(frozen=True)
class FileRef:
    """An attachment already stored content-addressed; `path` is where its bytes are."""

    name: str
    size: int
    sha256: str
    path: str


@dataclass(frozen=True)
class PendingFile:
    """A message's file still on the chat platform, not fetched yet (its person is not linked
    yet): `id` is the platform's own reference, opaque here, so any process can fetch it later.
    Kept as JSON with what the person asked for (store/repositories/waits.py)."""

    id: str
    name: str
    size: int | None = None


@dataclass(frozen=True)
class Inbound:
    """One thing the user did: typed text, pressed a choice, sent a file, or ran a command.

    `step` is the step the pressed control belonged to and `draft` the draft it was shown for;
    a press whose step or draft no longer matches is out of date and changes nothing.
    """

    kind: InboundKind
    text: str = ""
    choice: str | None = None
    choices: tuple[str, ...] = ()
    done: bool = False
    file: FileRef | None = None
    command: str | None = None
    args: str = ""
    step: str | None = None
    draft: str | None = None
    # a request started from an existing message (issue 15): its files, already stored by the
    # chat layer for a linked contact, and a link back to the message
    files: tuple[FileRef, ...] = ()
    source: str = ""
    # that message's files before they are fetched (bot/chat.py fetches them once linked)
    pending_files: tuple[PendingFile, ...] = ()
    # issue 23: the platform's id of the message this one answers (a Slack thread's parent
    # ts, the Telegram message replied to), and this message's own id (stored once)
    thread: str = ""
    ref: str = ""

    def __post_init__(self) -> None:
        """Every user text that reaches a flow, and so the store, is cleaned here, once."""
        if self.text:
            object.__setattr__(self, "text", clean_input(self.text))
        if self.args:
            object.__setattr__(self, "args", clean_input(self.args))

    @staticmethod
    def from_text(text: str) -> Inbound:
        """Classify typed text: `/cmd args` is a command, `//…` a literal slash, else an answer.
        A command typed in full-width forms (a Japanese keyboard's slash) is the same command."""
        stripped = text.strip()
        if stripped.startswith("\uff0f"):
            stripped = "/" + stripped[1:]
        if stripped.startswith("//"):
            return Inbound(kind="text", text=text.replace("//", "/", 1))
        if stripped.startswith("/") and len(stripped) > 1 and not stripped.startswith("//"):
            head, *rest = stripped[1:].split(maxsplit=1)
            return Inbound(kind="command", command=normal(head).lower(),
                           args=rest[0].strip() if rest else "", text=text)
        return Inbound(kind="text", text=text)


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    hint: str = ""
    group: str | None = None


@dataclass(frozen=True)
class SummaryItem:
    """One line of a review: `step` is what Edit jumps to, or None when not editable."""

    label: str
    value: str
    step: str | None = None


@dataclass(frozen=True)
class Prompt:
    """What the flow asks or says; adapters decide how it looks.

    `kind` tells the adapter which control to draw. `text` never contains markup; adapters
    escape it for their platform. `error` is set when the previous answer was refused.
    `stale` marks the answer to a press that was out of date (the adapter says so on the
    pressed control); `retry` marks "nothing was saved, send it again" (store unavailable).
    """

    kind: PromptKind
    text: str
    step: str | None = None
    choices: tuple[Choice, ...] = ()
    selected: tuple[str, ...] = ()
    error: str | None = None
    summary: tuple[SummaryItem, ...] = ()
    hint: str = ""
    optional: bool = False
    draft: str | None = None
    stale: bool = False
    retry: bool = False
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # the language its text was rendered in by the chat layer (bot/i18n.py); None: not yet.
    # An adapter renders its own words (hints, buttons) in the same one.
    language: str | None = None

    def with_error(self, error: str) -> Prompt:
        return replace(self, error=error)

    def for_draft(self, draft: str | None) -> Prompt:
        return replace(self, draft=draft)


def info(text: str, *, stale: bool = False, retry: bool = False, **data: Any) -> Prompt:
    return Prompt(kind="info", text=text, stale=stale, retry=retry, data=data)
