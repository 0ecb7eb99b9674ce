"""The New Request form (intake.md, steps 1–18) as data, one state per question.

Conditions are small named functions so that the review, the pruning of answers after an edit
and the transition guards all ask the same question the same way. What casebot already knows
is filled in, not asked (intake.md, "Asking less than the portal"): the only profile, the
profile's only OS, the Case Recipients, contact method Email, no attachments for cases that
need no samples, the subject of a URL reclassification. The review shows each with an Edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from flows import times
from flows import validators as v
from flows.answers import (
    ADD_PROFILE,
    CHANGE_CONTROL,
    MAX_URLS,
    NO_FILES,
    PRODUCT_ISSUE,
    SPAM_CATEGORIES,
    SUGGEST,
    SUGGESTED,
    THREAT_ISSUE,
    URL_RECLASS,
    ZIP_REQUIRED,
    RequestAnswers,
    by_phone,
    category,
    files_wanted,
    is_change_control,
    is_filter_verification,
    is_high_severity,
    is_sample_category,
    is_threatdv,
    is_tippingpoint,
    is_url_reclassification,
    needs_zip,
    product_of,
    profile_has_oses,
    profile_of,
    sample_suffixes,
    severity,
)
from flows.cc import CcStep
from flows.context import Ctx
from flows.errors import Invalid, StillChecking
from flows.flow import Jump, Turn
from flows.form import Form, answered_by_person
from flows.formstate import FOUND, Answers, FormState
from flows.i18n import N_, _, joined, shown
from flows.model import Choice, FileRef, Inbound, Prompt
from flows.normalize import cjk_count, is_japanese, normal
from flows.reclassify import UrlCategoryStep, UrlRatingStep, UrlsStep
from flows.steps import (
    DONE,
    DONE_WORDS,
    SKIP_WORDS,
    ChoiceStep,
    Stay,
    Step,
    TextStep,
    match_choice,
    plain_choices,
    said,
    translated_choices,
)
from flows.suggest import (
    profile_by_topic,
    suggested_product,
    suggested_profile,
)
from flows.understand.categories import confident, rank_categories
from flows.understand.facts import found
from flows.understand.subject import subject_line
from flows.understand.versions import version_named
from flows.when import Moment, Weekly

# -- choices ------------------------------------------------------------------------------------

def _suggested_first(choices: list[Choice], wanted: str | None) -> list[Choice]:
    """The suggestion from the user's description comes first and says so; nothing is picked."""
    hit = next((c for c in choices if c.id == wanted), None)
    if hit is None:
        return choices
    hint = joined(" · ", [hit.hint, SUGGESTED]) if hit.hint else SUGGESTED
    return [Choice(id=hit.id, label=hit.label, hint=hint, group=hit.group),
            *(c for c in choices if c is not hit)]


def profile_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    out = [Choice(id=str(p.id), label=p.name,
                  hint=_("{product} {version}", product=_(p.product), version=p.version))
           for p in ctx.world.profiles()]
    out = _suggested_first(out, (a.get(SUGGEST) or {}).get("profile"))
    out.append(Choice(id=ADD_PROFILE, label=_("Update or add a product profile")))
    return out


def os_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    profile = profile_of(a, ctx)
    return plain_choices(profile.operating_systems) if profile else []


def issue_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    """Issue type and category as one grouped question. For a request started from a
    description, ranked by what it most likely means for the product of the profile chosen
    now (a change window means Change Control only for Deep Security), the first marked as
    suggested only when the matcher is sure; otherwise Product Issue categories first."""
    product = product_of(a, ctx)
    kinds = [PRODUCT_ISSUE] if product and product.tippingpoint else [PRODUCT_ISSUE, THREAT_ISSUE]
    out = [Choice(id=c, label=_(c), group=_(kind)) for kind in kinds
           for c in ctx.cat.issue_types.get(kind, ())]
    if product and product.allows_change_control:
        out.append(Choice(id=CHANGE_CONTROL, label=_(CHANGE_CONTROL), group=_(CHANGE_CONTROL),
                          hint=_("a planned change, with its window")))
    if SUGGEST not in a:
        return out
    ranked = rank_categories(a.get("description") or "", ctx.cat,
                             product.name if product else None)
    place = {pair[0]: i for i, pair in enumerate(ranked)}
    out.sort(key=lambda c: place.get(c.id, len(place)))
    return _suggested_first(out, confident(ranked))


