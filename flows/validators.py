"""Validators for every typed answer in the intake flows.

Each returns the normalised value to store, or raises `Invalid` with a message the customer can
act on: it names what was wrong and says what to send instead.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from datetime import datetime

import email_validator
import phonenumbers

from flows import times
from flows.errors import Invalid, quoted
from flows.i18n import N_, _, joined, ngettext
from flows.normalize import cjk_count, typed_list, typed_value
from flows.urls import ascii_hostname, refang

MAX_CC = 20
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
_LINE_BREAKS = re.compile(r"[\n\x85\u2028\u2029]")
# Invisible control characters that only cause trouble (PostgreSQL rejects NUL in text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _show(text: str, limit: int = 60) -> str:
    return quoted(text, limit)


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# ---------------------------------------------------------------------------- email

_EMAIL_REASONS = (
    ("should have a period", N_("the domain has no dot")),
    ("must have an @-sign", N_("it has no @")),
    ("something after the @-sign", N_("nothing after the @")),
    ("something before the @-sign", N_("nothing before the @")),
    ("two periods in a row", N_("it has two dots in a row")),
    ("too long", N_("it is too long")),
)


def _email_reason(exc: Exception) -> str:
    message = str(exc)
    for needle, short in _EMAIL_REASONS:
        if needle in message:
            return _(short)
    message = message.rstrip(".")
    return message[:1].lower() + message[1:]


def _check_email(text: str) -> str:
    """Normalised address; ValueError carrying the short reason."""
    try:
        result = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValueError(_email_reason(exc)) from None  # (args[0] is a message)
    return result.normalized


def email(text: str) -> str:
    """One address, normalised the way the mail system will compare it."""
    text = typed_value(text)
    if not text:
        raise Invalid(_("Enter an email address, e.g. name@example.com."))
    try:
        return _check_email(text)
    except ValueError as exc:
        raise Invalid(_("{shown} is not a valid email address ({reason}). Check it and send it "
                        "again.", shown=_show(text), reason=exc.args[0])) from None


def _address_tokens(text: str) -> list[str]:
    """Split a pasted list (flows.normalize.typed_list); "Name <addr>" (as copied from a mail
    client) yields addr."""
    tokens: list[str] = []
    for chunk in typed_list(text, spaces=False):
        angle = re.findall(r"<([^<>]*)>", chunk)
        if angle:
            tokens.extend(a.strip() for a in angle if a.strip())
        else:
            tokens.extend(chunk.split())
    return tokens


def email_list(text: str, *, max_count: int = MAX_CC) -> list[str]:
    """CC addresses; all bad ones are named at once so the user fixes them in one go."""
    good: list[str] = []
    seen: set[str] = set()
    bad: list[str] = []
    for token in _address_tokens(text):
        try:
            address = _check_email(token)
        except ValueError as exc:
            bad.append(_("{shown} is not a valid address ({reason})", shown=_show(token),
                         reason=exc.args[0]))
            continue
        key = address.casefold()
        if key not in seen:
            seen.add(key)
            good.append(address)
    if bad:
        shown = joined("; ", [*bad[:10], *([_("and {count} more", count=len(bad) - 10)]
                                         if len(bad) > 10 else [])])
        raise Invalid(ngettext("{shown}. Fix it and send the list again, one address per line.",
                               "{shown}. Fix them and send the list again, one address per "
                               "line.", len(bad), shown=shown))
    if len(good) > max_count:
        raise Invalid(_("You entered {count} addresses; the limit is {limit}. Remove some and "
                        "send the list again.", count=len(good), limit=max_count))
    return good


# ---------------------------------------------------------------------------- phone

_PHONE_EXAMPLE = "+44 20 7946 0958"
# "内線 123" is how a Japanese number gives its extension; "(代表)", "(携帯)" say which line.
_JA_EXTENSION = re.compile(r"\s*内線\s*")
_NOTE = re.compile(r"\(([^()]*)\)")
_FULL_WIDTH_DIGIT = re.compile(r"[\uff10-\uff19]")


def _typed_in_japanese(written: str) -> bool:
    """A number typed with a Japanese keyboard (full-width digits) or with Japanese words: one
    without a country code is then a Japanese one (03-1234-5678 typed in full-width)."""
    return bool(_FULL_WIDTH_DIGIT.search(written) or cjk_count(written))


def _national(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    """A national number of `region` ("03-1234-5678" in "JP"), when it is a valid one."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone(text: str, region: str | None = None) -> str:
    """An international number in E.164 (with ";ext=N" when an extension was given). A number
    without its country code is read as Japanese (+81) when typed the Japanese way, else as
    one of `region` (the contact's country as their language gives it: "JP" for Japanese);
    without either it needs its country code."""
    raw = _JA_EXTENSION.sub(" ext. ", typed_value(text))
    raw = _NOTE.sub(lambda m: " " if cjk_count(m.group(1)) else m.group(0), raw).strip()
    if not raw:
        raise Invalid(_("Enter a phone number with the country code, e.g. {example}.",
                        example=_PHONE_EXAMPLE))
    compact = re.sub(r"[\s().\-]", "", raw)
    if compact.startswith("00"):
        raw = "+" + raw.lstrip()[2:].lstrip()
    elif not compact.startswith("+"):
        home = "JP" if _typed_in_japanese(text) else region
        national = _national(raw, home) if home else None
        if national is None:
            raise Invalid(_(
                "{shown} has no country code. Add the country code, e.g. {example}.",
                shown=_show(raw), example=_PHONE_EXAMPLE))
        raw = phonenumbers.format_number(national, phonenumbers.PhoneNumberFormat.E164) + (
            f" ext. {national.extension}" if national.extension else "")
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        reason = {
            phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: N_("the country code is "
                                                                       "unknown"),
            phonenumbers.NumberParseException.TOO_SHORT_NSN: N_("it is too short"),
            phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: N_("it is too short"),
            phonenumbers.NumberParseException.TOO_LONG: N_("it is too long"),
        }.get(exc.error_type, N_("it does not look like a phone number"))
        raise Invalid(_(
            "{shown} is not a valid phone number ({reason}). Use the international form, "
            "e.g. {example}.", shown=_show(raw), reason=_(reason), example=_PHONE_EXAMPLE)
        ) from None
    if not phonenumbers.is_possible_number(number):
        reason = {
            phonenumbers.ValidationResult.TOO_SHORT: N_("it is too short"),
            phonenumbers.ValidationResult.TOO_LONG: N_("it is too long"),
            phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: N_("the country code is "
                                                                   "unknown"),
        }.get(phonenumbers.is_possible_number_with_reason(number), N_("it has the wrong length"))
        raise Invalid(_(
            "{shown} is not a possible phone number ({reason}). Check the digits, e.g. "
            "{example}.", shown=_show(raw), reason=_(reason), example=_PHONE_EXAMPLE)
        )
    if not phonenumbers.is_valid_number(number):
        raise Invalid(_(
            "{shown} is not a valid phone number for its country. Check the country code and "
            "digits, e.g. {example}.", shown=_show(raw), example=_PHONE_EXAMPLE)
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164};ext={number.extension}" if number.extension else e164


