"""Helpers for driving `Service.handle` the way an adapter does, on a real SQLite file.

`seeded_home` builds a migrated casebot home with a contact and a few product profiles once;
`fresh_service` copies it so each test (or hypothesis example) gets its own database cheaply.
`Talk` sends inbounds and remembers the prompt the user is looking at.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import build_service
from bot.protocol import Who
from bot.service import Service
from bot.settings import Settings
from flows.context import Clock, ProfileView
from flows.model import Inbound, Prompt
from store.db import make_engine
from store.tables import saved_id
from store.uow import unit_of_work

EMAIL = "walker@acme.example"
WHO = Who("console", EMAIL, email=EMAIL)
CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"
# The flows' time now in these tests: the change windows they type (January 2030) lie ahead
# of it whatever the wall clock says.
NOW = datetime(2029, 6, 1, 12, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW

# name, product, version, OS labels, settings labels (in catalog order)
ProfileRow = tuple[str, str, str, list[str], list[str]]
PROFILES: list[ProfileRow] = [
    ("HQ Apex One", "Apex One", "2019", ["Windows 10", "Windows Server 2016"], []),
    ("DC Deep Security", "Deep Security", "20 LTS", ["Windows Server 2019"], []),
    ("Edge DV", "TippingPoint Digital Vaccine", "DV 4.0", ["TippingPoint TOS"], []),
    ("Core TDV", "TippingPoint ThreatDV", "ThreatDV 1.0", ["TippingPoint TOS"], []),
    ("Lab OfficeScan", "OfficeScan", "XG", ["Windows 11"], []),
]


def profile_lines(name: str, product: str, version: str, oses: Iterable[str],
                  settings: Iterable[str]) -> list[str]:
    from flows.catalog import get_catalog

    p = get_catalog().product(product)
    lines = [name, product, version, ", ".join([*oses, "done"]), CODE]
    if p.asks_toolbox_guid:
        lines.append("")
    if p.settings:
        lines.append(", ".join([*settings, "done"]))
    return [*lines, "Save profile"]  # the language is English unless edited in the review


@dataclass
class Talk:
    """One user talking to the service; `prompt` is the last question shown."""

    service: Service
    who: Who = WHO
    shown: Prompt | None = None
    log: list[tuple[Inbound, list[Prompt]]] = field(default_factory=list)

    @property
    def prompt(self) -> Prompt:
        """The last question shown: a test reading it expects the user to have been asked."""
        assert self.shown is not None, "no question has been shown yet"
        return self.shown

    def send(self, inbound: Inbound, *, auto_start: bool = False) -> list[Prompt]:
        prompts = self.service.handle(self.who, inbound, auto_start=auto_start)
        self.log.append((inbound, prompts))
        asked = [p for p in prompts if p.kind not in ("info",)]
        if asked:
            self.shown = asked[-1]
        return prompts

    def say(self, *lines: str) -> list[Prompt]:
        out: list[Prompt] = []
        for line in lines:
            out = self.send(Inbound.from_text(line))
        return out

    def press(self, choice: str, prompt: Prompt | None = None) -> list[Prompt]:
        """Press a button on `prompt` (default: the current one), as an adapter would."""
        p = prompt or self.prompt
        return self.send(Inbound(kind="choice", choice=choice, step=p.step, draft=p.draft))

    def start(self) -> list[Prompt]:
        return self.send(Inbound(kind="command", command="where"), auto_start=True)

    def state(self) -> tuple[str | None, str | None, dict[str, Any]]:
        """(flow, state, answers) as stored."""
        with unit_of_work(self.service.engine) as s:
            found = s.conversations.load_for_identity(self.who.channel, self.who.external_id)
            conv = found[1] if found else None
            if conv is None:
                return None, None, {}
            return conv.flow, conv.state, conv.answers


def seeded_home(root: Path, profiles: Sequence[ProfileRow] = PROFILES) -> Path:
    """A migrated home whose contact has `profiles`, ready to be copied."""
    home = root / "seed"
    service = build_service(Settings(home=home))
    talk = Talk(service)
    talk.start()  # no profile yet: the profile form opens at once
    talk.say(*profile_lines(*profiles[0]), "/cancel")
    for p in profiles[1:]:
        talk.say("/profiles", "Add a new profile", *profile_lines(*p), "Done")
    with unit_of_work(service.engine) as s:
        contact = s.contacts.by_email(EMAIL)
        assert contact is not None
        names = sorted(v.name for v in s.profiles.views(saved_id(contact)))
    assert names == sorted(p[0] for p in profiles), names
    service.engine.dispose()
    return home


def fresh_service(seed: Path, home: Path | None = None, clock: Clock = fixed_clock,
                  **settings: Any) -> Service:
    """A service on a private copy of the seeded database, its flows' clock at `NOW`."""
    home = home or Path(tempfile.mkdtemp(prefix="casebot-walk-"))
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(seed / "casebot.db", home / "casebot.db")
    s = Settings(home=home, **settings)
    return build_service(s, engine=make_engine(s.db_url), clock=clock)


def case_json(service: Service, number: str) -> dict[str, Any]:
    with unit_of_work(service.engine) as s:
        case = s.cases.by_number(number)
        assert case is not None
        return s.cases.as_json(case)


def profile_oses(service: Service, name: str, email: str = EMAIL) -> list[str]:
    with unit_of_work(service.engine) as s:
        contact = s.contacts.by_email(email)
        assert contact is not None
        views = s.profiles.views(saved_id(contact))
    return next(list(v.operating_systems) for v in views if v.name == name)


def profile_views_of(service: Service, email: str = EMAIL) -> list[ProfileView]:
    with unit_of_work(service.engine) as s:
        contact = s.contacts.by_email(email)
        assert contact is not None
        return list(s.profiles.views(saved_id(contact)))
