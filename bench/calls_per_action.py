"""Chat API calls per user action over whole requests (issue 13), from the stand-ins' logs.

The paths are bench/effort.py's (the Bolt app against tests/e2e/fake_slack.py, the PTB
application against tests/e2e/fake_telegram.py), run for real to a submitted case. Every call
the bot makes to the platform counts, except Telegram's getUpdates polling and start-up calls
(getMe, setMyCommands, setChatMenuButton, deleteWebhook, setWebhook) and Bolt's auth.test at
start, which no user action causes.

    .venv/bin/python bench/calls_per_action.py [--scenarios product1,first]
"""

from __future__ import annotations

import argparse
import collections
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.effort import BY_KEY, MadeCall, run_slack, run_telegram

NOT_PER_ACTION = {"auth.test", "getUpdates", "getMe", "setMyCommands", "setChatMenuButton",
                  "deleteWebhook", "setWebhook"}
TARGETS = {"slack": 1.2, "telegram": 1.6}
RUNNERS = {"slack": run_slack, "telegram": run_telegram}


def count(platform: str, key: str, root: Path) -> tuple[int, collections.Counter[str]]:
    calls: list[MadeCall] = []
    actions, _case = RUNNERS[platform](key, root, calls)
    made = collections.Counter(c.method for c in calls if c.method not in NOT_PER_ACTION)
    return actions, made


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", default="product1,first")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    print("| request | platform | user actions | chat API calls | calls per action | target |"
          " calls by method |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="casebot-calls-") as tmp:
        for key in args.scenarios.split(","):
            for platform in ("slack", "telegram"):
                actions, made = count(platform, key, Path(tmp))
                total = sum(made.values())
                per = total / actions
                mark = "✓" if per <= TARGETS[platform] else "✗"
                methods = ", ".join(f"{m} {n}" for m, n in made.most_common())
                print(f"| {BY_KEY[key].title} | {platform} | {actions} | {total} | "
                      f"{per:.2f} {mark} | ≤ {TARGETS[platform]} | {methods} |", flush=True)


if __name__ == "__main__":
    main()
