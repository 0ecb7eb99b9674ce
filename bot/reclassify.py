"""Closing the loop on a URL Reclassification case: its requested ratings become local ratings.

`casebot cases update N --status resolved --apply-urls` calls `apply_case_urls` inside the
update's transaction, so the ratings, the timeline entry and the customer's notice and mail
are written together or not at all.
"""

from __future__ import annotations

from bot.feeds import Entry, upsert
from bot.ratings import entry_key
from flows.answers import URL_RECLASS
from flows.i18n import Msg, _, joined
from flows.urls import defang, normalize_url
from store.tables import Case, as_utc
from store.uow import UnitOfWork


class NotReclassification(ValueError):
    """--apply-urls on a case that is not a URL Reclassification (or asks no change)."""


class AlreadyApplied(Exception):
    """The case's requested ratings were applied before: nothing was changed or sent again."""

    def __init__(self, number: str, at: str, by: str, status: str) -> None:
        super().__init__(f"Already applied on {at} by {by}.")
        self.number = number
        self.status = status  # the case's status now (the CLI: was anything else asked?)


def not_applied_yet(uow: UnitOfWork, case: Case) -> None:
    """Raise `AlreadyApplied`, saying when and by whom (its "ratings" timeline entry), if the
    case's ratings were applied before. The caller holds the case first (`uow.cases.hold`,
    `bot.desk.claim`), so two presses at once run one after the other."""
    assert case.id is not None
    before = uow.cases.last_event(case.id, "ratings")
    if before is not None:
        raise AlreadyApplied(case.number or "", as_utc(before.at).strftime("%Y-%m-%d %H:%M UTC"),
                             before.actor or "an operator", case.status)


def apply_case_urls(uow: UnitOfWork, case: Case) -> list[Msg]:
    """Set kind=url ratings from the case's requested changes; lines saying what changed
    (messages: English in the timeline, the customer's language in their update).
    Once per case: the caller checks `not_applied_yet` first, holding the case."""
    details = case.details or {}
    if details.get("issue_category") != URL_RECLASS:
        raise NotReclassification(
            f"Case {case.number} is a {details.get('issue_category') or details.get('issue_type')}"
            " case, not a URL Reclassification; --apply-urls only applies to URL "
            "Reclassification cases. Run the update without --apply-urls.")
    entries: list[Entry] = []
    lines: list[Msg] = []
    for u in details.get("urls") or []:
        rating, category = u.get("requested_rating"), u.get("requested_category")
        if not rating:
            continue
        key = entry_key("url", u["url"])
        entries.append(Entry("url", key, rating, category, f"case {case.number}",
                             len(entries) + 1))
        shown = defang(normalize_url(u["url"]).display)
        lines.append(_("{url}: {rating} → {wanted}", url=shown,
                       rating=_(u.get("current_rating") or "Untested"),
                       wanted=joined(", ", [_(rating), *([_(category)] if category else [])])))
    if not entries:
        raise NotReclassification(f"Case {case.number} requests no rating change.")
    upsert(uow, entries)
    return lines
