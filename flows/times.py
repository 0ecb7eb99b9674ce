"""Times as people write them: preferred call times and change windows, English and Japanese.

One grammar (pyparsing, docs/decisions.md) reads what `flows.normalize.normal` makes of the
text: day names, ranges and lists ("Mon-Fri", "Monday to Friday", "Mon, Wed and Fri",
"平日", "月〜金"), 12- and 24-hour times ("9am", "9.30", "14h", "午後5時", "9時半"), ranges
("to", "until", "between … and …", "〜", "から…まで") and zones before or after (IANA names,
abbreviations, "UTC+5:30", "+09:00", "Berlin time", "日本時間"). The same pieces read the
date-times of a change window and find one inside a free-text message.

Pure: the only clock is the `now` passed in.
"""

from __future__ import annotations

import functools
import itertools
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any

import pyparsing as pp

from flows.errors import Invalid, quoted
from flows.i18n import _
from flows.normalize import cjk_count, normal
from flows.when import EVERY_DAY, Moment, Weekly

_END = r"(?![A-Za-z])"  # an English word ends here


def _re(pattern: str) -> pp.Regex:
    return pp.Regex(pattern, flags=re.IGNORECASE)


def _word(pattern: str) -> pp.ParserElement:
    """A word or phrase that is read and dropped."""
    return pp.Suppress(_re(rf"(?:{pattern}){_END}"))


def _show(text: str, limit: int = 60) -> str:
    return quoted(text, limit)


# ---------------------------------------------------------------------------- time zones

_OFFSET_RE = re.compile(r"^(?:UTC|GMT|Z)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)

# Abbreviations people write that are not IANA names of their own (EST, CET, … are).
_ABBREVIATIONS = {
    "EDT": "America/New_York", "CDT": "America/Chicago", "CST": "America/Chicago",
    "MDT": "America/Denver", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "AKST": "America/Anchorage", "CEST": "Europe/Paris", "BST": "Europe/London",
    "EEST": "Europe/Athens", "WEST": "Europe/Lisbon", "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo", "KST": "Asia/Seoul", "SGT": "Asia/Singapore", "HKT": "Asia/Hong_Kong",
    "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "ACST": "Australia/Adelaide",
    "AWST": "Australia/Perth", "NZST": "Pacific/Auckland", "NZDT": "Pacific/Auckland",
    "ET": "America/New_York", "CT": "America/Chicago", "PT": "America/Los_Angeles",
    "PHT": "Asia/Manila", "ICT": "Asia/Bangkok", "WIB": "Asia/Jakarta",
}
# "<place> time": places that are not the last part of an IANA name.
_PLACES = {
    "japan": "Asia/Tokyo", "india": "Asia/Kolkata", "uk": "Europe/London",
    "central european": "CET", "eastern": "America/New_York",
    "central": "America/Chicago", "mountain": "America/Denver",
    "pacific": "America/Los_Angeles", "korea": "Asia/Seoul", "china": "Asia/Shanghai",
    "taiwan": "Asia/Taipei", "germany": "Europe/Berlin", "france": "Europe/Paris",
}
_JAPAN = {"日本時間", "日本標準時", "東京時間"}

ZONE_HELP = "a time zone like Europe/Berlin, America/New_York, JST or UTC+2"


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


@functools.cache
def _cities() -> dict[str, str]:
    """"berlin" → Europe/Berlin, "new york" → America/New_York (the last part of a name)."""
    seen: dict[str, list[str]] = {}
    for name in zoneinfo.available_timezones():
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            seen.setdefault(name.rsplit("/", 1)[1].replace("_", " ").casefold(), []).append(name)
    return {city: sorted(names)[0] for city, names in seen.items()}


def zone(text: str) -> tuple[tzinfo, str]:
    """(tzinfo, canonical label) for an IANA name, an abbreviation, "Berlin time", "日本時間"
    or UTC/GMT with an optional offset; ValueError saying what is wrong."""
    text = " ".join(normal(text).split()).strip("()[] ")
    if text in _JAPAN:
        return zoneinfo.ZoneInfo("Asia/Tokyo"), "Asia/Tokyo"
    if text.upper() in {"UTC", "GMT", "Z", "UTC+0", "GMT+0", "UTC-0", "GMT-0"}:
        return UTC, "UTC"
    m = _OFFSET_RE.match(text)
    if m:
        return _offset(text, m)
    name = _zone_names().get(text.casefold())
    if name:
        return zoneinfo.ZoneInfo(name), name
    abbreviation = _ABBREVIATIONS.get(text.upper())
    if abbreviation:
        return zoneinfo.ZoneInfo(abbreviation), text.upper()
    name = _place(text) or _cities().get(text.casefold())
    if name:
        return zoneinfo.ZoneInfo(name), name
    if "/" in text and all(p.upper() in _ABBREVIATIONS or p.casefold() in _zone_names()
                           for p in text.split("/")):
        return zone(text.split("/")[0])  # "CET/CEST": the first names the zone
    raise ValueError(f"{_show(text)} is not a time zone I know")


def _offset(text: str, m: re.Match[str]) -> tuple[tzinfo, str]:
    sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
    if minutes >= 60 or hours > 14 or (hours == 14 and minutes):
        raise ValueError(f"{_show(text)} is not a valid UTC offset (use -12 to +14)")
    delta = timedelta(hours=hours, minutes=minutes)
    if not delta:
        return UTC, "UTC"
    label = f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")
    return timezone(-delta if sign == "-" else delta), label


def _place(text: str) -> str | None:
    """The IANA name of "Berlin time", "New York time", "Japan time"."""
    place = re.sub(r"\s+(?:(?:standard|daylight|summer)\s+)?time$", "", text, flags=re.I)
    if place == text:
        return None
    key = place.casefold()
    return _PLACES.get(key) or _cities().get(key)


# ---------------------------------------------------------------------------- the pieces

_EN_DAYS = (r"mon(?:day)?s?|mo", r"tue(?:s(?:day)?)?s?|tu", r"wed(?:nesday)?s?|we",
            r"thu(?:r(?:s(?:day)?)?)?s?|th", r"fri(?:day)?s?|fr", r"sat(?:urday)?s?|sa",
            r"sun(?:day)?s?|su")
_JA_DAYS = "月火水木金土日"
WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})


