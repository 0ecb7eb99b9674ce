"""A subject worth reading: the first thing a message says, not its greeting.

A pasted mail starts "Hi," or "お世話になっております。株式会社サンプルの山田です。"; a case
list full of "Hi," says nothing. Greeting, self-introduction and sign-off sentences are
skipped; what is left first becomes the subject (the description keeps everything).
"""

from __future__ import annotations

import re

from flows.normalize import normal

SUBJECT_LIMIT = 200

# A whole sentence (or line) that only greets, introduces the writer or signs off.
_COURTESY = re.compile(
    r"""^(?:
        (?:hi|hello|hey|dear|greetings|good\s+(?:morning|afternoon|evening|day)|hiya|howdy)
            (?:\s+[\w.\-']+){0,3}\s*[,!.:]?
      | to\s+whom\s+it\s+may\s+concern\s*[,:.]?
      | (?:thanks|thank\s+you|many\s+thanks|regards|best\s+regards|kind\s+regards
           |cheers|br|sincerely)(?:\s*[,!.]?(?:\s+[\w.\-']+){0,3})?
      | (?:team|all|support|support\s+team)\s*[,!]
      | (?:いつも|大変)?お世話になって(?:おり|い)ます.*
      | お疲れ様です.* | お疲れさまです.*
      | .{0,30}(?:ご担当者|ご担当|担当者|サポート|御中)(?:様|さま|各位)?[、,]?
      | .{0,40}(?:株式会社|有限会社|\(株\)|会社).{0,20}です
      | .{0,20}と申します
      | (?:以上|引き続き)?(?:何卒|どうぞ)?よろしくお願い(?:いた|致)?します.*
      | (?:ご確認|ご対応|ご教示)?(?:の程|のほど)?(?:何卒|どうぞ)?よろしくお願い.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# "Hi team, the console is down": a greeting that leads a line of its own content.
_LEADING_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear)(?:\s+(?:team|all|there|support|guys|folks|everyone))?\s*[,!:]\s+",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[。！？])")


def _sentences(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        out += [s.strip() for s in _SENTENCE_END.split(line) if s.strip()]
    return out


def is_courtesy(sentence: str) -> bool:
    """A greeting, self-introduction or sign-off, with nothing else in it."""
    return bool(_COURTESY.match(normal(sentence).strip().rstrip("。.!！")))


def subject_line(text: str) -> str:
    """The first sentence (or line) that is not a courtesy, at most 200 characters; the
    first line when the whole message is courtesy."""
    sentences = _sentences(text)
    first = next((s for s in sentences if not is_courtesy(s)),
                 sentences[0] if sentences else "")
    first = _LEADING_GREETING.sub("", first, count=1) or first
    if len(first) <= SUBJECT_LIMIT:
        return first
    cut = first[:SUBJECT_LIMIT - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
