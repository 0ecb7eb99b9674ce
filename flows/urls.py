"""The one URL normaliser: every URL a customer gives is turned into one canonical form.

Ratings are looked up and reclassified by URL, so two spellings of the same address (case,
default port, fragment, IDN vs punycode, defanged) must become the same key. Parsing follows
what browsers do where it matters for "which host is this" (backslashes, numeric IPv4 forms),
so a rating is never requested for a different host than the one a browser would visit.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

import idna

from flows.errors import Invalid, quoted
from flows.i18n import Msg, _, joined, ngettext
from flows.normalize import normal, typed_list

if TYPE_CHECKING:
    import tldextract

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# Defanging, in a token or anywhere in a text: h**p / hxxp / hXXp before ":" or
# "[:", bracketed dots (with a space either side allowed: "evil [.] com"), "[:]", "[://]".
_HXXP_RE = re.compile(r"(?<![A-Za-z])h(?:xx|tt|\*\*)p(s?)(?=:|\[:)", re.IGNORECASE)
_DEFANG_SUBS = (
    (re.compile(r"\[://\]"), "://"),
    (re.compile(r"\[:\]"), ":"),
    (re.compile(r" ?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}) ?", re.IGNORECASE), "."),
)
_SPACE_RE = re.compile(r"\s")
_ASCII_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?$")
# Characters kept as they are in the path and query; everything else is percent-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


@dataclass(frozen=True)
class NormalURL:
    url: str
    display: str
    host: str
    host_unicode: str
    is_ip: bool
    has_credentials: bool
    registered_domain: str


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    # The bundled public-suffix snapshot only: no network, no cache directory. Imported at
    # first use: tldextract brings requests, a tenth of a `casebot` start.
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@functools.lru_cache(maxsize=65536)
def registered_domain(host: str) -> str:
    """The domain someone registered ("example.co.uk").

    A top-level name the public-suffix list does not know (".example", ".internal") is a
    suffix by the list's default rule "*", so "a.b.example" was registered as "b.example".
    """
    result = _extractor()(host)
    domain = getattr(result, "top_domain_under_public_suffix", None)
    if domain is None:  # tldextract < 5.3
        domain = result.registered_domain
    return domain or ".".join(host.split(".")[-2:])


def _unwrap(text: str) -> str:
    text = text.strip()
    # Slack sends links as <https://x|label>; people also paste <x>, "x" or 'x'.
    while len(text) >= 2 and (text[0], text[-1]) in {("<", ">"), ('"', '"'), ("'", "'"),
                                                     ("`", "`"), ("(", ")")}:
        text = text[1:-1].strip()
        if "|" in text and text.lower().startswith(("http", "hxxp")):
            text = text.split("|", 1)[0]
    return text


def refang(text: str) -> str:
    """Undo common defanging (hxxp, h**p, [.], (.), {.}, [dot], [:], [://]) so the URL can be
    parsed; in a token or anywhere in a text."""
    text = _HXXP_RE.sub(lambda m: "http" + m.group(1), text)
    for pattern, repl in _DEFANG_SUBS:
        text = pattern.sub(repl, text)
    return text


def _parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Browsers read hosts like 2130706433, 0x7f.1 or 0177.0.0.1 as IPv4; so do we."""
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts.pop()
    if not parts or len(parts) > 4:
        return None
    last = parts[-1]
    if not (last.isdigit() or re.fullmatch(r"0[xX][0-9a-fA-F]*", last)):
        return None
    numbers = []
    for part in parts:
        if re.fullmatch(r"0[xX][0-9a-fA-F]*", part):
            value = int(part[2:] or "0", 16)
        elif re.fullmatch(r"0[0-7]+", part):
            value = int(part, 8)
        elif part.isdigit() and part.isascii():
            value = int(part)
        else:
            raise ValueError(_("that is not a valid IP address"))
        numbers.append(value)
    *head, tail = numbers
    if any(n > 255 for n in head) or tail >= 256 ** (5 - len(numbers)):
        raise ValueError(_("that is not a valid IP address (a number is too big)"))
    value = tail
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def ascii_hostname(host: str) -> tuple[str, str]:
    """(ASCII/punycode, Unicode) forms of a DNS name; ValueError with a short reason if bad."""
    host = host.strip()
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise ValueError(_("the host name is empty"))
    if _SPACE_RE.search(host):
        raise ValueError(_("the host name contains spaces"))
    ascii_labels: list[str] = []
    unicode_labels: list[str] = []
    for label in host.split("."):
        if not label:
            raise ValueError(_("the host name has an empty part (two dots in a row)"))
        ascii_label, unicode_label = (_ascii_label(label) if label.isascii()
                                      else _international_label(label))
        ascii_labels.append(ascii_label)
        unicode_labels.append(unicode_label)
    ascii_host = ".".join(ascii_labels)
    if len(ascii_host) > 253:
        raise ValueError(_("the host name is longer than 253 characters"))
    return ascii_host, ".".join(unicode_labels)


def _ascii_label(label: str) -> tuple[str, str]:
    """(ASCII, Unicode) forms of an ASCII label: lower-cased, punycode ("xn--") decoded."""
    label = label.lower()
    if not _ASCII_LABEL_RE.match(label):
        if len(label) > 63:
            raise ValueError(_("a part of the host name is longer than 63 characters"))
        raise ValueError(_("{label} is not a valid part of a host name", label=quoted(label)))
    if not label.startswith("xn--"):
        return label, label
    try:
        return label, idna.decode(label)
    except idna.IDNAError as exc:
        raise ValueError(_("{label} is not valid punycode ({why})", label=quoted(label),
                           why=str(exc))) from None


def _international_label(label: str) -> tuple[str, str]:
    """(punycode, Unicode) forms of a non-ASCII label, mapped as browsers do (UTS #46)."""
    try:
        encoded = idna.encode(label, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(_("{label} is not a valid international name ({why})",
                           label=quoted(label), why=str(exc))) from None
    return encoded, idna.decode(encoded)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, so /a/./b/../c and /a/c are one URL."""
    output: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg in (".", "%2e", "%2E"):
            if last:
                output.append("")
        elif seg.lower() in ("..", ".%2e", "%2e.", "%2e%2e"):
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(seg)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


_FANGED_RE = re.compile(r"\((\.|dot)\)", re.IGNORECASE)


def _still_fanged(suffix: str) -> str:
    """A path or query that still reads as defanged after refanging ("/((.))" gives "/(.)")
    keeps its brackets percent-encoded, so normalising the URL again changes nothing."""
    return _FANGED_RE.sub(lambda m: f"%28{m.group(1)}%29", suffix)


def _fail(original: str, reason: str) -> Invalid:
    return Invalid(_("{url} is not a valid web address: {reason}.", url=quoted(original),
                     reason=reason))


# An http(s) URL already in canonical ASCII form: lower-case scheme and host, no credentials,
# no default or zero-padded port, a path, no fragment, nothing `quote` would encode.
_URL_CHARS = r"A-Za-z0-9_.\-~/%:@!$&'()*+,;="
_CANONICAL_RE = re.compile(
    r"(https?)://([a-z0-9_.\-]{1,253})(?::([1-9][0-9]{0,4}))?"
    rf"(/[{_URL_CHARS}]*)(?:\?([{_URL_CHARS}?]+))?"
)
_DOT_SEGMENTS = frozenset((".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"))


def _canonical(text: str) -> NormalURL | None:
    """The fast path: `text` as a NormalURL if it is already canonical, else None.

    The chat hands back URLs the normaliser produced, so most look-ups are of canonical
    URLs; recognising them costs a regex instead of a full parse. Anything unusual (IDN or
    punycode, IP addresses, dot segments, defanging look-alikes) returns None and goes
    through the full normaliser; tests/unit/test_urls_fast.py checks both agree.
    """
    if len(text) > MAX_URL_LENGTH:
        return None
    m = _CANONICAL_RE.fullmatch(text)
    if m is None:
        return None
    scheme, host, port, path = m.group(1), m.group(2), m.group(3), m.group(4)
    if port is not None and (int(port) > 65535 or int(port) == DEFAULT_PORTS[scheme]):
        return None
    labels = host.split(".")
    if len(labels) < 2 or labels[-1][:1].isdigit():
        return None  # no domain ending, or an IPv4 form
    for label in labels:
        if not _ASCII_LABEL_RE.match(label) or label.startswith("xn--"):
            return None
    if ("." in path or "%" in path) and any(
            seg.lower() in _DOT_SEGMENTS for seg in path.split("/")):
        return None
    if "(" in text and ("(.)" in text or "(dot)" in text.lower()):
        return None  # refang would turn these into dots
    return NormalURL(url=text, display=text, host=host, host_unicode=host, is_ip=False,
                     has_credentials=False, registered_domain=registered_domain(host))


def normalize_url(text: str) -> NormalURL:
    """Canonicalise one URL, or raise Invalid naming the input and the reason."""
    return _canonical(text) or _normalize_full(text)


def _normalize_full(text: str) -> NormalURL:
    """The complete normaliser (every input form); `normalize_url` tries `_canonical` first."""
    original = text.strip()
    candidate = _cleaned(original)
    scheme, rest = _split_scheme(original, candidate)
    authority, path, has_query, query = _split_rest(rest)
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        host, port_text = _ipv6_host(original, hostport)
    else:
        host, port_text = _named_host(original, hostport)
    port = _port(original, scheme, port_text)

    path = _remove_dot_segments(quote(path, safe=_PATH_SAFE)) if path else "/"
    query = quote(query, safe=_QUERY_SAFE)
    suffix = _still_fanged(path + (f"?{query}" if has_query and query else ""))
    url = f"{scheme}://{host.ascii}{port}{suffix}"
    if len(url) > MAX_URL_LENGTH:
        raise Invalid(_("That URL is {length} characters long once encoded; the limit is "
                        "{limit}. Send a shorter URL.", length=f"{len(url):,}",
                        limit=f"{MAX_URL_LENGTH:,}"))
    return NormalURL(
        url=url,
        display=f"{scheme}://{host.unicode}{port}{suffix}",
        host=host.ascii,
        host_unicode=host.unicode,
        is_ip=host.is_ip,
        has_credentials="@" in authority,
        registered_domain=host.registered_domain,
    )


def _cleaned(original: str) -> str:
    """The URL as a browser would read it: unwrapped, refanged, without tabs and newlines."""
    if len(original) > MAX_URL_LENGTH:
        raise Invalid(_("That URL is {length} characters long; the limit is {limit}. Send a "
                        "shorter URL (the part up to the path is usually enough).",
                        length=f"{len(original):,}", limit=f"{MAX_URL_LENGTH:,}"))
    candidate = refang(_unwrap(original))
    # Browsers ignore tabs and newlines inside URLs and read "\" as "/" in web URLs.
    candidate = re.sub(r"[\t\r\n]", "", candidate).replace("\\", "/")
    if not candidate:
        raise Invalid(_("Enter a web address, e.g. https://example.com/page."))
    return candidate


def _split_scheme(original: str, candidate: str) -> tuple[str, str]:
    """(scheme, the rest); no scheme means http, and only http and https are allowed.

    "example.com:8080" and "localhost:80" are a host and port, not a scheme.
    """
    m = _SCHEME_RE.match(candidate)
    rest_after_colon = candidate[m.end():] if m else ""
    if candidate.startswith("//"):
        scheme, rest = "http", candidate[2:]
    elif m and (
        rest_after_colon.startswith("//")
        or ("." not in m.group(1) and not rest_after_colon[:1].isdigit())
    ):
        scheme = m.group(1).lower()
        rest = rest_after_colon
        if scheme in DEFAULT_PORTS:
            rest = rest.lstrip("/")
    else:
        scheme, rest = "http", candidate
    if scheme not in DEFAULT_PORTS:
        raise Invalid(_("{url} uses the {scheme}: scheme, which is not allowed. Only http:// "
                        "and https:// web addresses can be rated.", url=quoted(original),
                        scheme=scheme))
    return scheme, rest


def _authority_end(rest: str) -> int:
    """Where the authority (user, host, port) of what follows "://" ends: at the first /, ?
    or #."""
    return min((pos for sep in "/?#" if (pos := rest.find(sep)) != -1), default=len(rest))


def _split_rest(rest: str) -> tuple[str, str, str, str]:
    """(authority, path, "?" if there is a query, query) of what follows the scheme.

    The fragment is dropped: it never reaches the server, so it names no other page.
    """
    end = _authority_end(rest)
    authority, tail = rest[:end], rest[end:]
    tail, _, _fragment = tail.partition("#")
    path, has_query, query = tail.partition("?")
    return authority, path, has_query, query


@dataclass(frozen=True)
class _Host:
    """The host part of a normalised URL, in the forms NormalURL carries."""

    ascii: str
    unicode: str
    is_ip: bool
    registered_domain: str


def _ipv6_host(original: str, hostport: str) -> tuple[_Host, str]:
    """("[compressed IPv6]", port text) from "[address]" or "[address]:port"."""
    close = hostport.find("]")
    if close == -1:
        raise _fail(original, _("the IPv6 address is missing its closing ']'"))
    host_text, after = hostport[1:close], hostport[close + 1:]
    if after and not after.startswith(":"):
        raise _fail(original, _("unexpected text after the IPv6 address"))
    try:
        ip6 = ipaddress.IPv6Address(host_text)
    except ValueError:
        raise _fail(original, _("{address} is not a valid IPv6 address",
                                address=quoted(host_text))) from None
    bracketed = f"[{ip6.compressed}]"
    return _Host(bracketed, bracketed, True, ip6.compressed), after[1:]


def _named_host(original: str, hostport: str) -> tuple[_Host, str]:
    """(IPv4 address or DNS name, port text) from "host" or "host:port"."""
    host_text, colon, port_text = hostport.rpartition(":")
    if not colon:
        host_text, port_text = hostport, ""
    host_text = unquote(host_text)
    if not host_text:
        raise _fail(original, _("it has no host name"))
    if _SPACE_RE.search(host_text):
        raise _fail(original, _("the host name contains spaces"))
    try:
        ip4 = _parse_ipv4(host_text)
    except ValueError as exc:
        raise _fail(original, str(exc)) from None
    if ip4 is not None:
        return _Host(str(ip4), str(ip4), True, str(ip4)), port_text
    try:
        host, host_unicode = ascii_hostname(host_text)
    except ValueError as exc:
        raise _fail(original, str(exc)) from None
    if "." not in host:
        raise _fail(original, _("{host} has no domain ending like .com; only public web "
                                "addresses can be rated", host=quoted(host_unicode)))
    return _Host(host, host_unicode, False, registered_domain(host)), port_text


def _port(original: str, scheme: str, port_text: str) -> str:
    """":PORT" as the URL keeps it: empty when absent or the scheme's default."""
    if not port_text:
        return ""
    if not port_text.isdigit() or not port_text.isascii() or not 0 < int(port_text) < 65536:
        raise _fail(original, _("{port} is not a valid port number", port=quoted(port_text)))
    if int(port_text) != DEFAULT_PORTS[scheme]:
        return f":{int(port_text)}"
    return ""


def parse_url_list(text: str, *, max_urls: int = 10) -> list[NormalURL]:
    """Parse a pasted list (one URL a line, or separated by spaces, 、 or 。: commas belong to
    URLs); report every bad line at once so the user fixes them in one go."""
    tokens = typed_list(text, commas=False)
    good: list[NormalURL] = []
    seen: set[str] = set()
    bad: list[str] = []
    for token in tokens:
        try:
            n = normalize_url(token)
        except Invalid as exc:
            bad.append(str(exc))
            continue
        if n.url not in seen:
            seen.add(n.url)
            good.append(n)
    too_many = _("You entered {n} URLs; the limit is {max} per request.", n=len(good),
                 max=max_urls) if len(good) > max_urls else None
    if bad:
        if len(bad) == 1:
            lines = [bad[0]]
            fix = _("Fix it and send the list again, one URL per line.")
        else:
            fix = _("Fix them and send the list again, one URL per line.")
            lines = [_("{n} lines are not valid:", n=len(bad)),
                     *(joined("", ["• ", b]) for b in bad[:10])]
            if len(bad) > 10:
                lines.append(_("…and {n} more.", n=len(bad) - 10))
        raise Invalid(joined("\n", [*lines, *([too_many] if too_many else []), fix]))
    if not good:
        raise Invalid(_("Enter at least one URL, one per line."))
    if too_many:
        raise Invalid(joined(" ", [too_many, _("Send at most {max}, one per line.",
                                                max=max_urls)]))
    return good


def defang(url: str) -> str:
    """Make a URL unclickable for display: hxxp(s) and every dot bracketed, in the path and
    query too (chats auto-link `evil.example` wherever it appears, e.g. `?next=evil.example`)."""
    m = re.match(r"^(h[xt]{2}ps?)(://|\[://\])", url, re.IGNORECASE)
    if m:
        scheme = "hxxps" if m.group(1).lower().endswith("s") else "hxxp"
        rest = url[m.end():]
        url_prefix = f"{scheme}://"
    else:
        url_prefix, rest = "", url
    return url_prefix + re.sub(r"(?<!\[)\.(?!\])", "[.]", rest)


# -- URLs read out of free text ---------------------------------------------------------------
#
# "is this safe? hxxps://evil[.]example[.]com/x" and "このサイトexample.co.jpは安全ですか" carry
# a URL among words. `read_urls` finds every URL-like thing; what it cannot read as a URL is
# left alone, except a token that plainly tries to be one (it has a scheme), which is reported.

# Slack markup left in a text: <https://x|label>, <https://x>, <@U1>, <#C1|name>, <!here>.
_SLACK_LINK_RE = re.compile(r"<([^<>\s|]+)(?:\|[^<>]*)?>")
# Japanese (and full-width) punctuation ends a URL: NFKC keeps these as they are.
_CJK_PUNCT = "「」『』【】〈〉《》\u3014\u3015、。・…〜"  # tortoise-shell brackets escaped
# Anything with "scheme://" tries to be a URL (ftp://, file:// are reported, not rated), and
# so do the schemes that run code when clicked.
_SCHEME_URL_RE = re.compile(
    rf"(?<![A-Za-z0-9+.\-])(?:[A-Za-z][A-Za-z0-9+.\-]{{0,15}}://|(?:javascript|vbscript|data):)"
    rf"[^\s{_CJK_PUNCT}\"<>`]*", re.IGNORECASE)
# A bare host (ASCII labels, a letter-only ending), an optional port and an optional path.
_BARE_RE = re.compile(
    r"(?<![A-Za-z0-9_@.\-/])"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9\-]{1,59}|(?<=\d\.)\d{1,3}))"
    r"(?![A-Za-z0-9_\-@]|\.[A-Za-z0-9])"
    r"(:\d{1,5})?(/[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*)?"
)
_PATH_CHARS_RE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_TRAILING = ".,;:!?'\"*_" + _CJK_PUNCT
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# Endings that are file extensions far more often than they are web sites, when written bare
# ("README.md", "setup.zip", "main.py"): found only with a scheme, a path or "www.".
FILE_ENDINGS = frozenset({
    "ai", "am", "ac", "cc", "cs", "cr", "gs", "in", "md", "mk", "ml", "mov", "pl", "pm",
    "ps", "py", "rs", "sh", "so", "tf", "zip", "exe", "bat", "cat", "log", "bak", "cfg",
})
NOT_CHECKED = "Not checked"