# ---------------------------------------------------------------------------- preferred time


def preferred_time(text: str) -> str:
    """When support may call, as one canonical string ("Mon-Fri 09:00-17:00 Europe/Berlin",
    "09:00-17:00 UTC+2", "24x7"; Critical needs 24x7). The grammar is flows/times.py."""
    return times.preferred_time(text)


# ---------------------------------------------------------------------------- codes

_ACTIVATION_GROUPS = (2, 4, 5, 5, 5, 5, 5)
_ACTIVATION_SHAPE = "XX-XXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"
_ACTIVATION_RE = re.compile(
    "^" + "-".join(f"[A-Z0-9]{{{n}}}" for n in _ACTIVATION_GROUPS) + "$"
)


def activation_code(text: str) -> str:
    """A code as the vendor prints it; dashes are added if the user typed only the characters."""
    text = typed_value(text)
    code = re.sub(r"\s+", "", text).translate(_DASHES).upper()
    if not code:
        raise Invalid(_("Enter the activation code, shaped {shape}.", shape=_ACTIVATION_SHAPE))
    bare = code.replace("-", "")
    if "-" not in code and len(bare) == sum(_ACTIVATION_GROUPS) and bare.isalnum():
        pieces, i = [], 0
        for n in _ACTIVATION_GROUPS:
            pieces.append(bare[i:i + n])
            i += n
        code = "-".join(pieces)
    if not (_ACTIVATION_RE.match(code) and code.isascii()):
        raise Invalid(_(
            "{shown} is not an activation code. It looks like {shape} (letters and digits, "
            "2-4-5-5-5-5-5).", shown=_show(text.strip()), shape=_ACTIVATION_SHAPE)
        )
    return code


