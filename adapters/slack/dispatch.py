"""One Slack person's event through the chat API: in their order, answered in their DM.

What every listener (DM messages, slash commands, presses in listeners.py; shortcuts and App
Home in shortcuts.py) shares: a striped lock per person, the DM channel of each person, the
email Slack vouches for (users.info, asked only for a person not linked yet), posting a
`Reply`, the App Home view, and fetching files with the right workspace's token. It calls
`Chat` once per event; the Web API client it is handed per event, or per workspace through
`clients` (app.py builds them).
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache, TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack import files as sfiles
from adapters.slack import home
from adapters.slack import inbound as sin
from adapters.slack import render as srn
from bot.chat import Chat
from bot.protocol import (
    Fetched,
    FromMessage,
    Inbound,
    OpenCase,
    PendingFile,
    Prompt,
    Vouched,
    Who,
    none_fetched,
)

log = logging.getLogger(__name__)

CHANNEL = "slack"
LOCK_STRIPES, DM_CACHE = 256, 10_000
# a person's Slack locale (users.info include_locale) for a person whose identity keeps none
# (not linked yet), asked once an hour at most; a linked person's is kept with their identity,
# read at linking and refreshed by Slack's user_change event (issue 27)
LOCALE_SECONDS = 3600
PROFILE_SECONDS = 30  # an email vouched for is read fresh for each link, not from an old read

Posted = list[tuple[Prompt, str]]
"""Prompts shown, each with the ts of the message that shows it."""

Clients = Callable[[str], WebClient | None]
"""A workspace's Web API client by team id (None: the app was uninstalled there)."""