@dataclass(frozen=True)
class FoundURLs:
    """What a free text holds: the URLs to rate (in order, each once, at most `max_urls`),
    the tokens that try to be a URL but are not one (each with the reason), and how many
    more URLs there were beyond `max_urls`."""

    urls: tuple[NormalURL, ...]
    not_checked: tuple[str, ...] = ()
    more: int = 0

    def notes(self) -> list[str]:
        """Lines saying what was left out and why (none when everything was rated)."""
        lines: list[str] = [_("Not checked: {reason}", reason=reason)
                            for reason in self.not_checked]
        if self.more:
            lines.append(ngettext(
                "Not checked: {n} more URL (at most {max} at a time; send them separately).",
                "Not checked: {n} more URLs (at most {max} at a time; send them separately).",
                self.more, max=len(self.urls)))
        return lines


def find_urls(text: str, *, max_urls: int = 10) -> list[NormalURL]:
    """Every URL-like thing in free text, normalised, in order, each once (at most
    `max_urls`). Words that are not URLs are ignored; see `read_urls` for what is left out."""
    return list(read_urls(text, max_urls=max_urls).urls)


def read_urls(text: str, *, max_urls: int = 10, listed: bool = False) -> FoundURLs:
    """The URLs in `text` (http(s) and defanged forms, Slack link markup, bare domains whose
    ending is a public suffix, IP addresses with a scheme or a path), and the tokens that
    carry a scheme but are no valid web address ("https://exa mple", a bad port, ftp://).

    `listed`: the text was typed as a list of URLs (/checkurl's arguments): when every word
    is a web address, each is taken as one, whatever its ending ("intranet.example"), as a
    pasted list always was; otherwise the text is read as words around URLs."""
    candidates = _candidates(text)
    if listed:
        words = text.split()
        if words and _all_urls(words):
            candidates = [(word, True) for word in words]
    found: list[NormalURL] = []
    seen: set[str] = set()
    broken: list[str] = []
    more = 0
    for candidate, has_scheme in candidates:
        try:
            n = normalize_url(candidate)
        except (Invalid, ValueError) as exc:
            if has_scheme:
                reason = _swapped(str(exc), quoted(candidate), quoted(defang(candidate)))
                if reason not in broken:
                    broken.append(reason)
            continue
        if n.url in seen:
            continue
        seen.add(n.url)
        if len(found) < max_urls:
            found.append(n)
        else:
            more += 1
    return FoundURLs(tuple(found), tuple(broken), more)