def mask_activation_code(code: str) -> str:
    """Hide the middle so a code shown in a shared channel can't be reused."""
    try:
        groups = activation_code(code).split("-")
    except Invalid:
        # Never echo a malformed secret in full; keep only a hint of its end.
        tail = code.strip()[-4:] if len(code.strip()) > 8 else ""
        return "*" * max(len(code.strip()) - len(tail), 0) + tail
    return "-".join(groups[:2] + ["*****"] * 4 + groups[-1:])


def toolbox_guid(text: str) -> str:
    """An OfficeScan Toolbox GUID in the lower-case dashed form."""
    raw = typed_value(text)
    inner = raw[1:-1].strip() if raw.startswith("{") and raw.endswith("}") else raw
    if re.fullmatch(r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?"
                    r"[0-9A-Fa-f]{12}", inner):
        return str(uuid.UUID(inner))
    raise Invalid(_(
        "{shown} is not a Toolbox GUID. It looks like xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx "
        "(hex digits 0-9, a-f).", shown=_show(raw))
    )


# ---------------------------------------------------------------------------- text fields

def _one_line(text: str, *, field: str, limit: int, empty_hint: str, fix_hint: str) -> str:
    value = _clean(text).replace("\t", " ").strip()
    if not value:
        raise Invalid(_("The {field} is empty. {hint}", field=field, hint=empty_hint))
    if _LINE_BREAKS.search(value):
        raise Invalid(_("The {field} must be one line. {hint}", field=field, hint=fix_hint))
    if len(value) > limit:
        raise Invalid(_("The {field} is {count:,} characters long; the limit is {limit:,}. "
                        "Shorten it. {hint}", field=field, count=len(value), limit=limit,
                        hint=fix_hint))
    return value


def profile_name(text: str) -> str:
    """A profile's name; uniqueness per contact is the store's job."""
    return _one_line(text, field=_("profile name"), limit=80,
                     empty_hint=_("Enter a short name, e.g. 'Production Apex One'."),
                     fix_hint=_("Use a short name, e.g. 'Production Apex One'."))


def subject(text: str) -> str:
    """The case subject: one line, because it becomes an email subject."""
    return _one_line(text, field=_("subject"), limit=200,
                     empty_hint=_("Enter a one-line summary of the issue."),
                     fix_hint=_("Put the details in the description."))


def _multi_line(text: str, *, field: str, limit: int, required: bool, hint: str) -> str:
    value = _clean(text).rstrip()
    if not value.strip():
        if required:
            raise Invalid(_("The {field} is empty. {hint}", field=field, hint=hint))
        return ""
    if len(value) > limit:
        raise Invalid(_("The {field} is {count:,} characters long; the limit is {limit:,}. "
                        "Shorten it, or attach the rest as a file.", field=field,
                        count=len(value), limit=limit))
    return value


