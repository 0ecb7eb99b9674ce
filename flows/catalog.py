"""Reference data for the intake form (products, issue types, severities, URL categories).

The data lives in `catalog.yaml` beside this module so support staff can change it without
touching code; it is checked on load so a typo fails at start-up, not in a customer's chat.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from flows.normalize import normal
from flows.sla import BadTarget, Targets

DEFAULT_PATH = Path(__file__).with_name("catalog.yaml")

ISSUE_TYPES = ("Product Issue", "Threat Issue", "Change Control Issue")
SEVERITIES = ("Low", "Medium", "High", "Critical")
REQUIRED_RATINGS = ("Safe", "Suspicious", "Highly Suspicious", "Dangerous", "Untested")
CONTACT_METHODS = ("Email", "Phone")


class CatalogError(ValueError):
    """The catalog file is unusable; the message names the bad entry."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _nonblank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _unique(items: tuple[str, ...], what: str) -> tuple[str, ...]:
    seen: set[str] = set()
    for item in items:
        key = item.casefold()
        if key in seen:
            raise ValueError(f"duplicate {what} {item!r}")
        seen.add(key)
    return items


class Product(_Frozen):
    name: str
    versions: tuple[str, ...]
    settings: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    asks_toolbox_guid: bool = False
    allows_change_control: bool = False
    tippingpoint: Literal["dv", "threatdv"] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _nonblank(v)

    @field_validator("versions")
    @classmethod
    def _versions(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("needs at least one version")
        return _unique(tuple(_nonblank(x) for x in v), "version")

    @field_validator("settings")
    @classmethod
    def _settings(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _unique(tuple(_nonblank(x) for x in v), "setting")

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _unique(tuple(_nonblank(x) for x in v), "alias")


class Severity(_Frozen):
    name: str
    meaning: str
    response: str


class UrlCategory(_Frozen):
    id: int = Field(ge=0)
    name: str
    group: str


class Catalog(_Frozen):
    products: tuple[Product, ...]
    operating_systems: tuple[str, ...]
    languages: tuple[str, ...]
    issue_types: dict[str, tuple[str, ...]]
    virus_pattern_types: tuple[str, ...]
    severities: tuple[Severity, ...]
    contact_methods: tuple[str, ...]
    sample_passwords: tuple[str, ...]
    max_total_mb: int = Field(gt=0)
    url_ratings: tuple[str, ...]
    url_categories: tuple[UrlCategory, ...]

    def product(self, name: str) -> Product:
        for p in self.products:
            if p.name == name:
                return p
        raise KeyError(name)

    def url_category(self, id_or_name: int | str) -> UrlCategory:
        if isinstance(id_or_name, int):
            for c in self.url_categories:
                if c.id == id_or_name:
                    return c
        elif id_or_name.strip().isdigit():
            return self.url_category(int(id_or_name))
        else:
            key = id_or_name.strip().casefold()
            for c in self.url_categories:
                if c.name.casefold() == key:
                    return c
        raise KeyError(id_or_name)

    def url_groups(self) -> dict[str, tuple[UrlCategory, ...]]:
        groups: dict[str, list[UrlCategory]] = {}
        for c in self.url_categories:
            groups.setdefault(c.group, []).append(c)
        return {g: tuple(cs) for g, cs in groups.items()}

    def _check(self) -> None:
        """Cross-field rules pydantic can't express per field; the first broken one is raised."""
        self._check_products()
        self._check_lists()
        self._check_issue_types()
        self._check_severities()
        self._check_contacts_and_ratings()
        self._check_url_categories()
        self._check_tippingpoint_kinds()

    def _check_products(self) -> None:
        """At least one product, and no two with the same name (ignoring case); no name or
        alias that means two products."""
        if not self.products:
            raise CatalogError("catalog: 'products' is empty; list at least one product.")
        seen: set[str] = set()
        for p in self.products:
            if p.name.casefold() in seen:
                raise CatalogError(f"catalog: duplicate product name {p.name!r}.")
            seen.add(p.name.casefold())
        owner: dict[str, str] = {}
        for p in self.products:
            for word in (p.name, *p.aliases):
                key = " ".join(normal(word).casefold().split())
                if owner.setdefault(key, p.name) != p.name:
                    raise CatalogError(f"catalog: {word!r} of {p.name!r} already names "
                                       f"{owner[key]!r}; an alias must mean one product.")

    def _check_lists(self) -> None:
        """The plain lists of choices are non-empty and without repeats."""
        for field in ("operating_systems", "languages", "virus_pattern_types",
                      "contact_methods", "url_ratings"):
            values = getattr(self, field)
            if not values:
                raise CatalogError(f"catalog: {field!r} is empty.")
            try:
                _unique(values, f"entry in {field!r}:")
            except ValueError as exc:
                raise CatalogError(f"catalog: {exc}.") from None

    def _check_issue_types(self) -> None:
        """Exactly the known issue types; categories for all but Change Control, each once."""
        for name in self.issue_types:
            if name not in ISSUE_TYPES:
                raise CatalogError(
                    f"catalog: unknown issue type {name!r}; expected one of {list(ISSUE_TYPES)}."
                )
        missing = [t for t in ISSUE_TYPES if t not in self.issue_types]
        if missing:
            raise CatalogError(f"catalog: issue_types is missing {missing}.")
        if self.issue_types["Change Control Issue"]:
            raise CatalogError("catalog: 'Change Control Issue' must have no categories.")
        all_categories: set[str] = set()
        for t, cats in self.issue_types.items():
            if t != "Change Control Issue" and not cats:
                raise CatalogError(f"catalog: issue type {t!r} has no categories.")
            for c in cats:
                if c in all_categories:
                    raise CatalogError(f"catalog: issue category {c!r} is listed twice.")
                all_categories.add(c)

    def _check_severities(self) -> None:
        """Exactly Low, Medium, High and Critical, each once."""
        sev_names = [s.name for s in self.severities]
        missing = [s for s in SEVERITIES if s not in sev_names]
        extra = [s for s in sev_names if s not in SEVERITIES]
        if missing or extra or len(sev_names) != len(set(sev_names)):
            raise CatalogError(
                "catalog: severities must be exactly Low, Medium, High, Critical"
                + (f"; missing {missing}" if missing else "")
                + (f"; unexpected {extra}" if extra else "")
                + ("; one is listed twice" if not missing and not extra else "")
                + "."
            )
        try:  # response times are read by flows/sla.py: a typo fails here, at start-up
            Targets((s.name, s.response) for s in self.severities)
        except BadTarget as exc:
            raise CatalogError(f"catalog: {exc}.") from None

    def _check_contacts_and_ratings(self) -> None:
        """The contact methods and URL ratings the flows name are all there."""
        for needed in CONTACT_METHODS:
            if needed not in self.contact_methods:
                raise CatalogError(f"catalog: contact_methods is missing {needed!r}.")
        missing = [r for r in REQUIRED_RATINGS if r not in self.url_ratings]
        if missing:
            raise CatalogError(f"catalog: url_ratings is missing {missing}.")

    def _check_url_categories(self) -> None:
        """At least one URL category; ids unique, names unique ignoring case."""
        if not self.url_categories:
            raise CatalogError("catalog: 'url_categories' is empty.")
        ids: set[int] = set()
        names: set[str] = set()
        for uc in self.url_categories:
            if uc.id in ids:
                raise CatalogError(f"catalog: duplicate url category id {uc.id} ({uc.name!r}).")
            if uc.name.casefold() in names:
                raise CatalogError(f"catalog: duplicate url category name {uc.name!r}.")
            ids.add(uc.id)
            names.add(uc.name.casefold())

    def _check_tippingpoint_kinds(self) -> None:
        """Each TippingPoint kind belongs to one product at most."""
        tp = [p.tippingpoint for p in self.products if p.tippingpoint]
        if len(tp) != len(set(tp)):
            raise CatalogError("catalog: more than one product claims the same tippingpoint kind.")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, which plain YAML silently overwrites."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            line = key_node.start_mark.line + 1
            raise CatalogError(f"catalog: duplicate key {key!r} on line {line}.")
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _as_mapping(value: Any, where: str) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise CatalogError(f"catalog: {where!r} must be a mapping, got {type(value).__name__}.")
    return value


def _issue_types(raw: Any) -> dict[str, Any]:
    """Put the known types in the order the form shows them; unknown ones are rejected later."""
    given = {str(k): v or [] for k, v in _as_mapping(raw, "issue_types").items()}
    known = {t: given[t] for t in ISSUE_TYPES if t in given}
    return {**known, **{k: v for k, v in given.items() if k not in known}}


def _severities(raw: Any) -> list[dict[str, Any]]:
    out = []
    for name, body in _as_mapping(raw, "severities").items():
        body = _as_mapping(body, f"severities.{name}")
        out.append({"name": str(name), **body})
    return out


def _url_categories(raw: Any) -> list[dict[str, Any]]:
    out = []
    for group, entries in _as_mapping(raw, "url_categories").items():
        for cid, name in _as_mapping(entries, f"url_categories.{group}").items():
            if isinstance(cid, bool) or not isinstance(cid, int):
                raise CatalogError(
                    f"catalog: url category id {cid!r} in group {group!r} is not a number."
                )
            out.append({"id": cid, "name": name, "group": str(group)})
    return out


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def _from_raw(raw: Any, source: str) -> Catalog:
    raw = _as_mapping(raw, "top level")
    archive = _as_mapping(raw.get("sample_archive"), "sample_archive")
    data = {
        "products": raw.get("products") or [],
        "operating_systems": raw.get("operating_systems") or [],
        "languages": raw.get("languages") or [],
        "issue_types": _issue_types(raw.get("issue_types")),
        "virus_pattern_types": raw.get("virus_pattern_types") or [],
        "severities": _severities(raw.get("severities")),
        "contact_methods": raw.get("contact_methods") or [],
        "sample_passwords": archive.get("passwords_commonly_used") or [],
        "max_total_mb": archive.get("max_total_mb", 250),
        "url_ratings": raw.get("url_ratings") or [],
        "url_categories": _url_categories(raw.get("url_categories")),
    }
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        products = data["products"]
        detail = _describe(exc)
        # Name the product rather than its list index, which nobody can find in the YAML.
        for err in exc.errors():
            loc = err["loc"]
            if len(loc) >= 2 and loc[0] == "products" and isinstance(loc[1], int):
                with contextlib.suppress(KeyError, IndexError, TypeError):
                    detail = f"product {products[loc[1]]['name']!r}: " + detail
                break
        raise CatalogError(f"catalog {source}: {detail}") from None
    catalog._check()
    return catalog


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalog; the default is the YAML shipped beside this module."""
    p = Path(path) if path is not None else DEFAULT_PATH
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"catalog {p}: cannot read it ({exc.strerror}).") from None
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
        return _from_raw(raw, str(p))
    except yaml.YAMLError as exc:
        raise CatalogError(f"catalog {p}: not valid YAML ({exc}).") from None
    except CatalogError as exc:
        msg = str(exc)
        if msg.startswith("catalog: "):
            msg = f"catalog {p}: " + msg.removeprefix("catalog: ")
        raise CatalogError(msg) from None


@functools.cache
def get_catalog() -> Catalog:
    """The shipped catalog, loaded once per process."""
    return load_catalog()
