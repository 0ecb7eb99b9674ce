"""`/language` and the one offer to switch (issue 27): a contact chooses the language casebot
speaks to them; one who writes in another script than the one they get is asked once.

The offer is a note with a button beside the question, not a question of its own, so it
costs no action to ignore (bench/effort.py counts stay what they were).
"""

from __future__ import annotations

from bot import i18n
from bot.event import Event
from flows.commands import LANGUAGE, button_id
from flows.i18n import _, joined
from flows.model import Choice, Inbound, Prompt, info
from flows.normalize import is_japanese

# the answer to `/language CODE`, said in the language just chosen (rendered in it as every
# reply of the event is); the pseudo-locale says what it is, never "English"
CHOSEN = {"en": _("casebot speaks English to you now. /language changes it."),
          "ja": _("casebot speaks Japanese to you now. /language changes it."),
          i18n.PSEUDO: _("casebot speaks the test language {code} to you now: every message "
                         "it translates is marked. /language changes it.", code=i18n.PSEUDO)}


def choices(hint: bool = True) -> tuple[Choice, ...]:
    """A button per language, each labelled in its own language (a terminal shows the hint)."""
    return tuple(Choice(id=button_id(LANGUAGE, code), label=name,
                        hint=_("Type /language {code}", code=code) if hint else "")
                 for code, name in i18n.LANGUAGES.items())


def command(ev: Event, args: str) -> list[Prompt]:
    """`/language ja`, `/language en`: chosen (kept for every chat of the contact);
    `/language` alone: the choice, beside the question where they are."""
    wanted = args.strip()
    if not wanted:
        return ev.with_current([Prompt(kind="info", text=_(
            "Which language should casebot use with you?"), choices=choices())])
    code = i18n.normal(wanted)
    if code is None:
        return ev.with_current([info(_(
            "casebot speaks {languages}. Type /language followed by one of {codes}.",
            languages=", ".join(i18n.LANGUAGES.values()), codes=", ".join(i18n.LANGUAGES)))])
    ev.unit.contacts.choose_language(ev.contact.id, code)
    ev.language = code
    return ev.with_current([info(CHOSEN[code])])


def offer(ev: Event, inbound: Inbound, language: str) -> list[Prompt]:
    """Once per contact who chose no language: when what they typed is in another script
    than the language they get (Japanese text, an English casebot), a note offers to switch."""
    if ev.contact.language is not None or ev.contact.language_offered or ev.language:
        return []
    text = inbound.args if inbound.kind == "command" else inbound.text
    if inbound.kind not in ("text", "command") or not text.strip():
        return []
    wrote = "ja" if is_japanese(text) else None
    if wrote is None or wrote == language:
        return []
    ev.unit.contacts.language_was_offered(ev.contact.id)
    question = _("Would you like casebot in Japanese? /language ja switches; /language en "
                 "keeps English.")
    # said in the language they wrote in too (rendered now), then in the one they get
    return [Prompt(kind="info", text=joined("\n", [i18n.say(question, wrote), question]),
                   choices=choices())]
