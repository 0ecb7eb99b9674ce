"""Replies by mail, in process: which mail reaches which case (bot/inbound_mail.py), and
what casebot's own mails carry (signed Reply-To, files). The real SMTP and IMAP servers
are in tests/e2e/test_mail_conversation.py."""

from __future__ import annotations

import random
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot import replies
from bot.app import build_service
from bot.inbound_mail import Unreadable, receive
from bot.mailer import Sender, SmtpConfig
from bot.mails import MAIL_FILES_LIMIT
from bot.maintenance import prune_files
from bot.reply_address import Forged, ReplyAddresses, mail_secret
from bot.service import Service
from bot.settings import Settings
from store.tables import CaseMessage, OutboxMail, utcnow
from store.uow import unit_of_work
from tests.mailreplies import MAIL_FROM, SECRET, make_case, outbox, plain, reply

ANN = "ann@acme.example"
BOB = "bob@acme.example"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", mail_from=MAIL_FROM, mail_secret=SECRET)


@pytest.fixture
def service(settings: Settings, engine: Engine) -> Service:
    return build_service(settings, engine)


@pytest.fixture
def addresses(settings: Settings) -> ReplyAddresses:
    return ReplyAddresses.of(settings)


@pytest.fixture
def sender(service: Service, addresses: ReplyAddresses) -> Sender:
    return Sender(service.engine, SmtpConfig.parse("smtp://127.0.0.1:1"), MAIL_FROM,
                  files=service.files, addresses=addresses)


def sent(service: Service, sender: Sender, number: str, kind: str) -> EmailMessage:
    """The newest mail of `kind` about case `number`, as the sender puts it on the wire."""
    with unit_of_work(service.engine, read_only=True) as uow:
        case = uow.cases.by_number(number)
        assert case is not None
        mail = next(m for m in uow.outbox.of_case(case.id) if m.kind == kind)
    return sender.message(mail)


def messages(service: Service, number: str) -> list[CaseMessage]:
    with unit_of_work(service.engine, read_only=True) as uow:
        case = uow.cases.by_number(number)
        assert case is not None
        assert case.id is not None
        return uow.messages.of_case(case.id)


def status(service: Service, number: str) -> str:
    with unit_of_work(service.engine, read_only=True) as uow:
        case = uow.cases.by_number(number)
        assert case is not None
        return case.status


def aside(service: Service) -> list[tuple[str, str]]:
    with unit_of_work(service.engine, read_only=True) as uow:
        return [(m.sender, m.reason) for m in reversed(uow.aside.newest(1000))]


def ask(service: Service, number: str, text: str, *, internal: bool = False,
        new_status: str | None = None, files: list[object] = ()) -> None:  # type: ignore[assignment]
    with unit_of_work(service.engine) as uow:
        case = uow.cases.by_number(number)
        assert case is not None
        replies.operator_message(uow, case, operator="op@desk.example", text=text,
                                 internal=internal, status=new_status, files=files,
                                 mail_from=MAIL_FROM)


def flipped(address: str) -> str:
    """The address with the last digit of its tag changed."""
    local, domain = address.split("@")
    return f"{local[:-1]}{'0' if local[-1] != '0' else '1'}@{domain}"


# -- the signed address -------------------------------------------------------------------

def test_a_signed_address_names_its_case_and_nothing_else_verifies(
        addresses: ReplyAddresses) -> None:
    address = addresses.for_case("10000042")
    local, domain = address.split("@")
    assert domain == "desk.example"
    assert local.startswith("support+c10000042.")
    assert len(local.split(".")[-1]) == 16
    assert addresses.case_of(address) == "10000042"
    assert addresses.case_of(f"Ann <{address.upper()}>") == "10000042"  # case-folded on the way
    assert addresses.case_of(MAIL_FROM) is None
    assert addresses.case_of("other+c10000042.0123456789abcdef@desk.example") is None
    with pytest.raises(Forged):
        addresses.case_of(address.replace("+c10000042.", "+c10000043."))
    with pytest.raises(Forged):
        addresses.case_of("support+c10000042.0123456789abcdef@desk.example")
    other = ReplyAddresses("another secret", MAIL_FROM)
    with pytest.raises(Forged):
        other.case_of(address)


def test_without_a_configured_secret_one_is_made_once_and_kept(tmp_path: Path) -> None:
    s = Settings(home=tmp_path / "h")
    first = mail_secret(s)
    assert first == mail_secret(Settings(home=tmp_path / "h"))
    assert (tmp_path / "h" / "mail-secret").stat().st_mode & 0o777 == 0o600
    assert mail_secret(Settings(home=tmp_path / "h", mail_secret="set")) == "set"


