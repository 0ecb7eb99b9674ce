"""Slack payloads -> Inbound: plain text back from Slack markup, slash commands, actions."""

from __future__ import annotations

from adapters.slack.inbound import (
    action_inbound,
    chosen_label,
    delivery_for_action,
    plain_text,
    slash_inbound,
)


def test_plain_text_undoes_slack_markup() -> None:
    assert plain_text("&lt;script&gt; &amp; co") == "<script> & co"
    assert plain_text("<!channel> <!here> <@U123> <#C1|general>") == \
        "@channel @here @U123 #general"
    assert plain_text("<mailto:a@acme.example|a@acme.example>") == "a@acme.example"
    assert plain_text("<http://example.com/a|example.com/a>") == "example.com/a"
    assert plain_text("<https://evil.test/x|click here>") == "https://evil.test/x"
    assert plain_text("<http://example.com>") == "http://example.com"


def test_slash_commands() -> None:
    assert slash_inbound("/case", "new").command == "newcase"
    assert slash_inbound("/case", "").command == "help"
    assert slash_inbound("/case", "list").command == "cases"
    show = slash_inbound("/case", "show 10000001")
    assert (show.command, show.args) == ("case", "10000001")
    assert slash_inbound("/case", "#10000002").args == "#10000002"
    assert slash_inbound("/case", "profiles").command == "profiles"
    check = slash_inbound("/urlcheck", "<http://a.test|a.test> b.test")
    assert (check.command, check.args) == ("checkurl", "a.test b.test")


def test_button_and_select_carry_draft_and_step() -> None:
    btn = {"type": "button", "action_id": "cb.btn.0", "block_id": "cb|choice|d1|severity",
           "value": "High", "text": {"type": "plain_text", "text": "High"}}
    got = action_inbound(btn, None)
    assert got is not None
    assert (got.kind, got.choice, got.draft, got.step) == ("choice", "High", "d1", "severity")
    sel = {"type": "static_select", "action_id": "cb.select", "block_id": "cb|choice||product",
           "selected_option": {"value": "apex", "text": {"text": "Apex One"}}}
    got = action_inbound(sel, None)
    assert got is not None
    assert (got.choice, got.draft, got.step) == ("apex", None, "product")
    assert chosen_label(sel) == "Apex One"


def test_multi_confirm_reads_the_selection_from_state() -> None:
    block = "cb|multi|d1|os"
    confirm = {"type": "button", "action_id": "cb.confirm", "block_id": block,
               "value": "__done__", "text": {"text": "Confirm"}}
    state = {"values": {block: {"cb.multi": {"selected_options": [
        {"value": "w10", "text": {"text": "Windows 10"}},
        {"value": "w11", "text": {"text": "Windows 11"}}]}}}}
    got = action_inbound(confirm, state)
    assert got is not None
    assert (got.kind, got.choices, got.done, got.step) == ("multi", ("w10", "w11"), True, "os")
    assert chosen_label(confirm, state) == "Windows 10, Windows 11"
    untouched = action_inbound(confirm, {"values": {}})
    assert untouched is not None
    assert (untouched.kind, untouched.choice) == ("choice", "__done__")
    assert action_inbound({"type": "multi_static_select", "action_id": "cb.multi",
                           "block_id": block}, state) is None


def test_delivery_id_is_per_press() -> None:
    body = {"user": {"id": "U1"}, "trigger_id": "t"}
    one = delivery_for_action(body, {"action_ts": "1.1"})
    assert one == delivery_for_action(body, {"action_ts": "1.1"})
    assert one != delivery_for_action(body, {"action_ts": "1.2"})
