"""The URLs a contact last checked (`/reclassify` with no URLs takes them)."""

from __future__ import annotations

from store.repositories.base import Repository
from store.tables import UrlCheck, utcnow


class UrlChecks(Repository):
    def remember(self, contact_id: int, urls: list[str]) -> None:
        row = self.s.get(UrlCheck, contact_id)
        if row is None:
            self.s.add(UrlCheck(contact_id=contact_id, urls=list(urls)))
        else:
            row.urls, row.checked_at = list(urls), utcnow()
            self.s.add(row)
        self.s.flush()

    def last(self, contact_id: int) -> list[str]:
        row = self.s.get(UrlCheck, contact_id)
        return list(row.urls) if row else []
