"""Validators for every typed answer in the intake flows.

Each returns the normalised value to store, or raises `Invalid` with a message the customer can
act on: it names what was wrong and says what to send instead.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import email_validator
import phonenumbers

from flows.errors import Invalid, quoted
from flows.normalize import normal
from flows.urls import ascii_hostname, refang

MAX_CC = 20
_SEPARATORS = re.compile(r"[,;\s]+")
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
    ("should have a period", "the domain has no dot"),
    ("must have an @-sign", "it has no @"),
    ("something after the @-sign", "nothing after the @"),
    ("something before the @-sign", "nothing before the @"),
    ("two periods in a row", "it has two dots in a row"),
    ("too long", "it is too long"),
)


def _email_reason(exc: Exception) -> str:
    message = str(exc)
    for needle, short in _EMAIL_REASONS:
        if needle in message:
            return short
    message = message.rstrip(".")
    return message[:1].lower() + message[1:]


def _check_email(text: str) -> str:
    """Normalised address; ValueError carrying the short reason."""
    try:
        result = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValueError(_email_reason(exc)) from None
    return result.normalized


def email(text: str) -> str:
    """One address, normalised the way the mail system will compare it."""
    text = normal(text)
    text = text.strip()
    if not text:
        raise Invalid("Enter an email address, e.g. name@example.com.")
    try:
        return _check_email(text)
    except ValueError as exc:
        raise Invalid(
            f"{_show(text)} is not a valid email address ({exc}). Check it and send it again."
        ) from None


def _address_tokens(text: str) -> list[str]:
    """Split a pasted list; "Name <addr>" (as copied from a mail client) yields addr."""
    tokens: list[str] = []
    for chunk in re.split(r"[,;\n]+", text):
        angle = re.findall(r"<([^<>]*)>", chunk)
        if angle:
            tokens.extend(a.strip() for a in angle if a.strip())
        else:
            tokens.extend(t for t in _SEPARATORS.split(chunk) if t)
    return tokens


def email_list(text: str, *, max_count: int = MAX_CC) -> list[str]:
    """CC addresses; all bad ones are named at once so the user fixes them in one go."""
    text = normal(text)
    good: list[str] = []
    seen: set[str] = set()
    bad: list[str] = []
    for token in _address_tokens(text):
        try:
            address = _check_email(token)
        except ValueError as exc:
            bad.append(f"{_show(token)} is not a valid address ({exc})")
            continue
        key = address.casefold()
        if key not in seen:
            seen.add(key)
            good.append(address)
    if bad:
        shown = "; ".join(bad[:10]) + (f"; and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise Invalid(f"{shown}. Fix {'it' if len(bad) == 1 else 'them'} and send the list "
                      "again, one address per line.")
    if len(good) > max_count:
        raise Invalid(
            f"You entered {len(good)} addresses; the limit is {max_count}. "
            "Remove some and send the list again."
        )
    return good


# ---------------------------------------------------------------------------- phone

_PHONE_EXAMPLE = "e.g. +44 20 7946 0958"


def phone(text: str) -> str:
    """An international number in E.164 (with ";ext=N" when an extension was given)."""
    text = normal(text)
    raw = text.strip()
    if not raw:
        raise Invalid(f"Enter a phone number with the country code, {_PHONE_EXAMPLE}.")
    compact = re.sub(r"[\s().\-]", "", raw)
    if compact.startswith("00"):
        raw = "+" + raw.lstrip()[2:].lstrip()
    elif not compact.startswith("+"):
        raise Invalid(
            f"{_show(raw)} has no country code. Add the country code, {_PHONE_EXAMPLE}."
        )
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        reason = {
            phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "the country code is unknown",
            phonenumbers.NumberParseException.TOO_SHORT_NSN: "it is too short",
            phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short",
            phonenumbers.NumberParseException.TOO_LONG: "it is too long",
        }.get(exc.error_type, "it does not look like a phone number")
        raise Invalid(
            f"{_show(raw)} is not a valid phone number ({reason}). "
            f"Use the international form, {_PHONE_EXAMPLE}."
        ) from None
    if not phonenumbers.is_possible_number(number):
        reason = {
            phonenumbers.ValidationResult.TOO_SHORT: "it is too short",
            phonenumbers.ValidationResult.TOO_LONG: "it is too long",
            phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "the country code is unknown",
        }.get(phonenumbers.is_possible_number_with_reason(number), "it has the wrong length")
        raise Invalid(
            f"{_show(raw)} is not a possible phone number ({reason}). "
            f"Check the digits, {_PHONE_EXAMPLE}."
        )
    if not phonenumbers.is_valid_number(number):
        raise Invalid(
            f"{_show(raw)} is not a valid phone number for its country. "
            f"Check the country code and digits, {_PHONE_EXAMPLE}."
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164};ext={number.extension}" if number.extension else e164


# ---------------------------------------------------------------------------- time zones

_OFFSET_RE = re.compile(r"^(?:UTC|GMT|Z)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


def _zone(text: str) -> tuple[tzinfo, str]:
    """(tzinfo, canonical label) for an IANA name or UTC/GMT with an optional offset."""
    text = text.strip().translate(_DASHES)
    if text.upper() in {"UTC", "GMT", "Z", "UTC+0", "GMT+0", "UTC-0", "GMT-0"}:
        return UTC, "UTC"
    m = _OFFSET_RE.match(text)
    if m:
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        if minutes >= 60 or hours > 14 or (hours == 14 and minutes):
            raise ValueError(f"{_show(text)} is not a valid UTC offset (use -12 to +14)")
        delta = timedelta(hours=hours, minutes=minutes)
        if not delta:
            return UTC, "UTC"
        tz = timezone(-delta if sign == "-" else delta)
        label = f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")
        return tz, label
    name = _zone_names().get(text.casefold())
    if name:
        return zoneinfo.ZoneInfo(name), name
    abbreviation = _ABBREVIATIONS.get(text.upper())
    if abbreviation:
        return zoneinfo.ZoneInfo(abbreviation), text.upper()
    raise ValueError(f"{_show(text)} is not a time zone I know")


# Abbreviations people write that are not IANA names of their own (EST, CET, … are).
_ABBREVIATIONS = {
    "EDT": "America/New_York", "CDT": "America/Chicago", "CST": "America/Chicago",
    "MDT": "America/Denver", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "AKST": "America/Anchorage", "CEST": "Europe/Paris", "BST": "Europe/London",
    "EEST": "Europe/Athens", "WEST": "Europe/Lisbon", "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo", "KST": "Asia/Seoul", "SGT": "Asia/Singapore",
    "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "NZST": "Pacific/Auckland",
}

_ZONE_HELP = "a time zone like Europe/Berlin, America/New_York or UTC+2"


# ---------------------------------------------------------------------------- preferred time

_ALWAYS = {"24x7", "24/7", "24*7", "24×7", "anytime", "always", "24h", "24hours"}
_TIME = r"(\d{1,2})(?:[:.h]?(\d{2}))?\s*([ap]\.?m\.?)?"
_WINDOW_RE = re.compile(rf"^{_TIME}\s*(?:-|to)\s*{_TIME}$", re.IGNORECASE)
_TIME_EXAMPLE = ("e.g. 'Weekdays 09:00-17:00 Europe/Berlin', 'Mon-Fri 9am-5pm EST', "
                 "'9-17 UTC+2' or '24x7'")
_DAY = (r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
        r"|sat(?:urday)?|sun(?:day)?)\.?")
_DAYS_RE = re.compile(
    rf"^((?:weekdays|weekends|workdays|business days|daily|every ?day|{_DAY}(?:\s*(?:-|to)\s*"
    rf"{_DAY})?(?:\s*(?:,|and)\s*{_DAY}(?:\s*(?:-|to)\s*{_DAY})?)*))[,:]?\s+(.*)$",
    re.IGNORECASE)


def _window(text: str) -> tuple[int, int, int, int] | None:
    m = _WINDOW_RE.match(text.strip())
    if not m:
        return None
    h1, m1, p1, h2, m2, p2 = m.groups()
    return (*_hour_minute(h1, m1, p1), *_hour_minute(h2, m2, p2))


def _hour_minute(hour: str, minute: str | None, meridiem: str | None) -> tuple[int, int]:
    h, m = int(hour), int(minute or 0)
    if meridiem:
        if not 1 <= h <= 12:
            return 99, m  # rejected by the caller with the usual message
        h = h % 12 + (12 if meridiem[0].lower() == "p" else 0)
    return h, m


def preferred_time(text: str) -> str:
    """When support may call, as "HH:MM-HH:MM Zone" or "24x7" (Critical needs 24x7)."""
    raw = " ".join(text.split()).translate(_DASHES)
    if not raw:
        raise Invalid(f"Enter when we may call you, with a time zone, {_TIME_EXAMPLE}.")
    if raw.lower().replace(" ", "") in _ALWAYS:
        return "24x7"
    days = _DAYS_RE.match(raw)
    if days:  # "Weekdays 09:00-12:00 CET", "Mon-Fri 9am-5pm EST": the days lead the hours
        return f"{days.group(1)} {preferred_time(days.group(2))}"
    (h1, m1, h2, m2), zone_text = _window_and_zone(raw)
    _check_window(raw, (h1, m1), (h2, m2))
    try:
        _, label = _zone(zone_text)
    except ValueError as exc:
        raise Invalid(f"{exc}. Use {_ZONE_HELP}, {_TIME_EXAMPLE}.") from None
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d} {label}"


def _window_and_zone(raw: str) -> tuple[tuple[int, int, int, int], str]:
    """(window, zone text) of "<window> <zone>" or "<zone> <window>"; Invalid if neither.

    The window may contain spaces ("9 - 17"), so every split between words is tried.
    """
    parts = raw.split(" ")
    for i in range(1, len(parts)):
        head, tail = " ".join(parts[:i]), " ".join(parts[i:])
        if (w := _window(head)) is not None:
            return w, tail
        if (w := _window(tail)) is not None:
            return w, head
    if _window(raw) is not None:
        raise Invalid(f"Add a time zone to {_show(raw)}, {_TIME_EXAMPLE}.")
    raise Invalid(
        f"{_show(raw)} is not a time window I understand. "
        f"Give start and end times and a time zone, {_TIME_EXAMPLE}."
    )


def _check_window(raw: str, start: tuple[int, int], end: tuple[int, int]) -> None:
    """Both ends are times of day (00:00 to 24:00), and not the same time."""
    for h, m in (start, end):
        if h > 24 or m > 59 or (h == 24 and m):
            raise Invalid(f"{_show(raw)} has a time that does not exist. "
                          f"Use 00:00 to 24:00, {_TIME_EXAMPLE}.")
    if start == end:
        raise Invalid(f"The window {_show(raw)} starts and ends at the same time. "
                      f"Give different start and end times, {_TIME_EXAMPLE}.")


# ---------------------------------------------------------------------------- codes

_ACTIVATION_GROUPS = (2, 4, 5, 5, 5, 5, 5)
_ACTIVATION_SHAPE = "XX-XXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"
_ACTIVATION_RE = re.compile(
    "^" + "-".join(f"[A-Z0-9]{{{n}}}" for n in _ACTIVATION_GROUPS) + "$"
)


def activation_code(text: str) -> str:
    """A code as the vendor prints it; dashes are added if the user typed only the characters."""
    text = normal(text)
    code = re.sub(r"\s+", "", text).translate(_DASHES).upper()
    if not code:
        raise Invalid(f"Enter the activation code, shaped {_ACTIVATION_SHAPE}.")
    bare = code.replace("-", "")
    if "-" not in code and len(bare) == sum(_ACTIVATION_GROUPS) and bare.isalnum():
        pieces, i = [], 0
        for n in _ACTIVATION_GROUPS:
            pieces.append(bare[i:i + n])
            i += n
        code = "-".join(pieces)
    if not (_ACTIVATION_RE.match(code) and code.isascii()):
        raise Invalid(
            f"{_show(text.strip())} is not an activation code. It looks like "
            f"{_ACTIVATION_SHAPE} (letters and digits, 2-4-5-5-5-5-5)."
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
    text = normal(text)
    raw = text.strip()
    inner = raw[1:-1].strip() if raw.startswith("{") and raw.endswith("}") else raw
    if re.fullmatch(r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?"
                    r"[0-9A-Fa-f]{12}", inner):
        return str(uuid.UUID(inner))
    raise Invalid(
        f"{_show(raw)} is not a Toolbox GUID. It looks like "
        "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hex digits 0-9, a-f)."
    )


# ---------------------------------------------------------------------------- text fields

def _one_line(text: str, *, field: str, limit: int, empty_hint: str, fix_hint: str) -> str:
    value = _clean(text).replace("\t", " ").strip()
    if not value:
        raise Invalid(f"The {field} is empty. {empty_hint}")
    if _LINE_BREAKS.search(value):
        raise Invalid(f"The {field} must be one line. {fix_hint}")
    if len(value) > limit:
        raise Invalid(
            f"The {field} is {len(value):,} characters long; the limit is {limit:,}. "
            f"Shorten it{'; ' + fix_hint[0].lower() + fix_hint[1:] if fix_hint else '.'}"
        )
    return value


def profile_name(text: str) -> str:
    """A profile's name; uniqueness per contact is the store's job."""
    return _one_line(text, field="profile name", limit=80,
                     empty_hint="Enter a short name, e.g. 'Production Apex One'.",
                     fix_hint="Use a short name, e.g. 'Production Apex One'.")


def subject(text: str) -> str:
    """The case subject: one line, because it becomes an email subject."""
    return _one_line(text, field="subject", limit=200,
                     empty_hint="Enter a one-line summary of the issue.",
                     fix_hint="Put the details in the description.")


def _multi_line(text: str, *, field: str, limit: int, required: bool, hint: str) -> str:
    value = _clean(text).rstrip()
    if not value.strip():
        if required:
            raise Invalid(f"The {field} is empty. {hint}")
        return ""
    if len(value) > limit:
        raise Invalid(
            f"The {field} is {len(value):,} characters long; the limit is {limit:,}. "
            "Shorten it, or attach the rest as a file."
        )
    return value


def description(text: str, *, required: bool = True) -> str:
    """The case description; line breaks and indentation are kept (logs, stack traces)."""
    return _multi_line(text, field="description", limit=20_000, required=required,
                       hint="Describe the issue: what happened, when, and what you expected.")


def business_impact(text: str) -> str:
    """Required for High and Critical so support can justify the priority."""
    return _multi_line(text, field="business impact", limit=5_000, required=True,
                       hint="Say what the issue stops your business from doing.")


# ---------------------------------------------------------------------------- TippingPoint

_CVE_RE = re.compile(r"^CVE-(\d{4})-(\d{4,})$")


def cve_ids(text: str) -> list[str]:
    """Zero or more CVE ids, upper-cased and without duplicates."""
    text = normal(text)
    out: list[str] = []
    bad: list[str] = []
    for token in _SEPARATORS.split(text.translate(_DASHES)):
        if not token:
            continue
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
    text = normal(text)
    raw = text.strip().lstrip("#").strip()
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
    text = normal(text)
    out: list[str] = []
    bad: list[str] = []
    for token in _SEPARATORS.split(text):
        if not token:
            continue
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

_DT_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::\d{2})?\s*(.*)$", re.IGNORECASE
)
_DT_EXAMPLE = "e.g. '2025-03-01 22:00 Europe/Berlin' or '2025-03-01 21:00 UTC'"


def parse_datetime(text: str) -> datetime:
    """A zone-aware datetime from "YYYY-MM-DD HH:MM [zone]"; no zone means UTC."""
    raw = " ".join(text.split()).translate(_DASHES)
    m = _DT_RE.match(raw)
    if not m:
        raise Invalid(f"{_show(raw or text)} is not a date and time I understand. "
                      f"Use YYYY-MM-DD HH:MM and a time zone, {_DT_EXAMPLE}.")
    year, month, day, hour, minute = (int(g) for g in m.groups()[:5])
    zone_text = m.group(6).strip()
    try:
        tz, _ = _zone(zone_text) if zone_text else (UTC, "UTC")
    except ValueError as exc:
        raise Invalid(f"{exc}. Use {_ZONE_HELP}, {_DT_EXAMPLE}.") from None
    try:
        value = datetime(year, month, day, hour, minute, tzinfo=tz)
    except ValueError as exc:
        raise Invalid(f"{_show(raw)} is not a real date and time ({exc}). "
                      f"Use YYYY-MM-DD HH:MM, {_DT_EXAMPLE}.") from None
    # A wall time skipped by a daylight-saving jump does not survive a round trip.
    if value.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value.replace(tzinfo=None):
        raise Invalid(f"{_show(raw)} does not exist in that time zone (the clocks change then). "
                      "Pick a time an hour later.")
    return value


def change_start(text: str, now: datetime) -> datetime:
    """A planned start: a real date and time that has not passed yet (`now`: the flow's
    clock, `Ctx.clock`)."""
    start = parse_datetime(text)
    if start < now:
        raise Invalid(f"{start.isoformat(sep=' ', timespec='minutes')} has already passed. "
                      f"Enter a start in the future, {_DT_EXAMPLE}.")
    return start


def change_window(start: str, end: str) -> tuple[str, str]:
    """Planned change start and end as ISO 8601 with offset; the end must follow the start.

    An end typed without a zone is read in the start's zone: people give a zone once.
    """
    begin = parse_datetime(start)
    end_match = _DT_RE.match(" ".join(end.split()).translate(_DASHES))
    start_match = _DT_RE.match(" ".join(start.split()).translate(_DASHES))
    if end_match and not end_match.group(6).strip() and start_match:
        end = f"{end} {start_match.group(6).strip()}".strip()
    finish = parse_datetime(end)
    if finish <= begin:
        raise Invalid(
            f"The end ({finish.isoformat(sep=' ', timespec='minutes')}) must be after the start "
            f"({begin.isoformat(sep=' ', timespec='minutes')}). Enter the end again."
        )
    return begin.isoformat(), finish.isoformat()