def severity_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    return [Choice(id=s.name, label=_(s.name), hint=_("{meaning}. Response: {response}",
                                                      meaning=_(s.meaning),
                                                      response=_(s.response)))
            for s in ctx.cat.severities]


def cc_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    seen: dict[str, Choice] = {}
    for email in [*ctx.world.case_recipients(), *ctx.world.account_contacts()]:
        if email.casefold() != ctx.contact_email.casefold():
            seen.setdefault(email.casefold(), Choice(id=email, label=email))
    return list(seen.values())


def describe_first(text: str, ctx: Ctx, files: Sequence[FileRef] = (),
                   source: str = "") -> Answers:
    """A request started from what the user wrote (or an existing message: its files and a
    link to it): its first sentence that is not a greeting the subject, all of it the
    description; the profile it most likely means kept as a suggestion (offered, never
    chosen), and the facts it gives kept for the questions that would ask them."""
    body = v.description(text)
    profiles = ctx.world.profiles()
    profile = suggested_profile(body, profiles, ctx.cat)
    if profile is None and len(profiles) > 1:
        profile = profile_by_topic(body, profiles, ctx.cat)
    answers: Answers = {"subject": v.subject(subject_line(body)), "description": body,
                        SUGGEST: {"profile": profile}}
    if facts := found(body, ctx.clock()):
        answers[FOUND] = facts
    if source:
        answers["source_url"] = source
    if files:
        answers["attachments"] = message_attachments(files, ctx)
    return answers


def message_attachments(files: Sequence[FileRef], ctx: Ctx) -> list[dict[str, Any]]:
    """The files of the message a request starts from, as the attachments step would take
    them: once each, within the per-case limit. Whether the category wants locked zips is
    not known yet; the step's `still_valid` checks them once it is (and asks if they fail)."""
    out: list[dict[str, Any]] = []
    for f in files:
        if any(x["sha256"] == f.sha256 for x in out):
            continue
        if sum(x["size"] for x in out) + f.size > ctx.max_attachment_bytes:
            continue
        out.append({"name": f.name, "size": f.size, "sha256": f.sha256, "path": f.path})
    return out


def is_description(text: str) -> bool:
    """Text that describes a problem rather than answers a question: a few words, or a
    Japanese sentence (no spaces to count words by) of six characters or more."""
    folded = normal(text)
    return len(folded.split()) >= 3 or cjk_count(folded) >= 6


def password_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    out = plain_choices(ctx.cat.sample_passwords)
    if category(a, ctx) not in ZIP_REQUIRED:
        out.append(Choice(id=NO_FILES, label=_("I have no files to attach")))
    return out


# -- compound steps -----------------------------------------------------------------------------

class ProfileStep(ChoiceStep):
    """Step 1; its last option leaves for the profile forms and comes back with the choice.

    A contact with one profile has it chosen; with none, the profile form opens at once.
    """

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        value = super().read(inbound, a, ctx, pending)
        return Jump("profiles", {"for_request": True}) if value == ADD_PROFILE else value

    def fill(self, a: Answers, ctx: Ctx) -> Any:
        profiles = ctx.world.profiles()
        return str(profiles[0].id) if len(profiles) == 1 else None

    def arrival(self, a: Answers, ctx: Ctx) -> Jump | None:
        if ctx.world.profiles():
            return None
        description = a.get("description") or ""
        product = suggested_product(description, ctx.cat)
        suggestion = {"product": product,
                      "version": version_named(description, product, ctx.cat) if product
                      else None,
                      "language": "Japanese" if is_japanese(description) else None}
        return Jump("profile", {SUGGEST: suggestion} if any(suggestion.values()) else {},
                    note=_("You have no product profiles yet. A profile remembers your "
                           "product, version and systems for every case; let's add one "
                           "first."))

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        prompt = super().ask(a, ctx, pending)
        if len(prompt.choices) == 1:
            return replace(prompt, text=_("You have no product profiles yet. A profile "
                                          "remembers your product, version and systems. "
                                          "Let's add one first."))
        return prompt

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        profile = profile_of(a, ctx)
        if profile is None:
            return "—"
        return _("{name} ({product} {version})", name=profile.name, product=_(profile.product),
                 version=profile.version)  # the product in the vendor's local name