def description(text: str, *, required: bool = True) -> str:
    """The case description; line breaks and indentation are kept (logs, stack traces)."""
    return _multi_line(text, field=_("description"), limit=20_000, required=required,
                       hint=_("Describe the issue: what happened, when, and what you "
                              "expected."))


def business_impact(text: str) -> str:
    """Required for High and Critical so support can justify the priority."""
    return _multi_line(text, field=_("business impact"), limit=5_000, required=True,
                       hint=_("Say what the issue stops your business from doing."))


# ---------------------------------------------------------------------------- TippingPoint

_CVE_RE = re.compile(r"^CVE-(\d{4})-(\d{4,})$")


def cve_ids(text: str) -> list[str]:
    """Zero or more CVE ids, upper-cased and without duplicates."""
    out: list[str] = []
    bad: list[str] = []
    for token in typed_list(text):
        cve = token.upper()
        m = _CVE_RE.match(cve)
        if not m or not cve.isascii() or int(m.group(1)) < 1999:
            bad.append(_show(token, 30))
        elif cve not in out:
            out.append(cve)
    if bad:
        what = "is not a CVE id" if len(bad) == 1 else "are not CVE ids"
        raise Invalid(f"{', '.join(bad[:10])} {what}. Use the form CVE-2024-12345, "
                      "separated by commas or one per line.")
    return out


def filter_number(text: str) -> str:
    """A TippingPoint filter number, as digits (leading zeros are not significant)."""
    text = typed_value(text)
    raw = text.lstrip("#").strip()
    if raw.isdigit() and raw.isascii() and 1 <= len(raw) <= 6:
        return str(int(raw))
    raise Invalid(f"{_show(text.strip())} is not a filter number. "
                  "Use digits only, up to 6, e.g. 12345.")


def _repdv_entry(token: str) -> str:
    candidate = refang(token)
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    try:
        return ipaddress.ip_address(candidate).compressed
    except ValueError:
        pass
    if "/" in candidate or ":" in candidate or "@" in candidate:
        raise ValueError("enter a bare IP address or domain name, not a URL or range")
    host, _ = ascii_hostname(candidate)
    labels = host.split(".")
    if len(labels) < 2:
        raise ValueError("a domain name needs a dot, like example.com")
    if labels[-1].isdigit() or "_" in labels[-1]:
        raise ValueError("that is neither a valid IP address nor a domain name")
    return host


def repdv_entries(text: str) -> list[str]:
    """ThreatDV reputation entries: IPs or domain names, IDNs stored as punycode."""
    out: list[str] = []
    bad: list[str] = []
    for token in typed_list(text):
        try:
            entry = _repdv_entry(token)
        except ValueError as exc:
            bad.append(f"{_show(token)} ({exc})")
            continue
        if entry not in out:
            out.append(entry)
    if bad:
        if len(bad) == 1:
            head = f"{bad[0]} is not an IP address or domain name"
        else:
            head = "These are not IP addresses or domain names: " + "; ".join(bad[:10])
        raise Invalid(f"{head}. Enter one entry per line, e.g. 203.0.113.7 or bad.example.com.")
    if not out:
        raise Invalid("Enter at least one IP address or domain name, one per line.")
    return out


# ---------------------------------------------------------------------------- change window


def parse_datetime(text: str) -> datetime:
    """A zone-aware datetime ("2026-12-12 22:00 CET", "12 Dec 2026 10pm Europe/Berlin",
    "2026年12月12日 22時 JST"); no zone means UTC. The grammar is flows/times.py."""
    return times.parse_datetime(text)


def change_start(text: str, now: datetime) -> datetime:
    """A planned start (or the start of a typed window) that has not passed yet (`now`: the
    flow's clock, `Ctx.clock`)."""
    return times.change_start(text, now)


def change_window(start: str, end: str) -> tuple[str, str]:
    """Planned change start and end as ISO 8601 with offset; the end must follow the start.

    An end typed without a zone is read in the start's zone: people give a zone once.
    """
    return times.change_window(start, end)
