"""The normaliser's fast path (`_canonical`) must never disagree with the full normaliser.

Whatever string the fast path accepts, the full normaliser gives exactly the same NormalURL;
and the normaliser's own output, fed back in, comes out unchanged (idempotent), which is what
lets the chat pass normalised URLs to the rating look-up cheaply.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flows.errors import Invalid
from flows.urls import _canonical, _normalize_full, normalize_url

LABEL = st.text(alphabet="abcxyz019-_XN", min_size=0, max_size=8) | st.sampled_from(
    ["xn--bcher-kva", "xn--zz", "www", "0x7f", "127", "com", "co", "uk", "example", "a" * 64])
HOST = st.lists(LABEL, min_size=1, max_size=5).map(".".join) | st.sampled_from(
    ["1.2.3.4", "[::1]", "user:pw@example.com", "example.com.", "Example.COM", "bücher.de"])
PORT = st.sampled_from(["", ":80", ":443", ":8080", ":080", ":0", ":65535", ":65536", ":1x"])
PIECE = st.sampled_from(["a", "B", "0", "/", ".", "..", "%2e", "%2E", "%41", "%zz", "(.)",
                         "(DoT)", "(", ")", "[.]", "~", "-", "_", ":", "@", "!", "$", "&",
                         "'", "*", "+", ",", ";", "=", "?", "#", " ", "\t", "é", "\\", "[", "]",
                         "{", "}", "|", "^", "`", '"', "<", ">"])
PATH = st.lists(PIECE, max_size=12).map("".join)
SCHEME = st.sampled_from(["http://", "https://", "HTTP://", "hxxp://", "ftp://", "//", "",
                          "https:", "https:///"])


@st.composite
def urls(draw: st.DrawFn) -> str:
    return (draw(SCHEME) + draw(HOST) + draw(PORT) + draw(st.sampled_from(["", "/"]))
            + draw(PATH))


GOOD = st.sampled_from([*list("aZ09/._-~%:@!$&'()*+,;="), "%2e", "..", "(.)", "(dot)", "?"])


@st.composite
def near_canonical(draw: st.DrawFn) -> str:
    """Mostly canonical URLs, so the fast path accepts many and its edges are exercised."""
    labels = draw(st.lists(st.from_regex(r"[a-z0-9]([a-z0-9_-]{0,4}[a-z0-9])?", fullmatch=True),
                           min_size=1, max_size=3))
    labels.append(draw(st.sampled_from(["com", "org", "co.uk", "example", "de", "0"])))
    port = draw(st.sampled_from(["", "", ":80", ":443", ":8080", ":65536"]))
    query = draw(st.sampled_from(["", "?", "?q=1", "?a=b?c", "?x=%2e"]))
    return (draw(st.sampled_from(["http://", "https://"])) + ".".join(labels) + port + "/"
            + draw(st.lists(GOOD, max_size=10).map("".join)) + query)


# Each property counts the examples it really checked: a run in which the fast path accepted
# (or the normaliser took) almost nothing would pass without testing anything, so it fails.
ENOUGH = 100


def test_fast_path_agrees_with_full_normaliser() -> None:
    accepted: list[str] = []

    @settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(urls() | near_canonical())
    @example("https://www.example.com/login?id=1")
    @example("http://example.com:8080/a/b(c)?x=1?y=2&z")
    @example("https://a.b.example.co.uk/%7E/x;y=1")
    def agrees(text: str) -> None:
        fast = _canonical(text)
        if fast is not None:
            accepted.append(text)
            assert _normalize_full(text) == fast

    agrees()
    assert len(set(accepted)) >= ENOUGH, f"the fast path took only {len(set(accepted))} URLs"


def test_normalised_urls_are_fixed_points() -> None:
    checked: list[str] = []

    @settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(urls())
    def fixed_point(text: str) -> None:
        try:
            n = _normalize_full(text)
        except Invalid:
            return
        checked.append(text)
        again = replace(n, has_credentials=False)  # the flag is about the input; removed
        assert normalize_url(n.url) == again
        assert _normalize_full(n.url) == again

    fixed_point()
    assert len(set(checked)) >= ENOUGH, f"only {len(set(checked))} URLs were normalised"


@pytest.mark.parametrize("url", [
    "https://www.example.com/", "http://shop.example.com/deals", "https://example.com/?q=a+b",
    "https://example.com:8443/a", "http://sub_domain.example.co.uk/a%20b/c.html?x=1&y=2",
])
def test_fast_path_takes_plain_canonical_urls(url: str) -> None:
    assert _canonical(url) == _normalize_full(url)


@pytest.mark.parametrize("url", [
    "HTTPS://example.com/", "https://example.com", "https://example.com:443/",
    "https://example.com:0443/x", "https://example.com/a/../b", "https://example.com/%2e/b",
    "https://xn--bcher-kva.example/", "http://127.0.0.1/", "http://0x7f.1/",
    "https://evil(.)example.com/", "https://example.com/x#frag", "https://example.com/?",
    "https://u:p@example.com/", "https://localhost/", "https://example.com/a b",
    "https://example.com/caf\u00e9", " https://example.com/", "https://example.com./",
])
def test_fast_path_leaves_everything_else_to_the_full_normaliser(url: str) -> None:
    assert _canonical(url) is None
