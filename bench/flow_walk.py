"""Flow-only step benchmark (issue 21): the steps that pass many questions.

Answering the issue of a product case passes every question up to the subject (the sample,
URL, TippingPoint and change-window questions); /back from the subject passes them again.
Each pass is a `skip` trigger of the shared machine (flows/form.py); a group of questions
within one guard is passed by one. No store: CPU per call, medians of rounds.

    .venv/bin/python bench/flow_walk.py [--calls 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.context import Ctx, EmptyWorld, ProfileView
from flows.flow import Turn
from flows.intake import INTAKE
from flows.model import Inbound


class OneProfile(EmptyWorld):
    PROFILES = (ProfileView(1, "HQ", "Apex One", "2019", ("Windows 10",), "English"),)

    def profiles(self) -> Sequence[ProfileView]:
        return self.PROFILES


def cpu_per_call(call: Callable[[], Turn], calls: int, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            call()
        out.append((time.process_time() - start) / calls * 1e6)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    ctx = Ctx(world=OneProfile(), clock=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    at_issue = INTAKE.start(ctx)  # the one profile and its one OS are filled in
    issue = Inbound.from_text("Product Issues")
    at_subject = INTAKE.handle("issue", at_issue.answers, at_issue.form, issue, ctx)
    assert (at_issue.state, at_subject.state) == ("issue", "subject")
    cases: dict[str, Callable[[], Turn]] = {
        "issue -> subject": lambda: INTAKE.handle("issue", at_issue.answers, at_issue.form,
                                                  issue, ctx),
        "/back subject -> issue": lambda: INTAKE.back("subject", at_subject.answers,
                                                      at_subject.form, ctx),
    }
    for name, call in cases.items():
        per = cpu_per_call(call, args.calls, args.rounds)
        print(f"{name}: median {statistics.median(per):.0f} µs CPU per call "
              f"(rounds: {', '.join(f'{x:.0f}' for x in per)})")


if __name__ == "__main__":
    main()
