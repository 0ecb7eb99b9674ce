"""Mail end to end: a case typed into `casebot chat`, its confirmation and an operator update
delivered by `casebot mail send` to a real SMTP server on 127.0.0.1, and a sender killed with
SIGKILL mid-send that loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from store.uow import unit_of_work
from tests.e2e import pseudo
from tests.e2e.conftest import CASEBOT, EMAIL, Chat, Script, submitted
from tests.smtpsink import SmtpSink

pytestmark = pytest.mark.timeout(90)
APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10"])


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def body_of(msg: EmailMessage, kind: str) -> str:
    """The mail's `kind` ("plain" or "html") part, which a case mail always has."""
    part = msg.get_body((kind,))
    assert part is not None, f"no {kind} part"
    content: str = part.get_content()
    return content


def product_case(cc: list[str]) -> Script:
    s = Script().first_profile(*APEX).say("Product Issues")
    return s.common("Agent does not update", "Since Monday the agent\nstays on 1.2.3 <b>.",
                    severity="Medium", cc=cc)


def test_confirmation_and_update_arrive_threaded(chat: Chat, sink: SmtpSink,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    chat.env["CASEBOT_MAIL_FROM"] = "support@desk.example"
    chat.cli("accounts", "add", "Acme", "--domain", "acme.example")  # CC inside Acme
    [number] = submitted(chat.run(product_case(["bob@acme.example", "carol@acme.example"])))
    monkeypatch.setenv("CASEBOT_SMTP_URL", sink.url)
    monkeypatch.setenv("CASEBOT_MAIL_FROM", "support@desk.example")
    assert "Sent 1, to retry 0, failed 0." in chat.cli("mail", "send", "--once")
    [got] = sink.received
    msg = got.message
    assert got.rcpt_tos == [EMAIL, "bob@acme.example", "carol@acme.example"]
    assert (msg["From"], msg["To"], msg["Cc"]) == (
        "support@desk.example", EMAIL, "bob@acme.example, carol@acme.example")
    assert msg["Message-ID"] == f"<case-{number}@desk.example>"
    assert msg["Subject"] == f"[Case {number}] Agent does not update"
    assert msg.get_content_type() == "multipart/alternative"
    text = body_of(msg, "plain")
    html = body_of(msg, "html")
    for needle in (f"Case number: {number}", "Product: Apex One", "Severity: Medium",
                   "CC: bob@acme.example, carol@acme.example", "stays on 1.2.3 <b>."):
        assert needle in text
    assert number in html
    assert "stays on 1.2.3 &lt;b&gt;." in html
    assert "<b>." not in html

    # The operator updates the case: timeline, mail to contact + CC threaded under it.
    chat.cli("cases", "update", number, "--status", "in progress", "--note",
             "We are looking at the agent logs.")
    assert "Sent 1," in chat.cli("mail", "send", "--once")
    update = sink.received[1].message
    assert sink.received[1].rcpt_tos == [EMAIL, "bob@acme.example", "carol@acme.example"]
    assert update["In-Reply-To"] == update["References"] == f"<case-{number}@desk.example>"
    assert update["Message-ID"] != msg["Message-ID"]
    assert update["Subject"] == f"[Case {number}] Update: Agent does not update"
    body = body_of(update, "plain")
    assert "Status: in progress" in body
    assert "We are looking at the agent logs." in body
    mails = json.loads(chat.cli("mail", "list", "--json"))
    assert [m["status"] for m in mails] == ["sent", "sent"]
    assert mails[0]["kind"] == "update"
    assert mails[1]["kind"] == "confirmation"

    # /case N in the chat shows the timeline with the update.
    shown = chat.run([f"/case {number}"]).stdout
    assert "Timeline:" in shown
    assert "Status changed to in progress." in shown
    assert "We are looking at the agent logs." in shown


def test_threat_case_confirmation_carries_the_reference_id(chat: Chat, sink: SmtpSink,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    s = Script().first_profile(*APEX).say("File False Positive",
                                        "Conventional Scan (Virus Pattern)")
    s.common("Our tool is flagged", password="I have no files to attach", files=None)
    [number] = submitted(chat.run(s))
    ref = chat.case(number)["reference_id"]
    assert ref
    monkeypatch.setenv("CASEBOT_SMTP_URL", sink.url)
    chat.cli("mail", "send", "--once")
    msg = sink.received[0].message
    assert ref in msg["Subject"]
    assert f"Reference id: {ref}" in body_of(msg, "plain")
    assert ref in body_of(msg, "html")


def test_sender_killed_mid_send_loses_nothing(chat: Chat, sink: SmtpSink) -> None:

    from bot.app import build_engine
    from bot.settings import Settings

    engine = build_engine(Settings(home=chat.home))
    with unit_of_work(engine) as s:
        for i in range(8):
            s.outbox.queue(kind="update", to=f"u{i}@acme.example", subject=f"M{i}",
                            body_text=pseudo.noted("x\n"))
        s.commit()
    sink.hold_at = 4  # the 4th mail's DATA hangs: the sender is mid-send when killed
    env = {**chat.env, "CASEBOT_SMTP_URL": sink.url, "CASEBOT_MAIL_LEASE_SECONDS": "1",
           "CASEBOT_MAIL_RETRY_SECONDS": "0.1"}
    proc = subprocess.Popen([CASEBOT, "mail", "send", "--interval", "0.1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert sink.holding.wait(20), proc.stderr
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    sink.hold_at = None
    sink.release.set()
    statuses = [m["status"] for m in json.loads(chat.cli("mail", "list", "--json"))]
    assert statuses.count("sent") == 3
    assert statuses.count("sending") == 1

    time.sleep(1.1)  # the dead sender's lease runs out
    graceful = subprocess.Popen([CASEBOT, "mail", "send", "--interval", "0.1"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sink.wait_for(8, timeout=20)
        time.sleep(0.3)
    finally:
        graceful.send_signal(signal.SIGTERM)  # finishes the mail in hand, then exits
        out, err = graceful.communicate(timeout=15)
    assert graceful.returncode == 0, err
    assert "Sent " in out
    counts = sink.per_message_id()
    assert len(counts) == 8
    assert set(counts.values()) == {1}
    assert {m["status"] for m in json.loads(chat.cli("mail", "list", "--json"))} == {"sent"}
