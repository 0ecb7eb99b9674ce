"""Dates and times in a language's own formats (issue 27), with Babel's CLDR data: what a
translator (bot/i18n.py) does with a `When` parameter (flows/when.py).

- a moment: the date as CLDR's "yMMMd" skeleton, the short time, joined by the locale's
  medium date-time pattern, then the zone it carries: "Dec 6, 2026, 10:49 PM UTC",
  "2026年12月6日 22:49 UTC";
- a day: "Dec 6, 2026", "2026年12月6日";
- weekly hours: abbreviated day names in runs and lists, two short times joined by the
  locale's interval pattern (Japanese joins with a full-width tilde), the zone as written:
  "Mon–Fri 9:00 AM – 5:00 PM JST", in Japanese "月", "金", "9:00" and "17:00" so joined.

CLDR's narrow and thin spaces (U+202F before "PM", U+2009 around "–") become plain spaces:
a terminal, a search or a mail client without the font shows them as they are meant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

from babel import Locale
from babel.dates import format_skeleton, format_time, get_day_names
from babel.lists import format_list

from flows.i18n import N_
from flows.when import EVERY_DAY, Day, Moment, Weekly, When

DAILY = N_("Daily")
_SPACES = str.maketrans({"\u202f": " ", "\u2009": " ", "\u00a0": " "})


class Formats:
    """One locale's formats; `gettext` translates the few words CLDR has none for."""

    def __init__(self, locale: str, gettext: Callable[[str], str] = str) -> None:
        self.locale = Locale.parse(locale)
        self.gettext = gettext

    def when(self, value: When) -> str:
        if isinstance(value, Moment):
            return self.moment(value)
        if isinstance(value, Day):
            return self.day(value)
        return self.weekly(value)

    def moment(self, value: Moment) -> str:
        wall = value.local.replace(tzinfo=None)  # its own zone's wall time, as written
        day = format_skeleton("yMMMd", wall, locale=self.locale)
        clock = format_time(wall, "short", locale=self.locale)
        pattern = str(self.locale.datetime_formats["medium"])
        return _plain(f"{pattern.replace('{1}', day).replace('{0}', clock)} {value.zone()}")

    def day(self, value: Day) -> str:
        return _plain(format_skeleton("yMMMd", value.day, locale=self.locale))

    def weekly(self, value: Weekly) -> str:
        hours = self._range(self._clock(value.start), self._clock(value.end))
        words = [*([self.days(value)] if value.days else []), hours, value.zone]
        return _plain(" ".join(words))

    def days(self, value: Weekly) -> str:
        if value.days == EVERY_DAY:
            return self.gettext(DAILY)
        names = get_day_names("abbreviated", locale=self.locale)
        runs = [names[a] if a == b else self._range(names[a], names[b], tight=True)
                for a, b in value.runs()]
        # CLDR's narrow list ("Mon, Wed, Fri", no "and"); Babel's types omit the style
        style = "standard-narrow" if "standard-narrow" in self.locale.list_patterns \
            else "standard"
        return format_list(runs, style=style, locale=self.locale)  # type: ignore[arg-type]

    def _clock(self, hm: tuple[int, int]) -> str:
        """A time of day; 24:00 (the end of a day) as "24:00" where the locale counts hours
        from 0 ("k", hour 1-24 in CLDR), else as its midnight ("12:00 AM")."""
        if hm != (24, 0):
            return format_time(time(*hm), "short", locale=self.locale)
        pattern = str(self.locale.time_formats["short"].pattern)
        return format_time(time(0, 0), pattern.replace("H", "k"), locale=self.locale)

    def _range(self, first: str, last: str, *, tight: bool = False) -> str:
        """`first` to `last` as the locale joins a range ("9:00 AM – 5:00 PM"; `tight`:
        without the spaces, for single words: "Mon–Fri")."""
        pattern = str(self.locale.interval_formats.get(None) or "{0} – {1}")
        if tight:
            pattern = "".join(pattern.translate(_SPACES).split(" "))
        return pattern.replace("{0}", first).replace("{1}", last)




def _plain(text: str) -> str:
    return text.translate(_SPACES)
