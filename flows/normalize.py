"""Text as casebot reads it: one spelling for what people type many ways.

Customers type full-width letters and digits from a Japanese keyboard ("ＤＳＭ", "１２３"),
the full-width space, and dashes that are not hyphens ("AB－CD", "ABーCD12", "9–17"). Every
matcher and validator reads `normal(text)` so that "ＡＢ－ＣＤ１２" is the code "AB-CD12";
what is stored is what the person wrote.
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
