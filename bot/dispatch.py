"""What an event is: a file over quota, a command, the start of a request, a press from an
old message, or an answer to the flow the contact is in."""

from __future__ import annotations

from bot import commands, followup, quota
from bot.describe import describe
from bot.effects import apply, start_flow
from bot.event import FLOWS, Event
from flows.i18n import _
from flows.intake import is_description
from flows.model import Inbound, Prompt, info

NO_REQUEST = _("No request is open. Type /newcase to start one, or /help for every command.")
OUT_OF_DATE = _("That button is out of date; here is where your request is now.")
FINISHED = _("That button belongs to a request that is already finished (submitted or "
             "cancelled). /cases lists your cases; /newcase starts a new one.")


def run(ev: Event, inbound: Inbound) -> list[Prompt]:
    """Do what `inbound` asks, save the conversation, and say it (tagged with its draft)."""
    refused = inbound.file is not None and quota.take(
        ev.unit, ev.contact.id, inbound.file.sha256, inbound.file.size, ev.svc.file_quota_bytes)
    followed = None if refused else followup.route(ev, inbound)
    if refused:
        prompts = ev.with_current([info(refused)])
    elif followed is not None:
        prompts = followed
    elif inbound.kind == "command":
        prompts = commands.run(ev, inbound.command or "", inbound.args, inbound)
    elif ev.conv is None:
        if ev.auto_start or followup.says_new_case(inbound):
            prompts = start_flow(ev, "intake")
        elif inbound.kind == "text" and is_description(inbound.text):
            prompts = describe(ev, inbound.text)
        elif inbound.kind in ("choice", "multi") and inbound.draft:
            prompts = [info(FINISHED)]
        else:  # short: after Submit or /cancel every further line would repeat it
            prompts = [info(NO_REQUEST)]
    elif _stale(ev, inbound):
        prompts = [info(OUT_OF_DATE, stale=True), ev.current_prompt()]
    else:
        answers, form = ev.conv.draft
        turn = FLOWS[ev.conv.flow].handle(ev.conv.state, answers, form, inbound, ev.ctx)
        prompts = apply(ev, turn)
    ev.save()
    draft = ev.conv.draft_id if ev.conv else None
    return [p.for_draft(draft) for p in prompts]


def _stale(ev: Event, inbound: Inbound) -> bool:
    """A press from an older message than the conversation's current question."""
    assert ev.conv is not None
    if inbound.kind not in ("choice", "multi"):
        return False
    if inbound.draft is not None and inbound.draft != ev.conv.draft_id:
        return True
    return inbound.step is not None and inbound.step != ev.conv.state