def _swapped(text: str, old: str, new: str) -> str:
    """`text` with `old` replaced by `new`, in a message's parameters when it is one (so it
    is still rendered in the customer's language)."""
    if isinstance(text, Msg) and text.parts is None:
        params = {k: _swapped(v, old, new) if isinstance(v, str) else v
                  for k, v in text.params.items()}
        return Msg(text.msgid, params, plural=text.plural, n=text.n)
    return text.replace(old, new)


def _all_urls(words: list[str]) -> bool:
    try:
        for word in words:
            normalize_url(word)
    except (Invalid, ValueError):
        return False
    return True


def _readable(text: str) -> str:
    """`text` with Slack markup unwrapped, NFKC-folded (full-width letters, colon, slash
    and full stop become ASCII) and refanged, so each URL is one run of characters."""
    text = _SLACK_LINK_RE.sub(
        lambda m: f" {m.group(1)} " if "://" in m.group(1) else " ", text[:100_000])
    return refang(normal(text))


def _candidates(text: str) -> list[tuple[str, bool]]:
    """(candidate URL, whether it has a scheme) in the order they appear."""
    text = _readable(text)
    out: list[tuple[int, str, bool]] = []
    taken: list[tuple[int, int]] = []
    for m in _SCHEME_URL_RE.finditer(text):
        candidate = _scheme_url(m.group(0))
        if candidate:
            out.append((m.start(), candidate, True))
        taken.append((m.start(), m.end()))
    for m in _BARE_RE.finditer(text):
        if any(start <= m.start() < end for start, end in taken):
            continue
        candidate = _bare(m.group(0), m.group(1), bool(m.group(3)))
        if candidate:
            out.append((m.start(), candidate, False))
    out.sort(key=lambda t: t[0])
    return [(c, s) for _, c, s in out]


