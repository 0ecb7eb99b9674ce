"""Which version of a product a message names: "DS 20 LTS", "Apex One 2019", "ＤＳ２０",
"IMSVA 9.1", "agent version 20.0.0-8438", "OSCE XG SP1", "ScanMail 14".

A version with words in it ("20 LTS", "2019 SP1", "XG") counts wherever it stands as a whole
word; a bare number ("2019", "12", or the 20 of "20 LTS") only right after the product's name,
one of its aliases or initials ("DS20"), or a version word ("version 20.0", "Ver.12",
"バージョン 20"); a dotted number ("14.0", "20.0.1", not an IPv4 address) anywhere in a text
that names no other product; none when it counts things ("DSA 20 servers"). Only ever offered first
in the profile form (flows/profile.py), never chosen.
"""

from __future__ import annotations

import functools
import re

from flows.catalog import Catalog, Product
from flows.normalize import normal
from flows.understand.products import mentions, name_pattern

_NUMBER = r"(\d+(?:\.\d+)*)"
# A number that counts things is no version ("Apex One 2019 on 40 PCs" keeps 2019).
_COUNTED = re.compile(r"[\s\-]*(?:agents?|servers?|hosts?|pcs?|endpoints?|machines?|clients?|"
                      r"users?|computers?|devices?|nodes?|seats?|licen[cs]es?|mails?|"
                      r"台|名|件|個|本|人)(?![a-z])")
_VERSION_WORD = re.compile(rf"(?<![a-z])(?:version|ver\.?|v\.?|build)\s*{_NUMBER}|"
                           rf"バージョン\s*{_NUMBER}")
# A dotted number standing alone ("in 14.0?", "upgrade to 20.0.1"); not four parts (an IPv4
# address) and not inside an address or a longer dotted run.
_DOTTED = re.compile(r"(?<![\w.])(\d+\.\d+(?:\.\d+)?)(?![\w]|\.\d)")
_AFTER_NAME = re.compile(rf"[\s\-_]*(?:(?:version|ver\.?|v\.?)\s*)?{_NUMBER}(?![\d.]*\d)")


def _parts(number: str) -> tuple[int, ...]:
    return tuple(int(p) for p in number.split(".") if p)


@functools.cache
def _initials(product: Product) -> tuple[str, ...]:
    """"ds" for Deep Security: the first letters of a name of two or more words."""
    words = re.findall(r"[a-z]+", product.name.casefold())
    return ("".join(w[0] for w in words),) if len(words) >= 2 else ()


@functools.cache
def _prefixes(product: Product) -> re.Pattern[str]:
    """The product's names, aliases and initials, as a number after them is read."""
    names = [name_pattern(n) for n in (product.name, *product.aliases)]
    names += [rf"(?<![0-9a-z_]){re.escape(i)}" for i in _initials(product)]
    return re.compile("|".join(f"(?:{n})" for n in names))


def _worded(version: str) -> re.Pattern[str] | None:
    """A version with letters in it ("20 LTS", "XG SP1"), spaces optional; None for a number."""
    form = version.casefold()
    if not re.search(r"[a-z]", form):
        return None
    body = r"[\s\-_]*".join(re.escape(piece) for piece in form.split())
    return re.compile(rf"(?<![0-9a-z.]){body}(?![0-9a-z])")


def _by_number(product: Product, typed: str) -> str | None:
    """The product's version a typed number means: "20" and "20.0.0" are 20 LTS, "12" is 12.0;
    a plain version before one with words ("2019" before "2019 SP1")."""
    parts = _parts(typed)
    fits = []
    for version in product.versions:
        m = re.match(r"\d+(?:\.\d+)*", version)
        if m is None:
            continue
        want = _parts(m.group(0))
        if (parts + (0,) * len(want))[:len(want)] == want:  # build numbers after it: kept
            fits.append(version)
    fits.sort(key=len)  # "2019" before "2019 SP1"
    return fits[0] if fits else None


def version_named(text: str, product_name: str, catalog: Catalog) -> str | None:
    """The version of `product_name` that `text` names, or None."""
    try:
        product = catalog.product(product_name)
    except KeyError:
        return None
    low = normal(text).casefold()
    named = _named_nearby(low, product, catalog)
    if named:
        for version in sorted(product.versions, key=len, reverse=True):
            worded = _worded(version)
            if worded is not None and worded.search(low):
                return version
    numbers = [*(_AFTER_NAME.match(low, m.end()) for m in _prefixes(product).finditer(low)),
               *_VERSION_WORD.finditer(low), *(_DOTTED.finditer(low) if named else ())]
    for m in numbers:
        if m is None or _COUNTED.match(low, m.end()):
            continue
        meant = _by_number(product, next(g for g in m.groups() if g))
        if meant:
            return meant
    return None


def _named_nearby(low: str, product: Product, catalog: Catalog) -> bool:
    """A version with words counts when the text names the product at all (or none: the
    form asks about this product anyway)."""
    if _prefixes(product).search(low):  # named by a name, alias or initials: no fuzzy search
        return True
    named = {m.product for m in mentions(low, catalog)}
    return not named or product.name in named