def _day_action(t: pp.ParseResults) -> frozenset[int]:
    text = str(t[0]).casefold().rstrip(".")
    for i, pattern in enumerate(_EN_DAYS):
        if re.fullmatch(pattern, text):
            return frozenset({i})
    return frozenset({_JA_DAYS.index(text[0])})


_en_day = _re(rf"(?:{'|'.join(f'(?:{p})' for p in _EN_DAYS)})\.?{_END}")
# 日 is Sunday, but not in 日本 (Japan) or 日時 (date and time).
_ja_day = pp.Regex(rf"[{_JA_DAYS}](?:曜日?)?(?![本時])")
_day = (_en_day | _ja_day).set_parse_action(_day_action)
# Japanese days written together: 月水金, 土日.
_ja_days = pp.Regex(rf"[{_JA_DAYS}](?:[・、,]?[{_JA_DAYS}])+(?!曜)").set_parse_action(
    lambda t: frozenset(_JA_DAYS.index(c) for c in str(t[0]) if c in _JA_DAYS))


def _group(pattern: str, days: frozenset[int], *, ja: bool = False) -> pp.ParserElement:
    expr = pp.Regex(pattern) if ja else _re(rf"(?:{pattern}){_END}")
    return expr.set_parse_action(lambda: days)


_day_group = (
    _group(r"week\s*days?|work\s*days?|working\s+days|business\s+days|mon\s*-\s*fri", WEEKDAYS)
    | _group(r"week\s*ends?", WEEKEND)
    | _group(r"daily|every\s*day|all\s+week|7\s+days(?:\s+a\s+week)?|seven\s+days", EVERY_DAY)
    | _group(r"平日|営業日|ウィークデー", WEEKDAYS, ja=True)
    | _group(r"週末|土日(?:曜日?)?", WEEKEND, ja=True)
    | _group(r"毎日|年中無休|全日", EVERY_DAY, ja=True)
)
_RANGE = r"-|~|〜|から|(?:to|thru|through|till|til|until)(?![A-Za-z])"
_range_sep = pp.Suppress(_re(_RANGE))


def _wrap(t: pp.ParseResults) -> frozenset[int]:
    (first,), (last,) = t[0], t[1]
    span = (last - first) % 7
    return frozenset((first + i) % 7 for i in range(span + 1))


_day_item = _day_group | (_day + _range_sep + _day).set_parse_action(_wrap) | _ja_days | _day
_list_sep = pp.Suppress(_re(r",\s*and(?![A-Za-z])|,|and(?![A-Za-z])|&|/|\+|・|、|と"))


def _union(t: pp.ParseResults) -> frozenset[int]:
    out: frozenset[int] = frozenset()
    for part in t:
        out |= part
    return out


_day_list = (_day_item + pp.ZeroOrMore(_list_sep + _day_item)).set_parse_action(_union)
_except = _word(r"except(?:\s+on)?|excluding|but\s+not(?:\s+on)?|not\s+on|ex\.?") + _day_list


def _days_action(t: pp.ParseResults) -> frozenset[int]:
    return frozenset(t[0] - (t[1] if len(t) > 1 else frozenset()))


_days = (pp.Opt(_word(r"every(?!\s*day)|each|on|毎週")) + _day_list
         # "平日(月〜金)": the days said twice
         + pp.Opt(pp.Suppress(pp.Regex(r"\(\s*") + _day_list + pp.Regex(r"\s*\)")))
         + pp.Opt(_except)
         + pp.Opt(_word(r"only|のみ")) + pp.Opt(pp.Suppress(pp.Regex(r"[,:;]|の|は")))
         ).set_parse_action(_days_action)


@dataclass(frozen=True)
class _Clock:
    """A time of day as written: the hour may still need its am/pm."""

    hour: int
    minute: int
    meridiem: str | None = None  # "a" or "p"
    bare: bool = False  # a number alone ("9"): no minutes, no am/pm, no 時
    padded: bool = False  # written with a leading zero ("05"): a 24-hour time