def test_every_mail_about_a_case_carries_its_signed_reply_to(
        service: Service, sender: Sender, addresses: ReplyAddresses) -> None:
    number = make_case(service, ANN)
    ask(service, number, "Which version?", new_status=replies.WAITING)
    ask(service, number, "Fixed.", new_status=replies.RESOLVED)
    kinds = {m.kind: sender.message(m) for m in outbox(service)}
    assert set(kinds) == {"confirmation", "update", "resolved"}
    for msg in kinds.values():
        assert msg["Reply-To"] == addresses.for_case(number)
    assert kinds["confirmation"]["Message-ID"] == f"<case-{number}@desk.example>"
    assert kinds["update"]["Message-ID"].startswith("<mail-")


# -- which mail reaches which case ------------------------------------------------------

def test_a_reply_lands_on_its_case_with_quotes_and_signature_cut(
        service: Service, sender: Sender, addresses: ReplyAddresses) -> None:
    number = make_case(service, ANN)
    ask(service, number, "Which agent version do you see?", new_status=replies.WAITING)
    question = sent(service, sender, number, "update")
    answer = reply(question, ANN, "It is 14.0.1234.\nLogs attached.",
                   files=[("agent.log", b"log line\n" * 100)])
    outcome = receive(service, answer.as_bytes(), addresses)
    assert outcome.line() == f"Added to case {number}."
    [_, message] = messages(service, number)
    assert (message.author, message.channel, message.author_kind) == (ANN, "mail", "customer")
    assert message.text == "It is 14.0.1234.\nLogs attached."
    assert message.original is not None
    assert "Which agent version" in message.original
    assert "Best regards" in message.original
    assert [f["name"] for f in message.attachments] == ["agent.log"]
    assert message.external_id == answer["Message-ID"]
    assert status(service, number) == replies.CUSTOMER_REPLIED
    # fetched again: stored once, the file counted once
    again = receive(service, answer.as_bytes(), addresses)
    assert again.line() == f"Already on case {number}."
    assert len(messages(service, number)) == 2


def test_in_reply_to_a_casebot_message_id_is_enough(
        service: Service, sender: Sender, addresses: ReplyAddresses) -> None:
    number = make_case(service, ANN)
    confirmation = sent(service, sender, number, "confirmation")
    by_thread = reply(confirmation, ANN, "More detail.", use_reply_to=False)
    assert by_thread["To"] == MAIL_FROM
    assert receive(service, by_thread.as_bytes(), addresses).added
    ask(service, number, "Thanks.")
    mail_reply = reply(sent(service, sender, number, "update"), ANN, "And more.",
                       use_reply_to=False)
    del mail_reply["References"]  # only <mail-ID@…> left: its outbox row names the case
    assert receive(service, mail_reply.as_bytes(), addresses).added
    assert [m.text for m in messages(service, number)][-3::2] == ["More detail.", "And more."]


def test_strangers_forgeries_and_unsigned_mail_are_kept_aside(
        service: Service, sender: Sender, addresses: ReplyAddresses) -> None:
    mine = make_case(service, ANN)
    theirs = make_case(service, "zed@other.example")
    to_mine = sent(service, sender, mine, "confirmation")
    cases = [
        (reply(to_mine, "mallory@evil.example", "Let me in."),
         "mallory@evil.example is neither the contact of case"),
        (plain(ANN, flipped(addresses.for_case(mine)), "bad tag"),
         f"a forged reply address for case {mine}"),
        (plain(ANN, f"support+c{mine}@desk.example", "unsigned"),
         "not a reply to a mail from casebot"),
        (plain(ANN, f"support+c{theirs}.{addresses.tag(mine)}@desk.example", "tag of another"),
         f"a forged reply address for case {theirs}"),
        # the right tag for another case, from someone not on it
        (plain(ANN, addresses.for_case(theirs), "into zed's case"),
         f"{ANN} is neither the contact of case {theirs}"),
        (plain(ANN, MAIL_FROM, "a new question"), "not a reply to a mail from casebot"),
        (plain(ANN, MAIL_FROM, "x", In_Reply_To=f"<case-{mine}@elsewhere.example>"),
         "not a reply to a mail from casebot"),
    ]
    for msg, reason in cases:
        outcome = receive(service, msg.as_bytes(), addresses)
        assert not outcome.added
        assert (outcome.reason or "").startswith(reason), outcome
        assert outcome.line().startswith("Kept aside: ")
    assert len(messages(service, mine)) == len(messages(service, theirs)) == 0
    kept = aside(service)
    assert len(kept) == len(cases)
    with unit_of_work(service.engine, read_only=True) as uow:
        raw = [m.raw_sha256 for m in uow.aside.newest()]
    assert all(raw)
    assert all(service.files.exists(sha or "") for sha in raw)
    prune_files(service.engine, service.files, timedelta(0))  # kept while their rows are
    assert all(service.files.exists(sha or "") for sha in raw)


