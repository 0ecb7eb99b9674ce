"""Actions per request (issue 10): the cheapest path through each chat, counted.

An action is one message sent or one button pressed, one line typed in the terminal
(intake.md, "Asking less than the portal"). Each path runs for real: the terminal through the
`casebot chat` subprocess, Slack through the Bolt app against the stand-in Web API, Telegram
through the PTB application against the stand-in Bot API (tests/e2e/fake_slack.py,
fake_telegram.py, telegram_driver.py). Every run must end with a case number, and the
submitted case is read back, so a count is never of a path that did not work.

    .venv/bin/python bench/effort.py

tests/e2e/test_effort.py runs the same paths and fails when a count goes above its target.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bot.app import build_service
from bot.i18n import say
from bot.service import Service
from bot.settings import Settings
from flows.i18n import _
from store.uow import unit_of_work
from tests.e2e.fake_slack import Driver, link, press_ephemeral, slack_rig
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.telegram_driver import SECRET, BotRun, TgUser
from tests.zipfactory import make_aes_zip

CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"
EMAIL = "ann@acme.example"
CASE_NUMBER = re.compile(r"(?:Case number|ケース番号): (\d+)")  # English or Japanese UI
URL = "https://shop.example.com/deals"
PORTAL = 10
CHATS = ("terminal", "slack", "telegram")

APEX = ("HQ Apex One", "Apex One", "2019", ("Windows 10",))
DEEP = ("DC Deep Security", "Deep Security", "20 LTS", ("Windows Server 2019",))


class MadeCall(Protocol):
    """A chat API call a stand-in recorded (fake_slack.Call, fake_telegram.Call)."""

    @property
    def method(self) -> str: ...


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    profiles: tuple[tuple[str, str, str, tuple[str, ...]], ...]
    targets: dict[str, int | None]
    note: str = ""
    japanese: bool = False  # described in Japanese: the same path, the same count
    ui: str = "en"  # the language casebot speaks to the contact (issue 27): the same count

    @property
    def path(self) -> str:
        """The path the runners walk (a Japanese scenario walks its English one's)."""
        return self.key.removesuffix("-jaui").removesuffix("-ja")


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("product1", "product case (one profile, one OS)", (APEX,),
             {"terminal": 6, "slack": 5, "telegram": 5}),
    Scenario("product2", "product case (two profiles)", (APEX, DEEP),
             {"terminal": 6, "slack": 5, "telegram": 5}),
    Scenario("url", "URL reclassification from /checkurl", (APEX,),
             {"terminal": 5, "slack": 5, "telegram": 5},
             note="counted from the /checkurl answer (the check itself is one more)"),
    Scenario("threat", "threat sample with a zip", (APEX,),
             {"terminal": None, "slack": None, "telegram": None}),
    Scenario("message", "case from an existing message (one profile)", (APEX,),
             {"terminal": 4, "slack": 4, "telegram": 4},
             note="Slack: the message shortcut; Telegram: a forward; terminal: --describe FILE"),
    Scenario("first", "first case with a new profile", (),
             {"terminal": 12, "slack": 12, "telegram": 12}),
)
SCENARIOS += tuple(
    Scenario(f"{sc.key}-ja", f"{sc.title}, described in Japanese", sc.profiles, sc.targets,
             sc.note, japanese=True)
    for sc in SCENARIOS if sc.key in ("product1", "product2", "message", "first"))
# the same paths with casebot speaking Japanese (the contact chose it): buttons and options are
# pressed by their Japanese labels, and each count must equal the English one
SCENARIOS += tuple(
    Scenario(f"{sc.key}ui", f"{sc.title}, casebot in Japanese", sc.profiles, sc.targets,
             sc.note, japanese=True, ui="ja")
    for sc in SCENARIOS if sc.key in ("product1-ja", "first-ja"))
BY_KEY = {s.key: s for s in SCENARIOS}

