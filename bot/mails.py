"""The words of casebot's mails and case summaries (plain text and HTML), and the one place
an outbox row becomes an `email.message.EmailMessage`.

Mail is only ever queued here, inside the caller's unit of work; a sender (bot/mailer.py)
delivers it later. Every mail has a stable Message-ID: the confirmation's is derived from the
case number (`<case-N@domain>`, the thread root that updates refer to with In-Reply-To and
References); any other mail's from its outbox row id. A resend after a crash therefore carries
the same Message-ID and Date, so receivers can drop the duplicate.
"""

from __future__ import annotations

import html
import mimetypes
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from bot.i18n import ENGLISH, normal, say
from flows.i18n import N_, _, joined, shown
from flows.intake import show_preferred
from flows.urls import defang
from flows.when import Moment
from store.tables import OutboxMail, as_utc
from store.uow import UnitOfWork

FIELDS = ((N_("Case number"), "number"), (N_("Reference id"), "reference_id"),
          (N_("Status"), "status"), (N_("Product profile"), "profile_name"),
          (N_("Product"), "product"), (N_("Version"), "product_version"),
          (N_("Language"), "product_language"), (N_("Operating system"), "operating_system"),
          (N_("Issue type"), "issue_type"), (N_("Category"), "issue_category"),
          (N_("Virus pattern type"), "virus_pattern_type"), (N_("Subject"), "subject"),
          (N_("Severity"), "severity"), (N_("Business impact"), "business_impact"),
          (N_("Contact method"), "contact_method"), (N_("Phone"), "phone"),
          (N_("Preferred time"), "preferred_time"))
# values that are casebot's words (catalog.yaml's, the statuses): shown in the reader's
# language, stored in English (issue 27)
# who wrote a message and through which channel, as a case's conversation shows it
AUTHORS = {"operator": N_("operator"), "customer": N_("customer"), "system": N_("system")}
CHANNELS = {"console": N_("console"), "cli": N_("cli"), "web": N_("web"), "mail": N_("mail")}
WORDS = frozenset({"status", "issue_type", "issue_category", "virus_pattern_type", "severity",
                   "contact_method"})


