"""Times as people write them (flows/times.py): preferred call times, change-window
date-times, windows typed as one answer and windows found in a customer's message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import times
from flows.errors import Invalid

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

# ---------------------------------------------------------------------------- preferred time

ENGLISH = [
    # no days: today's outputs kept
    ("09:00-17:00 Europe/Berlin", "09:00-17:00 Europe/Berlin"),
    ("8:30 to 18:00 GMT-5", "08:30-18:00 UTC-5"),
    ("9-17 UTC+2", "09:00-17:00 UTC+2"),
    ("Asia/Tokyo 9-18", "09:00-18:00 Asia/Tokyo"),
    ("12pm-12am UTC", "12:00-00:00 UTC"),
    ("22:00-06:00 UTC", "22:00-06:00 UTC"),
    ("10pm-6am EST", "22:00-06:00 EST"),
    ("0:00-24:00 UTC", "00:00-24:00 UTC"),
    # days
    ("Weekdays 09:00-12:00 CET", "Mon-Fri 09:00-12:00 CET"),
    ("Mon-Fri 9am-5pm EST", "Mon-Fri 09:00-17:00 EST"),
    ("Mondays 14:00-16:00 Europe/Berlin", "Mon 14:00-16:00 Europe/Berlin"),
    ("Mon-Fri 09:00-17:00 Europe/Berlin", "Mon-Fri 09:00-17:00 Europe/Berlin"),
    ("Monday to Friday 9-5 EST", "Mon-Fri 09:00-17:00 EST"),
    ("Mon thru Fri 8am-6pm PST", "Mon-Fri 08:00-18:00 PST"),
    ("Mon through Fri 8:00 to 18:00 America/Chicago", "Mon-Fri 08:00-18:00 America/Chicago"),
    ("Mon, Wed and Fri 10-12 UTC", "Mon, Wed, Fri 10:00-12:00 UTC"),
    ("Mon/Wed/Fri 9-11 UTC", "Mon, Wed, Fri 09:00-11:00 UTC"),
    ("Tue & Thu 14:00-16:00 CET", "Tue, Thu 14:00-16:00 CET"),
    ("Tues. 2pm-4pm CEST", "Tue 14:00-16:00 CEST"),
    ("Thurs 9.30-11.30 Europe/London", "Thu 09:30-11:30 Europe/London"),
    ("Sat 10-14 Europe/Berlin", "Sat 10:00-14:00 Europe/Berlin"),
    ("Saturdays and Sundays 10-16 UTC", "Sat-Sun 10:00-16:00 UTC"),
    ("weekends 10:00-14:00 UTC", "Sat-Sun 10:00-14:00 UTC"),
    ("weekend 10am to 2pm Australia/Sydney", "Sat-Sun 10:00-14:00 Australia/Sydney"),
    ("business days 9h-17h Europe/Paris", "Mon-Fri 09:00-17:00 Europe/Paris"),
    ("workdays 08:00-16:00 Europe/Amsterdam", "Mon-Fri 08:00-16:00 Europe/Amsterdam"),
    ("daily 7-23 UTC", "Daily 07:00-23:00 UTC"),
    ("every day 08:00-20:00 UTC+1", "Daily 08:00-20:00 UTC+1"),
    ("7 days a week 8-20 UTC", "Daily 08:00-20:00 UTC"),
    ("Every Monday 9-11 am EST", "Mon 09:00-11:00 EST"),
    ("on Mondays from 2pm to 4pm Berlin time", "Mon 14:00-16:00 Europe/Berlin"),
    ("Mondays, 14:00-16:00, Europe/Berlin", "Mon 14:00-16:00 Europe/Berlin"),
    ("9am-5pm weekdays EST", "Mon-Fri 09:00-17:00 EST"),
    ("9-5 Mon-Fri EST", "Mon-Fri 09:00-17:00 EST"),
    ("EST Mon-Fri 9-5", "Mon-Fri 09:00-17:00 EST"),
    ("CET: weekdays 9-17", "Mon-Fri 09:00-17:00 CET"),
    ("9 to 5, Mon to Fri, EST", "Mon-Fri 09:00-17:00 EST"),
    ("Weekdays: 9:00 AM - 5:00 PM EST", "Mon-Fri 09:00-17:00 EST"),
    ("Mon-Fri 9 a.m. - 5 p.m. Eastern Time", "Mon-Fri 09:00-17:00 America/New_York"),
    ("Mon-Fri 9 a.m. - 5 p.m. ET", "Mon-Fri 09:00-17:00 ET"),
    ("Mon-Sat 08:00-20:00 IST", "Mon-Sat 08:00-20:00 IST"),
    ("Sun-Thu 09:00-18:00 Asia/Dubai", "Sun-Thu 09:00-18:00 Asia/Dubai"),
    ("Fri-Mon 10-18 UTC", "Fri-Mon 10:00-18:00 UTC"),
    ("daily except Sunday 9-18 UTC", "Mon-Sat 09:00-18:00 UTC"),
    ("weekdays except Wednesday 9-17 UTC", "Mon-Tue, Thu-Fri 09:00-17:00 UTC"),
    ("Mo-Fr 08:00-17:00 Europe/Vienna", "Mon-Fri 08:00-17:00 Europe/Vienna"),
    ("weekdays 9-5 pacific time", "Mon-Fri 09:00-17:00 America/Los_Angeles"),
    # times
    ("noon to 4pm GMT", "12:00-16:00 UTC"),
    ("9am until noon PST", "09:00-12:00 PST"),
    ("9am-midnight UTC", "09:00-00:00 UTC"),
    ("10 till 2 AEST", "10:00-14:00 AEST"),
    ("from 9 to 17 UTC+9", "09:00-17:00 UTC+9"),
    ("between 9am and 5pm Tokyo time", "09:00-17:00 Asia/Tokyo"),
    ("between 9 and 5 EST", "09:00-17:00 EST"),
    ("8:30am-5:30pm America/New_York", "08:30-17:30 America/New_York"),
    ("8.30-17.30 CET", "08:30-17:30 CET"),
    ("8h30-17h30 CET", "08:30-17:30 CET"),
    ("14h-18h CET", "14:00-18:00 CET"),
    ("0900-1700 EST", "09:00-17:00 EST"),
    ("0900-1700hrs SGT", "09:00-17:00 SGT"),
    ("9-5pm EST", "09:00-17:00 EST"),
    ("11-1pm EST", "11:00-13:00 EST"),
    ("1-5pm EST", "13:00-17:00 EST"),
    ("10-11am EST", "10:00-11:00 EST"),
    ("9am-5 EST", "09:00-17:00 EST"),
    ("9 - 17 utc", "09:00-17:00 UTC"),
    ("9\u201317 UTC", "09:00-17:00 UTC"),  # en dash
    ("9~17 JST", "09:00-17:00 JST"),
    # zones
    ("09:00-17:00 +09:00", "09:00-17:00 UTC+9"),
    ("09:00-17:00 UTC+05:30", "09:00-17:00 UTC+5:30"),
    ("9-17 utc-3", "09:00-17:00 UTC-3"),
    ("9-17 GMT+1", "09:00-17:00 UTC+1"),
    ("9:00 - 17:00 (CET)", "09:00-17:00 CET"),
    ("9:00-17:00 [UTC]", "09:00-17:00 UTC"),
    ("0900-1700 CET/CEST", "09:00-17:00 CET"),
    ("9-17 Berlin time", "09:00-17:00 Europe/Berlin"),
    ("9-17 New York time", "09:00-17:00 America/New_York"),
    ("9-17 Japan time", "09:00-17:00 Asia/Tokyo"),
    ("9-17 India Standard Time", "09:00-17:00 Asia/Kolkata"),
    ("9-17 Berlin", "09:00-17:00 Europe/Berlin"),
    ("09:00 – 17:00 america/new_york", "09:00-17:00 America/New_York"),
    # always
    ("24x7", "24x7"),
    ("24/7", "24x7"),
    ("24 X 7", "24x7"),
    ("24 x 7 x 365", "24x7"),
    ("around the clock", "24x7"),
    ("24 hours", "24x7"),
    ("Daily 24 hours", "24x7"),
    ("anytime", "24x7"),
    ("Any time.", "24x7"),
]

JAPANESE = [
    ("平日 9時〜17時 JST", "Mon-Fri 09:00-17:00 JST"),
    ("月〜金 9:00-18:00 日本時間", "Mon-Fri 09:00-18:00 Asia/Tokyo"),
    ("月曜日から金曜日の午前9時から午後5時まで (JST)", "Mon-Fri 09:00-17:00 JST"),
    ("土日 10時～15時 JST", "Sat-Sun 10:00-15:00 JST"),
    ("毎日 9時-21時 JST", "Daily 09:00-21:00 JST"),
    ("午前10時〜午後3時 JST", "10:00-15:00 JST"),
    ("平日9時～18時（日本時間）", "Mon-Fri 09:00-18:00 Asia/Tokyo"),
    ("平日 9:00〜18:00 JST", "Mon-Fri 09:00-18:00 JST"),
    ("平日の9時から17時まで JST", "Mon-Fri 09:00-17:00 JST"),
    ("月～金 9時～17時 JST", "Mon-Fri 09:00-17:00 JST"),
    ("月-金 9:00-17:30 JST", "Mon-Fri 09:00-17:30 JST"),
    ("月・水・金 10時〜12時 JST", "Mon, Wed, Fri 10:00-12:00 JST"),
    ("月水金 10:00-12:00 JST", "Mon, Wed, Fri 10:00-12:00 JST"),
    ("火曜と木曜 14時〜16時 JST", "Tue, Thu 14:00-16:00 JST"),
    ("毎週月曜日 14時〜16時 JST", "Mon 14:00-16:00 JST"),
    ("月曜日 14:00～16:00 JST", "Mon 14:00-16:00 JST"),
    ("土曜日 10時〜12時 日本時間", "Sat 10:00-12:00 Asia/Tokyo"),
    ("平日 午前9時〜午後6時 JST", "Mon-Fri 09:00-18:00 JST"),
    ("平日 AM9:00〜PM6:00 JST", "Mon-Fri 09:00-18:00 JST"),
    ("平日 9時半〜17時半 JST", "Mon-Fri 09:30-17:30 JST"),
    ("平日 9時30分〜17時30分 JST", "Mon-Fri 09:30-17:30 JST"),
    ("平日 10時～19時 日本時間", "Mon-Fri 10:00-19:00 Asia/Tokyo"),
    ("営業日 9時〜17時 JST", "Mon-Fri 09:00-17:00 JST"),
    ("週末 10時-16時 JST", "Sat-Sun 10:00-16:00 JST"),
    ("9時から18時まで 日本時間", "09:00-18:00 Asia/Tokyo"),
    ("正午〜17時 JST", "12:00-17:00 JST"),
    ("午後1時〜5時 JST", "13:00-17:00 JST"),
    ("午前9時〜正午 JST", "09:00-12:00 JST"),
    ("平日 9-17時 JST", "Mon-Fri 09:00-17:00 JST"),
    ("平日（月〜金）9時〜17時 JST", "Mon-Fri 09:00-17:00 JST"),
    ("月曜〜金曜 9時〜17時 JST", "Mon-Fri 09:00-17:00 JST"),
    ("月曜日〜金曜日 09:00〜17:00 JST", "Mon-Fri 09:00-17:00 JST"),
    ("平日 9時〜17時 (日本時間)", "Mon-Fri 09:00-17:00 Asia/Tokyo"),
    ("日本時間 平日 9時〜17時", "Mon-Fri 09:00-17:00 Asia/Tokyo"),
    ("毎日 9時〜21時 (JST)", "Daily 09:00-21:00 JST"),
    ("９時〜１７時 ＪＳＴ", "09:00-17:00 JST"),
    ("平日\u3000９：００－１８：００\u3000ＪＳＴ", "Mon-Fri 09:00-18:00 JST"),
    ("9〜17 JST", "09:00-17:00 JST"),
    ("24時間365日", "24x7"),
    ("毎日 24時間", "24x7"),
    ("いつでも", "24x7"),
    ("いつでも可", "24x7"),
]


@pytest.mark.parametrize(("text", "expected"), ENGLISH + JAPANESE)
def test_preferred_time_as_people_write_it(text: str, expected: str) -> None:
    assert times.preferred_time(text) == expected


def test_the_list_is_long_enough() -> None:
    assert len(ENGLISH) + len(JAPANESE) >= 100
    assert len(JAPANESE) >= 25


REFUSED = [
    ("", "Enter when we may call"),
    ("   ", "Enter when we may call"),
    ("9-17", "Add a time zone"),
    ("Mon-Fri 9-17", "Add a time zone"),
    ("9-17 weekdays", "Add a time zone"),
    ("平日 9時〜17時", "Add a time zone"),
    ("9時〜17時", "Add a time zone"),
    ("土日 10時～15時", "Add a time zone"),
    ("9-17 Mars/Olympus", "not a time zone I know"),
    ("9-17 local time", "not a time zone I know"),
    ("9-17 please", "not a time zone I know"),
    ("9-17 UTC+15", "not a valid UTC offset"),
    ("9-17 GMT+5:75", "not a valid UTC offset"),
    ("25-3 UTC", "does not exist"),
    ("9:75-17 UTC", "does not exist"),
    ("13pm-5pm UTC", "does not exist"),
    ("24:30-2 UTC", "does not exist"),
    ("25時〜26時 JST", "does not exist"),
    ("9-9 UTC", "same time"),
    ("9am-9am UTC", "same time"),
    ("9時〜9時 JST", "same time"),
    ("9-17 CET EST", "two time zones"),
    ("Mon 9-17 Tue UTC", "gives the days twice"),
    ("weekdays except Mon-Fri 9-17 UTC", "leaves no day"),
    ("whenever", "not a time window I understand"),
    ("asap", "not a time window I understand"),
    ("call me after lunch", "not a time window I understand"),
    ("tomorrow morning", "not a time window I understand"),
    ("Mon-Fri", "not a time window I understand"),
    ("9 UTC", "not a time window I understand"),
    ("9am EST", "not a time window I understand"),
    ("mornings EST", "not a time window I understand"),
    ("Mon-Fri Tue 9-17 UTC", "not a time window I understand"),
    # holidays are not something the desk's calendar knows: refused, not silently dropped
    ("土日祝 10時〜15時 JST", "not a time window I understand"),
    ("平日 いつでも", "not a time window I understand"),
]


@pytest.mark.parametrize(("text", "fragment"), REFUSED)
def test_preferred_time_refused_with_an_example(text: str, fragment: str) -> None:
    with pytest.raises(Invalid, match=fragment) as exc:
        times.preferred_time(text)
    assert "e.g. '" in str(exc.value)  # every message shows what to send instead


def test_japanese_answers_get_a_japanese_example() -> None:
    with pytest.raises(Invalid, match="平日 9時〜17時 JST"):
        times.preferred_time("平日 9時〜17時")


# -- properties

_DAYS = st.sampled_from(["", "Weekdays ", "Mon-Fri ", "Mondays ", "Mon, Wed and Fri ",
                         "weekends ", "daily ", "Tue-Thu ", "平日 ", "月〜金 ", "土日 ",
                         "毎日 ", "Sun-Thu ", "Fri-Mon ", "daily except Sunday "])
_CLOCK = st.one_of(
    st.builds(lambda h, m: f"{h}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    st.builds(lambda h, ap: f"{h}{ap}", st.integers(1, 12), st.sampled_from(["am", "pm", " a.m."])),
    st.builds(lambda h: f"{h}時", st.integers(0, 23)),
    st.builds(lambda ap, h: f"{ap}{h}時", st.sampled_from(["午前", "午後"]), st.integers(1, 11)),
    st.integers(0, 23).map(str),
)
_SEP = st.sampled_from(["-", " - ", " to ", " until ", "~", "〜", "から", "\u2013"])
_ZONE = st.sampled_from(["UTC", "CET", "EST", "JST", "Europe/Berlin", "asia/tokyo", "UTC+2",
                         "GMT-5", "+09:00", "UTC+5:30", "Berlin time", "日本時間", "(JST)"])


@st.composite
def _written(draw: st.DrawFn) -> str:
    window = f"{draw(_CLOCK)}{draw(_SEP)}{draw(_CLOCK)}"
    if draw(st.booleans()):
        return f"{draw(_DAYS)}{window} {draw(_ZONE)}"
    return f"{draw(_ZONE)} {draw(_DAYS)}{window}"


def _full_width(text: str) -> str:
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c
                   for c in text)


@settings(max_examples=300, deadline=None)
@given(_written())
def test_canonical_output_reads_as_itself(text: str) -> None:
    try:
        once = times.preferred_time(text)
    except Invalid:
        return  # e.g. the same start and end
    assert times.preferred_time(once) == once


@settings(max_examples=300, deadline=None)
@given(_written())
def test_full_width_reads_as_half_width(text: str) -> None:
    try:
        expected: str | type[Invalid] = times.preferred_time(text)
    except Invalid:
        expected = Invalid
    try:
        got: str | type[Invalid] = times.preferred_time(_full_width(text))
    except Invalid:
        got = Invalid
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_an_answer_or_a_message(text: str) -> None:
    try:
        once = times.preferred_time(text)
    except Invalid:
        return
    assert times.preferred_time(once) == once


@pytest.mark.parametrize(("text", "expected"), ENGLISH + JAPANESE)
def test_listed_outputs_read_as_themselves(text: str, expected: str) -> None:
    assert times.preferred_time(expected) == expected


# ---------------------------------------------------------------------------- date-times

CET = timezone(timedelta(hours=1))
JST = timezone(timedelta(hours=9))

DATETIMES = [
    ("2026-12-12 22:00 CET", datetime(2026, 12, 12, 22, 0, tzinfo=CET), "2026-12-12 22:00 CET"),
    ("2026/12/12 22:00", datetime(2026, 12, 12, 22, 0, tzinfo=UTC), "2026-12-12 22:00"),
    ("12 Dec 2026 10pm Europe/Berlin", datetime(2026, 12, 12, 22, 0, tzinfo=CET),
     "2026-12-12 22:00 Europe/Berlin"),
    ("Dec 12, 2026 22:00 UTC", datetime(2026, 12, 12, 22, 0, tzinfo=UTC),
     "2026-12-12 22:00 UTC"),
    ("2026-12-12T22:00+01:00", datetime(2026, 12, 12, 22, 0, tzinfo=CET),
     "2026-12-12 22:00 UTC+1"),
    ("2026-12-12T22:00:00Z", datetime(2026, 12, 12, 22, 0, tzinfo=UTC), "2026-12-12 22:00 UTC"),
    ("2026年12月12日 22時 JST", datetime(2026, 12, 12, 22, 0, tzinfo=JST),
     "2026-12-12 22:00 JST"),
    ("2026年12月12日 午後10時30分", datetime(2026, 12, 12, 22, 30, tzinfo=UTC),
     "2026-12-12 22:30"),
    ("２０２６年１２月１２日　２２：００　ＪＳＴ", datetime(2026, 12, 12, 22, 0, tzinfo=JST),
     "2026-12-12 22:00 JST"),
    ("Sat, 12 Dec 2026 22:00 CET", datetime(2026, 12, 12, 22, 0, tzinfo=CET),
     "2026-12-12 22:00 CET"),
    ("10pm on 12 Dec 2026 CET", datetime(2026, 12, 12, 22, 0, tzinfo=CET),
     "2026-12-12 22:00 CET"),
    ("December 12th 2026 at 9:30 pm EST", datetime(2026, 12, 13, 2, 30, tzinfo=UTC),
     "2026-12-12 21:30 EST"),
    ("2026-12-12 22:00 Asia/Kolkata", datetime(2026, 12, 12, 16, 30, tzinfo=UTC),
     "2026-12-12 22:00 Asia/Kolkata"),
    ("2026.12.12 22:00 UTC+5:30", datetime(2026, 12, 12, 16, 30, tzinfo=UTC),
     "2026-12-12 22:00 UTC+5:30"),
]


@pytest.mark.parametrize(("text", "instant", "canonical"), DATETIMES)
def test_datetimes_as_people_write_them(text: str, instant: datetime, canonical: str) -> None:
    value = times.parse_datetime(text)
    assert value.tzinfo is not None
    assert value == instant
    assert times.canonical_datetime(text) == canonical
    assert times.parse_datetime(canonical) == instant


def test_a_date_without_its_year_is_the_next_such_day() -> None:
    assert times.canonical_datetime("Dec 12 22:00 CET", NOW) == "2026-12-12 22:00 CET"
    assert times.canonical_datetime("1月9日 9時 JST", NOW) == "2027-01-09 09:00 JST"
    with pytest.raises(Invalid, match="Add the year"):
        times.parse_datetime("Dec 12 22:00 CET")


@pytest.mark.parametrize(("text", "fragment"), [
    ("tomorrow", "not a date and time"),
    ("2026-12-12", "not a date and time"),
    ("22:00 CET", "not a date and time"),
    ("2026-02-30 10:00", "not a real date"),
    ("2026-12-12 25:00", "not a real date"),
    ("2026-12-12 13pm", "not a real date"),
    ("2026-12-12 10:00 Nowhere/City", "not a time zone"),
    ("2026-03-29 02:30 Europe/Berlin", "does not exist in that time zone"),
])
def test_datetimes_refused(text: str, fragment: str) -> None:
    with pytest.raises(Invalid, match=fragment):
        times.parse_datetime(text)


# ---------------------------------------------------------------------------- windows

WINDOWS = [
    ("2026-12-12 22:00 to 2026-12-13 02:00 UTC", "2026-12-12 22:00 UTC", "2026-12-13 02:00 UTC"),
    ("2026-12-12 22:00-02:00 UTC", "2026-12-12 22:00 UTC", "2026-12-13 02:00 UTC"),
    ("2026-12-12 22:00-23:30 CET", "2026-12-12 22:00 CET", "2026-12-12 23:30 CET"),
    ("2026年12月12日 22:00〜翌2:00 JST", "2026-12-12 22:00 JST", "2026-12-13 02:00 JST"),
    ("2026年12月12日 22時から13日 2時まで JST", "2026-12-12 22:00 JST", "2026-12-13 02:00 JST"),
    ("from 22:00 to 02:00 CET on 12 Dec 2026", "2026-12-12 22:00 CET", "2026-12-13 02:00 CET"),
    ("Dec 12 10pm - Dec 13 2am EST", "2026-12-12 22:00 EST", "2026-12-13 02:00 EST"),
    ("2026-12-12 22:00 CET - 2026-12-13 01:00 UTC", "2026-12-12 22:00 CET",
     "2026-12-13 01:00 UTC"),
    ("2026-12-12T22:00-05:00 to 2026-12-13T02:00-05:00", "2026-12-12 22:00 UTC-5",
     "2026-12-13 02:00 UTC-5"),
    ("12 Dec 2026 22:00 until 13 Dec 2026 04:00 Europe/London",
     "2026-12-12 22:00 Europe/London", "2026-12-13 04:00 Europe/London"),
]


@pytest.mark.parametrize(("text", "start", "end"), WINDOWS)
def test_a_window_typed_as_one_answer(text: str, start: str, end: str) -> None:
    window = times.parse_window(text, NOW)
    assert window == (times.parse_datetime(start), times.parse_datetime(end))
    assert times.start_answer(text, NOW) == f"{start} to {end}"
    assert times.end_of(times.start_answer(text, NOW)) == end
    assert times.start_of(times.start_answer(text, NOW)) == times.parse_datetime(start)


@pytest.mark.parametrize("text", ["2026-12-12 22:00 CET", "2026-12-12T22:00-05:00",
                                  "12 Dec 2026 10pm Europe/Berlin"])
def test_a_single_time_is_not_a_window(text: str) -> None:
    assert times.parse_window(text, NOW) is None
    assert times.end_of(times.start_answer(text, NOW)) is None


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(Invalid, match="must be after the start"):
        times.parse_window("2026-12-12 22:00 CET - 2026-12-12 21:00 CET", NOW)


def test_a_window_starting_in_the_past_is_refused() -> None:
    with pytest.raises(Invalid, match="has already passed"):
        times.start_answer("2026-11-12 22:00-02:00 CET", NOW)
    with pytest.raises(Invalid, match="has already passed"):
        times.change_start("2026-11-12 22:00-02:00 CET", NOW)


def test_change_window_reads_a_stored_window_start() -> None:
    start, end = times.change_window("2026-12-12 22:00 CET to 2026-12-13 02:00 CET",
                                     "2026-12-13 03:00")
    assert (start, end) == ("2026-12-12T22:00:00+01:00", "2026-12-13T03:00:00+01:00")


# ---------------------------------------------------------------------------- in free text

FOUND = [
    ("we plan to upgrade DSM on 2026-12-12 from 22:00 to 02:00 CET, FYI",
     ("2026-12-12 22:00 CET", "2026-12-13 02:00 CET")),
    ("12月12日(土) 22:00～翌2:00 にDSMのバージョンアップを予定しています",
     ("2026-12-12 22:00", "2026-12-13 02:00")),
    ("Hi team,\nWe will patch the Deep Security Manager on Saturday 12 December 2026, "
     "10pm - 2am GMT.\nPlease advise.", ("2026-12-12 22:00 UTC", "2026-12-13 02:00 UTC")),
    ("Maintenance window: 2026/12/19 23:00 - 2026/12/20 03:00 JST",
     ("2026-12-19 23:00 JST", "2026-12-20 03:00 JST")),
    ("Change window Dec 12, 2026 22:00 to Dec 13, 2026 01:30 Europe/London",
     ("2026-12-12 22:00 Europe/London", "2026-12-13 01:30 Europe/London")),
    ("Our change is scheduled between 20:00 and 23:00 UTC on 15 Dec.",
     ("2026-12-15 20:00 UTC", "2026-12-15 23:00 UTC")),
    ("2026年12月20日 22時から翌日2時まで、DSMのアップグレードを行います。",
     ("2026-12-20 22:00", "2026-12-21 02:00")),
    ("作業日時：2026年12月12日 22:00～2026年12月13日 04:00（日本時間）",
     ("2026-12-12 22:00 Asia/Tokyo", "2026-12-13 04:00 Asia/Tokyo")),
    ("DSM upgrade 2026-12-12T22:00+01:00 to 2026-12-13T02:00+01:00",
     ("2026-12-12 22:00 UTC+1", "2026-12-13 02:00 UTC+1")),
    ("we'd like support on standby Jan 9 from 9pm to 1am EST",
     ("2027-01-09 21:00 EST", "2027-01-10 01:00 EST")),
    ("メンテナンス：12月12日 22時〜13日 2時", ("2026-12-12 22:00", "2026-12-13 02:00")),
    ("Upgrade planned for 2026-12-12 22:00-02:00 CET.",
     ("2026-12-12 22:00 CET", "2026-12-13 02:00 CET")),
    ("Upgrade planned for 2026-12-12 22:00-23:00.", ("2026-12-12 22:00", "2026-12-12 23:00")),
    ("On the 12th of December from 10 pm until 2 am CET we upgrade.",
     ("2026-12-12 22:00 CET", "2026-12-13 02:00 CET")),
    ("Window: Sat 2026-12-12 22:00 UTC - Sun 2026-12-13 02:00 UTC",
     ("2026-12-12 22:00 UTC", "2026-12-13 02:00 UTC")),
    ("ＤＳＭのアップデートを２０２６年１２月１２日　２２：００〜２４：００ ＪＳＴに実施します",
     ("2026-12-12 22:00 JST", "2026-12-13 00:00 JST")),
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_a_window_found_in_a_message(text: str, expected: tuple[str, str]) -> None:
    found = times.find_window(text, NOW)
    assert found == expected
    start, end = (times.parse_datetime(t) for t in found)
    assert start < end


@pytest.mark.parametrize("text", [
    "The agents (version 20.0.1-1234) crash after the update at 10.0.0.1",
    "DSA 20.0.0-8438 on 192.168.1.10-192.168.1.20 failing since 2026-11-30",
    "Please call me between 9 and 5.",
    "We upgraded on 2026-11-20 at 22:00 and since then agents are offline",
    "We upgraded on 2026-11-20 from 22:00 to 02:00 CET and since then agents are offline",
    "12/12 22:00-02:00 maintenance",
    "Update from 20.0 to 20.5 at 22:00 on Dec 12",
    "Pattern 19.873.00 to 19.875.00 broke the scan",
    "OfficeScanのクライアントがオフラインになりました",
    "",
])
def test_no_window_in_a_message(text: str) -> None:
    assert times.find_window(text, NOW) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_find_window_never_raises(text: str) -> None:
    found = times.find_window(text, NOW)
    if found is not None:
        times.change_window(*found)


@pytest.mark.parametrize(("typed", "end"), [
    ("02:00", "2026-12-13 02:00 CET"),
    ("23:30", "2026-12-12 23:30 CET"),
    ("2am", "2026-12-13 02:00 CET"),
    ("翌2時", "2026-12-13 02:00 CET"),
    ("Dec 13 03:00", "2026-12-13 03:00"),  # no zone written: the start's, in change_window
    ("2026-12-13 03:00 UTC", "2026-12-13 03:00 UTC"),
])
def test_an_end_typed_alone(typed: str, end: str) -> None:
    assert times.end_answer("2026-12-12 22:00 CET", typed, NOW) == end
    begin, finish = times.change_window("2026-12-12 22:00 CET", end)
    assert begin < finish


def test_an_end_that_is_not_a_time_says_so() -> None:
    with pytest.raises(Invalid, match="not a date and time I understand"):
        times.end_answer("2026-12-12 22:00 CET", "after the upgrade", NOW)
