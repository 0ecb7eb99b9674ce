"""Japanese input wherever a value is typed (issue 27): full-width letters and digits, the
full-width space, 、 and 。 between the items of a list, a closing 。 on a value, 〜/～ in
ranges, 午前/午後, 年月日 and 令和 dates, Japanese phone numbers, and the Japanese words for
skip, none, done, yes and no. Each validator gives the same canonical value as for the
ASCII form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import times
from flows import validators as v
from flows.context import Ctx, EmptyWorld
from flows.errors import Invalid
from flows.identity import code_digits, looks_like_code, looks_like_email
from flows.model import Choice, Inbound
from flows.normalize import case_number, typed_list, typed_number, typed_value
from flows.steps import MultiStep, Stay, TextStep, match_choice, plain_choices, said
from flows.urls import parse_url_list

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def full_width(text: str) -> str:
    """`text` as a Japanese keyboard in full-width mode types it."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch
                   for ch in text)


# ---------------------------------------------------------------------------- the two readers


@pytest.mark.parametrize(("text", "expected"), [
    ("user@example.com。", "user@example.com"),
    ("  20 LTS。 ", "20 LTS"),
    ("ＡＢＣ．", "ABC"),
    ("ＡＢＣ、", "ABC"),
    ("x｡", "x"),  # the half-width full stop
    ("。", ""),
    ("a。b", "a。b"),  # only a closing 。 goes
])
def test_typed_value(text: str, expected: str) -> None:
    assert typed_value(text) == expected


@pytest.mark.parametrize(("text", "spaces", "commas", "expected"), [
    ("a、b。c\u3000d", True, True, ["a", "b", "c", "d"]),
    ("a，b；c", True, True, ["a", "b", "c"]),
    ("Windows 10、Linux。", False, True, ["Windows 10", "Linux"]),
    ("https://x.example/a,b、https://y.example/", True, False,
     ["https://x.example/a,b", "https://y.example/"]),
    ("  、。 ", True, True, []),
])
def test_typed_list(text: str, spaces: bool, commas: bool, expected: list[str]) -> None:
    assert typed_list(text, spaces=spaces, commas=commas) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("3", 3), ("３", 3), ("１２。", 12), ("³", None), ("Ⅻ", None), ("1a", None), ("", None),
])
def test_typed_number_takes_digits_only(text: str, expected: int | None) -> None:
    assert typed_number(text) == expected


def test_case_number() -> None:
    assert case_number("＃１０００００４２。") == "10000042"


# ---------------------------------------------------------------------------- every validator

