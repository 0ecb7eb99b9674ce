"""URL ratings: one interface (`RatingProvider.rate`), a local table and an HTTP service.

Local keys (table `url_ratings`, unique on (kind, key)) are built by `keys_for` from the one
normaliser, so an entry loaded from a feed and a URL typed in chat meet on the same string.
Keys ignore the scheme: a rating is about the place (host, port, path), not http vs https.

| kind   | key                                   | matches                                   |
|--------|---------------------------------------|-------------------------------------------|
| url    | `host[:port]/path[?query]`            | exactly that URL                          |
| prefix | `host[:port]/seg1/seg2` (no end slash) | that path and below, whole segments |
| host   | `host` (ASCII/punycode, no port)       | that host and its subdomains              |
| domain | a registered domain (`example.co.uk`)  | every host under it                       |

The most specific match wins: exact URL, the longest prefix, the host, its parent hosts
(nearest first), then the registered domain. Nothing matching means "Untested": never guessed.
All candidate keys of all URLs in one call are fetched with ONE indexed query.

HTTP protocol (`CASEBOT_URL_RATING_URL`): `POST {"urls": ["https://…", …]}` (normalised URLs)
with `Content-Type: application/json`; the answer is `200 {"results": [{"url": "…",
"rating": "Safe|Suspicious|Highly Suspicious|Dangerous|Untested", "category": "name or id or
null"}, …]}`, one result per URL (matched by `url`, else by position). Any other answer, a
timeout or a connection error falls back to the local table with `Rating.note` saying so.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Engine

from flows.catalog import Catalog, get_catalog
from flows.context import Rating
from flows.errors import Invalid
from flows.i18n import Msg, _, joined
from flows.urls import NormalURL, normalize_url
from store.uow import unit_of_work

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

KINDS = ("url", "prefix", "host", "domain")
UNTESTED = "Untested"


class RatingProvider(Protocol):
    def rate(self, urls: Sequence[str]) -> list[Rating]: ...


# -- keys ---------------------------------------------------------------------------------------

def _port(n: NormalURL) -> str:
    """":8080" when the URL has a non-default port (the normaliser already dropped defaults)."""
    after = n.url.split("://", 1)[1][len(n.host):]
    return after[: after.index("/")] if after.startswith(":") else ""


def url_key(n: NormalURL) -> str:
    """The key of an exact URL: everything after the scheme."""
    return n.url.split("://", 1)[1]


def path_segments(n: NormalURL) -> list[str]:
    path = n.url.split("://", 1)[1][len(n.host) + len(_port(n)):].split("?", 1)[0]
    return [seg for seg in path.split("/") if seg]


def parent_hosts(n: NormalURL) -> list[str]:
    """The host and its parents down to the registered domain, nearest first."""
    if n.is_ip:
        return [n.host]
    labels = n.host.split(".")
    stop = n.registered_domain.count(".") + 1
    return [".".join(labels[i:]) for i in range(0, max(len(labels) - stop, 0) + 1)]


def keys_for(n: NormalURL) -> list[tuple[str, str]]:
    """All candidate (kind, key) pairs for a URL, most specific first."""
    key = n.url.split("://", 1)[1]
    slash = key.find("/")  # the normaliser always leaves a path
    base, path = key[:slash], key[slash:].split("?", 1)[0]
    out = [("url", key)]
    segs = [seg for seg in path.split("/") if seg]
    out += [("prefix", base + "/" + "/".join(segs[:i])) for i in range(len(segs), 0, -1)]
    out += [("host", h) for h in parent_hosts(n)]
    out.append(("domain", n.registered_domain if not n.is_ip else n.host))
    return out


@functools.lru_cache(maxsize=16384)
def candidate_keys(url: str) -> tuple[tuple[str, str], ...]:
    """`keys_for(normalize_url(url))`, remembered: a pure function of the string (unlike a
    rating, which can change at any time and is therefore never cached by default)."""
    return tuple(keys_for(normalize_url(url)))


def entry_key(kind: str, value: str) -> str:
    """Normalise a feed or operator entry to its table key; Invalid with the reason if bad."""
    if kind not in KINDS:
        raise Invalid(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    value = value.strip()
    if not value:
        raise Invalid(f"the {kind} is empty")
    n = normalize_url(value)
    if kind == "url":
        return url_key(n)
    segs = path_segments(n)
    has_query = "?" in n.url
    if kind == "prefix":
        if has_query:
            raise Invalid(f"a prefix can't have a query ('?…'): {value[:80]!r}")
        if not segs:
            raise Invalid(f"the prefix {value[:80]!r} has no path; use a host entry instead")
        return n.host + _port(n) + "/" + "/".join(segs)
    if segs or has_query or _port(n):
        raise Invalid(f"a {kind} entry is a bare name without port or path: {value[:80]!r}")
    if kind == "domain" and not n.is_ip and n.host != n.registered_domain:
        raise Invalid(f"{n.host!r} is not a registered domain (that would be "
                      f"{n.registered_domain!r}); use a host entry for a subdomain")
    return n.host


# -- how a rating is shown ----------------------------------------------------------------------

def describe(n: NormalURL, r: Rating) -> dict[str, Any]:
    """A rated URL as plain data (chat adapters and the CLI render it; nothing is a link)."""
    from flows.urls import defang

    return {"url": n.url, "display": n.display, "defanged": defang(n.display),
            "punycode": n.host if n.host != n.host_unicode else None,
            "credentials": n.has_credentials, "rating": r.rating, "category": r.category,
            "group": r.group, "source": r.source, "note": r.note}


def word(value: str | None) -> str:
    """A catalog word (a rating, a URL category or group) as a message: shown in the
    customer's language, kept as the canonical English value everywhere else."""
    return Msg(value) if value else ""