class OsStep(ChoiceStep):
    """Step 2: one of the profile's systems; a profile with one has it chosen."""

    def fill(self, a: Answers, ctx: Ctx) -> Any:
        choices = os_choices(a, ctx)
        return choices[0].id if len(choices) == 1 else None



class ChangeStartStep(TextStep):
    """Step 9a: the planned start; a start in the past is refused. A whole window typed here
    ("2026-12-12 22:00-02:00 CET") is kept whole, and the end question is filled from it."""

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        text = super().read(inbound, a, ctx, pending)
        return times.start_answer(text, ctx.clock())

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        return _when(times.start_of(value))


class ChangeEndStep(TextStep):
    """Step 9b: the planned end, after the start (in the start's zone unless one is given);
    not asked when the start's answer carried it."""

    def fill(self, a: Answers, ctx: Ctx) -> Any:
        return times.end_of(a.get("change_start") or "") or super().fill(a, ctx)

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        start = a.get("change_start") or ""
        end = times.end_answer(start, super().read(inbound, a, ctx, pending), ctx.clock())
        v.change_window(start, end)
        return end

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        try:
            v.change_window(a.get("change_start") or "", value)
        except Invalid:
            return False
        return True

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        start = a.get("change_start") or ""
        try:
            end = datetime.fromisoformat(v.change_window(start, value)[1])
        except Invalid:
            return str(value)
        return _when(end.astimezone(times.start_of(start).tzinfo))


def _when(moment: datetime) -> str:
    """A planned time as the review shows it, in the zone it was given in and the reader's
    format ("Dec 19, 2026, 10:00 PM JST", "2026年12月19日 22:00 JST")."""
    return shown(Moment(moment))


ALWAYS = "24x7"


def show_preferred(value: str) -> str:
    """A preferred time (what the case stores, "Mon-Fri 09:00-17:00 JST" or "24x7") in the
    reader's format; anything else as it is."""
    if value == ALWAYS:
        return _("24x7")
    weekly = Weekly.parse(value)
    return shown(weekly) if weekly is not None else value


def _one_line(text: str) -> str:
    return " ".join(text.split())


def change_window(a: RequestAnswers) -> dict[str, str] | None:
    if "change_start" not in a or "change_end" not in a:
        return None
    start, end = v.change_window(a["change_start"], a["change_end"])
    return {"start": start, "end": end}


def tippingpoint(a: RequestAnswers, ctx: Ctx) -> dict[str, Any] | None:
    if not is_tippingpoint(a, ctx) or "tp_request" not in a:
        return None
    return {"request": a["tp_request"], "cve_ids": a.get("tp_cves") or [],
            "filter_number": a.get("tp_filter") or None,
            "repdv_entries": a.get("tp_repdv") or []}


