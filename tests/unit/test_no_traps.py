"""Issue 10's list of answers that trapped the user (items 1–5, and the list part of 9).

Each test goes through the service (or the terminal chat reading piped lines) as a user would,
and each failed on the code before issue 10.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console.app import ConsoleChat
from bot.chat import Chat
from bot.service import Service
from tests.unit.flowkit import WHO, Talk, case_json, fresh_service, seeded_home

TO_REVIEW = ["HQ Apex One", "Windows 10", "Product Issues", "Agents offline", "They stopped.",
             "Low"]
LOW = "Low — Cosmetic issue, enhancement request or general question"


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_home(tmp_path_factory.mktemp("traps"))


@pytest.fixture
def talk(seed: Path, tmp_path: Path) -> Talk:
    service = fresh_service(seed, tmp_path / "home")
    # these tests are about how lists are typed; which domains CC may reach is issue 11's
    service.cc_outside_domains = True
    t = Talk(service)
    t.start()
    return t


def review(talk: Talk) -> dict[str, str]:
    assert talk.prompt.kind == "review", talk.prompt
    return {i.label: i.value for i in talk.prompt.summary}


def console(service: Service, lines: list[str]) -> str:
    out = io.StringIO()
    ConsoleChat(Chat(service), WHO, stdin=io.StringIO("\n".join(lines) + "\n"),
                stdout=out).run()
    return out.getvalue()


# -- 1. a listed choice that cannot be picked ---------------------------------------------------

def test_skip_at_the_description_is_picked_by_number_and_name(talk: Talk) -> None:
    talk.say("HQ Apex One", "Windows 10", "URL Reclassification", "https://a.example/",
             "Safe", "Shopping", "Low")
    assert review(talk)["Description"] == "—"
    for answer in ("1", "Skip", "skip"):
        talk.say("Edit Description")
        assert [c.label for c in talk.prompt.choices] == ["Skip"]
        talk.say(answer)
        assert review(talk)["Description"] == "—", answer  # skipped, not typed in


def test_skip_typed_in_the_terminal_needs_no_closing_dot(seed: Path, tmp_path: Path) -> None:
    service = fresh_service(seed, tmp_path / "home")
    out = console(service, ["/newcase", "HQ Apex One", "Windows 10", "URL Reclassification",
                            "https://a.example/", ".", "Safe", "Shopping", "Low",
                            "Edit Description", "1", "Submit"])
    number = out.split("Case number: ")[1].split()[0]
    assert case_json(service, number)["description"] == ""


def test_keep_at_the_subject_by_number_keeps_it(talk: Talk) -> None:
    talk.say(*TO_REVIEW, "Edit Subject")
    assert talk.prompt.choices[0].label == "Keep: Agents offline"
    talk.say("1")
    assert review(talk)["Subject"] == "Agents offline"  # not "1"
    talk.say("Edit Subject", "keep")
    assert review(talk)["Subject"] == "Agents offline"  # not "keep"


def test_attachments_done_by_number(talk: Talk) -> None:
    talk.say(*TO_REVIEW, "Edit Attachments")
    assert [c.label for c in talk.prompt.choices] == ["No attachments"]
    talk.say("1")
    assert review(talk)["Attachments"] == "none"


def test_severity_typed_as_shown(talk: Talk) -> None:
    talk.say(*TO_REVIEW[:-1])
    assert talk.prompt.step == "severity"
    talk.say(LOW)
    assert review(talk)["Case severity"] == "Low"


# -- 2. optional steps take empty, skip, none, no -------------------------------------------------

@pytest.mark.parametrize(("answer", "kept"), [("", True), ("skip", True), ("none", False),
                                          ("no", False)])
def test_cc_optional_answers(talk: Talk, answer: str, kept: bool) -> None:
    talk.say(*TO_REVIEW, "Edit CC emails", "bob@acme.example, done", "Edit CC emails")
    talk.say(answer)
    assert review(talk)["CC emails"] == ("bob@acme.example" if kept else "none")


def test_a_word_that_does_nothing_is_answered(talk: Talk) -> None:
    talk.say(*TO_REVIEW, "Edit CC emails")
    p = talk.say("maybe")[-1]
    assert p.step == "cc_emails"
    assert p.error
    assert "not a valid address" in p.error


# -- 3. list steps are idempotent and end with done or '.' -------------------------------------

def test_retyping_an_address_keeps_it_and_dot_finishes(talk: Talk) -> None:
    talk.say(*TO_REVIEW, "Edit CC emails", "bob@acme.example")
    talk.say("bob@acme.example")  # typed again: still there
    assert talk.prompt.selected == ("bob@acme.example",)
    talk.say("carol@acme.example", ".")
    assert review(talk)["CC emails"] == "bob@acme.example, carol@acme.example"
    talk.say("Edit CC emails", "remove bob@acme.example, done")  # removing is explicit
    assert review(talk)["CC emails"] == "carol@acme.example"


# -- 4. a line starting with / is a command, also inside multi-line text ------------------------

def test_commands_inside_a_multi_line_answer(seed: Path, tmp_path: Path) -> None:
    service = fresh_service(seed, tmp_path / "home")
    out = console(service, ["/newcase", "HQ Apex One", "Windows 10", "Product Issues",
                            "Subject", "first line", "/back", "Better subject",
                            "//etc/hosts is fine", "second line", ".", "Low", "Submit"])
    assert "Subject: a short title" in out.split("first line")[-1]  # /back went back
    number = out.split("Case number: ")[1].split()[0]
    case = case_json(service, number)
    assert case["subject"] == "Better subject"
    assert case["description"] == "/etc/hosts is fine\nsecond line"  # // types a slash


def test_cancel_inside_a_multi_line_answer(seed: Path, tmp_path: Path) -> None:
    service = fresh_service(seed, tmp_path / "home")
    out = console(service, ["/newcase", "HQ Apex One", "Windows 10", "Product Issues",
                            "Subject", "half a description", "/cancel"])
    assert "Cancelled. Nothing was submitted." in out


# -- 5. free text as people write it; no past change window; severity keeps the phone ---------

@pytest.mark.parametrize(("when", "shown"), [
    # stored in English canonical form (flows/times.py), shown in the reader's format
    ("Weekdays 09:00-12:00 CET", "Mon–Fri 9:00 AM – 12:00 PM CET"),
    ("Mondays 14:00-16:00 Europe/Berlin", "Mon 2:00 PM – 4:00 PM Europe/Berlin"),
    ("平日 9時〜17時 JST", "Mon–Fri 9:00 AM – 5:00 PM JST"),
    ("Mon-Fri 9am-5pm EST", "Mon–Fri 9:00 AM – 5:00 PM EST"),
    ("9-17 UTC+2", "9:00 AM – 5:00 PM UTC+2")])
def test_preferred_time_as_people_write_it(talk: Talk, when: str, shown: str) -> None:
    talk.say(*TO_REVIEW, "Edit Contact method", "Phone", "+44 20 7946 0958", when)
    assert review(talk)["Preferred time"] == shown


def test_change_window_in_the_past_is_refused(talk: Talk) -> None:
    talk.say("DC Deep Security", "Change Control Issue")
    p = talk.say("2020-01-10 22:00 Europe/Berlin")[-1]
    assert p.step == "change_start"
    assert p.error is not None
    assert "has already passed" in p.error
    talk.say("2030-01-10 22:00 Europe/Berlin")
    assert talk.prompt.step == "change_end"


@pytest.mark.parametrize(("typed", "start", "end"), [
    ("2030-01-10 22:00 to 2030-01-11 02:00 Europe/Berlin", "Jan 10, 2030, 10:00 PM CET",
     "Jan 11, 2030, 2:00 AM CET"),
    ("2030-01-10 22:00-02:00 CET", "Jan 10, 2030, 10:00 PM CET", "Jan 11, 2030, 2:00 AM CET"),
    ("2030年1月10日 22:00〜翌2:00 JST", "Jan 10, 2030, 10:00 PM JST",
     "Jan 11, 2030, 2:00 AM JST")])
def test_a_window_typed_at_the_start_answers_the_end(talk: Talk, typed: str, start: str,
                                                     end: str) -> None:
    talk.say("DC Deep Security", "Change Control Issue", typed)
    assert talk.prompt.step == "subject"  # the end is not asked
    talk.say("Upgrade", "Manager", "Low")
    shown = review(talk)
    assert (shown["Change start"], shown["Change end"]) == (start, end)


def test_editing_the_start_to_a_single_time_asks_the_end_again(talk: Talk) -> None:
    talk.say("DC Deep Security", "Change Control Issue", "2030-01-10 22:00-02:00 CET",
             "Upgrade", "Manager", "Low", "Edit Change start", "12 Jan 2030 10pm CET")
    assert talk.prompt.step == "change_end"
    talk.say("01:00")  # a time alone: the day after the start
    shown = review(talk)
    assert (shown["Change start"], shown["Change end"]) == ("Jan 12, 2030, 10:00 PM CET",
                                                            "Jan 13, 2030, 1:00 AM CET")


def test_the_past_is_what_the_flows_clock_says(seed: Path, tmp_path: Path) -> None:
    """Minutes either side of the clock's now (NOW: 2029-06-01 12:00 UTC, 14:00 in Berlin)."""
    talk = Talk(fresh_service(seed, tmp_path / "home"))
    talk.start()
    talk.say("DC Deep Security", "Change Control Issue")
    p = talk.say("2029-06-01 13:59 Europe/Berlin")[-1]
    assert p.step == "change_start"
    assert "has already passed" in (p.error or "")
    talk.say("2029-06-01 14:01 Europe/Berlin")
    assert talk.prompt.step == "change_end"


