"""Issue 22, finding 5: huge bodies on the Telegram webhook.

PTB's webhook server (tornado) read up to 100 MB of a request before it checked the secret
header: six 95 MB posts without the secret took the process from 111 MB to 875 MB. casebot now
serves the webhook itself (adapters/telegram/webhook.py) behind the Slack endpoint's limits,
and checks the secret on the parsed headers before reading a byte of the body.

The attack runs against a real `casebot telegram --webhook-url …` process (answering through
the Bot API stand-in); its peak memory (VmHWM) is read from /proc before and after.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.telegram.webhook import BODY_MAX
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.telegram_driver import SECRET, free_port

pytestmark = pytest.mark.timeout(120)

POSTS, POST_SIZE = 6, 95 * 1024 * 1024
CHUNK = 1024 * 1024
GROWTH_ALLOWED = 24 * 1024 * 1024  # bytes of peak memory the attack may add (it added ~760 MB)


@dataclass
class Bot:
    proc: subprocess.Popen[bytes]
    port: int
    fake: FakeTelegram

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tg/hook"

    def peak_memory(self) -> int:
        """The process's peak resident memory so far (VmHWM), in bytes."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmHWM in /proc/PID/status")


def until(cond: Callable[[], object], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def casebot_telegram(tmp_path: Path, fake: FakeTelegram) -> Iterator[Bot]:
    """`casebot telegram --webhook-url … --port N` as operators run it."""
    port = free_port()
    env = {**os.environ, "CASEBOT_HOME": str(tmp_path / "home"),
           "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.url,
           "TELEGRAM_WEBHOOK_SECRET": SECRET}
    for key in ("CASEBOT_DATABASE_URL", "CASEBOT_SMTP_URL"):
        env.pop(key, None)
    log = (tmp_path / "telegram.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "telegram", "--webhook-url",
         f"http://127.0.0.1:{port}/tg/hook", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    bot = Bot(proc, port, fake)
    try:
        until(lambda: fake.webhook is not None or proc.poll() is not None, "setWebhook")
        assert proc.poll() is None, (tmp_path / "telegram.log").read_text()
        yield bot
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(15) == 0, (tmp_path / "telegram.log").read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()


def huge_post(port: int, headers: str, size: int = POST_SIZE) -> tuple[bytes, int]:
    """POST `size` bytes of body (after `headers`) as fast as the server takes them; returns
    the server's answer (b"" when it closed without one) and how many body bytes it took."""
    chunk = b"x" * CHUNK
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST /tg/hook HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
        try:
            while sent < size:
                sock.sendall(chunk[:size - sent])
                sent += min(CHUNK, size - sent)
        except OSError:  # closed by the server, the body unread: as it should be
            pass
        try:
            return sock.recv(1024), sent
        except OSError:
            return b"", sent


def attack(port: int, headers: str) -> list[tuple[bytes, int]]:
    """`POSTS` huge posts at once, as the reviewer's attacker did."""
    results: list[tuple[bytes, int]] = [(b"", 0)] * POSTS

    def one(i: int) -> None:
        results[i] = huge_post(port, headers)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(POSTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return results


def refused_unread(results: list[tuple[bytes, int]], *statuses: bytes) -> None:
    """Each post was answered (or cut off: the server closes the connection with the body
    unread, which may lose the answer) without the server taking more than socket buffers
    hold of its body."""
    for answer, sent in results:
        assert sent < POST_SIZE // 4, sent
        assert answer == b"" or answer[9:12] in statuses, answer[:80]


def post(bot: Bot, body: bytes, secret: str | None) -> int:
    request = urllib.request.Request(bot.url, data=body,
                                     headers={"Content-Type": "application/json"})
    if secret is not None:
        request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status: int = answer.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def start_update(update_id: int, user_id: int) -> bytes:
    return json.dumps({"update_id": update_id, "message": {
        "message_id": 1, "date": 0, "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "A"}, "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}).encode()


def test_huge_posts_without_the_secret_are_refused_before_they_are_read(
        tmp_path: Path, fake: FakeTelegram) -> None:
    with casebot_telegram(tmp_path, fake) as bot:
        assert post(bot, start_update(9001, 7001), SECRET) == 200  # warm: an update handled
        until(lambda: fake.sent(7001), "the bot's answer")
        before = bot.peak_memory()
        started = time.monotonic()
        without = attack(bot.port, f"Content-Type: application/json\r\n"
                                   f"Content-Length: {POST_SIZE}\r\n")
        wrong = attack(bot.port, f"Content-Type: application/json\r\n"
                                 f"X-Telegram-Bot-Api-Secret-Token: {SECRET[:-1]}x\r\n"
                                 f"Content-Length: {POST_SIZE}\r\n")
        chunked = attack(bot.port, "Content-Type: application/json\r\n"
                                   "Transfer-Encoding: chunked\r\n")
        took = time.monotonic() - started
        grown = bot.peak_memory() - before
        print(f"\n{3 * POSTS} posts of {POST_SIZE >> 20} MB without the secret: peak memory "
              f"+{grown / 2 ** 20:.1f} MiB in {took:.1f} s")
        # a declared length over the 1 MB cap is refused by it (413) as soon as it is read;
        # a chunked body has no declared length: the secret check refuses it (403)
        refused_unread(without, b"403", b"413")
        refused_unread(wrong, b"403", b"413")
        refused_unread(chunked, b"403")
        assert grown < GROWTH_ALLOWED, f"peak memory grew by {grown / 2 ** 20:.0f} MiB"
        assert post(bot, start_update(9002, 7002), SECRET) == 200  # still serving
        until(lambda: fake.sent(7002), "the bot's answer after the attack")


def test_the_secret_is_checked_before_the_body_is_read(tmp_path: Path,
                                                      fake: FakeTelegram) -> None:
    """A client that asks `Expect: 100-continue` sends its body only when the server says so.
    Without the secret the server says 403 at once: it never asks for the body. With it,
    "100 Continue" (the body is read, then answered)."""
    with casebot_telegram(tmp_path, fake) as bot:
        def ask(secret: str) -> bytes:
            head = (f"POST /tg/hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n"
                    f"Content-Length: {BODY_MAX - 1}\r\nExpect: 100-continue\r\n\r\n")
            with socket.create_connection(("127.0.0.1", bot.port), timeout=10) as sock:
                sock.sendall(head.encode())
                return sock.recv(1024)

        assert ask("wrong").startswith(b"HTTP/1.1 403 Forbidden")
        assert ask(SECRET).startswith(b"HTTP/1.1 100 Continue")


def test_a_big_body_with_the_secret_is_capped(tmp_path: Path, fake: FakeTelegram) -> None:
    """Only Telegram has the secret; even so a body is at most BODY_MAX (an update is a few
    KB), refused with 413 from its Content-Length before it is read."""
    assert BODY_MAX <= 1024 * 1024
    with casebot_telegram(tmp_path, fake) as bot:
        answer, sent = huge_post(bot.port, f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
                                           f"Content-Length: {POST_SIZE}\r\n")
        assert answer == b"" or answer.startswith(b"HTTP/1.1 413"), answer[:80]
        assert sent < POST_SIZE // 4


def test_a_wrong_secret_gets_403_and_a_valid_update_works(tmp_path: Path,
                                                          fake: FakeTelegram) -> None:
    with casebot_telegram(tmp_path, fake) as bot:
        update = start_update(9101, 7101)
        assert [post(bot, update, secret) for secret in ("wrong", None, SECRET[:-1], "")] == [
            403, 403, 403, 403]
        with urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/healthz", timeout=5) as ok:
            assert ok.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/readyz", timeout=5) as ok:
            assert (ok.status, json.loads(ok.read())) == (200, {"ready": True})
        time.sleep(0.3)
        assert not fake.sent(7101)
        assert post(bot, b"not json", SECRET) == 400
        assert post(bot, b"[1, 2]", SECRET) == 400
        assert post(bot, update, SECRET) == 200
        until(lambda: fake.sent(7101), "the bot's answer")
        assert "work email" in fake.sent(7101)[-1]["text"]