JA_FORMS: list[tuple[Callable[[str], Any], str, Any]] = [
    (v.email, "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "taro@example.co.jp"),
    (v.email, "taro@example.co.jp。", "taro@example.co.jp"),
    (v.email, "\u3000taro@example.co.jp\u3000", "taro@example.co.jp"),
    (v.email_list, "a@example.com、b@example.com。", ["a@example.com", "b@example.com"]),
    (v.email_list, "a@example.com。b@example.com", ["a@example.com", "b@example.com"]),
    (v.email_list, "a@example.com\u3000ｂ＠ｅｘａｍｐｌｅ．ｃｏｍ",
     ["a@example.com", "b@example.com"]),
    (v.email_list, "山田\u3000太郎 <taro@example.co.jp>、hanako@example.co.jp",
     ["taro@example.co.jp", "hanako@example.co.jp"]),
    (v.phone, "＋８１\u3000３－１２３４－５６７８", "+81312345678"),
    (v.phone, "+81 3-1234-5678。", "+81312345678"),
    (v.phone, "０３−１２３４−５６７８", "+81312345678"),  # national, full-width: Japan
    (v.phone, "０９０－１２３４－５６７８", "+819012345678"),
    (v.phone, "03-1234-5678 内線123", "+81312345678;ext=123"),
    (v.phone, "03-1234-5678（代表）", "+81312345678"),
    (v.phone, "+81 3-1234-5678 内線 45", "+81312345678;ext=45"),
    (v.preferred_time, "平日\u3000９時～１７時\u3000ＪＳＴ", "Mon-Fri 09:00-17:00 JST"),
    (v.preferred_time, "平日 午前9時〜午後5時 JST。", "Mon-Fri 09:00-17:00 JST"),
    (v.activation_code, full_width("AB-CDEF-12345-12345-12345-12345-12345") + "。",
     "AB-CDEF-12345-12345-12345-12345-12345"),
    (v.activation_code, "ABーCDEFー12345ー12345ー12345ー12345ー12345",
     "AB-CDEF-12345-12345-12345-12345-12345"),
    (v.toolbox_guid, full_width("{12345678-ABCD-1234-1234-1234567890AB}") + "。",
     "12345678-abcd-1234-1234-1234567890ab"),
    (v.cve_ids, "CVE-2024-1234、ｃｖｅ－２０２４－５６７８。",
     ["CVE-2024-1234", "CVE-2024-5678"]),
    (v.filter_number, "＃１２３４５。", "12345"),
    (v.repdv_entries, "２０３．０．１１３．７、bad.example.com。",
     ["203.0.113.7", "bad.example.com"]),
    (v.repdv_entries, "203.0.113.7\u3000例え.jp", ["203.0.113.7", "xn--r8jz45g.jp"]),
    (v.profile_name, "本社\u3000Apex One", "本社\u3000Apex One"),  # text is kept as typed
    (v.subject, "ＤＳＭが起動しない。", "ＤＳＭが起動しない。"),
]


@pytest.mark.parametrize(("validate", "text", "expected"), JA_FORMS)
def test_japanese_forms(validate: Callable[[str], Any], text: str, expected: Any) -> None:
    assert validate(text) == expected


def test_a_national_number_typed_in_ascii_still_needs_its_country_code() -> None:
    """Without the contact's region, only a Japanese keyboard (full-width digits) or Japanese
    words say it is Japanese."""
    with pytest.raises(Invalid, match="has no country code"):
        v.phone("03-1234-5678")
    with pytest.raises(Invalid, match="has no country code"):
        v.phone("０１２３")  # not a Japanese number either: the same message
    with pytest.raises(Invalid, match="has no country code"):
        v.phone("0123", "JP")  # no valid Japanese number: asked for the country code


# Japanese numbers as (prefix after +81, digits that follow): Tokyo, Osaka, Yokohama, mobiles
_JP_NUMBERS = st.builds(lambda area, rest: f"+81{area}{rest}",
                        st.sampled_from(["3", "6", "90", "80", "70"]),
                        st.integers(10_000_000, 99_999_999).map(str)) | st.builds(
    lambda rest: f"+8145{rest}", st.integers(1_000_000, 9_999_999).map(str))


@settings(max_examples=60, deadline=None)
@given(_JP_NUMBERS, st.sampled_from(["NATIONAL", "E164", "INTERNATIONAL"]))
def test_a_japanese_contacts_national_number_is_read_as_japanese(e164: str, form: str) -> None:
    """A contact whose language is Japanese types "03-1234-5678" in plain ASCII: read in
    Japan (region JP), stored in E.164 as a number typed with +81 is; without the region
    the same national form still asks for the country code."""
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    if not phonenumbers.is_valid_number(number):
        return
    typed = phonenumbers.format_number(number, getattr(phonenumbers.PhoneNumberFormat, form))
    assert v.phone(typed, "JP") == e164
    assert v.phone(full_width(typed)) == e164  # a Japanese keyboard says so by itself
    if form == "NATIONAL":
        with pytest.raises(Invalid, match="has no country code"):
            v.phone(typed)
    else:
        assert v.phone(typed) == e164


def test_the_phone_step_reads_a_national_number_in_the_contacts_country() -> None:
    """The intake's phone step gives the validator the region of `Ctx.language`."""
    from flows.intake import STEPS

    [step] = [s for s in STEPS if s.name == "phone"]
    assert isinstance(step, TextStep)
    typed = Inbound(kind="text", text="03-1234-5678")
    japanese = Ctx(world=EmptyWorld(), clock=lambda: NOW, language="ja")
    assert step.read(typed, {}, japanese, None) == "+81312345678"
    with pytest.raises(Invalid, match="has no country code"):
        step.read(typed, {}, Ctx(world=EmptyWorld(), clock=lambda: NOW), None)


def test_errors_still_name_the_value() -> None:
    with pytest.raises(Invalid, match="'CVE-2024' is not a CVE id"):
        v.cve_ids("CVE-2024-1234、CVE-2024")
    with pytest.raises(Invalid, match="'nope' is not a valid address"):
        v.email_list("a@example.com、nope")


@pytest.mark.parametrize(("text", "start"), [
    ("2026/12/12 22:00 JST", "2026-12-12 22:00 JST"),
    ("2026年12月12日 午後10時 JST。", "2026-12-12 22:00 JST"),
    ("令和8年12月12日 22時 JST", "2026-12-12 22:00 JST"),
    ("㋿8年12月12日 22時 JST", "2026-12-12 22:00 JST"),
    ("令和 9 年 1 月 5 日 9:00 JST", "2027-01-05 09:00 JST"),
    ("２０２６年１２月１２日\u3000２２時～翌２時\u3000ＪＳＴ",
     "2026-12-12 22:00 JST to 2026-12-13 02:00 JST"),
])
def test_change_start_in_japanese(text: str, start: str) -> None:
    assert times.start_answer(text, NOW) == start


@pytest.mark.parametrize(("text", "start"), [
    ("12/20 22:00 JST", "2026-12-20 22:00 JST"),
    ("１２／２０ ２２：００ ＪＳＴ", "2026-12-20 22:00 JST"),
    ("12月20日 22時 JST", "2026-12-20 22:00 JST"),
    ("12/20(日) 22:00〜翌2:00 JST", "2026-12-20 22:00 JST to 2026-12-21 02:00 JST"),
    ("1/5 9時 JST", "2027-01-05 09:00 JST"),  # January has passed this year: the next one
])
def test_a_date_without_its_year_is_the_next_such_day(text: str, start: str) -> None:
    """Month first, as a Japanese date is written; the year is the next such day's."""
    assert times.start_answer(text, NOW) == start


def test_a_date_without_its_year_needs_now_and_the_month_first() -> None:
    with pytest.raises(Invalid, match="Add the year"):
        times.parse_datetime("12/20 22:00 JST")  # no `now`: no year to guess
    with pytest.raises(Invalid, match="not a real date"):
        times.start_answer("20/12 22:00 JST", NOW)  # day first is not read as a date
    assert times.end_answer("2026-12-20 22:00 JST", "12/21 2:00", NOW) == "2026-12-21 02:00"


def test_reiwa_first_year_is_2019() -> None:
    assert times.parse_datetime("令和元年5月1日 9時").year == 2019


def test_reiwa_in_free_text() -> None:
    assert times.find_window("作業日時：令和9年1月12日 22:00～翌2:00（日本時間）", NOW) == (
        "2027-01-12 22:00 Asia/Tokyo", "2027-01-13 02:00 Asia/Tokyo")


def test_end_in_japanese() -> None:
    start = times.start_answer("2026年12月12日 22時 JST", NOW)
    assert times.end_answer(start, "翌２時。", NOW) == "2026-12-13 02:00 JST"


# ---------------------------------------------------------------------------- properties

_label = st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)
_emails = st.builds(lambda user, host, tld: f"{user}@{host}.{tld}", _label, _label,
                    st.sampled_from(["com", "co.jp", "org", "jp"]))
