"""Feed import on real databases (SQLite file; PostgreSQL when configured) and through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.feeds import import_feed
from bot.ratings import LocalProvider

CSV = """url,prefix,host,domain,rating,category,source
https://evil.example.com/login,,,,Dangerous,Phishing,vendor
,example.com/downloads/,,,Suspicious,71,
,,www.example.com,,Safe,Search Engines/Portals,
,,,example.com,safe,business/economy,
javascript:alert(1),,,,Safe,,
x.example,,,,Probably fine,,
,,,www.example.com,Safe,,
y.example,,,,Safe,No Such Category,
,,,,Safe,,
z.example,z.example/a,,,Safe,,
"""


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        n: int = conn.execute(sa.text("SELECT count(*) FROM url_ratings")).scalar_one()
        return n


def test_csv_with_bad_rows(engine: Engine, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(CSV)
    report = import_feed(engine, feed, actor="test")
    assert (report.added, report.changed, report.unchanged, report.rejected) == (4, 0, 0, 6)
    reasons = dict(report.rejects)
    assert sorted(reasons) == [6, 7, 8, 9, 10, 11]
    assert "javascript: scheme, which is not allowed" in reasons[6]
    assert "rating 'Probably fine' is not one of Safe" in reasons[7]
    assert "not a registered domain" in reasons[8]
    assert "unknown category 'No Such Category'" in reasons[9]
    assert reasons[10] == "no url, prefix, host or domain"
    assert "several entries in one row" in reasons[11]
    assert count(engine) == 4
    ratings = LocalProvider(engine).rate([
        "hxxps://evil[.]example[.]com/login", "https://example.com/downloads/tool.exe",
        "https://www.example.com/", "https://shop.example.com/"])
    assert [(r.rating, r.category, r.source) for r in ratings] == [
        ("Dangerous", "Phishing", "vendor"),
        ("Suspicious", "Software Downloads", "feed:feed.csv"),
        ("Safe", "Search Engines/Portals", "feed:feed.csv"),
        ("Safe", "Business/Economy", "feed:feed.csv")]

    again = import_feed(engine, feed, actor="test")
    assert (again.added, again.changed, again.unchanged, again.rejected) == (0, 0, 4, 6)


def test_jsonl_kind_key_upsert_and_bad_lines(engine: Engine, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"kind": "host", "key": "evil.example", "rating": "Dangerous",
                    "category": "Spyware"}),
        "",
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"url": "https://a.example/x", "rating": "Suspicious"}),
        json.dumps({"kind": "ip", "key": "192.0.2.1", "rating": "Safe"}),
        json.dumps({"url": "https://a.example/x", "rating": "Dangerous"}),
        json.dumps({"domain": "bücher.example", "rating": "Safe", "category": 27}),
    ]
    feed.write_text("\n".join(lines) + "\n")
    report = import_feed(engine, feed, actor="test")
    assert (report.added, report.changed, report.rejected) == (3, 1, 3)
    assert [n for n, _ in report.rejects] == [3, 4, 6]
    assert "not valid JSON" in report.rejects[0][1]
    assert report.rejects[1][1] == "not a JSON object"
    assert "kind 'ip' is not url, prefix, host or domain" in report.rejects[2][1]
    local = LocalProvider(engine)
    [a, b, c] = local.rate(["https://a.example/x", "https://sub.evil.example/",
                            "http://xn--bcher-kva.example/"])
    assert (a.rating, b.rating, b.category, c.rating, c.category) == (
        "Dangerous", "Dangerous", "Spyware", "Safe", "Education")

    feed.write_text(json.dumps({"host": "evil.example", "rating": "Safe"}) + "\n")
    report = import_feed(engine, feed, source="recheck", actor="test")
    assert (report.added, report.changed) == (0, 1)
    assert local.rate(["https://evil.example/"])[0].source == "recheck"


def test_many_rows_in_batches_with_progress(engine: Engine, tmp_path: Path) -> None:
    feed = tmp_path / "big.csv"
    rows = ["host,rating,category"] + [f"h{i}.example.com,Suspicious,Spam"
                                       for i in range(5000)]
    rows[1234] = "bad_host!.com,Suspicious,Spam"
    feed.write_text("\n".join(rows) + "\n")
    seen = []
    report = import_feed(engine, feed, batch=700, actor="test",
                         progress=lambda done, total, r: seen.append((done, total, r.rows)))
    assert (report.added, report.rejected) == (4999, 1)
    assert report.rejects[0][0] == 1235
    assert "not a valid part of a host name" in \
        report.rejects[0][1]
    assert len(seen) >= 7
    assert seen[-1][0] == seen[-1][1] == feed.stat().st_size
    assert count(engine) == 4999
    assert LocalProvider(engine).rate(["http://www.h4998.example.com/"])[0].rating == \
        "Suspicious"


def test_cli_import_reports_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli.main import app

    home = tmp_path / "home"
    feed = tmp_path / "feed.csv"
    feed.write_text(CSV)
    env = {"CASEBOT_HOME": str(home)}
    result = CliRunner().invoke(app, ["urls", "import", str(feed), "--show", "2"], env=env)
    assert result.exit_code == 0, result.output
    assert "10 rows" in result.stdout
    assert "4 added, 0 changed, 0 unchanged, 6 rejected." in result.stdout
    assert "line 6: bad url: 'javascript:alert(1)'" in result.stdout
    assert "line 7: rating 'Probably fine'" in result.stdout
    assert "…and 4 more rejected rows" in result.stdout
    assert "100.0%" in result.stderr  # progress lines when not a TTY

    result = CliRunner().invoke(app, ["urls", "check", "evil.example.com/login",
                                      "hxxps://evil[.]example[.]com/login",
                                      "https://joe:pw@bücher.example/"], env=env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    # ratings are about the place, not the scheme: the https entry rates the http URL too
    assert "hxxp://evil[.]example[.]com/login — Dangerous · Phishing (Internet Security)" in out
    assert "hxxps://evil[.]example[.]com/login — Dangerous · Phishing (Internet Security)" in out
    assert "punycode form: xn--bcher-kva.example" in out
    assert "user name or password" in out
    assert "pw" not in out.replace("password", "")

    result = CliRunner().invoke(app, ["urls", "check", "file:///etc/passwd"], env=env)
    assert result.exit_code == 2
    assert "file: scheme, which is not allowed" in " ".join(result.stderr.split())

    result = CliRunner().invoke(app, ["urls", "import", str(tmp_path / "nope.csv")], env=env)
    assert result.exit_code == 2
    assert "is not a file" in " ".join(result.stderr.split())

    bad = tmp_path / "bad.csv"
    bad.write_text("address,score\nx,y\n")
    result = CliRunner().invoke(app, ["urls", "import", str(bad)], env=env)
    assert result.exit_code == 2
    assert "no 'rating' column" in " ".join(result.stderr.split())
