"""Which issue category a first message most likely means, every allowed one ranked.

Each category has example sentences written the way customers write (examples_en.yaml,
examples_ja.yaml: "several PCs are sending spam since this morning" is an infection, not
Spam). A message is scored against all of them with BM25 (bm25s, word stems and character
bigrams from `tokens`); a category's evidence is the mean of its best few examples' scores.
Cues (`cues.py`) add what a phrase decides beyond its words. The scores are turned into
confidences in [0, 1]: a softmax over the allowed categories, scaled down when the evidence
is thin, so gibberish ranks everything near zero and nothing is suggested. Built once per
process.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from flows.answers import CHANGE_CONTROL
from flows.catalog import Catalog, Product, get_catalog
from flows.normalize import is_japanese, normal
from flows.understand.cues import cue_bonus
from flows.understand.products import name_pattern
from flows.understand.tokens import tokens

if TYPE_CHECKING:  # imported when first needed: numpy is a third of a `casebot` start
    import bm25s
    import numpy as np

HERE = Path(__file__).parent
EXAMPLE_FILES = (HERE / "examples_en.yaml", HERE / "examples_ja.yaml")

TOP_K = 5            # a category's evidence: the mean of its best TOP_K examples' scores
SHARPNESS = 8.0      # how far the best category's relative score pulls ahead in the softmax
# The raw BM25 score at which evidence reaches 1 - 1/e: Japanese text gives more tokens (every
# character pair), so higher scores for the same strength of evidence.
EVIDENCE = 3.0
EVIDENCE_JA = 5.0
CONFIDENT = 0.6      # suggested only at or above this confidence
MARGIN = 0.6         # ... and this far ahead of the next category


@dataclass(frozen=True)
class _Index:
    bm25: bm25s.BM25
    vocab: frozenset[str]
    labels: tuple[str, ...]            # category names, the order of `members`
    members: tuple[np.ndarray, ...]    # each category's example rows


def _examples() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for path in EXAMPLE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for category, sentences in data.items():
            out.extend((str(category), str(s)) for s in sentences or ())
    return out


@functools.cache
def _product_names(products: tuple[Product, ...]) -> re.Pattern[str]:
    """Every product name and alias as one pattern (whole words, as `products.mentions` reads
    them; longest first), to blank them out in one pass."""
    forms = sorted({name_pattern(word) for p in products for word in (p.name, *p.aliases)},
                   key=len, reverse=True)
    return re.compile("|".join(forms))


def _words(text: str, catalog: Catalog) -> list[str]:
    """The tokens of `text` without the product names in it: which product is asked apart
    ("DSM" says Deep Security, not a change window)."""
    return tokens(text, drop=_product_names(catalog.products))


@functools.cache
def _index() -> _Index:
    import bm25s
    import numpy as np

    rows = _examples()
    catalog = get_catalog()
    corpus = [_words(text, catalog) or ["<empty>"] for _, text in rows]
    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    bm25.index(corpus, show_progress=False)
    labels = tuple(dict.fromkeys(c for c, _ in rows))
    members = tuple(np.array([i for i, (c, _) in enumerate(rows) if c == label])
                    for label in labels)
    return _Index(bm25, frozenset(t for doc in corpus for t in doc), labels, members)


def allowed_categories(catalog: Catalog, product: str | None) -> list[str]:
    """The categories a case for `product` may have (an unknown product acts as None):
    a TippingPoint product only the Product Issue ones; Change Control Issue only where the
    product allows it, or when no product is known yet."""
    names = {p.name: p for p in catalog.products}
    prod = names.get(product) if product else None
    product_issues = list(catalog.issue_types.get("Product Issue", ()))
    if prod is not None and prod.tippingpoint:
        return product_issues
    out = product_issues + list(catalog.issue_types.get("Threat Issue", ()))
    if prod is None or prod.allows_change_control:
        out.append(CHANGE_CONTROL)
    return out


def _evidence(query: Sequence[str]) -> dict[str, float]:
    import numpy as np

    ix = _index()
    known = [t for t in query if t in ix.vocab]
    if not known:
        return {}
    scores = ix.bm25.get_scores(known)
    out: dict[str, float] = {}
    for label, rows in zip(ix.labels, ix.members, strict=True):
        best = np.sort(scores[rows])[-TOP_K:]
        out[label] = float(best.mean())
    return out


def rank_categories(text: str, catalog: Catalog, product: str | None) -> list[tuple[str, float]]:
    """Every category allowed for `product`, best first, each with a confidence in [0, 1]."""
    allowed = allowed_categories(catalog, product)
    raw = _evidence(_words(text, catalog))
    bonus = cue_bonus(text, product)
    top = max((raw.get(c, 0.0) for c in allowed), default=0.0)
    logits = [SHARPNESS * (raw.get(c, 0.0) / top if top > 0 else 0.0) + bonus.get(c, 0.0)
              for c in allowed]
    peak = max(logits, default=0.0)
    weights = [math.exp(v - peak) for v in logits]
    total = sum(weights) or 1.0
    cue_seen = max((bonus.get(c, 0.0) for c in allowed), default=0.0)
    scale = EVIDENCE_JA if is_japanese(normal(text)) else EVIDENCE
    evidence = 1.0 - math.exp(-(top + max(cue_seen, 0.0)) / scale)
    scored = [(c, min(1.0, max(0.0, w / total * evidence))) for c, w in zip(allowed, weights,
                                                                              strict=True)]
    order = {c: i for i, c in enumerate(allowed)}
    return sorted(scored, key=lambda cs: (-cs[1], order[cs[0]]))


def suggested_category(text: str, catalog: Catalog, product: str | None) -> str | None:
    """The best category when the matcher is sure of it, else None: suggest nothing when
    unsure, so that wrong suggestions stay rare."""
    return confident(rank_categories(text, catalog, product))


def confident(ranked: Sequence[tuple[str, float]]) -> str | None:
    """The first of a ranking when it is sure enough and far enough ahead, else None."""
    if not ranked:
        return None
    best, score = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    return best if score >= CONFIDENT and score - second >= MARGIN else None


def warm_up() -> None:
    """Build the index now (about a second on a loaded machine) rather than on a worker's
    first message."""
    _index()
