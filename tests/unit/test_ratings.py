"""Rating keys, most-specific matching on a real SQLite file, and the HTTP provider against a
stand-in rating service on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.app import build_engine
from bot.feeds import Entry, upsert
from bot.i18n import say
from bot.ratings import HttpProvider, LocalProvider, entry_key, keys_for
from bot.settings import Settings
from flows.errors import Invalid
from flows.urls import normalize_url
from store.uow import unit_of_work


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = build_engine(Settings(home=tmp_path))
    yield e
    e.dispose()


def load(engine: Engine, *rows: tuple[str, str, str, str | None]) -> None:
    entries = [Entry(kind, entry_key(kind, value), rating, category, "test", i)
               for i, (kind, value, rating, category) in enumerate(rows, start=1)]
    with unit_of_work(engine) as uow:
        upsert(uow, entries)


def test_keys_most_specific_first() -> None:
    keys = keys_for(normalize_url("https://a.b.example.co.uk:8443/x/y/z?q=1#frag"))
    assert keys == [
        ("url", "a.b.example.co.uk:8443/x/y/z?q=1"),
        ("prefix", "a.b.example.co.uk:8443/x/y/z"),
        ("prefix", "a.b.example.co.uk:8443/x/y"),
        ("prefix", "a.b.example.co.uk:8443/x"),
        ("host", "a.b.example.co.uk"),
        ("host", "b.example.co.uk"),
        ("host", "example.co.uk"),
        ("domain", "example.co.uk"),
    ]


def test_keys_for_ip_and_idn() -> None:
    assert keys_for(normalize_url("http://192.0.2.10/a")) == [
        ("url", "192.0.2.10/a"), ("prefix", "192.0.2.10/a"), ("host", "192.0.2.10"),
        ("domain", "192.0.2.10")]
    assert ("host", "xn--bcher-kva.example") in keys_for(normalize_url("bücher.example"))


@pytest.mark.parametrize(
    ("kind", "value", "key"),
    [
        ("url", "HXXPS://Evil[.]Example.com:443/a#x", "evil.example.com/a"),
        ("url", "http://evil.example.com", "evil.example.com/"),
        ("prefix", "https://example.com/downloads/", "example.com/downloads"),
        ("prefix", "example.com:8080/a/b", "example.com:8080/a/b"),
        ("host", "WWW.Example.com", "www.example.com"),
        ("host", "bücher.example", "xn--bcher-kva.example"),
        ("domain", "example.co.uk", "example.co.uk"),
        ("domain", "https://example.com/", "example.com"),
    ],
)
def test_entry_keys(kind: str, value: str, key: str) -> None:
    assert entry_key(kind, value) == key


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("prefix", "example.com/", "has no path"),
        ("prefix", "example.com/a?b=1", "query"),
        ("host", "example.com/a", "bare name"),
        ("host", "example.com:8080", "bare name"),
        ("domain", "www.example.com", "not a registered domain"),
        ("url", "javascript:alert(1)", "not allowed"),
        ("url", "", "empty"),
        ("thing", "example.com", "not one of"),
    ],
)
def test_bad_entries(kind: str, value: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        entry_key(kind, value)


def test_most_specific_match_wins(engine: Engine) -> None:
    load(engine,
         ("domain", "example.com", "Safe", "Business/Economy"),
         ("host", "b.example.com", "Suspicious", "Blogs/Web Communications"),
         ("host", "a.b.example.com", "Highly Suspicious", "Spam"),
         ("prefix", "a.b.example.com/files", "Dangerous", "Virus Accomplice"),
         ("prefix", "a.b.example.com/files/ok", "Safe", "Software Downloads"),
         ("url", "https://a.b.example.com/files/ok/evil.exe", "Dangerous", "Spyware"))
    local = LocalProvider(engine)
    cases = {
        "https://a.b.example.com/files/ok/evil.exe": ("Dangerous", "Spyware"),
        "http://a.b.example.com/files/ok/evil.exe#x": ("Dangerous", "Spyware"),
        "https://a.b.example.com/files/ok/good.exe": ("Safe", "Software Downloads"),
        "https://a.b.example.com/files/other": ("Dangerous", "Virus Accomplice"),
        "https://a.b.example.com/files": ("Dangerous", "Virus Accomplice"),
        "https://a.b.example.com/filesystem": ("Highly Suspicious", "Spam"),
        "https://x.a.b.example.com/": ("Highly Suspicious", "Spam"),
        "https://c.b.example.com/": ("Suspicious", "Blogs/Web Communications"),
        "https://www.example.com/": ("Safe", "Business/Economy"),
        "https://example.com/": ("Safe", "Business/Economy"),
        "https://example.org/": ("Untested", None),
        "https://notexample.com/": ("Untested", None),
    }
    ratings = local.rate(list(cases))
    assert [(r.rating, r.category) for r in ratings] == list(cases.values())
    assert ratings[0].group == "Internet Security"
    assert ratings[0].source == "test"
    assert ratings[-1].group is None


def test_host_entry_does_not_cover_parent(engine: Engine) -> None:
    load(engine, ("host", "a.example.com", "Dangerous", None))
    assert LocalProvider(engine).rate(["https://example.com/"])[0].rating == "Untested"


def test_nothing_is_guessed(engine: Engine) -> None:
    [r] = LocalProvider(engine).rate(["https://brand-new.example/"])
    assert (r.rating, r.category, r.group, r.note) == ("Untested", None, None, "")


def test_cache_is_optional_and_bounded(engine: Engine) -> None:
    load(engine, ("host", "example.com", "Safe", None))
    cached = LocalProvider(engine, cache_size=2, cache_ttl=60)
    assert cached.rate(["https://example.com/"])[0].rating == "Safe"
    load(engine, ("host", "example.com", "Dangerous", None))
    assert cached.rate(["https://example.com/"])[0].rating == "Safe"  # within the TTL
    assert LocalProvider(engine).rate(["https://example.com/"])[0].rating == "Dangerous"
    cached.forget()
    assert cached.rate(["https://example.com/"])[0].rating == "Dangerous"
    cached.rate(["https://a.example/", "https://b.example/", "https://c.example/"])
    assert len(cached._cache) == 2


# -- the HTTP provider -----------------------------------------------------------------------------

class Stand:
    """A stand-in rating service: behaviour chosen per test."""

    def __init__(self) -> None:
        self.mode = "good"
        self.requests: list[dict[str, Any]] = []
        stand = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stand.requests.append(body)
                if stand.mode == "slow":
                    time.sleep(1.0)
                if stand.mode == "500":
                    return self._send(500, b'{"error": "boom"}')
                if stand.mode == "garbage":
                    return self._send(200, b"<html>not json</html>")
                if stand.mode == "bad-rating":
                    out = [{"url": u, "rating": "Probably fine"} for u in body["urls"]]
                    return self._send(200, json.dumps({"results": out}).encode())
                out = [{"url": u, "rating": "Dangerous", "category": 75}
                       for u in reversed(body["urls"])]
                self._send(200, json.dumps({"results": out}).encode())

            def _send(self, code: int, data: bytes) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/rate"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand() -> Iterator[Stand]:
    s = Stand()
    yield s
    s.close()


@pytest.fixture
def http(stand: Stand, engine: Engine) -> Iterator[HttpProvider]:
    load(engine, ("domain", "example.com", "Safe", "Business/Economy"))
    provider = HttpProvider(stand.url, timeout=0.3, fallback=LocalProvider(engine))
    yield provider
    provider.close()


URLS = ["https://www.example.com/", "https://other.example/x"]


def test_http_good(http: HttpProvider, stand: Stand) -> None:
    ratings = http.rate(URLS)
    assert stand.requests == [{"urls": URLS}]
    assert [(r.url, r.rating, r.category, r.group, r.source, r.note) for r in ratings] == [
        (u, "Dangerous", "Phishing", "Internet Security", "http", "") for u in URLS]


def test_http_slow_times_out_and_falls_back(http: HttpProvider, stand: Stand) -> None:
    stand.mode = "slow"
    started = time.monotonic()
    ratings = http.rate(URLS)
    assert time.monotonic() - started < 0.9
    assert [r.rating for r in ratings] == ["Safe", "Untested"]
    assert all("did not answer within 0.3 s" in r.note and "local table" in r.note
               for r in ratings)


@pytest.mark.parametrize(
    ("mode", "why"),
    [("500", "answered HTTP 500"), ("garbage", "can't read"),
     ("bad-rating", "unknown rating")],
)
def test_http_failures_fall_back(http: HttpProvider, stand: Stand, mode: str, why: str) -> None:
    stand.mode = mode
    ratings = http.rate(URLS)
    assert [r.rating for r in ratings] == ["Safe", "Untested"]
    assert ratings[0].category == "Business/Economy"
    assert ratings[0].group == "Business"
    assert all(why in r.note and "casebot's local table" in r.note for r in ratings)


def test_http_unreachable_falls_back(engine: Engine) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = HttpProvider(f"http://127.0.0.1:{port}/", timeout=0.5,
                            fallback=LocalProvider(engine))
    [r] = provider.rate(["https://example.net/"])
    assert r.rating == "Untested"
    assert "could not be reached" in r.note
    provider.close()


def test_build_service_picks_the_provider(tmp_path: Path, stand: Stand) -> None:
    from bot.app import build_service

    svc = build_service(Settings(home=tmp_path, url_rating_url=stand.url))
    assert svc.rate(["https://example.com/"])[0].source == "http"
    svc2 = build_service(Settings(home=tmp_path / "b"))
    assert svc2.rate(["https://example.com/"])[0].source == "local"


@pytest.mark.parametrize(
    ("host", "registered"),
    [("sub.evil.example", "evil.example"), ("a.b.internal", "b.internal"),
     ("x.y.co.uk", "y.co.uk")],
)
def test_unknown_tld_is_a_public_suffix(host: str, registered: str) -> None:
    """The public-suffix list's default rule "*": an unlisted TLD is a suffix."""
    assert normalize_url(host).registered_domain == registered


@pytest.mark.parametrize(
    ("mode", "why"),
    [("slow", "0.3 秒以内に応答がありませんでした"), ("500", "HTTP 500 が返されました"),
     ("garbage", "casebot が読み取れない応答が返されました"),
     ("bad-rating", "不明な評価 'Probably fine' が返されました")],
)
def test_the_services_failure_reads_in_the_customers_language(
        http: HttpProvider, stand: Stand, mode: str, why: str) -> None:
    """The reason a rating service failed is a message like the sentence around it: a
    Japanese customer reads it in Japanese (issue 27), the log and English stay as before."""
    stand.mode = mode
    note = http.rate(URLS)[0].note
    assert say(note, "ja") == (f"評価サービスから正しい応答を得られませんでした({why})。"
                               "この評価は casebot のローカルの一覧によるものです。")
    assert note.startswith("The rating service ")
