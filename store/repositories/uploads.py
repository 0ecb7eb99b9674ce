"""Files a contact sent, counted against the daily file quota and the disk budget
(bot/quota.py).

A row is first a reservation: room held for a file before it is fetched, its size the size
the platform declared (grown while the bytes stream in), its sha256 column `RESERVED`. Once
the file is stored the row is settled to the file's hash and real size; a fetch that fails
deletes it. Every decision that reads the sums and then holds room runs under `hold()`, so
concurrent uploads (any contact, any process) are decided one after the other.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select

from store.db import table_of
from store.repositories.base import Repository
from store.tables import Upload, utcnow

RESERVED = "reserved"  # a reservation's sha256 until its file is stored (never a real hash)

_uploads = table_of(Upload)


class Uploads(Repository):
    def bytes_since(self, contact_id: int, since: datetime) -> int:
        """Stored and reserved bytes of the contact since `since`."""
        return int(self.s.exec(select(sa.func.coalesce(sa.func.sum(Upload.size), 0))
                               .where(Upload.contact_id == contact_id, Upload.at > since)).one())

    def seen_since(self, contact_id: int, sha256: str, since: datetime,
                   besides: int | None = None) -> bool:
        """Whether the contact stored this file since `since` (in a row other than
        `besides`)."""
        query = select(Upload.id).where(Upload.contact_id == contact_id,
                                        Upload.sha256 == sha256, Upload.at > since)
        if besides is not None:
            query = query.where(Upload.id != besides)
        return self.s.exec(query).first() is not None

    def add(self, contact_id: int, sha256: str, size: int) -> None:
        self.s.add(Upload(contact_id=contact_id, sha256=sha256, size=size))
        self.s.flush()

    # -- reservations -------------------------------------------------------------------------

    def reserve(self, contact_id: int, size: int) -> int:
        """Hold `size` bytes for a file about to be fetched; the reservation's id."""
        row = self.conn.execute(sa.insert(_uploads).values(
            contact_id=contact_id, sha256=RESERVED, size=size, at=utcnow())
            .returning(_uploads.c.id)).scalar_one()
        return int(row)

    def resize(self, reservation: int, size: int) -> None:
        self.conn.execute(sa.update(_uploads).where(_uploads.c.id == reservation)
                          .values(size=size))

    def settle(self, reservation: int, sha256: str, size: int) -> None:
        """The file is stored: the row counts its hash and real size from now."""
        self.conn.execute(sa.update(_uploads).where(_uploads.c.id == reservation)
                          .values(sha256=sha256, size=size, at=utcnow()))

    def release(self, reservation: int) -> None:
        self.conn.execute(sa.delete(_uploads).where(_uploads.c.id == reservation))

    def in_flight_or_since(self, reserved_since: datetime, settled_since: datetime) -> int:
        """Bytes of every contact's reservations made since `reserved_since` (older ones
        belong to a process that died mid-download) and of files stored since
        `settled_since`: what the disk holds or will hold beyond a measure taken then."""
        return int(self.conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(_uploads.c.size), 0)).where(sa.or_(
                sa.and_(_uploads.c.sha256 == RESERVED, _uploads.c.at >= reserved_since),
                sa.and_(_uploads.c.sha256 != RESERVED, _uploads.c.at >= settled_since))))
            .scalar_one())

    def stored_elsewhere(self, sha256: str, besides: int) -> bool:
        """Whether another row (any contact) counts this file: someone else sent it too."""
        return self.conn.execute(sa.select(_uploads.c.id).where(
            _uploads.c.sha256 == sha256, _uploads.c.id != besides).limit(1)).first() is not None
