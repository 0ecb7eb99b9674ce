"""Who is this? The identity flow every chat runs before a person is linked to a contact.

Pure: it reads what the person sent and what is known (a code is waiting, the platform vouches
for an email) and says what to do next. `bot/chat.py` performs the action (mail a code, check
it, link the platform's email) and, once linked, goes on with what the person first asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.i18n import _
from flows.model import Choice, Inbound, Prompt, info
from flows.normalize import typed_value

# The question "Is ADDRESS your work email?" (a platform vouched for ADDRESS).
CONFIRM_STEP = "identity.confirm_email"
YES, NO = "yes", "no"
# The mailed code's format, in one place (bot/verification.py makes and checks codes):
# 8 digits (issue 11; SECURITY.md has the odds), typed with or without spaces or dashes,
# read as `code_digits` reads them (full-width digits are the same digits).
CODE_DIGITS = 8
CODE_RE = re.compile(rf"^\s*((?:\d[ -]?){{{CODE_DIGITS - 1}}}\d)\s*$", re.ASCII)

ASK_EMAIL = _("Hello! I open support cases for you. First I need to know who you are: what "
              "is your work email address? Type it as a message; I'll mail you an 8-digit code "
              "to confirm it.")
WAITING = _("Please send the 8-digit code from the email I sent you, or send your work email "
            "address again to get a new code.")


@dataclass(frozen=True)
class SendCode:
    address: str


@dataclass(frozen=True)
class CheckCode:
    code: str


@dataclass(frozen=True)
class LinkVouched:
    """The person confirmed the email the platform vouches for."""


@dataclass(frozen=True)
class Declined:
    """Not that email: ask for the work email instead (and stop offering the platform's)."""


@dataclass(frozen=True)
class Say:
    prompt: Prompt


Action = SendCode | CheckCode | LinkVouched | Declined | Say


def code_digits(text: str) -> str | None:
    """The code's 8 ASCII digits as typed ("1234 5678", in full-width digits too, with a
    closing 。), or None."""
    m = CODE_RE.match(typed_value(text or ""))
    return re.sub(r"\D", "", m.group(1)) if m else None


def looks_like_code(text: str) -> bool:
    return code_digits(text) is not None


def looks_like_email(text: str) -> bool:
    said = typed_value(text)
    return "@" in said and " " not in said and not said.startswith("/")


def confirm_email(address: str) -> Prompt:
    return Prompt(kind="choice", step=CONFIRM_STEP,
                  text=_("Is {address} your work email?", address=address),
                  choices=(Choice(id=YES, label=_("Yes")), Choice(id=NO, label=_("No"))),
                  data={"email": address})


def next_action(inbound: Inbound, *, awaiting_code: bool, vouched: str | None) -> Action:
    """What to do with one message of a person not linked yet.

    `vouched` is the email the platform confirms for this person (None when there is none,
    the person said it is not theirs, or the platform is not trusted for it).
    """
    if inbound.kind == "choice" and inbound.step == CONFIRM_STEP:
        if inbound.choice == YES and vouched:
            return LinkVouched()
        return Declined()
    said = inbound.text.strip() if inbound.kind == "text" else ""
    if said and looks_like_code(said):
        return CheckCode(said)
    if said and looks_like_email(said):
        return SendCode(said)
    if awaiting_code and inbound.kind != "command":
        return Say(info(WAITING))
    if vouched:
        return Say(confirm_email(vouched))
    return Say(info(ASK_EMAIL))
