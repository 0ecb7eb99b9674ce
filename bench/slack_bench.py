"""Slack step benchmark (issue 4): one request through Bolt with casebot vs a bare Bolt handler.

Both apps are real `slack_bolt.App`s with the same WebClient set-up against the same stand-in
Web API on 127.0.0.1, and receive the same kind of signed requests through `App.dispatch`.
A request is timed from dispatch until its listener has finished (so the Web API calls count).

- casebot: a user at the severity question presses "High" (service step, then one
  chat.update: the pressed message becomes the answer plus the next question), then
  `/case back` (service step, chat.postMessage of the severity question again); both kinds
  of request are timed, and also until the stand-in has the reply (what the user waits for).
- floor: a Bolt handler that acks and posts one fixed message, for the same two payloads,
  on Bolt's own per-request client (a new connection per call, as a plain Bolt app has it).
- floor-ka: the same floor with casebot's keep-alive middleware, so the difference to casebot
  is casebot's own work alone.

Rounds of the two run interleaved; we report the median per-request time and the ratio.

    .venv/bin/python bench/slack_bench.py [--requests 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import App

from adapters.slack.app import make_client
from adapters.slack.client import keep_alive_middleware
from bot.settings import Settings
from tests.e2e.fake_slack import (
    BOT_TOKEN,
    SECRET,
    Driver,
    FakeSlack,
    Rig,
    TrackingExecutor,
    link,
    make_profile,
    slack_rig,
)

USER = "U1"


def floor_app(fake: FakeSlack, executor: TrackingExecutor, keep: bool = False) -> App:
    settings = Settings(slack_bot_token=BOT_TOKEN, slack_api_url=fake.api_url)
    app = App(client=make_client(settings, BOT_TOKEN), signing_secret=SECRET,
              listener_executor=executor)
    if keep:
        app.use(keep_alive_middleware)

    @app.action(re.compile(r"^cb\."))
    def press(ack, body, client):  # type: ignore[no-untyped-def]
        ack()
        client.chat_postMessage(channel=body["container"]["channel_id"], text="ok",
                                unfurl_links=False, unfurl_media=False)

    @app.command("/case")
    def command(ack, command, client):  # type: ignore[no-untyped-def]
        ack()
        client.chat_postMessage(channel=command["channel_id"], text="ok",
                                unfurl_links=False, unfurl_media=False)

    return app


def timed(driver: Driver, body: str, ctype: str, busy: list[float],
          felt: list[float] | None = None, calls: list[int] | None = None) -> float:
    """Wall time from dispatch until the listener is done; its own run time goes to `busy`,
    the time until the stand-in received the reply (the first chat.postMessage or
    chat.update) to `felt`, and the
    number of Web API calls the request made to `calls`."""
    assert driver.executor is not None
    before = len(driver.executor.busy)
    seen = len(driver.fake.calls)
    start = time.perf_counter()
    mono = time.monotonic()
    status, _ = driver.send(body, ctype)
    elapsed = time.perf_counter() - start
    assert status == 200, status
    busy.append(sum(driver.executor.busy[before:]))
    made = driver.fake.calls[seen:]
    if felt is not None:
        posted = [c.at for c in made if c.method in ("chat.postMessage", "chat.update")]
        felt.append(min(posted) - mono)
    if calls is not None:
        calls.append(len(made))
    return elapsed


def press_body(driver: Driver, label: str) -> str:
    """The signed-to-be payload of pressing `label` on the newest message (not sent)."""
    msg, block, el, _ = driver._find(USER, label)
    action = {"action_id": el["action_id"], "block_id": block["block_id"], "type": "button",
              "text": el["text"], "value": el["value"], "action_ts": f"{time.time():.6f}"}
    return driver._action_body(USER, msg, action)


def command_body(text: str, n: int) -> str:
    import urllib.parse

    return urllib.parse.urlencode({
        "token": "x", "team_id": "T1", "channel_id": "D" + USER,
        "channel_name": "directmessage", "user_id": USER, "command": "/case", "text": text,
        "api_app_id": "A1", "trigger_id": f"bench{n}"})


def ready_at_severity(rig: Rig) -> None:
    """USER linked, with a profile, and a product case open at the severity question."""
    link(rig.service, USER, "pat@acme.example")
    cb = rig.slack
    cb.command(USER, "/case", "new")
    make_profile(cb, USER)
    for label in ("Windows 10", "Product Issues"):
        cb.press(USER, label)
    cb.say(USER, "Benchmark subject")
    cb.say(USER, "Benchmark description")
    assert "How severe" in cb.last(USER).args["text"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200, help="requests per round and app")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rtt", type=float, default=0.0,
                    help="ms each Web API call takes on the wire (the stand-in waits)")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    form = "application/x-www-form-urlencoded"

    with tempfile.TemporaryDirectory() as tmp, slack_rig(Path(tmp)) as rig:
        os.environ["CASEBOT_HOME"] = tmp
        cb = rig.slack
        ready_at_severity(rig)

        rig.fake.rtt = args.rtt / 1000
        floor_exec, ka_exec = TrackingExecutor(), TrackingExecutor()
        floors = {"floor": Driver(floor_app(rig.fake, floor_exec), rig.fake, SECRET, floor_exec),
                  "floor-ka": Driver(floor_app(rig.fake, ka_exec, keep=True), rig.fake, SECRET,
                                     ka_exec)}

        n = 0
        names = ("casebot", "floor", "floor-ka")
        rounds: dict[str, list[float]] = {k: [] for k in names}
        listener: dict[str, list[float]] = {k: [] for k in names}
        pressed: dict[str, list[float]] = {k: [] for k in names}
        calls: dict[str, list[int]] = {k: [] for k in names}
        backs: dict[str, list[float]] = {k: [] for k in names}
        for _ in range(args.rounds):
            times: dict[str, list[float]] = {k: [] for k in names}
            busy: dict[str, list[float]] = {k: [] for k in names}
            felt: dict[str, list[float]] = {k: [] for k in names}
            typed: dict[str, list[float]] = {k: [] for k in names}
            for _ in range(args.requests // 2):
                n += 1
                body = press_body(cb, "High")
                times["casebot"].append(timed(cb, body, form, busy["casebot"],
                                              felt["casebot"], calls["casebot"]))
                # the severity message became "High" + the next question (the floor's own
                # "ok" posts land in the same DM, so look at the newest few)
                assert any("business impact" in m.args.get("text", "")
                           for m in cb.messages(USER)[-3:])
                for name, floor in floors.items():
                    times[name].append(timed(floor, body, form, busy[name], felt[name],
                                             calls[name]))
                back = command_body("back", n)
                times["casebot"].append(timed(cb, back, form, busy["casebot"],
                                              typed["casebot"]))
                for name, floor in floors.items():
                    times[name].append(timed(floor, back, form, busy[name], typed[name]))
            for name in names:
                rounds[name].append(statistics.median(times[name]))
                listener[name].append(statistics.median(busy[name]))
                pressed[name].append(statistics.median(felt[name]))
                backs[name].append(statistics.median(typed[name]))
        floor_exec.shutdown()
        ka_exec.shutdown()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; {args.requests} requests x {args.rounds} rounds; "
          f"stand-in RTT {args.rtt:g} ms")
    for name in names:
        print(f"Web API calls per press, {name}: {statistics.mean(calls[name]):.2f}")
    for label, data in (("per request (dispatch -> listener done)", rounds),
                        ("listener run time alone", listener),
                        ("press -> next question received by the stand-in", pressed),
                        ("typed /case back -> question received by the stand-in", backs)):
        print(label)
        for name in names:
            per_round = " · ".join(f"{v * 1000:.2f}" for v in data[name])
            print(f"  {name:8s} median {statistics.median(data[name]) * 1000:.2f} ms  "
                  f"(rounds: {per_round})")
        for base in names[1:]:
            ratio = statistics.median(data["casebot"]) / statistics.median(data[base])
            print(f"  ratio to {base:8s} {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
