"""Block Kit rendering of prompts: controls by size, escaping, Slack's limits."""

from __future__ import annotations

import json
from typing import Any

from adapters.slack.render import (
    answered,
    confirm_email,
    escape,
    parse_block_id,
    render,
    sections,
)
from flows.model import Choice, Prompt, SummaryItem


def choices(n: int, group: str | None = None) -> tuple[Choice, ...]:
    return tuple(Choice(id=str(i), label=f"Option {i}", group=group) for i in range(n))


def actions(msg: dict[str, Any]) -> dict[str, Any]:
    block: dict[str, Any] = next(b for b in msg["blocks"] if b["type"] == "actions")
    return block


def test_escape() -> None:
    assert escape("<!channel> & <@U1> <script>") == \
        "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;script&gt;"


def test_up_to_five_choices_are_buttons_carrying_draft_and_step() -> None:
    msg = render(Prompt(kind="choice", text="Pick", step="severity", draft="d7",
                        choices=choices(5)))
    block = actions(msg)
    assert [e["type"] for e in block["elements"]] == ["button"] * 5
    assert len({e["action_id"] for e in block["elements"]}) == 5
    assert parse_block_id(block["block_id"]) == ("d7", "severity")


def test_more_choices_are_a_static_select_and_groups_become_option_groups() -> None:
    flat = actions(render(Prompt(kind="choice", text="Pick", step="s", choices=choices(6))))
    assert flat["elements"][0]["type"] == "static_select"
    assert len(flat["elements"][0]["options"]) == 6
    many = actions(render(Prompt(kind="choice", text="Pick", step="s", choices=choices(150))))
    assert len(many["elements"][0]["options"]) == 100  # Slack's cap
    grouped = choices(3, "Business") + choices(4, "Adult")
    sel = actions(render(Prompt(kind="choice", text="Category", step="s",
                                choices=grouped)))["elements"][0]
    assert [g["label"]["text"] for g in sel["option_groups"]] == ["Business", "Adult"]


def test_multi_is_a_multi_select_with_confirm_and_current_selection() -> None:
    msg = render(Prompt(kind="multi", text="Systems", step="os", choices=choices(8),
                        selected=("2", "5")))
    els = actions(msg)["elements"]
    assert els[0]["type"] == "multi_static_select"
    assert [o["value"] for o in els[0]["initial_options"]] == ["2", "5"]
    assert els[1]["action_id"] == "cb.confirm"
    assert els[1]["text"]["text"] == "Confirm"
    empty = actions(render(Prompt(kind="multi", text="CC", step="cc")))["elements"]
    assert [e["text"]["text"] for e in empty] == ["Done"]


def test_review_uses_fields_and_an_edit_select() -> None:
    items = tuple(SummaryItem(f"Label {i}", f"<!here> value {i}", f"s{i}") for i in range(12))
    prompt = Prompt(kind="review", text="Please review", step="review", summary=items,
                    choices=(Choice("submit", "Submit"),
                             *(Choice(f"edit:s{i}", f"Edit Label {i}") for i in range(12)),
                             Choice("cancel", "Cancel")))
    msg = render(prompt)
    field_blocks = [b for b in msg["blocks"] if "fields" in b]
    assert [len(b["fields"]) for b in field_blocks] == [10, 2]
    assert "&lt;!here&gt; value 0" in field_blocks[0]["fields"][0]["text"]
    els = actions(msg)["elements"]
    assert [e.get("style") for e in els[:2]] == ["primary", "danger"]
    assert els[2]["type"] == "static_select"
    assert len(els[2]["options"]) == 12


def test_user_text_never_becomes_markup_and_error_comes_first() -> None:
    prompt = Prompt(kind="text", text="Subject <!channel> @here <script>", step="subject",
                    error="Bad <@U1> & worse")
    msg = render(prompt)
    wire = json.dumps(msg)
    assert "<!channel>" not in wire
    assert "<@U1>" not in wire
    assert "<script>" not in wire
    assert msg["blocks"][0]["text"]["text"].startswith(":warning: Bad &lt;@U1&gt; &amp;")
    assert msg["text"].startswith("Bad &lt;@U1&gt;")


def test_long_text_is_split_without_breaking_escapes() -> None:
    text = ("a" * 2998 + "&") * 3
    blocks = sections(escape(text))
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert "".join(b["text"]["text"] for b in blocks) == escape(text)
    assert all(not b["text"]["text"].startswith("amp;") for b in blocks)


def test_answered_replaces_controls_with_the_choice() -> None:
    msg = render(Prompt(kind="choice", text="Pick", step="s", choices=choices(2)))
    after = answered(msg["blocks"], "Option <1>")
    assert not any(b["type"] == "actions" for b in after)
    assert after[-1]["elements"][0]["text"] == "→ *Option &lt;1&gt;*"


def test_labels_are_cut_to_slack_limits() -> None:
    long = Choice(id="x", label="L" * 200, hint="H" * 200)
    sel = actions(render(Prompt(kind="choice", text="?", step="s",
                                choices=(long,) * 6)))["elements"][0]
    assert len(sel["options"][0]["text"]["text"]) == 75
    assert len(sel["options"][0]["description"]["text"]) == 75


def test_email_confirmation_escapes_the_address() -> None:
    msg = confirm_email("a<b>@acme.example")
    assert "a&lt;b&gt;@acme.example" in msg["text"]
    assert [e["text"]["text"] for e in actions(msg)["elements"]] == ["Yes", "No"]
