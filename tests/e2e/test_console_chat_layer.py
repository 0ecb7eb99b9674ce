"""The terminal chat through the chat layer (issue 10, items 6 and 7).

- `/newcase` right after `casebot chat` opened a request does not say one is in progress;
- "Your draft is saved" only when the draft holds an answer;
- after Submit or /cancel, further lines don't each repeat the greeting;
- an operator's update to a terminal case is shown by the next `casebot chat`.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Chat, Script, submitted

PROFILE_Q = "A name for this profile"


def test_newcase_on_a_fresh_start_is_not_a_request_in_progress(chat: Chat) -> None:
    result = chat.run(["/newcase"])
    assert result.returncode == 0, result.stderr
    assert "in progress" not in result.stdout
    assert PROFILE_Q in result.stdout  # no profile yet: the request opens the profile form
    assert "Your draft is saved" not in result.stdout  # nothing was typed in it


def test_no_draft_saved_when_nothing_was_typed(chat: Chat) -> None:
    result = chat.run([])
    assert result.returncode == 0, result.stderr
    assert "Your draft is saved" not in result.stdout
    answered = chat.run(["/newcase", "HQ"])
    assert "Your draft is saved" in answered.stdout


def test_lines_after_cancel_do_not_each_repeat_the_greeting(chat: Chat) -> None:
    # /newcase opens the profile form (no profile yet): cancel it, then the request
    result = chat.run(["/newcase", "/cancel", "/cancel", "hello", "anything", "more"])
    assert result.returncode == 0, result.stderr
    after = result.after("Cancelled.")
    assert "Commands:" not in after  # the full command list is not repeated per line
    assert after.count("No request is open.") == 3  # each line still says how to start


def test_operator_update_to_a_terminal_case_shows_in_the_next_chat(chat: Chat) -> None:
    s = Script().first_profile("HQ", "Apex One", "2019", ["Windows 10"])
    s.say("Product Issues").common("Agents offline")
    (number,) = submitted(chat.run(s))
    chat.cli("cases", "update", number, "--status", "in progress", "--note",
             "We are looking at the agent logs.")
    shown = chat.run([])
    assert f"Update on case {number}" in shown.stdout
    assert "We are looking at the agent logs." in shown.stdout
    again = chat.run([])
    assert f"Update on case {number}" not in again.stdout  # shown once


# -- issue 15: a request from a saved message ------------------------------------------------

SAVED = "Apex One console hangs again\nSince the update the agents stop reporting.\n"


def test_describe_file_starts_a_request_described_by_it(chat: Chat, tmp_path: Path) -> None:
    saved = tmp_path / "message.txt"
    saved.write_text(SAVED)
    s = Script().profile_form("HQ", "Apex One", "2019", ["Windows 10"])
    s.say("Product Issues", "Low", "Submit")
    (number,) = submitted(chat.run(s, args=["--describe", str(saved)]))
    case = chat.case(number)
    assert case["subject"] == "Apex One console hangs again"
    assert case["description"] == SAVED.rstrip("\n")
    assert case["source_url"] is None


def test_text_on_stdin_before_the_first_question_describes_the_request(chat: Chat) -> None:
    s = Script().say("Apex One console hangs again since the update")
    s.profile_form("HQ", "Apex One", "2019", ["Windows 10"]).say("Product Issues", "Low",
                                                                   "Submit")
    (number,) = submitted(chat.run(s))
    assert chat.case(number)["subject"] == "Apex One console hangs again since the update"


def test_describe_file_that_cannot_be_read_is_bad_usage(chat: Chat, tmp_path: Path) -> None:
    result = chat.run([], args=["--describe", str(tmp_path / "missing.txt")])
    assert result.returncode == 2
    assert "missing.txt" in result.stderr
