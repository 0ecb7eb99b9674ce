"""Turn a finished New Request form into the fields of a case.

The profile's product, version and language are copied into the case, so later edits to the
profile never rewrite history.
"""

from __future__ import annotations

from typing import Any

from flows.answers import NO_FILES, RequestAnswers, category, issue_type
from flows.context import Ctx, ProfileView
from flows.intake import change_window, tippingpoint
from flows.reclassify import reclassification

THREAT_TYPES = ("Threat Issue",)


def case_fields(a: RequestAnswers, profile: ProfileView, ctx: Ctx) -> dict[str, Any]:
    urls = []
    for u, change in zip(a.get("urls") or [], reclassification(a), strict=False):
        urls.append({"url": u["url"], "current_rating": u.get("current_rating") or "Untested",
                     "current_category": u.get("current_category"),
                     "requested_rating": change["rating"] if change else None,
                     "requested_category": change["category"] if change else None})
    kind = issue_type(a, ctx)
    password = a.get("archive_password")
    return {
        "profile_name": profile.name,
        "product": profile.product,
        "product_version": profile.version,
        "product_language": profile.language,
        "operating_system": a.get("operating_system"),
        "issue_type": kind,
        "issue_category": category(a, ctx),
        "virus_pattern_type": a.get("virus_pattern_type"),
        "subject": a["subject"],
        "description": a.get("description") or "",
        "severity": a["severity"],
        "business_impact": a.get("business_impact"),
        "cc_emails": list(a.get("cc_emails") or []),
        "contact_method": a["contact_method"],
        "phone": a.get("phone") or None,
        "preferred_time": a.get("preferred_time") or None,
        "urls": urls,
        "tippingpoint": tippingpoint(a, ctx),
        "change_window": change_window(a),
        "archive_password": password if password and password != NO_FILES else None,
        "attachments": [dict(f) for f in a.get("attachments") or []],
        "source_url": a.get("source_url") or None,
        "profile_oses": list(profile.operating_systems),
        "is_threat": kind in THREAT_TYPES,
    }
