"""The URL questions of a URL Reclassification: the URLs, then per URL its new rating and
category, each URL's two questions states of their own (url1_rating, url1_category, …)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from flows.answers import (
    KEEP,
    MAX_URLS,
    URL_RECLASS,
    Read,
    category,
    is_url_reclassification,
)
from flows.context import Ctx
from flows.errors import Invalid
from flows.formstate import FOUND, Answers
from flows.i18n import Msg, _, joined, ngettext
from flows.model import Choice, Inbound, Prompt
from flows.normalize import normal, typed_list
from flows.steps import (
    DONE,
    DONE_WORDS,
    ChoiceStep,
    Cond,
    Stay,
    Step,
    said,
    translated_choices,
)
from flows.urls import defang, parse_url_list


class UrlsStep(Step):
    """Step 6: URLs are normalised, de-duplicated and rated the moment they are given.

    A list with a bad line keeps the good ones and asks for the bad one again; plain words
    around a URL ("please check https://…") are passed over.
    """

    kind = "multiline"

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        prompt = super().ask(a, ctx, pending)
        if pending:
            kept = ", ".join(defang(u) for u in pending)
            return replace(prompt, text=joined("\n", [
                _("Kept so far: {urls}.", urls=kept),
                _("Type the corrected URL (or more URLs), or done to go on with these.")]),
                           choices=(Choice(id=DONE, label=_("Done")),))
        if a.get(self.name):
            keep = ", ".join(u["display"] for u in a[self.name])
            return replace(prompt, data={"default": "\n".join(u["url"] for u in a[self.name])},
                           choices=(Choice(id="__default__",
                                           label=_("Keep: {urls}", urls=keep[:50])),))
        return prompt

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        kept = list(pending or [])
        if a.get(self.name) and not kept and _keeps_default(inbound):
            return a[self.name]
        if kept and _says_done(inbound):
            return self.rated(kept, ctx)
        kept, bad = _add_urls(inbound.text, kept)
        if len(kept) > MAX_URLS:
            raise Invalid(_("You entered {n} URLs; the limit is {max} per request. Send at "
                            "most {max}, one per line.", n=len(kept), max=MAX_URLS))
        if bad:
            if not kept:
                raise Invalid(joined("\n", [*bad, _("Fix it and send it again, one URL per "
                                                     "line.")]))
            return Stay(kept, error=joined("\n", [*bad, ngettext(
                "The other {n} URL is kept.", "The other {n} URLs are kept.", len(kept))]))
        return self.rated(kept, ctx)

    def fill(self, a: Answers, ctx: Ctx) -> Any:
        """The URLs the first message gave, rated now (the category asked for them)."""
        urls = (a.get(FOUND) or {}).get(self.name)
        return self.rated(urls, ctx) if urls else None

    def rated(self, urls: list[str], ctx: Ctx) -> list[dict[str, Any]]:
        parsed = [parse_url_list(u)[0] for u in urls]
        ratings = ctx.world.rate_urls([u.url for u in parsed])
        out = []
        for u, r in zip(parsed, ratings, strict=True):
            out.append({"url": u.url, "display": u.display, "host": u.host,
                        "host_unicode": u.host_unicode,
                        "punycode": u.host if u.host != u.host_unicode else None,
                        "credentials": u.has_credentials, "current_rating": r.rating,
                        "current_category": r.category, "current_group": r.group})
        return out

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        return joined("\n", [describe_url(u) for u in value])


def _keeps_default(inbound: Inbound) -> bool:
    """The "Keep: …" button, or its number or an empty line typed: the URLs stay as they were."""
    return ((inbound.kind == "choice" and inbound.choice == "__default__")
            or (inbound.kind == "text" and said(inbound.text) in ("", "1")))


def _says_done(inbound: Inbound) -> bool:
    """Done pressed or typed (or its number): go on with the URLs kept so far."""
    return (inbound.kind == "choice" and inbound.choice == DONE) or (
        inbound.kind == "text" and said(inbound.text) in (*DONE_WORDS, "1"))


def _plain_word(token: str) -> bool:
    """A word with nothing of a web address in it ("please", "check:", "ok?"): a line pasted
    with words around its URL keeps the URL; anything with a dot, slash or bracket is still
    read as a URL and reported when it is not one (this step files a request)."""
    return re.search(r"[./\[\](){}@%]|:(?!$)", normal(token)) is None


def _add_urls(text: str, kept: list[str]) -> tuple[list[str], list[str]]:
    """(kept plus each new canonical URL in `text`, the first line of each bad line's error)."""
    lines = [t for t in typed_list(text, commas=False) if not _plain_word(t)]
    if not lines:
        raise Invalid(_("Enter at least one URL, one per line, e.g. "
                        "https://example.com/page."))
    kept = list(kept)
    bad: list[str] = []
    for line in lines:
        try:
            for u in parse_url_list(line, max_urls=MAX_URLS):
                if u.url not in kept:
                    kept.append(u.url)
        except Invalid as exc:
            bad.append(_first_line(str(exc)))
    return kept, bad


def _first_line(text: str) -> str:
    """The first line of an error, still a message when it is one (joined lines: the first)."""
    if isinstance(text, Msg) and text.parts is not None and text.msgid == "\n":
        return _first_line(text.parts[0]) if text.parts else ""
    return text if "\n" not in text else text.split("\n")[0]


def describe_url(u: dict[str, Any]) -> str:
    """One URL defanged, with its punycode when it has one, and its current rating (the
    rating and category as catalog words, shown in the customer's language)."""
    parts: list[str] = [defang(u["display"])]
    if u.get("punycode"):
        parts.append(_(" (punycode: {punycode})", punycode=u["punycode"]))
    rating = Msg(u.get("current_rating") or "Untested")
    cat = u.get("current_category")
    parts.append(_(" — {rating}, {category}", rating=rating, category=Msg(cat)) if cat
                 else _(" — {rating}", rating=rating))
    if u.get("credentials"):
        parts.append(_(" — the user name and password in this URL were removed"))
    return joined("", parts)


def _url(a: Answers, i: int) -> dict[str, Any] | None:
    urls = a.get("urls") or []
    return urls[i - 1] if len(urls) >= i else None


def _reclassifying(i: int) -> Cond:
    def applies(a: Answers, ctx: Ctx) -> bool:
        return category(a, ctx) == URL_RECLASS and _url(a, i) is not None

    applies.__name__ = f"url{i}_given"
    return applies


def _changing(i: int) -> Cond:
    given = _reclassifying(i)

    def applies(a: Answers, ctx: Ctx) -> bool:
        return given(a, ctx) and a.get(f"url{i}_rating") not in (None, KEEP)

    applies.__name__ = f"url{i}_changes"
    return applies


def reclassification(a: Read) -> list[dict[str, Any] | None]:
    """Per URL: None to keep it, or the requested rating and category."""
    out: list[dict[str, Any] | None] = []
    for i in range(1, len(a.get("urls") or []) + 1):
        rating = a.get(f"url{i}_rating")
        out.append(None if rating in (None, KEEP) else
                   {"rating": rating, "category": a.get(f"url{i}_category")})
    return out


class UrlRatingStep(ChoiceStep):
    """Step 7, per URL: keep it, or its new rating (a URL of its own is one state)."""

    def __init__(self, i: int) -> None:
        super().__init__(f"url{i}_rating", _("URL {i}", i=i), _("New rating?"), self.choices,
                         when=_reclassifying(i), within=is_url_reclassification,
                         deciding=True)
        self.i = i

    def choices(self, a: Answers, ctx: Ctx) -> list[Choice]:
        ratings = translated_choices(r for r in ctx.cat.url_ratings if r != "Untested")
        if len(a.get("urls") or []) > 1:
            ratings.insert(0, Choice(id=KEEP, label=_("Keep")))
        return ratings

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        prompt = super().ask(a, ctx, pending)
        u = _url(a, self.i) or {}
        count = len(a.get("urls") or [])
        text: list[str]
        if count > 1:
            text = [_("URL {i} of {count}: {url}", i=self.i, count=count, url=describe_url(u)),
                    _("Request which rating? (or keep it as it is)")]
        else:
            text = [describe_url(u), _("Request which rating?")]
        return replace(prompt, text=joined("\n", text))

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        value = super().read(inbound, a, ctx, pending)
        others = [a.get(f"url{j}_rating") for j in range(1, len(a.get("urls") or []) + 1)
                  if j != self.i]
        if value == KEEP and all(o == KEEP for o in others):
            raise Invalid(_("At least one URL must get a new classification; otherwise there "
                            "is nothing to reclassify. Pick a new rating for this one."))
        return value

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        u = _url(a, self.i) or {"display": "?"}
        return _("{url} → {rating}", url=defang(u["display"]),
                 rating=_("keep") if value == KEEP else Msg(value))


# The categories most often wanted with a rating, offered first (the rest stay in their groups).
LIKELY_CATEGORIES = {
    "Dangerous": ("Phishing", "Virus Accomplice", "Disease Vector", "Spyware",
                  "Potentially Malicious Software"),
    "Highly Suspicious": ("Phishing", "Potentially Malicious Software", "Spyware",
                          "Proxy Avoidance", "Spam"),
    "Suspicious": ("Potentially Malicious Software", "Spam", "Adware", "Proxy Avoidance",
                   "Web Advertisement"),
    "Safe": ("Business/Economy", "Computers/Internet", "Shopping", "News/Media",
             "Search Engines/Portals", "Education"),
}


class UrlCategoryStep(ChoiceStep):
    """Step 7, per URL: the new category, one grouped select; the likely ones first."""

    def __init__(self, i: int) -> None:
        super().__init__(f"url{i}_category", _("URL {i} category", i=i), _("New category?"),
                         self.choices, when=_changing(i), within=is_url_reclassification)
        self.i = i

    def choices(self, a: Answers, ctx: Ctx) -> list[Choice]:
        rating = a.get(f"url{self.i}_rating") or ""
        likely = [Choice(id=name, label=Msg(name),
                         group=_("Likely for {rating}", rating=Msg(rating)))
                  for name in LIKELY_CATEGORIES.get(rating, ())]
        return likely + [Choice(id=str(c.id), label=Msg(c.name), group=Msg(c.group))
                         for c in ctx.cat.url_categories]

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        return ctx.cat.url_category(super().read(inbound, a, ctx, pending)).name

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        return True

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        return Msg(str(value))

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        prompt = super().ask(a, ctx, pending)
        u = _url(a, self.i) or {"display": "?"}
        return replace(prompt, text=_("{url} → {rating}. Which category?",
                                      url=defang(u["display"]),
                                      rating=Msg(a.get(f"url{self.i}_rating") or "?")))

