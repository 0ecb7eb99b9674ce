"""A pybabel extractor for flows/catalog.yaml (babel.cfg): the catalog's own words a customer
reads as casebot's text (issue groups and categories, severities with their definitions and
response times, contact methods, virus pattern types, URL ratings, URL categories and their
groups) become msgids, so they are translated like any other message. So do product names
and the products' languages: a product keeps its English name where the vendor sells it under
that name (the translation copies it), and shows the vendor's own local name where there is one
(OfficeScan is ウイルスバスター コーポレートエディション in Japan). OS names stay as written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml

Extracted = tuple[int, str, str, list[str]]


def catalog_words(data: dict[str, Any]) -> Iterator[str]:
    for group, categories in (data.get("issue_types") or {}).items():
        yield group
        yield from categories or ()
    yield from data.get("virus_pattern_types") or ()
    for name, sev in (data.get("severities") or {}).items():
        yield name
        yield sev["meaning"]
        yield sev["response"]
    yield from data.get("contact_methods") or ()
    yield from (product["name"] for product in data.get("products") or ())
    yield from data.get("languages") or ()
    yield from data.get("url_ratings") or ()
    for group, categories in (data.get("url_categories") or {}).items():
        yield group
        yield from (categories or {}).values()


def extract_catalog(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                    options: Any) -> Iterator[Extracted]:
    """Babel's extractor interface: (line, function, message, comments) per msgid."""
    text = fileobj.read().decode("utf-8")
    data = yaml.safe_load(text)
    lines = text.splitlines()
    for word in dict.fromkeys(catalog_words(data)):
        line = next((i for i, ln in enumerate(lines, 1) if word in ln), 0)
        yield line, "_", word, ["catalog.yaml data"]
