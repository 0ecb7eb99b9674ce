"""Telegram render and inbound: pure functions, PTB objects built from dicts."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from telegram import (
    Bot,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from adapters.telegram import keyboards, render
from adapters.telegram.inbound import media_of, text_inbound, too_big
from adapters.telegram.keyboards import Meaning
from bot.app import build_service
from bot.service import Service
from bot.settings import Settings
from bot.verification import (
    awaiting_code,
    confirm_verification,
    mask_email,
    start_verification,
)
from flows.errors import Invalid
from flows.model import Choice, Prompt, PromptKind, SummaryItem, info
from flows.steps import DONE
from store.tables import VerificationCode, saved_id, utcnow
from store.uow import unit_of_work


def prompt(n: int, kind: PromptKind = "choice", **kw: Any) -> Prompt:
    return Prompt(kind=kind, text="Pick <b>one</b>", step="issue_type", draft="0123456789abcdef",
                  choices=tuple(Choice(id=f"id-{i}" * 20, label=f"Option {i}")
                                for i in range(n)), **kw)


def markup(kb: keyboards.Keyboard) -> ReplyKeyboardMarkup:
    """The reply keyboard shown; a test reading it expects one, not its removal."""
    assert isinstance(kb.markup, ReplyKeyboardMarkup), kb.markup
    return kb.markup


def labels(kb: keyboards.Keyboard) -> list[list[str]]:
    return [[b.text for b in row] for row in markup(kb).keyboard]


def test_eight_a_page_with_paging() -> None:
    p = prompt(19)
    first = keyboards.keyboard(p)
    assert [r[0] for r in labels(first)[:8]] == [f"Option {i}" for i in range(8)]
    assert labels(first)[8] == ["2/3 ›"]
    assert first.buttons["2/3 ›"] == Meaning(page=1)
    assert first.buttons["Option 3"] == Meaning(choice="id-3" * 20)
    assert markup(first).resize_keyboard
    assert markup(first).is_persistent
    assert markup(first).one_time_keyboard  # hidden once tapped: no double tap
    middle = labels(keyboards.keyboard(p, page=1))
    assert middle[8] == ["‹ 1/3", "3/3 ›"]
    last = labels(keyboards.keyboard(p, page=2))
    assert len(last) == 4
    assert last[3] == ["‹ 2/3"]
    assert labels(keyboards.keyboard(prompt(8)))[-1] == ["Option 7"]
    turned = render.page_reply(p, 1)
    assert turned.texts == ["Options 9–16 of 19:"]
    assert turned.page == 1


def test_multi_marks_selection_and_has_done_on_every_page() -> None:
    p = prompt(10, kind="multi", selected=("id-1" * 20,))
    kb = keyboards.keyboard(p)
    rows = labels(kb)
    assert rows[1] == ["✓ Option 1"]
    assert rows[0] == ["Option 0"]
    assert rows[-1] == ["Done"]
    assert kb.buttons["✓ Option 1"] == Meaning(choice="id-1" * 20)
    assert kb.buttons["Done"] == Meaning(choice=DONE)
    assert labels(keyboards.keyboard(p, page=1))[-1] == ["Done"]
    assert render.selection_reply(p, 1).texts[0].startswith("Selected: Option 1.")


def test_button_texts_are_unique_within_a_keyboard() -> None:
    long = "x" * 80
    p = Prompt(kind="choice", text="?", step="s",
               choices=(Choice("a", long + "a"), Choice("b", long + "b"), Choice("c", "Done")))
    kb = keyboards.keyboard(p)
    texts = [t for row in labels(kb) for t in row]
    assert len(set(texts)) == 3
    assert len(kb.buttons) == 3
    assert {kb.buttons[t].choice for t in texts} == {"a", "b", "c"}


def test_review_shows_every_button_at_once() -> None:
    p = Prompt(kind="review", text="Review", step="review", choices=(
        Choice("submit", "Submit"), *[Choice(f"edit:{i}", f"Edit {i}") for i in range(11)],
        Choice("cancel", "Cancel")))
    rows = labels(keyboards.keyboard(p))
    assert rows[0] == ["Submit"]
    assert rows[1] == ["Edit 0", "Edit 1"]
    assert rows[-1] == ["Cancel"]
    assert sum(map(len, rows)) == 13


def test_text_questions_remove_the_keyboard_or_offer_keep() -> None:
    bare = Prompt(kind="text", text="Subject?", step="subject")
    assert isinstance(keyboards.keyboard(bare).markup, ReplyKeyboardRemove)
    keep = Prompt(kind="text", text="Phone?", step="phone",
                  choices=(Choice("__default__", "Keep: +1 555"),), data={"default": "+1 555"})
    kb = keyboards.keyboard(keep)
    assert labels(kb) == [["Keep: +1 555"]]
    placeholder = markup(kb).input_field_placeholder
    assert not markup(kb).is_persistent
    assert placeholder
    assert len(placeholder) <= 64
    assert "Tap Keep" in render.text(keep)


def test_grouped_choices_open_on_the_likely_group() -> None:
    choices = tuple(Choice(f"{g}{i}", f"{g} {i}", group=g) for g in ("Likely", "Adult", "Other")
                    for i in range(7))
    p = Prompt(kind="choice", text="Category?", step="cat", choices=choices)
    first = keyboards.keyboard(p)
    assert labels(first)[0] == ["Likely: Likely 0", "Likely: Likely 1"]
    assert first.buttons["Adult (7) ›"] == Meaning(page=1)
    second = keyboards.keyboard(p, 1)
    assert labels(second)[-1] == ["‹ Likely"]
    assert "Adult: Adult 6" in second.buttons
    assert set(keyboards.all_buttons(p)) >= {"Likely: Likely 0", "Adult: Adult 6", "Other: Other 0"}


def test_a_reply_is_one_message_carrying_the_last_questions_keyboard() -> None:
    stale = info("That button is out of date.", stale=True)
    out = render.reply([stale, prompt(3)])
    assert out.texts == ["That button is out of date.\n\nPick <b>one</b>"]
    assert out.prompt is not None
    assert "Option 2" in out.keyboard.buttons
    done = render.reply([Prompt(kind="done", text="Case number: 1")])
    assert done.prompt is None
    assert isinstance(done.keyboard.markup, ReplyKeyboardRemove)
    long = render.reply([Prompt(kind="info", text="x\n" * 5000), prompt(2)])
    assert len(long.texts) == 3
    assert all(len(t) <= 4096 for t in long.texts)


def test_text_is_plain_and_review_readable() -> None:
    p = Prompt(kind="review", text="Review your request", step="review",
               summary=(SummaryItem("Subject", "<script>x</script>", "subject"),
                        SummaryItem("Description", "line 1\n*line 2*", "description")),
               choices=(Choice("submit", "Submit"),), error="Fix *this*")
    out = render.text(p)
    assert out.startswith("⚠️ Fix *this*")
    assert "• Subject: <script>x</script>" in out
    assert "    *line 2*" in out
    hinted = Prompt(kind="choice", text="How severe?", choices=(Choice("Low", "Low", "minor"),))
    assert "• Low — minor" in render.text(hinted)
    long = Prompt(kind="info", text="x\n" * 5000)
    parts = render.info_text(long)
    assert len(parts) == 3
    assert all(len(c) <= 4096 for c in parts)


def test_info_prompt_removes_the_keyboard() -> None:
    assert isinstance(keyboards.keyboard(Prompt(kind="info", text="hi")).markup,
                      ReplyKeyboardRemove)


def test_text_inbound_commands() -> None:
    assert text_inbound("/newcase@casebot_bot").command == "newcase"
    assert text_inbound("/case@x 10000001").args == "10000001"
    assert text_inbound("/done").choice == "__done__"
    assert text_inbound("  hello *there*").text == "  hello *there*"
    assert text_inbound("/checkurl a.example b.example").args == "a.example b.example"


def _message(fields: dict[str, Any]) -> Message:
    """The message of an update as Telegram would send it, with `fields` set."""
    base = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "A"}}
    update = Update.de_json({"update_id": 1, "message": {**base, **fields}}, Bot("1:x"))
    assert update.message is not None
    return update.message


def test_media_of_document_and_largest_photo() -> None:
    doc = _message({"document": {"file_id": "D", "file_unique_id": "u", "file_name": "a.zip",
                                "file_size": 30 * 1024 * 1024}, "media_group_id": "g"})
    media = media_of(doc)
    assert media is not None
    assert (media.file_id, media.name, media.group) == ("D", "a.zip", "g")
    assert too_big(media)
    photo = _message({"photo": [{"file_id": "s", "file_unique_id": "us", "width": 9,
                                "height": 9, "file_size": 9},
                               {"file_id": "b", "file_unique_id": "ub", "width": 90,
                                "height": 90, "file_size": 900}]})
    largest = media_of(photo)
    assert largest is not None
    assert largest.file_id == "b"
    assert media_of(_message({"text": "hi"})) is None


@pytest.fixture
def service(tmp_path: Path) -> Service:
    return build_service(Settings(home=tmp_path / "home"))


def _last_code(service: Service) -> str:
    with unit_of_work(service.engine) as s:
        code = re.search(r"\b(\d{8})\b", s.outbox.recent()[0].body_text)
        assert code is not None
        return code.group(1)


def test_verification_links_identity(service: Service) -> None:
    msg = start_verification(service, "telegram", "77", "Bea@Acme.example", chat_ref="77")
    assert "…@acme.example" in msg.lower()
    assert "8-digit code" in msg
    assert awaiting_code(service, "telegram", "77")
    code = _last_code(service)
    with unit_of_work(service.engine) as s:
        row = s.session.exec(select(VerificationCode)).one()
        assert len(row.code_hash) <= 128
        assert code not in row.code_hash
        assert s.outbox.recent()[0].kind == "verification"
    address = confirm_verification(service, "telegram", "77", code[:3] + " " + code[3:],
                                   chat_ref="77")
    with unit_of_work(service.engine) as s:
        contact = s.contacts.for_identity("telegram", "77")
        assert contact is not None
        assert contact.email == address
        assert s.contacts.identities_of(saved_id(contact))[0].chat_ref == "77"
    assert not awaiting_code(service, "telegram", "77")
    with pytest.raises(Invalid, match="no code waiting"):
        confirm_verification(service, "telegram", "77", code)


def test_verification_expiry_and_tries(service: Service) -> None:
    start_verification(service, "slack", "T1:U1", "cy@acme.example")
    with unit_of_work(service.engine) as s:
        row = s.session.exec(select(VerificationCode)).one()
        row.expires_at = row.expires_at - timedelta(minutes=11)
        s.session.add(row)
        s.commit()
    with pytest.raises(Invalid, match="expired"):
        confirm_verification(service, "slack", "T1:U1", "12345678")
    start_verification(service, "slack", "T1:U1", "cy@acme.example")
    good = _last_code(service)
    wrong = "00000000" if good != "00000000" else "11111111"
    now = utcnow()
    for n, left in enumerate((4, 3, 2, 1)):
        now += timedelta(seconds=2 ** n)  # the growing delay between wrong guesses
        with pytest.raises(Invalid, match=f"{left} tr"):
            confirm_verification(service, "slack", "T1:U1", wrong, now=now)
        if n:  # no wait after a first typo; then 2 s, 4 s, 8 s
            with pytest.raises(Invalid, match="Please wait"):
                confirm_verification(service, "slack", "T1:U1", wrong, now=now)
    now += timedelta(seconds=60)
    with pytest.raises(Invalid, match="can't be used any more"):
        confirm_verification(service, "slack", "T1:U1", wrong, now=now)
    with pytest.raises(Invalid, match="can't be used any more"):
        confirm_verification(service, "slack", "T1:U1", good, now=now)  # dead even if right
    start_verification(service, "slack", "T1:U1", "cy@acme.example")
    with pytest.raises(Invalid, match="try again later"):
        start_verification(service, "slack", "T1:U1", "cy@acme.example")
    with pytest.raises(Invalid):
        start_verification(service, "slack", "T1:U1", "not an email")
    assert mask_email("ann@acme.example") == "a…@acme.example"


def test_command_button_carries_the_urls_it_was_drawn_for() -> None:
    """/checkurl's Request reclassification: a button meaning the command with those URLs;
    under a question said in the same reply it joins that question's keyboard."""
    urls = [f"https://example.com/{i}/" + "a" * 400 for i in range(10)]
    shown = Prompt(kind="info", text="…", data={"urls": urls, "reclassify": True},
                   choices=(Choice(id="cmd:reclassify", label="Request reclassification"),))
    out = render.reply([shown])
    assert labels(out.keyboard) == [["Request reclassification"]]
    assert out.prompt is None
    assert out.keyboard.buttons["Request reclassification"] == Meaning(
        command="reclassify", urls=tuple(urls))
    both = render.reply([shown, prompt(2)])
    assert labels(both.keyboard)[-1] == ["Request reclassification"]
    assert "Option 1" in both.keyboard.buttons
    assert len(both.texts) == 1
    # not remembered (a restart): the command is known, its URLs are not
    assert keyboards.all_buttons(None) == {
        "Request reclassification": Meaning(command="reclassify")}
    assert isinstance(keyboards.keyboard(Prompt(kind="info", text="hi")).markup,
                      ReplyKeyboardRemove)


