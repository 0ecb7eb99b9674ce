"""Finding 9: output and input hygiene. C1 controls (U+009B) and bidi overrides passed into
subjects and reached terminals through `cases show`/`cases list`; rejected feed rows printed
raw escapes; a CSV field over 128 KiB or deeply nested JSON crashed `urls import` midway; only
the host of a URL was defanged; help showed `<str>`/`<bool>` instead of option names."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app
from flows.clean import for_terminal
from flows.model import Inbound
from flows.urls import defang
from store.uow import unit_of_work
from tests.e2e.conftest import Chat, Script, submitted

CSI = "\x9b"  # a one-byte Control Sequence Introducer on many terminals
RLO = "\u202e"  # right-to-left override: "exe.pdf" reads as "fdp.exe"
APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10"])


def test_controls_and_bidi_never_stored_nor_printed(chat: Chat) -> None:
    s = Script().add_profile(*APEX).say("Windows 10", "Product Issue", "Product Issues")
    s.common(f"Agent {CSI}2J{RLO}fdp.exe\x1b[31m fails", f"desc {CSI}1;1H here")
    [number] = submitted(chat.run(s))
    case = chat.case(number)
    for text in (case["subject"], case["description"]):
        assert CSI not in text
        assert RLO not in text
        assert "\x1b" not in text
    listing = chat.cli("cases", "list")
    shown = chat.cli("cases", "show", number)
    for out in (listing, shown):
        assert CSI not in out
        assert RLO not in out
        assert "\x1b" not in out


def test_old_rows_with_controls_print_as_visible_escapes() -> None:
    assert for_terminal(f"a{CSI}b{RLO}c\x1b") == "a\\u009bb\\u202ec\\u001b"
    data = json.loads(for_terminal(json.dumps({"s": f"x{CSI}"}, ensure_ascii=False)))
    assert data == {"s": f"x{CSI}"}  # JSON output still parses to the same data
    assert Inbound(kind="text", text=f"ok{CSI}\r\nnext").text == "ok\nnext"


def test_feed_rows_that_cannot_be_parsed_are_rejected_one_by_one(chat: Chat,
                                                                 tmp_path: Path) -> None:
    csv_feed = tmp_path / "feed.csv"
    csv_feed.write_text("url,rating\n"
                        "https://good.example/a,Safe\n"
                        f"https://big.example/{'x' * 140_000},Safe\n"
                        f"https://esc.example/{CSI}\x1b[2J,Nope\n"
                        "https://also-good.example/b,Dangerous\n")
    out = chat.cli("urls", "import", str(csv_feed))
    assert "128 KiB" in out
    assert "\x1b" not in out
    assert CSI not in out
    assert "line 3:" in out
    rated = json.loads(chat.cli("urls", "check", "https://also-good.example/b", "--json"))
    assert rated[0]["rating"] == "Dangerous"  # rows after the bad ones were still loaded

    jsonl = tmp_path / "feed.jsonl"
    jsonl.write_text('{"url": "https://one.example/", "rating": "Safe"}\n'
                     + "[" * 100_000 + "]" * 100_000 + "\n"
                     + '{"url": "https://two.example/", "rating": "Safe"}\n')
    out = chat.cli("urls", "import", str(jsonl))
    assert "line 2: JSON nested too deeply" in out
    assert "2 added" in out

    array = tmp_path / "array.json"
    array.write_text('[\n {"url": "https://three.example/", "rating": "Safe"},\n'
                     ' {"url": "https://four.example/", "rating": "Bogus"}\n]\n')
    out = chat.cli("urls", "import", str(array))
    assert "1 added" in out
    assert "line 3: rating 'Bogus'" in out


def test_every_dot_of_a_shown_url_is_defanged() -> None:
    assert defang("https://a.example/go?next=evil.example/x.exe") == \
        "hxxps://a[.]example/go?next=evil[.]example/x[.]exe"


def test_help_names_options_not_types() -> None:
    for args in (["--help"], ["cases", "list", "--help"], ["urls", "import", "--help"],
                 ["accounts", "add", "--help"]):
        out = CliRunner().invoke(app, args, env={"COLUMNS": "200"}).output
        for type_name in ("<str>", "<bool>", "<int>"):
            assert type_name not in out, out
    out = CliRunner().invoke(app, ["cases", "list", "--help"], env={"COLUMNS": "200"}).output
    assert " ".join(out.split()).count("--as EMAIL") == 1



def test_an_old_row_with_controls_reaches_the_terminal_chat_escaped(chat: Chat) -> None:

    from bot.app import build_service
    from bot.settings import Settings

    s = Script().add_profile(*APEX).say("Windows 10", "Product Issue", "Product Issues")
    [number] = submitted(chat.run(s.common("Agent fails")))
    service = build_service(Settings(home=chat.home))
    with unit_of_work(service.engine) as db:  # a row stored before the cleaning existed
        case = db.cases.by_number(number)
        assert case is not None
        case.subject = f"Agent {CSI}2J fails"
        db.session.add(case)
        db.commit()
    out = chat.run([f"/case {number}"]).stdout
    assert CSI not in out
    assert "\\u009b2J" in out
