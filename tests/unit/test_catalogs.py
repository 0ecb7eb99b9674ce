"""The catalogs keep up with the code (issue 27): every message id the code uses (what
`make messages` extracts with babel.cfg) is translated in each language's catalog, none is
left fuzzy, and every translation fills the same {placeholders} as its English msgid."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LANGUAGES, LOCALES, say
from flows.i18n import _, ngettext, placeholders

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in LANGUAGES if code != "en"]


@cache
def used_ids() -> frozenset[str]:
    """The msgids in the code, as `pybabel extract -F babel.cfg` finds them."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)  # type: ignore[no-untyped-call]
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map):
        found.add(message[0] if isinstance(message, tuple) else message)
    return frozenset(found)


@cache
def catalog(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as fh:
        return read_po(fh, locale=language)


def test_the_code_uses_messages_and_the_catalog_data_too() -> None:
    ids = used_ids()
    assert "Which product profile is this about?" in ids  # flows/intake.py
    assert "Critical" in ids
    assert "Product Issues" in ids


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_the_code_uses_is_translated(language: str) -> None:
    cat = catalog(language)
    missing = sorted(m for m in used_ids() if m not in cat)
    assert not missing, f"not in {language}'s catalog (run `make messages`): {missing}"
    untranslated = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in cat
                          if m.id and (m.fuzzy or not all(
                              m.string if isinstance(m.string, tuple) else (m.string,))))
    assert not untranslated, f"untranslated or fuzzy in {language}: {untranslated}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_fill_the_same_placeholders(language: str) -> None:
    wrong = []
    for m in catalog(language):
        if not m.id:
            continue
        ids = _forms(m.id)
        strings = _forms(m.string)
        want = placeholders(ids[-1]) | placeholders(ids[0])
        wrong += [(ids[0], s) for s in strings if s and placeholders(s) != want
                  and not (len(ids) > 1 and placeholders(s) | {"n"} == want | {"n"})]
    assert not wrong, wrong


def _forms(value: object) -> tuple[str, ...]:
    """A catalog entry's msgid or msgstr as its forms (one, or one per plural form)."""
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def test_the_check_itself_sees_a_placeholder_renamed() -> None:
    assert placeholders("{name} is already attached.") != placeholders("{nom} は添付済みです")


def test_japanese_has_one_plural_form_from_cldr() -> None:
    assert catalog("ja").num_plurals == 1
    message = ngettext("{shown}. Fix it and send the list again, one address per line.",
                       "{shown}. Fix them and send the list again, one address per line.",
                       3, shown="'x'")
    assert say(message, "ja") == "'x'。修正のうえ、1行に1つずつ、もう一度お送りください。"
    assert str(message).startswith("'x'. Fix them")  # English: the plural form


def test_parameters_that_are_messages_are_rendered_in_the_same_language() -> None:
    assert say(_("Edit {label}", label=_("Subject")), "ja") == "件名を修正"
    assert say(_("Edit {label}", label=_("Subject")), "en") == "Edit Subject"


def _po(folder: Path, yes: str) -> Path:
    """A one-message Japanese catalog in `folder`/ja/LC_MESSAGES."""
    from babel.messages.pofile import write_po

    cat = Catalog(locale="ja", domain=DOMAIN, fuzzy=False)
    cat.add("Yes", yes)
    po = folder / "ja" / "LC_MESSAGES" / f"{DOMAIN}.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as fh:
        write_po(fh, cat)
    return po


def test_a_compiled_catalog_is_read_unless_its_po_is_newer(tmp_path: Path) -> None:
    import os

    from babel.messages.frontend import CommandLineInterface

    from bot.i18n import load_catalog

    po = _po(tmp_path, "はい")
    CommandLineInterface().run(["pybabel", "compile", "-D", DOMAIN, "-i", str(po), "-o",
                                str(po.with_suffix(".mo"))])  # type: ignore[no-untyped-call]
    _po(tmp_path, "ええ")  # the translator edits the .po after `make` compiled it
    mo = po.with_suffix(".mo")
    os.utime(mo, (1_000_000, 1_000_000))
    assert load_catalog(po).gettext("Yes") == "ええ"  # the newer .po wins
    os.utime(mo, None)
    os.utime(po, (1_000_000, 1_000_000))
    assert load_catalog(po).gettext("Yes") == "はい"  # the compiled one, as make left it


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_says_what_the_po_says(language: str) -> None:
    """What `make` compiled (when it did) matches the .po: nothing stale is ever read."""
    from bot.i18n import load_catalog

    po = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.with_suffix(".mo").exists():
        pytest.skip("no compiled catalog (make compiles it before the tests)")
    compiled, fresh = load_catalog(po), _in_memory(po)
    for m in catalog(language):
        if m.id and isinstance(m.id, str):
            assert compiled.gettext(m.id) == fresh.gettext(m.id), m.id


def _in_memory(po: Path) -> Any:
    import io

    from babel.messages.mofile import write_mo
    from babel.support import Translations

    buf = io.BytesIO()
    with po.open("rb") as fh:
        write_mo(buf, read_po(fh, locale=po.parent.parent.name))
    buf.seek(0)
    return Translations(buf)
