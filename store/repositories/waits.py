"""Identity waits: what a person not linked yet first asked for (bot/chat.py)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from flows.model import Inbound, PendingFile
from store.db import table_of
from store.repositories.base import Repository
from store.tables import IdentityWait, utcnow

_waits = table_of(IdentityWait)
_WAIT_KEY = ["channel", "external_id"]


def _ask_json(ask: Inbound) -> dict[str, Any]:
    """A typed or command ask as JSON. No stored file is kept (nothing is fetched before
    linking); a message's files are kept as the platform's references, fetched once linked."""
    return {"kind": ask.kind, "text": ask.text, "command": ask.command, "args": ask.args,
            "source": ask.source,
            "pending_files": [asdict(f) for f in ask.pending_files]}


def _ask_of(data: dict[str, Any]) -> Inbound:
    """`_ask_json` read back (rows written before pending files existed have none)."""
    fields = dict(data)
    pending = tuple(PendingFile(**f) for f in fields.pop("pending_files", None) or ())
    return Inbound(**fields, pending_files=pending)


def _merged(excluded: Any, replace: bool) -> dict[str, Any]:
    """An existing wait keeps its "not that email", and its first ask unless `replace`."""
    return {"declined": sa.or_(_waits.c.declined, excluded.declined),
            "ask": excluded.ask if replace else sa.func.coalesce(_waits.c.ask, excluded.ask),
            "updated_at": excluded.updated_at}


class Waits(Repository):
    def get(self, channel: str, external_id: str) -> tuple[Inbound | None, bool]:
        """What this unlinked identity first asked for (None: nothing yet) and whether it
        said "not that email"."""
        row = self.conn.execute(sa.select(_waits.c.ask, _waits.c.declined).where(
            _waits.c.channel == channel, _waits.c.external_id == external_id)).first()
        if row is None:
            return None, False
        return (_ask_of(row.ask) if row.ask else None), bool(row.declined)

    def remember(self, channel: str, external_id: str, *, ask: Inbound | None = None,
                 declined: bool = False, replace: bool = False) -> None:
        """Keep the first ask (a later one replaces it only with `replace`: a message to open
        a request from) and "not that email" (never unset).

        One INSERT … ON CONFLICT DO UPDATE, so two workers writing at once both land."""
        values = {"channel": channel, "external_id": external_id, "declined": declined,
                  "ask": _ask_json(ask) if ask is not None else sa.null(),
                  "updated_at": utcnow()}
        conn = self.conn
        stmt: sa.Executable
        if conn.dialect.name == "postgresql":
            pg = pg_insert(_waits).values(**values)
            stmt = pg.on_conflict_do_update(index_elements=_WAIT_KEY,
                                            set_=_merged(pg.excluded, replace))
        else:  # SQLite, the other database casebot runs on
            lite = sqlite_insert(_waits).values(**values)
            stmt = lite.on_conflict_do_update(index_elements=_WAIT_KEY,
                                              set_=_merged(lite.excluded, replace))
        conn.execute(stmt)

    def take(self, channel: str, external_id: str) -> Inbound | None:
        """The first ask of an identity just linked; its wait is deleted."""
        ask, _ = self.get(channel, external_id)
        self.conn.execute(_waits.delete().where(
            _waits.c.channel == channel, _waits.c.external_id == external_id))
        return ask

    def forget(self, older_than: timedelta) -> int:
        """Delete waits untouched for `older_than` (a person who never finished linking)."""
        cutoff = utcnow() - older_than
        return self.conn.execute(
            _waits.delete().where(_waits.c.updated_at < cutoff)).rowcount or 0
