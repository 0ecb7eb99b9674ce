"""Slack adapter: Bolt app (HTTP on /slack/events or Socket Mode) over `bot.chat.Chat`."""
