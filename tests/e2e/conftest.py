"""Drive the real terminal chat: `casebot chat` as a subprocess with answers piped in.

`Script` builds the answer lines readably (labels rather than numbers where the console
accepts them, blocks ended by "."), `Chat.run` pipes them in and keeps stdout, and
`Chat.case` reads a submitted case back through `casebot cases show N --json`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack

import pytest
from typer.testing import CliRunner

from bot.i18n import PSEUDO
from bot.settings import Settings
from flows.catalog import get_catalog
from tests.e2e import pseudo
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.telegram_driver import SECRET

CASEBOT = str(Path(sys.executable).with_name("casebot"))
EMAIL = "ann@acme.example"
CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"
CASE_NUMBER = re.compile(r"Case number: (\d+)")
# when a case was updated, as each language writes it (CLDR through Babel; casebot shows
# the instants it recorded in UTC): "updated Dec 6, 2026, 10:49 PM UTC",
# "更新 2026年12月6日 22:49 UTC"
UPDATED_EN = re.compile(r"updated [A-Z][a-z]{2} \d{1,2}, 20\d\d, \d{1,2}:\d\d [AP]M UTC")
UPDATED_JA = re.compile(r"更新 20\d\d年\d{1,2}月\d{1,2}日 \d{1,2}:\d\d UTC")

# interfaces.md, "Case JSON": exactly these keys.
CASE_KEYS = {
    "number", "reference_id", "status", "channel", "contact_email", "profile_name", "product",
    "product_version", "product_language", "operating_system", "issue_type", "issue_category",
    "virus_pattern_type", "subject", "description", "severity", "business_impact", "cc_emails",
    "contact_method", "phone", "preferred_time", "urls", "tippingpoint", "change_window",
    "attachments", "created_at", "updated_at", "timeline",
    "source_url",  # issue 15: the message a case was started from (null otherwise)
    "messages", "assignee", "due_at", "satisfaction",  # issue 23 (assignee, due_at: issue 24)
}


@pytest.fixture(autouse=True)
def pseudo_locale(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
                  ) -> Iterator[None]:
    """Every e2e test runs with the pseudo-locale as the deployment's default language
    (subprocesses and the Settings tests build in-process read it from the environment) and
    fails on any customer-facing line it was shown untranslated (tests/e2e/pseudo.py).
    Off with CASEBOT_E2E_PSEUDO=0, or for one test with @pytest.mark.real_english("why")."""
    on = pseudo.ENABLED and request.node.get_closest_marker("real_english") is None
    if on:
        monkeypatch.setenv("CASEBOT_DEFAULT_LANGUAGE", PSEUDO)
    pseudo.start(on)
    yield
    found = pseudo.leaks()
    pseudo.start(False)
    log = os.environ.get("CASEBOT_E2E_PSEUDO_LOG")  # all of a run's leaks in one file
    if found and log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write("".join(f"{request.node.nodeid}\t{line}\n" for line in found))
    if found:
        pytest.fail(f"{len(found)} untranslated customer-facing line(s) in the pseudo-locale "
                    "(where: line):\n" + "\n".join(found), pytrace=False)


class ProfileExtras(TypedDict, total=False):
    """What `Script.profile_form` takes beyond the profile's name, product, version and OSes."""

    code: str
    settings: Iterable[str]
    guid: str
    save: bool


