"""The per-contact file quota and the disk budget for attachments (issues 11 and 22).

Attachments are stored on the server's disk; without limits one contact, or everyone
together, could fill it. Two limits hold, both on what reaches the disk:

- each contact may store CASEBOT_FILE_QUOTA_MB in 24 hours (each distinct file counted
  once: the same file again is free);
- all attachments together may take CASEBOT_FILES_BUDGET_MB of the blob store (the files
  folder, or the database with CASEBOT_BLOBS=database: store/blobs).

They are checked before a byte is fetched, from the size the platform declares (Slack's file
size, Telegram's file_size, the terminal's size on disk): `FileQuota.reserve` holds that room
in table `uploads` (store/repositories/uploads.py), so a file that does not fit is never
downloaded. A declared size may lie or be missing, so the bytes are counted again as they
stream in (`Reservation.admit`, called by the blob store before each chunk is written): past
the room, the reservation grows if there is room, else the download stops and its partial
file is deleted. A stored file is settled to its hash and real size; one that the request did
not take (the chat layer asks `Reservation.drop_unless_kept` after the event) is deleted at
once. Every decision runs under one limit lock (`uow.limits.hold`, as the verification and
sign-in limits do), so concurrent uploads from any number of workers never pass either limit
together.

Stored bytes that end up in no draft or case are also removed by `casebot db prune`
(bot/maintenance.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.protocol import CANNOT_FETCH
from flows.errors import Invalid
from flows.i18n import _
from flows.model import FileRef, PendingFile
from store.blobs import Blobs, Stored, Usage
from store.tables import utcnow
from store.uow import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
# A reservation older than this belongs to a download that died with its process: the disk
# budget stops counting it (downloads give up after a few minutes).
IN_FLIGHT = timedelta(hours=1)
# The blob store is measured (the folder: a stat per file) at most this often; what was
# stored or reserved since a measure is added from `uploads`.
MEASURE_EVERY = 60.0
CLOCK_SLACK = timedelta(minutes=1)  # workers on several hosts: their clocks may differ a little
GROW_STEP = 1024 * 1024  # a reservation passed by the stream grows by at least this much

MB = 1024 * 1024
UPLOADS_LOCK = "uploads"  # store/repositories/limits.py: one decision at a time


class Limits(Protocol):
    """What the limits are read from (bot/service.Service), each time: settable at run time."""

    engine: Engine
    files: Blobs
    file_quota_bytes: int
    files_budget_bytes: int


def over_quota(limit: int, name: str | None = None) -> str:
    if name is None:
        return _("You have sent {limit:,} MB of files in the last 24 hours, the most one person "
                 "may store in a day. Please send the rest tomorrow, or share large files "
                 "through the support portal's large-file upload.", limit=limit // MB)
    return _("I didn't take {name}: with it you would have sent more than {limit:,} MB of "
             "files in the last 24 hours, the most one person may store in a day. Please send "
             "the rest tomorrow, or share large files through the support portal's large-file "
             "upload.", name=name, limit=limit // MB)


def disk_full(name: str) -> str:
    return _("I can't take {name} right now: casebot's storage for attachments is full. "
             "Please try again later, or share the file through the support portal's "
             "large-file upload.", name=name)


def too_large(name: str, limit: int) -> str:
    return _("{name} is larger than the {limit} MB limit. Compress it, split it, or share it "
             "through the support portal's large-file upload.", name=name, limit=limit // MB)


def used(uow: UnitOfWork, contact_id: int) -> int:
    return uow.uploads.bytes_since(contact_id, utcnow() - WINDOW)


def take(uow: UnitOfWork, contact_id: int, sha256: str, size: int, limit: int) -> str | None:
    """Count a stored file against the contact's quota; the reason when it does not fit. A
    file fetched by the chat layer was counted before it was fetched (its settled row makes
    it "seen"); this counts what came another way."""
    since = utcnow() - WINDOW
    if uow.uploads.seen_since(contact_id, sha256, since):
        return None
    if used(uow, contact_id) + size > limit:
        return over_quota(limit)
    uow.uploads.add(contact_id, sha256, size)
    return None


class FileQuota:
    """Both limits, for the chat layer (bot/chat.py); thread-safe. It keeps the room held
    for each fetch in progress by (channel, person, the platform's file id), where
    `Chat.store_upload` finds it when the adapter's fetcher stores that file."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.rooms = Rooms()

    def hold_for_fetch(self, channel: str, external_id: str,
                       pending: tuple[PendingFile, ...]) -> Held:
        """Room for each file about to be fetched, from its declared size; a note for
        each one that does not fit (it must not be fetched)."""
        held = Held(self, channel, external_id)
        for file in pending:
            try:
                reservation = self.reserve(channel, external_id, file.name, file.size)
            except Invalid as exc:
                held.notes.append(str(exc))
                continue
            except SQLAlchemyError as exc:
                log.warning("store unavailable, a file not fetched: %s", type(exc).__name__)
                held.notes.append(_(CANNOT_FETCH, name=file.name))
                continue
            held.add(file, reservation)
        return held

    def held_for(self, channel: str, external_id: str, file_id: str) -> Reservation | None:
        """The room held for this file by a fetch in progress (None: none is)."""
        return self.rooms.take((channel, external_id, file_id))

    def reserve(self, channel: str, external_id: str, name: str,
                declared: int | None) -> Reservation:
        """Hold room for a file before it is fetched: its declared size (nothing when the
        platform declares none: it grows as bytes arrive). `Invalid`, saying why, when it
        does not fit: then it must not be fetched."""
        files = self.limits.files
        if declared is not None and declared > files.max_bytes:
            raise Invalid(too_large(name, files.max_bytes))
        size = max(declared or 0, 0)
        measured = files.usage(MEASURE_EVERY)  # before the lock: a walk may take a while
        with unit_of_work(self.limits.engine) as uow:
            contact = uow.contacts.for_identity(channel, external_id)
            contact_id = contact.id if contact is not None else None
            uow.limits.hold(UPLOADS_LOCK)
            self.check_room(uow, measured, contact_id, max(size, 1), name)
            row = uow.uploads.reserve(contact_id, size) if contact_id is not None else None
        return Reservation(self, contact_id, row, size, name)

    def check_room(self, uow: UnitOfWork, measured: Usage, contact_id: int | None,
                   extra: int, name: str) -> None:
        """Raise `Invalid` unless `extra` more bytes fit in the contact's quota and the disk
        budget: the folder as `measured`, plus what was reserved or stored since (call under
        the upload lock)."""
        now = utcnow()
        quota = self.limits.file_quota_bytes
        if contact_id is not None and uow.uploads.bytes_since(contact_id, now - WINDOW) \
                + extra > quota:
            raise Invalid(over_quota(quota, name))
        budget = self.limits.files_budget_bytes
        on_disk = measured.bytes + uow.uploads.in_flight_or_since(
            now - IN_FLIGHT, datetime.fromtimestamp(measured.at, UTC) - CLOCK_SLACK)
        if on_disk + extra > budget:
            log.warning("attachment storage full: %d MB of the %d MB budget in use or "
                        "reserved, a %d MB file refused (CASEBOT_FILES_BUDGET_MB; "
                        "`casebot db prune` removes unreferenced files)",
                        on_disk // MB, budget // MB, -(-extra // MB))
            raise Invalid(disk_full(name))


class Rooms:
    """Reservations of the fetches in progress, by (channel, person, file id); bounded by
    the files being fetched right now."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str, str], list[Reservation]] = {}
        self._lock = threading.Lock()

    def put(self, key: tuple[str, str, str], reservation: Reservation) -> None:
        with self._lock:
            self._waiting.setdefault(key, []).append(reservation)

    def take(self, key: tuple[str, str, str]) -> Reservation | None:
        with self._lock:
            waiting = self._waiting.get(key)
            return waiting.pop(0) if waiting else None

    def remove(self, key: tuple[str, str, str], reservation: Reservation) -> None:
        with self._lock:
            waiting = self._waiting.get(key, [])
            if reservation in waiting:
                waiting.remove(reservation)
            if not waiting:
                self._waiting.pop(key, None)


@dataclass
class Held:
    """The reservations of one fetch: the files to ask the adapter for, a note for each file
    refused before the fetch; `end` gives back the room of files not stored."""

    quota: FileQuota
    channel: str
    external_id: str
    files: tuple[PendingFile, ...] = ()
    reservations: list[Reservation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, file: PendingFile, reservation: Reservation) -> None:
        self.files += (file,)
        self.reservations.append(reservation)
        self.quota.rooms.put(self._key(file), reservation)

    def end(self) -> None:
        for file, reservation in zip(self.files, self.reservations, strict=True):
            self.quota.rooms.remove(self._key(file), reservation)
        for reservation in self.reservations:
            try:
                reservation.release()
            except SQLAlchemyError as exc:  # it ages out of the disk budget's count
                log.warning("a reservation was not released: %s", type(exc).__name__)

    def _key(self, file: PendingFile) -> tuple[str, str, str]:
        return (self.channel, self.external_id, file.id)


@dataclass(eq=False)
class Reservation:
    """Room held for one file: grown while its bytes stream in, then settled or released.
    `row` is None for a person not linked yet (the service counts the file when it links
    them, bot/dispatch.py)."""

    quota: FileQuota
    contact_id: int | None
    row: int | None
    held: int
    name: str
    stored: Stored | None = None

    def expect(self, declared: int) -> None:
        """The platform declared the size only now (Slack's files.info, when the event had
        none): room for it before the first byte, or `Invalid` and nothing fetched."""
        limit = self.quota.limits.files.max_bytes
        if declared > limit:
            raise Invalid(too_large(self.name, limit))
        self.admit(declared)

    def admit(self, total: int) -> None:
        """The stream has reached `total` bytes: within the room held, or the room grows, or
        `Invalid` stops the download (before the chunk is written)."""
        if total <= self.held:
            return
        limit = self.quota.limits.files.max_bytes
        wanted = min(max(total, self.held + GROW_STEP), limit)
        measured = self.quota.limits.files.usage(MEASURE_EVERY)
        with unit_of_work(self.quota.limits.engine) as uow:
            uow.limits.hold(UPLOADS_LOCK)
            try:
                self.quota.check_room(uow, measured, self.contact_id, wanted - self.held,
                                      self.name)
            except Invalid:  # not a whole step: then at least what has arrived
                wanted = total
                self.quota.check_room(uow, measured, self.contact_id, wanted - self.held,
                                      self.name)
            if self.row is not None:
                uow.uploads.resize(self.row, wanted)
        self.held = wanted

    def settle(self, stored: Stored) -> FileRef:
        """The file is on disk: count its hash and real size (nothing, if the contact sent
        the same file within the day: that is free)."""
        self.stored = stored
        ref = stored.ref
        if self.row is None:
            return ref
        assert self.contact_id is not None
        with unit_of_work(self.quota.limits.engine) as uow:
            if uow.uploads.seen_since(self.contact_id, ref.sha256, utcnow() - WINDOW,
                                      besides=self.row):
                uow.uploads.release(self.row)
                self.row = None
            else:
                uow.uploads.settle(self.row, ref.sha256, ref.size)
        return ref

    def release(self) -> None:
        """Nothing was stored (refused, failed, or not asked for): give the room back."""
        if self.row is not None and self.stored is None:
            with unit_of_work(self.quota.limits.engine) as uow:
                uow.uploads.release(self.row)
            self.row = None

    def drop_unless_kept(self) -> None:
        """After the event: a file these bytes made new on disk that no draft or case took
        (refused by the request: over the per-case limit, a bad sample) is deleted now,
        not left for days. The quota still counts it: it was downloaded."""
        if self.stored is None or not self.stored.created or self.contact_id is None:
            return
        sha = self.stored.ref.sha256
        with unit_of_work(self.quota.limits.engine, read_only=True) as uow:
            conv = uow.conversations.load(self.contact_id)
            kept = (conv is not None and sha in _text_of(conv.answers, conv.stack)) \
                or uow.cases.has_attachment(sha) \
                or uow.uploads.stored_elsewhere(sha, besides=self.row or 0)
        if not kept:
            self.quota.limits.files.remove(sha)
            log.info("a file the request did not take was deleted at once (%d bytes)",
                     self.stored.ref.size)


def _text_of(*values: object) -> str:
    """A draft's answers and stack as text, to find a file's hash in (a 64-digit hex hash
    appears in it only where the draft refers to that file)."""
    return repr(values)
