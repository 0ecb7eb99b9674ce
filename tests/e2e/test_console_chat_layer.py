"""The terminal chat through the chat layer (issue 10, items 6 and 7).

- `/newcase` right after `casebot chat` opened a request does not say one is in progress;
- "Your draft is saved" only when the draft holds an answer;
- after Submit or /cancel, further lines don't each repeat the greeting;
- an operator's update to a terminal case is shown by the next `casebot chat`.
"""

from __future__ import annotations

from tests.e2e.conftest import Chat, Script, submitted

PROFILE_Q = "Update or add a product profile"


def test_newcase_on_a_fresh_start_is_not_a_request_in_progress(chat: Chat) -> None:
    result = chat.run(["/newcase"])
    assert result.returncode == 0, result.stderr
    assert "in progress" not in result.stdout
    assert result.stdout.count(PROFILE_Q) >= 2  # the same first question, shown again


def test_no_draft_saved_when_nothing_was_typed(chat: Chat) -> None:
    result = chat.run([])
    assert result.returncode == 0, result.stderr
    assert "Your draft is saved" not in result.stdout
    answered = chat.run(["Update or add a product profile"])
    assert "Your draft is saved" in answered.stdout


def test_lines_after_cancel_do_not_each_repeat_the_greeting(chat: Chat) -> None:
    result = chat.run(["/cancel", "hello", "anything", "more"])
    assert result.returncode == 0, result.stderr
    after = result.after("Cancelled.")
    assert "Commands:" not in after  # the full command list is not repeated per line
    assert after.count("No request is open.") == 3  # each line still says how to start


def test_operator_update_to_a_terminal_case_shows_in_the_next_chat(chat: Chat) -> None:
    s = Script().add_profile("HQ", "Apex One", "2019", ["Windows 10"])
    s.say("Windows 10", "Product Issue", "Product Issues").common("Agents offline")
    (number,) = submitted(chat.run(s))
    chat.cli("cases", "update", number, "--status", "in progress", "--note",
             "We are looking at the agent logs.")
    shown = chat.run([])
    assert f"Update on case {number}" in shown.stdout
    assert "We are looking at the agent logs." in shown.stdout
    again = chat.run([])
    assert f"Update on case {number}" not in again.stdout  # shown once
