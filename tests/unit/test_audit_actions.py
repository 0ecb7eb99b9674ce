"""The console's audit filter lists every action the code writes: each literal action name
passed to `audit.record` (or chosen between two literals there) is in `bot.audit.ACTIONS`."""

from __future__ import annotations

import re
from pathlib import Path

from bot.audit import ACTIONS

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r'"([a-z_]+(?:[ -][a-z_]+)*)"')


def written_actions() -> set[str]:
    found: set[str] = set()
    for package in ("bot", "web", "store"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            for m in re.finditer(r"audit\.record\(", text):
                head = "\n".join(text[m.end():].split("\n", 2)[:2])  # the call's 2 lines
                found |= {n for n in NAME.findall(head)
                          if "_" in n or "-" in n or n in ("link", "unlink")}
    return found


def test_every_written_action_can_be_filtered() -> None:
    written = written_actions()
    assert {"sign-in", "case_assign", "db_prune", "canned_delete"} <= written
    assert written - set(ACTIONS) == set()
