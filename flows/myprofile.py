"""My profile: the contact's own name, default Case Recipients, and whether colleagues may
pick them as a CC (/myprofile).

The same form engine as the New Request and profile forms. It opens on the review with the
stored values, so a contact sees what is set and edits only what they want. The Case Recipients
pre-fill the CC step of every new request, and are judged as CC addresses are (flows/cc.py).
"""

from __future__ import annotations

from flows import validators as v
from flows.cc import CcStep
from flows.context import Ctx
from flows.form import Form
from flows.formstate import Answers
from flows.i18n import _
from flows.model import Choice
from flows.steps import ChoiceStep, Step, TextStep

MAX_RECIPIENTS = 20


def your_name(text: str) -> str:
    return v._one_line(text, field=_("name"), limit=200, empty_hint=_("Type your full name."),
                       fix_hint=_("Type just your full name."))


def recipient_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    """Colleagues from the account's contact list (never the contact themself)."""
    own = ctx.contact_email.casefold()
    return [Choice(id=e, label=e) for e in ctx.world.account_contacts() if e.casefold() != own]


def recipients(text: str) -> list[str]:
    return v.email_list(text, max_count=MAX_RECIPIENTS)


LISTED, UNLISTED = "yes", "no"


def listed_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    return [Choice(id=LISTED, label=_("Yes"),
                   hint=_("colleagues see my address in the CC list")),
            Choice(id=UNLISTED, label=_("No"),
                   hint=_("only people who type my address can CC me"))]


MYPROFILE_STEPS: list[Step] = [
    TextStep("name", _("Your name"), _("What is your name?"), your_name),
    CcStep("case_recipients", _("Case Recipients"), _(
        "Who should be copied on your cases by default? Pick colleagues from your company's "
        "contact list or type addresses (one per line or comma-separated); 'none' clears the "
        "list; done when finished."),
           recipient_choices, min_count=0, max_count=MAX_RECIPIENTS, typed=recipients),
    ChoiceStep("listed", _("Visible to colleagues"), _(
        "May colleagues in your company pick your address when they copy people on a case? "
        "Nobody sees it unless you say yes."), listed_choices),
]


class MyProfileForm(Form):
    submit_label = _("Save")
    review_title = _("Your profile. Case Recipients are copied on every new request by "
                     "default.")


MYPROFILE = MyProfileForm("myprofile", MYPROFILE_STEPS)
