"""What a description most likely means: a profile, a product, an issue category.

Matched locally: products by the catalog's names and aliases (flows/understand/products.py),
profiles by their names too, categories by the ranked matcher (flows/understand/categories.py);
no network, no model download. The result is only ever offered first, marked as a suggestion;
the user's press decides (intake.md, "Asking less than the portal").
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from flows.answers import CHANGE_CONTROL, SPAM_CATEGORIES
from flows.catalog import Catalog, get_catalog
from flows.context import ProfileView
from flows.normalize import normal
from flows.understand.categories import suggested_category as understood_category
from flows.understand.products import products_named
from flows.understand.versions import version_named

# Below this partial-ratio score a name or keyword is not taken as mentioned.
CUTOFF = 88


def _mentions(needle: str, text: str) -> float:
    needle = needle.casefold().strip()
    if not needle:
        return 0.0
    return float(fuzz.partial_ratio(needle, text, score_cutoff=CUTOFF))


def suggested_profile(text: str, profiles: Sequence[ProfileView],
                      catalog: Catalog | None = None) -> str | None:
    """The profile whose name or product the text names best (its id), or None: a named
    product ("OSCE", "DSM") counts as its profile, a profile's own name ("HQ servers") too,
    and a version named beside it breaks a tie between two profiles of one product."""
    low = normal(text).casefold()
    catalog = catalog or get_catalog()
    named = products_named(text, catalog)
    best: tuple[float, str] | None = None
    tie = False
    for p in profiles:
        by_product = 100.0 - named.index(p.product) if p.product in named else 0.0
        score = max(_mentions(p.name, low), by_product)
        if score and (p.version.casefold() in low.split()
                      or version_named(text, p.product, catalog) == p.version):
            score += 5
        if not score:
            continue
        if best is None or score > best[0]:
            best, tie = (score, str(p.id)), False
        elif score == best[0]:
            tie = True
    return None if best is None or tie else best[1]


def profile_by_topic(text: str, profiles: Sequence[ProfileView],
                     catalog: Catalog) -> str | None:
    """For a text that names no product: the one profile whose product fits what the text is
    about (spam: the mail product; a change window: Deep Security), or None."""
    topic = suggested_category(text, catalog, None)
    if topic is None:
        return None
    fits = [p for p in profiles if _fits(topic, p.product, catalog)]
    return str(fits[0].id) if len(fits) == 1 else None


def _fits(topic: str, product_name: str, catalog: Catalog) -> bool:
    try:
        product = catalog.product(product_name)
    except KeyError:
        return False
    if topic == CHANGE_CONTROL:
        return product.allows_change_control
    if topic in SPAM_CATEGORIES:
        return any("spam" in setting.casefold() for setting in product.settings)
    return False


def suggested_product(text: str, catalog: Catalog) -> str | None:
    """The catalog product the text names (by name or alias, the most often named), or
    None."""
    named = products_named(text, catalog)
    return named[0] if named else None


def suggested_category(text: str, catalog: Catalog, product: str | None) -> str | None:
    """The issue category (or "Change Control Issue") the text most likely means, or None when
    unsure (flows/understand/categories.py ranks them all)."""
    return understood_category(text, catalog, product)
