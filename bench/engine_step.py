"""Engine step benchmark (issue 2): load a conversation, run one transition, save it.

Runs the real service on a SQLite file in WAL mode. Each step alternates between answering
the subject (trigger `next`) and `/back` (trigger `back`), so every step is one transition
and one saved conversation. The baseline is the same service whose form builds a fresh
`transitions.Machine` for every event (the pattern architecture.md warns about). Rounds of
the two run interleaved in one process, and we report medians and their ratio.

    .venv/bin/python bench/engine_step.py [--conversations 200] [--steps 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transitions import Machine

from bench.common import prepare
from bot.app import build_service
from bot.event import FLOWS
from bot.protocol import Who
from bot.service import Service
from bot.settings import Settings
from flows.context import Ctx
from flows.form import Form, _Cursor
from flows.formstate import Answers, FormState
from flows.intake import INTAKE, STEPS
from flows.model import Inbound


class _Model(_Cursor):
    """A cursor a Machine may decorate with trigger methods (no __slots__)."""

    __dict__: dict[str, Any]


class PerEventMachineForm(Form):
    """Baseline: a new Machine per event, as if each conversation owned one."""

    def fire(self, trigger: str, state: str, answers: Answers, form: FormState,
             ctx: Ctx) -> str:
        cursor = _Model(state, answers, form, ctx)
        Machine(model=cursor, states=[s.name for s in self.steps] + ["review", "done"],
                initial=state, transitions=self._transitions(), auto_transitions=False,
                send_event=True)
        if not getattr(cursor, trigger)():
            raise LookupError(trigger)
        if trigger in ("next", "back"):
            skip = getattr(cursor, "skip_back" if trigger == "back" else "skip")
            while cursor.state in self.by_name and skip():
                pass
        return cursor.state


def setup(home: Path, n: int) -> tuple[Service, list[Who]]:
    service = build_service(Settings(home=home))
    people: list[Who] = []
    for i in range(n):
        who = Who("console", f"user{i}@acme.example", email=f"user{i}@acme.example")
        prepare(service, who)
        people.append(who)
    return service, people


def run_round(service: Service, people: list[Who], steps: int) -> float:
    subject = Inbound(kind="text", text="Agent crashes on update")
    back = Inbound(kind="command", command="back")
    start = time.perf_counter()
    for i in range(steps):
        who = people[i % len(people)]
        service.handle(who, subject if (i // len(people)) % 2 == 0 else back)
    return steps / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=200)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    steps = args.steps - args.steps % (2 * args.conversations) or 2 * args.conversations
    with tempfile.TemporaryDirectory() as tmp:
        service, people = setup(Path(tmp), args.conversations)
        baseline = PerEventMachineForm("intake", STEPS)
        ours, theirs = [], []
        for _ in range(args.rounds):
            FLOWS["intake"] = INTAKE
            ours.append(run_round(service, people, steps))
            FLOWS["intake"] = baseline
            theirs.append(run_round(service, people, max(steps // 10, 2 * len(people))))
        FLOWS["intake"] = INTAKE
    med_ours, med_theirs = statistics.median(ours), statistics.median(theirs)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, SQLite WAL, {args.conversations} conversations")
    print(f"casebot (one machine per process): median {med_ours:,.0f} steps/s "
          f"(rounds: {', '.join(f'{x:,.0f}' for x in ours)})")
    print(f"baseline (machine per event):      median {med_theirs:,.0f} steps/s "
          f"(rounds: {', '.join(f'{x:,.0f}' for x in theirs)})")
    print(f"ratio: {med_ours / med_theirs:.1f}x")


if __name__ == "__main__":
    main()
