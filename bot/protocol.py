"""What a chat adapter and the chat layer say to each other: the adapters' whole view of the
core, with `bot.chat.Chat` (docs/architecture.md, "The chat layer").

An adapter parses a platform event into `Who` + `Inbound`, calls `Chat.handle` once and renders
the `Reply`; reads (a keyboard drawn again after a restart, Slack's App Home, the console's
"draft saved") go through `Chat.view`, which never writes. Everything an adapter needs besides
that (the values its controls carry, the errors a download raises, a notice's outcome) is
named here (the settings too, for an adapter's own tokens and URLs), so no adapter reaches into
flows/, store/ or the rest of bot/: those stay free to change behind this surface, as a
library's private modules do behind its public API.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.i18n import ENGLISH, LANGUAGES, choose, say
from bot.settings import Settings
from flows.clean import for_terminal
from flows.commands import BUTTON_COMMANDS, RECLASSIFY, button_id, command_of, pressed
from flows.commands import PREFIX as COMMAND_PREFIX
from flows.errors import Invalid
from flows.i18n import N_, _
from flows.identity import CONFIRM_STEP, NO, YES
from flows.model import Choice, FileRef, Inbound, PendingFile, Prompt, info
from flows.steps import DONE, SKIP_WORDS, match_choice, said
from flows.when import Moment
from store.budget import Bucket
from store.poller import Holder

__all__ = [
    "BUTTON_COMMANDS", "COMMAND_PREFIX", "CONFIRM_STEP", "DONE", "ENGLISH", "LANGUAGES", "NO",
    "N_", "RECLASSIFY", "SKIP_WORDS", "YES", "Alert", "AnotherPoller", "Bucket", "Choice",
    "Directory",
    "FetchFiles", "Fetched", "FileRef", "FromMessage", "Inbound", "Invalid", "Moment", "Notice",
    "OpenCase", "Outcome", "PendingFile", "Prompt", "Reply", "Settings", "View", "Vouched",
    "Who", "_", "button_id", "choose", "command_of", "for_terminal", "info", "match_choice",
    "none_fetched", "pressed", "said", "say",
]


@dataclass(frozen=True)
class Who:
    """The person behind an event: the channel and their id there."""

    channel: str
    external_id: str
    email: str | None = None
    name: str = ""
    chat_ref: str | None = None
    # the language the platform says the person uses (Slack's user locale, Telegram's
    # language_code): used when they have chosen none (bot/i18n.py, `choose`)
    locale: str | None = None
    # asks the platform for it (Slack's users.info), only when it is needed and not known:
    # neither stored with a linked identity nor in `locale` (bot/event.py, `speaks`)
    ask_locale: Callable[[], str | None] | None = field(default=None, compare=False,
                                                        repr=False)


@dataclass(frozen=True)
class FromMessage:
    """A request started from an existing message (a Slack message shortcut, Telegram
    forwards, `casebot chat --describe`): its text describes the request, `files` are its
    files as the platform's references, `source` links back to it."""

    text: str
    source: str = ""
    files: tuple[PendingFile, ...] = ()


@dataclass(frozen=True)
class Reply:
    """What one event comes to, for the adapter to render.

    `prompts`: what to show, in order. `notices`: notes about the event itself that leave the
    question where it was (a file not fetched, too big); a chat shows them beside the question
    already on screen. `question`: the question these prompts leave the person at (None when
    they ask none) and `takes_files` whether it takes files. `open_cases`: after a submit, the
    person's open cases, for a chat that lists them (`Chat(..., lists_cases=True)`)."""

    prompts: list[Prompt] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    open_cases: list[OpenCase] | None = None
    # the language its prompts and notices are in (bot/i18n.py); an adapter says its own
    # words in it too (`say`)
    language: str = "en"

    @property
    def question(self) -> Prompt | None:
        asked = [p for p in self.prompts if p.kind not in ("info", "done")]
        return asked[-1] if asked else None

    @property
    def takes_files(self) -> bool:
        question = self.question
        return question is not None and question.kind == "files"


@dataclass(frozen=True)
class OpenCase:
    """One line of a person's open cases (Slack's App Home). `updated`: when it last changed
    (shown with `Moment.utc`, in the reader's language)."""

    number: str
    subject: str
    status: str
    updated: datetime


