"""The invariants every submitted case obeys (intake.md, "Rules every submitted case obeys").

These look only at the finished case (the case JSON shape) and the profile it was made from,
never at the flow, so tests can check the flow against them independently. The service also
runs them before it writes a case: a violation is a bug, and no broken case is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flows.catalog import Catalog, Product, get_catalog
from flows.errors import Invalid
from flows.validators import email

THREAT_SAMPLE = ("Collected Threat Sample Analysis", "Infected or Positive Infected",
                 "File False Positive")
ZIP_REQUIRED = ("Collected Threat Sample Analysis", "Spam", "Spam False Positive")


CHANGE_CONTROL = "Change Control Issue"
URL_RECLASSIFICATION = "URL Reclassification"


def violations(case: Mapping[str, Any], profile_oses: Sequence[str],
               catalog: Catalog | None = None,
               zip_ok: Any = None) -> list[str]:
    """Every broken rule, in words; empty when the case is sound.

    `zip_ok(attachment) -> bool` says whether an attachment is a password-protected zip; the
    caller supplies it because only the caller can open the stored file.
    """
    cat = catalog or get_catalog()
    try:
        product = cat.product(case.get("product") or "")
    except KeyError:
        return [f"unknown product {case.get('product')!r}"]
    subject = _Subject(case, profile_oses, cat, product, zip_ok)
    return [broken for rule in RULES for broken in rule(subject)]


@dataclass(frozen=True)
class _Subject:
    """One case under check, with what its rules look up: the catalog and its product."""

    case: Mapping[str, Any]
    profile_oses: Sequence[str]
    cat: Catalog
    product: Product
    zip_ok: Any

    @property
    def kind(self) -> Any:
        return self.case.get("issue_type")

    @property
    def category(self) -> Any:
        return self.case.get("issue_category")


def _type_and_category(s: _Subject) -> list[str]:
    """Change Control only for Deep Security, without a category; a category otherwise."""
    out = []
    if s.kind == CHANGE_CONTROL:
        if not s.product.allows_change_control:
            out.append("Change Control is only for Deep Security")
        if s.category is not None:
            out.append("a Change Control case has no category")
        if not s.case.get("change_window"):
            out.append("a Change Control case needs a change window")
    elif s.category not in s.cat.issue_types.get(s.kind or "", ()):
        out.append(f"category {s.category!r} does not belong to issue type {s.kind!r}")
    return out


def _change_window(s: _Subject) -> list[str]:
    """A change window only for Change Control, and one that ends after it starts."""
    window = s.case.get("change_window")
    if not window:
        return []
    out = []
    if s.kind != CHANGE_CONTROL:
        out.append("only Change Control cases have a change window")
    try:
        # compare instants: the two ends may carry different UTC offsets
        start, end = (datetime.fromisoformat(window[k]) for k in ("start", "end"))
        if not end > start:
            out.append("the change window ends before it starts")
    except (KeyError, TypeError, ValueError):
        out.append("the change window needs a valid start and end")
    return out


def _virus_pattern(s: _Subject) -> list[str]:
    """A known virus pattern type, present exactly for the threat-sample categories."""
    out = []
    pattern = s.case.get("virus_pattern_type")
    if (pattern is not None) != (s.category in THREAT_SAMPLE):
        out.append("virus pattern type must be present exactly for threat-sample categories")
    if pattern not in (None, *s.cat.virus_pattern_types):
        out.append("unknown virus pattern type")
    return out


def _urls(s: _Subject) -> list[str]:
    """1 to 10 distinct URLs asking for a change, exactly for URL Reclassification."""
    urls = s.case.get("urls") or []
    if s.category != URL_RECLASSIFICATION:
        return ["only URL Reclassification cases carry URLs"] if urls else []
    out = []
    if not 1 <= len(urls) <= 10:
        out.append("a URL Reclassification needs 1 to 10 URLs")
    if not any(u.get("requested_rating") or u.get("requested_category") for u in urls):
        out.append("a URL Reclassification must request at least one change")
    if len({u.get("url") for u in urls}) != len(urls):
        out.append("duplicate URLs")
    return out


def _tippingpoint(s: _Subject) -> list[str]:
    """TippingPoint details exactly for TippingPoint products."""
    if (s.case.get("tippingpoint") is not None) != bool(s.product.tippingpoint):
        return ["TippingPoint details must be present exactly for TippingPoint products"]
    return []


def _severity(s: _Subject) -> list[str]:
    """A known severity; a business impact exactly for High and Critical."""
    out = []
    severity = s.case.get("severity")
    if bool(s.case.get("business_impact")) != (severity in ("High", "Critical")):
        out.append("business impact must be present exactly for High and Critical")
    if severity not in [known.name for known in s.cat.severities]:
        out.append("unknown severity")
    return out


def _phone_contact(s: _Subject) -> list[str]:
    """Phone and preferred time exactly for contact by phone; 24x7 when Critical."""
    out = []
    phone = s.case.get("contact_method") == "Phone"
    preferred = s.case.get("preferred_time")
    if bool(s.case.get("phone")) != phone or bool(preferred) != phone:
        out.append("phone and preferred time must be present exactly for contact method Phone")
    if phone and s.case.get("severity") == "Critical" and preferred != "24x7":
        out.append("a Critical case contacted by phone needs a 24x7 phone")
    return out


def _os_and_version(s: _Subject) -> list[str]:
    """The affected OS is one of the profile's; the version belongs to the product."""
    out = []
    if s.profile_oses and s.case.get("operating_system") not in s.profile_oses:
        out.append("the affected OS is not one of the profile's")
    if s.case.get("product_version") not in s.product.versions:
        out.append("the version does not belong to the product")
    return out


def _attachments(s: _Subject) -> list[str]:
    """Required attachments present, and each sample a password-protected zip."""
    out = []
    attachments = s.case.get("attachments") or []
    if s.category in ZIP_REQUIRED and not attachments:
        out.append("this category requires attachments")
    if s.zip_ok is not None and s.category in (*THREAT_SAMPLE, "Spam", "Spam False Positive"):
        out.extend(f"attachment {att.get('name')} is not a password-protected zip"
                   for att in attachments if not s.zip_ok(att))
    return out


def _cc_addresses(s: _Subject) -> list[str]:
    """At most 20 CC addresses, each valid, no duplicates."""
    out = []
    cc = s.case.get("cc_emails") or []
    if len({c.casefold() for c in cc}) != len(cc):
        out.append("duplicate CC addresses")
    if len(cc) > 20:
        out.append("more than 20 CC addresses")
    for address in cc:
        try:
            email(address)
        except Invalid:
            out.append(f"invalid CC address {address!r}")
    return out


def _subject_line(s: _Subject) -> list[str]:
    """The subject is one line of 1 to 200 characters."""
    subject = s.case.get("subject") or ""
    if not 1 <= len(subject) <= 200 or "\n" in subject:
        return ["the subject must be one line of 1 to 200 characters"]
    return []


def _description(s: _Subject) -> list[str]:
    """A description, except for URL Reclassification."""
    if not (s.case.get("description") or "").strip() and s.category != URL_RECLASSIFICATION:
        return ["a description is required (optional only for URL Reclassification)"]
    return []


# The order of the messages `violations` returns.
RULES: tuple[Callable[[_Subject], list[str]], ...] = (
    _type_and_category, _change_window, _virus_pattern, _urls, _tippingpoint, _severity,
    _phone_contact, _os_and_version, _attachments, _cc_addresses, _subject_line, _description,
)
