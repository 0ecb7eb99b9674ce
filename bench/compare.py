"""Before/after, side by side in one run: a bench script run alternately in two checkouts.

The machines here are noisy, so one run of the old code and a later run of the new one compare
two machine phases, not two programs. This runs the same bench script, with the same
arguments, in an older checkout (its own .venv) and in this one, alternating A B A B ..., and
reports each figure's median per side and the ratio after/before.

    .venv/bin/python bench/compare.py --before ../baseline [--rounds 3] load -- --users 100
    .venv/bin/python bench/compare.py --before ../baseline slack -- --requests 80 --rtt 20
    .venv/bin/python bench/compare.py --before ../baseline telegram -- --updates 80 --rtt 20

`--before` is a checkout of the older commit with its own `.venv` (`git worktree add
../baseline <commit>` then `make -C ../baseline .venv/.installed-dev`). The figures read:

- load: every table row of bench/load.py (platform, database, workers, users) gives steps/s,
  p50 and p99 ms and the worker CPU ms per step;
- slack / telegram: every "ratio to <floor>" line of bench/slack_bench.py /
  bench/telegram_bench.py, under the heading it belongs to, and casebot's own medians.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = {"load": ["bench/load.py", "--no-docs"], "slack": ["bench/slack_bench.py"],
           "telegram": ["bench/telegram_bench.py"]}
LOAD_ROW = re.compile(r"^\| (slack|telegram) \| (\w+) \| (\d+) \| (\d+) \| (\d+) \| ([\d.]+) \| "
                      r"([\d.]+) \| ([\d.]+) \| (\d+) \| [^|]+\| ([\d.]+|nan) \|$")

Figures = dict[str, float]


def load_figures(out: str) -> Figures:
    found: Figures = {}
    for line in out.splitlines():
        m = LOAD_ROW.match(line.strip())
        if m is None:
            continue
        plat, db, workers, users = m.group(1, 2, 3, 4)
        key = f"{plat}/{db}/{workers}w/{users}u"
        found[f"{key} steps/s"] = float(m.group(6))
        found[f"{key} p50 ms"] = float(m.group(7))
        found[f"{key} p99 ms"] = float(m.group(8))
        found[f"{key} failed users"] = float(m.group(9))
        found[f"{key} worker CPU ms/step"] = float(m.group(10))
    return found


def ratio_figures(out: str) -> Figures:
    """The bench's own ratios to its floors and casebot's medians, under their headings."""
    found: Figures = {}
    heading = ""
    for line in out.splitlines():
        if line and not line.startswith(" "):
            heading = line.strip()
        elif m := re.match(r"\s+ratio to (\S+)\s+([\d.]+)x", line):
            found[f"{heading}: ratio to {m.group(1)}"] = float(m.group(2))
        elif m := re.match(r"\s+casebot\s+median ([\d.]+) ms", line):
            found[f"{heading}: casebot ms"] = float(m.group(1))
        # telegram_bench.py's summary lines
        if m := re.match(r"casebot (?:step|tap):\s+median ([\d.]+) ms/update", line):
            found["casebot ms/update"] = float(m.group(1))
        elif m := re.match(r"ratio: ([\d.]+)x", line):
            found["ratio to floor"] = float(m.group(1))
        elif m := re.match(r"user-felt .* ratio ([\d.]+)x", line):
            found["user-felt ratio to floor"] = float(m.group(1))
        elif m := re.match(r"against the inline-press floor: ([\d.]+)x", line):
            found["ratio to the inline-press floor"] = float(m.group(1))
    return found


def run(checkout: Path, bench: str, args: list[str]) -> Figures:
    cmd = [str(checkout / ".venv" / "bin" / "python"), *SCRIPTS[bench], *args]
    print(f"$ (cd {checkout} && {' '.join(cmd[1:])})", file=sys.stderr, flush=True)
    done = subprocess.run(cmd, cwd=checkout, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: {bench} failed ({done.returncode}):\n"
                         f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    figures = load_figures(done.stdout) if bench == "load" else ratio_figures(done.stdout)
    if not figures:
        raise SystemExit(f"{checkout}: no figures found in the output of {bench}")
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path, required=True, help="checkout of the older commit")
    ap.add_argument("--rounds", type=int, default=3, help="runs per side, alternated")
    ap.add_argument("bench", choices=sorted(SCRIPTS))
    ap.add_argument("args", nargs=argparse.REMAINDER, help="after --: the bench's arguments")
    opts = ap.parse_args()
    args = opts.args[1:] if opts.args[:1] == ["--"] else opts.args
    before = opts.before.resolve()
    if not (before / ".venv" / "bin" / "python").exists():
        raise SystemExit(f"{before} has no .venv: run `make -C {before} .venv/.installed-dev`")
    sides = {"before": before, "after": ROOT}
    seen: dict[str, dict[str, list[float]]] = {s: defaultdict(list) for s in sides}
    for n in range(opts.rounds):
        for side, checkout in sides.items():
            print(f"round {n + 1}/{opts.rounds}: {side}", file=sys.stderr, flush=True)
            for key, value in run(checkout, opts.bench, args).items():
                seen[side][key].append(value)
    print(f"{opts.bench} {' '.join(args)}: {opts.rounds} runs per side, alternated; "
          "median (runs) per side\n")
    print("| figure | before | after | after/before |\n|---|---|---|---|")
    for key in seen["after"]:
        old, new = seen["before"].get(key), seen["after"][key]
        if not old:
            continue
        mo, mn = statistics.median(old), statistics.median(new)
        ratio = f"{mn / mo:.2f}" if mo else "—"
        runs_o = ", ".join(f"{v:g}" for v in old)
        runs_n = ", ".join(f"{v:g}" for v in new)
        print(f"| {key} | {mo:g} ({runs_o}) | {mn:g} ({runs_n}) | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
