"""Email verification: how a chat identity (Telegram user, Slack user, …) proves its email.

Every chat adapter uses the same three calls; all state lives in table `verification_codes`,
so a restart between "send me a code" and "here is the code" loses nothing:

    start_verification(service, channel, external_id, email, chat_ref=None) -> str
        Validate the address, mail a fresh 8-digit code (queued in the outbox in the same
        transaction) and return the message to show ("I sent an 8-digit code to a…@acme.example…").
        Raises `Invalid` for a bad address, or with one and the same "locked" message when a
        limit (identity, address, domain, global) is reached. With
        CASEBOT_UNKNOWN_DOMAINS=refuse, an address that can't join gets a mail saying why in
        place of the code, and the chat answer is the same for every address.
    confirm_verification(service, channel, external_id, code, chat_ref=None, name="") -> str
        Check the code of the identity's latest request: 10 minutes to live, 5 tries, a growing
        delay between wrong guesses and a daily cap per identity and per address. On success the
        code is consumed, the identity linked to the contact (created if new) and a notice mailed
        to the address saying how to undo the link, all in one transaction; returns the email.
    awaiting_code(service, channel, external_id) -> bool
        True while the identity has a live code (the adapter then reads the digits as the code).

The limits and the odds they leave an attacker are in SECURITY.md ("Verification codes");
tests/security/test_verification_bruteforce.py measures them. Checks and counts run under one
database lock (`LIMIT_LOCK`), so concurrent requests in any process can't all pass the same
count (tests/security/test_verification_race.py). Only an HMAC-SHA256 of the code
with a per-row random salt is stored; codes and addresses are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import accounts
from bot.i18n import ENGLISH, choose, say
from flows.errors import Invalid
from flows.i18n import _, ngettext
from flows.identity import (  # noqa: F401 (re-exported)
    CODE_DIGITS,
    CODE_RE,
    code_digits,
    looks_like_code,
)
from flows.validators import email as valid_email
from store.tables import VerificationCode, as_utc, saved_id, utcnow
from store.uow import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# held by every unit that checks or counts a code's limits (store/repositories/limits.py): the
# global caps make them one count, so one lock; each holds it for a few milliseconds
LIMIT_LOCK = "verification"


@dataclass(frozen=True)
class Limits:
    """How many codes may be mailed and guessed; SECURITY.md explains the numbers."""

    identity_codes_per_hour: int = 5
    identity_codes_per_day: int = 10
    address_codes_per_hour: int = 3
    address_codes_per_day: int = 10
    domain_codes_per_hour: int = 30
    global_codes_per_hour: int = 500
    identity_wrong_per_day: int = 10   # then the identity is locked out for the rest of the day
    address_wrong_per_day: int = 20    # all identities together, against one address
    global_wrong_per_hour: int = 2000  # all identities, all addresses
    first_delay_seconds: float = 2.0   # after n ≥ 2 wrong guesses: 2 s · 2^(n-2), up to an hour


LIMITS = Limits()
LOCKED = _("For your safety I can't send or check another code right now: too many codes "
           "were asked for or tried. Please try again later (limits reset within a day), or ask "
           "your administrator for help.")


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


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


def _live(row: VerificationCode | None, now: datetime) -> bool:
    return row is not None and row.tries < MAX_TRIES and as_utc(row.expires_at) > now


def _send_allowed(uow: UnitOfWork, channel: str, external_id: str, address: str,
                  domain: str, now: datetime, lim: Limits) -> bool:
    codes = uow.verification
    ident = {"channel": channel, "external_id": external_id}
    checks = (
        (codes.count(now - HOUR, **ident), lim.identity_codes_per_hour),
        (codes.count(now - DAY, **ident), lim.identity_codes_per_day),
        (codes.count(now - HOUR, email=address), lim.address_codes_per_hour),
        (codes.count(now - DAY, email=address), lim.address_codes_per_day),
        (codes.count(now - HOUR, domain=domain), lim.domain_codes_per_hour),
        (codes.count(now - HOUR), lim.global_codes_per_hour),
        (codes.wrong(now - DAY, **ident), lim.identity_wrong_per_day),
        (codes.wrong(now - DAY, email=address), lim.address_wrong_per_day),
    )
    return all(used < allowed for used, allowed in checks)


def _guess_allowed(uow: UnitOfWork, row: VerificationCode, now: datetime,
                   lim: Limits) -> bool:
    """Daily caps per identity and per address, a global hourly cap, and the growing delay."""
    codes = uow.verification
    wrong = codes.wrong(now - DAY, channel=row.channel, external_id=row.external_id)
    return not (wrong >= lim.identity_wrong_per_day
                or codes.wrong(now - DAY, email=row.email) >= lim.address_wrong_per_day
                or codes.wrong(now - HOUR) >= lim.global_wrong_per_hour)


def _delay_left(uow: UnitOfWork, row: VerificationCode, now: datetime, lim: Limits) -> float:
    """Seconds until the identity may guess again: none after a first typo, then 2 s, doubling."""
    codes = uow.verification
    wrong = codes.wrong(now - DAY, channel=row.channel, external_id=row.external_id)
    if wrong < 2:
        return 0.0
    last = codes.last_try(now - DAY, row.channel, row.external_id)
    if last is None:
        return 0.0
    delay = min(lim.first_delay_seconds * 2 ** (wrong - 2), 3600.0)
    return max(0.0, (as_utc(last) + timedelta(seconds=delay) - now).total_seconds())


def start_verification(service: Any, channel: str, external_id: str, email: str,
                       chat_ref: str | None = None, *, now: datetime | None = None,
                       limits: Limits | None = None, platform: str | None = None) -> str:
    """Mail a new code to `email` for this identity; returns the message to show. The mail
    is in the language of the address (`mail_language`), with `platform` the chat's language
    for the person (Slack's locale, Telegram's language_code) if it says one.

    With CASEBOT_UNKNOWN_DOMAINS=refuse an address that could not join an account gets, in
    place of a code, a mail saying why; the chat answer, the limits and a guess at the code
    are the same for every address, so nobody learns which addresses are contacts or which
    domains are registered."""
    address = valid_email(email.strip())
    domain = address.rsplit("@", 1)[-1].lower()
    lim = limits or getattr(service, "verification_limits", None) or LIMITS
    policy = getattr(service, "unknown_domains", "own")
    with unit_of_work(service.engine) as s:
        s.limits.hold(LIMIT_LOCK)  # the counts below stay true until this unit commits
        now = now or utcnow()  # read once the lock is held: after the previous holder's time
        if not _send_allowed(s, channel, external_id, address, domain, now, lim):
            log.info("verification code refused by a limit for a %s identity", channel)
            raise Invalid(LOCKED)
        joins = accounts.can_join(s, address, policy)
        # one that can't join gets a code nobody is told (no guess matches 32 characters)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}" if joins else (
            secrets.token_hex(16))
        _replace_code(s, VerificationCode(
            email=address, domain=domain, channel=channel, external_id=external_id,
            code_hash=_hash(code), expires_at=now + CODE_TTL, created_at=now), now)
        language = mail_language(s, service, address, platform)
        if joins:
            _mail_code(s, channel, address, code, language)
        else:
            _mail_refusal(s, channel, address, domain, language)
    log.info("verification %s queued for a %s identity", "code" if joins else "refusal",
             channel)
    if policy == "refuse":
        return _("I mailed {address}. If that address can get support here, the mail has an "
                 "8-digit code: send it here within 10 minutes. If it can't, the mail says what "
                 "to do. (Wrong address? Just send the right one.)", address=mask_email(address))
    return _("I sent an 8-digit code to {address}. Send it here within 10 minutes. (Wrong "
             "address? Just send the right one.)", address=mask_email(address))


def _replace_code(uow: UnitOfWork, row: VerificationCode, now: datetime) -> None:
    """Save the identity's new code; only the newest one counts, so a live older one ends."""
    old = uow.verification.latest(row.channel, row.external_id)
    if old is not None and as_utc(old.expires_at) > now:
        old.expires_at = now
        uow.verification.save(old)
    uow.verification.save(row)


