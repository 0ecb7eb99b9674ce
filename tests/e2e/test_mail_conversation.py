"""A case's conversation by mail, end to end: a case typed into `casebot chat`, an operator's
question sent by `casebot mail send` to a real SMTP server (aiosmtpd), the customer's answer
to that very mail put into a real IMAP server (dovecot) and read by `casebot mail fetch`,
each command its own process on one casebot home (the reply-address secret is made by one
and read by the others).

Skipped only when Debian's dovecot is not installed (.ci/run installs it).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.app import build_service
from bot.reply_address import ReplyAddresses
from bot.settings import Settings
from tests.dovecot import DOVECOT, Dovecot
from tests.e2e.conftest import CASEBOT, EMAIL, Chat, Script, submitted
from tests.e2e.pseudo import update_case
from tests.mailreplies import MAIL_FROM, make_case, plain, reply
from tests.smtpsink import SmtpSink

pytestmark = [pytest.mark.timeout(180),
              pytest.mark.skipif(DOVECOT is None, reason="Debian's dovecot-imapd is not "
                                 "installed (apt-get install dovecot-imapd; .ci/run does)")]
APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10"])
BOB = "bob@acme.example"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


@pytest.fixture
def imap() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="casebot-dovecot-"))
    server = Dovecot(root).start()
    try:
        yield server
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", str(root)], check=False)


@pytest.fixture
def home(chat: Chat, sink: SmtpSink, imap: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Chat:
    """One casebot home with SMTP, IMAP and the mail address set, for every process."""
    extra = {"CASEBOT_MAIL_FROM": MAIL_FROM, "CASEBOT_SMTP_URL": sink.url,
             "CASEBOT_IMAP_URL": imap.url(), "CASEBOT_HOME": str(chat.home)}
    chat.env.update(extra)
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    return chat


def casebot(chat: Chat, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([CASEBOT, *args], input=stdin, capture_output=True, env=chat.env,
                          timeout=60, check=False)
    return subprocess.CompletedProcess(proc.args, proc.returncode,
                                       proc.stdout.decode(), proc.stderr.decode())


def fetch(chat: Chat) -> str:
    done = casebot(chat, "mail", "fetch")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def send(chat: Chat, sink: SmtpSink) -> list[EmailMessage]:
    """`casebot mail send --once`; the mails it delivered."""
    before = len(sink.received)
    done = casebot(chat, "mail", "send", "--once")
    assert done.returncode == 0, done.stderr
    return [r.message for r in sink.received[before:]]


def customer_messages(chat: Chat, number: str) -> list[dict[str, object]]:
    return [m for m in chat.case(number)["messages"] if m["author_kind"] == "customer"]


def test_a_question_by_mail_and_its_answer_fetched_from_imap(
        home: Chat, sink: SmtpSink, imap: Dovecot) -> None:
    home.cli("accounts", "add", "Acme", "--domain", "acme.example")
    script = Script().first_profile(*APEX).say("Product Issues")
    [number] = submitted(home.run(script.common("Agent does not update", "Stuck on 1.2.3.",
                                                severity="Medium", cc=[BOB])))
    update_case(build_service(Settings()), number, actor="cli:op", status="waiting for customer",
                note="Which agent version do you see?")
    confirmation, question = send(home, sink)
    signed = ReplyAddresses.of(Settings()).for_case(number)  # the secret the sender made
    assert confirmation["Reply-To"] == question["Reply-To"] == signed
    assert signed.startswith(f"support+c{number}.")
    assert "Which agent version do you see?" in str(question.get_body(("plain",)))

    answer = reply(question, EMAIL, "It is 14.0.1234; the log is attached.",
                   files=[("agent.log", b"error: update server unreachable\n" * 50)])
    stranger = reply(question, "mallory@evil.example", "Please add me.")
    forged = plain(EMAIL, signed[:-len("@desk.example") - 1] + "0@desk.example", "forged")
    if forged["To"] == signed:
        forged.replace_header("To", signed[:-len("@desk.example") - 1] + "1@desk.example")
    colleague = reply(confirmation, BOB, "Bob here: same on my machine.")
    auto = reply(question, EMAIL, "I am out of office.")
    auto["Auto-Submitted"] = "auto-replied"
    imap.append(answer, stranger, forged, colleague, auto)
    assert fetch(home) == ("Read 5: added 2, kept aside 3, already there 0, unreadable 0.")
    assert imap.unseen() == 0

    got = customer_messages(home, number)
    assert [(m["author"], m["channel"], m["text"]) for m in got] == [
        (EMAIL, "mail", "It is 14.0.1234; the log is attached."),
        (BOB, "mail", "Bob here: same on my machine.")]
    assert [a["name"] for a in got[0]["attachments"]] == ["agent.log"]  # type: ignore[attr-defined]
    assert home.case(number)["status"] == "customer replied"

    imap.mark_all_unseen()  # fetched again: nothing is added twice
    assert fetch(home) == "Read 5: added 0, kept aside 3, already there 2, unreadable 0."
    assert len(customer_messages(home, number)) == 2
    assert send(home, sink) == []  # no mail to the stranger, the forger or the robot


def test_replies_to_three_open_cases_land_each_on_its_own(home: Chat, imap: Dovecot,
                                                          sink: SmtpSink) -> None:
    service = build_service(Settings())
    numbers = [make_case(service, EMAIL, subject=f"Problem {i}") for i in range(3)]
    for number in numbers:
        update_case(service, number, actor="cli:op", note=f"What about {number}?")
    sent = send(home, sink)
    assert len(sent) == 6
    by_case = {n: [m for m in sent if n in str(m["Subject"])] for n in numbers}
    rng = random.Random(2323)
    expected: dict[str, list[str]] = {n: [] for n in numbers}
    mails = []
    for i in range(24):
        number = rng.choice(numbers)
        text = f"answer {i} about {number}"
        mails.append(reply(rng.choice(by_case[number]), EMAIL, text,
                           use_reply_to=rng.random() < 0.5))
        expected[number].append(text)
    imap.append(*mails)
    assert fetch(home).startswith("Read 24: added 24,")
    for number in numbers:
        assert [m["text"] for m in customer_messages(home, number)] == expected[number]


def test_a_reply_to_a_resolved_case_reopens_it(home: Chat, imap: Dovecot,
                                               sink: SmtpSink) -> None:
    service = build_service(Settings())
    number = make_case(service, EMAIL)
    update_case(service, number, actor="cli:op", status="resolved", note="Fixed in 14.0.2.")
    resolved = [m for m in send(home, sink) if "Resolved" in str(m["Subject"])]
    imap.append(reply(resolved[0], EMAIL, "Still broken for me."))
    assert fetch(home).startswith("Read 1: added 1,")
    assert home.case(number)["status"] == "customer replied"


def test_receive_reads_one_mail_on_stdin(home: Chat, sink: SmtpSink) -> None:
    service = build_service(Settings())
    number = make_case(service, EMAIL)
    [confirmation] = send(home, sink)
    answer = reply(confirmation, EMAIL, "Piped in by the MTA.")
    done = casebot(home, "mail", "receive", stdin=answer.as_bytes())
    assert (done.returncode, done.stdout.strip()) == (0, f"Added to case {number}.")
    again = casebot(home, "mail", "receive", stdin=answer.as_bytes())
    assert (again.returncode, again.stdout.strip()) == (0, f"Already on case {number}.")
    stranger = casebot(home, "mail", "receive",
                       stdin=plain("x@evil.example", MAIL_FROM, "hi").as_bytes())
    assert (stranger.returncode, stranger.stdout.strip()) == (
        0, "Kept aside: not a reply to a mail from casebot.")
    for junk in (b"", b"not a mail at all\n"):
        bad = casebot(home, "mail", "receive", stdin=junk)
        assert bad.returncode == 2
        assert "not a mail" in bad.stderr or "empty" in bad.stderr
        assert "Traceback" not in bad.stderr


def test_fetch_idle_takes_new_mail_as_it_arrives_and_stops_on_ctrl_c(
        home: Chat, imap: Dovecot, sink: SmtpSink) -> None:
    service = build_service(Settings())
    number = make_case(service, EMAIL)
    [confirmation] = send(home, sink)
    proc = subprocess.Popen([CASEBOT, "mail", "fetch", "--idle"], env=home.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # connected and idling
        imap.append(reply(confirmation, EMAIL, "Arrived while idling."))
        deadline = time.monotonic() + 20
        while not customer_messages(home, number):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the idling fetch never took the mail"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert out.strip().splitlines()[-1] == \
        "Read 1: added 1, kept aside 0, already there 0, unreadable 0."
    assert [m["text"] for m in customer_messages(home, number)] == ["Arrived while idling."]


def test_fetch_without_a_mailbox_or_with_a_bad_password_fails_cleanly(
        home: Chat, imap: Dovecot) -> None:
    home.env.pop("CASEBOT_IMAP_URL")
    unset = casebot(home, "mail", "fetch")
    assert unset.returncode == 2
    assert "CASEBOT_IMAP_URL is not set" in unset.stderr
    home.env["CASEBOT_IMAP_URL"] = imap.url().replace("imap-test-pass", "wrong")
    refused = casebot(home, "mail", "fetch")
    assert refused.returncode == 1
    assert "The IMAP server refused" in refused.stderr
    assert "wrong" not in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr
