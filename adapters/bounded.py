"""Bounded memory for what an adapter remembers per user or per event (issue 11, finding 9).

Maps are `cachetools.LRUCache`s; `RecentSet` is the set form of one (ids seen lately): the
oldest entries are forgotten past `size`, so nothing grows with the number of users.
"""

from __future__ import annotations

from collections.abc import Hashable

from cachetools import LRUCache


class RecentSet:
    """A set that keeps only its `size` most recently added members."""

    def __init__(self, size: int) -> None:
        self._members: LRUCache[Hashable, bool] = LRUCache(maxsize=size)

    def add(self, member: Hashable) -> None:
        self._members[member] = True

    def discard(self, member: Hashable) -> None:
        self._members.pop(member, None)

    def __contains__(self, member: object) -> bool:
        return member in self._members

    def __len__(self) -> int:
        return len(self._members)