_codes = st.from_regex(r"[A-Z0-9]{2}-[A-Z0-9]{4}(-[A-Z0-9]{5}){5}", fullmatch=True)
_cves = st.builds(lambda y, n: f"CVE-{y}-{n:04d}", st.integers(1999, 2030),
                  st.integers(1, 9_999_999))
_ips = st.ip_addresses(v=4).map(str)
_phones = st.sampled_from(["+44 20 7946 0958", "+81 3-1234-5678", "+1 (212) 555-0123",
                           "+49 30 901820", "+81 90 1234 5678 ext. 12"])
_guids = st.uuids().map(str)

SINGLE: list[tuple[Callable[[str], Any], st.SearchStrategy[str]]] = [
    (v.email, _emails), (v.activation_code, _codes), (v.toolbox_guid, _guids),
    (v.filter_number, st.integers(1, 999_999).map(str)), (v.phone, _phones),
    (v.cve_ids, _cves), (v.repdv_entries, _ips),
]


@pytest.mark.parametrize(("validate", "values"), SINGLE,
                         ids=[f.__name__ for f, _ in SINGLE])
def test_full_width_and_a_closing_full_stop_change_nothing(
        validate: Callable[[str], Any], values: st.SearchStrategy[str]) -> None:
    @settings(max_examples=40, deadline=None)
    @given(values, st.sampled_from(["", "。", "、", "．", " 。"]))
    def check(value: str, closing: str) -> None:
        assert validate(full_width(value) + closing) == validate(value)

    check()


