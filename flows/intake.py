"""The New Request form (intake.md, steps 1–18) as data.

Conditions are small named functions so that the review, the pruning of answers after an edit
and the transition guards all ask the same question the same way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flows import validators as v
from flows.archives import check_sample_zip
from flows.catalog import Product
from flows.cc import CcStep
from flows.context import Ctx
from flows.errors import Invalid
from flows.form import Form
from flows.model import Choice, Inbound, Prompt
from flows.steps import (
    DONE,
    SKIP,
    Answers,
    ChoiceStep,
    Jump,
    Stay,
    Step,
    TextStep,
    match_choice,
    pick,
    plain_choices,
)
from flows.urls import defang, parse_url_list

PRODUCT_ISSUE = "Product Issue"
THREAT_ISSUE = "Threat Issue"
CHANGE_CONTROL = "Change Control Issue"
URL_RECLASS = "URL Reclassification"
SAMPLE_CATEGORIES = ("Collected Threat Sample Analysis", "Infected or Positive Infected",
                     "File False Positive")
SPAM_CATEGORIES = ("Spam", "Spam False Positive")
ZIP_REQUIRED = ("Collected Threat Sample Analysis", "Spam", "Spam False Positive")
ZIP_CATEGORIES = SAMPLE_CATEGORIES + SPAM_CATEGORIES
HIGH_SEVERITIES = ("High", "Critical")
ADD_PROFILE = "__profiles__"
NO_FILES = "__none__"
KEEP = "keep"
CHANGE = "change"


# -- what earlier answers decide ---------------------------------------------------------------

def profile_of(a: Answers, ctx: Ctx) -> Any:
    pid = a.get("profile")
    return None if pid is None else ctx.profile(int(pid))


def product_of(a: Answers, ctx: Ctx) -> Product | None:
    profile = profile_of(a, ctx)
    if profile is None:
        return None
    try:
        return ctx.cat.product(profile.product)
    except KeyError:
        return None


def is_tippingpoint(a: Answers, ctx: Ctx) -> bool:
    product = product_of(a, ctx)
    return bool(product and product.tippingpoint)


def issue_type(a: Answers, ctx: Ctx) -> str | None:
    """TippingPoint requests are not asked for a type: they are product cases."""
    return PRODUCT_ISSUE if is_tippingpoint(a, ctx) else a.get("issue_type")


def category(a: Answers, ctx: Ctx) -> str | None:
    return a.get("issue_category")


def severity(a: Answers, ctx: Ctx) -> str | None:
    return a.get("severity")


def sample_suffixes(category_name: str | None) -> tuple[str, ...] | None:
    """What a sample zip may hold: spam samples hold mails; others anything."""
    return (".eml", ".msg") if category_name in SPAM_CATEGORIES else None


def check_sample(path: str, name: str, password: str | None, category_name: str | None) -> None:
    """The one check of a sample archive: locked by `password`; spam samples hold mails."""
    check_sample_zip(path, password or "", member_suffixes=sample_suffixes(category_name),
                     name=name)


def needs_zip(a: Answers, ctx: Ctx) -> bool:
    return category(a, ctx) in ZIP_CATEGORIES


def wants_files(a: Answers, ctx: Ctx) -> bool:
    return a.get("archive_password") != NO_FILES


# -- choices ------------------------------------------------------------------------------------

def profile_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    out = [Choice(id=str(p.id), label=p.name, hint=f"{p.product} {p.version}")
           for p in ctx.world.profiles()]
    out.append(Choice(id=ADD_PROFILE, label="Update or add a product profile"))
    return out


def os_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    profile = profile_of(a, ctx)
    return plain_choices(profile.operating_systems) if profile else []


def issue_type_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    product = product_of(a, ctx)
    types = [PRODUCT_ISSUE, THREAT_ISSUE]
    if product and product.allows_change_control:
        types.append(CHANGE_CONTROL)
    return plain_choices(types)


def category_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    kind = issue_type(a, ctx)
    return plain_choices(ctx.cat.issue_types.get(kind, ())) if kind else []


def severity_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    return [Choice(id=s.name, label=s.name, hint=f"{s.meaning}. Response: {s.response}")
            for s in ctx.cat.severities]


def cc_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    seen: dict[str, Choice] = {}
    for email in [*ctx.world.case_recipients(), *ctx.world.account_contacts()]:
        if email.casefold() != ctx.contact_email.casefold():
            seen.setdefault(email.casefold(), Choice(id=email, label=email))
    return list(seen.values())


def password_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    out = plain_choices(ctx.cat.sample_passwords)
    if category(a, ctx) not in ZIP_REQUIRED:
        out.append(Choice(id=NO_FILES, label="I have no files to attach"))
    return out


# -- compound steps -----------------------------------------------------------------------------

class ProfileStep(ChoiceStep):
    """Step 1; its last option leaves for the profile forms and comes back with the choice."""

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        value = super().read(inbound, a, ctx, pending)
        return Jump("profiles", {"for_request": True}) if value == ADD_PROFILE else value

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        prompt = super().ask(a, ctx, pending)
        if len(prompt.choices) == 1:
            return replace(prompt, text="You have no product profiles yet. A profile remembers "
                           "your product, version and systems. Let's add one first.")
        return prompt

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        profile = profile_of(a, ctx)
        return f"{profile.name} ({profile.product} {profile.version})" if profile else "—"


class UrlsStep(Step):
    """Step 6: URLs are normalised, de-duplicated and rated the moment they are given."""

    kind = "multiline"

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        prompt = super().ask(a, ctx, pending)
        if a.get(self.name):
            keep = ", ".join(u["display"] for u in a[self.name])
            return replace(prompt, data={"default": "\n".join(u["url"] for u in a[self.name])},
                           choices=(Choice(id="__default__", label=f"Keep: {keep[:50]}"),))
        return prompt

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        text = inbound.text
        if inbound.kind == "choice" and inbound.choice == "__default__" and a.get(self.name):
            return a[self.name]
        urls = parse_url_list(text)
        ratings = ctx.world.rate_urls([u.url for u in urls])
        out = []
        for u, r in zip(urls, ratings, strict=True):
            out.append({"url": u.url, "display": u.display, "host": u.host,
                        "host_unicode": u.host_unicode,
                        "punycode": u.host if u.host != u.host_unicode else None,
                        "credentials": u.has_credentials, "current_rating": r.rating,
                        "current_category": r.category, "current_group": r.group})
        return out

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        return "\n".join(describe_url(u) for u in value)


def describe_url(u: dict[str, Any]) -> str:
    """One URL defanged, with its punycode when it has one, and its current rating."""
    text = defang(u["display"])
    if u.get("punycode"):
        text += f" (punycode: {u['punycode']})"
    rating = u.get("current_rating") or "Untested"
    cat = u.get("current_category")
    text += f" — {rating}" + (f", {cat}" if cat else "")
    if u.get("credentials"):
        text += " — the user name and password in this URL were removed"
    return text


class ReclassifyStep(Step):
    """Step 7: per URL keep it, or pick a new rating, then a category group, then a category."""

    kind = "choice"

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        p = pending or {"i": 0, "phase": KEEP, "changes": []}
        urls = a.get("urls") or []
        if not urls:
            return Prompt(kind="info", text="Enter the URLs first.", step=self.name)
        u = urls[min(p["i"], len(urls) - 1)]
        head = f"URL {p['i'] + 1} of {len(urls)}: {describe_url(u)}\n"
        if p["phase"] == KEEP:
            return Prompt(kind="choice", step=self.name, text=head + "Keep its classification "
                          "or request a new one?", choices=(
                              Choice(id=KEEP, label="Keep"),
                              Choice(id=CHANGE, label="Select a new classification")))
        if p["phase"] == "rating":
            ratings = [r for r in ctx.cat.url_ratings if r != "Untested"]
            return Prompt(kind="choice", step=self.name, text=head + "New rating?",
                          choices=tuple(plain_choices(ratings)))
        if p["phase"] == "group":
            return Prompt(kind="choice", step=self.name, text=head + "New category: which group?",
                          choices=tuple(plain_choices(ctx.cat.url_groups())))
        cats = ctx.cat.url_groups()[p["group"]]
        return Prompt(kind="choice", step=self.name, text=head + f"New category in {p['group']}?",
                      choices=tuple(Choice(id=str(c.id), label=c.name, group=c.group)
                                    for c in cats))

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        p = dict(pending or {"i": 0, "phase": KEEP, "changes": []})
        picked = pick(inbound, self.ask(a, ctx, p).choices)
        urls = a.get("urls") or []
        changes = list(p["changes"])
        if p["phase"] == KEEP:
            if picked.id == CHANGE:
                return Stay({**p, "phase": "rating"})
            changes.append(None)
        elif p["phase"] == "rating":
            return Stay({**p, "phase": "group", "rating": picked.id})
        elif p["phase"] == "group":
            return Stay({**p, "phase": "category", "group": picked.id})
        else:
            changes.append({"rating": p["rating"], "category": ctx.cat.url_category(
                int(picked.id)).name})
        if len(changes) < len(urls):
            return Stay({"i": len(changes), "phase": KEEP, "changes": changes})
        if not any(changes):
            raise _restart(Invalid("At least one URL must get a new classification; "
                                   "otherwise there is nothing to reclassify. Let's go "
                                   "through them again."))
        return changes

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        return len(value or []) == len(a.get("urls") or [])

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        lines = []
        for u, c in zip(a.get("urls") or [], value or [], strict=False):
            wanted = "keep" if not c else f"{c['rating']}, {c['category']}"
            lines.append(f"{defang(u['display'])} → {wanted}")
        return "\n".join(lines)


def _restart(exc: Invalid) -> Invalid:
    """The engine keeps `pending` on an error; a restart clears it by marker."""
    exc.reset_pending = True
    return exc


class TippingPointStep(Step):
    """Step 8: request or verification, then CVEs, filter number and RepDV entries."""

    kind = "choice"
    PHASES = ("request", "cves", "filter", "repdv")

    def _phases(self, a: Answers, ctx: Ctx, p: dict[str, Any]) -> list[str]:
        product = product_of(a, ctx)
        out = ["request", "cves"]
        if p.get("request") == "Filter verification":
            out.append("filter")
        if product and product.tippingpoint == "threatdv":
            out.append("repdv")
        return out

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        p = pending or {"phase": "request"}
        skip = (Choice(id=SKIP, label="Skip"),)
        if p["phase"] == "request":
            return Prompt(kind="choice", step=self.name, text="Is this a filter request or a "
                          "filter verification?",
                          choices=tuple(plain_choices(["Filter request", "Filter verification"])))
        if p["phase"] == "cves":
            return Prompt(kind="text", step=self.name, optional=True, choices=skip,
                          text="CVE ids this is about, if any (e.g. CVE-2024-12345), "
                               "separated by commas. Empty to skip.")
        if p["phase"] == "filter":
            return Prompt(kind="text", step=self.name, optional=True, choices=skip,
                          text="The filter number to verify (digits). Empty to skip.")
        return Prompt(kind="multiline", step=self.name, optional=True, choices=skip,
                      text="RepDV entries in question: IP addresses or domains, one per line. "
                           "Empty to skip.")

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        p = dict(pending or {"phase": "request"})
        phase = p["phase"]
        skipped = (inbound.kind == "choice" and inbound.choice == SKIP) or (
            inbound.kind == "text" and inbound.text.strip().casefold() in ("", "skip", "-"))
        if phase == "request":
            p["request"] = pick(inbound, self.ask(a, ctx, p).choices).id
        elif phase == "cves":
            p["cve_ids"] = [] if skipped else v.cve_ids(inbound.text)
        elif phase == "filter":
            p["filter_number"] = None if skipped else v.filter_number(inbound.text)
        else:
            p["repdv_entries"] = [] if skipped else v.repdv_entries(inbound.text)
        phases = self._phases(a, ctx, p)
        rest = phases[phases.index(phase) + 1:]
        if rest:
            return Stay({**p, "phase": rest[0]})
        return {"request": p["request"], "cve_ids": p.get("cve_ids", []),
                "filter_number": p.get("filter_number"),
                "repdv_entries": p.get("repdv_entries", [])}

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        parts = [value["request"]]
        if value.get("cve_ids"):
            parts.append("CVEs: " + ", ".join(value["cve_ids"]))
        if value.get("filter_number"):
            parts.append(f"filter {value['filter_number']}")
        if value.get("repdv_entries"):
            parts.append("RepDV: " + ", ".join(value["repdv_entries"]))
        return "; ".join(parts)


class ChangeWindowStep(Step):
    """Step 9: planned start, then end; the end must come after the start."""

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        if not pending:
            return Prompt(kind="text", step=self.name, text="Planned start of the change "
                          "(YYYY-MM-DD HH:MM, optionally a time zone such as Europe/Berlin; "
                          "UTC if none)?")
        return Prompt(kind="text", step=self.name, text=f"Start: {pending['start']}. Planned "
                      "end (YYYY-MM-DD HH:MM; the start's time zone unless you give one)?")

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        if not pending:
            start = v.parse_datetime(inbound.text)
            return Stay({"start": start.isoformat(), "start_text": inbound.text.strip()})
        begins, ends = v.change_window(pending["start_text"], inbound.text)
        return {"start": begins, "end": ends}

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        return f"{value['start']} → {value['end']}"


class AttachmentsStep(Step):
    """Step 12: files, one at a time, until the user says done; samples must be locked zips."""

    kind = "files"

    def _required(self, a: Answers, ctx: Ctx) -> bool:
        return category(a, ctx) in ZIP_REQUIRED

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        files = pending if pending is not None else a.get(self.name, [])
        if needs_zip(a, ctx):
            what = ("the samples in a password-protected zip (every file encrypted, password "
                    f"'{a.get('archive_password')}')")
            if category(a, ctx) in SPAM_CATEGORIES:
                what += " holding the .eml or .msg files"
        else:
            what = "any files that help (logs, screenshots)"
        limit = ctx.max_attachment_bytes // (1024 * 1024)
        text = f"Attach {what}. Up to {limit} MB in all. Say done when finished."
        if files:
            text += "\nAttached so far: " + ", ".join(f"{f['name']} ({_size(f['size'])})"
                                                      for f in files)
        choices = (Choice(id=DONE, label="Done" if files or self._required(a, ctx)
                          else "No attachments"),)
        return Prompt(kind="files", step=self.name, text=text, choices=choices,
                      optional=not self._required(a, ctx), data={"count": len(files)})

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        files = list(pending if pending is not None else a.get(self.name, []))
        if inbound.kind == "file" and inbound.file is not None:
            f = inbound.file
            total = sum(x["size"] for x in files) + f.size
            if total > ctx.max_attachment_bytes:
                raise Invalid(f"{f.name} would bring the attachments to {_size(total)}, over the "
                              f"{_size(ctx.max_attachment_bytes)} limit per case. Send a smaller "
                              "file or split the case.")
            if any(x["sha256"] == f.sha256 for x in files):
                return Stay(files, note=f"{f.name} is already attached.")
            entry = {"name": f.name, "size": f.size, "sha256": f.sha256, "path": f.path}
            if needs_zip(a, ctx):
                self._check_zip(entry, a, ctx)
                entry["sample"] = True
            files.append(entry)
            return Stay(files, note=f"Attached {f.name} ({_size(f.size)}).")
        said_done = (inbound.kind == "choice" and inbound.choice == DONE) or (
            inbound.kind == "text" and inbound.text.strip().casefold() in ("done", "/done", ""))
        if not said_done:
            raise Invalid("Send a file, or say done when you have attached everything.")
        if self._required(a, ctx) and not files:
            raise Invalid("This kind of case needs the samples: attach the password-protected "
                          "zip, then say done.")
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
        return ", ".join(f"{f['name']} ({_size(f['size'])})" for f in value) or "none"


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


class PhoneStep(Step):
    """Step 17: an international number, then when to call (24x7 for Critical cases)."""

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        if not pending:
            return Prompt(kind="text", step=self.name, text="Your phone number, in international "
                          "format with the country code (e.g. +44 20 7946 0958)?")
        if severity(a, ctx) == "Critical":
            return Prompt(kind="choice", step=self.name, text="Critical cases need a phone that "
                          "is reachable 24x7. Confirm that we may call you at any time?",
                          choices=(Choice(id="24x7", label="Yes, 24x7"),))
        return Prompt(kind="text", step=self.name, choices=(Choice(id="24x7", label="24x7"),),
                      text="When may we call? A time window with your time zone, "
                           "e.g. 09:00-17:00 Europe/Berlin, or 24x7.")

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        if not pending:
            return Stay({"phone": v.phone(inbound.text)})
        text = inbound.choice if inbound.kind == "choice" and inbound.choice else inbound.text
        if inbound.kind == "text":
            # an option typed by its number or label ("1", "Yes, 24x7") means that option
            picked = match_choice(inbound, self.ask(a, ctx, pending).choices)
            text = picked.id if picked is not None else text
        when = v.preferred_time(text)
        if severity(a, ctx) == "Critical" and when != "24x7":
            raise Invalid("Critical cases need a phone reachable 24x7. Answer 24x7, or go "
                          "/back and lower the severity.")
        return {"phone": pending["phone"], "preferred_time": when}

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        return severity(a, ctx) != "Critical" or value.get("preferred_time") == "24x7"

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        return f"{value['phone']}, {value['preferred_time']}"


class PasswordStep(ChoiceStep):
    """Step 12a: the samples' zip password, asked first so each zip is checked on arrival."""

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        picked = match_choice(inbound, self.options(a, ctx))
        if picked is not None:
            return picked.id
        text = inbound.text.strip()
        if inbound.kind == "text" and text and "\n" not in text and len(text) <= 128:
            return text
        raise Invalid("Type the zip's password, or pick one of the common ones.")

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        return value != NO_FILES or category(a, ctx) not in ZIP_REQUIRED

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        return "no files" if value == NO_FILES else value


