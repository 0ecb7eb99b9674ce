"""The form engine: an ordered list of steps driven by one shared `transitions` machine.

Each form builds its `Machine` once per process, with `model=None`: no conversation object is
ever registered with it. For every event a throw-away `_Cursor` carrying the stored state
string, answers and bookkeeping is passed to the machine's events, which move the cursor and
are forgotten. Nothing per conversation outlives the event.

Every question is a state, and the machine is a chain:
- `next` from each step to the one after it (the last to the review); `back` to the one
  before it, or straight to the review while editing; `edit_<step>` from the review.
- `skip` passes a step going forward: `unless` the step's own condition (`Step.when`, the
  branch the diagram draws with its guard's name), or when it is `known` (answered already,
  or casebot knows the answer, `Step.fill`: the only profile, the Case Recipients, Email;
  the value is filled in and shown in the review). `skip_back` passes a step going back
  when it does not apply or casebot `filled` it in.
After `next`, `back` or `edit_<step>` lands on a step, the form triggers `skip` (or
`skip_back`) until the machine finds no transition whose conditions hold: the step to ask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from transitions import EventData, Machine, MachineError

from flows.context import Ctx
from flows.errors import Invalid
from flows.flow import Abandon, AtStart, Finish, Jump, Turn
from flows.formstate import Answers, FormState
from flows.i18n import _, joined
from flows.model import Choice, Inbound, Prompt, SummaryItem
from flows.steps import Cond, Stay, Step, always, match_choice, said

REVIEW = "review"
DONE = "done"
NEXT, BACK, SKIP, SKIP_BACK = "next", "back", "skip", "skip_back"
Guard = Callable[[EventData], bool]


class _Cursor:
    """The machine's model for one event only."""

    __slots__ = ("answers", "ctx", "form", "state")

    def __init__(self, state: str, answers: Answers, form: FormState, ctx: Ctx) -> None:
        self.state = state
        self.answers = answers
        self.form = form
        self.ctx = ctx


