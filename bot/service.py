"""`Service.handle(who, inbound) -> prompts`: the one entry point every chat adapter calls.

One event is one unit of work: load the contact's conversation, run one step of the flow it is
in, apply what the step asked for (open a sub-flow, save a profile, submit a case), save, and
commit. If another event on the same conversation committed first, the whole unit is retried
from fresh data; if the database is unreachable, nothing is half-saved and the user is asked to
try again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import accounts, mails, quota
from bot.ratings import describe, rating_lines
from bot.samples import SampleChecks
from flows import commands, rules
from flows.case import case_fields
from flows.commands import RECLASSIFY, button_id
from flows.context import Ctx, untested
from flows.errors import Invalid
from flows.form import Abandon, AtStart, Finish, Turn
from flows.intake import (
    INTAKE,
    URL_RECLASS,
    describe_first,
    is_description,
    sample_suffixes,
)
from flows.model import Choice, FileRef, Inbound, Prompt, info
from flows.myprofile import MYPROFILE
from flows.profile import MENU, PROFILE, DeleteProfile, Return
from flows.steps import Jump
from flows.urls import parse_url_list
from store import repo
from store.files import BlobStore
from store.repo import ContactInfo
from store.tables import ChatNotice
from store.uow import EventUnit, event_unit, unit_of_work
from store.world import RateFn, StoreWorld

log = logging.getLogger(__name__)

FLOWS: dict[str, Any] = {"intake": INTAKE, "profile": PROFILE, "profiles": MENU,
                         "myprofile": MYPROFILE}
RETRIES = 8
# How long a busy/locked store may be retried (plus one busy timeout) before the user is
# asked to try again, so a long lock never leaves a chat waiting for minutes.
BUSY_BUDGET = 2.0

HELP = (
    "Commands: /newcase opens a support case · /cases lists your cases · /case NUMBER shows "
    "one · /profiles manages product profiles · /myprofile sets your name and default CC "
    "list · /checkurl URL… checks URL ratings · "
    "/reclassify URL… requests a new URL classification · /back "
    "goes to the previous question · /cancel discards the current request · /help shows this."
)
STORE_DOWN = ("casebot can't reach its database right now, so your last answer was not saved. "
              "Please send it again in a minute.")
NO_REQUEST = ("No request is open. Type /newcase to start one, or /help for every command.")
OUT_OF_DATE = "That button is out of date; here is where your request is now."


@dataclass(frozen=True)
class Who:
    """The person behind an event: the channel and their id there."""

    channel: str
    external_id: str
    email: str | None = None
    name: str = ""
    chat_ref: str | None = None


class NotLinked(Exception):
    """The chat identity is not linked to a contact yet (the adapter runs verification)."""


class Service:
    def __init__(self, engine: Engine, files: BlobStore, *, rate: RateFn = untested,
                 max_attachment_bytes: int = 250 * 1024 * 1024,
                 mail_from: str = "casebot@localhost", unknown_domains: str = "own",
                 cc_outside_domains: bool = False, max_cases_per_hour: int = 10,
                 samples: SampleChecks | None = None,
                 file_quota_bytes: int = 2048 * 1024 * 1024) -> None:
        self.engine = engine
        self.file_quota_bytes = file_quota_bytes  # CASEBOT_FILE_QUOTA_MB (bot/quota.py)
        self.samples = samples or SampleChecks()  # sample zips: pool + verdict cache
        self.files = files
        self.rate = rate
        self.max_attachment_bytes = max_attachment_bytes
        self.mail_from = mail_from
        self.unknown_domains = unknown_domains  # CASEBOT_UNKNOWN_DOMAINS (bot/accounts.py)
        self.cc_outside_domains = cc_outside_domains  # CASEBOT_CC_OUTSIDE_DOMAINS (flows/cc.py)
        self.max_cases_per_hour = max_cases_per_hour  # CASEBOT_MAX_CASES_PER_HOUR

    # -- the entry point ----------------------------------------------------------------------

    def handle(self, who: Who, inbound: Inbound, *, delivery_id: str | None = None,
               auto_start: bool = False, read_only: bool = False) -> list[Prompt]:
        """Run one event as one unit of work; `read_only` renders without saving anything."""
        give_up = time.monotonic() + BUSY_BUDGET
        for attempt in range(RETRIES):
            try:
                with event_unit(self.engine, read_only=read_only) as unit:
                    if delivery_id and not repo.first_delivery(unit.db, delivery_id):
                        return []
                    contact, conv = self._contact(unit, who)
                    prompts = _Event(self, unit, contact, conv, who, auto_start).run(inbound)
                return prompts
            except repo.StaleConversation:
                continue
            except accounts.UnknownDomain as exc:
                return [info(str(exc))]
            except sa.exc.IntegrityError:
                # a concurrent event inserted first (delivery id, conversation, case key)
                continue
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
                if _is_busy(exc) and time.monotonic() < give_up:
                    time.sleep(min(0.05 * 2 ** attempt, 0.5, max(give_up - time.monotonic(), 0)))
                    continue
                log.warning("store unavailable: %s", type(exc).__name__)
                return [info(STORE_DOWN, retry=True)]
        return [info(STORE_DOWN, retry=True)]

    def current(self, who: Who) -> list[Prompt]:
        """Where the contact's draft is now, without changing anything."""
        return self.handle(who, Inbound(kind="command", command="where"), read_only=True)

    def _contact(self, unit: EventUnit, who: Who) -> tuple[ContactInfo, repo.ConvRow | None]:
        found = repo.load_for_identity(unit.db, who.channel, who.external_id)
        if found is not None:
            return found
        if who.email is None:
            raise NotLinked(who)
        contact = accounts.join(unit.session, who.email, who.name, policy=self.unknown_domains)
        repo.link_identity(unit.session, contact, who.channel, who.external_id, who.chat_ref)
        info_ = ContactInfo.of(contact)
        return info_, repo.load_conversation(unit.db, info_.id)

    def store_file(self, path: str, name: str | None = None) -> Any:
        return self.files.put_path(path, name)

    def zip_ok(self, password: str | None,
               category: str | None) -> Callable[[dict[str, Any]], bool]:
        """For rules.violations: does a stored attachment pass the sample check?"""

        def check(att: dict[str, Any]) -> bool:
            try:
                self.samples.check(att["sha256"], att["path"], att.get("name", ""), password,
                                   sample_suffixes(category))
            except (Invalid, OSError, KeyError):
                return False
            return True

        return check


