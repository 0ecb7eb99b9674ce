"""Product profiles: the profile form and the small menu that lists, edits and deletes them.

The form has the same engine as the New Request form. The menu is its own tiny machine:
pick a profile (or add one), then edit or delete it. When the menu was opened from step 1 of a
request, saving a profile returns to the request with that profile chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transitions import Machine

from flows import validators as v
from flows.catalog import Product
from flows.context import Ctx, ProfileView
from flows.errors import Invalid
from flows.form import Form, Turn
from flows.model import Choice, Inbound, Prompt
from flows.steps import (
    Answers,
    ChoiceStep,
    Jump,
    MultiStep,
    Stay,
    Step,
    TextStep,
    choice_error,
    match_choice,
    plain_choices,
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
                raise Invalid(f"You already have a profile called '{p.name}'. Choose another "
                              "name.")
        return name


class ActivationCodeStep(Step):
    """One of the account's codes for this product, or a new one typed in and format-checked."""

    kind = "choice"

    def _choices(self, a: Answers, ctx: Ctx) -> list[Choice]:
        product = a.get("product") or ""
        out = [Choice(id=str(c.id), label=c.masked) for c in ctx.world.activation_codes(product)]
        out.append(Choice(id=NEW_CODE, label="Register a new activation code"))
        return out

    def ask(self, a: Answers, ctx: Ctx, pending: Any) -> Prompt:
        if pending == NEW_CODE or not ctx.world.activation_codes(a.get("product") or ""):
            return Prompt(kind="text", step=self.name, text="Type the activation code "
                          "(XX-XXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX).")
        return Prompt(kind="choice", step=self.name, text="Which activation code does this "
                      f"{a.get('product', 'product')} use?", choices=tuple(self._choices(a, ctx)))

    def read(self, inbound: Inbound, a: Answers, ctx: Ctx, pending: Any) -> Any:
        if pending == NEW_CODE or not ctx.world.activation_codes(a.get("product") or ""):
            return {"new": v.activation_code(inbound.text)}
        choices = self._choices(a, ctx)
        picked = match_choice(inbound, choices)
        if picked is None and inbound.kind == "text" and "-" in inbound.text:
            return {"new": v.activation_code(inbound.text)}
        if picked is None:
            raise choice_error(inbound, choices)
        if picked.id == NEW_CODE:
            return Stay(NEW_CODE)
        return {"id": int(picked.id)}

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        if "new" in value:
            return True
        return any(c.id == value["id"] for c in ctx.world.activation_codes(a.get("product", "")))

    def show(self, value: Any, a: Answers, ctx: Ctx) -> str:
        if "new" in value:
            return v.mask_activation_code(value["new"]) + " (new)"
        for c in ctx.world.activation_codes(a.get("product", "")):
            if c.id == value["id"]:
                return c.masked
        return "—"


def _guid(text: str) -> str:
    return v.toolbox_guid(text)


PROFILE_STEPS: list[Step] = [
    NameStep("name", "Profile name", "A name for this profile (e.g. 'HQ Apex One')?",
             v.profile_name),
    ChoiceStep("product", "Product", "Which product?",
               lambda a, c: plain_choices(p.name for p in c.cat.products), deciding=True),
    ChoiceStep("version", "Product version", "Which version?",
               lambda a, c: plain_choices(p.versions if (p := product_of(a, c)) else ())),
    MultiStep("operating_systems", "Operating systems", "On which operating systems is it "
              "active? Pick one or more, then done.",
              lambda a, c: plain_choices(c.cat.operating_systems), min_count=1),
    ActivationCodeStep("activation_code", "Activation code", "Activation code"),
    TextStep("toolbox_guid", "OfficeScan Toolbox GUID", "The OfficeScan Toolbox GUID "
             "(8-4-4-4-12 hex), if you have it. Empty to skip.", _guid, optional=True,
             when=lambda a, c: bool((p := product_of(a, c)) and p.asks_toolbox_guid)),
    MultiStep("settings", "Product settings", "Which of these are enabled? Pick any, then done "
              "(done with none is fine).",
              lambda a, c: plain_choices(p.settings if (p := product_of(a, c)) else ()),
              min_count=0, when=lambda a, c: bool((p := product_of(a, c)) and p.settings)),
    ChoiceStep("language", "Product language", "Which language does the product use?",
               lambda a, c: plain_choices(c.cat.languages)),
]


class ProfileForm(Form):
    submit_label = "Save profile"
    review_title = "Please review the profile."


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


@dataclass(frozen=True)
class Return:
    """Leave this flow and give `value` to the flow underneath (None: nothing chosen)."""

    value: Any = None


@dataclass(frozen=True)
class DeleteProfile:
    profile_id: int