def test_editing_the_severity_keeps_the_phone_number(talk: Talk) -> None:
    talk.say(*TO_REVIEW, "Edit Contact method", "Phone", "+44 20 7946 0958",
             "09:00-17:00 Europe/London")
    talk.say("Edit Case severity", "Critical", "They cannot work.")
    # Critical needs a 24x7 phone: only that is asked again; the number is kept
    assert talk.prompt.step == "preferred_time"
    talk.say("Yes, 24x7")
    shown = review(talk)
    assert (shown["Phone"], shown["Preferred time"]) == ("+442079460958", "24x7")


# -- 9. a list with one bad entry keeps the good ones -------------------------------------------

def test_url_list_with_one_bad_entry_keeps_the_good_ones(talk: Talk) -> None:
    talk.say("HQ Apex One", "Windows 10", "URL Reclassification")
    p = talk.say("https://a.example/\nhttps://b.example/\njavascript:alert(1)")[-1]
    assert p.error is not None
    assert "javascript" in p.error
    assert "The other 2 URLs are kept" in p.error
    talk.say("https://c.example/")
    assert talk.prompt.step == "url1_rating"
    assert "URL 1 of 3" in talk.prompt.text


def test_cc_list_with_one_bad_entry_keeps_the_good_ones(talk: Talk) -> None:
    talk.say(*TO_REVIEW, "Edit CC emails")
    p = talk.say("bob@acme.example, not-an-address, carol@acme.example")[-1]
    assert p.error is not None
    assert "not-an-address" in p.error
    assert p.selected == ("bob@acme.example", "carol@acme.example")
    talk.say("dave@acme.example, done")
    assert review(talk)["CC emails"] == "bob@acme.example, carol@acme.example, dave@acme.example"