def rating_lines(d: dict[str, Any]) -> list[str]:
    """`describe` output as lines of text: defanged URL, rating, category (group), warnings;
    each a message, rendered in the reader's language (bot/i18n.py)."""
    url, rating = d["defanged"], word(d["rating"])
    if d["category"] and d["group"]:
        head = _("{url} — {rating} · {category} ({group})", url=url, rating=rating,
                 category=word(d["category"]), group=word(d["group"]))
    elif d["category"]:
        head = _("{url} — {rating} · {category}", url=url, rating=rating,
                 category=word(d["category"]))
    elif d["rating"] == UNTESTED:
        head = _("{url} — {rating} (not rated yet; casebot never guesses)", url=url,
                 rating=rating)
    else:
        head = _("{url} — {rating}", url=url, rating=rating)
    lines: list[str] = [head]
    if d["punycode"]:
        lines.append(joined("", ["   ", _("international name; punycode form: {punycode}",
                                          punycode=d["punycode"])]))
    if d["credentials"]:
        lines.append(joined("", ["   ! ", _(
            "this URL contained a user name or password: it was removed and never sent "
            "anywhere. Don't share passwords in links.")]))
    if d["note"]:
        lines.append(joined("", ["   ", _("note: {note}", note=d["note"])]))
    return lines


# -- the local table ----------------------------------------------------------------------------

class LocalProvider:
    """Ratings from the `url_ratings` table.

    `cache_size` > 0 keeps recent answers per normalised URL for `cache_ttl` seconds (changes
    made by other processes show after at most that long); 0 (the default) reads every time.
    Without that cache nothing stale is ever served: only the URL's candidate keys (a pure
    function of the string) are remembered, and every look-up reads the table, with one
    query in a read-only unit of work.
    """

    source = "local"

    def __init__(self, engine: Engine, *, catalog: Catalog | None = None, cache_size: int = 0,
                 cache_ttl: float = 30.0) -> None:
        self.engine = engine
        self.catalog = catalog or get_catalog()
        self.cache_size = cache_size
        self.cache_ttl = cache_ttl
        self._cache: OrderedDict[str, tuple[float, Rating]] = OrderedDict()
        self._lock = threading.Lock()
        self._groups: dict[str, str | None] = {}

    def group_of(self, category: str | None) -> str | None:
        if not category:
            return None
        try:
            return self._groups[category]
        except KeyError:
            pass
        try:
            group = self.catalog.url_category(category).group
        except KeyError:
            group = None
        if len(self._groups) < 4096:
            self._groups[category] = group
        return group

    def rate(self, urls: Sequence[str]) -> list[Rating]:
        """Ratings in the order of `urls`; all of them read with one query."""
        out: list[Rating | None] = [None] * len(urls)
        todo: list[tuple[int, str, tuple[tuple[str, str], ...]]] = []
        now = time.monotonic() if self.cache_size else 0.0
        for i, u in enumerate(urls):
            if self.cache_size:
                with self._lock:
                    hit = self._cache.get(u)
                if hit and now - hit[0] < self.cache_ttl:
                    out[i] = hit[1]
                    continue
            try:
                todo.append((i, u, candidate_keys(u)))
            except Invalid:
                out[i] = Rating(url=u, rating=UNTESTED, category=None, group=None,
                                source=self.source, note=_("not a URL that can be rated"))
        if todo:
            keys = list(dict.fromkeys(k for _, _, ks in todo for _, k in ks))
            found = {(r[0], r[1]): r for r in self._fetch(keys)}
            for i, u, ks in todo:
                best = next((found[k] for k in ks if k in found), None) if found else None
                if best is None:
                    rating = Rating(url=u, rating=UNTESTED, category=None, group=None,
                                    source=self.source)
                else:
                    rating = Rating(url=u, rating=best[2], category=best[3],
                                    group=self.group_of(best[3]), source=best[4] or self.source)
                out[i] = rating
                if self.cache_size:
                    with self._lock:
                        self._cache[u] = (now, rating)
                        self._cache.move_to_end(u)
                        while len(self._cache) > self.cache_size:
                            self._cache.popitem(last=False)
        return [r for r in out if r is not None]

    def _fetch(self, keys: list[str]) -> list[tuple[Any, ...]]:
        """The one indexed query, in a read-only unit of work (store/repositories/feeds.py)."""
        with unit_of_work(self.engine, read_only=True) as uow:
            return uow.url_ratings.lookup(keys)

    def close(self) -> None:
        """Nothing to close: each look-up takes a pooled connection and gives it back."""

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