class Dispatch:
    """Per process: the chat API, per-person ordering, DMs, App Home; thread-safe."""

    def __init__(self, chat: Chat, clients: Clients, api_base: str) -> None:
        self.chat = chat
        self.clients = clients
        self.api_base = api_base
        self.dms: LRUCache[str, str] = LRUCache(maxsize=DM_CACHE)
        # a fixed set of locks, picked by user: bounded memory, one person's events in order
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]
        self.locales: TTLCache[str, str | None] = TTLCache(maxsize=DM_CACHE,
                                                           ttl=LOCALE_SECONDS)
        # users.info as the locale look-up read it, for a directory look-up in the same event
        self.profiles: TTLCache[str, dict[str, Any]] = TTLCache(maxsize=DM_CACHE,
                                                                ttl=PROFILE_SECONDS)
        self._locales_lock = threading.Lock()

    def lock_for(self, ext: str) -> threading.Lock:
        return self._locks[zlib.crc32(ext.encode()) % LOCK_STRIPES]

    def remember_dm(self, ext: str, dm: str) -> None:
        self.dms[ext] = dm

    def dm_for(self, client: WebClient, ext: str, user_id: str) -> str:
        if ext not in self.dms:
            self.remember_dm(ext, client.conversations_open(users=user_id)["channel"]["id"])
        return self.dms[ext]

    def post(self, client: WebClient, channel: str, message: dict[str, Any],
             thread: str | None = None) -> str:
        """Post `message` (in `thread` when given); returns its ts."""
        sent = client.chat_postMessage(channel=channel, unfurl_links=False, unfurl_media=False,
                                       thread_ts=thread or None, **message)
        return str(sent.get("ts") or "")

    def post_prompts(self, client: WebClient, channel: str, prompts: list[Prompt],
                     thread: str | None = None) -> Posted:
        return [(prompt, self.post(client, channel, srn.render(prompt), thread))
                for prompt in prompts]

    def remember_cases(self, who: Who, posted: Posted) -> None:
        """A submit confirmation is the parent of its case's thread: a reply in that thread
        reaches the case (`Chat.remember`)."""
        for prompt, ts in posted:
            number = prompt.data.get("number") if prompt.kind == "done" else None
            if number and ts:
                self.chat.remember(who, str(number), ts)

    def locale_of(self, client: WebClient, ext: str, user: str) -> str | None:
        """The person's Slack language ("ja-JP"), what casebot speaks to a person who chose
        none (bot/i18n.py): users.info with include_locale, cached per person. Asked by the
        chat layer only when their identity keeps none (`Who.ask_locale`)."""
        with self._locales_lock:
            if ext in self.locales:
                return self.locales[ext]
        profile: dict[str, Any] | None = None
        try:
            profile = client.users_info(user=user, include_locale=True)["user"]
        except SlackApiError as exc:
            log.warning("users.info (locale) failed: %s", exc.response.get("error"))
        found = (profile or {}).get("locale")
        with self._locales_lock:
            self.locales[ext] = str(found) if found else None
            if profile is not None:  # the directory of this event reads it, not Slack again
                self.profiles[ext] = profile
        return str(found) if found else None

    def language_of(self, team: str, user: str) -> str:
        """The asker's language for a reply outside their DM (a channel mention): their own
        choice or the locale kept with their identity when linked, else what this process
        already knows of them, else the deployment's default. Slack is not asked: a
        mention stays one post, and asks nothing about a person casebot does not know."""
        ext = sin.external_id(team, user)
        with self._locales_lock:
            known = self.locales.get(ext)
        return self.chat.language_of(Who(CHANNEL, ext, locale=known))

    def asker(self, client: WebClient, ext: str, user: str) -> Callable[[], str | None]:
        return lambda: self.locale_of(client, ext, user)

    def locale_changed(self, client: WebClient, team: str, user: dict[str, Any]) -> None:
        """Slack's `user_change`: the person's locale as the event gives it (else asked with
        users.info, on this event only) is kept with their identity and in this process."""
        user_id = str(user.get("id") or "")
        if not user_id:
            return
        ext = sin.external_id(team, user_id)
        found = user.get("locale")
        if not found:
            try:
                found = client.users_info(user=user_id, include_locale=True)["user"].get(
                    "locale")
            except SlackApiError as exc:
                log.warning("users.info (locale) failed: %s", exc.response.get("error"))
                return
        locale = str(found) if found else None
        with self._locales_lock:
            self.locales[ext] = locale
            self.profiles.pop(ext, None)
        self.chat.locale_changed(CHANNEL, ext, locale)

    def directory(self, client: WebClient, team: str, user: str) -> Callable[[], Vouched]:
        """users.info, asked only for a person not linked yet: their email, whether Slack
        confirmed it (`is_email_confirmed`), and the workspace that vouches for it."""
        ext = sin.external_id(team, user)

        def look_up() -> Vouched:
            with self._locales_lock:  # this event's locale look-up read it already
                profile = self.profiles.get(ext)
            if profile is not None:
                return vouched(profile)
            try:  # the locale too: it is kept with the identity this look-up links
                profile = client.users_info(user=user, include_locale=True)["user"]
            except SlackApiError as exc:
                log.warning("users.info failed: %s", exc.response.get("error"))
                return Vouched(None, False, team)
            found = profile.get("locale")
            with self._locales_lock:  # and this event's reply reads the locale from it
                self.locales[ext] = str(found) if found else None
                self.profiles[ext] = profile
            return vouched(profile)
        return look_up

    def handle(self, client: WebClient, team: str, user: str, dm: str,
               event: Inbound | FromMessage, delivery_id: str | None, *,
               before: Callable[[list[Prompt]], Posted] | None = None,
               tidy: Callable[[list[Prompt]], None] | None = None,
               files: list[dict[str, Any]] | None = None, token: str | None = None,
               thread: str | None = None) -> None:
        """One event through the chat API, answered in the DM (in `thread`, the thread the
        event came from, when given); `before` may take prompts off to show them elsewhere (a
        press's message, an ephemeral answer) and says where it showed them, `tidy` (the
        pressed message) runs after the post. `files`: the event's Slack files, fetched with
        `token` only if the chat layer asks for them."""
        ext = sin.external_id(team, user)
        fetch = None
        if files:
            def fetch(who: Who, pending: tuple[PendingFile, ...]) -> Fetched:
                return sfiles.download_all(client, token or client.token, files, self.chat,
                                           self.api_base, who, pending)
        with self.lock_for(ext):
            who = Who(channel=CHANNEL, external_id=ext, chat_ref=dm,
                      ask_locale=self.asker(client, ext, user))
            reply = self.chat.handle(who, event, delivery_id=delivery_id,
                                     directory=self.directory(client, team, user), fetch=fetch)
            prompts = list(reply.prompts)
            for notice in reply.notices:
                self.post(client, dm, srn.info_message(notice), thread)
            posted = before(prompts) if before is not None else []
            posted += self.post_prompts(client, dm, prompts, thread)
            self.remember_cases(who, posted)
            if tidy is not None:
                tidy(prompts)
        # a new case posted as a message: the home tab lists it (a Submit press answered in
        # place leaves it to the next app_home_opened, as before: one Web API call a press)
        if reply.open_cases is not None and any(p.kind == "done" for p in prompts):
            self.publish(client, user, reply.open_cases, reply.language)

    def fetch_files(self, who: Who, pending: tuple[PendingFile, ...]) -> Fetched:
        """The chat layer's way to fetch a message's files once its person is linked, in this
        process (maybe not the one that saw the shortcut): the team's bot token, and files.info
        for each file's download URL."""
        team = who.external_id.partition(":")[0]
        client = self.clients(team)
        if client is None:  # the workspace uninstalled the app since
            return none_fetched(pending)
        return sfiles.download_all(client, client.token,
                                   [{"id": p.id, "name": p.name, "size": p.size}
                                    for p in pending], self.chat, self.api_base, who, pending)

    def publish_home(self, client: WebClient, team: str, user: str) -> None:
        """views.publish the person's open cases (on opening the tab, and when a case
        changes); read without writing anything."""
        ext = sin.external_id(team, user)
        view = self.chat.view(Who(CHANNEL, ext, ask_locale=self.asker(client, ext, user)),
                              cases=True)
        self.publish(client, user, view.open_cases, view.language)

    def publish(self, client: WebClient, user: str, cases: list[OpenCase] | None,
                language: str = "en") -> None:
        try:
            client.views_publish(user_id=user, view=home.home_view(cases, language))
        except SlackApiError as exc:
            log.warning("views.publish failed: %s", exc.response.get("error"))


def vouched(user: dict[str, Any]) -> Vouched:
    """What users.info's `user` says about a person's email, and who says it (issue 22,
    finding 11). The team is the person's own workspace (`team_id`), not the one the event
    came from: through Slack Connect a member of any other organisation can write to the app
    in a trusted workspace, and their email is only as good as their own workspace's admins.
    A person Slack marks `is_stranger` (an external member the workspace shares no channel
    with) is never confirmed. The chat layer trusts the email only when it is confirmed and
    the team is one of SLACK_ALLOWED_TEAMS; otherwise the person gets the mailed code."""
    profile = user.get("profile") or {}
    confirmed = user.get("is_email_confirmed") is True and user.get("is_stranger") is not True
    own_team = user.get("team_id")
    locale = user.get("locale")
    return Vouched(profile.get("email"), confirmed,
                   own_team if isinstance(own_team, str) else "",
                   user.get("real_name") or profile.get("real_name", ""),
                   str(locale) if locale else None)
