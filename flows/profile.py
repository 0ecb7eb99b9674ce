"""Product profiles: the profile form and the small menu that lists, edits and deletes them.

The form has the same engine as the New Request form. The menu is its own tiny machine:
pick a profile (or add one), then edit or delete it. When the menu was opened from step 1 of a
request, saving a profile returns to the request with that profile chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, cast

from transitions import EventData, Machine

from flows import validators as v
from flows.answers import SUGGESTED
from flows.catalog import Product
from flows.context import CodeView, Ctx, ProfileView
from flows.errors import Invalid
from flows.flow import DeleteProfile, Effect, Jump, Return, Turn
from flows.form import Form
from flows.formstate import Answers, FormState
from flows.i18n import _, joined
from flows.model import Choice, Inbound, Prompt
from flows.steps import (
    ChoiceStep,
    MultiStep,
    Step,
    TextStep,
    choice_error,
    match_choice,
    plain_choices,
    translated_choices,
)

NEW_CODE = "__new__"


def product_of(a: Answers, ctx: Ctx) -> Product | None:
    name = a.get("product")
    try:
        return ctx.cat.product(name) if name else None
    except KeyError:
        return None


class NameStep(TextStep):
    """Names are unique per contact, ignoring case; the profile being edited may keep its own."""

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        name = super().read(inbound, a, ctx, pending)
        editing = a.get("_profile_id")
        for p in ctx.world.profiles():
            if p.name.casefold() == name.casefold() and p.id != editing:
                raise Invalid(_("You already have a profile called '{name}'. Choose another "
                                "name.", name=p.name))
        return name


def _codes(a: Answers, ctx: Ctx) -> Sequence[CodeView]:
    return ctx.world.activation_codes(a.get("product") or "")


REGISTER = {"new": None}  # the answer "Register a new activation code": its own question


class ActivationCodeStep(ChoiceStep):
    """One of the account's codes for this product, or a new one (the next question); a code
    typed here is taken as the new one. Asked only when the account has codes for it."""

    def __init__(self, name: str, label: str, question: str) -> None:
        super().__init__(name, label, question, self.choices, deciding=True,
                         when=account_has_codes)

    def choices(self, a: Answers, ctx: Ctx) -> list[Choice]:
        out = [Choice(id=str(c.id), label=c.masked) for c in _codes(a, ctx)]
        out.append(Choice(id=NEW_CODE, label=_("Register a new activation code")))
        return out

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        prompt = super().ask(a, ctx, pending)
        return replace(prompt, text=_("Which activation code does this {product} use?",
                                      product=a.get("product") or _("product")), selected=())

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        choices = self.choices(a, ctx)
        picked = match_choice(inbound, choices)
        if picked is None and inbound.kind == "text" and "-" in inbound.text:
            return {"new": v.activation_code(inbound.text)}
        if picked is None:
            raise choice_error(inbound, choices)
        return dict(REGISTER) if picked.id == NEW_CODE else {"id": int(picked.id)}

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        if "new" in value:
            return True
        return any(c.id == value["id"] for c in _codes(a, ctx))

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        if value == REGISTER:
            return _("a new one")
        if "new" in value:
            return _("{code} (new)", code=v.mask_activation_code(value["new"]))
        return next((c.masked for c in _codes(a, ctx) if c.id == value["id"]), "—")


def account_has_codes(a: Answers, ctx: Ctx) -> bool:
    return bool(_codes(a, ctx))


def new_code_asked(a: Answers, ctx: Ctx) -> bool:
    return not _codes(a, ctx) or a.get("activation_code") == REGISTER


class NewCodeStep(TextStep):
    """A new activation code, typed and format-checked (shown masked)."""

    def suggestion(self, a: Answers, ctx: Ctx) -> str | None:
        return None  # never offered back in full: codes are only ever shown masked

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        return _("{code} (new)", code=v.mask_activation_code(value))


def _guid(text: str) -> str:
    return v.toolbox_guid(text)


def product_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    """The catalog's products; the one the user's description names comes first."""
    wanted = (a.get("_suggest") or {}).get("product")
    out = translated_choices(p.name for p in ctx.cat.products)
    hit = next((c for c in out if c.id == wanted), None)
    if hit is None:
        return out
    return [Choice(id=hit.id, label=hit.label, hint=SUGGESTED),
            *(c for c in out if c is not hit)]


def version_choices(a: Answers, ctx: Ctx) -> list[Choice]:
    """The product's versions; the one the user's description names comes first when the
    product is the one it named ("DS 20 LTS", "DS20": flows/understand/versions.py)."""
    product = product_of(a, ctx)
    out = plain_choices(product.versions if product else ())
    wanted = a.get("_suggest") or {}
    if product is None or wanted.get("product") != product.name:
        return out
    hit = next((c for c in out if c.id == wanted.get("version")), None)
    if hit is None:
        return out
    return [Choice(id=hit.id, label=hit.label, hint=SUGGESTED),
            *(c for c in out if c is not hit)]


def is_officescan(a: Answers, ctx: Ctx) -> bool:
    """The product asks for an OfficeScan Toolbox GUID."""
    return bool((p := product_of(a, ctx)) and p.asks_toolbox_guid)


def product_has_settings(a: Answers, ctx: Ctx) -> bool:
    return bool((p := product_of(a, ctx)) and p.settings)


# the product language (catalog.yaml `languages`) a contact's UI language suggests
PRODUCT_LANGUAGE_OF = {"en": "English", "ja": "Japanese"}


class LanguageStep(ChoiceStep):
    """Filled in, changed in the review: the language the description that opened the
    profile was written in (Japanese), else the language casebot speaks to the contact
    (`Ctx.language`), else English, the language most products run in."""

    def fill(self, a: Answers, ctx: Ctx) -> Any:
        wanted = ((a.get("_suggest") or {}).get("language")
                  or PRODUCT_LANGUAGE_OF.get(ctx.language) or "English")
        return wanted if wanted in ctx.cat.languages else None


PROFILE_STEPS: list[Step] = [
    NameStep("name", _("Profile name"), _("A name for this profile (e.g. 'HQ Apex One')?"),
             v.profile_name),
    ChoiceStep("product", _("Product"), _("Which product?"), product_choices, deciding=True),
    ChoiceStep("version", _("Product version"), _("Which version?"), version_choices),
    MultiStep("operating_systems", _("Operating systems"), _("On which operating systems is "
              "it active? Pick one or more, then done."),
              lambda a, c: plain_choices(c.cat.operating_systems), min_count=1),
    ActivationCodeStep("activation_code", _("Activation code"), _("Activation code")),
    NewCodeStep("new_activation_code", _("New activation code"), _(
        "Type the activation code (XX-XXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX)."),
                v.activation_code, when=new_code_asked),
    TextStep("toolbox_guid", _("OfficeScan Toolbox GUID"), _(
        "The OfficeScan Toolbox GUID (8-4-4-4-12 hex), if you have it. Empty to skip."),
             _guid, optional=True, when=is_officescan),
    MultiStep("settings", _("Product settings"), _("Which of these are enabled? Pick any, "
              "then done (done with none is fine)."),
              lambda a, c: plain_choices(p.settings if (p := product_of(a, c)) else ()),
              min_count=0, when=product_has_settings),
    LanguageStep("language", _("Product language"), _("Which language does the product use?"),
                 lambda a, c: translated_choices(c.cat.languages)),
]


class ProfileForm(Form):
    submit_label = _("Save profile")
    review_title = _("Please review the profile.")

    def result(self, a: Answers) -> Answers:
        """A new code typed at its own question is the profile's code."""
        out = dict(a)
        if "new_activation_code" in out:
            out["activation_code"] = {"new": out.pop("new_activation_code")}
        return out


