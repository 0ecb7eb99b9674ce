"""Command ids, defined once: what a chat may offer as a button under an answer.

A command button carries `button_id(name)` ("cmd:reclassify"); adapters map it back with
`command_of`. Only the commands in `BUTTON_COMMANDS` may be pressed.
"""

from __future__ import annotations

PREFIX = "cmd:"
RECLASSIFY = "reclassify"
BUTTON_COMMANDS = frozenset({RECLASSIFY})


def button_id(name: str) -> str:
    """The choice id of a button that runs /name."""
    return PREFIX + name


def command_of(choice_id: str) -> str | None:
    """The command a button id stands for; None for anything not offered as a button."""
    if not choice_id.startswith(PREFIX) or choice_id[len(PREFIX):] not in BUTTON_COMMANDS:
        return None
    return choice_id[len(PREFIX):]
