"""Words a matcher can count, from English and Japanese text read through `normal()`.

English: lower-case words, a few spellings folded ("licence", "analyse"), stop words out
(negations kept: "not spam" means the opposite of "spam"), Snowball stems, and each pair of
neighbouring stems as one more token ("fals_posit"), so a phrase weighs more than its words.
Japanese has no spaces: every pair of neighbouring characters in a run of Japanese script, plus
whole katakana words ("ライセンス") and kanji compounds ("有効期限"). A URL stays one token
("<url>") so "https://dsm.example.jp:4119" is not read as words about websites.
"""

from __future__ import annotations

import functools
import itertools
import re

import Stemmer

from flows.normalize import normal
from flows.understand.concepts import concepts

URL = "<url>"
# Each concept word counts twice: what a message is about (<malware>, <blocked>, <license>)
# outweighs its exact wording (leave-one-out over the examples: ja 87% -> 92% top-1).
CONCEPT_WEIGHT = 2
_URL = re.compile(
    r"(?:h[tx]{2}ps?|ftp)\[?:\]?//\S+|\bwww\.\S+"
    r"|\b[a-z0-9-]+(?:\[?\.\]?[a-z0-9-]+)*\[?\.\]?(?:com|net|org|jp|io|info|biz|ru|cn|xyz|top)\b\S*")
_WORD = re.compile(r"[a-z][a-z0-9]*(?:'[a-z]+)?|[0-9]+")
_JA_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]+")
_KATAKANA = re.compile(r"[\u30a0-\u30ff]{2,}")
_HIRAGANA = re.compile(r"[\u3040-\u309f]+")
# Greetings, sign-offs and politeness that every Japanese business mail carries.
_LETTER_PHRASES = re.compile(
    r"お世話になって(?:おり|い)ます|お世話になります|いつもお世話に|(?:どうぞ)?よろしく"
    r"お願い(?:いた|致)?します|お願い(?:いた|致)?します|お願いできますか|ご(?:確認|教示|対応|支援)"
    r"(?:の程|のほど)?|いただけ(?:ます|ません)でしょうか|いただけますか|株式会社|有限会社"
    r"|情報システム(?:部|課|室)?|システム管理者|担当者?|と申します|でございます")
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]{2,}")

# Spellings and short forms folded before stemming.
_FOLD = {
    "licence": "license", "licences": "licenses", "licenced": "licensed",
    "analyse": "analyze", "analysed": "analyzed", "analysing": "analyzing",
    "analysis": "analyze", "analyses": "analyze",
    "pw": "password", "pwd": "password", "passwd": "password",
    "pcs": "pc", "emails": "email", "mails": "mail",
    "categorised": "categorized", "categorise": "categorize", "categorisation": "categorization",
    "whitelist": "allowlist", "whitelisted": "allowlisted",
    "isn't": "not", "aren't": "not", "wasn't": "not", "don't": "not", "doesn't": "not",
    "didn't": "not", "can't": "cannot", "won't": "not", "couldn't": "cannot", "weren't": "not",
    "hasn't": "not", "haven't": "not",
}

_STOP_WORDS = """
a about above after again against all am an and any are as at be because been before being
below between both but by could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i i'd i'll i'm i've if in into is it
it's its itself just let's me more most my myself nor of off on once only or other ought our
ours ourselves out over same she should so some such than that that's the their theirs them
themselves then there there's these they this those through to too under until up very was we
we're we've were what when where which while who whom why will with would you your yours
yourself yourselves hi hello dear team please thanks thank regards kind best also us can get
got see seem seems one would like could any anyone someone hey pls plz ok
"""
# Words every kind of message has (time, urgency, asking for help): with a few dozen examples
# a category, "every day" or "keeps" would otherwise decide.
_FILLER = """
every day days daily today yesterday tomorrow morning evening night week weeks month months
year since still keep keeps kept keeping again new next back want wants need needs needed know
help urgent urgently issue issues problem problems question questions case support regard
good now time times way something anything thing things happen happened happening seem
already ever many much lot lots few several around ago last first second come comes coming
came go goes going went take make made look looks give tell said say says sir madam morning
afternoon all via per
"""
STOP = frozenset(_STOP_WORDS.split()) | frozenset(_FILLER.split())


@functools.cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def english(text: str) -> list[str]:
    """Stems and stem pairs of the English words in `text` (already normal and lower-case)."""
    words = [_FOLD.get(w, w) for w in _WORD.findall(text)]
    kept = [w for w in words if w not in STOP and len(w) > 1 and not w.isdigit()]
    stems: list[str] = _stemmer().stemWords(kept)
    pairs = [f"{a}_{b}" for a, b in itertools.pairwise(stems)]
    return stems + pairs


def japanese(text: str) -> list[str]:
    """Character pairs of each run of Japanese script (not pairs of hiragana alone: those are
    endings and particles, "ます", "ので"), katakana words and kanji compounds. The phrases of
    a business letter ("お世話になっております") are dropped first."""
    out: list[str] = []
    for run in _JA_RUN.findall(_LETTER_PHRASES.sub("。", text)):
        if len(run) == 1:
            out.append(run)
        out.extend(pair for i in range(len(run) - 1)
                   if not _HIRAGANA.fullmatch(pair := run[i:i + 2]))
        out.extend(_KATAKANA.findall(run))
        out.extend(k for k in _KANJI.findall(run) if len(k) > 2)
    return out


def tokens(text: str, drop: re.Pattern[str] | None = None) -> list[str]:
    """What the matcher counts in `text`: URLs as one token, then English and Japanese words
    and concepts; what `drop` matches outside the URLs is not counted (product names)."""
    low = normal(text).casefold().replace("\u2019", "'")
    urls = len(_URL.findall(low))
    rest = _URL.sub(" ", low)
    if drop is not None:
        rest = drop.sub(" ", rest)
    return [URL] * min(urls, 1) + english(rest) + japanese(rest) + concepts(rest) * CONCEPT_WEIGHT