def summary_rows(case: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of the case's fields; the labels, and the values that are casebot's
    words or times, are messages (flows/i18n.py): English as they are, rendered for a
    customer (times in their language's format, flows/when.py)."""
    rows: list[tuple[str, str]] = [(_(label), _value(key, case[key]))
                                   for label, key in FIELDS if case.get(key)]
    if case.get("cc_emails"):
        rows.append((_("CC"), ", ".join(case["cc_emails"])))
    for u in case.get("urls") or []:
        wanted = (_("keep") if not u.get("requested_rating") else
                  joined(", ", [_(u["requested_rating"]), _(u["requested_category"])]))
        rows.append(("URL", _("{url}: {rating} → {wanted}", url=defang(u["url"]),
                              rating=_(u["current_rating"]), wanted=wanted)))
    tp = case.get("tippingpoint")
    if tp:
        rows.append(("TippingPoint", tp.get("request", "")))
        if tp.get("cve_ids"):
            rows.append((_("CVE ids"), ", ".join(tp["cve_ids"])))
        if tp.get("filter_number"):
            rows.append((_("Filter number"), tp["filter_number"]))
        if tp.get("repdv_entries"):
            rows.append((_("RepDV entries"), ", ".join(tp["repdv_entries"])))
    window = case.get("change_window")
    if window:
        rows.append((_("Change window"), _("{start} → {end}", **{
            k: Moment(datetime.fromisoformat(window[k])) for k in ("start", "end")})))
    for a in case.get("attachments") or []:
        rows.append((_("Attachment"), _("{name} ({size} bytes, sha256 {sha}…)", name=a["name"],
                                        size=a["size"], sha=a["sha256"][:12])))
    return rows


def _value(key: str, value: Any) -> str:
    if key in WORDS:
        return _(str(value))
    if key == "preferred_time":
        return show_preferred(str(value))
    return str(value)


def case_text(case: dict[str, Any], deliveries: dict[int, list[str]] | None = None) -> str:
    """The case as text: its fields, description, conversation and timeline. `deliveries`
    (an operator's view): which way each message went, shown under it."""
    lines: list[str] = [_("{label}: {value}", label=label, value=value)
                        for label, value in summary_rows(case)]
    if case.get("description"):
        lines += ["", _("Description:"), case["description"]]
    if case.get("messages"):
        lines += ["", _("Conversation:")]
        for m in case["messages"]:
            lines += conversation_lines(m, None if deliveries is None
                                        else deliveries.get(m["id"], []))
    if case.get("timeline"):
        lines += ["", _("Timeline:")]
        lines += [f"  {e['at'][:16].replace('T', ' ')}  {e['kind']}: {e['text']}"
                  for e in case["timeline"]]
    return joined("\n", lines)


def conversation_lines(m: dict[str, Any], went: list[str] | None = None) -> list[str]:
    """One message of the case JSON's `messages`: who wrote it, when, through which channel
    (and, for an operator, whether it is an internal note and which way it went)."""
    internal = " · INTERNAL NOTE" if m.get("visibility") == "internal" else ""
    kind, channel = m["author_kind"], m["channel"]
    at = shown(Moment.utc(datetime.fromisoformat(m["at"])))  # the reader's format; str: ISO
    head = joined("", ["  ", _("{when}  {author} ({kind}, {channel})", when=at,
                               author=m["author"],
                               kind=_(AUTHORS[kind]) if kind in AUTHORS else kind,
                               channel=_(CHANNELS[channel]) if channel in CHANNELS
                               else channel), internal])
    text = m.get("text") or ""
    out: list[str] = [head, *[f"    {line}" for line in text.split("\n") if text]]
    if m.get("attachments"):
        out.append(joined("", ["    ", _("Files: {names}", names=joined(", ", [
            _("{name} ({size} bytes)", name=f["name"], size=f["size"])
            for f in m["attachments"]]))]))
    if went is not None and m.get("author_kind") == "operator" \
            and m.get("visibility") == "public":
        out.append("    Sent: " + (", ".join(went) if went else "nowhere (nothing queued)"))
    return out


def case_html(case: dict[str, Any], language: str = "en") -> str:
    def t(text: str) -> str:
        return html.escape(say(text, language))

    rows = "".join(f"<tr><th align='left'>{t(k)}</th><td>{t(v)}</td></tr>"
                   for k, v in summary_rows(case))
    desc = html.escape(case.get("description") or "").replace("\n", "<br>")
    number = str(case.get("number") or "")
    received = _("Thank you for contacting support. We have received your request: case "
                 "{number} (reference id {reference}).", number=number,
                 reference=case["reference_id"]) if case.get("reference_id") else _(
        "Thank you for contacting support. We have received your request: case {number}.",
        number=number)
    return (f"<html><body><p>{t(received)}</p>"
            f"<table>{rows}</table>"
            f"<h3>{t(_('Description'))}</h3><p>{desc}</p>"
            f"<p>{t(REPLY_HERE)}</p></body></html>")


REPLY_HERE = _("Reply to this mail to add information to the case.")


def message_id(number: str, domain: str) -> str:
    return f"<case-{number}@{domain}>"


def case_headers(number: str, mail_from: str, language: str | None = None) -> dict[str, str]:
    """Headers of every later mail about a case: it threads under the confirmation, and a
    reply to it names the case (bot/inbound_mail.py reads them back). `language`: the
    mail's Content-Language (RFC 3282), which `build_message`'s own words follow."""
    thread = message_id(number, _domain(mail_from))
    headers = {"In-Reply-To": thread, "References": thread}
    if language is not None:
        headers["Content-Language"] = language.replace("_", "-")
    return headers


def queue_confirmation(uow: UnitOfWork, case: dict[str, Any], case_id: int | None,
                       mail_from: str, language: str = "en") -> None:
    """The case's confirmation, in the contact's `language` (issue 27; its values stay the
    case's canonical ones, shown in that language)."""
    domain = mail_from.rsplit("@", 1)[-1] or "localhost"
    subject = _("[Case {number}] {subject}", number=case["number"], subject=case["subject"])
    if case.get("reference_id"):
        subject = _("[Case {number}] {subject} (ref {reference})", number=case["number"],
                    subject=case["subject"], reference=case["reference_id"])
    text = joined("\n", [
        _("Thank you for contacting support. We have received your request."), "",
        case_text({**case, "timeline": []}), "", REPLY_HERE, ""])
    uow.outbox.queue(kind="confirmation", to=case["contact_email"], cc=case["cc_emails"],
                     subject=say(subject, language), body_text=say(text, language),
                     body_html=case_html(case, language),
                     headers={"Message-ID": message_id(case["number"], domain),
                              "Content-Language": language.replace("_", "-")},
                     case_id=case_id)


def _domain(mail_from: str) -> str:
    return mail_from.rsplit("@", 1)[-1].strip(" >") or "localhost"


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


# The most a mail's files may add up to; past it they are listed by name instead (mail
# servers commonly refuse mails over 10 to 25 MB, and encoding adds a third).
MAIL_FILES_LIMIT = 10 * 1024 * 1024

ReadFile = Callable[[str], bytes | None]
"""A stored file's bytes by sha256 (None: not there any more); bot/mailer.py reads the blob
store."""


def build_message(mail: OutboxMail, mail_from: str, *, reply_to: str | None = None,
                  read_file: ReadFile | None = None) -> EmailMessage:
    """The mail as sent: plain text, plus HTML as multipart/alternative when there is some,
    plus the message's files as attachments while they fit in `MAIL_FILES_LIMIT` (the rest
    named in a note, in the mail's Content-Language). `reply_to`: the case's signed reply
    address (bot/reply_address.py)."""
    msg = EmailMessage()
    headers = dict(mail.headers or {})
    msg["From"] = mail_from
    msg["To"] = mail.to
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = _one_line(mail.subject)
    created = mail.created_at
    msg["Date"] = format_datetime(as_utc(created) if created else datetime.now(UTC))
    msg["Message-ID"] = (headers.pop("Message-ID", None)
                         or f"<mail-{mail.id}@{_domain(mail_from)}>")
    for name, value in headers.items():
        msg[name] = _one_line(value)
    msg["Auto-Submitted"] = "auto-generated"
    attached, left_out = _files(mail.files or [], read_file)
    language = normal(headers.get("Content-Language")) or ENGLISH
    note = "\n\n" + say(_("Not attached (too large for a mail, or no longer stored): {names}. "
                          "Ask support for them in a reply.", names=", ".join(left_out)),
                        language) + "\n" if left_out else ""
    msg.set_content(mail.body_text + note)
    if mail.body_html:
        shown = f"<p>{html.escape(note.strip())}</p>" if note else ""
        body = mail.body_html
        at = body.rfind("</body>")
        msg.add_alternative(body[:at] + shown + body[at:] if at >= 0 else body + shown,
                            subtype="html")
    for name, data in attached:
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def _files(files: list[dict[str, Any]], read_file: ReadFile | None
           ) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The files to attach (name, bytes) in order while they fit; the names of the rest."""
    attached: list[tuple[str, bytes]] = []
    left_out: list[str] = []
    total = 0
    for f in files:
        name = str(f.get("name") or "file")
        size = int(f.get("size") or 0)
        data = None
        if read_file is not None and total + size <= MAIL_FILES_LIMIT:
            data = read_file(str(f.get("sha256", "")))
        if data is None or total + len(data) > MAIL_FILES_LIMIT:
            left_out.append(name)
            continue
        total += len(data)
        attached.append((name, data))
    return attached, left_out


def recipients(mail: OutboxMail) -> list[str]:
    """Envelope recipients: To and every Cc, each once."""
    seen: dict[str, str] = {}
    for address in [mail.to, *(mail.cc or [])]:
        seen.setdefault(address.casefold(), address)
    return list(seen.values())