class AttachmentsStep(Step):
    """Step 12: files, one at a time, until the user says done; samples must be locked zips.

    Asked only for the sample categories; any other case has none filled in, and "Edit
    Attachments" in the review adds files.
    """

    kind = "files"

    def _required(self, a: Answers, ctx: Ctx) -> bool:
        return category(a, ctx) in ZIP_REQUIRED

    def fill(self, a: Answers, ctx: Ctx) -> Any:
        return None if needs_zip(a, ctx) else []

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        files = pending if pending is not None else a.get(self.name, [])
        limit = ctx.max_attachment_bytes // (1024 * 1024)
        if not needs_zip(a, ctx):
            text = _("Attach any files that help (logs, screenshots). Up to {limit} MB in all. "
                     "Say done when finished.", limit=limit)
        elif category(a, ctx) in SPAM_CATEGORIES:
            text = _("Attach the samples in a password-protected zip (every file encrypted, "
                     "password '{password}') holding the .eml or .msg files. Up to {limit} MB "
                     "in all. Say done when finished.", password=a.get("archive_password"),
                     limit=limit)
        else:
            text = _("Attach the samples in a password-protected zip (every file encrypted, "
                     "password '{password}'). Up to {limit} MB in all. Say done when "
                     "finished.", password=a.get("archive_password"), limit=limit)
        if files:
            text = joined("\n", [text, _("Attached so far: {files}", files=", ".join(
                f"{f['name']} ({_size(f['size'])})" for f in files))])
        choices = (Choice(id=DONE, label=_("Done") if files or self._required(a, ctx)
                          else _("No attachments")),)
        return Prompt(kind="files", step=self.name, text=text, choices=choices,
                      optional=not self._required(a, ctx), data={"count": len(files)})

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        files = list(pending if pending is not None else a.get(self.name, []))
        if inbound.kind == "file" and inbound.file is not None:
            return self._attach(inbound.file, files, a, ctx)
        picked = match_choice(inbound, self.ask(a, ctx, pending).choices)
        said_done = picked is not None or (inbound.kind == "text" and said(
            inbound.text) in (*DONE_WORDS, *SKIP_WORDS, "no attachments"))
        if not said_done:
            raise Invalid(_("Send a file, or say done when you have attached everything."))
        if self._required(a, ctx) and not files:
            raise Invalid(_("This kind of case needs the samples: attach the "
                            "password-protected zip, then say done."))
        return self._recheck_samples(files, a, ctx)

    def _attach(self, f: FileRef, files: list[dict[str, Any]], a: Answers, ctx: Ctx) -> Stay:
        """One more file, within the case's size limit and not attached already.

        A sample is checked as it arrives, so a bad zip is refused before the next file.
        """
        total = sum(x["size"] for x in files) + f.size
        if total > ctx.max_attachment_bytes:
            raise Invalid(_("{name} would bring the attachments to {total}, over the {limit} "
                            "limit per case. Send a smaller file or split the case.",
                            name=f.name, total=_size(total),
                            limit=_size(ctx.max_attachment_bytes)))
        if any(x["sha256"] == f.sha256 for x in files):
            return Stay(files, note=_("{name} is already attached.", name=f.name))
        entry = {"name": f.name, "size": f.size, "sha256": f.sha256, "path": f.path}
        if needs_zip(a, ctx):
            entry["sample"] = True
            try:
                self._check_zip(entry, a, ctx)
            except StillChecking as exc:  # a long check goes on; the user is told later
                return Stay([*files, entry], note=str(exc))
        files.append(entry)
        return Stay(files, note=_("Attached {name} ({size}).", name=f.name,
                                  size=_size(f.size)))

    def _recheck_samples(self, files: list[dict[str, Any]], a: Answers, ctx: Ctx) -> Any:
        """The files, once every sample's check has passed; one that failed is dropped."""
        for f in [x for x in files if x.get("sample")]:  # cached verdicts: instant
            try:
                self._check_zip(f, a, ctx)
            except StillChecking:
                raise
            except Invalid as exc:  # a check that finished after the file was taken
                return Stay([x for x in files if x is not f], note=str(exc))
        return files

    def _check_zip(self, f: dict[str, Any], a: Answers, ctx: Ctx) -> None:
        """Through the world: each file is checked once, off the chat threads (issue 11)."""
        ctx.world.check_sample(f["sha256"], f["path"], f["name"], a.get("archive_password"),
                               sample_suffixes(category(a, ctx)))

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        if self._required(a, ctx) and not value:
            return False  # e.g. edited from Product Issues to Spam: the samples are needed now
        if not needs_zip(a, ctx):
            # locked samples whose password is no longer asked do not belong to other cases
            return not any(f.get("sample") for f in value)
        try:
            for f in value:
                self._check_zip(f, a, ctx)
        except (Invalid, OSError):
            return False
        return True

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        return ", ".join(f"{f['name']} ({_size(f['size'])})" for f in value) or _("none")


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


# the country a national phone number is read in, by the contact's language (Ctx.language)
REGION_OF = {"ja": "JP"}


class PhoneStep(TextStep):
    """A phone number: one typed without its country code ("03-1234-5678") is read in the
    country of the contact's language (Japanese: +81); stored in E.164 either way."""

    def check(self, text: str, ctx: Ctx) -> Any:
        return v.phone(text, REGION_OF.get(ctx.language))


