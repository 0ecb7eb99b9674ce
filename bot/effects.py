"""Carrying out a flow's turn: move the conversation, then do the effect it asked for.

Opening a flow on top of another and returning to it, abandoning, saving a profile or
My profile, submitting a case: what a flow cannot do itself (flows/flow.py, `Effect`).
"""

from __future__ import annotations

import logging
from typing import Any, assert_never

from bot import alerts, clock, mails
from bot.event import FLOWS, Event
from bot.texts import HELP
from flows import rules
from flows.answers import as_request
from flows.case import case_fields
from flows.flow import Abandon, AtStart, DeleteProfile, Finish, Jump, Return, Turn
from flows.formstate import Answers, join
from flows.i18n import _, joined
from flows.model import Prompt, info

log = logging.getLogger(__name__)


def apply(ev: Event, turn: Turn) -> list[Prompt]:
    """Take the flow's turn; carry out the effect it asked for, if any."""
    assert ev.conv is not None
    ev.conv.move(turn.state, turn.answers, turn.form)
    match turn.effect:
        case None:
            return turn.prompts
        case Finish():
            return finish(ev, turn.effect)
        case Jump(flow=flow, args=args, note=note):
            return [*([info(note)] if note else []), *push(ev, flow, args)]
        case Abandon():
            return cancel(ev)
        case DeleteProfile(profile_id=pid):
            return delete_profile(ev, pid)
        case Return(value=value):
            if ev.conv.stack:
                return pop(ev, value)
            ev.end()
            return [info(_("Done. {help}", help=HELP))]
        case AtStart():
            if ev.conv.stack:
                return pop(ev, None)
            return [info(_("This is the first question. Type /cancel to discard it.")),
                    *turn.prompts]
        case _:
            assert_never(turn.effect)


def start_flow(ev: Event, name: str, answers: Answers | None = None,
               state: str | None = None) -> list[Prompt]:
    """Open `name` as the contact's conversation (a new one, or in place of the current)."""
    turn = FLOWS[name].start(ev.ctx, answers, state)
    if ev.conv is None:
        ev.conv = ev.unit.conversations.insert(ev.contact.id, name, turn.state,
                                           join(turn.answers, turn.form), [], ev.who.channel)
    else:
        ev.conv.flow = name
    return apply(ev, turn)


def push(ev: Event, name: str, args: dict[str, Any]) -> list[Prompt]:
    """Open `name` on top of the current flow, which waits on the stack as it is."""
    assert ev.conv is not None
    ev.conv.push(name)
    answers = dict(args.get("answers") or {k: v for k, v in args.items() if k != "state"})
    turn = FLOWS[name].start(ev.ctx, answers, args.get("state"))
    return apply(ev, turn)


def pop(ev: Event, value: str | None, note: str = "") -> list[Prompt]:
    """Close the top flow; the one below resumes, given `value` (None: nothing chosen)."""
    assert ev.conv is not None
    assert ev.conv.stack
    ev.conv.pop()
    answers, form = ev.conv.draft
    turn = FLOWS[ev.conv.flow].resume(ev.conv.state, answers, form, value, ev.ctx)
    prompts = apply(ev, turn)
    return [info(note), *prompts] if note else prompts


def cancel(ev: Event) -> list[Prompt]:
    """/cancel, or Cancel in a review: back to the flow underneath, or the draft is gone."""
    if ev.conv is None:
        return [info(_("There is no request in progress. {help}", help=HELP))]
    if ev.conv.stack:
        return pop(ev, None, note=_("Cancelled; back to your request."))
    ev.end()
    return [info(_("Cancelled. Nothing was submitted. Type /newcase to start again."))]


def delete_profile(ev: Event, profile_id: int) -> list[Prompt]:
    deleted = ev.unit.profiles.delete(ev.contact, profile_id)
    ev.world.forget()
    note = _("Profile deleted.") if deleted else _("That profile is not yours to delete.")
    return [info(note), ev.current_prompt()]


def finish(ev: Event, effect: Finish) -> list[Prompt]:
    """A flow's answers are complete: save the profile or My profile, or submit the case."""
    assert ev.conv is not None
    if effect.flow == "intake":
        return submit(ev, effect.answers)
    if effect.flow == "profile":
        pid = ev.unit.profiles.save(ev.contact, effect.answers)
        ev.world.forget()
        if ev.conv.stack:
            return pop(ev, str(pid))
        ev.end()
        return [info(_("Profile saved."))]
    if effect.flow == "myprofile":
        ev.contact = ev.unit.contacts.save_my_profile(
            ev.contact.id, effect.answers["name"],
            effect.answers.get("case_recipients") or [],
            listed=effect.answers.get("listed") == "yes")
        ev.world.contact = ev.contact
        ev.ctx.contact_email = ev.contact.email
        if ev.conv.stack:
            return pop(ev, None, note=_("Your profile is saved."))
        ev.end()
        return [info(_("Your profile is saved. New requests will copy your Case Recipients."))]
    raise AssertionError(f"unknown flow {effect.flow!r}")


def submit(ev: Event, answers: Answers) -> list[Prompt]:
    """Check the request against the rules and the quota, then create its case (once)."""
    assert ev.conv is not None
    svc = ev.svc
    profile = ev.ctx.profile(int(answers["profile"]))
    if profile is None:
        form = ev.conv.draft[1]
        answers.pop("profile", None)
        ev.conv.move("profile", answers, form)
        return [info(_("That product profile no longer exists; please choose another.")),
                ev.current_prompt()]
    fields = case_fields(as_request(answers), profile, ev.ctx)
    broken = rules.violations(fields, profile.operating_systems, ev.ctx.cat,
                              zip_ok=svc.zip_ok(fields.get("archive_password"),
                                                fields.get("issue_category")))
    if broken:  # the reasons quote user text (file names, addresses): not logged
        log.error("refusing a case that breaks %d rule(s)", len(broken))
        ev.conv.state = "review"
        return [info(_("Something in this request doesn't fit together ({problems}). Please "
                       "edit it and submit again.", problems=joined("; ", broken))),
                ev.current_prompt()]
    key = f"draft:{ev.conv.draft_id}"
    if (ev.unit.cases.by_key(key) is None
            and ev.unit.cases.count_since(ev.contact.id, hours=1) >= svc.max_cases_per_hour):
        ev.conv.state = "review"
        return [info(_("You have opened {count} cases in the last hour, the most I can take "
                       "from one person. Your request is kept: submit it again later, or call "
                       "support if it is urgent.", count=svc.max_cases_per_hour)),
                ev.current_prompt()]
    case, created = ev.unit.cases.create(ev.contact, key, ev.who.channel, fields)
    if created:
        clock.started(ev.unit, case)
        data = ev.unit.cases.as_json(case)
        mails.queue_confirmation(ev.unit, data, case.id, svc.mail_from, ev.speaks())
        alerts.case_opened(ev.unit, case, svc.staff)
    ev.end()
    text = joined("\n", [
        _("Thank you. Your request has been submitted."),
        _("Case number: {number}", number=case.number),
        *([_("Reference id: {reference}", reference=case.reference_id)]
          if case.reference_id else []),
        _("A confirmation email is on its way. /cases lists your cases.")])
    return [Prompt(kind="done", text=text, data={"number": case.number,
                                                  "reference_id": case.reference_id})]


