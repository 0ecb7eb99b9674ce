"""The invariants every submitted case obeys (intake.md, "Rules every submitted case obeys").

These look only at the finished case (the case JSON shape) and the profile it was made from,
never at the flow, so tests can check the flow against them independently. The service also
runs them before it writes a case: a violation is a bug, and no broken case is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from flows.catalog import Catalog, get_catalog
from flows.errors import Invalid

THREAT_SAMPLE = ("Collected Threat Sample Analysis", "Infected or Positive Infected",
                 "File False Positive")
ZIP_REQUIRED = ("Collected Threat Sample Analysis", "Spam", "Spam False Positive")


def violations(case: Mapping[str, Any], profile_oses: Sequence[str],
               catalog: Catalog | None = None,
               zip_ok: Any = None) -> list[str]:
    """Every broken rule, in words; empty when the case is sound.

    `zip_ok(attachment) -> bool` says whether an attachment is a password-protected zip; the
    caller supplies it because only the caller can open the stored file.
    """
    cat = catalog or get_catalog()
    out: list[str] = []
    kind = case.get("issue_type")
    category = case.get("issue_category")
    try:
        product = cat.product(case.get("product") or "")
    except KeyError:
        return [f"unknown product {case.get('product')!r}"]

    if kind == "Change Control Issue":
        if not product.allows_change_control:
            out.append("Change Control is only for Deep Security")
        if category is not None:
            out.append("a Change Control case has no category")
        if not case.get("change_window"):
            out.append("a Change Control case needs a change window")
    elif category not in cat.issue_types.get(kind or "", ()):
        out.append(f"category {category!r} does not belong to issue type {kind!r}")
    if kind != "Change Control Issue" and case.get("change_window"):
        out.append("only Change Control cases have a change window")
    window = case.get("change_window")
    if window:
        try:
            # compare instants: the two ends may carry different UTC offsets
            start, end = (datetime.fromisoformat(window[k]) for k in ("start", "end"))
            if not end > start:
                out.append("the change window ends before it starts")
        except (KeyError, TypeError, ValueError):
            out.append("the change window needs a valid start and end")

    if (case.get("virus_pattern_type") is not None) != (category in THREAT_SAMPLE):
        out.append("virus pattern type must be present exactly for threat-sample categories")
    if case.get("virus_pattern_type") not in (None, *cat.virus_pattern_types):
        out.append("unknown virus pattern type")

    urls = case.get("urls") or []
    if category == "URL Reclassification":
        if not 1 <= len(urls) <= 10:
            out.append("a URL Reclassification needs 1 to 10 URLs")
        if not any(u.get("requested_rating") or u.get("requested_category") for u in urls):
            out.append("a URL Reclassification must request at least one change")
        if len({u.get("url") for u in urls}) != len(urls):
            out.append("duplicate URLs")
    elif urls:
        out.append("only URL Reclassification cases carry URLs")

    if (case.get("tippingpoint") is not None) != bool(product.tippingpoint):
        out.append("TippingPoint details must be present exactly for TippingPoint products")

    high = case.get("severity") in ("High", "Critical")
    if bool(case.get("business_impact")) != high:
        out.append("business impact must be present exactly for High and Critical")
    if case.get("severity") not in [s.name for s in cat.severities]:
        out.append("unknown severity")

    phone = case.get("contact_method") == "Phone"
    if bool(case.get("phone")) != phone or bool(case.get("preferred_time")) != phone:
        out.append("phone and preferred time must be present exactly for contact method Phone")
    if phone and case.get("severity") == "Critical" and case.get("preferred_time") != "24x7":
        out.append("a Critical case contacted by phone needs a 24x7 phone")

    if profile_oses and case.get("operating_system") not in profile_oses:
        out.append("the affected OS is not one of the profile's")
    if case.get("product_version") not in product.versions:
        out.append("the version does not belong to the product")

    attachments = case.get("attachments") or []
    if category in ZIP_REQUIRED and not attachments:
        out.append("this category requires attachments")
    if zip_ok is not None and category in (*THREAT_SAMPLE, "Spam", "Spam False Positive"):
        for att in attachments:
            if not zip_ok(att):
                out.append(f"attachment {att.get('name')} is not a password-protected zip")

    cc = case.get("cc_emails") or []
    if len({c.casefold() for c in cc}) != len(cc):
        out.append("duplicate CC addresses")
    if len(cc) > 20:
        out.append("more than 20 CC addresses")
    from flows.validators import email
    for address in cc:
        try:
            email(address)
        except Invalid:
            out.append(f"invalid CC address {address!r}")
    subject = case.get("subject") or ""
    if not 1 <= len(subject) <= 200 or "\n" in subject:
        out.append("the subject must be one line of 1 to 200 characters")
    if not (case.get("description") or "").strip() and category != "URL Reclassification":
        out.append("a description is required (optional only for URL Reclassification)")
    return out
