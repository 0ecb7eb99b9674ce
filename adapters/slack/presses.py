"""A press answered in one Web API call (issue 13): the pressed message is `chat.update`d into
what was chosen plus the next question; only prompts after the first are posted. Falls back to
"post, then tidy the pressed message" when the merge would pass Slack's block limit, for a
stale press and on an ephemeral message (which can't be updated)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from adapters.bounded import RecentSet
from adapters.slack import render as srn
from adapters.slack.dispatch import Posted
from bot.protocol import Prompt


@dataclass
class PressReply:
    """`before` (ahead of posting) and `tidy` (after it) for one press, for `SlackBot.handle`."""

    answered: RecentSet  # messages turned into "answer + next question" (a double click
                         # on one must not overwrite it)
    client: WebClient
    dm: str
    ts: str | None
    blocks: list[dict[str, Any]]
    fallback: str
    label: str
    ephemeral: bool
    done: bool = field(default=False)

    @property
    def key(self) -> str:
        return f"{self.dm}:{self.ts}"

    def before(self, prompts: list[Prompt]) -> Posted:
        """Answer in place when it fits; says which prompt the pressed message now shows
        (a Submit's confirmation there is its case's thread parent)."""
        if self.key in self.answered:
            self.done = True  # already shows its answer: leave it, post what follows
            return []
        if not prompts or not self.ts or self.ephemeral or prompts[0].stale:
            return []
        nxt = srn.render(prompts[0])
        merged = [*srn.answered(self.blocks, self.label), {"type": "divider"}, *nxt["blocks"]]
        if len(merged) > srn.BLOCKS_MAX:
            return []  # too long for one message: answer it, then post the question
        self.client.chat_update(channel=self.dm, ts=self.ts, text=nxt["text"], blocks=merged)
        shown = prompts.pop(0)
        self.done = True
        self.answered.add(self.key)
        return [(shown, self.ts)]

    def tidy(self, prompts: list[Prompt]) -> None:
        if self.done or not prompts or not self.ts or self.ephemeral:
            return
        label = "out of date" if prompts[0].stale else self.label
        self.client.chat_update(channel=self.dm, ts=self.ts, text=self.fallback,
                                blocks=srn.answered(self.blocks, label))
