"""The case page as a conversation (issue 23): a reply with a file, an internal note and a
status change without notifying, posted to the running `casebot web` as a browser posts them
(multipart); what each one queued (chat notice, mail) and what the customer's next `casebot
chat` shows; the satisfaction score per case and per account; the mail kept aside."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.app import build_engine, build_service
from bot.settings import Settings
from store.tables import ChatNotice, OutboxMail
from store.uow import unit_of_work
from tests.e2e.conftest import EMAIL, Script, submitted
from tests.web.conftest import OPERATOR, Console, fresh

APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10"])
SECRET = "Their licence lapsed in May; keep that between us."


def open_case(console: Console) -> str:
    console.chat.cli("accounts", "add", "Acme", "--domain", "acme.example")
    s = Script().first_profile(*APEX, settings=["Smart Scan Server"]).say("Product Issues")
    s.common("Console is slow", "Takes a minute to load.")
    [number] = submitted(console.chat.run(s))
    return number


def queued(console: Console) -> tuple[list[ChatNotice], list[OutboxMail]]:
    engine = build_engine(Settings(home=console.home))
    with unit_of_work(engine, read_only=True) as s:
        notices = list(s.session.exec(select(ChatNotice).order_by(ChatNotice.id)))  # type: ignore[arg-type]
        mails = [m for m in s.session.exec(select(OutboxMail)) if m.kind != "confirmation"]
    engine.dispose()
    return notices, mails


def test_reply_internal_note_and_a_quiet_status_change(console: Console) -> None:
    number = open_case(console)
    c = console.signed_in()
    r = c.post(f"/cases/{number}", data={
        **fresh(c, number), "action": "reply", "note": "Which browser do you use?",
        "status": "waiting for customer"},
        files=[("files", ("steps.txt", b"1. open the console\n", "text/plain"))])
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/cases/{number}?done=reply"
    r = c.post(f"/cases/{number}", data={**fresh(c, number), "action": "internal",
                                          "note": SECRET, "status": "waiting for customer"})
    assert r.headers["location"] == f"/cases/{number}?done=note"
    r = c.post(f"/cases/{number}", data={**fresh(c, number), "action": "reply",
                                          "note": "", "status": "in progress"})
    assert r.headers["location"] == f"/cases/{number}?done=status"

    notices, mails = queued(console)
    case = console.chat.case(number)
    reply, note = case["messages"]
    assert (reply["author"], reply["channel"], reply["visibility"]) == (OPERATOR, "web",
                                                                        "public")
    assert (note["author"], note["visibility"]) == (OPERATOR, "internal")
    assert [f["name"] for f in reply["attachments"]] == ["steps.txt"]
    assert [n.message_id for n in notices] == [reply["id"]]  # nothing for the note or status
    assert [m.message_id for m in mails] == [reply["id"]]
    assert mails[0].files[0]["name"] == "steps.txt"
    assert case["status"] == "in progress"

    page = c.get(f"/cases/{number}?done=status").text
    assert "The customer was not told." in page
    for text in ("Which browser do you use?", SECRET, "Internal note", OPERATOR,
                 "(operator, web)", "console: pending", "mail: pending", " UTC</time>",
                 f'href="/cases/{number}/files/{reply["attachments"][0]["sha256"]}"',
                 "Reply to customer", 'enctype="multipart/form-data"'):
        assert text in page, text
    download = c.get(f"/cases/{number}/files/{reply['attachments'][0]['sha256']}")
    assert download.content == b"1. open the console\n"

    # the customer's next `casebot chat`: the reply and its file, never the note
    out = console.chat.run(Script().say(f"/case {number}")).stdout
    assert "Which browser do you use?" in out
    assert "File: steps.txt" in out
    assert SECRET not in out
    assert "in progress" not in out.split(f"/case {number}")[0]

    # ticked "notify": the status change reaches the chat
    c.post(f"/cases/{number}", data={**fresh(c, number), "note": "", "status": "open",
                                      "notify": "yes"})
    notices, _ = queued(console)
    assert notices[-1].text == f"Case {number} (Console is slow) is now open."


def test_nothing_to_save_is_refused(console: Console) -> None:
    number = open_case(console)
    c = console.signed_in()
    r = c.post(f"/cases/{number}", data={**fresh(c, number), "action": "reply", "note": " ",
                                          "status": "open"})
    assert r.status_code == 400
    assert "Write a message, attach a file or change the status." in r.text
    assert console.chat.case(number)["messages"] == []


def test_satisfaction_per_case_and_per_account(console: Console) -> None:
    number = open_case(console)
    c = console.signed_in()
    c.post(f"/cases/{number}", data={**fresh(c, number), "action": "reply",
                                      "note": "Fixed in 14.0.2.", "status": "resolved"})
    out = console.chat.run(Script().say("4", "Fast, thanks.")).stdout
    assert f"Thank you: 4/5 for case {number}." in out
    page = c.get(f"/cases/{number}").text
    assert "Satisfaction: <strong>4/5</strong>" in page
    assert "Fast, thanks." in page
    accounts = c.get("/accounts").text
    account_id = re.search(r'href="/accounts/(\d+)">Acme<', accounts)
    assert account_id, accounts
    page = c.get(f"/accounts/{account_id.group(1)}").text
    assert "Average <strong>4.0/5</strong> over 1 rated case." in page


def test_mail_kept_aside_is_listed_with_its_original(console: Console) -> None:
    settings = Settings(home=console.home)
    service = build_service(settings)
    raw = b"From: stranger@else.example\r\nSubject: Re: [Case 1] hi\r\n\r\nlet me in\r\n"
    sha = service.files.put_bytes(raw, "mail.eml").sha256
    with unit_of_work(service.engine) as s:
        kept = s.aside.keep(sender="stranger@else.example", subject="Re: [Case 1] hi",
                            reason="the sender is not the contact nor on the CC list",
                            message_id="<1@else.example>", raw_sha256=sha, size=len(raw))
        s.aside.keep(sender="noreply@else.example", subject="Out of office",
                     reason="names no case", message_id=None, raw_sha256=None, size=10)
        s.commit()
        assert kept is not None
        kept_id = kept.id
    service.engine.dispose()
    c = console.signed_in()
    assert 'href="/mail/aside"' in c.get("/").text  # the inbox's navigation links it
    page = c.get("/mail/aside").text
    for text in ("stranger@else.example", "Re: [Case 1] hi", "not the contact",
                 "Out of office", "names no case", " UTC</time>", "not kept"):
        assert text in page, text
    assert c.get(f"/mail/aside/{kept_id}/raw").content == raw
    assert c.get("/mail/aside/999/raw").status_code == 404
    assert EMAIL not in page
