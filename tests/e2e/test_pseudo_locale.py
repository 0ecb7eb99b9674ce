"""Whole conversations in the pseudo-locale `en_XA` (issue 27): every message casebot renders
through its catalogs comes out ⟦wrapped⟧, so any customer-facing text left outside the
brackets bypassed them (an f-string, a concatenation, a string never marked). What the
customer typed and the catalog's data (products, systems, profile names) are excepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.i18n import pseudo
from flows.catalog import get_catalog
from tests.e2e.conftest import EMAIL, Chat, Script

WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")
# what is no text: numbers, sizes, dates, punctuation, list marks, the console's own marks
NOT_WORDS = re.compile(r"[^A-Za-z]+|\b(?:KB|MB|UTC|JST|[A-Z]?\d+[a-z]*)\b")


def untranslated(output: str, allowed: Iterable[str]) -> list[str]:
    """The lines of `output` with words outside ⟦…⟧ that are not `allowed` (data)."""
    keep = sorted({a for a in allowed if a}, key=len, reverse=True)
    bad = []
    for line in output.splitlines():
        rest = line
        while WRAPPED.search(rest):
            rest = WRAPPED.sub(" ", rest)
        for value in keep:
            rest = rest.replace(value, " ")
        if NOT_WORDS.sub("", rest):
            bad.append(line)
    return bad


def data_words(*typed: str) -> list[str]:
    """What may stay as it is: the values the customer typed (not the options they picked:
    those are casebot's words), the catalog's names (products, their versions and settings,
    systems, languages, passwords), the customer's email, the commands."""
    cat = get_catalog()
    return [*typed, *(p.name for p in cat.products),
            *(v for p in cat.products for v in (*p.versions, *p.settings)),
            *cat.operating_systems, *cat.languages, *cat.sample_passwords, EMAIL, "casebot",
            *COMMANDS]


COMMANDS = re.compile(r"/[a-z]+").findall(
    "/newcase /cases /case /reply /profiles /myprofile /checkurl /reclassify /back /cancel "
    "/language /help /attach /done")


def test_a_product_case_in_the_pseudo_locale_shows_nothing_untranslated(chat: Chat) -> None:
    chat.env["CASEBOT_DEFAULT_LANGUAGE"] = "en_XA"
    typed = ["HQ Apex One", "Agent crashes after pattern update", "The agent stops",
             "on every server.", "All servers are down."]
    s = Script().first_profile(typed[0], "Apex One", "2019",
                               ["Windows 10", "Windows Server 2016"],
                               settings=["Smart Scan Server"])
    s.say("Windows Server 2016", "Product Issues")
    s.common(typed[1], "\n".join(typed[2:4]), severity="High", impact=typed[4])
    result = chat.run(s.say("/cases", "/help", "/language", "/back", "/nosuch"))
    assert result.returncode == 0, result.stderr
    [number] = re.findall(pseudo("Case number: {n}").replace("{n}", r"(\d+)"), result.stdout)
    assert chat.case(number)["issue_category"] == "Product Issues"  # the English value
    bad = untranslated(result.stdout, data_words(*typed, number))
    assert not bad, "\n".join(bad)
