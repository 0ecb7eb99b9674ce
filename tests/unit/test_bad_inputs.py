"""intake.md, "Bad input gets a clear answer and loses nothing": every example, through the service.

Each refused answer must come back with a message that says what is wrong, the same step asked
again, and the stored conversation exactly as it was before the bad answer.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console.app import ConsoleChat
from bot.chat import Chat
from bot.protocol import Who
from bot.service import Service
from flows.errors import Invalid
from flows.model import Inbound, Prompt
from store.db import make_engine
from store.tables import saved_id
from store.uow import unit_of_work
from tests.unit.flowkit import (
    WHO,
    Talk,
    case_json,
    fresh_service,
    profile_lines,
    seeded_home,
)
from tests.zipfactory import make_aes_zip, make_plain_zip

EVE = Who("console", "eve@other.example", email="eve@other.example")
URL_STEP = ["HQ Apex One", "Windows 10", "URL Reclassification"]
# CC and contact method are not asked: the review shows them, and Edit changes them
TO_CC = ["HQ Apex One", "Windows 10", "Product Issues", "Subject", "Description", "Low",
         "Edit CC emails"]
MARKUP = "<!channel> @here *bold* _it_ <script>alert(1)</script> [x](http://t.me) `c` ~s~ &amp;"


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_home(tmp_path_factory.mktemp("bad"))


@pytest.fixture
def talk(seed: Path, tmp_path: Path) -> Talk:
    t = Talk(fresh_service(seed, tmp_path / "home"))
    t.start()
    return t


def refused(talk: Talk, answer: str | Inbound, *needles: str) -> Prompt:
    """Send a bad answer: a clear error naming `needles`, the same step, nothing changed."""
    before_prompt, before = talk.prompt, talk.state()
    assert before_prompt is not None
    inbound = answer if isinstance(answer, Inbound) else Inbound.from_text(answer)
    prompts = talk.send(inbound)
    p = prompts[-1]
    assert p.error, prompts
    for needle in needles:
        assert needle in p.error, (needle, p.error)
    assert (p.kind, p.step) == (before_prompt.kind, before_prompt.step)
    assert talk.state() == before, "a refused answer changes nothing"
    return p


# -- URLs --------------------------------------------------------------------------------------

def test_eleven_urls(talk: Talk) -> None:
    talk.say(*URL_STEP)
    urls = "\n".join(f"https://site{i}.example.com/" for i in range(11))
    refused(talk, urls, "You entered 11 URLs; the limit is 10", "at most 10")
    talk.say("\n".join(urls.split("\n")[:10]))
    assert talk.prompt.step == "url1_rating"
    assert "URL 1 of 10" in talk.prompt.text


def test_words_around_a_url_are_passed_over(talk: Talk) -> None:
    """A line pasted with words around its URL keeps the URL, nothing asked again; a token
    that looks like part of an address is still reported (the step files a request)."""
    talk.say(*URL_STEP)
    talk.say("please check this URL: hxxps://evil[.]example[.]com/login thanks!")
    assert talk.prompt.step == "url1_rating"
    assert talk.prompt.text.startswith("hxxps://evil[.]example[.]com/login — Untested")


def test_only_words_ask_for_a_url(talk: Talk) -> None:
    talk.say(*URL_STEP)
    refused(talk, "no idea which one", "Enter at least one URL", "e.g. https://example.com/")


@pytest.mark.parametrize(("url", "scheme"), [("javascript:alert(document.cookie)", "javascript"),
                                         ("file:///etc/passwd", "file")])
def test_javascript_and_file_urls(talk: Talk, url: str, scheme: str) -> None:
    talk.say(*URL_STEP)
    prompts = talk.say(f"https://fine.example.com/\n{url}")
    error = prompts[-1].error
    assert error is not None
    assert f"uses the {scheme}: scheme" in error
    assert "Only http:// and https://" in error
    # the good URL is kept; only the bad one is asked again
    assert "The other 1 URL is kept" in error
    assert "fine[.]example[.]com" in prompts[-1].text
    talk.say("done")
    assert talk.prompt.step == "url1_rating"
    assert "fine[.]example[.]com" in talk.prompt.text


def test_ip_and_idn_hosts_are_shown_plainly_with_punycode(talk: Talk) -> None:
    talk.say(*URL_STEP)
    talk.say("http://192.0.2.10/login\nhttps://пример.испытание/путь")
    shown = talk.prompt.text
    assert "URL 1 of 2: hxxp://192[.]0[.]2[.]10/login" in shown
    talk.say("Keep")
    shown = talk.prompt.text
    assert "пример[.]испытание" in shown
    assert "punycode: xn--e1afmkfd.xn--80akhbyknj4f" in shown
    talk.say("Dangerous", "Phishing", "Low")
    summary = {i.label: i.value for i in talk.prompt.summary}
    assert "(punycode: xn--e1afmkfd.xn--80akhbyknj4f)" in summary["URLs"]
    number = talk.say("Submit")[-1].data["number"]
    assert [u["url"] for u in case_json(talk.service, number)["urls"]] == [
        "http://192.0.2.10/login",
        "https://xn--e1afmkfd.xn--80akhbyknj4f/%D0%BF%D1%83%D1%82%D1%8C"]


# -- CC, phone, subject --------------------------------------------------------------------------

def test_cc_list_with_one_bad_address_names_it(talk: Talk) -> None:
    talk.say(*TO_CC, "bob@acme.example")  # one picked so far, not finished
    assert talk.prompt.selected == ("bob@acme.example",)
    p = talk.say("carol@acme.example\nnot-an-address\ndave@acme.example, done")[-1]
    assert p.error is not None
    assert "not-an-address" in p.error
    assert "is not a valid address" in p.error
    assert "carol" not in p.error
    assert "dave" not in p.error
    # the good ones are kept (issue 10, item 9); only the bad one is asked for again
    assert p.selected == ("bob@acme.example", "carol@acme.example", "dave@acme.example")
    assert p.step == "cc_emails"


def test_phone_without_country_code(talk: Talk) -> None:
    talk.say(*TO_CC, "done", "Edit Contact method", "Phone")
    refused(talk, "020 7946 0958", "has no country code", "+44 20 7946 0958")
    talk.say("+44 20 7946 0958")
    assert "When may we call?" in talk.prompt.text


def test_subject_of_10000_chars(talk: Talk) -> None:
    talk.say("/newcase", "HQ Apex One", "Windows 10", "Product Issues")
    p = refused(talk, "x" * 10_000, "10,000 characters", "200")
    assert p.error is not None
    assert len(p.error) < 300, "the message does not echo the whole subject"


# -- attachments --------------------------------------------------------------------------------

def _to_attachments(talk: Talk) -> None:
    talk.say("HQ Apex One", "Windows 10", "Collected Threat Sample Analysis",
             "Conventional Scan (Virus Pattern)", "Sample", "Found on a laptop", "infected")
    assert talk.prompt.step == "attachments"


def file_in(talk: Talk, path: Path) -> Inbound:
    return Inbound(kind="file", file=talk.service.store_file(str(path)))


def test_zip_not_encrypted_and_not_a_zip(talk: Talk, tmp_path: Path) -> None:
    _to_attachments(talk)
    good = make_aes_zip(tmp_path / "good.zip", {"a.exe": b"MZ"}, "infected")
    talk.send(file_in(talk, good))
    assert talk.prompt.data["count"] == 1
    plain = make_plain_zip(tmp_path / "plain.zip", {"a.exe": b"MZ"})
    refused(talk, file_in(talk, plain), "plain.zip", "not password-protected")
    text = tmp_path / "notes.zip"
    text.write_bytes(b"not a zip at all")
    refused(talk, file_in(talk, text), "notes.zip", "not a zip")
    wrong = make_aes_zip(tmp_path / "wrong.zip", {"a.exe": b"MZ2"}, "another")
    refused(talk, file_in(talk, wrong), "wrong.zip", "password")
    assert "good.zip" in talk.prompt.text, "the good file is still attached"


def test_file_over_the_limit(seed: Path, tmp_path: Path) -> None:
    talk = Talk(fresh_service(seed, tmp_path / "home", max_attachment_mb=1))
    talk.start()
    big = tmp_path / "big.log"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    with pytest.raises(Invalid, match=r"big\.log is larger than the 1 MB limit"):
        talk.service.store_file(str(big))
    with pytest.raises(Invalid, match="larger than the 1 MB limit"):
        talk.service.files.put_chunks([b"x" * 600_000, b"y" * 600_000], "upload.bin")
    # Each file fits; together they are over the per-case limit.
    talk.say("HQ Apex One", "Windows 10", "Product Issues", "Logs", "See logs", "Low",
             "Edit Attachments")
    half = tmp_path / "half1.log"
    half.write_bytes(b"a" * 700_000)
    other = tmp_path / "half2.log"
    other.write_bytes(b"b" * 700_000)
    talk.send(file_in(talk, half))
    refused(talk, file_in(talk, other), "half2.log would bring the attachments to",
            "over the 1.0 MB limit")
    assert not list((tmp_path / "home" / "attachments").glob(".incoming-*")), "no partial files"


# -- markup is text ------------------------------------------------------------------------------

def test_markup_is_kept_literally_in_the_case_and_on_the_console(seed: Path,
                                                                tmp_path: Path) -> None:
    service = fresh_service(seed, tmp_path / "home")
    lines = ["/newcase", "HQ Apex One", "Windows 10", "Product Issues", MARKUP[:200],
             MARKUP, "@channel <@U123> *not bold*", ".", "High", "<b>impact</b> @here", "."]
    out = io.StringIO()
    ConsoleChat(Chat(service), WHO, stdin=io.StringIO("\n".join([*lines, "Submit"]) + "\n"),
                stdout=out).run()
    text = out.getvalue()
    assert f"Subject: {MARKUP[:200]}" in text
    assert "    @channel <@U123> *not bold*" in text
    assert "Business impact: <b>impact</b> @here" in text
    number = text.split("Case number: ")[1].split()[0]
    case = case_json(service, number)
    assert case["subject"] == MARKUP[:200]
    assert case["description"] == f"{MARKUP}\n@channel <@U123> *not bold*"
    assert case["business_impact"] == "<b>impact</b> @here"


# -- old buttons, other people's things ----------------------------------------------------------

def test_button_from_an_old_message(talk: Talk) -> None:
    first = talk.prompt
    talk.say("HQ Apex One", "Windows 10")
    before, now = talk.state(), talk.prompt
    prompts = talk.press("1", first)  # the step-1 button, pressed again later
    assert prompts[0].kind == "info"
    assert "out of date" in prompts[0].text
    assert prompts[-1] == now
    assert talk.state() == before
    # The same step but an earlier draft (e.g. a message from a cancelled request).
    talk.say("/cancel", "/newcase")
    prompts = talk.send(Inbound(kind="choice", choice="1", step="profile", draft=first.draft))
    assert "out of date" in prompts[0].text
    assert talk.prompt.step == "profile"


def _eve(service: Service) -> Talk:
    eve = Talk(service, who=EVE)
    eve.start()  # no profile yet: the profile form opens at once
    eve.say(*profile_lines("Eve's box", "Apex One", "2019", ["Windows 11"], []))
    assert eve.prompt.step == "issue", "her one profile and its one OS are filled in"
    return eve


def test_button_from_another_users_conversation(talk: Talk) -> None:
    eve = _eve(talk.service)
    before, now = talk.state(), talk.prompt
    prompts = talk.send(Inbound(kind="choice", choice="Product Issues", step="issue",
                                draft=eve.prompt.draft))
    assert "out of date" in prompts[0].text
    assert prompts[-1] == now
    assert talk.state() == before
    assert eve.prompt.step == "issue", "Eve's draft is untouched"


def test_profile_of_someone_else_is_refused(talk: Talk) -> None:
    _eve(talk.service)
    with unit_of_work(talk.service.engine) as s:
        eve = s.contacts.by_email("eve@other.example")
        assert eve is not None
        eves = s.profiles.views(saved_id(eve))
    eve_pid = str(eves[0].id)
    p = refused(talk, Inbound(kind="choice", choice=eve_pid, step="profile",
                              draft=talk.prompt.draft), "not available")
    assert eve_pid not in {c.id for c in p.choices}
    # The profiles menu refuses it too (no way to see, edit or delete it).
    talk.say("Update or add a product profile")
    assert talk.prompt.step == "pick"
    refused(talk, Inbound(kind="choice", choice=eve_pid, step="pick", draft=talk.prompt.draft),
            "not available")
    with unit_of_work(talk.service.engine) as s:
        assert s.profiles.views(saved_id(eve)) == eves


# -- the store briefly unavailable ---------------------------------------------------------------

@pytest.mark.parametrize("dead_url", ["postgresql+psycopg://postgres@127.0.0.1:1/x",
                                      "sqlite:////nonexistent-dir/for/sure/casebot.db"])
def test_store_briefly_unavailable(talk: Talk, dead_url: str) -> None:
    talk.say("HQ Apex One", "Windows 10")
    before, now = talk.state(), talk.prompt
    good = talk.service.engine
    talk.service.engine = make_engine(dead_url, busy_timeout=0.1)
    try:
        prompts = talk.send(Inbound.from_text("Product Issues"))
    finally:
        talk.service.engine.dispose()
        talk.service.engine = good
    assert len(prompts) == 1
    assert prompts[0].kind == "info"
    assert prompts[0].retry is True
    assert "not saved" in prompts[0].text
    assert "send it again" in prompts[0].text
    assert talk.state() == before, "nothing half-saved"
    # Back up: the same answer works and the conversation carries on from the same step.
    talk.say("Product Issues")
    assert talk.prompt.step == "subject"
    assert now.step == "issue"
