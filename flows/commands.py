"""Command ids, defined once: what a person may type (`/cases`) and what a chat may offer as
a button under an answer.

`bot/service.py` routes each id (and each alias, via `canonical`) to one handler. A command
button carries `button_id(name)` ("cmd:reclassify"); adapters map it back with `command_of`.
Only the commands in `BUTTON_COMMANDS` may be pressed.
"""

from __future__ import annotations

PREFIX = "cmd:"
NEWCASE = "newcase"
CANCEL = "cancel"
BACK = "back"
HELP = "help"
WHERE = "where"  # not typed: "show me where I am" (a chat opened, a person just linked)
CASES = "cases"
CASE = "case"
PROFILES = "profiles"
MYPROFILE = "myprofile"
CHECKURL = "checkurl"
RECLASSIFY = "reclassify"
# Other names a person may type for the same command.
ALIASES = {"new": NEWCASE, "start": HELP, "urlcheck": CHECKURL}
BUTTON_COMMANDS = frozenset({RECLASSIFY})


def button_id(name: str) -> str:
    """The choice id of a button that runs /name."""
    return PREFIX + name


def command_of(choice_id: str) -> str | None:
    """The command a button id stands for; None for anything not offered as a button."""
    if not choice_id.startswith(PREFIX) or choice_id[len(PREFIX):] not in BUTTON_COMMANDS:
        return None
    return choice_id[len(PREFIX):]


def canonical(name: str) -> str:
    """The command id a typed name stands for (an alias maps to its command)."""
    return ALIASES.get(name, name)
