"""Which language a person gets (issue 27, bot/i18n.py): their own choice, then their
platform's (Slack's locale, Telegram's language_code), then their account's default, then the
deployment's default, then English; platform tags are read loosely and a language casebot
does not speak is passed."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LOCALES, PSEUDO, choose, normal, pseudo, say, translator, unpseudo
from flows.i18n import Msg, _, joined, ngettext


@pytest.mark.parametrize(("own", "platform", "account", "default", "gets"), [
    ("ja", "en-US", "en", "en", "ja"),  # their own choice wins over everything
    ("en", "ja-JP", "ja", "ja", "en"),
    (None, "ja-JP", "en", "en", "ja"),  # Slack's locale wins over the account's default
    (None, "en-US", "ja", "ja", "en"),
    (None, "ja", "en", "en", "ja"),  # Telegram's language_code
    (None, None, "ja", "en", "ja"),  # the platform says none: the account's default
    (None, None, "en", "ja", "en"),  # … over the deployment's
    (None, "de-DE", "ja", "en", "ja"),  # a platform language casebot does not speak
    (None, "de-DE", None, "ja", "ja"),  # no account default: the deployment's
    (None, None, "xx", "ja", "ja"),  # an account code casebot does not speak is passed
    (None, None, None, "ja", "ja"),
    (None, None, None, None, "en"),
    (None, None, None, "xx", "en"),
    ("klingon", None, None, None, "en"),
])
def test_the_order_of_choice(own: str | None, platform: str | None, account: str | None,
                             default: str | None, gets: str) -> None:
    assert choose(own, platform, account, default) == gets


def test_each_layer_decides_when_those_above_it_say_nothing() -> None:
    """own > platform > account > deployment > English, each step proven by giving every
    layer below a different language (the pseudo-locale is a third one)."""
    layers = ["ja", "en_XA", "en", "ja", None]
    for i in range(len(layers) - 1):
        given = [None] * i + layers[i:4]
        assert choose(*given) == normal(layers[i]), given
    assert choose(None, None, None, None) == "en"


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


def test_japanese_sentences_are_joined_without_an_english_space() -> None:
    """A space between joined sentences is English writing: after a full-width 。！？ the
    rendered Japanese goes on at once; English (and a part not ending so) keeps the space."""
    added = _("{name} is already attached.", name="a.zip")
    sees = _("The support team will see it.")
    both = joined(" ", [added, sees, "typed"])
    assert both == "a.zip is already attached. The support team will see it. typed"
    japanese = say(both, "ja")
    assert "。 " not in japanese
    assert japanese.startswith("a.zip はすでに添付されています。")
    assert japanese.endswith("。typed")
    assert say(joined(" ", ["ok！", "next", "ok？", "end"]), "ja") == "ok！next ok？end"
    assert say(joined(" ", ["。", "x"]), PSEUDO) == "。x"  # any rendered language, by the text
    assert say(joined("\n", [added, sees]), "ja").count("\n") == 1  # a newline stays
    assert say(joined(" · ", ["。", "x"]), "ja") == "。 · x"  # a visible separator stays


def test_the_product_language_is_preselected_from_the_contacts_language() -> None:
    """The profile's product language (a catalog value) follows what the description was
    written in, else the language casebot speaks to the contact (`Ctx.language`)."""
    from datetime import UTC, datetime

    from flows.context import Ctx, EmptyWorld
    from flows.profile import PROFILE_STEPS, LanguageStep

    [step] = [s for s in PROFILE_STEPS if isinstance(s, LanguageStep)]

    def ctx(language: str) -> Ctx:
        return Ctx(world=EmptyWorld(), clock=lambda: datetime(2026, 12, 6, tzinfo=UTC),
                   language=language)

    assert step.fill({}, ctx("ja")) == "Japanese"
    assert step.fill({}, ctx("en")) == "English"
    assert step.fill({}, ctx(PSEUDO)) == "English"
    assert step.fill({"_suggest": {"language": "Japanese"}}, ctx("en")) == "Japanese"


def test_a_message_kept_as_data_reads_back_in_any_language() -> None:
    """What a stored verdict keeps (flows.i18n `as_data`): the message with its nested
    messages, counts and joins, read back as the same message, rendered late."""
    import json

    from flows.i18n import as_data, from_data

    inner = _("{name} is already attached.", name="a.zip")
    message = joined("\n", [_("{label} lists {entries:,} entries; the limit is {limit:,}. "
                              "Split the samples into several zips.", label="'s.zip'",
                              entries=70000, limit=65535),
                            ngettext("Please wait {n} second before trying the code again.",
                                     "Please wait {n} seconds before trying the code again.",
                                     5), inner, "typed"])
    back = from_data(json.loads(json.dumps(as_data(message))))
    assert isinstance(back, Msg)
    assert back == message
    assert say(back, "ja") == say(message, "ja")
    assert "70,000" in say(back, "ja")
    assert from_data("an old English verdict") == "an old English verdict"
    assert from_data(None) is None
    assert as_data("plain") == "plain"
