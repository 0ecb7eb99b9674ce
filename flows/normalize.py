"""Text as casebot reads it: one spelling for what people type many ways.

Customers type full-width letters and digits from a Japanese keyboard ("ＤＳＭ", "１２３"),
the full-width space, and dashes that are not hyphens ("AB－CD", "ABーCD12", "9–17"). Every
matcher and validator reads `normal(text)` so that "ＡＢ－ＣＤ１２" is the code "AB-CD12";
what is stored is what the person wrote.

A typed value or list (an address, a code, the CVE ids) is read by `typed_value` and
`typed_list`, the one place that says what separates the items of a list and what may close a
value: the Japanese 、 and 。 as well as commas and line breaks, so "a@example.com、b@example.com"
is two addresses and "user@example.com。" one.
"""

from __future__ import annotations

import re
import unicodedata

# Hyphen-like characters (after NFKC): hyphen, non-breaking hyphen, figure dash, en and em
# dashes, horizontal bar, minus sign. All become "-".
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
# The katakana long-vowel mark (and its half-width form, which NFKC folds into it) is part
# of Japanese words ("サーバー"); between ASCII letters or digits it is a dash typed with
# the IME on ("ABーCD12").
_CODE_DASH = re.compile(r"(?<=[0-9A-Za-z])\u30fc+(?=[0-9A-Za-z])")
# The Japanese list separator and full stop (NFKC folds their half-width forms into them).
_LIST_MARKS = "、。"
# What may close a typed value, checked before NFKC folds the full-width comma and full stop
# into ASCII ("20 LTS。", "user@example.com．").
_CLOSING = "、。，．､｡"
_SPACE = r"\s"
_LINE_BREAKS = "\n\r\x85\u2028\u2029"
# Han, hiragana, katakana (with the long-vowel mark), half-width katakana.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def normal(text: str) -> str:
    """`text` in NFKC with hyphen-like dashes as "-" (idempotent: normal(normal(t)) ==
    normal(t))."""
    if not text:
        return text
    folded = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return _CODE_DASH.sub(lambda m: "-" * len(m.group(0)), folded)


def cjk_count(text: str) -> int:
    """How many Chinese or Japanese characters `text` has (a Japanese sentence has no spaces
    to count words by)."""
    return len(_CJK.findall(text))


def is_japanese(text: str) -> bool:
    """Whether `text` is mostly written in Japanese (or Chinese) script."""
    letters = sum(1 for ch in text if ch.isalpha())
    return bool(letters) and cjk_count(text) * 2 >= letters


def typed_value(text: str) -> str:
    """One typed value as validators read it: `normal`, trimmed, without the 。 or 、 (or
    full-width full stop or comma) that closes it ("user@example.com。" is the address)."""
    return normal(_unclosed(text)).strip()


def typed_number(text: str) -> int | None:
    """A whole number typed in decimal digits, full-width ones too ("３。"), or None; digit-like
    signs that are no digits ("³", "Ⅻ", which NFKC would turn into "3" and "XII") are none."""
    digits = _unclosed(text)
    return int(digits) if digits.isdecimal() else None


def case_number(text: str) -> str:
    """A case number as typed ("#10000042", in full-width digits too): its digits as stored."""
    return typed_value(text).lstrip("#").strip()


def _unclosed(text: str) -> str:
    trimmed = text.strip()
    while trimmed and trimmed[-1] in _CLOSING:
        trimmed = trimmed[:-1].rstrip()
    return trimmed


def typed_list(text: str, *, spaces: bool = True, commas: bool = True) -> list[str]:
    """The items of a typed list, each `normal`: split at line breaks and at 、 and 。; at
    spaces (the full-width space too) unless an item may hold one (an option's name); at
    commas and semicolons unless an item may hold one (a URL)."""
    marks = re.escape(_LINE_BREAKS + _LIST_MARKS + (",;" if commas else ""))
    pattern = f"[{marks}{_SPACE if spaces else ''}]+"
    return [item.strip() for item in re.split(pattern, normal(_unclosed(text))) if item.strip()]
