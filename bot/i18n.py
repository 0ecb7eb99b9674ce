"""The languages casebot speaks (issue 27): gettext catalogs read with Babel, which language a
person gets, and prompts rendered in it just before an adapter sees them.

Catalogs are `bot/locales/<lang>/LC_MESSAGES/casebot.po`, read at first use: the `.mo` that
`pybabel compile` made beside it (the Makefile does), or, when there is none or the `.po` is
newer, the `.po` compiled in memory with Babel's mofile writer (the plural rule is the
catalog's own CLDR one either way). So a clean clone runs without a compile step, and what a
translator edits is what runs. `en_XA` is a pseudo-locale generated from the msgids (every
message wrapped in ⟦…⟧, letters accented): a test drives whole conversations in it and finds
any text that bypassed the catalogs. Each language also formats the dates and times a
message carries (bot/dates.py, CLDR's formats for the locale); English has a translator too
(its catalog is the msgids), and `en_XA` formats as English does.
"""

from __future__ import annotations

import io
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.dates import Formats
from flows.i18n import Msg, Translator, render
from flows.model import Choice, Prompt, SummaryItem
from flows.when import When

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "casebot"
ENGLISH = "en"
PSEUDO = "en_XA"
# what a contact may choose (`/language`), with each one's own name for itself
LANGUAGES: dict[str, str] = {"en": "English", "ja": "日本語"}


def normal(code: str | None) -> str | None:
    """A platform's language tag as casebot's code: "ja-JP", "ja_JP", "JA" → "ja"; the
    pseudo-locale as is; None when casebot does not speak it."""
    if not code:
        return None
    tag = code.strip().replace("-", "_")
    if tag.casefold() == PSEUDO.casefold():
        return PSEUDO
    base = tag.split("_", 1)[0].casefold()
    return base if base in LANGUAGES else None


def choose(own: str | None, platform: str | None, account: str | None,
           default: str | None) -> str:
    """Which language a person gets, the one rule (issue 27): their own choice (`/language`,
    or an operator's), the platform's (Slack's user locale, Telegram's language_code), their
    account's default (`casebot accounts language`), the deployment's default
    (CASEBOT_DEFAULT_LANGUAGE), English. A code casebot does not speak is passed over."""
    return chosen(own, platform, account, default)[0]


def chosen(own: str | None, platform: str | None, account: str | None,
           default: str | None) -> tuple[str, str]:
    """`choose` and which layer decided: "own", "platform", "account" or "default" (the
    deployment's, or English when it says nothing), for the console's case page."""
    for source, code in (("own", own), ("platform", platform), ("account", account)):
        found = normal(code)
        if found is not None:
            return found, source
    return normal(default) or ENGLISH, "default"


class Language:
    """One language as `flows.i18n.render` uses it: its catalog and its locale's formats."""

    def __init__(self, catalog: NullTranslations, locale: str) -> None:
        self.catalog = catalog
        self.formats = Formats(locale, catalog.gettext)

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)

    def format_when(self, value: When) -> str:
        return self.formats.when(value)


class _Pseudo:
    """`en_XA`: each message ⟦wrapped⟧ and accented, its {placeholders} kept as they are;
    dates and times as in English (inside the wrapped template)."""

    formats = Formats(ENGLISH)

    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return pseudo(singular if n == 1 else plural)

    def format_when(self, value: When) -> str:
        return self.formats.when(value)


# letters with a dot above (ɨ and ʉ barred): no language's data uses them, so what is read
# back (`unpseudo`) loses no accent of a name or a host like bücher.example
_LETTERS, _MARKED = "AEIOUYaeiouycnCN", "ȦĖƗȮɄẎȧėɨȯʉẏċṅĊṄ"
_ACCENTED = str.maketrans(_LETTERS, _MARKED)


def pseudo(template: str) -> str:
    """⟦Ȧċċėṅtėd⟧, but not its {placeholders} nor its /commands (typed as they are)."""
    out, depth, command = [], 0, False
    for ch in template:
        depth += ch == "{"
        command = ch == "/" or (command and ch.isalpha())
        out.append(ch if depth or command else ch.translate(_ACCENTED))
        depth -= ch == "}" and depth > 0
    return "⟦" + "".join(out) + "⟧"


_PLAIN = dict(zip(_MARKED, _LETTERS, strict=True))


def unpseudo(text: str) -> str:
    """The English of a text shown in `en_XA`: the ⟦ ⟧ dropped and the accents undone inside
    them (text outside them stays as it is). The e2e suite reads what casebot said through it,
    so its English assertions hold in the pseudo-locale (tests/e2e/pseudo.py)."""
    if "⟦" not in text:
        return text
    out, depth = [], 0
    for ch in text:
        if ch == "⟦":
            depth += 1
        elif ch == "⟧" and depth:
            depth -= 1
        else:
            out.append(_PLAIN.get(ch, ch) if depth else ch)
    return "".join(out)


@cache
def translator(language: str) -> Translator:
    """`language`'s catalog and formats (English: the msgids themselves)."""
    if language == PSEUDO:
        return _Pseudo()
    if language == ENGLISH:
        return Language(NullTranslations(), ENGLISH)
    return Language(load_catalog(LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"), language)


def load_catalog(po: Path) -> Translations:
    """The compiled `.mo` beside `po` when it is at least as new (`make` compiles it:
    `make messages`, and before `make chat` and `make test`), else `po` compiled in memory, so
    an edited catalog or an install without make still runs what the translator wrote."""
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return Translations(fh, domain=DOMAIN)
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=po.parent.parent.name, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)  # fuzzy entries are left out: they fall back to English
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def say(text: Any, language: str) -> str:
    """One message in `language`."""
    return render(text, translator(language))


def prompt_in(prompt: Prompt, language: str) -> Prompt:
    """Every customer-visible field of a prompt rendered in `language` (once: a prompt
    already rendered is returned as it is)."""
    if prompt.language is not None:
        return prompt
    t = translator(language)
    return replace(
        prompt, language=language, text=render(prompt.text, t),
        error=render(prompt.error, t) if prompt.error is not None else None,
        hint=render(prompt.hint, t),
        choices=tuple(Choice(c.id, render(c.label, t), render(c.hint, t),
                             render(c.group, t) if c.group is not None else None)
                      for c in prompt.choices),
        summary=tuple(SummaryItem(render(i.label, t), render(i.value, t), i.step)
                      for i in prompt.summary))


def prompts_in(prompts: list[Prompt], language: str) -> list[Prompt]:
    return [prompt_in(p, language) for p in prompts]


def is_msg(text: object) -> bool:
    return isinstance(text, Msg)