@dataclass
class Script:
    """Answer lines for `casebot chat`, one per line, built step by step."""

    lines: list[str] = field(default_factory=list)

    def say(self, *lines: str) -> Script:
        self.lines += lines
        return self

    def block(self, text: str) -> Script:
        """A multi-line answer: its lines, then a line holding only '.'."""
        return self.say(*text.split("\n"), ".")

    def profile_form(self, name: str, product: str, version: str, oses: Iterable[str], *,
                     code: str = CODE, settings: Iterable[str] = (), guid: str = "",
                     save: bool = True) -> Script:
        """Fill the profile form (already open) and save it; the language stays English."""
        p = get_catalog().product(product)
        self.say(name, product, version, ", ".join([*oses, "done"]), code)
        if p.asks_toolbox_guid:
            self.say(guid)
        if p.settings:
            self.say(", ".join([*settings, "done"]))
        return self.say("Save profile") if save else self

    def first_profile(self, name: str, product: str, version: str, oses: Iterable[str],
                      **kw: Unpack[ProfileExtras]) -> Script:
        """A contact's first request: /newcase opens the profile form at once."""
        return self.new_case().profile_form(name, product, version, oses, **kw)

    def add_profile(self, name: str, product: str, version: str, oses: Iterable[str],
                    **kw: Unpack[ProfileExtras]) -> Script:
        """From step 1 of a request: "Update or add a product profile" → add → save."""
        self.say("Update or add a product profile", "Add a new profile")
        return self.profile_form(name, product, version, oses, **kw)

    def common(self, subject: str | None, description: str | None = "It does not work.", *,
               password: str = "", files: Iterable[Path] | None = (), severity: str = "Low",
               impact: str = "", cc: Iterable[str] = (), contact: str = "Email",
               phone: str = "", when: str = "", submit: bool = True) -> Script:
        """Subject to review: the questions every request asks, then the review's edits.

        `subject`/`description` None when they are filled in (a URL reclassification or a
        described request); `password` answers the zip-password step of threat and spam
        cases; `files` are attached at the attachment step of those cases (`files=None` when
        it is not asked) or, for other cases, from the review. CC and the contact method are
        not asked: they are edited from the review (a Critical case asks the contact method).
        """
        if subject is not None:
            self.say(subject)
        if description is not None:
            self.block(description)
        if password:
            self.say(password)
            if files is not None:
                self.attachments(files)
        self.say(severity)
        if impact:
            self.block(impact)
        critical = severity.casefold() == "critical"
        if critical:
            self.say(contact)
            if contact == "Phone":
                self.say(phone, when)
        self.review_edits(files=() if password else files or (), cc=cc,
                          contact="Email" if critical else contact, phone=phone, when=when)
        return self.say("Submit") if submit else self

    def review_edits(self, *, files: Iterable[Path], cc: Iterable[str], contact: str,
                     phone: str, when: str) -> Script:
        """The review's edits: attachments, CC emails, and the contact method unless Email."""
        files = list(files)
        if files:
            self.say("Edit Attachments").attachments(files)
        cc = list(cc)
        if cc:
            self.say("Edit CC emails", ", ".join([*cc, "done"]))
        if contact != "Email":
            self.say("Edit Contact method", contact, phone, when)
        return self

    def attachments(self, files: Iterable[Path]) -> Script:
        return self.say(*(f"/attach {f}" for f in files), "/done")

    def new_case(self) -> Script:
        return self.say("/newcase")


def _text_of(arg: str) -> str | None:
    """A file given on the command line (`--describe FILE`): what the customer sent."""
    path = Path(arg)
    try:
        return path.read_text(errors="replace") if path.is_file() else None
    except OSError:
        return None


@dataclass
class Result:
    stdout: str
    stderr: str
    returncode: int

    @property
    def numbers(self) -> list[str]:
        return CASE_NUMBER.findall(self.stdout)

    def after(self, marker: str) -> str:
        """The output after the last occurrence of `marker`."""
        assert marker in self.stdout, f"{marker!r} not in output:\n{self.stdout[-3000:]}"
        return self.stdout.rsplit(marker, 1)[1]


class Chat:
    """One casebot home; runs the chat and the operator CLI against it."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {**os.environ, "CASEBOT_HOME": str(home), "PYTHONUNBUFFERED": "1",
                    "PYTHONFAULTHANDLER": "1",
                    "COLUMNS": "200", "TERM": "dumb"}
        self.env.pop("CASEBOT_DATABASE_URL", None)

    def run(self, script: Script | Iterable[str], *, email: str = EMAIL,
            timeout: float = 30, args: Iterable[str] = ()) -> Result:
        lines = script.lines if isinstance(script, Script) else list(script)
        pseudo.data(*lines, *args, *(_text_of(a) for a in args))
        proc = subprocess.run([CASEBOT, "chat", "--as", email, *args],
                              input="\n".join(lines) + "\n",
                              capture_output=True, text=True, env=self.env, timeout=timeout)
        return Result(pseudo.seen(proc.stdout, "terminal stdout"),
                      pseudo.english(proc.stderr), proc.returncode)

    def popen(self, *, email: str = EMAIL) -> subprocess.Popen[str]:
        return subprocess.Popen([CASEBOT, "chat", "--as", email], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env, bufsize=1)

    def cli(self, *args: str) -> str:
        """The operator CLI, in-process (the same typer app the console script runs)."""
        from bot.cli.main import app

        pseudo.data(*args)  # an operator's words reach the customer as they are
        result = CliRunner().invoke(app, list(args), env={"CASEBOT_HOME": str(self.home)},
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return str(pseudo.english(result.stdout))  # operators' output: not checked

    def case(self, number: str) -> dict[str, Any]:
        data = json.loads(self.cli("cases", "show", number, "--json"))
        assert isinstance(data, dict)
        assert set(data) == CASE_KEYS, set(data) ^ CASE_KEYS
        return data


@pytest.fixture
def chat(tmp_path: Path) -> Chat:
    return Chat(tmp_path / "home")


def submitted(result: Result, count: int = 1) -> list[str]:
    """Assert the chat ended well with `count` cases and return their numbers."""
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.numbers) == count, result.stdout[-4000:]
    return result.numbers


# -- Telegram: the Bot API stand-in and settings pointing at it (tests/e2e/test_telegram_*) --

@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """The Telegram Bot API stand-in on 127.0.0.1."""
    server = FakeTelegram().start()
    yield server
    server.close()


@pytest.fixture
def settings(fake: FakeTelegram, tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", telegram_bot_token=fake.token,
                    telegram_api_url=fake.url, telegram_webhook_secret=SECRET)
