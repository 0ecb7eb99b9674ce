"""The account's default language (issue 27) end to end: `casebot accounts add --language`,
`casebot accounts language`, `accounts list`; a terminal contact of a Japanese account gets
Japanese without choosing, their own /language wins, and an operator's update mail to them
is Japanese; the verification code mailed to an address of a Japanese account is Japanese."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.app import build_engine
from bot.cli.main import app
from bot.settings import Settings
from store.tables import OutboxMail
from store.uow import unit_of_work
from tests.e2e.conftest import Chat, Script

pytestmark = pytest.mark.real_english(
    "tests which language a person gets: English (the default, /language en) is an outcome")

DESK = "desk@support.example"
ASKED = "Which agent build do you run?"


def mails(chat: Chat, kind: str) -> list[OutboxMail]:
    engine = build_engine(Settings(home=chat.home))
    with unit_of_work(engine, read_only=True) as s:
        found = list(s.session.exec(select(OutboxMail).where(OutboxMail.kind == kind)).all())
    engine.dispose()
    return found


def invoke(chat: Chat, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"CASEBOT_HOME": str(chat.home)})
    return result.exit_code, result.output


def listed(chat: Chat) -> dict[str, dict[str, object]]:
    return {a["domain"]: a for a in json.loads(chat.cli("accounts", "list", "--json"))}


def test_accounts_add_with_a_language_and_change_it(chat: Chat) -> None:
    out = chat.cli("accounts", "add", "Acme", "--domain", "acme.example", "--language", "ja")
    assert "Account 'Acme' (acme.example) created." in out
    assert "Default language: ja (日本語)." in out
    assert listed(chat)["acme.example"]["language"] == "ja"
    assert "ja" in chat.cli("accounts", "list").split("Acme", 1)[1].split("\n", 1)[0]

    assert "Account 'Acme': default language en (English)." in chat.cli(
        "accounts", "language", "acme.example", "EN")
    assert listed(chat)["acme.example"]["language"] == "en"
    assert "default language none (CASEBOT_DEFAULT_LANGUAGE applies)." in chat.cli(
        "accounts", "language", "Acme", "none")
    assert listed(chat)["acme.example"]["language"] is None
    audit = [a for a in json.loads(chat.cli("audit", "list", "--json"))
             if a["action"] == "account_language"]
    assert sorted(a["detail"] for a in audit) == [
        "Acme: en → none", "Acme: ja → en", "Acme: none → ja"]

    code, said = invoke(chat, "accounts", "language", "Acme", "tlh")
    assert code == 2
    assert "casebot speaks no 'tlh'. Use one of: en (English), ja (日本語), or none." in said
    code, said = invoke(chat, "accounts", "add", "Initech", "--domain", "initech.example",
                        "--language", "de")
    assert code == 2
    assert "casebot speaks no 'de'" in said
    assert "initech.example" not in listed(chat)  # refused before anything was saved
    code, said = invoke(chat, "accounts", "language", "Nobody", "ja")
    assert code == 2
    assert "No account called 'Nobody'" in said


def test_a_contact_of_a_japanese_account_gets_japanese_and_their_mail_too(chat: Chat) -> None:
    chat.cli("accounts", "add", "Acme", "--domain", "acme.example", "--language", "ja")
    s = Script().say("/newcase")  # no /language: the account's default
    s.say("本社 Apex One", "Apex One", "2019", "Windows 10, done",
          "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7", "done", "プロファイルを保存")
    s.say("Windows 10", "製品の不具合・お問い合わせ", "管理画面が遅い")
    s.block("開くのに1分かかります。")
    s.say("低", "送信")
    result = chat.run(s)
    assert result.returncode == 0, result.stderr
    assert "製品プロファイルがまだありません。" in result.stdout
    assert "What is it about?" not in result.stdout
    [number] = re.findall(r"ケース番号: (\d+)", result.stdout)
    [confirmation] = mails(chat, "confirmation")
    assert confirmation.subject == f"【ケース {number}】管理画面が遅い"
    assert confirmation.body_text.startswith("サポートへお問い合わせいただき、")

    # an operator's update, queued by another process: its mail speaks the account's default
    chat.cli("cases", "reply", number, "--as", DESK, "--status", "waiting for customer", ASKED)
    [update] = mails(chat, "update")
    assert update.subject == f"【ケース {number}】更新: 管理画面が遅い"
    assert update.body_text.startswith(f"{ASKED}\n\nステータス: お客様の回答待ち\n\n")
    assert update.headers["Content-Language"] == "ja"

    # their own choice wins over the account's
    out = chat.run(Script().say("/language en", "/cases")).stdout
    assert "casebot speaks English to you now." in out
    assert "Your cases (newest first):" in out
    chat.cli("cases", "reply", number, "--as", DESK, "Thanks, looking into it.")
    latest = max(mails(chat, "update"), key=lambda m: m.id or 0)
    assert latest.subject.startswith(f"[Case {number}]"), latest.subject
    assert latest.headers["Content-Language"] == "en"


def test_a_contact_of_an_account_without_a_language_gets_the_deployments(chat: Chat) -> None:
    english, japanese = "casebot — open a support case.", "casebot — サポートケースを作成します。"
    chat.cli("accounts", "add", "Acme", "--domain", "acme.example")
    assert english in chat.run(["/cases"]).stdout
    chat.env["CASEBOT_DEFAULT_LANGUAGE"] = "ja"
    assert japanese in chat.run(["/cases"]).stdout
    chat.cli("accounts", "language", "Acme", "en")  # the account's default beats the deployment's
    assert english in chat.run(["/cases"]).stdout