def test_commands_about_a_case_are_inline_buttons_on_their_own_message() -> None:
    """The held question ("Add to case N" / "New case") is its own message with inline
    buttons whose callback data is the choice id; the question after it keeps the reply
    keyboard; a Request reclassification tap stays a reply-keyboard label."""
    held = Prompt(kind="info", text="Is this about a case waiting for your answer?",
                  choices=(Choice(id="cmd:addto:12:10000042", label="Add to case 10000042"),
                           Choice(id="cmd:newfrom:12", label="New case")))
    out = render.reply([held, prompt(2)])
    assert out.texts[0] == held.text
    buttons = out.inline[0]
    assert isinstance(buttons, InlineKeyboardMarkup)
    assert [[(b.text, b.callback_data) for b in row] for row in buttons.inline_keyboard] == [
        [("Add to case 10000042", "cmd:addto:12:10000042")], [("New case", "cmd:newfrom:12")]]
    assert out.markup(1) is out.keyboard.markup
    assert "Option 1" in out.keyboard.buttons
    assert "Add to case 10000042" not in keyboards.all_buttons(prompt(2))
    survey = keyboards.inline(tuple(Choice(id=f"cmd:rate:7:{n}", label=str(n))
                                    for n in range(1, 6)))
    assert survey is not None
    assert [b.callback_data for b in survey.inline_keyboard[0]] == [
        f"cmd:rate:7:{n}" for n in range(1, 6)]  # one row
    assert keyboards.command_pressed("cmd:solved:10000042") == ("solved", "10000042")
    assert keyboards.command_pressed("cmd:reclassify") is None  # a label on the keyboard
    assert keyboards.command_pressed("edit:subject") is None
    with pytest.raises(AssertionError):
        keyboards.inline((Choice(id="cmd:addto:" + "9" * 60, label="Add"),))