def _scheme_url(run: str) -> str:
    """The URL at the start of `run` ("https://…" up to a space or Japanese punctuation):
    the host may be international, the path is ASCII (a browser's copied address is
    percent-encoded), so "https://example.com/xは安全" ends before "は"."""
    scheme, sep, rest = run.partition("://")
    if not sep:  # javascript:, data:: no host to read, reported as it is
        return _trim(run)
    end = _authority_end(rest)
    authority, tail = rest[:end], rest[end:]
    authority = _cut_script_switch(authority)
    if len(authority) < end:
        tail = ""  # the host ended inside the run: what follows is words, not a path
    tail = _PATH_CHARS_RE.match(tail).group(0)  # type: ignore[union-attr]
    url = _trim(f"{scheme}://{authority}{tail}")
    return "" if url.endswith("://") else url


def _cut_script_switch(authority: str) -> str:
    """"example.comは安全" -> "example.com": a host's ending is written in one script, so
    where ASCII letters meet other letters in it the host has ended ("bücher.example" is
    one host: only the ending is read this way)."""
    host_start = authority.rfind("@") + 1
    for i in range(host_start, len(authority)):
        if not (authority[i].isalnum() or authority[i] in ".:-[]_%~!$&'()*+,;=@"):
            authority = authority[:i]
            break
    ending_start = authority.rfind(".") + 1
    if ending_start <= host_start:
        return authority
    for i in range(ending_start + 1, len(authority)):
        before, here = authority[i - 1], authority[i]
        if before.isascii() != here.isascii() and here != ":" and before != ":":
            return authority[:i]
    return authority


def _bare(whole: str, host: str, has_path: bool) -> str:
    """A bare "example.co.jp" or "shop.example.com/deals" when its ending is a public suffix
    (or an IPv4 address with a path); "" for file names and words ("report.pdf", "v1.2.3",
    "node.js", "yesterday.Today")."""
    labels = host.split(".")
    ending = labels[-1]
    if ending.isdigit():  # an IPv4 address: a URL only with a path ("192.0.2.1/login")
        return _trim(whole) if has_path and len(labels) == 4 else ""
    if not (ending.islower() or ending.isupper()):
        return ""  # "site.Then": a sentence missing its space, not a domain
    if not has_path and ending.lower() in FILE_ENDINGS and labels[0].lower() != "www":
        return ""
    result = _extractor()(host.lower())
    if not result.suffix or not result.domain:
        return ""
    return _trim(whole)


def _trim(url: str) -> str:
    """`url` without the punctuation around it: trailing ".,;:!?" and quotes, and a closing
    bracket that closes nothing in the URL ("(see https://x.example/a)")."""
    while url:
        last = url[-1]
        closes_nothing = last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])
        if last in _TRAILING or closes_nothing:
            url = url[:-1]
        else:
            break
    return url
