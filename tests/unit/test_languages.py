"""Which language a person gets (issue 27, bot/i18n.py): their own choice, then their
platform's (Slack's locale, Telegram's language_code), then the deployment's default, then
English; platform tags are read loosely and a language casebot does not speak is passed."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LOCALES, PSEUDO, choose, normal, pseudo, say, translator, unpseudo
from flows.i18n import Msg, _, joined, ngettext


@pytest.mark.parametrize(("own", "platform", "default", "gets"), [
    ("ja", "en-US", "en", "ja"),  # their own choice wins over the platform's
    ("en", "ja-JP", "ja", "en"),
    (None, "ja-JP", "en", "ja"),  # Slack's locale
    (None, "ja", "en", "ja"),  # Telegram's language_code
    (None, "de-DE", "ja", "ja"),  # a platform language casebot does not speak: the default
    (None, None, "ja", "ja"),
    (None, None, None, "en"),
    (None, None, "xx", "en"),
    ("klingon", None, None, "en"),
])
def test_the_order_of_choice(own: str | None, platform: str | None, default: str | None,
                             gets: str) -> None:
    assert choose(own, platform, default) == gets


def test_platform_tags_are_read_loosely() -> None:
    assert normal("ja_JP") == normal("JA") == normal(" ja-jp ") == "ja"
    assert normal("en-GB") == "en"
    assert normal("en_XA") == PSEUDO
    assert normal("") is None
    assert normal("zh-TW") is None


def test_a_message_keeps_its_id_through_str_and_exceptions() -> None:
    message = _("{name} is already attached.", name="a.zip")
    assert message == "a.zip is already attached."  # the English value, a str
    assert isinstance(str(message), Msg)
    assert isinstance(str(ValueError(message)), str)
    assert say(message, "ja") == "a.zip はすでに添付されています。"
    # a string built around it is plain English: what the pseudo-locale test finds
    assert say(f"Note: {message}", "ja") == "Note: a.zip is already attached."
    assert say(joined("\n", [message, "typed"]), "ja") == "a.zip はすでに添付されています。\ntyped"


def test_plural_forms_follow_each_languages_rule() -> None:
    one = ngettext("Please wait {n} second before trying the code again.",
                   "Please wait {n} seconds before trying the code again.", 1)
    many = ngettext("Please wait {n} second before trying the code again.",
                    "Please wait {n} seconds before trying the code again.", 5)
    assert (str(one), str(many)) == ("Please wait 1 second before trying the code again.",
                                     "Please wait 5 seconds before trying the code again.")
    assert say(many, "ja") == "5 秒待ってから、もう一度コードをご入力ください。"


def test_the_pseudo_locale_keeps_placeholders_and_commands() -> None:
    assert pseudo("Type /language {code}") == "⟦Tẏpė /language {code}⟧"
    assert say(_("Type /language {code}", code="ja"), PSEUDO) == "⟦Tẏpė /language ja⟧"


def test_unpseudo_gives_back_the_english_of_every_message_in_the_catalog() -> None:
    """The e2e suite runs in `en_XA` and reads what casebot said through `unpseudo`: for every
    msgid (each plural form too) rendered in the pseudo-locale, it is the English again."""
    with (LOCALES / "ja" / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as fh:
        ids = [m.id for m in read_po(fh, locale="ja") if m.id]
    t = translator(PSEUDO)
    assert t is not None
    assert len(ids) > 100
    for msgid in ids:
        forms: tuple[str, ...] = tuple(msgid) if not isinstance(msgid, str) else (msgid,)
        for n, form in zip((1, 2), forms, strict=False):
            shown = t.ngettext(forms[0], forms[-1], n) if len(forms) > 1 else t.gettext(form)
            assert unpseudo(shown) == form


def test_unpseudo_undoes_nested_messages_and_leaves_the_rest() -> None:
    inner = _("Low")
    shown = say(_("Severity: {s} for {who}", s=inner, who="José"), PSEUDO)
    assert shown == "⟦Sėvėrɨtẏ: ⟦Lȯw⟧ fȯr José⟧"
    assert unpseudo(shown) == "Severity: Low for José"  # data inside keeps its accents
    assert unpseudo("Zoë said ⟦Hɨ⟧.") == "Zoë said Hi."
    assert unpseudo("no brackets: Zoë") == "no brackets: Zoë"
