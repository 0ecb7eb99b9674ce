"""The form engine: an ordered list of steps driven by one shared `transitions` machine.

Each form builds its `Machine` once per process, with `model=None`: no conversation object is
ever registered with it. For every event a throw-away `_Cursor` carrying the stored state
string and answers is passed to the machine's events, which move the cursor and are forgotten.
Nothing per conversation outlives the event.

Every question is a state, and the machine is a chain:
- `next` from each step to the one after it (the last to the review); `back` to the one
  before it, or straight to the review while editing; `edit_<step>` from the review.
- Entering a step that is not needed passes straight on (`pass_<step>`, the state's
  `on_enter`): going forward, a step is passed when it does not apply or is already answered;
  one whose answer casebot knows (`Step.fill`: the only profile, the Case Recipients, Email)
  is filled in and passed, and shown in the review. Going back, steps never asked are passed.
  A run of passed steps (28 between the category and the subject of a product case) is
  followed along the machine's own transitions and conditions in one loop, not one library
  transition each: each costs ~17 µs of callbacks and logging, so a step took ~0.5 ms.
So the routing table grows by four transitions per step, and the diagram shows every question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from transitions import EventData, Machine, MachineError, State

from flows.context import Ctx
from flows.errors import Invalid
from flows.model import Choice, Inbound, Prompt, SummaryItem
from flows.steps import Answers, Jump, Stay, Step, match_choice

REVIEW = "review"
DONE = "done"
PENDING = "_pending"
EDITING = "_editing"
FILLED = "_filled"
NEXT, BACK = "next", "back"


@dataclass
class Turn:
    """The result of one event: where the form is now, what to say, and what to do."""

    state: str
    answers: Answers
    prompts: list[Prompt] = field(default_factory=list)
    effect: Any = None


@dataclass(frozen=True)
class Finish:
    """The user pressed the final button: the service persists `answers`."""

    flow: str
    answers: Answers


@dataclass(frozen=True)
class Abandon:
    """The user cancelled from inside the form."""

    flow: str


@dataclass(frozen=True)
class AtStart:
    """/back on the first question: the service may return to a parent flow."""

    flow: str


class _Cursor:
    """The machine's model for one event only; `moving` is the direction being walked."""

    __slots__ = ("state", "answers", "ctx", "form", "moving")

    def __init__(self, state: str, answers: Answers, ctx: Ctx, form: Form) -> None:
        self.state = state
        self.answers = answers
        self.ctx = ctx
        self.form = form
        self.moving = NEXT


