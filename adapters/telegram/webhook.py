"""The Telegram webhook, served by casebot's waitress server (adapters/http.py), not PTB's.

PTB's built-in webhook server (tornado, `Updater.start_webhook`) reads a request's whole body,
up to 100 MB, before it looks at the secret header: six 95 MB posts without the secret took a
bot process from 111 MB to 875 MB (issue 22, finding 5). This is python-telegram-bot's
documented custom-webhook pattern instead (its examples/customwebhookbot.py): casebot's own
server takes Telegram's POSTs and puts each `Update.de_json(...)` on the Application's
`update_queue`; `Application.start()` handles them as before, so the handlers see no
difference.

What a client can make the process hold:

- Without the secret, nothing beyond the headers: the `X-Telegram-Bot-Api-Secret-Token` header
  is compared (constant time, `hmac.compare_digest`) as soon as the headers are parsed, before
  a byte of the body is read; a request with a body and a wrong or missing secret gets 403 and
  its connection is closed. Requests without a body (`GET /healthz` and `/readyz`, probes)
  reach the WSGI application, which checks the secret again for everything but those two.
- With the secret (only Telegram has it), at most `BODY_MAX` (1 MB; an update is a few KB):
  larger bodies get 413 before they are read.
- The shared server's limits besides: a request arrives whole within 10 s of its first byte,
  at most 32 connections per client address (loopback excepted, for a local reverse proxy), 8
  requests at a time.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import ExtBot

from adapters.http import HttpServer, Ready, Wsgi, with_health

log = logging.getLogger(__name__)

BODY_MAX = 1024 * 1024  # Telegram's updates are a few KB
SECRET_HEADER = "X_TELEGRAM_BOT_API_SECRET_TOKEN"  # X-Telegram-Bot-Api-Secret-Token, as parsed
QUEUE_WAIT = 10.0  # seconds a request waits for its update to be queued on the event loop

OK, FORBIDDEN, NOT_FOUND, NOT_ALLOWED, BAD = (
    "200 OK", "403 Forbidden", "404 Not Found", "405 Method Not Allowed", "400 Bad Request")


class NotAnUpdate(ValueError):
    """The body is not a Telegram update (answered 400, as PTB's own webhook does)."""


def secret_matches(given: str | None, secret: str) -> bool:
    """In constant time: how long a refusal takes says nothing about how much was right."""
    return bool(given) and hmac.compare_digest(str(given).encode(), secret.encode())


def hook_path(url: str) -> str:
    """The path Telegram posts to: the webhook URL's (`https://bot.example/tg` -> `/tg`)."""
    return "/" + urlsplit(url).path.lstrip("/")


def wsgi_app(path: str, secret: str, deliver: Callable[[object], None],
             ready: Ready | None = None) -> Wsgi:
    """`/healthz` and `/readyz` (asking `ready`) for load balancers; POSTs to `path` carrying
    the secret go to `deliver` (which raises `NotAnUpdate` for a body that is not an update);
    everything else is refused."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]
                    ) -> Iterable[bytes]:
        status = _answer(environ, path, secret, deliver)
        body = status.split(" ", 1)[1].encode()
        start_response(status, [("Content-Type", "text/plain"),
                                ("Content-Length", str(len(body)))])
        return [body]

    return with_health(application, ready)


def _answer(environ: dict[str, Any], path: str, secret: str,
            deliver: Callable[[object], None]) -> str:
    if not secret_matches(environ.get("HTTP_" + SECRET_HEADER), secret):
        return FORBIDDEN
    if environ.get("PATH_INFO") != path:
        return NOT_FOUND
    if environ.get("REQUEST_METHOD") != "POST":
        return NOT_ALLOWED
    try:  # the body is at most BODY_MAX: waitress refused anything larger
        deliver(json.loads(environ["wsgi.input"].read()))
    except ValueError:  # not JSON (JSONDecodeError), or not an update
        return BAD
    return OK


class Webhook:
    """casebot's webhook server for one Application: started in its event loop (`start`), it
    serves on a thread of its own and hands each update to the loop's `update_queue`."""

    def __init__(self, bot: ExtBot[Any], update_queue: asyncio.Queue[object], url: str,
                 secret: str, *, listen: str, port: int, ready: Ready | None = None) -> None:
        self.bot = bot
        self.update_queue = update_queue
        self.url = url
        self.secret = secret
        self.loop = asyncio.get_running_loop()
        self.server = HttpServer(wsgi_app(hook_path(url), secret, self.deliver, ready), listen,
                                 port, body_max=BODY_MAX, admit_body=self.admits_body)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.2,),
                                        name="casebot-tg-webhook", daemon=True)

    def admits_body(self, headers: Mapping[str, str]) -> bool:
        """Read a body only from a client that showed the secret (asked before the body)."""
        return secret_matches(headers.get(SECRET_HEADER), self.secret)

    def deliver(self, data: object) -> None:
        """On a server thread: queue the update on the event loop, and wait until it is."""
        queued = asyncio.run_coroutine_threadsafe(self._queue(data), self.loop)
        queued.result(QUEUE_WAIT)

    async def _queue(self, data: object) -> None:
        if not isinstance(data, dict):
            raise NotAnUpdate("not a JSON object")
        try:
            update = Update.de_json(data, self.bot)
        except Exception as exc:  # whatever PTB finds wrong in it: not an update
            raise NotAnUpdate(type(exc).__name__) from exc
        self.bot.insert_callback_data(update)  # as PTB's own webhook handler does
        await self.update_queue.put(update)

    async def start(self, allowed_updates: Sequence[str]) -> None:
        """Serve, then tell Telegram where to post (so its first post finds us listening)."""
        self._thread.start()
        try:
            await self.bot.set_webhook(self.url, secret_token=self.secret,
                                       allowed_updates=allowed_updates)
        except BaseException:
            await self.stop()
            raise
        log.info("Telegram webhook listening on port %d", self.port)

    async def stop(self) -> None:
        """Stop serving and close every connection (off the loop: a request still being
        served may be waiting for the loop to queue its update)."""
        await asyncio.to_thread(self._stop_serving)

    def _stop_serving(self) -> None:
        self.server.shutdown()
        self._thread.join(10)
        self.server.server_close()
