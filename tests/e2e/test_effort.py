"""Issue 10's targets: no path costs more actions than its target (bench/effort.py's paths).

Each path runs for real (the terminal subprocess, the Bolt app, the PTB application against
their stand-ins) and must end with the case it was meant to make.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.effort import (
    ALERT,
    CHATS,
    DEEP_TEXT,
    PRODUCT,
    RUNNERS,
    SCENARIOS,
    Scenario,
    text_of,
)

EXPECTED = {  # what each path must have made
    "product1": ("HQ Apex One", "Product Issues"),
    "product2": ("DC Deep Security", "Product Issues"),
    "url": ("HQ Apex One", "URL Reclassification"),
    "threat": ("HQ Apex One", "Collected Threat Sample Analysis"),
    "message": ("HQ Apex One", "Product Issues"),
    "first": ("HQ Apex One", "Product Issues"),
}

DESCRIBED = {"product1": PRODUCT, "product2": DEEP_TEXT, "message": ALERT, "first": PRODUCT}


@pytest.mark.timeout(120)
@pytest.mark.real_english("bench/effort.py sets each scenario's language itself (en, ja)")
@pytest.mark.parametrize("chat", CHATS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.key)
def test_actions_within_target(scenario: Scenario, chat: str, tmp_path: Path) -> None:
    count, case = RUNNERS[chat](scenario.key, tmp_path)
    assert (case["profile_name"], case["issue_category"]) == EXPECTED[scenario.path]
    assert case["channel"] == ("console" if chat == "terminal" else chat)
    if scenario.japanese:  # stored as written
        assert case["description"] == text_of(scenario.key, DESCRIBED[scenario.path])
    if scenario.key == "url":
        assert case["urls"][0]["requested_rating"] == "Dangerous"
        assert case["urls"][0]["requested_category"] == "Phishing"
    if scenario.path == "message":
        assert case["subject"] == ("Apex Oneの管理コンソールがまたフリーズしました"
                                   if scenario.japanese else "The Apex One console hangs again")
        if chat != "terminal":
            assert case["source_url"], "the link back to the message is kept"
    if scenario.key == "threat":
        assert [a["name"] for a in case["attachments"]] == ["sample.zip"]
    if scenario.ui != "en":  # casebot in Japanese: the same actions as in English
        english = scenario.key.removesuffix("ui")
        assert count == RUNNERS[chat](english, tmp_path / "en")[0], scenario.title
    target = scenario.targets[chat]
    if target is not None:
        assert count <= target, f"{scenario.title} in {chat}: {count} actions > {target}"
