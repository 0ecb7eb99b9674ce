"""Email verification: how a chat identity (Telegram user, Slack user, …) proves its email.

Every chat adapter uses the same three calls; all state lives in table `verification_codes`,
so a restart between "send me a code" and "here is the code" loses nothing:

    start_verification(service, channel, external_id, email, chat_ref=None) -> str
        Validate the address, mail a fresh 6-digit code (queued in the outbox in the same
        transaction) and return the message to show ("I sent a 6-digit code to a…@acme.example…").
        Raises `Invalid` for a bad address or when 3 codes went to that address in 10 minutes.
    confirm_verification(service, channel, external_id, code, chat_ref=None, name="") -> str
        Check the code of the identity's latest request: 10 minutes to live, 5 tries. On success
        the code is consumed and the identity linked to the contact (created if new) in one
        transaction; returns the contact's email. Raises `Invalid` with what to do otherwise.
    awaiting_code(service, channel, external_id) -> bool
        True while the identity has a live code (the adapter then reads 6 digits as the code).

Only an HMAC-SHA256 of the code with a per-row random salt is stored; codes and addresses are
never logged. Typical adapter logic for an unlinked user's message: 6 digits -> confirm,
something with "@" -> start, anything else -> ask for the work email (or for the code).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import accounts
from flows.errors import Invalid
from flows.validators import email as valid_email
from store import repo
from store.tables import VerificationCode, utcnow

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
RATE_WINDOW = timedelta(minutes=10)
RATE_MAX = 3
CODE_RE = re.compile(r"^\s*(\d{3})\s?-?\s?(\d{3})\s*$")


def looks_like_code(text: str) -> bool:
    return CODE_RE.match(text or "") is not None


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


def _aware(dt: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _hash(code: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hmac.new(salt, code.encode(), hashlib.sha256).hexdigest()
    return f"{salt.hex()}${digest}"


def _matches(code: str, stored: str) -> bool:
    salt_hex, _, _ = stored.partition("$")
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(_hash(code, salt), stored)


def _latest(s: Session, channel: str, external_id: str) -> VerificationCode | None:
    return s.exec(select(VerificationCode)
                  .where(VerificationCode.channel == channel,
                         VerificationCode.external_id == external_id,
                         col(VerificationCode.consumed_at).is_(None))
                  .order_by(col(VerificationCode.id).desc())).first()


def _live(row: VerificationCode | None, now: datetime) -> bool:
    return row is not None and row.tries < MAX_TRIES and _aware(row.expires_at) > now


def start_verification(service: Any, channel: str, external_id: str, email: str,
                       chat_ref: str | None = None) -> str:
    """Mail a new code to `email` for this identity; returns the message to show."""
    address = valid_email(email.strip())
    now = utcnow()
    policy = getattr(service, "unknown_domains", "own")
    with Session(service.engine) as s:
        accounts.check_domain(s, address, policy)  # refuse before mailing, when so configured
        recent = list(s.exec(select(VerificationCode.created_at)
                             .where(sa.func.lower(VerificationCode.email) == address.lower(),
                                    VerificationCode.created_at > now - RATE_WINDOW)
                             .order_by(col(VerificationCode.created_at))))
        if len(recent) >= RATE_MAX:
            wait = _aware(recent[0]) + RATE_WINDOW - now
            minutes = max(1, int(wait.total_seconds() + 59) // 60)
            raise Invalid(f"I already sent {RATE_MAX} codes to {mask_email(address)} in the last "
                          f"10 minutes. Use the newest one, or try again in {minutes} minute"
                          f"{'s' if minutes != 1 else ''}.")
        old = _latest(s, channel, external_id)
        if old is not None:  # only the newest code of an identity counts
            old.tries = MAX_TRIES
            s.add(old)
        code = f"{secrets.randbelow(10**6):06d}"
        s.add(VerificationCode(email=address, channel=channel, external_id=external_id,
                               code_hash=_hash(code), expires_at=now + CODE_TTL))
        repo.queue_mail(s, kind="verification", to=address,
                        subject="Your casebot verification code",
                        body_text=(f"Your casebot verification code is {code}.\n\n"
                                   f"Send it to the bot in {channel.capitalize()} within 10 "
                                   "minutes to link your chat account to this address.\n"
                                   "If you did not ask for it, ignore this mail.\n"))
        s.commit()
    log.info("verification code queued for %s identity", channel)
    return (f"I sent a 6-digit code to {mask_email(address)}. Send it here within 10 minutes. "
            "(Wrong address? Just send the right one.)")


def confirm_verification(service: Any, channel: str, external_id: str, code: str,
                         chat_ref: str | None = None, name: str = "") -> str:
    """Check `code`; on success link the identity to the contact and return its email."""
    m = CODE_RE.match(code or "")
    now = utcnow()
    with Session(service.engine) as s:
        row = _latest(s, channel, external_id)
        if row is None:
            raise Invalid("There is no code waiting for you. Send your work email address and "
                          "I'll mail you one.")
        if row.tries >= MAX_TRIES:
            raise Invalid("That code can't be used any more (too many wrong tries). Send /start "
                          "or your email address to get a new one.")
        if _aware(row.expires_at) <= now:
            raise Invalid("That code has expired (codes last 10 minutes). Send /start or your "
                          "email address to get a new one.")
        if m is None or not _matches(m.group(1) + m.group(2), row.code_hash):
            row.tries += 1
            s.add(row)
            s.commit()
            left = MAX_TRIES - row.tries
            if left <= 0:
                raise Invalid("That code is not right, and it can't be used any more. Send "
                              "/start or your email address to get a new one.")
            raise Invalid(f"That code is not right. Check the mail and try again "
                          f"({left} tr{'ies' if left != 1 else 'y'} left).")
        row.consumed_at = now
        s.add(row)
        contact = accounts.join(s, row.email, name,
                                policy=getattr(service, "unknown_domains", "own"))
        repo.link_identity(s, contact, channel, external_id, chat_ref)
        address = contact.email
        s.commit()
    log.info("%s identity linked after verification", channel)
    return address


def awaiting_code(service: Any, channel: str, external_id: str) -> bool:
    with Session(service.engine) as s:
        return _live(_latest(s, channel, external_id), utcnow())