class Form:
    """A sequence of steps with a review at the end."""

    submit_label: str = _("Submit")
    review_title: str = _("Please review your answers.")

    def __init__(self, name: str, steps: Sequence[Step]) -> None:
        self.name = name
        self.steps = list(steps)
        self.by_name = {s.name: s for s in self.steps}
        self.machine = Machine(
            model=None,
            states=[s.name for s in self.steps] + [REVIEW, DONE],
            initial=self.steps[0].name,
            transitions=self._transitions(),
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        # where a pass may start (the first step has nothing before it to go back to)
        self._skips = {trigger: {t.source for t in self.machine.get_transitions(trigger)}
                       for trigger in (SKIP, SKIP_BACK)}

    # -- the declarative machine -------------------------------------------------------------

    def _transitions(self) -> list[dict[str, Any]]:
        names = [s.name for s in self.steps]
        states = [*names, REVIEW]
        out: list[dict[str, Any]] = []
        for i, step in enumerate(self.steps):
            name = step.name
            after = states[i + 1]
            out.append({"trigger": NEXT, "source": name, "dest": after})
            out.append({"trigger": BACK, "source": name, "dest": REVIEW,
                        "conditions": [_editing]})
            group = self._group(i)
            opens = group is not None and group[0] == i
            if opens and group is not None:  # entering a group: pass all of it at once
                out.append({"trigger": SKIP, "source": name, "dest": states[group[1] + 1],
                            "unless": [_guard(step.within)]})
            if step.when is not always and not (opens and step.when is step.within):
                out.append({"trigger": SKIP, "source": name, "dest": after,
                            "unless": [_applies(step)]})
            out.append({"trigger": SKIP, "source": name, "dest": after,
                        "conditions": [self._known(step)]})
            if i:
                out.append({"trigger": BACK, "source": name, "dest": names[i - 1]})
                if group is not None and group[1] == i and group[0]:
                    out.append({"trigger": SKIP_BACK, "source": name,
                                "dest": names[group[0] - 1], "unless": [_guard(step.within)]})
                if step.when is not always:
                    out.append({"trigger": SKIP_BACK, "source": name, "dest": names[i - 1],
                                "unless": [_applies(step)]})
                out.append({"trigger": SKIP_BACK, "source": name, "dest": names[i - 1],
                            "conditions": [_filled(step)]})
            out.append({"trigger": f"edit_{name}", "source": REVIEW, "dest": name})
        out.append({"trigger": BACK, "source": REVIEW, "dest": names[-1]})
        out.append({"trigger": "submit", "source": REVIEW, "dest": DONE})
        return out

    def _group(self, i: int) -> tuple[int, int] | None:
        """The first and last index of the group of steps `within` the same guard as step i."""
        within = self.steps[i].within
        if within is None:
            return None
        first, last = i, i
        while first and self.steps[first - 1].within is within:
            first -= 1
        while last + 1 < len(self.steps) and self.steps[last + 1].within is within:
            last += 1
        return first, last

    def _known(self, step: Step) -> Guard:
        """Answered already, or casebot knows the answer: then it is filled in here."""

        def known(event: EventData) -> bool:
            cur = _cursor(event)
            if step.answered(cur.answers):
                return True
            value = step.fill(cur.answers, cur.ctx)
            if value is None:
                return False
            cur.answers[step.name] = value
            cur.form.filled.append(step.name)
            return True

        return known

    def fire(self, trigger: str, state: str, answers: Answers, form: FormState,
             ctx: Ctx) -> str:
        """Run one trigger on a throw-away cursor, then pass the steps not to be asked;
        return the new state."""
        cursor = _Cursor(state, answers, form, ctx)
        try:
            self.machine.events[trigger].trigger(cursor)
        except MachineError as exc:
            raise LookupError(f"{trigger} is not possible from {state}") from exc
        if trigger in (NEXT, BACK):  # an edit asks the step it opens, answered or not
            self._settle(cursor, SKIP_BACK if trigger == BACK else SKIP)
        return cursor.state

    def _settle(self, cursor: _Cursor, skip: str) -> None:
        """Trigger `skip` while the machine has a way on whose conditions hold."""
        event, sources = self.machine.events[skip], self._skips[skip]
        while cursor.state in sources and event.trigger(cursor):
            pass

    # -- what the service calls ----------------------------------------------------------------

    def start(self, ctx: Ctx, answers: Answers | None = None, state: str | None = None) -> Turn:
        a = dict(answers or {})
        form = FormState()
        st = state or self.steps[0].name
        if st != REVIEW:
            cursor = _Cursor(st, a, form, ctx)
            self._settle(cursor, SKIP)
            st = cursor.state
        return self._arrive(st, a, form, ctx)

    def current(self, state: str, answers: Answers, form: FormState, ctx: Ctx) -> Prompt:
        if state == REVIEW:
            return self.review(answers, ctx)
        return self.by_name[state].ask(answers, ctx, form.pending.get(state))

    def handle(self, state: str, answers: Answers, form: FormState, inbound: Inbound,
               ctx: Ctx) -> Turn:
        a, f = dict(answers), form.copy()
        if state == REVIEW:
            return self._review_answer(a, f, inbound, ctx)
        step = self.by_name[state]
        try:
            value = step.read(inbound, a, ctx, f.pending.get(state))
        except Invalid as exc:
            return Turn(state, a, [self.current(state, a, f, ctx).with_error(str(exc))], form=f)
        if isinstance(value, Jump):
            return Turn(state, a, [], effect=value, form=f)
        if isinstance(value, Stay):
            f.pending[state] = value.pending
            prompt = self.current(state, a, f, ctx)
            if value.error:
                prompt = prompt.with_error(value.error)
            return Turn(state, a, [Prompt(kind="info", text=value.note), prompt]
                        if value.note else [prompt], form=f)
        return self.accept(state, a, f, value, ctx)

    def accept(self, state: str, answers: Answers, form: FormState, value: Any,
               ctx: Ctx) -> Turn:
        """Store a finished answer, drop what no longer applies, and move on."""
        a, f = dict(answers), form.copy()
        step = self.by_name[state]
        changed = a.get(state) != value
        a[state] = value
        f.filled = [n for n in f.filled if n != state]  # the user's own answer now
        f.pending.pop(state, None)
        if step.deciding and changed:
            self.prune(a, f, ctx)
        return self._arrive(self.fire(NEXT, state, a, f, ctx), a, f, ctx)

    def back(self, state: str, answers: Answers, form: FormState, ctx: Ctx) -> Turn:
        a, f = dict(answers), form.copy()
        f.pending.clear()
        try:
            dest = self.fire(BACK, state, a, f, ctx)
        except LookupError:
            return Turn(state, a, [self.current(state, a, f, ctx)], effect=AtStart(self.name),
                        form=f)
        return self._arrive(dest, a, f, ctx)

    def resume(self, state: str, answers: Answers, form: FormState, value: str | None,
               ctx: Ctx) -> Turn:
        """A sub-flow this form left for has ended; `value` answers the step it left from."""
        if value is None:
            return Turn(state, dict(answers), [self.current(state, answers, form, ctx)],
                        form=form.copy())
        return self.accept(state, answers, form, value, ctx)

    def result(self, a: Answers) -> Answers:
        """What the finished form hands over (a form may shape its answers here)."""
        return a

    def prune(self, a: Answers, form: FormState, ctx: Ctx) -> None:
        """Drop answers whose step no longer applies or whose value no longer fits.

        A value casebot filled in follows what it was filled from: it is dropped, and filled
        again (or asked) when the walk reaches its step.
        """
        filled = set(form.filled)
        changed = True
        while changed:
            changed = False
            for step in self.steps:
                if step.name not in a:
                    continue
                if not step.applies(a, ctx) or not step.still_valid(a[step.name], a, ctx) or (
                        step.name in filled and step.fill(a, ctx) != a[step.name]):
                    del a[step.name]
                    filled.discard(step.name)
                    changed = True
        form.filled = [n for n in form.filled if n in filled]

    def _arrive(self, state: str, a: Answers, form: FormState, ctx: Ctx) -> Turn:
        if state == REVIEW:
            form.editing = False
        else:
            jump = self.by_name[state].arrival(a, ctx)
            if jump is not None:
                return Turn(state, a, [], effect=jump, form=form)
        return Turn(state, a, [self.current(state, a, form, ctx)], form=form)

    # -- the review ------------------------------------------------------------------------------

    def review_items(self, a: Answers, ctx: Ctx) -> list[SummaryItem]:
        items = []
        for step in self.steps:
            if step.answered(a) and step.applies(a, ctx):
                items.append(SummaryItem(step.label, step.show(a[step.name], a, ctx), step.name))
        return items

    def review(self, a: Answers, ctx: Ctx) -> Prompt:
        items = self.review_items(a, ctx)
        choices = [Choice(id="submit", label=self.submit_label)]
        choices += [Choice(id=f"edit:{i.step}", label=_("Edit {label}", label=i.label))
                    for i in items if i.step]
        choices.append(Choice(id="cancel", label=_("Cancel")))
        return Prompt(kind="review", text=self.review_title, step=REVIEW,
                      choices=tuple(choices), summary=tuple(items))

    def _review_answer(self, a: Answers, form: FormState, inbound: Inbound, ctx: Ctx) -> Turn:
        prompt = self.review(a, ctx)
        picked = match_choice(inbound, prompt.choices)
        if picked is None and inbound.kind == "text":
            picked = _edit_by_label(inbound.text, prompt.choices)
        if picked is None:
            return Turn(REVIEW, a, [prompt.with_error(_(
                "Choose {submit}, {cancel} or one of the Edit options (by number or name).",
                submit=self.submit_label, cancel=_("Cancel")))], form=form)
        if picked.id == "submit":
            missing = [s for s in self.steps if s.applies(a, ctx) and not s.answered(a)]
            if missing:
                # the review has no Edit for an unanswered step, so go and ask it
                form.editing = True
                turn = self._arrive(self.fire(f"edit_{missing[0].name}", REVIEW, a, form, ctx),
                                    a, form, ctx)
                turn.prompts = [p.with_error(_("Some answers are missing: {labels}.", labels=joined(
                    ", ", [s.label for s in missing]))) for p in turn.prompts]
                return turn
            self.fire("submit", REVIEW, a, form, ctx)
            return Turn(DONE, a, [], effect=Finish(self.name, self.result(a)), form=form)
        if picked.id == "cancel":
            return Turn(REVIEW, a, [], effect=Abandon(self.name), form=form)
        target = picked.id.split(":", 1)[1]
        form.editing = True
        return self._arrive(self.fire(f"edit_{target}", REVIEW, a, form, ctx), a, form, ctx)


def answered_by_person(a: Answers, form: FormState) -> bool:
    """Has the person answered anything (rather than casebot filling it in)? Keys starting
    with "_" are what a flow was started with (e.g. a suggestion), not answers."""
    filled = set(form.filled)
    return any(not k.startswith("_") and k not in filled for k in a)


def _cursor(event: EventData) -> _Cursor:
    """The model of an event: always this form's cursor (the machine has no other)."""
    return cast(_Cursor, event.model)


def _applies(step: Step) -> Guard:
    """`Step.when` as the machine's condition, under the condition's own name."""
    return _guard(step.when)


def _guard(cond: Cond | None) -> Guard:
    """A condition on the answers as the machine's condition, under its own name."""
    assert cond is not None

    def applies(event: EventData) -> bool:
        cur = _cursor(event)
        return cond(cur.answers, cur.ctx)

    applies.__name__ = cond.__name__
    return applies


def _filled(step: Step) -> Guard:
    def filled(event: EventData) -> bool:
        return step.name in _cursor(event).form.filled

    return filled


def _editing(event: EventData) -> bool:
    return bool(_cursor(event).form.editing)


def _edit_by_label(text: str, choices: Sequence[Choice]) -> Choice | None:
    """Let 'edit subject' or just 'subject' pick the matching Edit option."""
    low = said(text).removeprefix("edit").strip()
    if not low:
        return None
    hits = [c for c in choices if c.id.startswith("edit:") and
            c.label.casefold().removeprefix("edit ").startswith(low)]
    return hits[0] if len(hits) == 1 else None
