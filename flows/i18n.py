"""Messages as ids, rendered late (issue 27): what casebot says, in any language.

`_("Which product? {name}", name=...)` returns a `Msg`: a `str` whose value is the English
rendering (so everything that only logs, compares or stores it keeps working) and which
remembers its msgid and parameters, so the chat layer can render it in the contact's
language just before an adapter gets it (bot/i18n.py, with Babel's gettext catalogs).
Parameters may be messages themselves; they are rendered in the same language, and so are
dates and times (flows/when.py: each language's own formats, applied by its translator). Plain
strings built by concatenation or f-strings lose the marker: that is what the pseudo-locale
test (tests/e2e/test_pseudo_locale.py) finds. This module is pure: no catalog is read here.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from flows.when import Day, Moment, Weekly, When


class Translator(Protocol):
    """One language: its catalog (gettext's two calls, msgid in, translated template out)
    and its formats for dates and times (a `When` in, the text a reader of it expects)."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def format_when(self, value: When) -> str: ...


class Msg(str):
    """A message id with its parameters; its `str` value is the English rendering.

    `plural`/`n`: an `ngettext` message (the form is chosen by `n` in each language's
    CLDR plural rule). `sep`/`parts`: a join of messages (no text of its own to translate)."""

    msgid: str
    plural: str | None
    n: int | None
    params: Mapping[str, Any]
    parts: tuple[Any, ...] | None

    def __new__(cls, msgid: str, params: Mapping[str, Any] | None = None, *,
                plural: str | None = None, n: int | None = None,
                parts: Iterable[Any] | None = None) -> Msg:
        params = dict(params or {})
        kept = tuple(parts) if parts is not None else None
        if kept is not None:
            english = msgid.join(str.__str__(p) if isinstance(p, str) else str(p) for p in kept)
        else:
            template = plural if plural is not None and n != 1 else msgid
            english = fill(template, params)
        self = super().__new__(cls, english)
        self.msgid, self.plural, self.n, self.params, self.parts = msgid, plural, n, params, kept
        return self

    def __str__(self) -> str:  # `str(msg)` keeps the marker (and so does `str(Invalid(msg))`)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.msgid, self.params, self.plural, self.n, self.parts))


def _rebuild(msgid: str, params: Mapping[str, Any], plural: str | None, n: int | None,
             parts: tuple[Any, ...] | None) -> Msg:
    return Msg(msgid, params, plural=plural, n=n, parts=parts)


def _(msgid: str, /, **params: Any) -> Msg:
    """Mark a message for translation (pybabel extracts the literal first argument)."""
    return Msg(msgid, params)


def ngettext(singular: str, plural: str, n: int, /, **params: Any) -> Msg:
    """A message with plural forms; `{n}` in it is the count."""
    return Msg(singular, {"n": n, **params}, plural=plural, n=n)


def N_(msgid: str, /) -> str:
    """Mark a constant for extraction only; it is wrapped with `_` where it is shown."""
    return msgid


def joined(sep: str, parts: Iterable[Any]) -> Msg:
    """Messages joined with `sep` ("\\n", ", "), each rendered in the contact's language."""
    return Msg(sep, parts=[p for p in parts])


SHOWN = "{when}"  # a date or time on its own: a template with nothing to translate


def shown(value: When) -> Msg:
    """A date, time or weekly range on its own (a review's value, a summary row), formatted
    in the reader's language when rendered (its `str`: the ISO-style English)."""
    return Msg(SHOWN, {"when": value})


def fill(template: str, params: Mapping[str, Any]) -> str:
    """`str.format` on named fields only (a missing one is left as written, never raised)."""
    if not params:
        return template
    try:
        return template.format_map(_Keep(params))
    except (ValueError, IndexError, AttributeError):
        return template


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def placeholders(template: str) -> set[str]:
    """The `{names}` a template fills: what a translation must keep (tests/unit/test_catalogs)."""
    try:
        return {field[1] for field in string.Formatter().parse(template) if field[1]}
    except ValueError:
        return {"<unparsable>"}


def render(text: Any, language: Translator | None) -> str:
    """`text` in the translator's language (None: English); a plain str stays as it is."""
    if not isinstance(text, Msg) or language is None:
        return str.__str__(text) if isinstance(text, str) else str(text)
    if text.parts is not None:
        return _join(text.msgid, [render(p, language) for p in text.parts])
    if text.plural is not None:
        template = language.ngettext(text.msgid, text.plural, text.n or 0)
    else:
        template = language.gettext(text.msgid)
    return fill(template, {k: _param(v, language) for k, v in text.params.items()})


def _param(value: Any, language: Translator) -> Any:
    if isinstance(value, Msg):
        return render(value, language)
    if isinstance(value, Moment | Day | Weekly):
        return language.format_when(value)
    return value


# what ends a sentence in Japanese (and Chinese) writing: no space follows it
FULL_STOPS = ("\u3002", "\uff01", "\uff1f")  # the ideographic full stop, ! and ? full-width


def _join(sep: str, parts: list[str]) -> str:
    """`sep.join(parts)`, except that a space separator is left out after a part that ends
    with a full-width stop (FULL_STOPS): a space between sentences is English writing, not Japanese
    ("追加しました。サポート…"). English parts never end so, so English is unchanged."""
    if not sep or sep.strip(" "):
        return sep.join(parts)
    out = parts[:1]
    for before, part in itertools.pairwise(parts):
        out.append(part if before.endswith(FULL_STOPS) else sep + part)
    return "".join(out)


def as_data(text: Any) -> Any:
    """A message as plain JSON data (what it IS: msgid, parameters, plural, parts), so a
    text kept in the database can be rendered later in its reader's language; a plain
    string, number or None stays as it is. `from_data` reads it back."""
    if not isinstance(text, Msg):
        return str.__str__(text) if isinstance(text, str) else text
    data: dict[str, Any] = {"msgid": text.msgid}
    if text.params:
        data["params"] = {k: as_data(v) for k, v in text.params.items()}
    if text.plural is not None:
        data["plural"], data["n"] = text.plural, text.n
    if text.parts is not None:
        data["parts"] = [as_data(p) for p in text.parts]
    return data


def from_data(data: Any) -> Any:
    """`as_data` read back: a `Msg` again (with its English value), anything else as is."""
    if not isinstance(data, dict) or not isinstance(data.get("msgid"), str):
        return data
    params = {k: from_data(v) for k, v in (data.get("params") or {}).items()}
    parts = data.get("parts")
    return Msg(data["msgid"], params, plural=data.get("plural"), n=data.get("n"),
               parts=[from_data(p) for p in parts] if parts is not None else None)