IGNORE_IT = _("If you did not ask for it, ignore this mail.")


def mail_language(uow: UnitOfWork, service: Any, address: str, platform: str | None) -> str:
    """The language a mail to `address` is in (bot/i18n.py, `choose`): its contact's own
    choice, the chat's language for the person, the account's default (the contact's account,
    else the one owning the address's domain), the deployment's default. Only the mail, read by
    the address's owner, says it: the chat's answer is the same for every address."""
    own, account = accounts.languages_of_address(uow, address)
    return choose(own, platform, account, getattr(service, "default_language", ENGLISH))


def _mail_code(uow: UnitOfWork, channel: str, address: str, code: str,
               language: str) -> None:
    body = _("Your casebot verification code is {code}.\n\nSend it to the bot in {platform} "
             "within 10 minutes to link your chat account to this address.",
             code=code, platform=channel.capitalize())
    uow.outbox.queue(kind="verification", to=address,
                     subject=say(_("Your casebot verification code"), language),
                     body_text=f"{say(body, language)}\n{say(IGNORE_IT, language)}\n")


def _mail_refusal(uow: UnitOfWork, channel: str, address: str, domain: str,
                  language: str) -> None:
    """What an address that can't join is told in place of a code (the chat can't say it)."""
    body = _("Someone, probably you, asked the support bot in {platform} to link a chat "
             "account to this address. Addresses at {domain} are not registered with support "
             "yet, so no code was sent and nothing was linked.\n\nTo get support in the chat, "
             "ask your administrator to register your company's domain with support, or send "
             "the bot your work address at a registered domain.",
             platform=channel.capitalize(), domain=domain)
    uow.outbox.queue(
        kind="verification_refused", to=address,
        subject=say(_("Your casebot verification request"), language),
        body_text=f"{say(body, language)}\n{say(IGNORE_IT, language)}\n")


