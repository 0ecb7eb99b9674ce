"""A product case typed into the real `casebot chat` the way a Japanese keyboard types it
(issue 27): full-width letters, digits and spaces, 、 and 。 between list items and after
values, Japanese words for done, a Japanese phone number and call time. The case JSON holds
the canonical values (interfaces.md)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Chat, Script, submitted
from tests.unit.test_japanese_input import full_width

pytestmark = pytest.mark.real_english("a test of Japanese input, answered in Japanese")


def test_a_product_case_typed_in_japanese_forms(chat: Chat) -> None:
    chat.cli("accounts", "add", "Acme", "--domain", "acme.example")  # CC stays inside Acme
    code = full_width("AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7").replace("－", "ー")
    s = Script().say(
        "／ｎｅｗｃａｓｅ",
        "本社\u3000Apex One",  # the profile's name, kept as typed
        full_width("apex one"), "２０１９。",
        "Ｗｉｎｄｏｗｓ\u3000１０、" + full_width("Windows Server 2016") + "、完了",
        code,
        full_width("Smart Scan Server") + "、完了",
        full_width("Save profile"),
        "２",  # the request goes on: the second OS by its number
        full_width("Product Issues") + "。",
        "エージェントのパターンが更新されない",
    ).say("月曜日から、エージェントのパターンが 1.2.3 のままです。", "。")  # "。" ends a block
    s.say("ｈｉｇｈ。").say("全社の端末が最新のパターンで守られていません。", "．")
    s.say(full_width("Edit CC emails"),
          "ｂｏｂ＠ａｃｍｅ．ｅｘａｍｐｌｅ、Carol@acme.example。", "完了")
    s.say(full_width("Edit Contact method"), "Ｐｈｏｎｅ",
          "０３－１２３４－５６７８\u3000内線１２３", "平日\u3000午前９時～午後５時\u3000ＪＳＴ。")
    s.say(full_width("submit"))
    result = chat.run(s)
    number, = submitted(result)
    case = chat.case(number)
    assert {k: case[k] for k in (
        "profile_name", "product", "product_version", "operating_system", "issue_type",
        "issue_category", "subject", "description", "severity", "business_impact",
        "cc_emails", "contact_method", "phone", "preferred_time")} == {
        "profile_name": "本社\u3000Apex One", "product": "Apex One", "product_version": "2019",
        "operating_system": "Windows Server 2016", "issue_type": "Product Issue",
        "issue_category": "Product Issues", "subject": "エージェントのパターンが更新されない",
        "description": "月曜日から、エージェントのパターンが 1.2.3 のままです。",
        "severity": "High", "business_impact": "全社の端末が最新のパターンで守られていません。",
        "cc_emails": ["bob@acme.example", "Carol@acme.example"], "contact_method": "Phone",
        "phone": "+81312345678;ext=123", "preferred_time": "Mon-Fri 09:00-17:00 JST"}
    assert "is not" not in result.stdout  # nothing typed was refused on the way
