"""What a first message means (issue 25): product and issue category, scored on a labelled set.

    .venv/bin/python bench/intent_eval.py                    # the tune split, both languages
    .venv/bin/python bench/intent_eval.py --split both       # tune and held-out (report both)
    .venv/bin/python bench/intent_eval.py --split all        # + the later held-out sets
    .venv/bin/python bench/intent_eval.py --lang ja --misses # what the tune split gets wrong
    .venv/bin/python bench/intent_eval.py --json
    .venv/bin/python bench/intent_eval.py --examples         # + the examples, leave-one-out

The set is `bench/intent_data/{tune,heldout,heldout2,heldout3}_{en,ja}.yaml` (heldout2 and
heldout3: fresh held-out sets written later by other authors, each run once after a
decision): first messages written the way customers write, each `{id, text, product:
catalog name or null, category}`. Two questions are asked of each, as the intake flow asks
them:

- product: `flows.suggest.suggested_product(text, catalog)`. Right, nothing or wrong against
  the label (a null label: nothing is right, any product is wrong).
- category: after the profile is chosen, so with the labelled product (None when null):
  `rank_categories` for top-1 and top-3, `suggested_category` for what is offered (nothing when
  unsure; wrong = offered but not the label).

The rule: examples, cues and thresholds are tuned on `tune_*` only. The held-out files are
never read while tuning; run `--split heldout` (or `both`) once at the end and report what it
says unchanged. `--misses` refuses to print held-out misses without `--show-heldout`.

Times are per message, both questions together, on this process (median and p99 over the
messages; each message is timed `--rounds` times, 3 by default, and its median kept); memory is
the VmRSS added by importing the matcher and building its index (Linux /proc/self/status).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

from flows.catalog import Catalog, get_catalog

DATA = Path(__file__).with_name("intent_data")
SPLITS = ("tune", "heldout", "heldout2", "heldout3")
LANGS = ("en", "ja")
FAMILY_NAMES = ("Product Issue", "Threat Issue", "Change Control Issue")


def rss_kb() -> int:
    """This process's resident memory (kB), or 0 where /proc is not there."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def load(split: str, lang: str) -> list[dict[str, Any]]:
    path = DATA / f"{split}_{lang}.yaml"
    if not path.exists():
        return []
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [r for r in rows if isinstance(r, dict) and r.get("text")]


@dataclass
class Tally:
    n: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, *outcomes: str) -> None:
        self.n += 1
        self.counts.update(outcomes)

    def pct(self, key: str) -> float:
        return 100.0 * self.counts[key] / self.n if self.n else 0.0


@dataclass
class Result:
    product: Tally = field(default_factory=Tally)
    category: Tally = field(default_factory=Tally)
    by_family: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


def family_of(catalog: Catalog, category: str) -> str:
    for family, cats in catalog.issue_types.items():
        if category in cats:
            return family
    return "Change Control Issue"


def evaluate(rows: list[dict[str, Any]], catalog: Catalog, rounds: int = 3) -> Result:
    from flows.suggest import suggested_category, suggested_product
    from flows.understand.categories import rank_categories

    res = Result()
    known = {p.name for p in catalog.products}
    for row in rows:
        text, label_p, label_c = str(row["text"]), row.get("product"), str(row["category"])
        product_for_category = label_p if label_p in known else None
        took = []
        for _ in range(rounds):
            start = time.perf_counter()
            got_p = suggested_product(text, catalog)
            got_c = suggested_category(text, catalog, product_for_category)
            took.append((time.perf_counter() - start) * 1000)
        res.ms.append(statistics.median(took))
        ranked = [c for c, _ in rank_categories(text, catalog, product_for_category)]
        p_out = "right" if got_p == label_p else ("nothing" if got_p is None else "wrong")
        res.product.add(p_out)
        outcomes = ["top1"] if ranked[:1] == [label_c] else []
        if label_c in ranked[:3]:
            outcomes.append("top3")
        outcomes.append("nothing" if got_c is None else
                        ("offered_right" if got_c == label_c else "wrong"))
        for tally in (res.category, res.by_family[family_of(catalog, label_c)],
                      res.by_category[label_c]):
            tally.add(*outcomes)
        if p_out != "right":
            res.misses.append(f"  {row.get('id')} product {p_out}: got {got_p!r}, label "
                              f"{label_p!r}: {text[:110]!r}")
        if "top1" not in outcomes or "wrong" in outcomes:
            res.misses.append(f"  {row.get('id')} category [{label_c}] ({label_p}) offered "
                              f"{got_c!r}, ranked {ranked[:3]}: {text[:140]!r}")
    return res


