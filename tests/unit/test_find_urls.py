"""URLs read out of free text (flows.urls.find_urls / read_urls): what is found, what is not
(file names, versions, words), what is reported as not checked, and that it never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.urls import find_urls, normalize_url, read_urls

FOUND: list[tuple[str, list[str]]] = [
    # plain URLs with words around them
    ("is this safe? https://shop.example.com/deals",
     ["https://shop.example.com/deals"]),
    ("see https://a.example.com/x, and http://b.example.org/y.",
     ["https://a.example.com/x", "http://b.example.org/y"]),
    ("https://shop.example.com/deals?", ["https://shop.example.com/deals"]),
    ("Check this: https://example.com/login!", ["https://example.com/login"]),
    ("'https://example.com/a'", ["https://example.com/a"]),
    ('"https://example.com/a"', ["https://example.com/a"]),
    ("(see https://example.com/a)", ["https://example.com/a"]),
    ("(see https://en.wikipedia.org/wiki/Foo_(bar)).",
     ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
    ("[https://example.com/a]", ["https://example.com/a"]),
    ("https://example.com/search?q=a&b=c; thanks", ["https://example.com/search?q=a&b=c"]),
    ("HTTPS://EXAMPLE.COM/Path", ["https://example.com/Path"]),
    ("https://example.com/a#frag and more", ["https://example.com/a"]),
    # defanged
    ("see hxxps://evil[.]example[.]com/x please", ["https://evil.example.com/x"]),
    ("hxxp://evil(.)example(.)com", ["http://evil.example.com/"]),
    ("h**ps://evil{.}example{.}org/a", ["https://evil.example.org/a"]),
    ("https[:]//evil[.]example[.]net/", ["https://evil.example.net/"]),
    ("hxxps[://]evil[.]example[.]com/z", ["https://evil.example.com/z"]),
    ("evil[dot]example[dot]com/p", ["http://evil.example.com/p"]),
    ("evil(dot)example(dot)com", ["http://evil.example.com/"]),
    ("evil [.] example [.] com is bad", ["http://evil.example.com/"]),
    ("hXXps://EVIL[.]example[.]com", ["https://evil.example.com/"]),
    # Slack markup
    ("<https://x.example.com/a|label> and <@U123> <#C1|general>",
     ["https://x.example.com/a"]),
    ("<https://x.example.com/a>", ["https://x.example.com/a"]),
    ("<mailto:pat@acme.example|pat@acme.example> is me", []),
    # bare domains with a public suffix
    ("is shop.example.com/deals ok?", ["http://shop.example.com/deals"]),
    ("example.co.jp", ["http://example.co.jp/"]),
    ("go to www.example.com.", ["http://www.example.com/"]),
    ("example.com:8080/admin", ["http://example.com:8080/admin"]),
    ("Example.COM", ["http://example.com/"]),
    # Japanese around URLs, full-width forms
    ("このURL https://example.jp/login は安全ですか？", ["https://example.jp/login"]),
    ("「https://example.jp/a」を確認してください。", ["https://example.jp/a"]),
    ("『example.co.jp』は大丈夫？", ["http://example.co.jp/"]),
    ("このサイト（example.co.jp）は安全ですか", ["http://example.co.jp/"]),
    ("https://example.comは安全ですか", ["https://example.com/"]),
    ("https://example.com/loginにアクセスしたら、", ["https://example.com/login"]),
    ("ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／ａ　を見て", ["https://example.com/a"]),
    ("https://例え.jp/です", ["https://xn--r8jz45g.jp/"]),
    ("https://joe:secret@bücher.example/a", ["https://xn--bcher-kva.example/a"]),
    # IP addresses with a scheme or a path
    ("http://192.0.2.10/a and 198.51.100.7/login",
     ["http://192.0.2.10/a", "http://198.51.100.7/login"]),
    ("http://[2001:db8::1]/x", ["http://[2001:db8::1]/x"]),
    # order and duplicates
    ("b.example.com then https://a.example.com and http://B.EXAMPLE.COM/",
     ["http://b.example.com/", "https://a.example.com/"]),
    ("hxxps://evil[.]example[.]com/x https://evil.example.com/x",
     ["https://evil.example.com/x"]),
    # Markdown and full-width brackets
    ("[the login page](https://example.com/login)", ["https://example.com/login"]),
    ("【重要】https://example.jp/notice【確認】", ["https://example.jp/notice"]),
    ("詳細：example.jp/info、以上。", ["http://example.jp/info"]),
    # www. makes a file-like ending a site
    ("www.example.zip", ["http://www.example.zip/"]),
]

NOT_FOUND = [
    "report.pdf", "setup.exe", "README.md", "main.py", "install.sh", "invoice.zip",
    "clip.mov", "v1.2.3", "version 14.0.1234", "e.g. this", "i.e. that", "node.js",
    "U.S.A.", "I checked the site.Then it failed", "yesterday.Today", "wait...what",
    "pat@acme.example.com", "mail me at pat@example.com", "192.0.2.10", "10.0.0.1:8080",
    "intranet.example", "a.example please", "nothing here at all", "",
    "OfficeScanのクライアントがオフラインになりました", "tmlisten.exe crashed", "ntdll.dll",
    "config.json and data.csv", "Windows 10.0.19045",
]


@pytest.mark.parametrize(("text", "urls"), FOUND)
def test_found(text: str, urls: list[str]) -> None:
    assert [u.url for u in find_urls(text)] == urls


@pytest.mark.parametrize("text", NOT_FOUND)
def test_not_found(text: str) -> None:
    assert find_urls(text) == []


def test_the_table_is_big_enough() -> None:
    assert len(FOUND) + len(NOT_FOUND) >= 40


@pytest.mark.parametrize(("text", "reason"), [
    ("https://exa mple", "'hxxps://exa' is not a valid web address"),
    ("see http://example.com:99999/x", "'99999' is not a valid port number"),
    ("ftp://files.example.com/a", "ftp: scheme, which is not allowed"),
    ("javascript:alert(1)", "javascript: scheme"),
    ("http://localhost:8080/", "has no domain ending like .com"),
])
def test_broken_urls_are_reported_not_refused(text: str, reason: str) -> None:
    found = read_urls(f"{text} and https://ok.example.com/")
    assert [u.url for u in found.urls] == ["https://ok.example.com/"]
    [note] = found.notes()
    assert note.startswith("Not checked: ")
    assert reason in note


def test_broken_urls_are_shown_defanged() -> None:
    [note] = read_urls("http://evil.example.com:0/x").notes()
    assert "evil.example.com" not in note
    assert "evil[.]example[.]com" in note


def test_more_than_the_limit_is_said() -> None:
    text = " ".join(f"https://site{i}.example.com/" for i in range(12))
    found = read_urls(text)
    assert len(found.urls) == 10
    assert found.more == 2
    assert found.notes() == ["Not checked: 2 more URLs (at most 10 at a time; send them "
                             "separately)."]


def test_a_typed_list_takes_any_ending() -> None:
    """/checkurl a.example: every word is a web address, so each is one (as before)."""
    assert [u.url for u in read_urls("a.example report.pdf", listed=True).urls] == [
        "http://a.example/", "http://report.pdf/"]
    # words around: read as text
    assert read_urls("a.example please", listed=True).urls == ()
    assert [u.url for u in read_urls("hi https://a.example/x", listed=True).urls] == [
        "https://a.example/x"]


PIECES = [*"abcdefghijklmnopqrstuvwxyzAZ0123456789.:/-_?#[]()<>|@%&='\" \n\t,;!*{}~",
          "https://", "hxxp", "[.]", "(dot)", ".com", ".co.jp", "www.", "は", "「", "」", "。",
          "ｈ", "：", "．", "例", "ü", "<http", "|", ">", "javascript:", ":99999"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), TEXT))
def test_never_raises_and_every_url_round_trips(text: str) -> None:
    found = read_urls(text)
    for u in found.urls:
        again = normalize_url(u.url)  # has_credentials tells about what was typed: not compared
        assert (again.url, again.display, again.host) == (u.url, u.display, u.host)
    assert len({u.url for u in found.urls}) == len(found.urls)
    assert len(found.urls) <= 10
    read_urls(text, listed=True)