def _meridiem(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip().lower()
    return "p" if text.startswith("p") or text == "午後" else "a"


def _en_clock(t: pp.ParseResults) -> _Clock:
    g: re.Match[str] = t[0]
    pre, mer = g.group("pre"), g.group("mer")
    return _Clock(int(g.group("h")), int(g.group("m") or 0), _meridiem(mer or pre),
                  bare=not (g.group("m") or mer or pre or g.group("hh")),
                  padded=g.group("h").startswith("0"))


def _ja_clock(t: pp.ParseResults) -> _Clock:
    g: re.Match[str] = t[0]
    minute = 30 if g.group("half") else int(g.group("m") or g.group("m2") or 0)
    return _Clock(int(g.group("h")), minute, _meridiem(g.group("ap")),
                  padded=g.group("h").startswith("0"))


_MER = r"[ap]\.?\s?m\.?(?![A-Za-z])"
_en_time = pp.Regex(
    rf"(?:(?P<pre>[AP]M)\s?)?(?P<h>\d{{1,2}})(?:[:.h](?P<m>\d{{2}})|(?P<hh>h(?:rs)?)(?![a-z]))?"
    rf"(?::\d{{2}}(?:\.\d+)?)?\s*(?P<mer>{_MER})?(?:\s*o'?clock)?(?![0-9])",
    flags=re.IGNORECASE, as_match=True).set_parse_action(_en_clock)
_military = pp.Regex(r"(?P<h>[01]\d|2[0-4])(?P<m>[0-5]\d)(?P<hh>\s*h(?:rs)?)?(?P<pre>)(?P<mer>)"
                     r"(?![0-9:])", as_match=True).set_parse_action(_en_clock)
_ja_time = pp.Regex(r"(?P<ap>午前|午後)?\s*(?P<h>\d{1,2})(?:時(?:(?P<m>\d{1,2})分|(?P<half>半))?"
                    r"|:(?P<m2>\d{2})(?::\d{2})?(?!\s*[AaPp]\.?[Mm]))",
                    as_match=True).set_parse_action(_ja_clock)
_named_time = (
    _re(rf"(?:noon|midday){_END}|正午").set_parse_action(lambda: _Clock(12, 0))
    | _re(rf"midnight{_END}").set_parse_action(lambda: _Clock(0, 0))
)
# Any time of day, and one that cannot be a stray number (for dates: "2026-12-12 22:00").
_clock = _named_time | _ja_time | _military | _en_time
_marked_clock = _clock.copy().add_condition(lambda t: not t[0].bare)

# A zone as written; read by `zone` once the whole answer has parsed, so that an unknown
# name is reported as a zone ("'Mars/Olympus' is not a time zone I know").
_RESERVED = (r"(?:from|to|until|till|til|thru|through|between|and|only|except|every|each|on|"
             r"at|daily|weekdays?|weekends?|noon|midnight|next|the|am|pm)(?![A-Za-z0-9_/+-])"
             r"|[ap]m\s?\d")
_zone_text = pp.Combine(
    pp.Opt(pp.Suppress(pp.Regex(r"[(\[]\s*")))
    + (pp.Regex("|".join(sorted(_JAPAN, key=len, reverse=True)))
       | _re(r"(?:UTC|GMT)\s*[+-]\s*\d{1,2}(?::?\d{2})?(?![0-9])")
       | _re(r"[+-]\d{1,2}(?::?\d{2})?(?![0-9])")
       | _re(r"(?:[A-Za-z][A-Za-z.'-]*\s+){1,3}(?:(?:standard|daylight|summer)\s+)?time"
             r"(?![A-Za-z])")
       | (~_re(_RESERVED) + ~(_day_group | _en_day)
          + _re(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*")))
    + pp.Opt(pp.Suppress(pp.Regex(r"\s*[)\]]"))))
_zone_slot = pp.Opt(pp.Suppress(pp.Regex(r"[,;]|in(?![A-Za-z])"))) + _zone_text


# ---------------------------------------------------------------------------- preferred time

_ALWAYS = re.compile(
    r"^(?:(?:daily|every\s*day|毎日)\s*)?"
    r"(?:24\s*[x×*/]\s*7(?:\s*[x×*/]\s*365)?|any\s*time|always|24\s*h(?:ours|rs)?(?:\s*a\s*day)?"
    r"|(?:a|a?round)\s*the\s*clock|24時間(?:365日)?(?:対応)?(?:可|OK)?|いつでも(?:可|OK|大丈夫です?)?)"
    r"[.!。]?$", re.IGNORECASE)

_window = (
    (pp.Opt(_word(r"from")) + _clock + _range_sep + _clock)
    | (_word(r"between") + _clock + _word(r"and") + _clock)
) + pp.Opt(pp.Suppress(pp.Regex(r"まで|の間|迄")))

_preferred = (
    pp.Opt(_zone_slot + pp.Opt(pp.Suppress(":")))("zone0")
    + pp.Opt(_days)("days1") + pp.Opt(_zone_slot)("zone1")
    + pp.Group(_window)("window")
    + pp.Opt(_zone_slot)("zone2")
    + pp.Opt(pp.Opt(pp.Suppress(pp.Regex(r"[,;]"))) + _days)("days2")
    + pp.Opt(_zone_slot)("zone3") + pp.Opt(_word(r"only|please|pls|のみ|でお願いします|希望"))
    + pp.Opt(pp.Suppress(pp.Regex(r"[.。]")))
)

TIME_EXAMPLE = ("e.g. 'Mon-Fri 09:00-17:00 Europe/Berlin', 'Weekdays 9am-5pm EST', "
                "'9-17 UTC+2' or '24x7'")
TIME_EXAMPLE_JA = "e.g. '平日 9時〜17時 JST', '月〜金 9:00-18:00 日本時間' or '24x7'"


def _example(raw: str) -> str:
    return TIME_EXAMPLE_JA if cjk_count(raw) else TIME_EXAMPLE


def _with_meridiem(clock: _Clock, meridiem: str) -> int:
    return clock.hour % 12 + (12 if meridiem == "p" else 0)


def _hour(clock: _Clock, other: _Clock, *, is_start: bool) -> int:
    """The 24-hour hour of `clock`, with the am/pm written only on the other end ("9-5pm",
    "午後1時〜5時"); 99 (refused) for an am/pm hour that does not exist ("13pm")."""
    if clock.meridiem:
        if not 0 <= clock.hour <= 12:
            return 99
        return _with_meridiem(clock, clock.meridiem)
    if other.meridiem and 1 <= clock.hour <= 12 and not clock.padded:
        other_minutes = _with_meridiem(other, other.meridiem) * 60 + other.minute
        same = _with_meridiem(clock, other.meridiem) * 60 + clock.minute
        before = same < other_minutes if is_start else same > other_minutes
        flipped = "a" if other.meridiem == "p" else "p"
        return _with_meridiem(clock, other.meridiem if before else flipped)
    return clock.hour


def _hours(start: _Clock, end: _Clock) -> tuple[tuple[int, int], tuple[int, int]]:
    h1 = _hour(start, end, is_start=True)
    h2 = _hour(end, start, is_start=False)
    # "9-5" is nine to five, not an overnight window: both plain numbers up to 12, the end
    # earlier and written without a leading zero.
    if (start.bare and end.bare and not end.padded and h1 <= 12 and h2 < h1):
        h2 += 12
    return (h1, start.minute), (h2, end.minute)


def _checked_hours(raw: str, start: _Clock, end: _Clock) -> tuple[tuple[int, int],
                                                                    tuple[int, int]]:
    """Both ends as 24-hour (hour, minute): times of day (00:00 to 24:00), not the same."""
    (h1, m1), (h2, m2) = _hours(start, end)
    for h, m in ((h1, m1), (h2, m2)):
        if h > 24 or m > 59 or (h == 24 and m):
            raise Invalid(f"{_show(raw)} has a time that does not exist. "
                          f"Use 00:00 to 24:00, {_example(raw)}.")
    if (h1, m1) == (h2, m2):
        raise Invalid(f"The window {_show(raw)} starts and ends at the same time. "
                      f"Give different start and end times, {_example(raw)}.")
    return (h1, m1), (h2, m2)


def _one_zone(raw: str, zones: list[str]) -> str:
    """The label of the zone written (twice is fine if both name the same)."""
    labels = []
    for written in zones:
        try:
            labels.append(zone(written)[1])
        except ValueError as exc:
            raise Invalid(f"{exc}. Use {ZONE_HELP}, {_example(raw)}.") from None
    if len(set(labels)) > 1:
        raise Invalid(f"{_show(raw)} names two time zones ({', '.join(labels)}). "
                      f"Give one, {_example(raw)}.")
    return labels[0]


def preferred_time(text: str) -> str:
    """When support may call: "24x7", "HH:MM-HH:MM Zone", or days first ("Mon-Fri 09:00-17:00
    Europe/Berlin", "Mon, Wed, Fri …", "Daily …"): one canonical string."""
    raw = " ".join(normal(text).split())
    if not raw:
        raise Invalid(f"Enter when we may call you, with a time zone, {TIME_EXAMPLE}.")
    if _ALWAYS.match(raw):
        return "24x7"
    try:
        parsed = _preferred.parse_string(raw, parse_all=True)
    except pp.ParseException:
        raise Invalid(f"{_show(raw)} is not a time window I understand. Give the days, start "
                      f"and end times and a time zone, {_example(raw)}.") from None
    days = [d for key in ("days1", "days2") if key in parsed for d in parsed[key]]
    zones = [str(z) for key in ("zone0", "zone1", "zone2", "zone3") if key in parsed
             for z in parsed[key]]
    if len(days) > 1:
        raise Invalid(f"{_show(raw)} gives the days twice. Give them once, {_example(raw)}.")
    if not zones:
        raise Invalid(f"Add a time zone to {_show(raw)}, {_example(raw)}.")
    start, end = _checked_hours(raw, *parsed["window"])
    label = _one_zone(raw, zones)
    if days and not days[0]:
        raise Invalid(f"{_show(raw)} leaves no day. Give the days, {_example(raw)}.")
    return str(Weekly(days[0] if days else None, start, end, label))


# ---------------------------------------------------------------------------- date-times

_MONTHS = (r"jan(?:uary)?", r"feb(?:ruary)?", r"mar(?:ch)?", r"apr(?:il)?", r"may", r"june?",
           r"july?", r"aug(?:ust)?", r"sep(?:t(?:ember)?)?", r"oct(?:ober)?", r"nov(?:ember)?",
           r"dec(?:ember)?")
_MONTH = rf"(?P<mon>{'|'.join(_MONTHS)})\.?(?![A-Za-z])"
_ORD = r"(?:st|nd|rd|th)?"


@dataclass(frozen=True)
class _Day:
    """A calendar day as written; year None when it was left out ("Dec 12", "12月12日")."""

    year: int | None
    month: int | None  # None: only the day ("13日"), the month is the start's
    day: int


def _month(name: str) -> int:
    return next(i + 1 for i, p in enumerate(_MONTHS) if re.fullmatch(p, name, re.IGNORECASE))


# Reiwa, the Japanese era since 1 May 2019 (令和元年 = 2019; NFKC spells "㋿" 令和): a year
# written in it is read as the Western year. Earlier eras are in the past, which no window
# may start in, so they are not read (docs/decisions.md).
_REIWA_YEAR_ZERO = 2018


def _year_written(parts: dict[str, str | None]) -> int | None:
    if parts.get("y"):
        return int(parts["y"] or 0)
    era = parts.get("reiwa")
    if era:
        return _REIWA_YEAR_ZERO + (1 if era == "元" else int(era))
    return None


def _date_action(t: pp.ParseResults) -> _Day:
    g: re.Match[str] = t[0]
    parts = g.groupdict()
    month = _month(parts["mon"]) if parts.get("mon") else (
        int(parts["m"]) if parts.get("m") else None)
    return _Day(_year_written(parts), month, int(parts["d"]))


_WEEKDAY_NOTE = r"\s*\((?:[月火水木金土日](?:曜日?)?|[A-Za-z]{2,9}\.?)\)"
_iso_date = pp.Regex(r"(?<![0-9A-Za-z.])(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"
                     r"(?![0-9])", as_match=True)
# "12/20": month first, as Japanese (and American) dates are written, without the year (the
# next such day from `now`); "." is left out, it is a day-first separator elsewhere.
_md_date = pp.Regex(r"(?<![0-9A-Za-z./-])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![0-9/])", as_match=True)
_ja_date = pp.Regex(rf"(?<![0-9])(?:(?:(?P<y>\d{{4}})|令和\s*(?P<reiwa>\d{{1,2}}|元))\s*年\s*)?"
                    rf"(?P<m>\d{{1,2}})\s*月\s*"
                    rf"(?P<d>\d{{1,2}})"
                    rf"\s*日(?:{_WEEKDAY_NOTE})?", as_match=True)
_dmy_date = pp.Regex(rf"(?<![0-9A-Za-z.])(?P<d>\d{{1,2}}){_ORD}[\s-]*(?:of\s+)?{_MONTH}"
                     r"(?:[\s,-]+(?P<y>\d{4})(?![0-9:]))?", flags=re.IGNORECASE, as_match=True)
_mdy_date = pp.Regex(rf"(?<![A-Za-z]){_MONTH}\s*(?P<d>\d{{1,2}}){_ORD}(?![0-9:])"
                     r"(?:,?\s*(?P<y>\d{4})(?![0-9:]))?", flags=re.IGNORECASE, as_match=True)
_weekday = pp.Suppress(_en_day + pp.Opt(","))
_date = (pp.Opt(_word("on")) + pp.Opt(_weekday)
         + (_iso_date | _ja_date | _md_date | _dmy_date | _mdy_date).set_parse_action(
             _date_action)
         + pp.Opt(pp.Suppress(pp.Regex(_WEEKDAY_NOTE))))
_day_only = pp.Regex(r"(?<![0-9])(?P<d>\d{1,2})\s*日(?![本時])", as_match=True).set_parse_action(
    lambda t: _Day(None, None, int(t[0].group("d"))))
_joiner = pp.Opt(pp.Suppress(pp.Regex(r",|@|の|at(?![A-Za-z])|from(?![A-Za-z])"
                                      r"|between(?![A-Za-z])", flags=re.IGNORECASE)))
_next_before = pp.Regex(r"翌(?:日の?|朝)?").set_parse_action(lambda: "next")
_next_after = _re(r"\(?(?:the\s+)?next\s+day\)?|\(\+1\)|\(翌日\)").set_parse_action(
    lambda: "next")
_clock_at = pp.Opt(_word("at")) + _marked_clock
_plain_zone = pp.Combine(
    pp.Opt(pp.Suppress(pp.Regex(r"[(\[]\s*"))) + (~_re(r"[+-]") + _zone_text))
_iso_joiner = pp.Suppress(pp.Regex(r"T(?=\d)"))


def _datetime_with(joiner: pp.ParserElement, zone_expr: pp.ParserElement) -> pp.ParserElement:
    return pp.Group(
        (_date("day") + joiner + _clock_at("clock"))
        | (_clock_at("clock") + pp.Opt(pp.Suppress(pp.Regex(r",|on(?![A-Za-z])"))) + _date("day"))
    ) + pp.Opt(zone_expr)("zone")


# After "2026-12-12T22:00" a signed offset is the zone ("-05:00"); after "2026-12-12 22:00"
# it is the range ("22:00-02:00").
_iso_datetime = pp.Group(_date("day") + _iso_joiner + _clock_at("clock")) + pp.Opt(_zone_text)(
    "zone")
_spaced_datetime = _datetime_with(_joiner, _plain_zone)
_datetime = _iso_datetime | _datetime_with(_joiner, _zone_text)
_end = pp.Group(
    pp.Opt(_next_before)("next")
    + pp.Opt((_date | _day_only)("day") + (_iso_joiner | _joiner)) + _clock_at("clock")
    + pp.Opt(_next_after)("next_after")
) + pp.Opt(_zone_text)("zone")
_to = pp.Suppress(_re(rf"{_RANGE}|and(?![A-Za-z])"))
_until = pp.Opt(pp.Suppress(pp.Regex(r"まで|迄|の間")))


def _range_from(start: pp.ParserElement) -> pp.ParserElement:
    return (pp.Opt(_word("from|between")) + pp.Group(start)("start") + _to + pp.Group(_end)("end")
            + _until + pp.Opt(_zone_text)("zone_tail"))


_window_dt = (
    _range_from(_iso_datetime) | _range_from(_spaced_datetime)
    # "from 22:00 to 02:00 CET on 12 Dec 2026"
    | (pp.Opt(_word("from|between")) + _clock_at("c1") + _to + pp.Opt(_next_before)("next")
       + _clock_at("c2") + pp.Opt(_zone_slot)("zone") + pp.Opt(pp.Suppress(","))
       + _date("day2") + pp.Opt(_zone_text)("zone_after"))
)

DT_EXAMPLE = ("e.g. '2026-12-12 22:00 Europe/Berlin', '12 Dec 2026 10pm CET' or "
              "'2026年12月12日 22時 JST'")


@dataclass(frozen=True)
class _Moment:
    """A date-time as written: its zone text, if any, is read when the moment is placed."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    zone: str | None

    def naive(self) -> datetime:
        return datetime(self.year, self.month, self.day, self.hour, self.minute)

    def text(self) -> str:
        label = zone(self.zone)[1] if self.zone else ""
        when = (f"{self.year:04d}-{self.month:02d}-{self.day:02d} "
                f"{self.hour:02d}:{self.minute:02d}")
        return f"{when} {label}" if label else when


def _year(day: _Day, now: datetime | None, raw: str) -> int:
    if day.year is not None:
        return day.year
    if now is None:
        raise Invalid(f"Add the year to {_show(raw)}, {DT_EXAMPLE}.")
    assert day.month is not None
    try:
        upcoming = date(now.year, day.month, day.day)
    except ValueError:
        return now.year + 1  # 29 February: a later year has it, or datetime() says no
    return now.year if upcoming >= now.date() else now.year + 1


def _moment(raw: str, day: _Day, clock: _Clock, zone_text: str | None,
            now: datetime | None) -> _Moment:
    hour, minute = _hour(clock, clock, is_start=True), clock.minute  # 99 for "13pm": refused
    year = _year(day, now, raw)
    assert day.month is not None
    return _Moment(year, day.month, day.day, hour, minute, zone_text)


def _aware(moment: _Moment, raw: str, default: tzinfo = UTC) -> datetime:
    """The zone-aware datetime of a moment; Invalid for an unknown zone, a day or time that
    does not exist, or a wall time skipped by a daylight-saving jump."""
    try:
        tz = zone(moment.zone)[0] if moment.zone else default
    except ValueError as exc:
        raise Invalid(f"{exc}. Use {ZONE_HELP}, {DT_EXAMPLE}.") from None
    try:
        value = moment.naive().replace(tzinfo=tz)
    except ValueError as exc:
        raise Invalid(f"{_show(raw)} is not a real date and time ({exc}). "
                      f"Use YYYY-MM-DD HH:MM, {DT_EXAMPLE}.") from None
    # A wall time skipped by a daylight-saving jump does not survive a round trip.
    if value.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value.replace(tzinfo=None):
        raise Invalid(f"{_show(raw)} does not exist in that time zone (the clocks change then). "
                      "Pick a time an hour later.")
    return value


def _one(results: pp.ParseResults, name: str) -> Any:
    """The one token named `name` (pyparsing names a sequence's tokens as a list)."""
    if name not in results:
        return None
    value = results[name]
    if isinstance(value, pp.ParseResults):
        return value[0] if len(value) else None
    return value


def _raw(text: str) -> str:
    return " ".join(normal(text).split())


def _not_understood(raw: str, text: str) -> Invalid:
    return Invalid(f"{_show(raw or text)} is not a date and time I understand. "
                   f"Use YYYY-MM-DD HH:MM and a time zone, {DT_EXAMPLE}.")


def _moment_of(text: str, now: datetime | None = None) -> _Moment:
    """The date-time written in `text`, not yet placed in its zone."""
    raw = _raw(text)
    try:
        parsed = (_datetime + pp.Opt(pp.Suppress(pp.Regex(r"[.。]")))).parse_string(
            raw, parse_all=True)
    except pp.ParseException:
        raise _not_understood(raw, text) from None
    group = parsed[0]
    return _checked(raw, _moment(raw, _one(group, "day"), _one(group, "clock"),
                                 _one(parsed, "zone"), now))


def _checked(raw: str, moment: _Moment) -> _Moment:
    """The moment, if its day and time exist (whatever the zone)."""
    try:
        moment.naive()
    except ValueError as exc:
        raise Invalid(f"{_show(raw)} is not a real date and time ({exc}). "
                      f"Use YYYY-MM-DD HH:MM, {DT_EXAMPLE}.") from None
    return moment


def parse_datetime(text: str, now: datetime | None = None) -> datetime:
    """A zone-aware datetime; no zone means UTC. A date without its year needs `now` (the
    next such day from it)."""
    return _aware(_moment_of(text, now), _raw(text))


def canonical_datetime(text: str, now: datetime | None = None) -> str:
    """"YYYY-MM-DD HH:MM Zone" (no zone when none was written), which parse_datetime reads."""
    moment = _moment_of(text, now)
    _aware(moment, _raw(text))
    return moment.text()


# ---------------------------------------------------------------------------- change windows

def _read_window(parsed: pp.ParseResults, raw: str,
                 now: datetime | None) -> tuple[_Moment, _Moment]:
    """The two moments of a parsed window; an end without a date is on the start's day, or
    the next day when it is not after the start ("22:00-02:00") or says so ("翌2:00")."""
    if "c1" in parsed:  # "from 22:00 to 02:00 CET on 12 Dec 2026"
        zone_text = _one(parsed, "zone") or _one(parsed, "zone_after")
        start = _moment(raw, _one(parsed, "day2"), _one(parsed, "c1"), zone_text, now)
        end_clock, end_day, next_day, end_zone = (_one(parsed, "c2"), None,
                                                  _one(parsed, "next"), zone_text)
    else:
        group = parsed["start"]
        start = _moment(raw, _one(group[0], "day"), _one(group[0], "clock"),
                        _one(group, "zone"), now)
        end_group = parsed["end"]
        inner = end_group[0]
        end_clock, end_day = _one(inner, "clock"), _one(inner, "day")
        next_day = _one(inner, "next") or _one(inner, "next_after")
        end_zone = _one(end_group, "zone") or _one(parsed, "zone_tail")
        if end_zone is None:
            end_zone = start.zone
        elif start.zone is None:
            start = _Moment(start.year, start.month, start.day, start.hour, start.minute,
                            end_zone)  # "… 22:00 to … 02:00 UTC": one zone for both
    _checked(raw, start)
    start_clock = _Clock(start.hour, start.minute)
    hour, minute = _hour(end_clock, start_clock, is_start=False), end_clock.minute
    at_midnight = (hour, minute) == (24, 0)  # "22:00〜24:00": midnight ending the day
    hour = 0 if at_midnight else hour
    if end_day is None:
        day = start.naive().date()
        if next_day or (hour, minute) <= (start.hour, start.minute):
            day += timedelta(days=1)
    else:
        month = end_day.month or start.month
        year = end_day.year or start.year
        try:
            day = date(year, month, end_day.day)
            if end_day.year is None and day < start.naive().date():
                day = day.replace(year=day.year + 1) if end_day.month else (
                    date(year + (month == 12), month % 12 + 1, end_day.day))
        except ValueError as exc:
            raise Invalid(f"{_show(raw)} is not a real date and time ({exc}). "
                          f"Use YYYY-MM-DD HH:MM, {DT_EXAMPLE}.") from None
        day += timedelta(days=at_midnight)
    end = _checked(raw, _Moment(day.year, day.month, day.day, hour, minute, end_zone))
    return start, end


_whole_window = _window_dt + pp.Opt(pp.Suppress(pp.Regex(r"[.。]")))


def _window_of(text: str, now: datetime | None = None) -> tuple[_Moment, _Moment] | None:
    """The start and end written in `text` as one range, or None when it is not a range."""
    raw = _raw(text)
    try:
        parsed = _whole_window.parse_string(raw, parse_all=True)
    except pp.ParseException:
        return None
    return _read_window(parsed, raw, now)


def _placed(start: _Moment, end: _Moment, raw: str) -> tuple[datetime, datetime]:
    begin = _aware(start, raw)
    finish = _aware(end, raw, default=begin.tzinfo or UTC)
    if finish <= begin:
        raise Invalid(_("The end ({end}) must be after the start ({start}). Enter the end "
                        "again.", end=Moment(finish), start=Moment(begin)))
    return begin, finish


def parse_window(text: str, now: datetime) -> tuple[datetime, datetime] | None:
    """A change window typed as one answer ("2026-12-12 22:00 to 2026-12-13 02:00 UTC",
    "2026-12-12 22:00-02:00 UTC", "2026年12月12日 22:00〜翌2:00 JST"), or None when `text`
    is not a range; Invalid when it is one that cannot be (an end before the start)."""
    moments = _window_of(text, now)
    return None if moments is None else _placed(*moments, _raw(text))


def _future(start: datetime, now: datetime) -> None:
    if start < now:
        raise Invalid(_("{start} has already passed. Enter a start in the future, {example}.",
                        start=Moment(start), example=DT_EXAMPLE))


RANGE_WORD = " to "


def start_answer(text: str, now: datetime) -> str:
    """What the change-start question stores: the start ("2026-12-12 22:00 Europe/Berlin"),
    or the whole window when one was typed ("… 22:00 CET to 2026-12-13 02:00 CET"), in the
    canonical form that needs no `now` to read again. The start must not have passed."""
    moments = _window_of(text, now)
    if moments is not None:
        begin, _ = _placed(*moments, _raw(text))
        _future(begin, now)
        return f"{moments[0].text()}{RANGE_WORD}{moments[1].text()}"
    moment = _moment_of(text, now)
    _future(_aware(moment, _raw(text)), now)
    return moment.text()


def change_start(text: str, now: datetime) -> datetime:
    """A planned start (alone or the start of a typed window) that has not passed yet."""
    window = parse_window(text, now)
    start = window[0] if window else parse_datetime(text, now)
    _future(start, now)
    return start


def _start_moment(text: str) -> _Moment:
    """The start of a change-start answer: a date-time, or the start of a window."""
    moments = _window_of(text)
    return moments[0] if moments else _moment_of(text)


def end_of(start_text: str) -> str | None:
    """The end a change-start answer carried ("… to …"), canonical; None when it had none."""
    moments = _window_of(start_text) if start_text else None
    return moments[1].text() if moments else None


def end_answer(start_text: str, text: str, now: datetime) -> str:
    """What the change-end question stores: the end, canonical. A time alone ("02:00",
    "翌2時") is on the start's day, or the next day when it is not after the start."""
    try:
        return canonical_datetime(text, now)
    except Invalid as exc:
        try:
            moments = _window_of(f"{_start_moment(start_text).text()} to {_raw(text)}", now)
        except Invalid:
            raise exc from None
        if moments is None:
            raise exc from None
        return moments[1].text()


def start_of(start_text: str) -> datetime:
    """The start of a change-start answer, placed in its zone."""
    return _aware(_start_moment(start_text), _raw(start_text))


def change_window(start: str, end: str) -> tuple[str, str]:
    """Planned change start and end as ISO 8601 with offset; the end must follow the start.

    An end typed without a zone is read in the start's zone: people give a zone once.
    """
    first = _start_moment(start)
    last = _moment_of(end)
    if last.zone is None and first.zone is not None:
        last = _Moment(last.year, last.month, last.day, last.hour, last.minute, first.zone)
    begin, finish = _placed(first, last, _raw(f"{start} {end}"))
    return begin.isoformat(), finish.isoformat()


# ---------------------------------------------------------------------------- in free text

# A line worth reading has two times with a range between them ("22:00 to 02:00",
# "22時から翌日2時"); a window starts at a number, a month or day name, "from", "between" or
# "on". Cheap checks first: the grammar is tried only there (a pasted log stays fast).
_CLOCKISH = re.compile(r"\d\s*(?::\d\d|[ap]\.?\s?m(?![A-Za-z])|時)|正午|noon|midnight",
                       re.IGNORECASE)
_BETWEEN = re.compile(r"[-~〜]|から|(?<![A-Za-z])(?:to|until|till|til|thru|through|and)"
                      r"(?![A-Za-z])", re.IGNORECASE)
_STARTS = re.compile(r"(?<![0-9A-Za-z./-])(?<!\d:)(?=\d)|(?=令和)|(?<![A-Za-z])(?=(?:from|between|"
                     r"on|"
                     r"mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
                     r"[a-z]*\.?(?![a-z]))", re.IGNORECASE)


def _has_range(line: str) -> bool:
    clocks = list(_CLOCKISH.finditer(line))
    return any(len(gap := line[a.end():b.start()]) <= 60 and _BETWEEN.search(gap)
               for a, b in itertools.pairwise(clocks))


# At most this many places are tried in one message (about a millisecond each): a pasted log
# full of time ranges costs tens of milliseconds, not seconds.
MAX_TRIES = 30


def _windows_in(text: str) -> Iterator[tuple[str, pp.ParseResults]]:
    tries = 0
    for line in text.splitlines():
        line = " ".join(line.split())
        if not _has_range(line):
            continue
        for start in _STARTS.finditer(line):
            tries += 1
            if tries > MAX_TRIES:
                return
            try:
                yield line, _window_dt.parse_string(line[start.start():])
            except pp.ParseException:
                continue


def find_window(text: str, now: datetime,
                default_zone: str | None = None) -> tuple[str, str] | None:
    """The first change window written inside free text ("we plan to upgrade DSM on
    2026-12-12 from 22:00 to 02:00 CET", "12月12日(土) 22:00〜翌2:00 に…"), as two strings
    parse_datetime reads (zone kept when one was written; `default_zone`, else none, when
    none was), or None. A date without its year is the next such day from `now`; a window
    that has already started is passed over (a change made, not one planned)."""
    for line, parsed in _windows_in(normal(text)):
        try:
            start, end = _read_window(parsed, line, now)
            if default_zone and start.zone is None and end.zone is None:
                start, end = (replace(m, zone=default_zone) for m in (start, end))
            start_text, end_text = start.text(), end.text()
            begin, _ = _placed(start, end, line)
        except (Invalid, ValueError):
            continue
        if begin >= now:  # one that has passed was a change made, not one planned
            return start_text, end_text
    return None