class PreferredTimeStep(Step):
    """Step 17b: when to call; Critical cases need a phone reachable 24x7."""

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        if severity(a, ctx) == "Critical":
            return Prompt(kind="choice", step=self.name, text=_(
                "Critical cases need a phone that is reachable 24x7. Confirm that we may call "
                "you at any time?"), choices=(Choice(id="24x7", label=_("Yes, 24x7")),))
        return Prompt(kind="text", step=self.name, choices=(Choice(id="24x7", label="24x7"),),
                      text=_("When may we call? Days and hours with your time zone, e.g. "
                             "'Mon-Fri 9am-5pm EST', 'Weekdays 09:00-17:00 Europe/Berlin', "
                             "'平日 9時〜17時 JST', or 24x7."))

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        text = inbound.choice if inbound.kind == "choice" and inbound.choice else inbound.text
        if inbound.kind == "text":
            # an option typed by its number or label ("1", "Yes, 24x7") means that option
            picked = match_choice(inbound, self.ask(a, ctx, pending).choices)
            text = picked.id if picked is not None else text
        when = v.preferred_time(text)
        if severity(a, ctx) == "Critical" and when != "24x7":
            raise Invalid(_("Critical cases need a phone reachable 24x7. Answer 24x7, or go "
                            "/back and lower the severity."))
        return when

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        return severity(a, ctx) != "Critical" or value == "24x7"

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        return show_preferred(value) if isinstance(value, str) and value else super().show(
            value, a, ctx)


class PasswordStep(ChoiceStep):
    """Step 12a: the samples' zip password, asked first so each zip is checked on arrival."""

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        picked = match_choice(inbound, self.options(a, ctx))
        if picked is not None:
            return picked.id
        text = inbound.text.strip()
        if inbound.kind == "text" and text and "\n" not in text and len(text) <= 128:
            return text
        raise Invalid(_("Type the zip's password, or pick one of the common ones."))

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        return value != NO_FILES or category(a, ctx) not in ZIP_REQUIRED

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        return _("no files") if value == NO_FILES else value


def _subject_from_urls(a: Answers, ctx: Ctx) -> str | None:
    """The subject a URL reclassification gets, in English as the case keeps it."""
    urls = a.get("urls")
    if not urls or category(a, ctx) != URL_RECLASS:
        return None
    return v.subject(str.__str__(_url_subject(urls))[:200])


def _url_subject(urls: list[dict[str, Any]]) -> str:
    hosts = ", ".join(dict.fromkeys(u.get("host_unicode") or u["host"] for u in urls))
    return _("URL reclassification: {hosts}", hosts=hosts)


class SubjectStep(TextStep):
    """Step 10: a URL reclassification is titled from its URLs (shown, not asked): kept in
    English in the case, shown in the customer's language."""

    def fill(self, a: Answers, ctx: Ctx) -> Any:
        return _subject_from_urls(a, ctx)

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        if value and value == _subject_from_urls(a, ctx):
            return _url_subject(a["urls"])
        return super().show(value, a, ctx)


class DescriptionStep(TextStep):
    """Step 11: optional only for URL Reclassification, and then not asked."""

    def is_optional(self, a: Answers, ctx: Ctx) -> bool:
        return category(a, ctx) == URL_RECLASS

    def fill(self, a: Answers, ctx: Ctx) -> Any:
        return "" if self.is_optional(a, ctx) else None


class RecipientsStep(CcStep):
    """Step 15: the contact's Case Recipients, shown in the review; edited from there."""

    def fill(self, a: Answers, ctx: Ctx) -> Any:
        recipients = list(ctx.world.case_recipients())
        outside = set(ctx.world.cc_outside(recipients))  # the CC policy (flows/cc.py)
        return [r for r in recipients if r not in outside]


class ContactMethodStep(ChoiceStep):
    """Step 16: Email unless the case is Critical, which needs a phone: then it is asked."""

    def fill(self, a: Answers, ctx: Ctx) -> Any:
        return None if severity(a, ctx) == "Critical" else "Email"


