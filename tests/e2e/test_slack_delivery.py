"""Slack delivery rules: signatures, retries, double clicks, ack before work, 429, identity."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from adapters.slack.app import serve
from bot import notices
from store.tables import Case, OutboxMail
from store.uow import unit_of_work
from tests.e2e import pseudo
from tests.e2e.fake_slack import (
    SECRET,
    Driver,
    FakeSlack,
    Rig,
    give_profiles,
    link,
    make_profile,
    slack_rig,
)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with slack_rig(tmp_path) as r:
        yield r


def cases(rig: Rig) -> list[Case]:
    with unit_of_work(rig.service.engine) as s:
        return list(s.session.exec(select(Case)))


def test_bad_signature_and_stale_timestamp_are_401(rig: Rig) -> None:
    link(rig.service, "U1", "pat@acme.example")
    body = rig.slack.event_body({"type": "message", "channel": "DU1", "user": "U1",
                                 "text": "new case", "channel_type": "im", "ts": "1.0"})
    status, _ = rig.slack.send(body, "application/json", secret="wrong-secret")
    assert status == 401
    status, _ = rig.slack.send(body, "application/json", ts=int(time.time()) - 10 * 60)
    assert status == 401
    assert rig.fake.of("chat.postMessage") == []
    status, _ = rig.slack.send(body, "application/json")
    assert status == 200
    # no profile yet: a note, then the profile form's first question
    assert len(rig.fake.of("chat.postMessage")) == 2


def test_retried_event_never_replies_twice(rig: Rig) -> None:
    link(rig.service, "U1", "pat@acme.example")
    rig.slack.say("U1", "new case", event_id="Ev0001")
    posted = len(rig.fake.of("chat.postMessage"))
    assert posted >= 1
    for n in (1, 2):
        status, _ = rig.slack.say("U1", "new case", event_id="Ev0001", retry=n)
        assert status == 200
    assert len(rig.fake.of("chat.postMessage")) == posted
    # an unlinked user's retried event (answered before any DB row exists) too
    rig.fake.add_user("U9", "nina@acme.example")
    rig.slack.say("U9", "hello", event_id="Ev0009")
    rig.slack.say("U9", "hello", event_id="Ev0009", retry=1)
    assert len(rig.slack.messages("U9")) == 1


def to_review(rig: Rig, user: str) -> None:
    slack = rig.slack
    slack.command(user, "/case", "new")
    make_profile(slack, user)
    slack.press(user, "Windows 10")
    slack.press(user, "Product Issues")
    slack.say_raw(user, "Weekly <!channel> report <@U1> @here fails")  # real mentions
    slack.say(user, "It stopped on Monday.")
    slack.press(user, "Low")


def test_double_click_on_submit_makes_one_case(rig: Rig) -> None:
    link(rig.service, "U1", "pat@acme.example")
    to_review(rig, "U1")
    review = rig.slack.last("U1")
    clicks = [threading.Thread(target=rig.slack.press, args=("U1", "Submit", review),
                               kwargs={"action_ts": f"17000000{n}.5"}) for n in range(2)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    assert rig.slack.executor is not None
    rig.slack.executor.wait_idle()
    # and the very same press delivered again
    rig.slack.press("U1", "Submit", review, action_ts="170000000.5")
    assert len(cases(rig)) == 1
    done = [c for c in rig.slack.messages("U1") if "Case number:" in c.args["text"]]
    assert len(done) == 1


def test_user_text_is_escaped_in_every_payload(rig: Rig) -> None:
    link(rig.service, "U1", "pat@acme.example")
    to_review(rig, "U1")
    rig.slack.press("U1", "Submit")
    case = cases(rig)[0]
    # what the user typed: Slack's markup became plain words, "<" typed stays literal
    assert case.subject == "Weekly @channel report @U1 @here fails"
    rig.slack.say("U1", "/case show 10000001")  # typed, not a command: just text
    rig.slack.command("U1", "/case", "show 10000001")
    rig.slack.command("U1", "/case", "new")
    wire = json.dumps([c.args for c in rig.fake.calls if c.method.startswith("chat.")])
    for live in ("<!channel>", "<!here>", "<@U1>", "<script>"):
        assert live not in wire
    subject = "Subject <!channel> <script>x</script>"
    assert rig.slack.executor is not None
    rig.slack.executor.wait_idle()
    link(rig.service, "U5", "eve@acme.example")
    to_review_subject(rig, "U5", subject)
    wire = json.dumps([c.args for c in rig.fake.calls if c.method in ("chat.postMessage",
                                                                        "chat.update")])
    assert "<!channel>" not in wire
    assert "<script>" not in wire
    assert "Subject &lt;!channel&gt; &lt;script&gt;x&lt;/script&gt;" in wire


def to_review_subject(rig: Rig, user: str, subject: str) -> None:
    slack = rig.slack
    slack.command(user, "/case", "new")
    make_profile(slack, user)
    slack.press(user, "Windows 10")
    slack.press(user, "Product Issues")
    slack.say(user, subject)  # typed literally: Slack sends &lt;!channel&gt;
    slack.say(user, "desc")
    slack.press(user, "Low")
    slack.press(user, "Submit")  # CC (the Case Recipients) and Email are shown, not asked
    review_update = rig.fake.of("chat.update")[-1]
    assert any("Subject &lt;!channel&gt;" in json.dumps(b) for b in
               review_update.args["blocks"])  # the review, controls replaced, still escaped


def test_stale_button_is_refused(rig: Rig) -> None:
    link(rig.service, "U1", "pat@acme.example")
    give_profiles(rig.service, "pat@acme.example")
    rig.slack.command("U1", "/case", "new")
    first = rig.slack.last("U1")
    rig.slack.press("U1", "Update or add a product profile", first)
    rig.slack.press("U1", "Update or add a product profile", first)
    assert "out of date" in rig.slack.text("U1")
    # the first press made the message its answer + the next question (issue 13); the stale
    # second press leaves it so and is answered in a new message
    assert len(rig.fake.of("chat.update")) == 1


@pytest.mark.serial
def test_work_continues_after_ack_and_429_is_waited_out(rig: Rig) -> None:
    link(rig.service, "U1", "pat@acme.example")
    rig.fake.limit("chat.postMessage", retry_after=2)
    started = time.monotonic()
    status, _ = rig.slack.say("U1", "new case", wait_idle=False)
    acked = time.monotonic() - started
    assert status == 200
    assert acked < 1.0
    assert rig.slack.executor is not None
    rig.slack.executor.wait_idle()
    posts = rig.fake.of("chat.postMessage")
    # the first post is refused (429) and retried; then the profile form's question
    assert [c.result["ok"] for c in posts][:2] == [False, True]
    assert posts[1].at - posts[0].at >= 2.0  # Retry-After honoured


def test_slack_email_confirmed_once(rig: Rig) -> None:
    rig.fake.add_user("U7", "kim@acme.example", "Kim Lee")
    rig.slack.say("U7", "hi there")
    ask = rig.slack.last("U7")
    assert "kim@acme.example" in ask.args["text"]
    rig.slack.press("U7", "Yes")
    assert rig.fake.of("users.info")
    with unit_of_work(rig.service.engine) as s:
        contact = s.contacts.for_identity("slack", "T1:U7")
        assert contact is not None
        assert contact.email == "kim@acme.example"
    assert "profile" in rig.slack.last("U7").args["text"]  # no profile yet: the form
    rig.slack.say("U7", "next message")
    assert "Is kim@acme.example" not in rig.slack.last("U7").args["text"]


def test_no_slack_email_verified_by_mailed_code(rig: Rig) -> None:
    rig.fake.add_user("U8", None, "Lou")
    rig.slack.say("U8", "hello")
    assert "work email" in rig.slack.last("U8").args["text"]
    rig.slack.say_raw("U8", "<mailto:lou@acme.example|lou@acme.example>")
    assert "8-digit code" in rig.slack.last("U8").args["text"]
    with unit_of_work(rig.service.engine) as s:
        mail = s.session.exec(select(OutboxMail).where(OutboxMail.kind == "verification")).one()
    code = pseudo.seen(mail.body_text, "mail (outbox)").split("code is ", 1)[1][:8]
    rig.slack.say("U8", "00000000" if code != "00000000" else "11111111")
    assert "not right" in rig.slack.last("U8").args["text"]
    rig.slack.say("U8", code)
    assert "linked to lou@acme.example" in rig.slack.text("U8")
    with unit_of_work(rig.service.engine) as s:
        contact = s.contacts.for_identity("slack", "T1:U8")
        assert contact is not None
        assert contact.email == "lou@acme.example"


def test_urlcheck_is_ephemeral(rig: Rig) -> None:
    link(rig.service, "U1", "pat@acme.example")
    status, _ = rig.slack.command("U1", "/urlcheck", "example.com <http://x.test|x.test>",
                                  channel="C1")
    assert status == 200
    eph = rig.fake.of("chat.postEphemeral")
    assert len(eph) == 1
    assert eph[0].args["channel"] == "C1"
    assert eph[0].args["user"] == "U1"
    assert "example[.]com" in eph[0].args["text"]
    assert "Untested" in eph[0].args["text"]
    assert rig.slack.messages("U1") == []


def test_operator_update_reaches_the_dm(rig: Rig) -> None:
    link(rig.service, "U1", "pat@acme.example")
    to_review(rig, "U1")
    rig.slack.press("U1", "Submit")
    with unit_of_work(rig.service.engine) as s:
        case = s.cases.by_number("10000001")
        assert case is not None
        notices.queue_for_case(s, case, pseudo.noted("Case 10000001 is now Closed. <!here>"))
        s.commit()
    thread = rig.bot.start_notices(interval=0.05)
    try:
        rig.fake.wait_for(lambda calls: any("is now Closed" in c.args.get("text", "")
                                            for c in calls))
    finally:
        rig.bot.stop()
        thread.join(2)
    last = rig.slack.last("U1")
    assert last.args["channel"] == "DU1"
    assert "&lt;!here&gt;" in last.args["text"]
    with unit_of_work(rig.service.engine) as s:
        assert s.notices.pending("slack") == []


def test_through_a_real_http_socket(rig: Rig) -> None:
    link(rig.service, "U1", "pat@acme.example")
    give_profiles(rig.service, "pat@acme.example")
    server = serve(rig.bot, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
        http = Driver(rig.bot.app, rig.fake, SECRET, rig.slack.executor, url=url)
        assert http.command("U1", "/case", "new")[0] == 200
        assert "product profile" in http.last("U1").args["text"]
        http.press("U1", "Update or add a product profile")
        assert http.last("U1").args["text"].startswith("Your product profiles")
        assert http.say("U1", "x", event_id="Ev1")[0] == 200
        body = http.event_body({"type": "message", "channel": "DU1", "user": "U1",
                                "text": "x", "channel_type": "im", "ts": "1.0"})
        assert http.send(body, "application/json", secret="nope")[0] == 401
        url_verification = json.dumps({"type": "url_verification", "challenge": "abc",
                                       "token": "x"})
        assert http.send(url_verification, "application/json") == (200, '{"challenge": "abc"}')
        with urllib.request.urlopen(url.replace("/slack/events", "/healthz"), timeout=5) as r:
            assert r.status == 200
        with urllib.request.urlopen(url.replace("/slack/events", "/readyz"), timeout=5) as r:
            assert (r.status, json.loads(r.read())) == (200, {"ready": True})
    finally:
        server.shutdown()
        server.server_close()


def test_casebot_slack_command_serves_http(tmp_path: Path) -> None:
    """`casebot slack --port N` as operators run it, against the stand-in Web API."""
    import os
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with FakeSlack() as fake:
        env = {**os.environ, "CASEBOT_HOME": str(tmp_path / "home"),
               "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": fake.api_url}
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "slack", "--port", str(port)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/slack/events"
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(url.replace("events", "x"), timeout=1)
                except urllib.error.HTTPError:
                    break  # up (404 for an unknown path)
                except OSError:
                    assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                    assert time.monotonic() < deadline, "server did not start"
                    time.sleep(0.1)
            http = Driver(None, fake, SECRET, url=url)
            assert http.command("U1", "/case", "help")[0] == 200
            fake.wait_for(lambda calls: any(c.method == "chat.postMessage" for c in calls))
            assert "work email" in http.last("U1").args["text"]  # not linked: asks first
        finally:
            proc.send_signal(signal.SIGTERM)  # what a service manager sends: a clean stop
            assert proc.wait(timeout=15) == 0
