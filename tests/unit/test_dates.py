"""Dates and times in the reader's format (issue 27): flows/when.py's values rendered by each
language's translator (bot/dates.py, CLDR through Babel), while their `str` stays the ISO
form that logs and operators read."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import mails
from bot.dates import Formats
from bot.i18n import PSEUDO, say
from flows import times
from flows.i18n import _, ngettext, render, shown
from flows.intake import show_preferred
from flows.when import Day, Moment, Weekly, zone_label

EVENING = datetime(2026, 12, 6, 22, 49, tzinfo=UTC)
TOKYO = datetime(2026, 12, 12, 22, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.mark.parametrize(("language", "text"), [
    ("en", "updated Dec 6, 2026, 10:49 PM UTC"),
    ("ja", "更新 2026年12月6日 22:49 UTC"),
    (PSEUDO, "⟦ʉpdȧtėd Dec 6, 2026, 10:49 PM UTC⟧"),  # formatted as English, template wrapped
])
def test_a_moment_in_each_language(language: str, text: str) -> None:
    assert say(_("updated {when}", when=Moment(EVENING)), language) == text


def test_the_str_stays_iso_for_logs_operators_and_stored_text() -> None:
    msg = _("updated {when}", when=Moment(EVENING))
    assert str(msg) == "updated 2026-12-06 22:49 UTC"
    assert render(msg, None) == "updated 2026-12-06 22:49 UTC"
    assert pickle.loads(pickle.dumps(msg)) == msg
    assert say(pickle.loads(pickle.dumps(msg)), "ja") == "更新 2026年12月6日 22:49 UTC"


@pytest.mark.parametrize(("at", "en", "ja"), [
    (TOKYO, "Dec 12, 2026, 10:00 PM JST", "2026年12月12日 22:00 JST"),  # the zone typed
    (datetime(2026, 7, 4, 22, 0, tzinfo=ZoneInfo("Europe/Berlin")),
     "Jul 4, 2026, 10:00 PM CEST", "2026年7月4日 22:00 CEST"),
    (datetime.fromisoformat("2026-12-12T22:00:00+09:00"),  # the case JSON's ISO offset
     "Dec 12, 2026, 10:00 PM UTC+9", "2026年12月12日 22:00 UTC+9"),
    (datetime(2026, 1, 5, 9, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))),
     "Jan 5, 2026, 9:05 AM UTC+5:30", "2026年1月5日 9:05 UTC+5:30"),
    (datetime(2026, 1, 5, 0, 0), "Jan 5, 2026, 12:00 AM UTC", "2026年1月5日 0:00 UTC"),  # naive
])
def test_a_moment_keeps_its_zone(at: datetime, en: str, ja: str) -> None:
    assert (say(shown(Moment(at)), "en"), say(shown(Moment(at)), "ja")) == (en, ja)


def test_a_recorded_instant_is_shown_in_utc() -> None:
    """What the database hands back may carry the session's zone; casebot shows UTC."""
    stored = TOKYO  # 13:00 UTC
    assert say(shown(Moment.utc(stored)), "en") == "Dec 12, 2026, 1:00 PM UTC"
    assert say(shown(Moment.utc(datetime(2026, 12, 12, 13, 0))), "ja") == \
        "2026年12月12日 13:00 UTC"


def test_zone_labels() -> None:
    assert zone_label(UTC) == "UTC"
    assert zone_label(ZoneInfo("Europe/London"), datetime(2026, 1, 1)) == "GMT"
    assert zone_label(ZoneInfo("Asia/Dubai"), datetime(2026, 1, 1)) == "UTC+4"  # tzname "+04"
    assert zone_label(timezone(timedelta(hours=-3, minutes=-30))) == "UTC-3:30"


def test_a_day() -> None:
    day = shown(Day(date(2026, 1, 5)))
    assert (str(day), say(day, "en"), say(day, "ja"), say(day, PSEUDO)) == (
        "2026-01-05", "Jan 5, 2026", "2026年1月5日", "⟦Jan 5, 2026⟧")


