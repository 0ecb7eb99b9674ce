"""The App Home view (adapters/slack/home.py): what it lists and that user text stays text."""

from __future__ import annotations

from adapters.slack.home import HOME_ACTIONS, home_text, home_view
from bot.protocol import OpenCase


def test_cases_newest_first_as_given_and_subjects_escaped() -> None:
    view = home_view([OpenCase("10000002", "<!channel> console & agents", "open",
                               "2026-11-30 10:00"),
                      OpenCase("10000001", "older", "in progress", "2026-11-29 09:00")])
    text = home_text(view)
    assert view["type"] == "home"
    assert "&lt;!channel&gt; console &amp; agents" in text
    assert "<!channel>" not in text
    assert text.index("10000002") < text.index("10000001")
    assert "in progress · updated 2026-11-29 09:00 UTC" in text
    ids = [e["action_id"] for b in view["blocks"] if b["type"] == "actions"
           for e in b["elements"]]
    assert ids == list(HOME_ACTIONS)


def test_many_cases_stay_within_slacks_block_limit() -> None:
    many = [OpenCase(str(10000000 + n), "s", "open", "") for n in range(200)]
    assert len(home_view(many)["blocks"]) <= 50


def test_not_linked_and_no_cases() -> None:
    assert "link your work email" in home_text(home_view(None))
    assert "no open cases" in home_text(home_view([]))