@dataclass(frozen=True)
class View:
    """Where a person is, read without writing anything (`Chat.view`).

    `linked`: the identity is a contact's. `question`: the question their conversation is at
    (None: none open). `has_answers`: the open conversation holds something they answered.
    `checked_urls`: the URLs of their last /checkurl. `open_cases`: their cases not resolved
    or closed, newest first (asked for with `cases=True`; None when not asked or not linked).
    """

    linked: bool = False
    question: Prompt | None = None
    has_answers: bool = False
    checked_urls: list[str] = field(default_factory=list)
    open_cases: list[OpenCase] | None = None
    # a message of theirs that replies to nothing goes to a case of theirs: added, or asked
    # about (bot/replies.py `unthreaded`; read only when asked for)
    waiting: bool = False
    language: str = "en"  # the language `question` is in (bot/i18n.py)

    @property
    def takes_files(self) -> bool:
        return self.question is not None and self.question.kind == "files"


@dataclass(frozen=True)
class Vouched:
    """What a platform says about a person's email (Slack's users.info). `team`: the
    workspace that vouches for it, the person's own (not the one an event came from)."""

    email: str | None
    confirmed: bool
    team: str = ""
    name: str = ""
    locale: str | None = None  # the person's language there, read by the same call


Directory = Callable[[], Vouched | None]
"""Asked only for a person not linked yet: the email the platform vouches for."""

Fetched = tuple[list[FileRef], list[str]]
"""Files stored, and a note for each one that could not be fetched."""

FetchFiles = Callable[[Who, tuple[PendingFile, ...]], Fetched]
"""The adapter's way to download and store files by the platform's references, in whichever
process runs it; the chat layer calls it only for a linked contact whose question takes them
(or a message that opens a request), with only the files whose declared size fitted the
person's quota and the disk budget. The fetcher stores each one with
`Chat.store_upload(chunks, name, who=who, file=pending)`, so its bytes go into the room
reserved for it, counted as they arrive."""

CANNOT_FETCH = N_("I couldn't fetch {name}; send it here when the request asks for files.")


def none_fetched(pending: Sequence[PendingFile]) -> Fetched:
    """Nothing stored, a note for each file: what a fetch that cannot run at all answers."""
    return [], [_(CANNOT_FETCH, name=f.name) for f in pending]


class Outcome(enum.Enum):
    """How sending one operator notice went."""

    SENT = "sent"
    RETRY = "retry"  # a passing failure (rate limit, network): try again on a later poll
    GIVE_UP = "give_up"  # it can never be sent (blocked bot, chat gone, workspace uninstalled)


@dataclass(frozen=True)
class Notice:
    """A claimed notice, as plain values (safe to hand to another thread or an event loop).

    `case`: the number of the case it is about (None: about none). `thread`: the chat's
    first message about that case (Slack posts in its thread). `buttons`: command buttons
    (Solved / Still broken, a survey's 1–5), each a `Choice` whose id `pressed` reads back;
    a terminal shows their hints. `files`: what an operator attached, stored locally.
    After sending, the adapter acks with the ids of the messages it sent (`ack_notice`
    remembers them, so a reply to any of them reaches this case)."""

    id: int
    channel: str
    external_id: str
    chat_ref: str | None
    text: str
    case: str | None = None
    thread: str | None = None
    buttons: tuple[Choice, ...] = ()
    files: tuple[FileRef, ...] = ()


@dataclass(frozen=True)
class Alert:
    """A claimed staff alert (bot/alerts.py), as plain values: `text` says what happened
    (a new Critical case, a missed due time, a customer's reply), the rest is the case as it
    is now. `link`: the case in the web console (CASEBOT_WEB_URL), None when unset. The
    sender answers None (posted) or what went wrong (`Chat.deliver_alerts` retries it)."""

    id: int
    kind: str  # "new", "overdue" or "reply"
    text: str
    case: str
    severity: str
    subject: str
    account: str
    contact: str
    assignee: str | None = None
    due: str | None = None  # "2026-12-06 14:05 UTC (first response)"
    link: str | None = None


class AnotherPoller(ValueError):
    """A second Telegram poller for the same bot (`Chat.hold_poller`): Telegram gives each
    bot's updates to one poller, so this process must not start. Its text is the one line
    the operator reads."""

    def __init__(self, username: str, holder: Holder) -> None:
        where = " on ".join(str(x) for x in (
            f"pid {holder.pid}" if holder.pid else None, holder.host) if x)
        since = holder.since.astimezone(UTC).strftime("%H:%M UTC") if holder.since else None
        about = " ".join(x for x in (where, f"since {since}" if since else None) if x)
        super().__init__(
            f"Another casebot telegram is already polling for @{username}"
            f"{f' ({about})' if about else ''}; one poller per bot: stop it, or run several "
            "with --webhook-url (README, 'Several machines').")
