"""What a description most likely means: a profile, a product, an issue category.

Matched locally (rapidfuzz against the catalog's product names and versions, the contact's
profile names, and a few keywords per category): no network, no model. The result is only
ever offered first, marked as a suggestion; the user's press decides (intake.md, "Asking less
than the portal").
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from flows.catalog import Catalog
from flows.context import ProfileView
from flows.understand.categories import suggested_category as understood_category

# Below this partial-ratio score a name or keyword is not taken as mentioned.
CUTOFF = 88

def _mentions(needle: str, text: str) -> float:
    needle = needle.casefold().strip()
    if not needle:
        return 0.0
    return float(fuzz.partial_ratio(needle, text, score_cutoff=CUTOFF))


def suggested_profile(text: str, profiles: Sequence[ProfileView]) -> str | None:
    """The profile whose name, product or version the text names best (its id), or None."""
    low = text.casefold()
    best: tuple[float, str] | None = None
    tie = False
    for p in profiles:
        score = max(_mentions(p.name, low), _mentions(p.product, low))
        if score and p.version.casefold() in low.split():
            score += 5
        if not score:
            continue
        if best is None or score > best[0]:
            best, tie = (score, str(p.id)), False
        elif score == best[0]:
            tie = True
    return None if best is None or tie else best[1]


def suggested_product(text: str, catalog: Catalog) -> str | None:
    """The catalog product the text names (longest name wins: "Deep Security Virtual
    Appliance" over "Deep Security"), or None."""
    low = text.casefold()
    hits = [p.name for p in catalog.products if _mentions(p.name, low) >= 95]
    return max(hits, key=len) if hits else None


def suggested_category(text: str, catalog: Catalog, product: str | None) -> str | None:
    """The issue category (or "Change Control Issue") the text most likely means, or None when
    unsure (flows/understand/categories.py ranks them all)."""
    return understood_category(text, catalog, product)