PROFILE = ProfileForm("profile", PROFILE_STEPS)


def answers_from_profile(p: ProfileView) -> Answers:
    """Pre-fill the form to edit an existing profile."""
    a: Answers = {"_profile_id": p.id, "name": p.name, "product": p.product,
                  "version": p.version, "operating_systems": list(p.operating_systems),
                  "language": p.language, "settings": list(p.settings)}
    if p.activation_code_id is not None:
        a["activation_code"] = {"id": p.activation_code_id}
    if p.toolbox_guid:
        a["toolbox_guid"] = p.toolbox_guid
    return a


# -- the menu -----------------------------------------------------------------------------------

ADD = "__add__"
CLOSE = "__close__"


class _Cursor:
    """The menu machine's model for one event: state, answers, and what the press did."""

    __slots__ = ("answers", "ctx", "effect", "prompts", "state")

    def __init__(self, state: str, answers: Answers, ctx: Ctx) -> None:
        self.state = state
        self.answers = answers
        self.ctx = ctx
        self.prompts: list[Prompt] = []
        self.effect: Effect | None = None


class ProfilesMenu:
    """List → pick → edit or delete. Editing and adding leave for the profile form.

    Each option is a trigger of the machine (a profile's id is `choose`); what a press does
    besides moving (open the form, return, delete) is the transition's `after` callback, so
    the table below is the whole menu.
    """

    name = "profiles"

    def __init__(self) -> None:
        self.machine = Machine(
            model=None, states=["pick", "action", "confirm_delete"], initial="pick",
            auto_transitions=False, send_event=True, transitions=[
                {"trigger": "choose", "source": "pick", "dest": "action",
                 "after": _remember_profile},
                {"trigger": ADD, "source": "pick", "dest": None, "after": _add},
                {"trigger": CLOSE, "source": "pick", "dest": None, "after": _close},
                {"trigger": "use", "source": "action", "dest": None, "after": _use},
                {"trigger": "edit", "source": "action", "dest": None, "after": _edit},
                {"trigger": "reveal", "source": "action", "dest": None, "after": _reveal},
                {"trigger": "delete", "source": "action", "dest": "confirm_delete"},
                {"trigger": "back", "source": "action", "dest": "pick",
                 "after": _forget_profile},
                {"trigger": "yes", "source": "confirm_delete", "dest": "pick",
                 "after": _delete},
                {"trigger": "no", "source": "confirm_delete", "dest": "action"},
                {"trigger": "back", "source": "confirm_delete", "dest": "action"},
            ])

    def _fire(self, trigger: str, state: str, a: Answers, ctx: Ctx) -> Turn:
        cursor = _Cursor(state, a, ctx)
        self.machine.events[trigger].trigger(cursor)
        if cursor.effect is not None:
            return Turn(cursor.state, cursor.answers, cursor.prompts, effect=cursor.effect)
        return Turn(cursor.state, cursor.answers,
                    [*cursor.prompts, self._prompt(cursor.state, cursor.answers, ctx)])

    def start(self, ctx: Ctx, answers: Answers | None = None, state: str | None = None) -> Turn:
        a = dict(answers or {})
        return Turn("pick", a, [self._prompt("pick", a, ctx)])

    def current(self, state: str, a: Answers, form: FormState, ctx: Ctx) -> Prompt:
        return self._prompt(state, a, ctx)

    def _prompt(self, state: str, a: Answers, ctx: Ctx) -> Prompt:
        if state == "pick":
            profiles = ctx.world.profiles()
            choices = [Choice(id=str(p.id), label=p.name, hint=_describe(p)) for p in profiles]
            choices.append(Choice(id=ADD, label=_("Add a new profile")))
            choices.append(Choice(id=CLOSE, label=_("Back to the request")
                                  if a.get("for_request") else _("Done")))
            text = _("Your product profiles. Pick one to edit or delete it, or add a new one.") \
                if profiles else _("You have no product profiles yet.")
            return Prompt(kind="choice", text=text, step="pick", choices=tuple(choices))
        profile = ctx.profile(a.get("profile_id"))
        name = profile.name if profile else _("this profile")
        if state == "action":
            choices = [Choice(id="edit", label=_("Edit")), Choice(id="delete", label=_("Delete")),
                       Choice(id="back", label=_("Back to the list"))]
            if a.get("for_request"):
                choices.insert(0, Choice(id="use", label=_("Use it for this request")))
            if profile and profile.activation_code_id is not None:
                choices.insert(-1, Choice(id="reveal", label=_("Show the full activation code")))
            detail = _describe(profile) if profile else ""
            return Prompt(kind="choice", text=f"{name}: {detail}", step="action",  # data only
                          choices=tuple(choices))
        return Prompt(kind="choice", text=_("Delete the profile '{name}'? Cases already "
                      "submitted keep their details.", name=name), step="confirm_delete",
                      choices=(Choice(id="yes", label=_("Yes, delete it")),
                               Choice(id="no", label=_("No, keep it"))))

    def handle(self, state: str, answers: Answers, form: FormState, inbound: Inbound,
               ctx: Ctx) -> Turn:
        a = dict(answers)
        prompt = self._prompt(state, a, ctx)
        picked = match_choice(inbound, prompt.choices)
        if picked is None:
            error = choice_error(inbound, prompt.choices)
            return Turn(state, a, [prompt.with_error(str(error))])
        if state == "pick" and picked.id not in (ADD, CLOSE):
            a["_picked"] = int(picked.id)
            return self._fire("choose", state, a, ctx)
        return self._fire(picked.id, state, a, ctx)

    def back(self, state: str, answers: Answers, form: FormState, ctx: Ctx) -> Turn:
        if state == "pick":
            return Turn(state, dict(answers), [], effect=Return(None))
        return self._fire("back", state, dict(answers), ctx)

    def resume(self, state: str, answers: Answers, form: FormState, value: str | None,
               ctx: Ctx) -> Turn:
        """Back from the profile form: `value` is the saved profile's id, or None."""
        a = dict(answers)
        if value is not None and a.get("for_request"):
            return Turn(state, a, [], effect=Return(value))
        a.pop("profile_id", None)
        note = [Prompt(kind="info", text=_("Profile saved."))] if value is not None else []
        return Turn("pick", a, [*note, self._prompt("pick", a, ctx)])


