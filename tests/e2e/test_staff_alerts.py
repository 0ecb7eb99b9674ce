"""Staff alerts through the real Slack app (Bolt, its notice loop) against the stand-in Web
API: a Critical case made in a chat reaches the staff channel within 5 s, a Low one does not;
a customer's reply on an owned case alerts the channel and mails the owner; a failed post is
tried again and not lost; with no destination configured nothing is written at all.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Installation

from adapters.slack.main import _config_error
from bot import alerts, desk
from bot.alerts import MAIL_KIND, NEW, REPLY
from bot.app import build_service
from bot.operators import add_operator
from bot.processes import build_slack_bot
from bot.settings import Settings
from store.db import make_engine, upgrade
from store.uow import unit_of_work
from tests.e2e.fake_slack import (
    BOT_TOKEN,
    SECRET,
    Call,
    Driver,
    FakeSlack,
    Rig,
    TrackingExecutor,
    give_profiles,
    link,
)

pytestmark = pytest.mark.timeout(120)

STAFF_CHANNEL = "CSTAFF"
EMAIL = "pat@acme.example"
OWNER = "ann@support.example"
ONCALL = "oncall@support.example"
WEB = "https://desk.example"


@contextmanager
def rig_with(tmp_path: Path, **staff: Any) -> Iterator[Rig]:
    """The Slack rig of fake_slack.slack_rig, with the staff alert settings given."""
    with FakeSlack() as fake:
        fake.operator_channels.add(staff.get("staff_slack_channel") or "")
        settings = Settings(home=tmp_path / "home", slack_bot_token=BOT_TOKEN,
                            slack_signing_secret=SECRET, slack_api_url=fake.api_url,
                            slack_allowed_teams="T1", **staff)
        service = build_service(settings)
        executor = TrackingExecutor()
        bot = build_slack_bot(settings, service, listener_executor=executor)
        try:
            yield Rig(fake, bot, service, Driver(bot.app, fake, SECRET, executor), settings)
        finally:
            bot.stop()
            executor.shutdown(wait=True)


@pytest.fixture
def rig(tmp_path: Path, db_url: str) -> Iterator[Rig]:
    """On SQLite (the Slack process polls) and PostgreSQL (woken by NOTIFY at commit)."""
    if not db_url.startswith("sqlite"):
        engine = make_engine(db_url)
        upgrade(engine)
        engine.dispose()
    with rig_with(tmp_path, staff_slack_channel=STAFF_CHANNEL, staff_mail=ONCALL,
                  web_url=WEB + "/", database_url=db_url) as r:
        link(r.service, "U1", EMAIL)
        give_profiles(r.service, EMAIL, count=1)
        yield r


def assign(rig: Rig, number: str) -> None:
    """An operator takes the case (as the console's "Take it" does)."""
    with unit_of_work(rig.service.engine) as uow:
        if uow.operators.by_email(OWNER) is None:
            add_operator(uow, OWNER, "a long enough password 1", actor="cli:lead")
        case = uow.cases.by_number(number)
        assert case is not None
        desk.assign(uow, case, OWNER, actor=OWNER)


def staff_posts(rig: Rig) -> list[Call]:
    return [c for c in rig.fake.of("chat.postMessage") if c.args.get("channel") == STAFF_CHANNEL]


def submit(rig: Rig, severity: str, subject: str) -> tuple[str, str]:
    """A case opened from a message in Slack (the request goes on in the DM), at `severity`;
    its number and the ts of its confirmation (its thread's parent)."""
    slack = rig.slack
    slack.message_shortcut("U1", subject)
    slack.press("U1", "Product Issues")
    slack.press("U1", severity)
    if severity in ("High", "Critical"):
        slack.say("U1", "800 desks cannot work.")  # the business impact
    if severity == "Critical":
        slack.press("U1", "Email")  # how to reach them (Critical asks)
    slack.press("U1", "Submit")
    done = [c for c in slack.messages("U1") if "Case number:" in c.args.get("text", "")]
    assert done, slack.text("U1")[-1500:]
    return done[-1].args["text"].split("Case number: ", 1)[1].split()[0], done[-1].result["ts"]


def staff_mails(rig: Rig) -> list[tuple[str, str, str]]:
    with unit_of_work(rig.service.engine, read_only=True) as uow:
        return [(m.to, m.subject, m.body_text) for m in uow.outbox.recent()
                if m.kind == MAIL_KIND]


@pytest.mark.serial
def test_a_critical_case_reaches_the_staff_channel_within_5_seconds(rig: Rig) -> None:
    rig.bot.start_notices()  # the Slack process's loop (SQLite: it polls)
    slack = rig.slack
    slack.message_shortcut("U1", "All Apex One agents offline")
    slack.press("U1", "Product Issues")
    slack.press("U1", "Critical")
    slack.say("U1", "800 desks cannot work.")
    slack.press("U1", "Email")
    start = time.monotonic()
    slack.press("U1", "Submit")
    posts = rig.fake.wait_for(lambda calls: [c for c in calls if c.method == "chat.postMessage"
                                             and c.args.get("channel") == STAFF_CHANNEL],
                              timeout=10)
    took = posts[0].at - start
    print(f"submit to staff channel: {took:.3f} s ({rig.service.engine.dialect.name})")
    assert took < 5.0, f"the alert took {took:.2f} s"
    number = next(c for c in slack.messages("U1") if "Case number:" in c.args.get("text", "")
                  ).args["text"].split("Case number: ", 1)[1].split()[0]
    post = posts[0].args
    assert post["text"].startswith(f"New Critical case {number}: All Apex One agents offline")
    (section,) = post["blocks"]
    fields = "\n".join(f["text"] for f in section["fields"])
    assert f"*Case*\n<{WEB}/cases/{number}|{number}>" in fields
    assert "*Severity*\nCritical" in fields
    assert "*Subject*\nAll Apex One agents offline" in fields
    assert "*Account*\n" in fields
    assert "*Owner*\nnobody yet" in fields
    # the operators' list is mailed too, once
    (mail,) = staff_mails(rig)
    assert mail[0] == ONCALL
    assert mail[1] == f"[casebot] {post['text'].split(' (')[0]}"
    assert f"Open it: {WEB}/cases/{number}" in mail[2]
    time.sleep(1.2)  # two more polls: posted once
    assert len(staff_posts(rig)) == 1


def test_a_low_case_alerts_nobody(rig: Rig) -> None:
    number, _ = submit(rig, "Low", "A typo in the console")
    assert rig.bot.deliver_alerts() == 0
    assert staff_posts(rig) == []
    assert staff_mails(rig) == []
    with unit_of_work(rig.service.engine, read_only=True) as uow:
        case = uow.cases.by_number(number)
        assert case is not None
        assert case.id is not None
        assert uow.alerts.of_case(case.id) == []


def test_a_customer_reply_on_an_owned_case_alerts_the_channel_and_mails_the_owner(
        rig: Rig) -> None:
    number, parent = submit(rig, "Low", "Reports are empty")
    rig.slack.say("U1", "Unassigned cases tell nobody.", thread=parent)
    assert rig.bot.deliver_alerts() == 0
    assign(rig, number)
    rig.slack.say("U1", "It happens on the second server too.", thread=parent)
    assert rig.bot.deliver_alerts() == 1
    (post,) = staff_posts(rig)
    assert post.args["text"].startswith(f"{EMAIL} replied on case {number}: Reports are empty")
    fields = "\n".join(f["text"] for f in post.args["blocks"][0]["fields"])
    assert f"*Owner*\n{OWNER}" in fields
    (mail,) = staff_mails(rig)  # the owner, not the operators' list
    assert mail[0] == OWNER
    assert "> It happens on the second server too." in mail[2]
    with unit_of_work(rig.service.engine, read_only=True) as uow:
        case = uow.cases.by_number(number)
        assert case is not None
        assert case.id is not None
        assert [a.kind for a in uow.alerts.of_case(case.id)] == [REPLY]


def test_a_failed_post_is_tried_again_and_not_lost(tmp_path: Path) -> None:
    with rig_with(tmp_path, staff_slack_channel=STAFF_CHANNEL,
                  staff_alert_retry_seconds=0.2) as rig:
        link(rig.service, "U1", EMAIL)
        give_profiles(rig.service, EMAIL, count=1)
        number, _ = submit(rig, "High", "Scans time out")
        # Slack answers 429 more often than the client waits out (3 retries): it fails
        rig.fake.limit("chat.postMessage", retry_after=0, times=4)
        assert rig.bot.deliver_alerts() == 0
        with unit_of_work(rig.service.engine, read_only=True) as uow:
            case = uow.cases.by_number(number)
            assert case is not None
            assert case.id is not None
            (alert,) = uow.alerts.of_case(case.id)
            assert (alert.attempts, alert.sent_at, alert.last_error) == (1, None, "ratelimited")
        assert rig.bot.deliver_alerts() == 0  # backing off: not yet
        time.sleep(0.3)
        assert rig.bot.deliver_alerts() == 1
        (post,) = [c for c in staff_posts(rig) if c.result.get("ok")]
        assert post.args["text"].startswith(f"New High case {number}")
        with unit_of_work(rig.service.engine, read_only=True) as uow:
            (alert,) = uow.alerts.of_case(case.id)
            assert alert.attempts == 2
            assert alert.sent_at is not None
            assert alert.last_error is None
            assert alert.kind == NEW
        assert rig.bot.deliver_alerts() == 0


def test_nothing_is_written_without_a_destination(tmp_path: Path) -> None:
    with rig_with(tmp_path) as rig:
        link(rig.service, "U1", EMAIL)
        give_profiles(rig.service, EMAIL, count=1)
        number, parent = submit(rig, "Critical", "Everything is down")
        assign(rig, number)
        rig.slack.say("U1", "Still down.", thread=parent)
        assert rig.bot.deliver_alerts() == 0
        assert staff_posts(rig) == []
        assert staff_mails(rig) == []
        assert all(c.args.get("channel") == "DU1" for c in rig.fake.of("chat.postMessage"))
        with unit_of_work(rig.service.engine, read_only=True) as uow:
            case = uow.cases.by_number(number)
            assert case is not None
            assert case.id is not None
            assert uow.alerts.of_case(case.id) == []


def test_with_oauth_installs_the_staff_workspace_is_the_one_named(tmp_path: Path) -> None:
    """Installed in two workspaces: alerts go out with CASEBOT_STAFF_SLACK_TEAM's bot token;
    without that setting `casebot slack` refuses to start, saying what to set."""
    with FakeSlack() as fake:
        fake.operator_channels.add(STAFF_CHANNEL)
        oauth: dict[str, Any] = {"home": tmp_path / "home", "slack_signing_secret": SECRET,
                 "slack_client_id": "111.222", "slack_client_secret": "shh",
                 "slack_api_url": fake.api_url, "staff_slack_channel": STAFF_CHANNEL}
        assert "CASEBOT_STAFF_SLACK_TEAM" in (_config_error(Settings(**oauth), False) or "")
        settings = Settings(**oauth, staff_slack_team="T2")
        assert _config_error(settings, False) is None
        service = build_service(settings)
        bot = build_slack_bot(settings, service)
        assert bot.installation_store is not None
        for team in ("T1", "T2"):
            bot.installation_store.save(Installation(
                app_id="A1", team_id=team, user_id="U0", bot_token=f"xoxb-{team}",
                bot_id=f"B{team}", bot_user_id=f"U{team}", bot_scopes=["chat:write"]))
        link(service, "U1", EMAIL)
        give_profiles(service, EMAIL, count=1)
        with unit_of_work(service.engine) as uow:
            contact = uow.contacts.ensure(EMAIL)
            case, _ = uow.cases.create(contact, "oauth-1", "slack",
                                       {"subject": "Down", "severity": "Critical"})
            alerts.case_opened(uow, case, service.staff)
        assert bot.deliver_alerts() == 1
        (post,) = staff_posts(Rig(fake, bot, service, Driver(bot.app, fake, SECRET), settings))
        assert post.token == "xoxb-T2"


@pytest.mark.serial
def test_alerts_to_one_channel_keep_its_rate(tmp_path: Path) -> None:
    """Issue 26: posts to one channel wait for their slot in the shared budget (Slack's
    chat.postMessage: about one a second per channel; here 10 a second, no burst)."""
    from bot.protocol import Alert

    with rig_with(tmp_path, staff_slack_channel=STAFF_CHANNEL, slack_channel_per_second=10,
                  slack_channel_burst=1) as r:
        for n in range(6):
            assert r.bot.send_alert(Alert(id=n, kind=NEW, text=f"alert {n}", case=str(n),
                                          severity="High", subject="s", account="a",
                                          contact=EMAIL)) is None
        times = [c.at for c in r.fake.of("chat.postMessage")
                 if c.args.get("channel") == STAFF_CHANNEL]
        assert len(times) == 6
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 0.09, gaps