PRODUCT = "Apex One agents stop reporting after the update"
DEEP_TEXT = "Deep Security agents stop reporting after the update"
ALERT = "The Apex One console hangs again\nSince this morning; screenshot in the thread."
SAMPLE_TEXT = "Collected a suspicious file sample from a laptop"
# As Japanese customers write them: one line, no spaces, a nickname typed full-width.
JAPANESE = {
    PRODUCT: "Apex Oneのエージェントがアップデート後にサーバへ報告しなくなりました",
    DEEP_TEXT: "ＤＳエージェントがアップデート後に応答しません",
    ALERT: ("Apex Oneの管理コンソールがまたフリーズしました\n"
            "今朝からです。画面はスレッドにあります。"),
}


def text_of(key: str, english: str) -> str:
    """What the person types first in scenario `key`."""
    return JAPANESE[english] if BY_KEY[key].japanese else english


def shown(key: str, label: str) -> str:
    """An option's label as scenario `key`'s contact sees it (their language; data such as
    product names stays as it is)."""
    return say(_(label), BY_KEY[key].ui)


def give_profiles(service: Service, email: str,
                  profiles: tuple[tuple[str, str, str, tuple[str, ...]], ...],
                  language: str = "en") -> None:
    """Saved profiles, as an earlier session would have left them, and the language the
    contact chose (English: none chosen)."""
    with unit_of_work(service.engine) as s:
        contact = s.contacts.ensure(email)
        assert contact.id is not None
        if language != "en":
            s.contacts.choose_language(contact.id, language)
        for name, product, version, oses in profiles:
            s.profiles.save(contact, {"name": name, "product": product,
                                           "version": version, "operating_systems": list(oses),
                                           "activation_code": {"new": CODE}, "settings": [],
                                           "language": "English"})
        s.commit()


def sample_zip(root: Path) -> Path:
    return make_aes_zip(root / "sample.zip", {"dropper.exe": b"MZ" + b"\0" * 400}, "infected")


def read_case(service: Service, number: str) -> dict[str, Any]:
    with unit_of_work(service.engine) as s:
        case = s.cases.by_number(number)
        assert case is not None, number
        return s.cases.as_json(case)


# -- the terminal: `casebot chat`, one line an action ------------------------------------------

def terminal_lines(key: str, root: Path) -> tuple[list[str], list[str]]:
    """(lines before the measured path, the measured lines)."""
    product, deep = text_of(key, PRODUCT), text_of(key, DEEP_TEXT)
    issue, low, submit = (shown(key, t) for t in ("Product Issues", "Low", "Submit"))
    save = shown(key, "Save profile")
    key = BY_KEY[key].path
    if key == "message":  # `--describe FILE` is the first action
        return [], [issue, low, submit]
    if key == "product1":
        return [], [product, issue, low, submit]
    if key == "product2":
        return [], [deep, "DC Deep Security", issue, low, submit]
    if key == "url":
        return [f"/checkurl {URL}"], ["/reclassify", "Dangerous", "Phishing", low, submit]
    if key == "threat":
        return [], [SAMPLE_TEXT, "Collected Threat Sample Analysis",
                    "Conventional Scan (Virus Pattern)", "infected",
                    f"/attach {sample_zip(root)}", "/done", low, submit]
    return [], [product, "HQ Apex One", "Apex One", "2019", "Windows 10, done", CODE, "done",
                save, issue, low, submit]