def leave_one_out(catalog: Catalog) -> dict[str, dict[str, float]]:
    """Each of the matcher's own example sentences ranked by all the others (its row's score
    zeroed): how well the examples teach wording they do not contain. Top-1 and what would be
    offered (right / wrong), per language; product None."""
    from flows.normalize import is_japanese
    from flows.understand import categories as cats

    index = cats._index()
    scores_of = index.bm25.get_scores
    tallies: dict[str, Tally] = defaultdict(Tally)
    try:
        for row, (label, text) in enumerate(cats._examples()):
            def without_self(query: list[str], row: int = row) -> Any:
                scores = scores_of(query).copy()
                scores[row] = 0.0
                return scores
            index.bm25.get_scores = without_self
            ranked = cats.rank_categories(text, catalog, None)
            best, score = ranked[0]
            offered = score >= cats.CONFIDENT and score - ranked[1][1] >= cats.MARGIN
            outcomes = (["top1"] if best == label else []) + (
                ["nothing"] if not offered else ["offered_right" if best == label else "wrong"])
            tallies["ja" if is_japanese(text) else "en"].add(*outcomes)
    finally:
        index.bm25.get_scores = scores_of
    return {lang: {"n": t.n, "top1": t.pct("top1"), "offered_right": t.pct("offered_right"),
                   "wrong": t.pct("wrong")} for lang, t in sorted(tallies.items())}


def pct(x: float) -> str:
    return f"{x:.0f}%"


def summary(res: Result) -> dict[str, Any]:
    ms = sorted(res.ms)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))] if ms else 0.0

    def cat(t: Tally) -> dict[str, Any]:
        return {"n": t.n, "top1": t.pct("top1"), "top3": t.pct("top3"),
                "offered_right": t.pct("offered_right"), "nothing": t.pct("nothing"),
                "wrong": t.pct("wrong")}

    return {
        "n": res.product.n,
        "product": {"right": res.product.pct("right"), "nothing": res.product.pct("nothing"),
                    "wrong": res.product.pct("wrong")},
        "category": cat(res.category),
        "families": {f: cat(t) for f, t in sorted(res.by_family.items())},
        "categories": {c: cat(t) for c, t in sorted(res.by_category.items())},
        "ms_median": statistics.median(ms) if ms else 0.0, "ms_p99": p99,
    }


def table(results: dict[tuple[str, str], dict[str, Any]]) -> str:
    lines = ["| split | lang | n | product right / nothing / wrong | category top-1 | top-3 | "
             "offered right | nothing | wrong | median ms | p99 ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (split, lang), s in results.items():
        p, c = s["product"], s["category"]
        lines.append(f"| {split} | {lang} | {s['n']} | {pct(p['right'])} / {pct(p['nothing'])} / "
                     f"{pct(p['wrong'])} | {pct(c['top1'])} | {pct(c['top3'])} | "
                     f"{pct(c['offered_right'])} | {pct(c['nothing'])} | {pct(c['wrong'])} | "
                     f"{s['ms_median']:.2f} | {s['ms_p99']:.2f} |")
    lines += ["", "| split | lang | family / category | n | top-1 | top-3 | nothing | wrong |",
              "|---|---|---|---|---|---|---|---|"]
    for (split, lang), s in results.items():
        for group in ("families", "categories"):
            for name, c in s[group].items():
                label = f"**{name}**" if group == "families" else name
                lines.append(f"| {split} | {lang} | {label} | {c['n']} | {pct(c['top1'])} | "
                             f"{pct(c['top3'])} | {pct(c['nothing'])} | {pct(c['wrong'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=(*SPLITS, "both", "all"), default="tune",
                    help="both: tune and heldout; all: tune and every held-out set")
    ap.add_argument("--lang", choices=LANGS)
    ap.add_argument("--misses", action="store_true", help="print the tune split's misses")
    ap.add_argument("--show-heldout", action="store_true",
                    help="with --misses: print held-out misses too (after tuning is over)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--examples", action="store_true",
                    help="also rank each example sentence of the matcher by the others "
                         "(leave-one-out)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="time each message this many times and keep its median (the machine is "
                         "shared: one slice lost to another process is not the matcher's time)")
    args = ap.parse_args(argv)

    catalog = get_catalog()
    gc.collect()
    before = rss_kb()
    from flows.understand.categories import rank_categories
    rank_categories("warm up: build the index", catalog, None)
    gc.collect()
    added_mb = (rss_kb() - before) / 1024

    splits = {"both": SPLITS[:2], "all": SPLITS}.get(args.split, (args.split,))
    langs = (args.lang,) if args.lang else LANGS
    results: dict[tuple[str, str], dict[str, Any]] = {}
    misses: list[str] = []
    for split in splits:
        for lang in langs:
            rows = load(split, lang)
            if not rows:
                print(f"(no data: {DATA / f'{split}_{lang}.yaml'})", file=sys.stderr)
                continue
            res = evaluate(rows, catalog, max(1, args.rounds))
            results[(split, lang)] = summary(res)
            if args.misses and (split == "tune" or args.show_heldout):
                misses += [f"{split} {lang}:", *res.misses]
            elif args.misses:
                misses.append(f"{split} {lang}: misses not shown (held out; --show-heldout "
                              "only once tuning is over)")
    loo = leave_one_out(catalog) if args.examples else {}
    if args.json:
        print(json.dumps({"rss_added_mb": added_mb, "examples_leave_one_out": loo,
                          "results": {f"{s}_{lang}": v for (s, lang), v in results.items()}},
                         indent=2))
    else:
        print(table(results))
        print(f"\nRSS added by the matcher (import + index): {added_mb:.1f} MB")
        for lang, r in loo.items():
            print(f"examples, leave-one-out, {lang}: {r['n']:.0f} sentences, top-1 "
                  f"{pct(r['top1'])}, offered right {pct(r['offered_right'])}, wrong "
                  f"{pct(r['wrong'])}")
        if misses:
            print("\n" + "\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
