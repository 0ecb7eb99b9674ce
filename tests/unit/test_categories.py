"""The ranked category matcher (issue 25): which categories a product allows, what a first
message means in English and Japanese, and that nothing is suggested when unsure."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.answers import CHANGE_CONTROL
from flows.catalog import get_catalog
from flows.understand.categories import (
    allowed_categories,
    rank_categories,
    suggested_category,
)

CAT = get_catalog()
PRODUCT_ISSUES = list(CAT.issue_types["Product Issue"])
THREAT_ISSUES = list(CAT.issue_types["Threat Issue"])


def ranked_names(text: str, product: str | None) -> list[str]:
    return [c for c, _ in rank_categories(text, CAT, product)]


@pytest.mark.parametrize(("product", "expected"), [
    (None, [*PRODUCT_ISSUES, *THREAT_ISSUES, CHANGE_CONTROL]),
    ("No Such Product", [*PRODUCT_ISSUES, *THREAT_ISSUES, CHANGE_CONTROL]),
    ("Deep Security", [*PRODUCT_ISSUES, *THREAT_ISSUES, CHANGE_CONTROL]),
    ("Apex One", [*PRODUCT_ISSUES, *THREAT_ISSUES]),
    ("TippingPoint Digital Vaccine", PRODUCT_ISSUES),
    ("TippingPoint ThreatDV", PRODUCT_ISSUES)])
def test_the_allowed_categories(product: str | None, expected: list[str]) -> None:
    assert allowed_categories(CAT, product) == expected
    assert sorted(ranked_names("planned change window, spam, our licence", product)) == sorted(
        expected)


def test_a_change_window_is_never_offered_where_the_product_has_none() -> None:
    text = "Change window on Saturday 22:00-02:00 for the manager upgrade"
    assert suggested_category(text, CAT, "Deep Security") == CHANGE_CONTROL
    assert suggested_category(text, CAT, None) == CHANGE_CONTROL
    assert suggested_category(text, CAT, "Apex One") != CHANGE_CONTROL


@pytest.mark.parametrize("text", ["", "   ", "asdkjh qwe zzzx", "!!!???", "12345",
                                  "\uff58\uff59\uff5a\uff5a"])
def test_nothing_is_suggested_for_gibberish(text: str) -> None:
    assert suggested_category(text, CAT, None) is None
    assert all(score < 0.1 for _, score in rank_categories(text, CAT, None))


@pytest.mark.parametrize(("text", "category"), [
    ("zip pw is infected, please analyse the attached file", "Collected Threat Sample Analysis"),
    ("several PCs are sending spam since this morning", "Infected or Positive Infected"),
    ("legit invoices quarantined as spam", "Spam False Positive"),
    ("Our agents went offline after the pattern update", "Product Issues"),
    ("Our licence shows expired since Monday", "Activation and Registration Issues"),
    ("our own tool is detected as TROJ_GEN.R002C0 since yesterday", "File False Positive"),
    ("正規のメールが迷惑メールと判定されます", "Spam False Positive"),
    ("自社サイトがギャンブルに分類されています", "URL Reclassification"),
    ("OfficeScanのクライアントがオフラインになりました", "Product Issues"),
    ("ライセンスが期限切れと出ています", "Activation and Registration Issues"),
    ("社内の端末からスパムが送信されているようです", "Infected or Positive Infected"),
    ("最近スパムメールがたくさん届きます", "Spam")])
def test_what_first_messages_mean(text: str, category: str) -> None:
    assert suggested_category(text, CAT, None) == category
    assert ranked_names(text, None)[0] == category


def test_a_console_url_is_not_about_a_sites_category() -> None:
    text = "ログインできません。URLは https://dsm.example.jp:4119 です"
    assert suggested_category(text, CAT, None) != "URL Reclassification"
    assert ranked_names(text, None)[0] != "URL Reclassification"


def test_the_ranking_is_deterministic() -> None:
    text = "spam and a licence and our website"
    first = rank_categories(text, CAT, None)
    assert all(rank_categories(text, CAT, None) == first for _ in range(5))
    # ties (no evidence at all) keep the catalog's order
    assert ranked_names("", None) == allowed_categories(CAT, None)


@settings(max_examples=200, deadline=None)
@given(text=st.text(), product=st.sampled_from([None, "Deep Security", "Apex One",
                                                "TippingPoint ThreatDV", "nonsense"]))
def test_any_text_ranks_exactly_the_allowed_categories(text: str, product: str | None) -> None:
    ranked = rank_categories(text, CAT, product)
    assert sorted(c for c, _ in ranked) == sorted(allowed_categories(CAT, product))
    assert all(0.0 <= score <= 1.0 for _, score in ranked)
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    suggested = suggested_category(text, CAT, product)
    assert suggested is None or suggested == ranked[0][0]
