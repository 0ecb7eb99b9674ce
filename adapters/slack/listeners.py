"""The DM's listeners: messages (and the files in them), slash commands, button presses.

Each acks at once, parses the event (inbound.py) and makes one `Dispatch.handle` call, so one
`Chat` call per event; a press is answered in place (presses.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from adapters.bounded import RecentSet
from adapters.slack import inbound as sin
from adapters.slack import render as srn
from adapters.slack.dispatch import DM_CACHE, Dispatch, Posted
from adapters.slack.presses import PressReply
from bot.protocol import Inbound, Prompt, _, say


class DirectMessages:
    def __init__(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        self.answered_in_place = RecentSet(DM_CACHE)

    def register(self, app: App) -> None:
        app.event("message")(self.on_message)
        app.command("/case")(self.on_command)
        app.command("/urlcheck")(self.on_command)
        app.action(sin.ACTION_PATTERN)(self.on_action)

    def on_message(self, body: dict[str, Any], event: dict[str, Any], client: WebClient,
                   context: Any) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        # a reply in a thread is a plain message with `thread_ts` (or, sent to the DM too,
        # "thread_broadcast"); edits, deletions and the like are not answers
        if event.get("subtype") not in (None, "file_share", "thread_broadcast"):
            return
        team = context.team_id or body.get("team_id") or ""
        user = event.get("user") or ""
        dm = event["channel"]
        self.dispatch.remember_dm(sin.external_id(team, user), dm)
        delivery = f"slack:{body.get('event_id') or event.get('ts')}"
        files = event.get("files") or []
        inbound = sin.message_inbound(event)  # in a thread: answered in that thread
        # files are fetched only if the chat layer asks (the question or the case takes them)
        self.dispatch.handle(client, team, user, dm, inbound, delivery, files=files or None,
                             token=context.bot_token, thread=inbound.thread or None)

    def on_command(self, ack: Callable[..., None], body: dict[str, Any],
                   command: dict[str, Any], client: WebClient, context: Any) -> None:
        name = command.get("command", "")
        in_dm = command.get("channel_name") == "directmessage" or name == "/urlcheck"
        ack() if in_dm else ack(text="I'll answer in my direct messages with you.")
        team = context.team_id or command.get("team_id") or ""
        user = command.get("user_id") or ""
        inbound = sin.slash_inbound(name, command.get("text", ""))
        dm = self.dispatch.dm_for(client, sin.external_id(team, user), user)
        delivery = f"slack:cmd:{command.get('trigger_id') or ''}" if command.get(
            "trigger_id") else None
        if name == "/urlcheck":
            self.url_check(client, team, user, dm, command, inbound, delivery)
            return
        self.dispatch.handle(client, team, user, dm, inbound, delivery)

    def url_check(self, client: WebClient, team: str, user: str, dm: str,
                  command: dict[str, Any], inbound: Inbound, delivery: str | None) -> None:
        """`/urlcheck` answers only the person who asked (ephemeral), where they asked."""
        def ephemeral(prompts: list[Prompt]) -> Posted:
            first = prompts[:1]
            if first:
                client.chat_postEphemeral(channel=command.get("channel_id") or dm, user=user,
                                          unfurl_links=False, unfurl_media=False,
                                          **srn.render(first[0]))
            prompts.clear()  # nothing else goes to the DM
            return []

        self.dispatch.handle(client, team, user, dm, inbound, delivery, before=ephemeral)

    def on_action(self, ack: Callable[..., None], body: dict[str, Any],
                  action: dict[str, Any], client: WebClient, context: Any) -> None:
        ack()
        team = context.team_id or (body.get("team") or {}).get("id") or ""
        user = (body.get("user") or {}).get("id") or ""
        container = body.get("container") or {}
        dm = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
        ts = container.get("message_ts")
        message = body.get("message") or {}
        blocks = message.get("blocks") or []
        # a press on a message in a thread (a case's Solved / Still broken) answers there
        thread = str(container.get("thread_ts") or message.get("thread_ts") or "")
        thread = thread if thread and thread != ts else ""
        action_id = action.get("action_id", "")
        delivery = sin.delivery_for_action(body, action)
        if action_id in (srn.ID_YES, srn.ID_NO):
            if ts:
                # the notification text: the question's own, in the person's language
                text = message.get("text") or say(_("Email confirmation"),
                                                  self.dispatch.language_of(team, user))
                client.chat_update(channel=dm, ts=ts, text=text,
                                   blocks=srn.answered(blocks, sin.chosen_label(action)))
            self.dispatch.handle(client, team, user, dm, sin.identity_inbound(action_id),
                                 delivery)
            return
        state = body.get("state")
        inbound = sin.action_inbound(action, state)
        if inbound is None:
            return
        label = sin.chosen_label(action, state)
        ephemeral = bool(container.get("is_ephemeral"))
        if ephemeral or inbound.kind == "command":
            # e.g. "Request reclassification" under a /urlcheck answer in a channel: the
            # request itself continues in the DM, never in the channel.
            dm = self.dispatch.dm_for(client, sin.external_id(team, user), user)
        reply = PressReply(self.answered_in_place, client, dm, ts, blocks,
                           message.get("text") or "casebot", label, ephemeral)
        self.dispatch.handle(client, team, user, dm, inbound, delivery, before=reply.before,
                             tidy=reply.tidy, thread=thread or None)