def test_a_cc_colleague_may_reply_and_is_the_author(
        service: Service, sender: Sender, addresses: ReplyAddresses) -> None:
    number = make_case(service, ANN, cc=[BOB])
    answer = reply(sent(service, sender, number, "confirmation"), BOB.upper(), "Bob here.")
    assert receive(service, answer.as_bytes(), addresses).added
    [message] = messages(service, number)
    assert message.author == BOB.upper()


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"Precedence": "list"},
    {"X-Autoreply": "yes"}, {"Return-Path": "<>"}])
def test_an_automatic_reply_is_kept_aside_and_never_answered(
        service: Service, sender: Sender, addresses: ReplyAddresses,
        headers: dict[str, str]) -> None:
    number = make_case(service, ANN)
    ask(service, number, "Fixed.", new_status=replies.RESOLVED)
    with unit_of_work(service.engine) as uow:  # resolved long ago: a human would be told
        case = uow.cases.by_number(number)
        assert case is not None
        case.resolved_at = utcnow() - timedelta(days=30)
    auto = reply(sent(service, sender, number, "resolved"), ANN, "I am out of office.")
    for name, value in headers.items():
        auto[name] = value
    before = len(outbox(service))
    outcome = receive(service, auto.as_bytes(), addresses)
    assert outcome.reason is not None
    assert outcome.reason.startswith("an automatic mail")
    assert len(outbox(service)) == before
    assert len(messages(service, number)) == 1  # the operator's only


def test_a_mailer_daemon_bounce_is_kept_aside(service: Service,
                                              addresses: ReplyAddresses) -> None:
    number = make_case(service, ANN)
    bounce = plain("MAILER-DAEMON@mx.acme.example", addresses.for_case(number), "undeliverable")
    assert receive(service, bounce.as_bytes(), addresses).reason == \
        "an automatic mail (a delivery report)"


def test_a_reply_within_the_reopen_window_reopens_a_resolved_case(
        service: Service, sender: Sender, addresses: ReplyAddresses) -> None:
    number = make_case(service, ANN)
    ask(service, number, "Fixed.", new_status=replies.RESOLVED)
    answer = reply(sent(service, sender, number, "resolved"), ANN, "Still broken here.")
    assert receive(service, answer.as_bytes(), addresses).added
    assert status(service, number) == replies.CUSTOMER_REPLIED
    with unit_of_work(service.engine, read_only=True) as uow:
        case = uow.cases.by_number(number)
        assert case is not None
        assert case.id is not None
        assert uow.surveys.open_of(case.id) == []  # the survey withdrawn


def test_a_reply_long_after_resolution_is_kept_aside_and_its_sender_told_once(
        service: Service, sender: Sender, addresses: ReplyAddresses) -> None:
    number = make_case(service, ANN)
    ask(service, number, "Fixed.", new_status=replies.RESOLVED)
    with unit_of_work(service.engine) as uow:
        case = uow.cases.by_number(number)
        assert case is not None
        case.resolved_at = utcnow() - timedelta(days=service.reopen_days + 1)
    answer = reply(sent(service, sender, number, "resolved"), ANN, "Broken again.",
                   files=[("x.log", b"x")])
    for _ in range(2):
        outcome = receive(service, answer.as_bytes(), addresses)
        assert outcome.line() == "Kept aside: case resolved more than 7 days ago."
    told = [m for m in outbox(service) if m.kind == "too_late"]
    assert len(told) == 1
    assert told[0].to == ANN
    assert "open a new case" in told[0].body_text
    msg = sender.message(told[0])
    assert msg["Reply-To"] is None  # answering it reaches no case
    assert msg["In-Reply-To"] == answer["Message-ID"]
    assert msg["Auto-Submitted"] == "auto-generated"
    assert status(service, number) == replies.RESOLVED
    assert len(messages(service, number)) == 1