LISTS: list[tuple[Callable[[str], list[Any]], st.SearchStrategy[str]]] = [
    (v.email_list, _emails), (v.cve_ids, _cves), (v.repdv_entries, _ips),
]


@pytest.mark.parametrize(("parse", "values"), LISTS, ids=[f.__name__ for f, _ in LISTS])
def test_a_list_joined_the_japanese_way_is_the_same_list(
        parse: Callable[[str], list[Any]], values: st.SearchStrategy[str]) -> None:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(values, min_size=1, max_size=6),
           st.sampled_from(["、", "。", "\u3000", "、 ", "。\n", "，"]))
    def check(items: list[str], joiner: str) -> None:
        assert parse(joiner.join(items)) == parse(", ".join(items))

    check()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.builds(lambda h, p: f"https://{h}.example/{p}", _label, _label),
                min_size=1, max_size=10),
       st.sampled_from(["、", "。", "\u3000", "\n"]))
def test_a_url_list_joined_the_japanese_way_is_the_same_list(urls: list[str],
                                                             joiner: str) -> None:
    assert parse_url_list(joiner.join(urls)) == parse_url_list(" ".join(urls))


# ---------------------------------------------------------------------------- the steps

def _ctx() -> Ctx:
    return Ctx(world=EmptyWorld(), clock=lambda: NOW)


SEVERITIES = plain_choices(["Low", "Medium", "High", "Critical"])


@pytest.mark.parametrize(("text", "expected"), [
    ("ｈｉｇｈ", "High"), ("High。", "High"), ("３", "High"), ("３。", "High"),
    ("\u3000Low\u3000", "Low"), ("³", None), ("はい", None),
])
def test_match_choice(text: str, expected: str | None) -> None:
    picked = match_choice(Inbound(kind="text", text=text), SEVERITIES)
    assert (picked.id if picked else None) == expected


YES_NO = (Choice(id="yes", label="Yes, delete it"), Choice(id="no", label="No, keep it"))


@pytest.mark.parametrize(("text", "expected"), [
    ("はい", "yes"), ("いいえ", "no"), ("はい。", "yes"), ("yes", "yes"), ("ＮＯ", "no"),
])
def test_yes_and_no_in_japanese(text: str, expected: str) -> None:
    picked = match_choice(Inbound(kind="text", text=text), YES_NO)
    assert (picked.id if picked else None) == expected


def test_yes_picks_the_one_option_that_starts_with_it() -> None:
    only = (Choice(id="24x7", label="Yes, 24x7"),)
    for text in ("はい", "Yes"):
        picked = match_choice(Inbound(kind="text", text=text), only)
        assert (picked.id if picked else None) == "24x7"


