"""Slack Web API clients: on SLACK_API_URL, waiting out rate limits."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.settings import Settings

DEFAULT_API_URL = "https://slack.com/api/"


def api_base(settings: Settings) -> str:
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def make_client(settings: Settings, token: str | None = None) -> WebClient:
    """A WebClient on SLACK_API_URL that waits out HTTP 429 for as long as Retry-After says."""
    client = WebClient(token=token, base_url=api_base(settings))
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    return client