def run_terminal(key: str, root: Path) -> tuple[int, dict[str, Any]]:
    home = root / f"term-{key}"
    service = build_service(Settings(home=home))
    give_profiles(service, EMAIL, BY_KEY[key].profiles, BY_KEY[key].ui)
    before, measured = terminal_lines(key, root)
    casebot = str(Path(sys.executable).with_name("casebot"))
    extra = []
    if BY_KEY[key].path == "message":
        saved = root / "message.txt"
        saved.write_text(text_of(key, ALERT), encoding="utf-8")
        extra = ["--describe", str(saved)]
    env = {"CASEBOT_HOME": str(home), "PYTHONUNBUFFERED": "1", "TERM": "dumb",
           "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([casebot, "chat", "--as", EMAIL, *extra],
                          input="\n".join([*before, *measured]) + "\n", capture_output=True,
                          text=True, env=env, timeout=60)
    numbers = CASE_NUMBER.findall(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert len(numbers) == 1, proc.stdout[-3000:] + proc.stderr
    case = read_case(service, numbers[0])
    service.engine.dispose()
    return len(measured) + bool(extra), case


# -- Slack: the Bolt app against the stand-in Web API ------------------------------------------

class CountingSlack:
    """The test driver, counting what the user does (picking in a multi-select and its
    Confirm are two actions)."""

    def __init__(self, driver: Driver, user: str,
                 shown: Callable[[str], str] = lambda label: label) -> None:
        self.d, self.user, self.count, self.shown = driver, user, 0, shown

    def say(self, text: str) -> None:
        self.count += 1
        self.d.say(self.user, text)

    def press(self, label: str) -> None:
        """Press the option `label` (English) as the person sees it."""
        self.count += 1
        self.d.press(self.user, self.shown(label))

    def pick_many(self, labels: list[str]) -> None:
        self.count += 2 if labels else 1  # the select, then Confirm (nothing picked: Confirm)
        self.d.pick_many(self.user, [self.shown(label) for label in labels])

    def last_text(self) -> str:
        text: str = self.d.last(self.user).args.get("text", "")
        return text


def run_slack(key: str, root: Path, calls: list[MadeCall] | None = None) -> tuple[int,
              dict[str, Any]]:
    """`calls`, when given, receives the stand-in's record of Web API calls (issue 13)."""
    with slack_rig(root / f"slack-{key}") as rig:
        user = "U1"
        # linked through Slack earlier: its locale was kept then (users.info at linking)
        link(rig.service, user, EMAIL, locale="en-US")
        give_profiles(rig.service, EMAIL, BY_KEY[key].profiles, BY_KEY[key].ui)
        ui = BY_KEY[key].ui
        s = CountingSlack(rig.slack, user, lambda label: say(_(label), ui))
        product, deep, alert = (text_of(key, t) for t in (PRODUCT, DEEP_TEXT, ALERT))
        key = BY_KEY[key].path
        if key == "message":  # "Open a support case" on a channel message
            s.count += 1
            rig.slack.message_shortcut(user, alert, channel="C42")
            s.press("Product Issues")
            s.press("Low")
        elif key == "product1":
            s.say(product)
            s.press("Product Issues")
            s.press("Low")
        elif key == "product2":
            s.say(deep)
            s.press("DC Deep Security")
            s.press("Product Issues")
            s.press("Low")
        elif key == "url":
            rig.slack.command(user, "/urlcheck", URL, channel="C9")  # the check: not counted
            eph = rig.fake.of("chat.postEphemeral")[-1]
            s.count += 1
            press_ephemeral(rig, user, eph, "Request reclassification")
            s.press("Dangerous")
            s.press("Phishing")
            s.press("Low")
        elif key == "threat":
            s.say(SAMPLE_TEXT)
            s.press("Collected Threat Sample Analysis")
            s.press("Conventional Scan (Virus Pattern)")
            s.press("infected")
            data = sample_zip(root).read_bytes()
            s.count += 1
            rig.slack.say(user, "", files=[rig.fake.add_file("F1", "sample.zip", data)])
            s.press("Done")
            s.press("Low")
        else:
            s.say(product)
            s.say("HQ Apex One")
            s.press("Apex One")
            s.press("2019")
            s.pick_many(["Windows 10"])
            s.say(CODE)
            s.pick_many([])
            s.press("Save profile")
            s.press("Product Issues")
            s.press("Low")
        s.press("Submit")
        numbers = CASE_NUMBER.findall(s.last_text())
        assert numbers, rig.slack.text(user)[-2000:]
        if calls is not None:
            calls.extend(rig.fake.calls)
        return s.count, read_case(rig.service, numbers[0])


# -- Telegram: the PTB application against the stand-in Bot API --------------------------------

class CountingTg(TgUser):
    """The test driver, counting every update the user sends (a page turn is a press)."""

    count = 0
    ui = "en"

    async def act(self, fn, *args, **kw):  # type: ignore[no-untyped-def]
        self.count += 1
        return await super().act(fn, *args, **kw)

    async def press(self, label: str, *, exact: bool = False) -> dict[str, Any]:
        """Press the option `label` (English) as the person sees it."""
        return await super().press(say(_(label), self.ui), exact=exact)


async def _telegram(key: str, root: Path, calls: list[MadeCall] | None = None) -> tuple[int,
                    dict[str, Any]]:
    fake = FakeTelegram().start()
    try:
        settings = Settings(home=root / f"tg-{key}", telegram_bot_token=fake.token,
                            telegram_api_url=fake.url, telegram_webhook_secret=SECRET)
        async with BotRun(fake, settings, "polling") as run:
            run.link(7001, EMAIL)
            give_profiles(run.service, EMAIL, BY_KEY[key].profiles, BY_KEY[key].ui)
            u = CountingTg(run, 7001)
            u.ui = BY_KEY[key].ui
            product, deep, alert = (text_of(key, t) for t in (PRODUCT, DEEP_TEXT, ALERT))
            key = BY_KEY[key].path
            if key == "message":  # a message forwarded from a channel
                await u.forward(alert, channel="acme_alerts")
                await u.press("Product Issues")
                await u.press("Low", exact=True)
            elif key == "product1":
                await u.say(product)
                await u.press("Product Issues")
                await u.press("Low", exact=True)
            elif key == "product2":
                await u.say(deep)
                await u.press("DC Deep Security")
                await u.press("Product Issues")
                await u.press("Low", exact=True)
            elif key == "url":
                await u.say(f"/checkurl {URL}")
                u.count -= 1  # the check itself is not counted
                await u.press("Request reclassification", exact=True)
                await u.press("Dangerous", exact=True)
                await u.press("Likely for Dangerous: Phishing", exact=True)
                await u.press("Low", exact=True)
            elif key == "threat":
                await u.say(SAMPLE_TEXT)
                await u.press("Collected Threat Sample Analysis")
                await u.press("Conventional Scan")
                await u.press("infected")
                await u.document("sample.zip", sample_zip(root).read_bytes())
                await u.press("Done", exact=True)
                await u.press("Low", exact=True)
            else:
                await u.say(product)
                await u.say("HQ Apex One")
                await u.press("Apex One", exact=True)
                await u.press("2019", exact=True)
                await u.press("Windows 10", exact=True)
                await u.press("Done", exact=True)
                await u.say(CODE)
                await u.press("Done", exact=True)
                await u.press("Save profile")
                await u.press("Product Issues")
                await u.press("Low", exact=True)
            await u.press("Submit", exact=True)
            if calls is not None:
                calls.extend(fake.calls)
            return u.count, read_case(run.service, u.case_number())
    finally:
        fake.close()


def run_telegram(key: str, root: Path, calls: list[MadeCall] | None = None) -> tuple[int,
                 dict[str, Any]]:
    return asyncio.run(_telegram(key, root, calls))


RUNNERS: dict[str, Callable[[str, Path], tuple[int, dict[str, Any]]]] = {
    "terminal": run_terminal, "slack": run_slack, "telegram": run_telegram}


def measure(root: Path) -> dict[tuple[str, str], int]:
    counts = {}
    for sc in SCENARIOS:
        for chat in CHATS:
            counts[(sc.key, chat)] = RUNNERS[chat](sc.key, root)[0]
    return counts


def table(counts: dict[tuple[str, str], int]) -> str:
    lines = ["| request | terminal | Slack | Telegram | target (terminal / chats) | portal |",
             "|---|---|---|---|---|---|"]
    for sc in SCENARIOS:
        cells = []
        for chat in CHATS:
            n, target = counts[(sc.key, chat)], sc.targets[chat]
            cells.append(f"{n}" + ("" if target is None else " ✓" if n <= target else " ✗"))
        t = sc.targets
        shown = "—" if t["terminal"] is None else (
            f"{t['terminal']}" if t["terminal"] == t["slack"] else
            f"{t['terminal']} / {t['slack']}")
        title = sc.title + (f"; {sc.note}" if sc.note else "")
        lines.append(f"| {title} | {' | '.join(cells)} | {shown} | ~{PORTAL} |")
    return "\n".join(lines)


def main() -> None:
    import logging

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="casebot-effort-") as tmp:
        print(table(measure(Path(tmp))))


if __name__ == "__main__":
    main()
