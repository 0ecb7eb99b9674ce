"""Issue 22, finding 8: a hostile feed was held whole in memory (a 300 MB JSON array or a
one-line CSV took ~715 MB). JSON arrays are now read element by element and lines with a
length cap, so what an import holds does not grow with the file; the web console takes
uploads only up to what a feed needs."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from bot.feed_rows import MAX_LINE
from bot.feeds import Report, import_feed
from store.db import make_engine, upgrade
from web.app import MAX_FEED_BYTES

SIZE = 24 * 1024 * 1024  # the attack scaled down: what is held must not grow with this


def _import_peak(tmp_path: Path, feed: Path) -> tuple[Report, int]:
    """The import's report and the most memory Python held while it ran (the database is
    made before measuring)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'casebot.db'}")
    upgrade(engine)
    tracemalloc.start()
    try:
        report = import_feed(engine, feed, actor="test")
        return report, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        engine.dispose()


def _one_line(path: Path, head: str, fill: str) -> Path:
    with path.open("w") as fh:
        fh.write(head)
        for _ in range(SIZE // len(fill)):
            fh.write(fill)
        fh.write("\n")
    return path


@pytest.mark.parametrize(("name", "head"), [("feed.csv", "url,rating\n"),
                                            ("feed.jsonl", "")])
def test_a_line_too_long_is_refused_without_being_held(tmp_path: Path, name: str,
                                                       head: str) -> None:
    feed = _one_line(tmp_path / name, head, "a" * 4096)
    with feed.open("a") as fh:  # a good row after it still loads
        fh.write("https://ok.example/,Safe\n" if name.endswith(".csv")
                 else json.dumps({"url": "https://ok.example/", "rating": "Safe"}) + "\n")
    report, peak = _import_peak(tmp_path, feed)
    assert report.added == 1
    assert report.rejects[0][1] == f"a line longer than {MAX_LINE // 1024} KiB"
    assert peak < 8 * 1024 * 1024, f"{peak / 2**20:.1f} MiB held for a {SIZE >> 20} MiB line"


def test_a_big_json_array_is_read_element_by_element(tmp_path: Path) -> None:
    feed = tmp_path / "feed.json"
    element = json.dumps({"note": "x" * 1000})
    with feed.open("w") as fh:
        fh.write("[\n" + json.dumps({"url": "https://ok.example/", "rating": "Safe"}))
        for _ in range(SIZE // len(element)):
            fh.write(",\n" + element)
        fh.write("\n]\n")
    report, peak = _import_peak(tmp_path, feed)
    assert report.added == 1
    assert report.rejected == SIZE // len(element)
    assert report.rejects[0] == (3, "no url, prefix, host or domain")
    assert peak < 8 * 1024 * 1024, f"{peak / 2**20:.1f} MiB held for a {SIZE >> 20} MiB array"


def test_one_huge_array_element_is_refused_without_being_held(tmp_path: Path) -> None:
    feed = _one_line(tmp_path / "feed.json", '[{"note": "', "x" * 4096)
    report, peak = _import_peak(tmp_path, feed)
    assert report.rejects == [(1, f"an element longer than {MAX_LINE // 1024} KiB; the rest "
                                  "of the file is skipped")]
    assert peak < 8 * 1024 * 1024


def test_the_console_takes_uploads_only_up_to_what_a_feed_needs() -> None:
    assert MAX_FEED_BYTES <= 256 * 1024 * 1024