class Form:
    """A sequence of steps with a review at the end."""

    submit_label = "Submit"
    review_title = "Please review your answers."

    def __init__(self, name: str, steps: Sequence[Step]) -> None:
        self.name = name
        self.steps = list(steps)
        self.by_name = {s.name: s for s in self.steps}
        self.machine = Machine(
            model=None,
            states=[State(s.name, on_enter=[self._passer(s)]) for s in self.steps]
            + [REVIEW, DONE],
            initial=self.steps[0].name,
            transitions=self._transitions(),
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )

    # -- the declarative machine -------------------------------------------------------------

    def _transitions(self) -> list[dict[str, Any]]:
        names = [s.name for s in self.steps]
        out: list[dict[str, Any]] = []
        for i, name in enumerate(names):
            out.append({"trigger": NEXT, "source": name,
                        "dest": names[i + 1] if i + 1 < len(names) else REVIEW})
            out.append({"trigger": BACK, "source": name, "dest": REVIEW,
                        "conditions": [_editing]})
            if i:
                out.append({"trigger": BACK, "source": name, "dest": names[i - 1]})
            out.append({"trigger": f"edit_{name}", "source": REVIEW, "dest": name})
        out.append({"trigger": BACK, "source": REVIEW, "dest": names[-1]})
        out.append({"trigger": "submit", "source": REVIEW, "dest": DONE})
        return out

    def _passer(self, step: Step) -> Any:
        def passes(event: Any) -> None:
            cur: _Cursor = event.model
            if cur.moving in (NEXT, BACK) and self._passed(step, cur):
                self._pass_on(cur, cur.moving)

        passes.__name__ = f"pass_{step.name}"
        return passes

    def _passed(self, step: Step, cur: _Cursor) -> bool:
        """Is `step` passed when entered moving `cur.moving`? (See the module docstring.)"""
        if cur.moving == NEXT:
            return not self.needed(step, cur.answers, cur.ctx)
        return not step.applies(cur.answers, cur.ctx) or \
            step.name in cur.answers.get(FILLED, ())

    def _pass_on(self, cur: _Cursor, trigger: str) -> None:
        """From the passed step `cur.state`, follow `trigger` over every step passed too; stop
        at the first one to ask, at a state that is no step (the review), or where the machine
        has no way on (stay)."""
        event = self.machine.events[trigger]
        state = cur.state
        while True:
            data = EventData(self.machine.get_state(state), event, self.machine, cur, (), {})
            way = next((t for t in event.transitions.get(state, ())
                        if all(c.check(data) for c in t.conditions)), None)
            if way is None or way.dest is None:
                break  # nothing further that way: stay on this step
            state = way.dest
            step = self.by_name.get(state)
            cur.state = state
            if step is None or not self._passed(step, cur):
                break

    def needed(self, step: Step, a: Answers, ctx: Ctx) -> bool:
        """Is `step` to be asked now? Not when it does not apply, is answered or is known."""
        if not step.applies(a, ctx) or step.answered(a):
            return False
        value = step.fill(a, ctx)
        if value is None:
            return True
        a[step.name] = value
        a[FILLED] = [*a.get(FILLED, ()), step.name]
        return False

    def fire(self, trigger: str, state: str, answers: Answers, ctx: Ctx) -> str:
        """Run one trigger on a throw-away cursor and return the new state."""
        cursor = _Cursor(state, answers, ctx, self)
        cursor.moving = trigger if trigger in (NEXT, BACK) else "edit"
        try:
            self.machine.events[trigger].trigger(cursor)
        except MachineError as exc:
            raise LookupError(f"{trigger} is not possible from {state}") from exc
        return cursor.state

    # -- what the service calls ----------------------------------------------------------------

    def start(self, ctx: Ctx, answers: Answers | None = None, state: str | None = None) -> Turn:
        a = dict(answers or {})
        st = state or self.steps[0].name
        if st != REVIEW:
            cursor = _Cursor(st, a, ctx, self)
            self._passer(self.by_name[st])(_Entered(cursor))
            st = cursor.state
        return self._arrive(st, a, ctx)

    def current(self, state: str, answers: Answers, ctx: Ctx) -> Prompt:
        if state == REVIEW:
            return self.review(answers, ctx)
        pending = answers.get(PENDING, {}).get(state)
        return self.by_name[state].ask(answers, ctx, pending)

    def handle(self, state: str, answers: Answers, inbound: Inbound, ctx: Ctx) -> Turn:
        a = dict(answers)
        if state == REVIEW:
            return self._review_answer(a, inbound, ctx)
        step = self.by_name[state]
        pending = a.get(PENDING, {}).get(state)
        try:
            value = step.read(inbound, a, ctx, pending)
        except Invalid as exc:
            return Turn(state, a, [self.current(state, a, ctx).with_error(str(exc))])
        if isinstance(value, Jump):
            return Turn(state, a, [], effect=value)
        if isinstance(value, Stay):
            a[PENDING] = {**a.get(PENDING, {}), state: value.pending}
            prompt = self.current(state, a, ctx)
            if value.error:
                prompt = prompt.with_error(value.error)
            return Turn(state, a, [Prompt(kind="info", text=value.note), prompt]
                        if value.note else [prompt])
        return self.accept(state, a, value, ctx)

    def accept(self, state: str, answers: Answers, value: Any, ctx: Ctx) -> Turn:
        """Store a finished answer, drop what no longer applies, and move on."""
        a = dict(answers)
        step = self.by_name[state]
        changed = a.get(state) != value
        a[state] = value
        if state in a.get(FILLED, ()):
            a[FILLED] = [n for n in a[FILLED] if n != state]  # the user's own answer now
        pend = {k: v for k, v in a.get(PENDING, {}).items() if k != state}
        a[PENDING] = pend
        if not pend:
            a.pop(PENDING)
        if step.deciding and changed:
            self.prune(a, ctx)
        return self._arrive(self.fire("next", state, a, ctx), a, ctx)

    def back(self, state: str, answers: Answers, ctx: Ctx) -> Turn:
        a = dict(answers)
        a.pop(PENDING, None)
        try:
            dest = self.fire("back", state, a, ctx)
        except LookupError:
            return Turn(state, a, [self.current(state, a, ctx)], effect=AtStart(self.name))
        return self._arrive(dest, a, ctx)

    def resume(self, state: str, answers: Answers, value: Any, ctx: Ctx) -> Turn:
        """A sub-flow this form left for has ended; `value` answers the step it left from."""
        if value is None:
            return Turn(state, dict(answers), [self.current(state, answers, ctx)])
        return self.accept(state, answers, value, ctx)

    def result(self, a: Answers) -> Answers:
        """What the finished form hands over (a form may shape its answers here)."""
        return a

    def prune(self, a: Answers, ctx: Ctx) -> None:
        """Drop answers whose step no longer applies or whose value no longer fits.

        A value casebot filled in follows what it was filled from: it is dropped, and filled
        again (or asked) when the walk reaches its step.
        """
        filled = set(a.get(FILLED, ()))
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
        if filled:
            a[FILLED] = [n for n in a.get(FILLED, ()) if n in filled]
        else:
            a.pop(FILLED, None)

    def _arrive(self, state: str, a: Answers, ctx: Ctx) -> Turn:
        if state == REVIEW:
            a.pop(EDITING, None)
        else:
            jump = self.by_name[state].arrival(a, ctx)
            if jump is not None:
                return Turn(state, a, [], effect=jump)
        return Turn(state, a, [self.current(state, a, ctx)])

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
        choices += [Choice(id=f"edit:{i.step}", label=f"Edit {i.label}") for i in items if i.step]
        choices.append(Choice(id="cancel", label="Cancel"))
        return Prompt(kind="review", text=self.review_title, step=REVIEW,
                      choices=tuple(choices), summary=tuple(items))

    def _review_answer(self, a: Answers, inbound: Inbound, ctx: Ctx) -> Turn:
        prompt = self.review(a, ctx)
        picked = match_choice(inbound, prompt.choices)
        if picked is None and inbound.kind == "text":
            picked = _edit_by_label(inbound.text, prompt.choices)
        if picked is None:
            return Turn(REVIEW, a, [prompt.with_error(
                "Choose Submit, Cancel or one of the Edit options (by number or name).")])
        if picked.id == "submit":
            missing = [s for s in self.steps if s.applies(a, ctx) and not s.answered(a)]
            if missing:
                # the review has no Edit for an unanswered step, so go and ask it
                a[EDITING] = True
                turn = self._arrive(self.fire(f"edit_{missing[0].name}", REVIEW, a, ctx), a, ctx)
                turn.prompts = [p.with_error("Some answers are missing: " + ", ".join(
                    s.label for s in missing) + ".") for p in turn.prompts]
                return turn
            self.fire("submit", REVIEW, a, ctx)
            return Turn(DONE, a, [], effect=Finish(self.name, self.result(a)))
        if picked.id == "cancel":
            return Turn(REVIEW, a, [], effect=Abandon(self.name))
        target = picked.id.split(":", 1)[1]
        a[EDITING] = True
        return self._arrive(self.fire(f"edit_{target}", REVIEW, a, ctx), a, ctx)


def answered_by_person(a: Answers) -> bool:
    """Has the person answered anything (rather than casebot filling it in)? Keys starting
    with "_" are the form's own."""
    filled = set(a.get(FILLED, ()))
    return any(not k.startswith("_") and k not in filled for k in a)


class _Entered:
    """What `on_enter` receives when a form starts on a step (no transition ran)."""

    def __init__(self, model: _Cursor) -> None:
        self.model = model


def _editing(event: Any) -> bool:
    return bool(event.model.answers.get(EDITING))


def _edit_by_label(text: str, choices: Sequence[Choice]) -> Choice | None:
    """Let 'edit subject' or just 'subject' pick the matching Edit option."""
    low = text.strip().casefold().removeprefix("edit").strip()
    if not low:
        return None
    hits = [c for c in choices if c.id.startswith("edit:") and
            c.label.casefold().removeprefix("edit ").startswith(low)]
    return hits[0] if len(hits) == 1 else None
