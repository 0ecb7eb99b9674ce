"""The chat commands (/newcase, /back, /cases, …): one handler per command id, with what
each says, and describe-first (a request opened from what the user wrote)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import followup, languages, mails
from bot.describe import describe
from bot.effects import apply, cancel, push, start_flow
from bot.event import FLOWS, Event
from bot.ratings import describe as describe_rating
from bot.ratings import rating_lines
from bot.texts import HELP
from flows import commands
from flows.answers import URL_RECLASS
from flows.commands import RECLASSIFY, button_id
from flows.errors import Invalid
from flows.i18n import _, joined, ngettext
from flows.intake import INTAKE
from flows.model import Choice, Inbound, Prompt, info
from flows.normalize import case_number
from flows.urls import read_urls
from flows.when import Moment


def run(ev: Event, name: str, args: str, inbound: Inbound | None = None) -> list[Prompt]:
    """Run /name: each command id (flows/commands.py) has one handler in `COMMANDS`."""
    handler = COMMANDS.get(commands.canonical(name))
    if handler is None:
        return ev.with_current([info(_("I don't know the command /{name}. {help}", name=name,
                                       help=HELP))])
    return handler(ev, inbound or Inbound(kind="command", command=name, args=args))


def newcase(ev: Event, ask: Inbound) -> list[Prompt]:
    """`/newcase` opens a request; `/newcase TEXT` describes it first (describe-first),
    with the files and link of the message it came from, if any (issue 15)."""
    args = ask.args
    if args.strip() and (not ev.in_request() or ev.untouched()):
        ev.end()
        if ask.files or ask.source:
            return describe(ev, args, ask.files, ask.source)
        return describe(ev, args)
    if ev.untouched():  # e.g. `casebot chat` opened it: nothing is in progress
        return [ev.current_prompt()]
    if ev.in_request():
        return [info(_("You have a request in progress; let's continue where you left "
                       "off. Type /cancel to discard it and start again.")),
                ev.current_prompt()]
    ev.end()
    return start_flow(ev, "intake")


def back(ev: Event) -> list[Prompt]:
    if ev.conv is None:
        return [info(_("There is nothing to go back to. {help}", help=HELP))]
    answers, form = ev.conv.draft
    return apply(ev, FLOWS[ev.conv.flow].back(ev.conv.state, answers, form, ev.ctx))


def where(ev: Event) -> list[Prompt]:
    """Where the person is (a chat just opened, or they just linked)."""
    if ev.conv is None and ev.auto_start:
        return start_flow(ev, "intake")
    return ev.with_current([] if ev.conv else [info(HELP)])


def profiles(ev: Event) -> list[Prompt]:
    if ev.conv is None:
        return start_flow(ev, "profiles")
    if ev.conv.flow == "intake":
        return push(ev, "profiles", {"for_request": False})
    return [ev.current_prompt()]


def myprofile(ev: Event) -> list[Prompt]:
    answers: dict[str, Any] = {"name": ev.contact.name,
                               "case_recipients": list(ev.contact.case_recipients),
                               "listed": "yes" if ev.world.listed() else "no"}
    if ev.conv is None:
        return start_flow(ev, "myprofile", answers, "review")
    if ev.conv.flow == "myprofile":
        return [ev.current_prompt()]
    return push(ev, "myprofile", {"answers": answers, "state": "review"})


def list_cases(ev: Event) -> Prompt:
    cases = ev.unit.cases.of_contact(ev.contact.id, limit=20)
    if not cases:
        return info(_("You have no cases yet. Type /newcase to open one."))
    lines = [_("Your cases (newest first):")]
    for c in cases:
        lines.append(_("{number} · {subject} · {status} · updated {when}", number=c.number,
                       subject=c.subject, status=_(c.status), when=Moment.utc(c.updated_at)))
    return info(joined("\n", lines), cases=[c.number for c in cases])


def show_case(ev: Event, number: str) -> Prompt:
    number = case_number(number)
    if not number:
        return info(_("Which case? Type /case followed by its number, e.g. /case 10000001."))
    case = ev.unit.cases.by_number(number)
    if case is None or case.contact_id != ev.contact.id:
        return info(_("I can't find a case {number} of yours. /cases lists your cases.",
                      number=number))
    data = ev.unit.cases.as_json(case)
    return info(mails.case_text(data), case=data)


CHECKURL_USAGE = _("Usage: /checkurl followed by up to 10 URLs, with or without words around "
                   "them, e.g. /checkurl is this safe? hxxps://example[.]com/login")


def check_urls(ev: Event, args: str) -> Prompt:
    """Rate the 1–10 URLs found in what was typed (words around them are ignored, defanged
    ones are read); the prompt offers a "Request reclassification" command button."""
    found = read_urls(args, listed=True)
    notes = found.notes()
    if not found.urls:
        if notes:
            said = joined("\n", notes)
        elif args.strip():
            said = _("I found no URL to check in that.")
        else:  # /checkurl alone, or App Home's "Check URLs"
            said = _("Which URLs should I check?")
        return info(joined("\n", [said, CHECKURL_USAGE]))
    urls = found.urls
    ratings = ev.svc.rate([u.url for u in urls])
    results = [describe_rating(u, r) for u, r in zip(urls, ratings, strict=True)]
    lines = []
    for n, d in enumerate(results, start=1):
        lines += [joined("", [f"{n}. ", line]) if i == 0 else line
                  for i, line in enumerate(rating_lines(d))]
    lines += notes
    ev.unit.url_checks.remember(ev.contact.id, [u.url for u in urls])
    # chats draw a button; a terminal, which has none, shows the hint
    offer = Choice(id=button_id(RECLASSIFY), label=_("Request reclassification"),
                   hint=_("Think a rating is wrong? Type /reclassify to request a new "
                          "classification for these URLs."))
    return Prompt(kind="info", text=joined("\n", lines),
                  data={"urls": [u.url for u in urls], "results": results,
                        "reclassify": True}, choices=(offer,))


def reclassify(ev: Event, args: str) -> list[Prompt]:
    """Start a URL Reclassification request with the URLs given (or last checked)."""
    text = args.strip() or "\n".join(ev.unit.url_checks.last(ev.contact.id))
    if not text:
        return ev.with_current([info(_(
            "Which URLs? Type /reclassify followed by 1 to 10 URLs, or check them first "
            "with /checkurl URL…"))])
    if ev.in_request() and not ev.untouched():
        return [info(_("You have a request in progress; finish it first, or type /cancel "
                       "to discard it and then /reclassify again.")), ev.current_prompt()]
    try:
        urls = INTAKE.by_name["urls"].read(Inbound(kind="text", text=text), {}, ev.ctx, None)
    except Invalid as exc:
        return ev.with_current([info(joined(" ", [str(exc),
                                                  _("Usage: /reclassify URL [URL…]")]))])
    ev.end()
    answers = {"issue": URL_RECLASS, "urls": urls}
    note = info(ngettext("A URL Reclassification request for {n} URL; the URL is filled in.",
                         "A URL Reclassification request for {n} URLs; the URLs are filled "
                         "in.", len(urls)))
    return [note, *start_flow(ev, "intake", answers)]


# One handler per command id; `run` looks the typed name up (aliases included).
COMMANDS: dict[str, Callable[[Event, Inbound], list[Prompt]]] = {
    commands.NEWCASE: newcase,
    commands.CANCEL: lambda e, _ask: cancel(e),
    commands.BACK: lambda e, _ask: back(e),
    commands.HELP: lambda e, _ask: e.with_current([info(HELP)]),  # (HELP is a message)
    commands.WHERE: lambda e, _ask: where(e),
    commands.CASES: lambda e, _ask: e.with_current([list_cases(e)]),
    commands.CASE: lambda e, ask: e.with_current([show_case(e, ask.args)]),
    commands.PROFILES: lambda e, _ask: profiles(e),
    commands.MYPROFILE: lambda e, _ask: myprofile(e),
    commands.CHECKURL: lambda e, ask: e.with_current([check_urls(e, ask.args)]),
    commands.RECLASSIFY: lambda e, ask: reclassify(e, ask.args),
    commands.REPLY: lambda e, ask: followup.reply_command(e, ask.args),
    commands.SOLVED: lambda e, ask: followup.solved(e, ask.args),
    commands.STILL_BROKEN: lambda e, ask: followup.still_broken(e, ask.args),
    commands.SURVEY: lambda e, ask: followup.rate(e, ask.args),
    commands.ADD_TO: lambda e, ask: followup.add_held(e, ask.args),
    commands.NEW_FROM: lambda e, ask: followup.new_from_held(e, ask.args),
    commands.SPLIT: lambda e, ask: followup.split(e, ask.args),
    commands.LANGUAGE: lambda e, ask: languages.command(e, ask.args),
}