@pytest.mark.parametrize(("stored", "en", "ja"), [
    ("Mon-Fri 09:00-17:00 JST", "Mon–Fri 9:00 AM – 5:00 PM JST", "月～金 9:00～17:00 JST"),
    ("Mon, Wed, Fri 09:00-11:30 Europe/Berlin", "Mon, Wed, Fri 9:00 AM – 11:30 AM Europe/Berlin",
     "月、水、金 9:00～11:30 Europe/Berlin"),
    ("Mon-Tue, Thu-Fri 09:00-17:00 UTC", "Mon–Tue, Thu–Fri 9:00 AM – 5:00 PM UTC",
     "月～火、木～金 9:00～17:00 UTC"),
    ("Fri-Mon 22:00-06:00 UTC+2", "Fri–Mon 10:00 PM – 6:00 AM UTC+2", "金～月 22:00～6:00 UTC+2"),
    ("Daily 07:00-24:00 UTC", "Daily 7:00 AM – 12:00 AM UTC", "毎日 7:00～24:00 UTC"),
    ("12:00-16:00 UTC", "12:00 PM – 4:00 PM UTC", "12:00～16:00 UTC"),
    ("24x7", "24x7", "24時間365日"),
    ("not canonical", "not canonical", "not canonical"),  # older text: shown as it is
])
def test_a_preferred_time(stored: str, en: str, ja: str) -> None:
    value = show_preferred(stored)
    assert (say(value, "en"), say(value, "ja")) == (en, ja)
    assert say(value, PSEUDO) in (f"⟦{en}⟧", stored)


def test_a_preferred_time_typed_in_japanese_is_stored_canonical_and_shown_in_japanese() -> None:
    stored = times.preferred_time("平日 9時〜17時 日本時間")
    assert stored == "Mon-Fri 09:00-17:00 Asia/Tokyo"
    assert say(show_preferred(stored), "ja") == "月～金 9:00～17:00 Asia/Tokyo"


DAYS = st.frozensets(st.integers(0, 6), min_size=1) | st.none()
HOUR_MINUTE = st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))


@given(DAYS, HOUR_MINUTE, HOUR_MINUTE | st.just((24, 0)),
       st.sampled_from(["UTC", "JST", "UTC+5:30", "Europe/Berlin"]))
def test_the_canonical_preferred_time_reads_back(days: frozenset[int] | None,
                                                 start: tuple[int, int], end: tuple[int, int],
                                                 zone: str) -> None:
    weekly = Weekly(days, start, end, zone)
    assert Weekly.parse(str(weekly)) == weekly
    for language in ("en", "ja", PSEUDO):
        assert say(shown(weekly), language)


def test_the_format_is_cldrs_for_any_locale() -> None:
    """A language added with a catalog gets its formats from CLDR with nothing to write."""
    german = Formats("de")
    assert german.when(Moment(EVENING)) == "6. Dez. 2026, 22:49 UTC"
    assert german.when(Weekly.parse("Mon-Fri 09:00-17:00 CET")  # type: ignore[arg-type]
                       ) == "Mo.–Fr. 09:00 – 17:00 CET"


def test_a_plural_message_with_a_moment() -> None:
    """The plural form is the language's own (Japanese has one); the moment is formatted in
    every form."""
    for n in (1, 3):
        msg = ngettext("{n} update since {when}", "{n} updates since {when}", n,
                       when=Moment(EVENING))
        assert say(msg, "en") == (f"{n} update since Dec 6, 2026, 10:49 PM UTC" if n == 1
                                  else f"{n} updates since Dec 6, 2026, 10:49 PM UTC")
        pseudo = say(msg, PSEUDO)
        assert pseudo.startswith("⟦")
        assert "Dec 6, 2026, 10:49 PM UTC" in pseudo


CASE = {"number": "10000001", "reference_id": None, "status": "new", "subject": "Upgrade",
        "severity": "Low", "contact_method": "Phone", "phone": "+81312345678",
        "preferred_time": "Mon-Fri 09:00-17:00 JST",
        "change_window": {"start": "2026-12-12T22:00:00+09:00",
                          "end": "2026-12-13T02:00:00+09:00"},
        "messages": [{"id": 1, "at": "2026-12-06T22:49:00Z", "author": "Sam",
                      "author_kind": "operator", "channel": "web", "visibility": "public",
                      "text": "Noted."}]}


def test_the_confirmation_mail_and_case_view_in_japanese() -> None:
    """What the confirmation mail and `/case` say (bot/mails.py), in the reader's format;
    the operator's CLI reads the same text's ISO `str`."""
    text = mails.case_text(CASE)
    ja = say(text, "ja")
    assert "変更作業の日時: 2026年12月12日 22:00 UTC+9～2026年12月13日 2:00 UTC+9" in ja
    assert "ご希望の連絡時間帯: 月～金 9:00～17:00 JST" in ja
    assert "  2026年12月6日 22:49 UTC  Sam(サポート担当者、サポート窓口)" in ja
    html = mails.case_html(CASE, "ja")
    assert "<td>月～金 9:00～17:00 JST</td>" in html
    en = say(text, "en")
    assert "Change window: Dec 12, 2026, 10:00 PM UTC+9 → Dec 13, 2026, 2:00 AM UTC+9" in en
    assert "Preferred time: Mon–Fri 9:00 AM – 5:00 PM JST" in en
    assert "  2026-12-06 22:49 UTC  Sam (operator, web)" in str(text)  # operators: ISO
    assert "Preferred time: Mon-Fri 09:00-17:00 JST" in str(text)