def test_a_customer_with_three_open_cases_reaches_each_one(
        service: Service, sender: Sender, addresses: ReplyAddresses) -> None:
    """250 replies in random order, each to one of three cases' mails (the confirmation or an
    operator's question, by Reply-To or by In-Reply-To only): each lands on its own case."""
    numbers = [make_case(service, ANN, subject=f"Problem {i}") for i in range(3)]
    for number in numbers:
        ask(service, number, f"Question about {number}?", new_status=replies.WAITING)
    mails = {n: [sent(service, sender, n, "confirmation"), sent(service, sender, n, "update")]
             for n in numbers}
    rng = random.Random(23)
    expected: dict[str, list[str]] = {n: [] for n in numbers}
    for i in range(250):
        number = rng.choice(numbers)
        text = f"answer {i} for {number}"
        msg = reply(rng.choice(mails[number]), ANN, text, use_reply_to=rng.random() < 0.7)
        assert receive(service, msg.as_bytes(), addresses).number == number
        expected[number].append(text)
    for number in numbers:
        got = [m.text for m in messages(service, number) if m.author_kind == "customer"]
        assert got == expected[number]


# -- what is stored of a mail ---------------------------------------------------------------

def test_an_html_only_mail_becomes_text(service: Service, addresses: ReplyAddresses) -> None:
    number = make_case(service, ANN)
    msg = plain(ANN, addresses.for_case(number), "")
    msg.set_content("<html><body><p>Hello <b>team</b>,</p><p>it works&nbsp;now.</p>"
                    "<script>alert(1)</script><div>On Mon, 7 Dec 2026, support wrote:</div>"
                    "<blockquote><p>Old text</p></blockquote></body></html>", subtype="html")
    assert receive(service, msg.as_bytes(), addresses).added
    [message] = messages(service, number)
    assert message.text == "Hello team,\nit works now."
    assert "Old text" in (message.original or "")


def test_files_over_the_limits_become_notes(service: Service,
                                             addresses: ReplyAddresses) -> None:
    number = make_case(service, ANN)
    service.files.max_bytes = 1000
    service.file_quota_bytes = 1500
    msg = reply(plain(MAIL_FROM, ANN, "q"), ANN, "Files.",
                files=[("big.bin", b"b" * 1001), ("a.bin", b"a" * 900),
                       ("b.bin", b"c" * 900), ("a-again.bin", b"a" * 900)])
    msg.replace_header("To", addresses.for_case(number))
    assert receive(service, msg.as_bytes(), addresses).added
    [message] = messages(service, number)
    assert [f["name"] for f in message.attachments] == ["a.bin", "a-again.bin"]
    assert "[Not attached: big.bin is larger than the 0 MB limit" in message.text
    assert "[Not attached: I didn't take b.bin: with it you would have sent more than" \
        in message.text
    with unit_of_work(service.engine, read_only=True) as uow:
        case = uow.cases.by_number(number)
        assert case is not None
        assert replies.too_late(case, 7) is False
        assert uow.uploads.bytes_since(case.contact_id, utcnow() - timedelta(hours=1)) == 900


@pytest.mark.parametrize("raw", [b"", b"   \n", b"just some words\n", b"\x00\x01\x02"])
def test_input_that_is_no_mail_is_unreadable(service: Service, addresses: ReplyAddresses,
                                              raw: bytes) -> None:
    with pytest.raises(Unreadable):
        receive(service, raw, addresses)


# -- what goes out ---------------------------------------------------------------------------

def test_an_internal_note_queues_no_mail(service: Service) -> None:
    number = make_case(service, ANN)
    before = outbox(service)
    ask(service, number, "The customer's proxy is odd.", internal=True)
    ask(service, number, "Noted internally.", internal=True, new_status="in progress")
    assert outbox(service) == before
    ask(service, number, "We are on it.")
    assert [m.kind for m in outbox(service)] == ["confirmation", "update"]


def test_an_operators_files_go_with_the_mail_while_they_fit(
        service: Service, sender: Sender) -> None:
    number = make_case(service, ANN)
    small = service.files.put_bytes(b"patch bytes", "fix.patch")
    big = service.files.put_bytes(b"z" * (MAIL_FILES_LIMIT - 5), "dump.bin")
    gone = service.files.put_bytes(b"gone", "gone.txt")
    service.files.remove(gone.sha256)
    ask(service, number, "Apply the patch.", files=[small, big, gone])
    msg = sent(service, sender, number, "update")
    got = {part.get_filename(): part.get_payload(decode=True) for part in msg.iter_attachments()}
    assert got == {"fix.patch": b"patch bytes"}
    text = msg.get_body(("plain",))
    assert text is not None
    assert "Not attached (too large for a mail, or no longer stored): dump.bin, gone.txt." \
        in text.get_content()


def test_a_mail_row_with_no_case_has_no_reply_to(service: Service, sender: Sender) -> None:
    mail = OutboxMail(id=1, kind="verification", to=ANN, subject="code", body_text="1234")
    assert sender.message(mail)["Reply-To"] is None
