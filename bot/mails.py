"""The words of casebot's mails and case summaries (plain text and HTML).

Mail is only ever queued here, inside the caller's unit of work; a sender delivers it later.
"""

from __future__ import annotations

import html
from typing import Any

from sqlmodel import Session

from flows.urls import defang
from store import repo

FIELDS = (("Case number", "number"), ("Reference id", "reference_id"), ("Status", "status"),
          ("Product profile", "profile_name"), ("Product", "product"),
          ("Version", "product_version"), ("Language", "product_language"),
          ("Operating system", "operating_system"), ("Issue type", "issue_type"),
          ("Category", "issue_category"), ("Virus pattern type", "virus_pattern_type"),
          ("Subject", "subject"), ("Severity", "severity"),
          ("Business impact", "business_impact"), ("Contact method", "contact_method"),
          ("Phone", "phone"), ("Preferred time", "preferred_time"))


def summary_rows(case: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [(label, str(case[key])) for label, key in FIELDS if case.get(key)]
    if case.get("cc_emails"):
        rows.append(("CC", ", ".join(case["cc_emails"])))
    for u in case.get("urls") or []:
        wanted = ("keep" if not u.get("requested_rating") else
                  f"{u['requested_rating']}, {u['requested_category']}")
        rows.append(("URL", f"{defang(u['url'])}: {u['current_rating']} → {wanted}"))
    tp = case.get("tippingpoint")
    if tp:
        rows.append(("TippingPoint", tp.get("request", "")))
        if tp.get("cve_ids"):
            rows.append(("CVE ids", ", ".join(tp["cve_ids"])))
        if tp.get("filter_number"):
            rows.append(("Filter number", tp["filter_number"]))
        if tp.get("repdv_entries"):
            rows.append(("RepDV entries", ", ".join(tp["repdv_entries"])))
    window = case.get("change_window")
    if window:
        rows.append(("Change window", f"{window['start']} → {window['end']}"))
    for a in case.get("attachments") or []:
        rows.append(("Attachment", f"{a['name']} ({a['size']} bytes, sha256 {a['sha256'][:12]}…)"))
    return rows


def case_text(case: dict[str, Any]) -> str:
    lines = [f"{label}: {value}" for label, value in summary_rows(case)]
    if case.get("description"):
        lines += ["", "Description:", case["description"]]
    if case.get("timeline"):
        lines += ["", "Timeline:"]
        lines += [f"  {e['at'][:16].replace('T', ' ')}  {e['kind']}: {e['text']}"
                  for e in case["timeline"]]
    return "\n".join(lines)


def case_html(case: dict[str, Any]) -> str:
    rows = "".join(f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in summary_rows(case))
    desc = html.escape(case.get("description") or "").replace("\n", "<br>")
    return (f"<html><body><p>Thank you for contacting support.</p><table>{rows}</table>"
            f"<h3>Description</h3><p>{desc}</p></body></html>")


def message_id(number: str, domain: str) -> str:
    return f"<case-{number}@{domain}>"


def queue_confirmation(s: Session, case: dict[str, Any], case_id: int | None,
                       mail_from: str) -> None:
    domain = mail_from.rsplit("@", 1)[-1] or "localhost"
    subject = f"[Case {case['number']}] {case['subject']}"
    if case.get("reference_id"):
        subject += f" (ref {case['reference_id']})"
    text = ("Thank you for contacting support. We have received your request.\n\n"
            + case_text({**case, "timeline": []})
            + "\n\nReply to this mail to add information to the case.\n")
    repo.queue_mail(s, kind="confirmation", to=case["contact_email"], cc=case["cc_emails"],
                    subject=subject, body_text=text, body_html=case_html(case),
                    headers={"Message-ID": message_id(case["number"], domain)},
                    case_id=case_id)
