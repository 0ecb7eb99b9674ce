"""How long an operator waits for a `casebot` command before it does anything, and what it
costs a test run (each e2e test starts several `casebot` processes).

Each command runs as a fresh process, alternating between the source trees given (the working
tree, and e.g. an older commit checked out with `git worktree add`), so both sides see the same
machine load. CPU time (user + system, from the kernel's accounting of the child) is the steadier
figure on a busy machine; wall time is what a person feels.

    .venv/bin/python bench/startup.py                       # this tree only
    git worktree add /tmp/casebot-old HEAD~3
    .venv/bin/python bench/startup.py --baseline /tmp/casebot-old
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
# what an operator or a test starts most: help, a read-only query, and the terminal chat asked
# one command (its first answer printed, then end of input)
COMMANDS = {
    "casebot --help": ["--help"],
    "casebot cases list": ["cases", "list"],
    "casebot chat (/help)": ["chat", "--as", "ann@acme.example"],
}
RUN = "from bot.cli.main import main; main()"


def once(tree: Path, args: list[str], home: Path) -> tuple[float, float]:
    """(wall, cpu) seconds of one `casebot ARGS` run with `tree`'s sources first on the path."""
    env = {**os.environ, "PYTHONPATH": str(tree), "CASEBOT_HOME": str(home), "COLUMNS": "120"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN, *args], input="/help\n", text=True, env=env,
                   cwd=tree, capture_output=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="an older source tree to compare with")
    parser.add_argument("--runs", type=int, default=9)
    opts = parser.parse_args()
    trees = {"this tree": HERE, **({"baseline": opts.baseline.resolve()} if opts.baseline else {})}
    print(f"load average {os.getloadavg()[0]:.1f}; {opts.runs} runs each, interleaved")
    with tempfile.TemporaryDirectory() as tmp:
        homes = {name: Path(tmp) / name.replace(" ", "_") for name in trees}
        for name, tree in trees.items():  # the database is made once, as on a real machine
            once(tree, ["cases", "list"], homes[name])
        for label, args in COMMANDS.items():
            got: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
            for _ in range(opts.runs):
                for name, tree in trees.items():
                    got[name].append(once(tree, args, homes[name]))
            row = []
            for name in trees:
                wall = statistics.median(w for w, _ in got[name])
                cpu = statistics.median(c for _, c in got[name])
                row.append(f"{name}: wall {wall * 1000:.0f} ms, cpu {cpu * 1000:.0f} ms")
            if opts.baseline:
                ratio = statistics.median(c for _, c in got["this tree"]) / statistics.median(
                    c for _, c in got["baseline"])
                row.append(f"cpu ratio {ratio:.2f}")
            print(f"{label:24} " + " | ".join(row))


if __name__ == "__main__":
    main()
