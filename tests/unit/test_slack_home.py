"""The App Home view (adapters/slack/home.py): what it lists and that user text stays text."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.slack.home import HOME_ACTIONS, home_text, home_view
from bot.protocol import OpenCase

NOV_30 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
NOV_29 = datetime(2026, 11, 29, 21, 5, tzinfo=UTC)


def test_cases_newest_first_as_given_and_subjects_escaped() -> None:
    view = home_view([OpenCase("10000002", "<!channel> console & agents", "open", NOV_30),
                      OpenCase("10000001", "older", "in progress", NOV_29)])
    text = home_text(view)
    assert view["type"] == "home"
    assert "&lt;!channel&gt; console &amp; agents" in text
    assert "<!channel>" not in text
    assert text.index("10000002") < text.index("10000001")
    assert "in progress · updated Nov 29, 2026, 9:05 PM UTC" in text
    ids = [e["action_id"] for b in view["blocks"] if b["type"] == "actions"
           for e in b["elements"]]
    assert ids == list(HOME_ACTIONS)


def test_many_cases_stay_within_slacks_block_limit() -> None:
    many = [OpenCase(str(10000000 + n), "s", "open", NOV_30) for n in range(200)]
    assert len(home_view(many)["blocks"]) <= 50


def test_not_linked_and_no_cases() -> None:
    assert "link your work email" in home_text(home_view(None))
    assert "no open cases" in home_text(home_view([]))


def test_the_update_time_is_in_the_readers_language() -> None:
    """Japanese readers get CLDR's Japanese date; the stored instant is shown in UTC."""
    text = home_text(home_view([OpenCase("10000001", "s", "open", NOV_29)], "ja"))
    assert "2026年11月29日 21:05 UTC" in text
