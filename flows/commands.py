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
# the conversation after Submit (issue 23)
REPLY = "reply"  # /reply NUMBER TEXT
SOLVED = "solved"  # /solved NUMBER: the resolution holds
STILL_BROKEN = "stillbroken"  # /stillbroken NUMBER: reopen it
SURVEY = "rate"  # /rate SURVEY RATING (a survey button; a terminal types the number)
ADD_TO = "addto"  # /addto HELD NUMBER: a held message goes to that case
NEW_FROM = "newfrom"  # /newfrom HELD: a held message opens a new request
LANGUAGE = "language"  # /language [CODE]: the language casebot speaks to this person
SPLIT = "split"  # /split MESSAGE: a message added to a case becomes a new request instead
# Other names a person may type for the same command.
ALIASES = {"new": NEWCASE, "start": HELP, "urlcheck": CHECKURL}
BUTTON_COMMANDS = frozenset({RECLASSIFY, SOLVED, STILL_BROKEN, SURVEY, ADD_TO, NEW_FROM,
                             SPLIT, LANGUAGE})


def button_id(name: str, args: str = "") -> str:
    """The choice id of a button that runs `/name args` ("cmd:rate:12:5"; Telegram keeps
    64 bytes of it, so args are numbers)."""
    return PREFIX + name + "".join(":" + a for a in args.split())


def pressed(choice_id: str) -> tuple[str, str] | None:
    """(command, args) a button id stands for; None for anything not offered as a button."""
    if not choice_id.startswith(PREFIX):
        return None
    name, *args = choice_id[len(PREFIX):].split(":")
    return (name, " ".join(args)) if name in BUTTON_COMMANDS else None


def command_of(choice_id: str) -> str | None:
    """The command a button id stands for; None for anything not offered as a button."""
    found = pressed(choice_id)
    return found[0] if found else None


def canonical(name: str) -> str:
    """The command id a typed name stands for (an alias maps to its command)."""
    return ALIASES.get(name, name)
