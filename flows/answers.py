"""What earlier answers of a New Request decide: its profile and product, issue type and
category, severity, and whether samples belong. Small named functions, so the steps, the
review, the pruning after an edit and the machine's guards ask each question the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict, cast

from flows.archives import check_sample_zip
from flows.catalog import Product
from flows.context import Ctx
from flows.formstate import Answers
from flows.i18n import _

PRODUCT_ISSUE = "Product Issue"
THREAT_ISSUE = "Threat Issue"
CHANGE_CONTROL = "Change Control Issue"
URL_RECLASS = "URL Reclassification"
SAMPLE_CATEGORIES = ("Collected Threat Sample Analysis", "Infected or Positive Infected",
                     "File False Positive")
SPAM_CATEGORIES = ("Spam", "Spam False Positive")
ZIP_REQUIRED = ("Collected Threat Sample Analysis", "Spam", "Spam False Positive")
ZIP_CATEGORIES = SAMPLE_CATEGORIES + SPAM_CATEGORIES
HIGH_SEVERITIES = ("High", "Critical")
ADD_PROFILE = "__profiles__"
NO_FILES = "__none__"
KEEP = "keep"
MAX_URLS = 10
SUGGEST = "_suggest"
SUGGESTED = _("suggested from your description")


class RequestAnswers(TypedDict, total=False):
    """The keys of a New Request's answers that its rules and its case read (one per step;
    the per-URL answers `url<N>_rating`/`url<N>_category` are read by flows.reclassify)."""

    profile: str
    operating_system: str
    issue: str
    virus_pattern_type: str
    urls: list[dict[str, Any]]
    tp_request: str
    tp_cves: list[str]
    tp_filter: str
    tp_repdv: list[str]
    change_start: str
    change_end: str
    subject: str
    description: str
    archive_password: str
    attachments: list[dict[str, Any]]
    severity: str
    business_impact: str
    cc_emails: list[str]
    contact_method: str
    phone: str
    preferred_time: str
    source_url: str
    _suggest: dict[str, str | None]


Read = Mapping[str, Any]
"""Answers as the questions below read them: a form's answers, or a `RequestAnswers`."""


def as_request(a: Answers) -> RequestAnswers:
    """A finished New Request's answers under their types: each value was read and checked
    by its step (flows/intake.py), which is what gives it that type."""
    return cast(RequestAnswers, a)


def profile_of(a: Read, ctx: Ctx) -> Any:
    pid = a.get("profile")
    return None if pid is None else ctx.profile(int(pid))


def product_of(a: Read, ctx: Ctx) -> Product | None:
    profile = profile_of(a, ctx)
    if profile is None:
        return None
    try:
        return ctx.cat.product(profile.product)
    except KeyError:
        return None


def is_tippingpoint(a: Read, ctx: Ctx) -> bool:
    product = product_of(a, ctx)
    return bool(product and product.tippingpoint)


def issue_type(a: Read, ctx: Ctx) -> str | None:
    """The type follows from the one grouped answer; TippingPoint cases are product cases."""
    picked = a.get("issue")
    if picked is None:
        return None
    if is_tippingpoint(a, ctx):
        return PRODUCT_ISSUE
    if picked == CHANGE_CONTROL:
        return CHANGE_CONTROL
    return next((kind for kind, cats in ctx.cat.issue_types.items() if picked in cats), None)


def category(a: Read, ctx: Ctx) -> str | None:
    picked = a.get("issue")
    return None if picked in (None, CHANGE_CONTROL) else picked


def severity(a: Read, ctx: Ctx) -> str | None:
    return a.get("severity")


def sample_suffixes(category_name: str | None) -> tuple[str, ...] | None:
    """What a sample zip may hold: spam samples hold mails; others anything."""
    return (".eml", ".msg") if category_name in SPAM_CATEGORIES else None


def check_sample(path: str, name: str, password: str | None, category_name: str | None) -> None:
    """The one check of a sample archive: locked by `password`; spam samples hold mails."""
    check_sample_zip(path, password or "", member_suffixes=sample_suffixes(category_name),
                     name=name)


def needs_zip(a: Read, ctx: Ctx) -> bool:
    return category(a, ctx) in ZIP_CATEGORIES


def wants_files(a: Read, ctx: Ctx) -> bool:
    return a.get("archive_password") != NO_FILES



# -- the guards of the New Request's branches (named: the diagram shows the names) -----------

def profile_has_oses(a: Read, ctx: Ctx) -> bool:
    profile = profile_of(a, ctx)
    return bool(profile and profile.operating_systems)


def is_sample_category(a: Read, ctx: Ctx) -> bool:
    return category(a, ctx) in SAMPLE_CATEGORIES


def is_url_reclassification(a: Read, ctx: Ctx) -> bool:
    return category(a, ctx) == URL_RECLASS


def is_filter_verification(a: Read, ctx: Ctx) -> bool:
    return is_tippingpoint(a, ctx) and a.get("tp_request") == "Filter verification"


def is_threatdv(a: Read, ctx: Ctx) -> bool:
    product = product_of(a, ctx)
    return bool(product and product.tippingpoint == "threatdv")


def is_change_control(a: Read, ctx: Ctx) -> bool:
    return issue_type(a, ctx) == CHANGE_CONTROL


def files_wanted(a: Read, ctx: Ctx) -> bool:
    return wants_files(a, ctx) or not needs_zip(a, ctx)


def is_high_severity(a: Read, ctx: Ctx) -> bool:
    return severity(a, ctx) in HIGH_SEVERITIES


def by_phone(a: Read, ctx: Ctx) -> bool:
    return a.get("contact_method") == "Phone"