def confirm_verification(service: Any, channel: str, external_id: str, code: str,
                         chat_ref: str | None = None, name: str = "", *,
                         now: datetime | None = None, limits: Limits | None = None,
                         platform: str | None = None) -> str:
    """Check `code`; on success link the identity to the contact and return its email.

    Every check and count runs under the verification lock, so concurrent guesses are
    checked one after another: each sees the tries, caps and delay the others left."""
    digits = code_digits(code)
    lim = limits or getattr(service, "verification_limits", None) or LIMITS
    with unit_of_work(service.engine) as s:
        s.limits.hold(LIMIT_LOCK)
        now = now or utcnow()  # read once the lock is held: after the previous holder's time
        row = _guessable(s, channel, external_id, now, lim)
        if digits is None or not _matches(digits, row.code_hash):
            # the wrong try is counted (committed with the unit), then refused below
            counted = s.verification.count_wrong(saved_id(row), now, MAX_TRIES)
            left: int | None = MAX_TRIES - (MAX_TRIES if counted is None else counted)
        else:
            left = None
            address = _link(s, service, row, chat_ref, name, now, platform)
    if left is not None:
        if left <= 0:
            raise Invalid(_("That code is not right, and it can't be used any more. Send "
                            "/start or your email address to get a new one."))
        raise Invalid(ngettext("That code is not right. Check the mail and try again ({n} try "
                               "left).", "That code is not right. Check the mail and try "
                               "again ({n} tries left).", left))
    log.info("%s identity linked after verification", channel)
    return address


def _guessable(uow: UnitOfWork, channel: str, external_id: str, now: datetime,
               lim: Limits) -> VerificationCode:
    """The identity's code a guess may be checked against; `Invalid` saying why not."""
    row = uow.verification.latest(channel, external_id)
    if row is None:
        raise Invalid(_("There is no code waiting for you. Send your work email address and "
                        "I'll mail you one."))
    if row.tries >= MAX_TRIES:
        raise Invalid(_("That code can't be used any more (too many wrong tries). Send /start "
                        "or your email address to get a new one."))
    if as_utc(row.expires_at) <= now:
        raise Invalid(_("That code has expired (codes last 10 minutes). Send /start or your "
                        "email address to get a new one."))
    if not _guess_allowed(uow, row, now, lim):
        raise Invalid(LOCKED)
    wait = _delay_left(uow, row, now, lim)
    if wait > 0:
        seconds = int(wait + 0.999)
        raise Invalid(ngettext("Please wait {n} second before trying the code again.",
                               "Please wait {n} seconds before trying the code again.",
                               seconds))
    return row


def _link(uow: UnitOfWork, service: Any, row: VerificationCode, chat_ref: str | None,
          name: str, now: datetime, platform: str | None = None) -> str:
    """The right code: use it up and link its identity to the contact (made if new)."""
    row.consumed_at = now
    uow.verification.save(row)
    contact = accounts.join(uow, row.email, name,
                            policy=getattr(service, "unknown_domains", "own"))
    already = uow.contacts.for_identity(row.channel, row.external_id)
    uow.contacts.link_identity(contact, row.channel, row.external_id, chat_ref)
    if already is None or already.id != contact.id:
        queue_link_notice(uow, contact.email, row.channel, row.external_id,
                          language=mail_language(uow, service, contact.email, platform))
    return contact.email


def queue_link_notice(uow: UnitOfWork, address: str, channel: str, external_id: str, *,
                      language: str = ENGLISH) -> None:
    """Tell the address, in `language`, that a chat identity was linked to it, and how to
    undo that."""
    flag = "--slack" if channel == "slack" else f"--{channel}"
    platform = channel.capitalize()
    body = _("A {platform} account (id {id}) was just linked to {address} at casebot. It can "
             "now open and read your support cases, profiles and activation codes.\n\nIf that "
             "was you, there is nothing to do.\nIf it was not you, ask your support operator "
             "to remove it right away; they run:", platform=platform, id=external_id,
             address=address)
    uow.outbox.queue(
        kind="identity_linked", to=address,
        subject=say(_("A {platform} account was linked to your support contact",
                      platform=platform), language),
        body_text=(f"{say(body, language)}\n"
                   f"  casebot contacts unlink --email {address} {flag} {external_id}\n"))


def awaiting_code(service: Any, channel: str, external_id: str) -> bool:
    with unit_of_work(service.engine, read_only=True) as s:
        return _live(s.verification.latest(channel, external_id), utcnow())
