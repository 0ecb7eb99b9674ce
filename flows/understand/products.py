"""Which products a message names, by the names customers use: the catalog's names and
aliases ("OSCE", "DSM", "ウイルスバスター Corp.", full-width "ＤＳＭ"), and long names typed
with a slip ("Deep Secuirty").

A Latin name or alias counts only as a whole word ("TPS" is never found inside "https", "DSA"
not inside "dsa_key"); spaces, hyphens and underscores inside a name are optional ("Worry
Free", "WorryFree", "ds_agent"). Where one mention lies inside a longer one ("Deep Security"
in "Deep Security Virtual Appliance"), the longer one is meant.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from flows.catalog import Catalog, Product
from flows.normalize import normal

# A long name typed with a slip still counts from this partial-ratio score (one swapped or
# missing letter in "Deep Security" scores 92); shorter names must be typed right.
FUZZY_FROM = 90
FUZZY_MIN_LENGTH = 10
_SEPARATORS = re.compile(r"[\s_\-]+")
# Addresses are not mentions: "tps" in https://tps.example.com, "dsm" in dsm.corp.example
# (matched as ASCII runs: Japanese text runs on without spaces).
_ADDRESSES = re.compile(r"[a-z][a-z0-9+.\-]*://[!-~]+|[!-~]+@[!-~]+"
                        r"|[0-9a-z\-]+(?:\.[0-9a-z\-]+){2,}[!-~]*")


@dataclass(frozen=True)
class Mention:
    product: str
    start: int
    end: int


def name_pattern(name: str) -> str:
    """A regular expression for a product name or alias as `mentions` reads it (after
    `normal` and casefold)."""
    form = normal(name).casefold().strip()
    body = r"[\s_\-]*".join(re.escape(piece) for piece in _SEPARATORS.split(form) if piece)
    head = r"(?<![0-9a-z_])" if form[:1].isascii() and form[:1].isalnum() else ""
    tail = r"(?![0-9a-z_])" if form[-1:].isascii() and form[-1:].isalnum() else ""
    return head + body + tail


@functools.cache
def _matchers(products: tuple[Product, ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(name_pattern(word)), p.name)
                 for p in products for word in (p.name, *p.aliases))


@functools.cache
def _long_names(products: tuple[Product, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((form, p.name) for p in products for word in (p.name, *p.aliases)
                 if (form := normal(word).casefold()).isascii() and len(form) >= FUZZY_MIN_LENGTH)


def mentions(text: str, catalog: Catalog) -> list[Mention]:
    """Every product mention in `text`, in order; a mention inside a longer one is dropped."""
    low = _ADDRESSES.sub(lambda m: " " * len(m.group(0)), normal(text).casefold())
    found = [Mention(product, m.start(), m.end())
             for pattern, product in _matchers(catalog.products)
             for m in pattern.finditer(low)]
    if not found:
        found = _typed_with_a_slip(low, catalog)
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[Mention] = []
    for m in found:
        if kept and m.start < kept[-1].end:
            continue  # inside (or overlapping) the longer one already kept
        kept.append(m)
    return kept


def _typed_with_a_slip(low: str, catalog: Catalog) -> list[Mention]:
    out = []
    for form, product in _long_names(catalog.products):
        hit = fuzz.partial_ratio_alignment(form, low, score_cutoff=FUZZY_FROM)
        if hit is None:
            continue
        start, end = hit.dest_start, hit.dest_end
        at_word = (start == 0 or not low[start - 1].isalnum()) and (
            end == len(low) or not low[end].isalnum())
        if at_word:
            out.append(Mention(product, start, end))
    return out


def products_named(text: str, catalog: Catalog) -> list[str]:
    """The products `text` names, the most often named first (then the first named)."""
    counts: dict[str, int] = {}
    for m in mentions(text, catalog):
        counts[m.product] = counts.get(m.product, 0) + 1
    # dicts keep first-seen order, and sorted() is stable: ties go to the first named
    return sorted(counts, key=lambda p: -counts[p])