def test_a_submit_confirmation_says_its_case() -> None:
    """The messages holding a done prompt are the ones remembered for its case."""
    done = Prompt(kind="done", text="Submitted. Case number: 10000042", data={"number":
                                                                             "10000042"})
    out = render.reply([info("Files checked."), done, info("Anything else? /newcase")])
    assert out.texts == ["Files checked.\n\nSubmitted. Case number: 10000042\n\n"
                         "Anything else? /newcase"]
    assert out.cases == {0: "10000042"}
    long = render.reply([info("x" * 4090), done])
    assert long.cases == {1: "10000042"}


def test_webhook_secret_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """casebot's webhook (adapters/telegram/webhook.py) compares the secret header with
    `hmac.compare_digest`, before the body is read and again in the WSGI application."""
    import hmac as hmac_module

    from adapters.telegram.webhook import secret_matches

    calls: list[tuple[bytes, bytes]] = []
    real = hmac_module.compare_digest

    def counted(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac_module, "compare_digest", counted)
    assert secret_matches("s3cret-token", "s3cret-token")
    assert not secret_matches("s3cret-tokeX", "s3cret-token")
    assert not secret_matches("s3cret", "s3cret-token")
    assert len(calls) == 3
    assert not secret_matches("", "s3cret-token")  # missing: refused without comparing
    assert not secret_matches(None, "s3cret-token")