# -- what a press does besides moving (the `after` callbacks of the menu's transitions) -----

def _cursor(event: EventData) -> _Cursor:
    """The model of an event: always the menu's cursor (the machine has no other)."""
    return cast(_Cursor, event.model)


def _remember_profile(event: EventData) -> None:
    a = _cursor(event).answers
    a["profile_id"] = a.pop("_picked")


def _forget_profile(event: EventData) -> None:
    _cursor(event).answers.pop("profile_id", None)


def _add(event: EventData) -> None:
    _cursor(event).effect = Jump("profile", {})


def _close(event: EventData) -> None:
    _cursor(event).effect = Return(None)


def _chosen(event: EventData) -> ProfileView | None:
    cur = _cursor(event)
    return cur.ctx.profile(cur.answers.get("profile_id"))


def _use(event: EventData) -> None:
    profile = _chosen(event)
    _cursor(event).effect = Return(str(profile.id) if profile else None)


def _edit(event: EventData) -> None:
    profile = _chosen(event)
    if profile is not None:
        _cursor(event).effect = Jump("profile", {"answers": answers_from_profile(profile),
                                              "state": "review"})


def _reveal(event: EventData) -> None:
    profile = _chosen(event)
    if profile is None or profile.activation_code_id is None:
        return
    code = _cursor(event).ctx.world.reveal_code(profile.activation_code_id)
    _cursor(event).prompts.append(Prompt(kind="info", text=(
        _("Activation code of {name}: {code}", name=profile.name, code=code) if code else
        _("That activation code is not registered to your account."))))


def _delete(event: EventData) -> None:
    pid = _cursor(event).answers.pop("profile_id", None)
    if pid is not None:
        _cursor(event).effect = DeleteProfile(int(pid))


def _describe(p: ProfileView | None) -> str:
    if p is None:
        return ""
    parts = [_("{product} {version}", product=_(p.product), version=p.version),
             ", ".join(p.operating_systems), _(p.language) if p.language else ""]
    if p.activation_code_masked:
        parts.append(p.activation_code_masked)
    return joined(" · ", [x for x in parts if x])


MENU = ProfilesMenu()