@pytest.mark.parametrize("word", ["スキップ", "なし", "無し", "いいえ", "ＳＫＩＰ", "skip。",
                                  "なし。"])
def test_an_optional_text_step_is_skipped_in_japanese(word: str) -> None:
    step = TextStep("tp_cves", "CVE ids", "CVE ids?", v.cve_ids, optional=True)
    assert step.read(Inbound(kind="text", text=word), {}, _ctx(), None) == ""


def test_a_required_text_step_does_not_take_skip() -> None:
    step = TextStep("phone", "Phone", "Phone?", v.phone)
    with pytest.raises(Invalid):
        step.read(Inbound(kind="text", text="スキップ"), {}, _ctx(), None)


OSES = plain_choices(["Windows 11", "Windows Server 2022", "Linux"])


def test_a_multi_select_typed_with_japanese_separators() -> None:
    step = MultiStep("operating_systems", "OS", "Which?", lambda a, c: OSES)
    ctx = _ctx()
    typed = full_width("Windows 11") + "、Linux、完了"
    got = step.read(Inbound(kind="text", text=typed), {}, ctx, None)
    assert got == ["Windows 11", "Linux"]
    held = step.read(Inbound(kind="text", text="1、3。"), {}, ctx, None)
    assert isinstance(held, Stay)
    assert held.pending == ["Windows 11", "Linux"]
    assert step.read(Inbound(kind="text", text="完了"), {}, ctx, held.pending) == [
        "Windows 11", "Linux"]
    assert step.read(Inbound(kind="text", text="。"), {}, ctx, held.pending) == [
        "Windows 11", "Linux"]


def test_an_optional_list_is_emptied_by_nashi() -> None:
    step = MultiStep("cc", "CC", "Who?", lambda a, c: (), min_count=0,
                     typed=lambda t: v.email_list(t))
    a = {"cc": ["a@example.com"]}
    assert step.read(Inbound(kind="text", text="なし"), a, _ctx(), None) == []
    assert step.read(Inbound(kind="text", text="スキップ"), a, _ctx(), None) == [
        "a@example.com"]
    held = step.read(Inbound(kind="text", text="b@example.com、c@example.com。"), {}, _ctx(),
                     None)
    assert isinstance(held, Stay)
    assert held.pending == ["b@example.com", "c@example.com"]


@pytest.mark.parametrize(("text", "word"), [
    ("ＤＯＮＥ", "done"), ("完了。", "完了"), ("。", "。"), ("．", "."), ("  ", ""),
])
def test_said(text: str, word: str) -> None:
    assert said(text) == word


# ---------------------------------------------------------------------------- identity, commands

@pytest.mark.parametrize(("text", "digits"), [
    ("12345678", "12345678"), ("１２３４\u3000５６７８", "12345678"),
    ("１２３４－５６７８。", "12345678"), ("1234567", None), ("١٢٣٤٥٦٧٨", None),
])
def test_verification_code_digits(text: str, digits: str | None) -> None:
    assert code_digits(text) == digits
    assert looks_like_code(text) is (digits is not None)


def test_a_full_width_work_email_is_an_email() -> None:
    assert looks_like_email("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ。")


@pytest.mark.parametrize(("text", "command", "args"), [
    ("／ｃａｓｅｓ", "cases", ""),
    ("/case\u3000１２３", "case", "１２３"),
    ("/reply 10000042 消えました。\n二行目", "reply", "10000042 消えました。\n二行目"),
])
def test_commands_typed_with_a_japanese_keyboard(text: str, command: str, args: str) -> None:
    inbound = Inbound.from_text(text)
    assert (inbound.kind, inbound.command, inbound.args) == ("command", command, args)


def test_a_full_width_command_in_telegram() -> None:
    from adapters.telegram.inbound import text_inbound

    assert text_inbound("／ｃａｓｅｓ").command == "cases"
    assert text_inbound("／ｃａｓｅ\u3000１２３").args == "１２３"
