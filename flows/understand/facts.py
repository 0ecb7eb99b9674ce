"""Facts a first message already gives, as the answers of the questions that would ask them.

"Please add a filter for CVE-2024-3400" should not be asked its CVE ids again. Each fact is
read out of the text, checked by the question's own validator, and kept under `FOUND` by step
name: the form fills it in when (and only if) that step is reached, shows it in the review,
and lets the person edit it. A fact the validator refuses is dropped: a wrong pre-fill costs
more than a question.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Any

from flows import times
from flows import validators as v
from flows.answers import MAX_URLS
from flows.errors import Invalid
from flows.normalize import is_japanese, normal
from flows.urls import find_urls, refang

_CVE = re.compile(r"(?<![0-9A-Za-z])CVE-\d{4}-\d{4,}(?![0-9])", re.IGNORECASE)
# "filter 12345", "filter #12345", "filter no. 12345", "filter ID 12345", "フィルタ12345",
# "フィルタ番号: 12345".
_FILTER = re.compile(
    r"(?:filters?|フィルタ|フィルター)\s*(?:番号|ID|no\.?|number|num|#)?\s*[:：]?\s*#?"
    r"(\d{1,6})(?!\d|\.\d)", re.IGNORECASE)
_OWN_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3"))
_IPV4 = re.compile(r"(?<![0-9.])(?:\d{1,3}(?:\.|\[\.\]|\(\.\))){3}\d{1,3}(?![0-9.])")


def found(text: str, now: datetime) -> dict[str, Any]:
    """The answers `text` gives, by step name (only those it gives). URLs are kept as
    canonical strings: the URL question rates them when a URL Reclassification reaches it.
    A change window is the change start's answer with its end ("… to …"); one written
    without a zone in Japanese is read in Japan's time (the review shows it, editable)."""
    folded = normal(text)
    out: dict[str, Any] = {}
    window = times.find_window(folded, now, "JST" if is_japanese(folded) else None)
    if window:
        out["change_start"] = times.RANGE_WORD.join(window)
    urls = [u.url for u in find_urls(folded, max_urls=MAX_URLS)]
    for step, value in (("urls", urls), ("tp_cves", _cves(folded)),
                        ("tp_filter", _filter(folded)), ("tp_repdv", _addresses(folded))):
        if value:
            out[step] = value
    return out


def _cves(text: str) -> list[str]:
    ids = _CVE.findall(text)
    return v.cve_ids(", ".join(ids)) if ids else []


def _filter(text: str) -> str | None:
    numbers = list(dict.fromkeys(_FILTER.findall(text)))
    if len(numbers) != 1:  # none, or several: which one to verify is the person's call
        return None
    try:
        return v.filter_number(numbers[0])
    except Invalid:
        return None


def _addresses(text: str) -> list[str]:
    """IPv4 addresses (defanged ones too) outside private, loopback, link-local and
    multicast ranges: those are the customer's own network, not a reputation entry."""
    out = []
    for token in _IPV4.findall(text):
        try:
            ip = ipaddress.IPv4Address(refang(token))
        except ValueError:
            continue
        if not any(ip in net for net in _OWN_NETWORKS) and str(ip) not in out:
            out.append(str(ip))
    return out
