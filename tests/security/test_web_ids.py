"""Issue 22, finding 10: `?account=²`, `?before=²`, `/accounts/²` and 30-digit ids passed
`isdigit()` and crashed the handler with a 500. Ids are ASCII digits, at most 18."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import Console

ODD = ["²", "9" * 30, "١٢", "1e3", "-1"]


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    console = Console(Path(tmp_path_factory.mktemp("web")) / "home")
    console.add_operator()
    console.start()
    client = console.signed_in()
    try:
        yield client
    finally:
        client.close()
        console.close()


@pytest.mark.parametrize("raw", ODD)
def test_odd_ids_in_the_inbox_filters_are_ignored(signed_in: httpx.Client, raw: str) -> None:
    assert signed_in.get("/", params={"account": raw}).status_code == 200
    assert signed_in.get("/", params={"before": raw}).status_code == 200
    for cursor in (raw, f"1@{raw}", f"{raw}@2026-12-06T10:00:00+00:00", "1@0001-01-01"):
        for way in ("after", "before"):
            assert signed_in.get("/", params={"view": "unresolved", way: cursor}
                                 ).status_code == 200


@pytest.mark.parametrize("raw", ODD)
def test_odd_account_ids_are_not_found(signed_in: httpx.Client, raw: str) -> None:
    assert signed_in.get(f"/accounts/{raw}").status_code == 404
