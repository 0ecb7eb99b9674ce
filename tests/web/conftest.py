"""The web console under test: `casebot web` as a subprocess on 127.0.0.1, an operator made with
`casebot operators add` (password on stdin), cases made through the real terminal chat, and
Debian's chromium driven by Playwright.

The browser tests skip, saying why, only when /usr/bin/chromium is missing (`.ci/run` installs
Debian's `chromium` package); everything else here needs no browser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import CASEBOT, Chat

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
OPERATOR = "desk@support.example"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Console:
    """A running `casebot web` on a casebot home, and the chat/CLI on the same home."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.chat = Chat(home)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None

    def add_operator(self, email: str = OPERATOR, password: str = PASSWORD) -> str:
        proc = subprocess.run([CASEBOT, "operators", "add", email], input=password + "\n",
                              capture_output=True, text=True, env=self.chat.env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def start(self, *options: str) -> Console:
        self.proc = subprocess.Popen([CASEBOT, "web", "--port", str(self.port), *options],
                                     env=self.chat.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(self.proc.communicate()[1])
            try:
                httpx.get(self.url + "/signin", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("casebot web did not start in 30 s")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=10)

    def signed_in(self, email: str = OPERATOR, password: str = PASSWORD) -> httpx.Client:
        """An HTTP client holding a signed-in operator's session cookie."""
        c = self.client()
        token = csrf_of(c.get("/signin").text)
        r = c.post("/signin", data={"csrf_token": token, "email": email,
                                    "password": password, "next": "/"})
        assert r.status_code == 303, r.text
        assert r.headers["location"] == "/", r.text
        return c

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def csrf_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    assert marker in html, html[:2000]
    return html.split(marker, 1)[1].split('"', 1)[0]


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    c = Console(tmp_path / "home")
    c.add_operator()
    c.start()
    yield c
    c.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Per module, not per session: Playwright's sync API keeps an event loop running in the
    main thread while it is open, and any later test calling `asyncio.run` (the mail CLI
    does) would fail, so it must not outlive the browser tests."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package "
                    "(apt-get install chromium; .ci/run does it) to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # JavaScript off: every page and form must work without it (issue 14)
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  java_script_enabled=False)
    p = context.new_page()
    p.set_default_timeout(15_000)
    yield p
    context.close()


def fresh(client: httpx.Client, number: str) -> dict[str, str]:
    """What a case page's form carries, read now: the CSRF token and the case version (a form
    from an older version is refused, issue 24)."""
    html = client.get(f"/cases/{number}").text
    return {"csrf_token": csrf_of(html),
            "version": html.split('name="version" value="', 1)[1].split('"', 1)[0]}
