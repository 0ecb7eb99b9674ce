"""Telegram render and inbound: pure functions, PTB objects built from dicts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from telegram import Bot, Update

from adapters.telegram import render
from adapters.telegram.inbound import media_of, parse_press, text_inbound, too_big
from adapters.telegram.render import Signer, Target
from bot.app import build_service
from bot.settings import Settings
from bot.verification import (
    awaiting_code,
    confirm_verification,
    mask_email,
    start_verification,
)
from flows.errors import Invalid
from flows.model import Choice, Prompt, SummaryItem
from store import repo
from store.tables import VerificationCode, utcnow

SIGNER = Signer("123:token")
ME = Target(7, 7)


def prompt(n: int, kind: str = "choice", **kw) -> Prompt:
    return Prompt(kind=kind, text="Pick <b>one</b>", step="issue_type", draft="0123456789abcdef",
                  choices=tuple(Choice(id=f"id-{i}" * 20, label=f"Option {i}")
                                for i in range(n)), **kw)


def labels(markup) -> list[list[str]]:
    return [[b.text for b in row] for row in markup.inline_keyboard]


def test_eight_a_page_with_paging():
    p = prompt(19)
    first = labels(render.keyboard(p, SIGNER, ME))
    assert [r[0] for r in first[:8]] == [f"Option {i}" for i in range(8)]
    assert first[8] == ["2/3 ›"]
    middle = labels(render.keyboard(p, SIGNER, ME, page=1))
    assert middle[8] == ["‹ 1/3", "3/3 ›"]
    last = labels(render.keyboard(p, SIGNER, ME, page=2))
    assert len(last) == 4 and last[3] == ["‹ 2/3"]
    assert labels(render.keyboard(prompt(8), SIGNER, ME))[-1] == ["Option 7"]


def test_multi_marks_selection_and_has_done_on_every_page():
    p = prompt(10, kind="multi", selected=("id-1" * 20,))
    rows = labels(render.keyboard(p, SIGNER, ME))
    assert rows[1] == ["✓ Option 1"] and rows[0] == ["Option 0"] and rows[-1] == ["Done"]
    assert labels(render.keyboard(p, SIGNER, ME, page=1))[-1] == ["Done"]


def test_callback_data_short_and_bound():
    p = prompt(12)
    markup = render.keyboard(p, SIGNER, ME)
    datas = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert all(len(d.encode()) <= 64 for d in datas)
    press = parse_press(datas[3])
    assert SIGNER.check(ME, p, press.action, press.n, press.tag).label == "Option 3"
    # another chat or user, another draft, another step: refused
    assert SIGNER.check(Target(8, 8), p, press.action, press.n, press.tag) is None
    assert SIGNER.check(Target(7, 8), p, press.action, press.n, press.tag) is None
    other = Prompt(kind="choice", text="x", step="severity", draft=p.draft, choices=p.choices)
    assert SIGNER.check(ME, other, press.action, press.n, press.tag) is None
    moved = Prompt(kind="choice", text="x", step=p.step, draft="ffff", choices=p.choices)
    assert SIGNER.check(ME, moved, press.action, press.n, press.tag) is None
    # the list changed under the same index: refused
    shifted = Prompt(kind="choice", text="x", step=p.step, draft=p.draft,
                     choices=p.choices[1:])
    assert SIGNER.check(ME, shifted, press.action, press.n, press.tag) is None
    # another bot token signs differently
    assert Signer("other").check(ME, p, press.action, press.n, press.tag) is None
    assert parse_press("c0123.1.short") is None and parse_press(None) is None


def test_text_is_plain_and_review_readable():
    p = Prompt(kind="review", text="Review your request", step="review",
               summary=(SummaryItem("Subject", "<script>x</script>", "subject"),
                        SummaryItem("Description", "line 1\n*line 2*", "description")),
               choices=(Choice("submit", "Submit"),), error="Fix *this*")
    out = render.text(p)
    assert out.startswith("⚠️ Fix *this*")
    assert "• Subject: <script>x</script>" in out and "    *line 2*" in out
    hinted = Prompt(kind="choice", text="How severe?", choices=(Choice("Low", "Low", "minor"),))
    assert "• Low — minor" in render.text(hinted)
    long = Prompt(kind="info", text="x\n" * 5000)
    parts = render.info_text(long)
    assert len(parts) == 3 and all(len(c) <= 4096 for c in parts)
    assert render.chosen("Which?", "Apex One") == "Which?\n\n→ Apex One"


def test_info_prompt_has_no_keyboard():
    assert render.keyboard(Prompt(kind="info", text="hi"), SIGNER, ME) is None


def test_text_inbound_commands():
    assert text_inbound("/newcase@casebot_bot").command == "newcase"
    assert text_inbound("/case@x 10000001").args == "10000001"
    assert text_inbound("/done").choice == "__done__"
    assert text_inbound("  hello *there*").text == "  hello *there*"
    assert text_inbound("/checkurl a.example b.example").args == "a.example b.example"


def _update(message: dict) -> Update:
    base = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "A"}}
    return Update.de_json({"update_id": 1, "message": {**base, **message}}, Bot("1:x"))


def test_media_of_document_and_largest_photo():
    doc = _update({"document": {"file_id": "D", "file_unique_id": "u", "file_name": "a.zip",
                                "file_size": 30 * 1024 * 1024}, "media_group_id": "g"})
    media = media_of(doc.message)
    assert (media.file_id, media.name, media.group) == ("D", "a.zip", "g") and too_big(media)
    photo = _update({"photo": [{"file_id": "s", "file_unique_id": "us", "width": 9,
                                "height": 9, "file_size": 9},
                               {"file_id": "b", "file_unique_id": "ub", "width": 90,
                                "height": 90, "file_size": 900}]})
    assert media_of(photo.message).file_id == "b"
    assert media_of(_update({"text": "hi"}).message) is None


@pytest.fixture
def service(tmp_path):
    return build_service(Settings(home=tmp_path / "home"))


def _last_code(service) -> str:
    with Session(service.engine) as s:
        return re.search(r"\b(\d{8})\b", repo.outbox(s)[0].body_text).group(1)


def test_verification_links_identity(service):
    msg = start_verification(service, "telegram", "77", "Bea@Acme.example", chat_ref="77")
    assert "…@acme.example" in msg.lower() and "8-digit code" in msg
    assert awaiting_code(service, "telegram", "77")
    code = _last_code(service)
    with Session(service.engine) as s:
        row = s.exec(select(VerificationCode)).one()
        assert len(row.code_hash) <= 128 and code not in row.code_hash
        assert repo.outbox(s)[0].kind == "verification"
    address = confirm_verification(service, "telegram", "77", code[:3] + " " + code[3:],
                                   chat_ref="77")
    with Session(service.engine) as s:
        contact = repo.contact_for_identity(s, "telegram", "77")
        assert contact is not None and contact.email == address
        assert repo.identities_of(s, contact.id)[0].chat_ref == "77"
    assert not awaiting_code(service, "telegram", "77")
    with pytest.raises(Invalid, match="no code waiting"):
        confirm_verification(service, "telegram", "77", code)


def test_verification_expiry_and_tries(service):
    start_verification(service, "slack", "T1:U1", "cy@acme.example")
    with Session(service.engine) as s:
        row = s.exec(select(VerificationCode)).one()
        row.expires_at = row.expires_at - timedelta(minutes=11)
        s.add(row)
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
    with pytest.raises(Invalid, match="try again later"):
        start_verification(service, "slack", "T1:U1", "cy@acme.example")
        start_verification(service, "slack", "T1:U1", "cy@acme.example")
    with pytest.raises(Invalid):
        start_verification(service, "slack", "T1:U1", "not an email")
    assert mask_email("ann@acme.example") == "a…@acme.example"


def test_command_button_bound_to_user_and_urls():
    """/checkurl's Request reclassification: ≤ 64 bytes, only good for this chat and URL list."""
    urls = [f"https://example.com/{i}/" + "a" * 400 for i in range(10)]
    shown = Prompt(kind="info", text="…", data={"urls": urls, "reclassify": True},
                   choices=(Choice(id="cmd:reclassify", label="Request reclassification"),))
    [[button]] = render.command_keyboard(shown, SIGNER, ME).inline_keyboard
    assert button.text == "Request reclassification"
    assert len(button.callback_data.encode()) <= 64
    press = parse_press(button.callback_data)
    assert press.action == "k" and press.draft8 == render.urls_digest(urls)
    assert SIGNER.check_command(ME, press.draft8, press.n, press.tag) == "cmd:reclassify"
    assert SIGNER.check_command(Target(8, 8), press.draft8, press.n, press.tag) is None
    assert SIGNER.check_command(ME, render.urls_digest(urls[:1]), press.n, press.tag) is None
    assert render.command_keyboard(Prompt(kind="info", text="hi"), SIGNER, ME) is None


def test_webhook_secret_comparison_is_constant_time(monkeypatch) -> None:
    """PTB compares `header != secret`; our secret type turns that into compare_digest."""
    import hmac as hmac_module

    from adapters.telegram.app import ConstantTimeSecret

    secret = ConstantTimeSecret("s3cret-token")
    calls = []
    real = hmac_module.compare_digest
    monkeypatch.setattr(hmac_module, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert not ("s3cret-token" != secret)
    assert "s3cret-tokeX" != secret
    assert "" != secret
    assert len(calls) == 3
    assert str(secret) == "s3cret-token" and hash(secret) == hash("s3cret-token")
