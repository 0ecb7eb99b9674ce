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
    # "@casebot is this safe? URL" in a channel (adapters/slack/mentions.py)
    assert "app_mention" in m["settings"]["event_subscriptions"]["bot_events"]
    assert "app_mentions:read" in BOT_SCOPES
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"]["messages_tab_enabled"] is True
    urls = [c["url"] for c in m["features"]["slash_commands"]]
    urls += [m["settings"]["event_subscriptions"]["request_url"],
             m["settings"]["interactivity"]["request_url"]]
    assert all(u.endswith("/slack/events") for u in urls)


def test_manifest_declares_the_shortcuts_and_home_tab() -> None:
    """Issue 15: the ids the adapter listens for (adapters/slack/home.py) are the manifest's."""
    from adapters.slack.home import GLOBAL_SHORTCUT, MESSAGE_SHORTCUT

    m = yaml.safe_load(MANIFEST.read_text())
    shortcuts = {(s["type"], s["callback_id"]): s["name"] for s in m["features"]["shortcuts"]}
    assert shortcuts == {("message", MESSAGE_SHORTCUT): "Open a support case",
                         ("global", GLOBAL_SHORTCUT): "New support case"}
    assert all(len(s["description"]) <= 80 for s in m["features"]["shortcuts"])
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in m["settings"]["event_subscriptions"]["bot_events"]
    assert "commands" in m["oauth_config"]["scopes"]["bot"]  # shortcuts need it