# -- an HTTP rating service ---------------------------------------------------------------------

class HttpProvider:
    """Asks a rating service; on any failure answers from `fallback` and says so in the note."""

    source = "http"

    def __init__(self, url: str, *, timeout: float = 3.0, fallback: LocalProvider,
                 catalog: Catalog | None = None, client: httpx.Client | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.fallback = fallback
        self.catalog = catalog or get_catalog()
        if client is None:
            import httpx  # here, not at the top: a casebot without a rating service never needs it

            client = httpx.Client(timeout=timeout)
        self.client = client

    def rate(self, urls: Sequence[str]) -> list[Rating]:
        if not urls:
            return []
        import httpx

        try:
            resp = self.client.post(self.url, json={"urls": list(urls)}, timeout=self.timeout)
            if resp.status_code != 200:
                raise _Failed(_("answered HTTP {status}", status=resp.status_code))
            return self._read(urls, resp.json())
        except httpx.TimeoutException:
            why = _("did not answer within {seconds} s", seconds=f"{self.timeout:g}")
        except httpx.HTTPError as exc:
            why = _("could not be reached ({error})", error=type(exc).__name__)
        except (_Failed, ValueError, KeyError, TypeError) as exc:
            why = exc.why if isinstance(exc, _Failed) else _("sent an answer casebot can't read")
        log.warning("URL rating service %s; using the local table", why)  # English in the log
        # each reason a message, so the customer reads it in their language (bot/i18n.py)
        note = _("The rating service {why}; this rating is from casebot's local table.",
                 why=why)
        return [Rating(url=r.url, rating=r.rating, category=r.category, group=r.group,
                       source=r.source, note=note) for r in self.fallback.rate(urls)]

    def _read(self, urls: Sequence[str], body: object) -> list[Rating]:
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise _Failed(_("sent an answer without a 'results' list"))
        results = body["results"]
        by_url = {r.get("url"): r for r in results if isinstance(r, dict)}
        out = []
        for i, u in enumerate(urls):
            r = by_url.get(u)
            if r is None and i < len(results) and isinstance(results[i], dict):
                r = results[i]
            if r is None:
                raise _Failed(_("sent no result for URL {n}", n=i + 1))
            rating = str(r.get("rating") or UNTESTED)
            known = {x.casefold(): x for x in self.catalog.url_ratings}
            if rating.casefold() not in known:
                raise _Failed(_("sent an unknown rating {rating}", rating=repr(rating[:40])))
            category = r.get("category")
            cat = group = None
            if category not in (None, ""):
                try:
                    c = self.catalog.url_category(category if isinstance(category, int)
                                                  else str(category))
                    cat, group = c.name, c.group
                except KeyError:
                    raise _Failed(_("sent an unknown category {category}",
                                    category=repr(str(category)[:40]))) from None
            out.append(Rating(url=u, rating=known[rating.casefold()], category=cat,
                              group=group, source=self.source))
        return out

    def close(self) -> None:
        self.client.close()


class _Failed(Exception):
    """What the rating service did wrong, as a message (shown to the customer in a note)."""

    def __init__(self, why: Msg) -> None:
        super().__init__(why)
        self.why = why


def make_provider(engine: Engine, url: str | None, *, timeout: float = 3.0) -> RatingProvider:
    """The configured provider: HTTP when a service URL is set, else the local table."""
    local = LocalProvider(engine)
    return HttpProvider(url, timeout=timeout, fallback=local) if url else local
