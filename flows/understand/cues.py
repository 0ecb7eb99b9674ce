"""Phrases that decide more than their words: bonuses (and a few penalties) to a category's
logit, added to what the example sentences say.

BM25 counts words, so "legit invoices quarantined as spam" looks like Spam and "several PCs are
sending spam" looks like Spam too; a person reads the first as a spam false positive and the
second as an infection. Each cue here is a pattern found in such messages, with the category it
pushes and how far (in the matcher's logit units: its best category gets 6).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flows.normalize import normal

PI = "Product Issues"
ACT = "Activation and Registration Issues"
SAMPLE = "Collected Threat Sample Analysis"
INFECTED = "Infected or Positive Infected"
FILE_FP = "File False Positive"
SPAM = "Spam"
SPAM_FP = "Spam False Positive"
URL_RECLASS = "URL Reclassification"
CHANGE = "Change Control Issue"

_F = re.IGNORECASE | re.DOTALL


def _re(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern, _F)
    return lambda text: compiled.search(text) is not None


_SPAMMY = r"(?:spam|junk|quarantin\w*|phish\w*|迷惑メール|スパム|隔離)"
_DETECTION = (r"\b(?:troj|tspy|bkdr|worm|pua|hktl|ransom|tros|adw|spyw|heur|trojan|backdoor|"
              r"coinminer|possible|pe|mal|hack|rootkit|grayware)[_.!/:a-z0-9-]*[_.!/:][a-z0-9]")
_OWN = r"(?:our own|in-house|in house|internal|we (?:wrote|built|developed)|自社|社内|弊社)"
_DATE = (r"(?:\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[/.]\d{1,2}\b|\b\d{1,2}(?:st|nd|rd|th)?\s"
         r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|\b(?:jan|feb|mar|apr|may|jun|jul|"
         r"aug|sep|oct|nov|dec)[a-z]*\.?\s\d{1,2}\b|\b(?:mon|tues?|wed|thu|thurs|fri|sat|sun)"
         r"(?:day)?\b|\d{1,2}月\d{1,2}日|来週|今週末|明日|tonight|tomorrow|this weekend|next week)")
_TIME_RANGE = (r"(?:午前|午後|深夜|翌)?\d{1,2}(?::\d{2})?\s*(?:am|pm|時半?)?\s*"
               r"(?:-|to|until|till|~|〜|から)\s*(?:午前|午後|深夜|翌日?|next day\s*)?"
               r"\d{1,2}(?::\d{2})?\s*(?:am|pm|時)?")

# (pattern on normal text, category, logit bonus)
CUES: tuple[tuple[Callable[[str], bool], str, float], ...] = (
    # Legitimate mail caught as spam.
    (_re(r"\b(?:legit\w*|genuine|valid|normal|trusted|important|real business|business)\b"
         r"[^.?!\n]{0,40}" + _SPAMMY), SPAM_FP, 2.5),
    (_re(r"\b(?:not|isn't|wasn't|aren't|never|no)\s+(?:a\s+|an\s+)?(?:spam|junk|phishing)\b"),
     SPAM_FP, 2.5),
    (_re(_SPAMMY + r"[^.?!\n]{0,30}\b(?:by mistake|wrongly|incorrectly|false(?:ly)? positive|"
         r"in error|mistaken)"), SPAM_FP, 3.0),
    (_re(r"(?:wrongly|incorrectly|mistakenly|falsely)\s+(?:\w+\s+)?(?:as\s+)?" + _SPAMMY), SPAM_FP,
     3.0),
    (_re(r"(?:正規|正常な|通常の|普通の|取引先|顧客|お客様)[^。\n]{0,25}" + _SPAMMY), SPAM_FP, 3.0),
    (_re(r"(?:迷惑メール|スパム)(?:ではない|じゃない|ではありません)|誤って[^。\n]{0,15}"
         r"(?:迷惑|スパム|隔離)|(?:迷惑|スパム)[^。\n]{0,15}誤(?:検知|判定)|誤(?:検知|判定)[^。\n]{0,15}"
         r"(?:迷惑|スパム)"), SPAM_FP, 3.0),
    (_re(r"(?<!should be )(?<!please )(?<!not )(?:marks|marked|tags|tagged|flags|flagged|"
         r"classifies|classified|treats|treated)\s+(?:[\w'-]+\s+){0,8}as\s+(?:spam|junk|bulk)"),
     SPAM_FP, 2.0),
    # Spam that gets through: Spam, not a spam false positive.
    (lambda t: bool(re.search(_SPAMMY, t, _F)) and bool(re.search(
        r"\b(?:not|isn't|aren't|never)\s+(?:being\s+)?(?:caught|filtered|filtering|blocked|"
        r"detected|stopped)|gets? through|got through|slip(?:s|ped)? through|pass(?:es|ed)? the "
        r"filter|(?:land|arrive)s? in (?:the |their |our )?inbox|判定されず|検出されず|すり抜け|"
        r"ブロックされ(?:ず|ない|ません)|(?:フォルダ|隔離)に入ら(?:ない|ず)|届いてしま|受信トレイに入",
        t, _F)), SPAM, 2.0),
    # Our own machines sending spam: an infection.
    (_re(r"\b(?:we are|we're|is|are|has been|have been|keeps?|started)\s+(?:sending|spewing|"
         r"relaying|spreading)\s+(?:out\s+)?(?:spam|junk|phishing)|outbound[^.?!\n]{0,40}"
         r"(?:spam|junk|phishing)|踏み台"), INFECTED, 3.0),
    (_re(r"\b(?:pcs?|machines?|hosts?|servers?|clients?|computers?|laptops?|endpoints?|"
         r"users?|accounts?)\b[^.?!\n]{0,40}\b(?:send|sending|sends|sent|spewing|spreading)\b"
         r"[^.?!\n]{0,20}" + _SPAMMY), INFECTED, 3.0),
    (_re(r"(?:pc|端末|サーバ|パソコン|クライアント|社員)[^。\n]{0,20}(?:迷惑メール|スパム)"
         r"[^。\n]{0,10}(?:送信|送って|発信|送られて|ばらま)"), INFECTED, 3.0),
    # A detection name pasted, and it is our own tool: a file false positive.
    (lambda t: bool(re.search(_DETECTION, t, _F)) and bool(re.search(_OWN, t, _F)), FILE_FP, 3.0),
    (_re(_OWN + r"[^.?!\n。]{0,40}(?:tool|app|application|software|program|script|exe|dll|"
         r"binary|ツール|ソフト|アプリ|プログラム|システム)"), FILE_FP, 1.5),
    # A sample zipped with the usual password: send for analysis.
    (_re(r"(?:password|pw|pwd|pass|パスワード|パス)\s*(?:is|:|=|は)?\s*[\"'「]?"
         r"(?:infected|novirus|virus)\b"), SAMPLE, 1.5),
    # A detection name pasted and the file said to be clean: a file false positive.
    (lambda t: bool(re.search(_DETECTION, t, _F)) and bool(re.search(
        r"\b(?:(?:is|are|it's|be|was|were|looks?)\s+(?:\w+\s+)?clean|clean (?:file|tool|program|"
        r"app)|legit\w*|harmless|false positive|genuine|signed|plain|our own|vendor's|in-house)"
        r"\b|正規|安全|問題(?:の)?ない|誤検知", t, _F)), FILE_FP, 2.0),
    # A phishing or malicious site rated safe, or a site rated wrongly: its rating is asked.
    (_re(r"(?:rated|rating|shows?|shown|marked|classified|categori[sz]ed)\s+(?:as\s+)?"
         r"[\"']?(?:safe|untested|dangerous|malicious|suspicious)"), URL_RECLASS, 1.5),
    # A change window: a date and a time range, or the words.
    (lambda t: bool(re.search(_DATE, t, _F)) and bool(re.search(_TIME_RANGE, t, _F)), CHANGE, 2.0),
    (_re(r"change window|maintenance window|change request|\bcr[- ]?\d+|planned (?:change|"
         r"maintenance|work)|変更作業|作業予定|メンテナンス(?:作業|時間|予定)|作業時間|作業日"),
     CHANGE, 2.0),
    # A URL that is a console or login page is not about a site's category.
    (_re(r"(?:https?://\S+:\d{2,5}|log ?in|sign ?in|console|ログイン|コンソール|管理画面)"),
     URL_RECLASS, -2.0),
    # Certificates expire too; that is not a licence.
    (_re(r"\b(?:ssl|tls|certificate|cert)\b|証明書"), ACT, -1.5),
)


def cue_bonus(text: str, product: str | None = None) -> dict[str, float]:
    """Each category's total cue bonus for `text` (categories without a cue are absent)."""
    low = normal(text).casefold()
    out: dict[str, float] = {}
    for matches, category, bonus in CUES:
        if matches(low):
            out[category] = out.get(category, 0.0) + bonus
    return out