def _subject_from_urls(a: Answers, ctx: Ctx) -> str | None:
    urls = a.get("urls")
    if not urls or category(a, ctx) != URL_RECLASS:
        return None
    hosts = ", ".join(dict.fromkeys(u.get("host_unicode") or u["host"] for u in urls))
    return v.subject(f"URL reclassification: {hosts}"[:200])


class DescriptionStep(TextStep):
    """Step 11: optional only for URL Reclassification."""

    def is_optional(self, a: Answers, ctx: Ctx) -> bool:
        return category(a, ctx) == URL_RECLASS


STEPS: list[Step] = [
    ProfileStep("profile", "Product profile", "Which product profile is this about?",
                profile_choices, deciding=True),
    ChoiceStep("operating_system", "Affected operating system", "Which operating system is "
               "affected?", os_choices, deciding=True,
               when=lambda a, c: bool(os_choices(a, c))),
    ChoiceStep("issue_type", "Issue type", "What kind of request is it?", issue_type_choices,
               deciding=True, when=lambda a, c: not is_tippingpoint(a, c)),
    ChoiceStep("issue_category", "Issue category", "Which category fits best?",
               category_choices, deciding=True,
               when=lambda a, c: issue_type(a, c) != CHANGE_CONTROL),
    ChoiceStep("virus_pattern_type", "Virus pattern type", "Which virus pattern type does the "
               "product use?", lambda a, c: plain_choices(c.cat.virus_pattern_types),
               when=lambda a, c: category(a, c) in SAMPLE_CATEGORIES),
    UrlsStep("urls", "URLs", "Which URLs should we check? One per line, 1 to 10.",
             when=lambda a, c: category(a, c) == URL_RECLASS, deciding=True),
    ReclassifyStep("reclassification", "New classification", "New classification",
                   when=lambda a, c: category(a, c) == URL_RECLASS),
    TippingPointStep("tippingpoint", "TippingPoint request", "TippingPoint request",
                     when=is_tippingpoint),
    ChangeWindowStep("change_window", "Change window", "Change window",
                     when=lambda a, c: issue_type(a, c) == CHANGE_CONTROL),
    TextStep("subject", "Subject", "Subject: a short title for the case (one line)?",
             v.subject, prefill=_subject_from_urls),
    DescriptionStep("description", "Description", "Describe the issue or question. Several "
                    "lines are fine.", v.description, multiline=True),
    PasswordStep("archive_password", "Archive password", "What is the zip's password? Pick a "
                 "common one or type yours.", password_choices, deciding=True, when=needs_zip),
    AttachmentsStep("attachments", "Attachments", "Attachments",
                    when=lambda a, c: wants_files(a, c) or not needs_zip(a, c)),
    ChoiceStep("severity", "Case severity", "How severe is it?", severity_choices,
               deciding=True),
    TextStep("business_impact", "Business impact", "What is the business impact? (required "
             "for High and Critical)", v.business_impact, multiline=True,
             when=lambda a, c: severity(a, c) in HIGH_SEVERITIES),
    CcStep("cc_emails", "CC emails", "Who else should get case updates? Pick from your "
              "contact list or type addresses (one per line or comma-separated); done when "
              "finished.", cc_choices, min_count=0, max_count=20,
              typed=lambda t: v.email_list(t, max_count=20),
              preset=lambda a, c: list(c.world.case_recipients())),
    ChoiceStep("contact_method", "Contact method", "How should support contact you?",
               lambda a, c: plain_choices(c.cat.contact_methods), deciding=True),
    PhoneStep("phone", "Phone and preferred time", "Phone",
              when=lambda a, c: a.get("contact_method") == "Phone"),
]


class IntakeForm(Form):
    submit_label = "Submit"
    review_title = "Please review your request."


INTAKE = IntakeForm("intake", STEPS)