class _Cursor:
    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class ProfilesMenu:
    """List → pick → edit or delete. Editing and adding leave for the profile form."""

    name = "profiles"

    def __init__(self) -> None:
        self.machine = Machine(
            model=None, states=["pick", "action", "confirm_delete"], initial="pick",
            auto_transitions=False, transitions=[
                {"trigger": "choose", "source": "pick", "dest": "action"},
                {"trigger": "delete", "source": "action", "dest": "confirm_delete"},
                {"trigger": "confirm", "source": "confirm_delete", "dest": "pick"},
                {"trigger": "back", "source": "action", "dest": "pick"},
                {"trigger": "back", "source": "confirm_delete", "dest": "action"},
            ])

    def _go(self, trigger: str, state: str) -> str:
        cursor = _Cursor(state)
        self.machine.events[trigger].trigger(cursor)
        return cursor.state

    def start(self, ctx: Ctx, answers: Answers | None = None, state: str | None = None) -> Turn:
        a = dict(answers or {})
        return Turn("pick", a, [self.current("pick", a, ctx)])

    def current(self, state: str, a: Answers, ctx: Ctx) -> Prompt:
        if state == "pick":
            profiles = ctx.world.profiles()
            choices = [Choice(id=str(p.id), label=p.name, hint=_describe(p)) for p in profiles]
            choices.append(Choice(id=ADD, label="Add a new profile"))
            choices.append(Choice(id=CLOSE, label="Back to the request" if a.get("for_request")
                                  else "Done"))
            text = "Your product profiles. Pick one to edit or delete it, or add a new one." \
                if profiles else "You have no product profiles yet."
            return Prompt(kind="choice", text=text, step="pick", choices=tuple(choices))
        profile = ctx.profile(a.get("profile_id"))
        name = profile.name if profile else "this profile"
        if state == "action":
            choices = [Choice(id="edit", label="Edit"), Choice(id="delete", label="Delete"),
                       Choice(id="back", label="Back to the list")]
            if a.get("for_request"):
                choices.insert(0, Choice(id="use", label="Use it for this request"))
            if profile and profile.activation_code_id is not None:
                choices.insert(-1, Choice(id="reveal", label="Show the full activation code"))
            detail = _describe(profile) if profile else ""
            return Prompt(kind="choice", text=f"{name}: {detail}", step="action",
                          choices=tuple(choices))
        return Prompt(kind="choice", text=f"Delete the profile '{name}'? Cases already "
                      "submitted keep their details.", step="confirm_delete",
                      choices=(Choice(id="yes", label="Yes, delete it"),
                               Choice(id="no", label="No, keep it")))

    def handle(self, state: str, answers: Answers, inbound: Inbound, ctx: Ctx) -> Turn:
        a = dict(answers)
        prompt = self.current(state, a, ctx)
        picked = match_choice(inbound, prompt.choices)
        if picked is None:
            error = choice_error(inbound, prompt.choices)
            return Turn(state, a, [prompt.with_error(str(error))])
        if state == "pick":
            if picked.id == ADD:
                return Turn(state, a, [], effect=Jump("profile", {}))
            if picked.id == CLOSE:
                return Turn(state, a, [], effect=Return(None))
            a["profile_id"] = int(picked.id)
            return self._show(self._go("choose", state), a, ctx)
        if state == "action":
            profile = ctx.profile(a.get("profile_id"))
            if picked.id == "use" and profile:
                return Turn(state, a, [], effect=Return(str(profile.id)))
            if picked.id == "edit" and profile:
                return Turn(state, a, [], effect=Jump("profile", {
                    "answers": answers_from_profile(profile), "state": "review"}))
            if picked.id == "delete":
                return self._show(self._go("delete", state), a, ctx)
            if picked.id == "reveal" and profile and profile.activation_code_id is not None:
                code = ctx.world.reveal_code(profile.activation_code_id)
                text = (f"Activation code of {profile.name}: {code}" if code else
                        "That activation code is not registered to your account.")
                return Turn(state, a, [Prompt(kind="info", text=text),
                                       self.current(state, a, ctx)])
            a.pop("profile_id", None)
            return self._show(self._go("back", state), a, ctx)
        if picked.id == "yes":
            pid = a.pop("profile_id", None)
            turn = self._show(self._go("confirm", state), a, ctx)
            turn.effect = DeleteProfile(int(pid)) if pid is not None else None
            return turn
        return self._show(self._go("back", state), a, ctx)

    def _show(self, state: str, a: Answers, ctx: Ctx) -> Turn:
        return Turn(state, a, [self.current(state, a, ctx)])

    def back(self, state: str, answers: Answers, ctx: Ctx) -> Turn:
        if state == "pick":
            return Turn(state, dict(answers), [], effect=Return(None))
        a = dict(answers)
        if state == "action":
            a.pop("profile_id", None)
        return self._show(self._go("back", state), a, ctx)

    def resume(self, state: str, answers: Answers, value: Any, ctx: Ctx) -> Turn:
        """Back from the profile form: `value` is the saved profile's id, or None."""
        a = dict(answers)
        if value is not None and a.get("for_request"):
            return Turn(state, a, [], effect=Return(str(value)))
        a.pop("profile_id", None)
        note = [Prompt(kind="info", text="Profile saved.")] if value is not None else []
        return Turn("pick", a, [*note, self.current("pick", a, ctx)])


def _describe(p: ProfileView | None) -> str:
    if p is None:
        return ""
    parts = [f"{p.product} {p.version}", ", ".join(p.operating_systems), p.language]
    if p.activation_code_masked:
        parts.append(p.activation_code_masked)
    return " · ".join(x for x in parts if x)


MENU = ProfilesMenu()
