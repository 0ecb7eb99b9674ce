from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from flows.catalog import Catalog, CatalogError, Product, get_catalog, load_catalog

SHIPPED = Path(__file__).resolve().parents[2] / "flows" / "catalog.yaml"


@pytest.fixture
def raw() -> dict[str, Any]:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_loads_default_and_is_cached() -> None:
    catalog = get_catalog()
    assert isinstance(catalog, Catalog)
    assert get_catalog() is catalog
    assert load_catalog() == catalog
    assert load_catalog(SHIPPED) == catalog


def test_shipped_catalog_content() -> None:
    c = get_catalog()
    assert len(c.products) == 16
    assert list(c.issue_types) == ["Product Issue", "Threat Issue", "Change Control Issue"]
    assert c.issue_types["Change Control Issue"] == ()
    assert "URL Reclassification" in c.issue_types["Threat Issue"]
    assert [s.name for s in c.severities] == ["Low", "Medium", "High", "Critical"]
    assert "24x7" in c.severities[3].meaning
    assert c.contact_methods == ("Email", "Phone")
    assert c.sample_passwords == ("infected", "novirus", "virus")
    assert c.max_total_mb == 250
    assert c.url_ratings[-1] == "Untested"
    assert "Windows 11" in c.operating_systems
    assert c.languages[0] == "English"
    assert len(c.virus_pattern_types) == 2


@pytest.mark.parametrize(
    ("name", "guid", "change_control", "tp"),
    [
        ("OfficeScan", True, False, None),
        ("Deep Security", False, True, None),
        ("Deep Security Virtual Appliance", False, False, None),
        ("Apex One", False, False, None),
        ("TippingPoint Digital Vaccine", False, False, "dv"),
        ("TippingPoint ThreatDV", False, False, "threatdv"),
    ],
)
def test_product_flags(name: str, guid: bool, change_control: bool, tp: str | None) -> None:
    p = get_catalog().product(name)
    assert isinstance(p, Product)
    assert (p.asks_toolbox_guid, p.allows_change_control, p.tippingpoint) == (
        guid, change_control, tp)


def test_only_flagged_products() -> None:
    c = get_catalog()
    assert [p.name for p in c.products if p.asks_toolbox_guid] == ["OfficeScan"]
    assert [p.name for p in c.products if p.allows_change_control] == ["Deep Security"]


def test_product_versions_and_settings() -> None:
    p = get_catalog().product("Worry-Free Business Security")
    assert p.versions == ("9.0", "10.0 SP1", "Services")
    assert "Behavior Monitoring" in p.settings
    assert get_catalog().product("Apex Central").settings == ()


def test_unknown_product_is_keyerror() -> None:
    with pytest.raises(KeyError):
        get_catalog().product("Norton")


def test_models_are_frozen() -> None:
    p = get_catalog().product("OfficeScan")
    with pytest.raises(ValidationError, match="frozen"):
        p.name = "x"


@pytest.mark.parametrize("key", [75, "75", "Phishing", "phishing", "  PHISHING "])
def test_url_category_lookup(key: int | str) -> None:
    cat = get_catalog().url_category(key)
    assert (cat.id, cat.name, cat.group) == (75, "Phishing", "Internet Security")


@pytest.mark.parametrize("key", [9999, "Nonsense", "Phish"])
def test_url_category_unknown(key: int | str) -> None:
    with pytest.raises(KeyError):
        get_catalog().url_category(key)


def test_url_groups_in_catalog_order() -> None:
    groups = get_catalog().url_groups()
    assert list(groups)[:7] == [
        "Adult", "Business", "Communications and Search", "General", "Internet Security",
        "Lifestyle", "Network Bandwidth",
    ]
    assert [c.name for c in groups["Business"]][:2] == ["Business/Economy", "Financial Services"]
    assert sum(len(v) for v in groups.values()) == len(get_catalog().url_categories)


def _mutate_duplicate_product(raw: dict[str, Any]) -> str:
    raw["products"].append(dict(raw["products"][0]))
    return "duplicate product name 'Apex One'"


def _mutate_empty_versions(raw: dict[str, Any]) -> str:
    raw["products"][1]["versions"] = []
    return "OfficeScan"


def _mutate_unknown_issue_type(raw: dict[str, Any]) -> str:
    raw["issue_types"]["Billing Issue"] = ["Invoices"]
    return "unknown issue type 'Billing Issue'"


def _mutate_missing_severity(raw: dict[str, Any]) -> str:
    del raw["severities"]["Critical"]
    return "missing ['Critical']"


def _mutate_missing_untested(raw: dict[str, Any]) -> str:
    raw["url_ratings"].remove("Untested")
    return "url_ratings is missing ['Untested']"


def _mutate_dup_category_across_groups(raw: dict[str, Any]) -> str:
    raw["url_categories"]["Business"][75] = "Phishing Again"
    return "duplicate url category id 75"


def _mutate_bad_tippingpoint(raw: dict[str, Any]) -> str:
    raw["products"][-1]["tippingpoint"] = "ips"
    return "TippingPoint ThreatDV"


def _mutate_category_under_change_control(raw: dict[str, Any]) -> str:
    raw["issue_types"]["Change Control Issue"] = ["Anything"]
    return "'Change Control Issue' must have no categories"


def _mutate_unknown_field(raw: dict[str, Any]) -> str:
    raw["products"][0]["colour"] = "red"
    return "colour"


@pytest.mark.parametrize(
    "mutate",
    [
        _mutate_duplicate_product,
        _mutate_empty_versions,
        _mutate_unknown_issue_type,
        _mutate_missing_severity,
        _mutate_missing_untested,
        _mutate_dup_category_across_groups,
        _mutate_bad_tippingpoint,
        _mutate_category_under_change_control,
        _mutate_unknown_field,
    ],
)
def test_broken_catalog_names_the_bad_entry(tmp_path: Path, raw: dict[str, Any],
                                           mutate: Callable[[dict[str, Any]], str]) -> None:
    expected = mutate(raw)
    path = write(tmp_path, raw)
    with pytest.raises(CatalogError) as exc:
        load_catalog(path)
    assert expected in str(exc.value)
    assert str(path) in str(exc.value)


def test_duplicate_category_id_within_a_group(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace("3: Pornography", "1: Pornography")
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match="duplicate key 1 on line"):
        load_catalog(path)


@pytest.mark.parametrize("text", ["products: [", "- just\n- a list", ""])
def test_not_a_catalog(tmp_path: Path, text: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match="catalog"):
        load_catalog(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "nope.yaml")


def test_catalog_error_is_value_error() -> None:
    assert issubclass(CatalogError, ValueError)


def test_extended_catalog_keeps_working(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["products"].append({"name": "Vision One", "versions": ["SaaS"], "settings": []})
    c = load_catalog(write(tmp_path, raw))
    assert c.product("Vision One").versions == ("SaaS",)
