"""Operators: support staff who sign in to the web console, and the one sign-in check.

Operators are not contacts: they have no chat identity, no account and no cases of their own.
Passwords are kept as argon2id hashes (argon2-cffi's defaults, rehashed on sign-in when those
change). Refused sign-ins are counted per email and per client address in the database, so the
limit holds for every web process and survives a restart; an attempt is counted before its
password is checked, under a database lock, so a burst of concurrent attempts gets no more
checks than the limit (tests/security/test_signin_race.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from flows.errors import Invalid
from flows.validators import email as check_email
from store.tables import Operator, iso, saved_id, utcnow
from store.uow import UnitOfWork, unit_of_work

MIN_PASSWORD = 12
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_CLIENT = 20
REFUSED_ACTOR = "web:?"  # a refused sign-in: nobody signed in (the email tried: its subject)
SIGN_IN_LOCK = "sign-in"  # held while an attempt is checked against the limits and counted

_hasher = PasswordHasher()
# verified against when the email is unknown, so both answers take the same time
_DUMMY_HASH = _hasher.hash("casebot: no such operator")


class TooManyAttempts(Exception):
    """Too many refused sign-ins for this email or from this address in the last WINDOW."""


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"The password needs at least {MIN_PASSWORD} characters.")
    if len(password) > 1024:
        raise Invalid("The password is too long (1024 characters at most).")
    return password


def add_operator(uow: UnitOfWork, email: str, password: str, *,
                 actor: str) -> tuple[Operator, str]:
    """Create the operator, or give an existing one the new password ("created" | "updated");
    audited as `actor` (never the password)."""
    address = check_email(email)
    hashed = _hasher.hash(check_password(password))
    op = uow.operators.by_email(address)
    if op is None:
        op = Operator(email=address, password_hash=hashed)
        what = "created"
    else:
        op.password_hash = hashed
        op.session_epoch += 1  # a new password ends the sessions signed in with the old one
        what = "updated"
    uow.operators.save(op)
    uow.audit.record(actor, "operator_add" if what == "created" else "operator_password",
                     op.email)
    return op, what


def remove_operator(uow: UnitOfWork, email: str, *, actor: str) -> bool:
    """Remove the operator, audited as `actor`; False when there is none. Their sessions end at
    the next request, which finds no operator behind the cookie (web/security.py)."""
    op = uow.operators.by_email(email)
    if op is None:
        return False
    address = op.email
    uow.operators.delete(op)
    uow.audit.record(actor, "operator_remove", address)
    return True


def list_operators(uow: UnitOfWork) -> list[dict[str, Any]]:
    return [{"id": o.id, "email": o.email, "created_at": iso(o.created_at),
             "last_sign_in_at": iso(o.last_sign_in_at)}
            for o in uow.operators.all()]


def sign_in(engine: Engine, email: str, password: str, client: str) -> Operator | None:
    """The operator when email and password match (the sign-in audited); None when they don't.

    Raises `TooManyAttempts` (checking nothing) once the email or the client address has too
    many refusals in the last WINDOW. The attempt is counted as a refusal before the password
    is checked, in a short transaction under the sign-in lock, so concurrent attempts can't all
    pass the same count; a right password takes it back. The slow hash check holds no lock.
    """
    keys = (f"email:{email.strip().lower()[:320]}", f"client:{client[:60]}")
    with unit_of_work(engine) as uow:
        uow.limits.hold(SIGN_IN_LOCK)
        if (uow.operators.failures_since(keys[0], utcnow() - WINDOW) >= MAX_FAILURES_PER_EMAIL
                or uow.operators.failures_since(keys[1], utcnow() - WINDOW)
                >= MAX_FAILURES_PER_CLIENT):
            raise TooManyAttempts()
        counted = [uow.operators.add_failure(key) for key in keys]
        op = uow.operators.by_email(email) if email.strip() else None
    try:
        _hasher.verify(op.password_hash if op else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        op = None
    if op is None:  # no such operator, whatever the password (the dummy's own included)
        _refused(engine, email, client)
        return None
    with unit_of_work(engine) as uow:
        uow.operators.drop_failures(counted)
        signed_in = uow.operators.get(saved_id(op))
        if signed_in is None:  # removed while the password was being checked
            return None
        if _hasher.check_needs_rehash(signed_in.password_hash):
            signed_in.password_hash = _hasher.hash(password)
        signed_in.last_sign_in_at = utcnow()
        uow.operators.save(signed_in)
        uow.audit.record(f"web:{signed_in.email}", "sign-in", signed_in.email, client)
        forget_failures(uow)  # the table holds only what still counts (at most the limits' worth)
    return signed_in


def _refused(engine: Engine, email: str, client: str) -> None:
    """The refused sign-in's audit row: the email tried and the client address, never the
    password. Refusals turned away by the limit (`TooManyAttempts`) check nothing and write
    nothing, so a flood can't grow the trail faster than the limits allow."""
    with unit_of_work(engine) as uow:
        uow.audit.record(REFUSED_ACTOR, "sign-in refused", email.strip()[:200] or "(empty)",
                         client)


def sign_out_everywhere(uow: UnitOfWork, operator_id: int) -> None:
    """End every session of the operator (cookies carry the epoch they were signed in at);
    audited as the operator."""
    uow.operators.bump_epoch(operator_id)
    op = uow.operators.get(operator_id)
    if op is not None:
        uow.audit.record(f"web:{op.email}", "sign-out", op.email)


def forget_failures(uow: UnitOfWork, older_than: timedelta = WINDOW) -> int:
    """Drop refusals older than the window (they no longer count)."""
    return uow.operators.forget_failures(utcnow() - older_than)
