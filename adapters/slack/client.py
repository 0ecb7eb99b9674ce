"""Slack Web API clients: on SLACK_API_URL, waiting out rate limits, reusing connections.

slack_sdk's `WebClient` opens a new connection (TCP + TLS handshake: several round trips to
Slack) for every call through `urllib.request.urlopen`. `KeepAliveClient` sends the same
request over an `http.client` connection kept per thread and host, and hands slack_sdk the
same results urllib would (an `HTTPError` for 4xx/5xx, so its 429 retry handler still works).
It overrides one method, `_perform_urllib_http_request_internal`; with a proxy configured it
falls back to slack_sdk's own.
"""

from __future__ import annotations

import http.client
import io
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store import InstallationStore

from bot.protocol import Settings

DEFAULT_API_URL = "https://slack.com/api/"


class KeepAliveClient(WebClient):
    _local = threading.local()

    def _connection(self, scheme: str, host: str, port: int | None,
                    fresh: bool = False) -> http.client.HTTPConnection:
        pool: dict[tuple[str, str, int | None], http.client.HTTPConnection] = \
            self._local.__dict__.setdefault("pool", {})
        key = (scheme, host, port)
        conn = pool.get(key)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            conn = (http.client.HTTPSConnection(host, port, timeout=self.timeout,
                                                context=self.ssl) if scheme == "https"
                    else http.client.HTTPConnection(host, port, timeout=self.timeout))
            pool[key] = conn
        return conn

    def _perform_urllib_http_request_internal(self, url: str,
                                              req: urllib.request.Request) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in ("http", "https") or not parts.hostname:
            return super()._perform_urllib_http_request_internal(url, req)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(req.header_items())
        for attempt in (1, 2):  # a kept connection the server has closed: once more, fresh
            conn = self._connection(parts.scheme, parts.hostname, parts.port, fresh=attempt > 1)
            try:
                conn.request(req.get_method(), target, body=req.data, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                if attempt == 2:
                    raise
        if resp.status >= 400:
            raise urllib.error.HTTPError(url, resp.status, resp.reason, resp.headers,
                                         io.BytesIO(body))
        if resp.headers.get_content_type() == "application/gzip":
            return {"status": resp.status, "headers": resp.headers, "body": body}
        charset = resp.headers.get_content_charset() or "utf-8"
        return {"status": resp.status, "headers": resp.headers, "body": body.decode(charset)}


def api_base(settings: Settings) -> str:
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def keep_alive(client: WebClient) -> WebClient:
    """The same client (token, base URL, timeout, TLS, proxy, headers, retries) on kept
    connections. Bolt hands every listener a fresh plain `WebClient` (slack_bolt/app/app.py,
    `_init_context`), whatever client the App was given."""
    if isinstance(client, KeepAliveClient):
        return client
    return KeepAliveClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                           ssl=client.ssl, proxy=client.proxy, headers=client.headers,
                           team_id=client.default_params.get("team_id"),
                           logger=client._logger,
                           retry_handlers=list(client.retry_handlers or []))


def keep_alive_middleware(context: Any, next: Any) -> None:  # `next`: Bolt's name
    """Global Bolt middleware: listeners' `client` keeps its connections."""
    if "client" in context:
        context["client"] = keep_alive(context["client"])
    next()


def make_client(settings: Settings, token: str | None = None) -> WebClient:
    """A keep-alive WebClient on SLACK_API_URL that waits out HTTP 429 as Retry-After says."""
    client = KeepAliveClient(token=token, base_url=api_base(settings))
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    return client


def clients_for(settings: Settings,
                installation_store: InstallationStore | None) -> Callable[[str], WebClient | None]:
    """A workspace's client by team id: the one bot token's, or its OAuth install's (None:
    the workspace uninstalled the app)."""
    if installation_store is None:
        client = make_client(settings, settings.slack_bot_token)
        return lambda team: client

    def by_install(team: str) -> WebClient | None:
        bot = installation_store.find_bot(enterprise_id=None, team_id=team)
        return make_client(settings, bot.bot_token) if bot else None

    return by_install