def _says_new_case(inbound: Inbound) -> bool:
    """Typing "new case" with no request open starts one (mid-form it is just an answer)."""
    return inbound.kind == "text" and inbound.text.strip().casefold() in ("new case", "newcase")


def _is_busy(exc: Exception) -> bool:
    """A lock conflict worth retrying: SQLite busy, PostgreSQL deadlock or serialization."""
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40001", "40P01"):
        return True
    return "database is locked" in str(exc) or "database is busy" in str(exc)


class _Event:
    """The work of one event; lives for that event only."""

    def __init__(self, svc: Service, unit: EventUnit, contact: ContactInfo,
                 conv: repo.ConvRow | None, who: Who, auto_start: bool) -> None:
        self.svc = svc
        self.unit = unit
        self.contact = contact
        self.who = who
        self.auto_start = auto_start
        self.world = StoreWorld(unit, contact, svc.rate,
                                cc_outside_allowed=svc.cc_outside_domains,
                                sample_check=self.check_sample)
        self.ctx = Ctx(world=self.world, contact_email=contact.email,
                       max_attachment_bytes=svc.max_attachment_bytes)
        self.conv = conv

    @property
    def s(self) -> Session:
        """The ORM session, made on first use: most steps need none (store/uow.EventUnit)."""
        return self.unit.session

    def check_sample(self, sha256: str, path: str, name: str, password: str | None,
                     suffixes: tuple[str, ...] | None) -> None:
        """The service's pool and cache; a check longer than a chat should wait goes on and
        its verdict reaches this chat later as a notice (bot/samples.py)."""
        svc, who = self.svc, self.who

        def tell(verdict: str | None) -> None:
            text = (f"{name} passed the sample check. Say done when you have attached "
                    "everything." if verdict is None else f"{name} can't be used: {verdict}")
            try:
                with unit_of_work(svc.engine) as s:
                    s.add(ChatNotice(channel=who.channel, external_id=who.external_id,
                                     chat_ref=who.chat_ref, text=text))
            except sa.exc.SQLAlchemyError as exc:  # the verdict stays cached; "done" asks again
                log.warning("could not queue a sample verdict: %s", type(exc).__name__)

        svc.samples.check(sha256, path, name, password, suffixes, wait=svc.samples.answer_wait,
                          on_done=tell, listener=f"{who.channel}:{who.external_id}")

    # -- dispatch -----------------------------------------------------------------------------

    def run(self, inbound: Inbound) -> list[Prompt]:
        refused = inbound.file is not None and quota.take(
            self.s, self.contact.id, inbound.file.sha256, inbound.file.size,
            self.svc.file_quota_bytes)
        if refused:
            prompts = self.with_current([info(refused)])
        elif inbound.kind == "command":
            prompts = self.command(inbound.command or "", inbound.args, inbound)
        elif self.conv is None:
            if self.auto_start or _says_new_case(inbound):
                prompts = self.start_flow("intake")
            elif inbound.kind == "text" and is_description(inbound.text):
                prompts = self.describe(inbound.text)
            elif inbound.kind in ("choice", "multi") and inbound.draft:
                prompts = [info("That button belongs to a request that is already finished "
                                "(submitted or cancelled). /cases lists your cases; /newcase "
                                "starts a new one.")]
            else:  # short: after Submit or /cancel every further line would repeat it
                prompts = [info(NO_REQUEST)]
        elif self._stale(inbound):
            prompts = [info(OUT_OF_DATE, stale=True), self.current_prompt()]
        else:
            flow = FLOWS[self.conv.flow]
            turn = flow.handle(self.conv.state, self.conv.answers, inbound, self.ctx)
            prompts = self.apply(turn)
        self.save()
        draft = self.conv.draft_id if self.conv else None
        return [p.for_draft(draft) for p in prompts]

    def _stale(self, inbound: Inbound) -> bool:
        assert self.conv is not None
        if inbound.kind not in ("choice", "multi"):
            return False
        if inbound.draft is not None and inbound.draft != self.conv.draft_id:
            return True
        return inbound.step is not None and inbound.step != self.conv.state

    def in_request(self) -> bool:
        return self.conv is not None and self.conv.in_request

    def untouched(self) -> bool:
        return self.conv is not None and self.conv.untouched_request

    def current_prompt(self) -> Prompt:
        assert self.conv is not None
        prompt: Prompt = FLOWS[self.conv.flow].current(self.conv.state, self.conv.answers,
                                                       self.ctx)
        return prompt

    def with_current(self, prompts: list[Prompt]) -> list[Prompt]:
        return [*prompts, self.current_prompt()] if self.conv else prompts

    # -- commands -----------------------------------------------------------------------------

    def command(self, name: str, args: str, inbound: Inbound | None = None) -> list[Prompt]:
        """Run /name: each command id (flows/commands.py) has one handler in `_COMMANDS`."""
        handler = _COMMANDS.get(commands.canonical(name))
        if handler is None:
            return self.with_current([info(f"I don't know the command /{name}. " + HELP)])
        return handler(self, inbound or Inbound(kind="command", command=name, args=args))

    def newcase(self, ask: Inbound) -> list[Prompt]:
        """`/newcase` opens a request; `/newcase TEXT` describes it first (describe-first),
        with the files and link of the message it came from, if any (issue 15)."""
        args = ask.args
        if args.strip() and (not self.in_request() or self.untouched()):
            self.end()
            if ask.files or ask.source:
                return self.describe(args, ask.files, ask.source)
            return self.describe(args)
        if self.untouched():  # e.g. `casebot chat` opened it: nothing is in progress
            return [self.current_prompt()]
        if self.in_request():
            return [info("You have a request in progress; let's continue where you left "
                         "off. Type /cancel to discard it and start again."),
                    self.current_prompt()]
        self.end()
        return self.start_flow("intake")

    def back(self) -> list[Prompt]:
        if self.conv is None:
            return [info("There is nothing to go back to. " + HELP)]
        flow = FLOWS[self.conv.flow]
        return self.apply(flow.back(self.conv.state, self.conv.answers, self.ctx))

    def help(self) -> list[Prompt]:
        return self.with_current([info(HELP)])

    def where(self) -> list[Prompt]:
        """Where the person is (a chat just opened, or they just linked)."""
        if self.conv is None and self.auto_start:
            return self.start_flow("intake")
        return self.with_current([] if self.conv else [info(HELP)])

    def profiles(self) -> list[Prompt]:
        if self.conv is None:
            return self.start_flow("profiles")
        if self.conv.flow == "intake":
            return self.push("profiles", {"for_request": False})
        return [self.current_prompt()]

    def myprofile(self) -> list[Prompt]:
        answers: dict[str, Any] = {"name": self.contact.name,
                                   "case_recipients": list(self.contact.case_recipients),
                                   "listed": "yes" if self.world.listed() else "no"}
        if self.conv is None:
            return self.start_flow("myprofile", answers, "review")
        if self.conv.flow == "myprofile":
            return [self.current_prompt()]
        return self.push("myprofile", {"answers": answers, "state": "review"})

    def cancel(self) -> list[Prompt]:
        if self.conv is None:
            return [info("There is no request in progress. " + HELP)]
        if self.conv.stack:
            return self.pop(None, note="Cancelled; back to your request.")
        self.end()
        return [info("Cancelled. Nothing was submitted. Type /newcase to start again.")]

    def list_cases(self) -> Prompt:
        cases = repo.cases_of(self.s, self.contact.id, limit=20)
        if not cases:
            return info("You have no cases yet. Type /newcase to open one.")
        lines = ["Your cases (newest first):"]
        for c in cases:
            lines.append(f"{c.number} · {c.subject} · {c.status} · updated "
                         f"{(repo.iso(c.updated_at) or '')[:16].replace('T', ' ')}")
        return info("\n".join(lines), cases=[c.number for c in cases])

    def show_case(self, number: str) -> Prompt:
        number = number.strip().lstrip("#")
        if not number:
            return info("Which case? Type /case followed by its number, e.g. /case 10000001.")
        case = repo.case_by_number(self.s, number)
        if case is None or case.contact_id != self.contact.id:
            return info(f"I can't find a case {number} of yours. /cases lists your cases.")
        data = repo.case_json(self.s, case)
        return info(mails.case_text(data), case=data)

    def check_urls(self, args: str) -> Prompt:
        """Rate 1–10 URLs; the prompt offers a "Request reclassification" command button."""
        try:
            urls = parse_url_list(args)
        except Invalid as exc:
            return info(f"{exc} Usage: /checkurl URL [URL…]")
        ratings = self.svc.rate([u.url for u in urls])
        results = [describe(u, r) for u, r in zip(urls, ratings, strict=True)]
        lines = []
        for n, d in enumerate(results, start=1):
            lines += [f"{n}. {line}" if i == 0 else line
                      for i, line in enumerate(rating_lines(d))]
        repo.remember_url_check(self.s, self.contact.id, [u.url for u in urls])
        # chats draw a button; a terminal, which has none, shows the hint
        offer = Choice(id=button_id(RECLASSIFY), label="Request reclassification",
                       hint="Think a rating is wrong? Type /reclassify to request a new "
                            "classification for these URLs.")
        return Prompt(kind="info", text="\n".join(lines),
                      data={"urls": [u.url for u in urls], "results": results,
                            "reclassify": True}, choices=(offer,))

    def reclassify(self, args: str) -> list[Prompt]:
        """Start a URL Reclassification request with the URLs given (or last checked)."""
        text = args.strip() or "\n".join(repo.last_url_check(self.s, self.contact.id))
        if not text:
            return self.with_current([info(
                "Which URLs? Type /reclassify followed by 1 to 10 URLs, or check them first "
                "with /checkurl URL…")])
        if self.in_request() and not self.untouched():
            return [info("You have a request in progress; finish it first, or type /cancel "
                         "to discard it and then /reclassify again."), self.current_prompt()]
        try:
            urls = INTAKE.by_name["urls"].read(Inbound(kind="text", text=text), {}, self.ctx,
                                               None)
        except Invalid as exc:
            return self.with_current([info(f"{exc} Usage: /reclassify URL [URL…]")])
        self.end()
        answers = {"issue": URL_RECLASS, "urls": urls}
        note = info(f"A URL Reclassification request for {len(urls)} URL"
                    f"{'s' if len(urls) != 1 else ''}; the URLs are filled in.")
        return [note, *self.start_flow("intake", answers)]

    def describe(self, text: str, files: tuple[FileRef, ...] = (),
                 source: str = "") -> list[Prompt]:
        """Describe first: the text opens a request (flows.intake.describe_first); from an
        existing message, its files count against the file quota as uploads do."""
        notes = []
        kept = []
        for f in files:
            refused = quota.take(self.s, self.contact.id, f.sha256, f.size,
                                 self.svc.file_quota_bytes)
            if refused:
                notes.append(info(refused))
            else:
                kept.append(f)
        try:
            answers = describe_first(text, self.ctx, kept, source)
        except Invalid as exc:
            return [info(str(exc))]
        taken = {f["sha256"] for f in answers.get("attachments") or []}
        left = [f.name for f in kept if f.sha256 not in taken]
        if left:
            notes.append(info(f"Not attached (over the {self.ctx.max_attachment_bytes // 2**20} "
                              f"MB limit per case): {', '.join(left)}."))
        if answers.get("attachments"):
            names = ", ".join(f["name"] for f in answers["attachments"])
            notes.append(info(f"Attached from the message: {names}."))
        return [*notes, *self.start_flow("intake", answers)]

    # -- flows and effects ----------------------------------------------------------------------

    def start_flow(self, name: str, answers: dict[str, Any] | None = None,
                   state: str | None = None) -> list[Prompt]:
        turn = FLOWS[name].start(self.ctx, answers, state)
        if self.conv is None:
            assert self.contact.id is not None
            self.conv = repo.insert_conversation(self.s, self.contact.id, name, turn.state,
                                                 turn.answers, [], self.who.channel)
        else:
            self.conv.flow = name
        return self.apply(turn)

    def push(self, name: str, args: dict[str, Any]) -> list[Prompt]:
        assert self.conv is not None
        self.conv.push(name)
        answers = dict(args.get("answers") or {k: v for k, v in args.items() if k != "state"})
        turn = FLOWS[name].start(self.ctx, answers, args.get("state"))
        return self.apply(turn)

    def pop(self, value: Any, note: str = "") -> list[Prompt]:
        assert self.conv is not None and self.conv.stack
        self.conv.pop()
        turn = FLOWS[self.conv.flow].resume(self.conv.state, self.conv.answers, value, self.ctx)
        prompts = self.apply(turn)
        return [info(note), *prompts] if note else prompts

    def apply(self, turn: Turn) -> list[Prompt]:
        """Take the flow's turn; carry out the effect it asked for, if any."""
        assert self.conv is not None
        self.conv.move(turn.state, turn.answers)
        effect = turn.effect
        if effect is None:
            return turn.prompts
        if isinstance(effect, Finish):
            return self.finish(effect)
        if isinstance(effect, Jump):
            return [*([info(effect.note)] if effect.note else []),
                    *self.push(effect.flow, effect.args)]
        if isinstance(effect, Abandon):
            return self.cancel()
        if isinstance(effect, DeleteProfile):
            return self.delete_profile(effect.profile_id)
        if isinstance(effect, Return | AtStart) and self.conv.stack:
            return self.pop(effect.value if isinstance(effect, Return) else None)
        if isinstance(effect, Return):
            self.end()
            return [info("Done. " + HELP)]
        if isinstance(effect, AtStart):
            return [info("This is the first question. Type /cancel to discard it."),
                    *turn.prompts]
        raise AssertionError(f"unknown effect {effect!r}")

    def delete_profile(self, profile_id: int) -> list[Prompt]:
        deleted = repo.delete_profile(self.s, self.contact, profile_id)
        self.world.forget()
        note = "Profile deleted." if deleted else "That profile is not yours to delete."
        return [info(note), self.current_prompt()]

    def finish(self, effect: Finish) -> list[Prompt]:
        """A flow's answers are complete: save the profile or My profile, or submit the case."""
        assert self.conv is not None
        if effect.flow == "intake":
            return self.submit(effect.answers)
        if effect.flow == "profile":
            pid = repo.save_profile(self.s, self.contact, effect.answers)
            self.world.forget()
            if self.conv.stack:
                return self.pop(pid)
            self.end()
            return [info("Profile saved.")]
        if effect.flow == "myprofile":
            self.contact = accounts.save_my_profile(
                self.s, self.contact.id, effect.answers["name"],
                effect.answers.get("case_recipients") or [],
                listed=effect.answers.get("listed") == "yes")
            self.world.contact = self.contact
            self.ctx.contact_email = self.contact.email
            if self.conv.stack:
                return self.pop(None, note="Your profile is saved.")
            self.end()
            return [info("Your profile is saved. New requests will copy your Case Recipients.")]
        raise AssertionError(f"unknown flow {effect.flow!r}")

    def submit(self, answers: dict[str, Any]) -> list[Prompt]:
        assert self.conv is not None
        profile = self.ctx.profile(int(answers["profile"]))
        if profile is None:
            self.conv.state = "profile"
            answers.pop("profile", None)
            self.conv.answers = answers
            return [info("That product profile no longer exists; please choose another."),
                    self.current_prompt()]
        fields = case_fields(answers, profile, self.ctx)
        broken = rules.violations(fields, profile.operating_systems, self.ctx.cat,
                                  zip_ok=self.svc.zip_ok(fields.get("archive_password"),
                                                         fields.get("issue_category")))
        if broken:  # the reasons quote user text (file names, addresses): not logged
            log.error("refusing a case that breaks %d rule(s)", len(broken))
            self.conv.state = "review"
            return [info("Something in this request doesn't fit together ("
                         + "; ".join(broken) + "). Please edit it and submit again."),
                    self.current_prompt()]
        key = f"draft:{self.conv.draft_id}"
        if (repo.case_by_key(self.s, key) is None
                and repo.cases_since(self.s, self.contact.id, hours=1)
                >= self.svc.max_cases_per_hour):
            self.conv.state = "review"
            return [info(f"You have opened {self.svc.max_cases_per_hour} cases in the last "
                         "hour, the most I can take from one person. Your request is kept: "
                         "submit it again later, or call support if it is urgent."),
                    self.current_prompt()]
        case, created = repo.create_case(self.s, self.contact, f"draft:{self.conv.draft_id}",
                                         self.who.channel, fields)
        if created:
            data = repo.case_json(self.s, case)
            mails.queue_confirmation(self.s, data, case.id, self.svc.mail_from)
        self.end()
        text = f"Thank you. Your request has been submitted.\nCase number: {case.number}"
        if case.reference_id:
            text += f"\nReference id: {case.reference_id}"
        text += "\nA confirmation email is on its way. /cases lists your cases."
        return [Prompt(kind="done", text=text, data={"number": case.number,
                                                      "reference_id": case.reference_id})]

    def end(self) -> None:
        """The conversation is over (submitted, cancelled or closed): remove it now."""
        if self.conv is not None:
            repo.delete_conversation(self.s, self.conv)
        self.conv = None

    def save(self) -> None:
        if self.conv is not None:
            self.conv.channel = self.who.channel
            repo.update_conversation(self.unit.db, self.conv)


# One handler per command id; `_Event.command` looks the typed name up (aliases included).
_COMMANDS: dict[str, Callable[[_Event, Inbound], list[Prompt]]] = {
    commands.NEWCASE: _Event.newcase,
    commands.CANCEL: lambda e, _ask: e.cancel(),
    commands.BACK: lambda e, _ask: e.back(),
    commands.HELP: lambda e, _ask: e.help(),
    commands.WHERE: lambda e, _ask: e.where(),
    commands.CASES: lambda e, _ask: e.with_current([e.list_cases()]),
    commands.CASE: lambda e, ask: e.with_current([e.show_case(ask.args)]),
    commands.PROFILES: lambda e, _ask: e.profiles(),
    commands.MYPROFILE: lambda e, _ask: e.myprofile(),
    commands.CHECKURL: lambda e, ask: e.with_current([e.check_urls(ask.args)]),
    commands.RECLASSIFY: lambda e, ask: e.reclassify(ask.args),
}