STEPS: list[Step] = [
    ProfileStep("profile", _("Product profile"), _("Which product profile is this about?"),
                profile_choices, deciding=True),
    OsStep("operating_system", _("Affected operating system"),
           _("Which operating system is affected?"), os_choices, deciding=True,
           when=profile_has_oses),
    ChoiceStep("issue", _("Issue"), _("What is it about?"), issue_choices, deciding=True),
    ChoiceStep("virus_pattern_type", _("Virus pattern type"),
               _("Which virus pattern type does the product use?"),
               lambda a, c: translated_choices(c.cat.virus_pattern_types),
               when=is_sample_category),
    UrlsStep("urls", _("URLs"), _("Which URLs should we check? One per line, 1 to 10."),
             when=is_url_reclassification, within=is_url_reclassification,
             deciding=True),
    *(step for i in range(1, MAX_URLS + 1) for step in (UrlRatingStep(i), UrlCategoryStep(i))),
    ChoiceStep("tp_request", _("TippingPoint request"),
               _("Is this a filter request or a filter verification?"),
               lambda a, c: translated_choices([N_("Filter request"),
                                                N_("Filter verification")]),
               when=is_tippingpoint, within=is_tippingpoint, deciding=True),
    TextStep("tp_cves", _("CVE ids"), _("CVE ids this is about, if any (e.g. CVE-2024-12345), "
             "separated by commas. Empty to skip."), v.cve_ids, optional=True,
             when=is_tippingpoint, within=is_tippingpoint),
    TextStep("tp_filter", _("Filter number"), _("The filter number to verify (digits). Empty "
             "to skip."), v.filter_number, optional=True,
             when=is_filter_verification, within=is_tippingpoint),
    TextStep("tp_repdv", _("RepDV entries"), _("RepDV entries in question: IP addresses or "
             "domains, one per line. Empty to skip."), v.repdv_entries, optional=True,
             multiline=True, when=is_threatdv, within=is_tippingpoint),
    ChangeStartStep("change_start", _("Change start"), _(
        "Planned start of the change, with a time zone (UTC if none), e.g. 2026-12-12 22:00 "
        "Europe/Berlin? A whole window (2026-12-12 22:00-02:00 CET) answers the end too."),
                    _one_line, deciding=True,
                    when=is_change_control, within=is_change_control),
    ChangeEndStep("change_end", _("Change end"), _(
        "Planned end, e.g. 2026-12-13 02:00, or a time alone (the start's time zone unless "
        "you give one)?"), _one_line, when=is_change_control, within=is_change_control),
    SubjectStep("subject", _("Subject"), _("Subject: a short title for the case (one line)?"),
                v.subject),
    DescriptionStep("description", _("Description"), _("Describe the issue or question. "
                    "Several lines are fine."), v.description, multiline=True),
    PasswordStep("archive_password", _("Archive password"), _("What is the zip's password? "
                 "Pick a common one or type yours."), password_choices, deciding=True,
                 when=needs_zip),
    AttachmentsStep("attachments", _("Attachments"), _("Attachments"),
                    when=files_wanted),
    ChoiceStep("severity", _("Case severity"), _("How severe is it?"), severity_choices,
               deciding=True),
    TextStep("business_impact", _("Business impact"), _("What is the business impact? "
             "(required for High and Critical)"), v.business_impact, multiline=True,
             when=is_high_severity),
    RecipientsStep("cc_emails", _("CC emails"), _(
        "Who else should get case updates? Pick from your contact list or type addresses (one "
        "per line or comma-separated; 'remove ADDRESS' takes one off); done when finished."),
                   cc_choices, min_count=0, max_count=20,
                   typed=lambda t: v.email_list(t, max_count=20),
                   preset=lambda a, c: list(c.world.case_recipients())),
    ContactMethodStep("contact_method", _("Contact method"),
                      _("How should support contact you?"),
                      lambda a, c: translated_choices(c.cat.contact_methods), deciding=True),
    PhoneStep("phone", _("Phone"), _("Your phone number, in international format with the "
              "country code (e.g. +44 20 7946 0958)?"), v.phone, when=by_phone),
    PreferredTimeStep("preferred_time", _("Preferred time"), _("Preferred time"),
                      when=by_phone),
]


class IntakeForm(Form):
    submit_label = _("Submit")
    review_title = _("Please review your request.")

    def handle(self, state: str, answers: Answers, form: FormState, inbound: Inbound,
               ctx: Ctx) -> Turn:
        """A description typed at the first question of an untouched request starts it."""
        if (inbound.kind == "text" and state in self.by_name
                and not answered_by_person(answers, form)
                and self.by_name[state].kind == "choice" and is_description(inbound.text)
                and match_choice(inbound, self.current(state, answers, form, ctx).choices)
                is None):
            try:
                return self.start(ctx, describe_first(inbound.text, ctx))
            except Invalid:
                pass
        return super().handle(state, answers, form, inbound, ctx)




INTAKE = IntakeForm("intake", STEPS)
