"""The quick check and a URL Reclassification end to end in the terminal chat (`casebot chat`
as a subprocess), closed by `casebot cases update --apply-urls`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.e2e.conftest import CODE, Chat, Script, submitted

FEED = "url,host,rating,category\nhttps://evil.example.com/login,,Safe,Business/Economy\n"


def profile(script: Script) -> Script:
    """No profile yet: the request opens the profile form at once."""
    return script.profile_form("HQ Apex One", "Apex One", "2019", ["1", "3"], code=CODE,
                               settings=["1"])


def test_checkurl_then_reclassify_then_apply(chat: Chat, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED)
    assert "1 added" in chat.cli("urls", "import", str(feed))

    script = Script().say(
        "/checkurl hxxps://evil[.]example[.]com/login https://joe:secret@bücher.example/a "
        "https://evil.example.com/login#again",
        "/reclassify")
    profile(script)
    script.say("Windows 10",
               # URL 1: its new rating, then its category (one grouped question); URL 2: keep
               "Dangerous", "Phishing", "Keep",
               # the subject comes from the URLs, the description is optional: not asked
               "Low", "Submit")
    result = chat.run(script)
    [number] = submitted(result)
    out = result.stdout
    check = out.split("Think a rating is wrong?")[0]
    assert "1. hxxps://evil[.]example[.]com/login — Safe · Business/Economy (Business)" in check
    assert "2. hxxps://bücher[.]example/a — Untested (not rated yet" in check
    assert "punycode form: xn--bcher-kva.example" in check
    assert "user name or password" in check
    assert "secret" not in out
    assert "3." not in check  # the duplicate was merged
    assert "Type /reclassify" in out
    assert "A URL Reclassification request for 2 URLs" in out
    assert "What is it about?" not in out
    assert "URL 1 of 2: hxxps://evil[.]example[.]com/login — Safe, Business/Economy" in out

    case = chat.case(number)
    assert case["issue_type"] == "Threat Issue"
    assert case["issue_category"] == "URL Reclassification"
    assert case["subject"] == "URL reclassification: evil.example.com, bücher.example"
    assert [(u["url"], u["requested_rating"], u["requested_category"]) for u in case["urls"]] \
        == [("https://evil.example.com/login", "Dangerous", "Phishing"),
            ("https://xn--bcher-kva.example/a", None, None)]

    out = chat.cli("cases", "update", number, "--status", "resolved", "--apply-urls")
    assert f"Case {number} updated." in out
    case = chat.case(number)
    assert case["status"] == "resolved"
    timeline = "\n".join(e["text"] for e in case["timeline"])
    assert "Local URL ratings updated:" in timeline
    assert "hxxps://evil[.]example[.]com/login: Safe → Dangerous, Phishing" in timeline
    mails = chat.cli("mail", "list", "--json")
    assert f"[Case {number}] Update" in mails
    assert "requested URL ratings are now in effect" \
        in mails

    after = chat.run(Script().say("/cancel", "/checkurl https://evil.example.com/login"))
    assert "hxxps://evil[.]example[.]com/login — Dangerous · Phishing (Internet Security)" \
        in after.stdout
    assert "Dangerous · Phishing" in chat.cli("urls", "check", "evil.example.com/login")
    assert f"case {number}" in chat.cli("urls", "check", "--json", "evil.example.com/login")


def test_checkurl_bad_input_loses_nothing(chat: Chat) -> None:
    many = " ".join(f"https://site{i}.example/" for i in range(11))
    result = chat.run(Script().say("/checkurl javascript:alert(1) file:///etc/passwd",
                                   "/checkurl", "/checkurl is this one safe?", "/reclassify",
                                   f"/checkurl {many}"))
    out = result.stdout
    assert "Not checked: 'javascript:alert(1)' uses the javascript: scheme, which is not " \
        "allowed" in out
    assert "Not checked: 'file:///etc/passwd' uses the file: scheme" in out
    assert "Which URLs should I check?" in out  # /checkurl alone
    assert out.count("I found no URL to check in that.") == 1
    assert "e.g. /checkurl is this safe? hxxps://example[.]com/login" in out
    assert "Which URLs? Type /reclassify followed by 1 to 10 URLs" in out
    assert "10. hxxps://site9[.]example/ — Untested" in out
    assert "Not checked: 1 more URL (at most 10 at a time; send them separately)." in out


def test_checkurl_reads_the_urls_out_of_a_sentence(chat: Chat, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED)
    assert "1 added" in chat.cli("urls", "import", str(feed))
    result = chat.run(Script().say(
        "/checkurl see hxxps://evil[.]example[.]com/login please, and is shop.example.com/deals "
        "ok? report.pdf was attached; https://exa mple too",
        "/checkurl このURL「https://evil.example.com/login」は安全ですか？"))
    out = result.stdout
    first, second = out.split("Think a rating is wrong?")[:2]
    assert "1. hxxps://evil[.]example[.]com/login — Safe · Business/Economy (Business)" in first
    assert "2. hxxp://shop[.]example[.]com/deals — Untested" in first
    assert "3." not in first
    assert "report" not in first
    assert "Not checked: 'hxxps://exa' is not a valid web address" in first
    assert "1. hxxps://evil[.]example[.]com/login — Safe" in second
    assert "2." not in second


def test_reclassify_with_urls_and_apply_refused_for_other_cases(chat: Chat) -> None:
    script = Script().say("/reclassify hxxp://a[.]example/x hxxp://b[.]example/y")
    profile(script)
    script.say("Windows 10", "Keep", "Keep")
    result = chat.run(script)
    assert "At least one URL must get a new classification" in result.stdout

    product = Script().say("/cancel", "/newcase", "Windows 10",
                           "Product Issues").common("It crashes")
    [number] = submitted(chat.run(product))
    from bot.cli.main import app

    res = CliRunner().invoke(app, ["cases", "update", number, "--status", "resolved",
                                   "--apply-urls"], env={"CASEBOT_HOME": str(chat.home)})
    assert res.exit_code == 2
    assert "not a URL Reclassification" in " ".join(res.stderr.split())
    assert chat.case(number)["status"] == "open"  # nothing changed
