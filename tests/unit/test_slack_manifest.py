"""The app manifest asks for what the adapter uses, and nothing points elsewhere."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.slack.app import BOT_SCOPES

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yml"


def test_manifest_matches_the_adapter() -> None:
    m = yaml.safe_load(MANIFEST.read_text())
    assert set(m["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert {"users:read.email", "im:history", "chat:write", "files:read", "commands"} <= set(
        BOT_SCOPES)
    assert [c["command"] for c in m["features"]["slash_commands"]] == ["/case", "/urlcheck"]
    assert "message.im" in m["settings"]["event_subscriptions"]["bot_events"]
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"]["messages_tab_enabled"] is True
    urls = [c["url"] for c in m["features"]["slash_commands"]]
    urls += [m["settings"]["event_subscriptions"]["request_url"],
             m["settings"]["interactivity"]["request_url"]]
    assert all(u.endswith("/slack/events") for u in urls)
