"""Understanding a first message (issue 25): the normaliser, the names people use for
products, a subject without the greeting, and the facts a message already gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows import validators as v
from flows.catalog import DEFAULT_PATH, CatalogError, get_catalog, load_catalog
from flows.context import ProfileView
from flows.intake import is_description
from flows.normalize import cjk_count, is_japanese, normal
from flows.suggest import profile_by_topic, suggested_product, suggested_profile
from flows.understand.facts import found
from flows.understand.products import products_named
from flows.understand.subject import subject_line
from tests.unit.flowkit import NOW, Talk, fresh_service, seeded_home

CAT = get_catalog()
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def full_width(text: str) -> str:
    return "".join(FULL_WIDTH.get(ch, "\u3000" if ch == " " else ch) for ch in text)


# -- the normaliser -----------------------------------------------------------------------------

@given(st.text())
def test_normal_is_idempotent(text: str) -> None:
    assert normal(normal(text)) == normal(text)


@given(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E)))
def test_full_width_ascii_reads_as_ascii(text: str) -> None:
    assert normal(full_width(text)) == normal(text)


@pytest.mark.parametrize(("typed", "read"), [
    ("ＤＳＭ", "DSM"), ("ver．２０", "ver.20"), ("AB－CD", "AB-CD"), ("ABーCD12", "AB-CD12"),
    ("9–17", "9-17"), ("サーバー", "サーバー"), ("ｻｰﾊﾞｰ", "サーバー"), ("a\u3000b", "a b")])
def test_normal_forms(typed: str, read: str) -> None:
    assert normal(typed) == read


@given(st.lists(st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=5, max_size=5),
                min_size=7, max_size=7))
def test_activation_codes_typed_full_width_are_accepted(groups: list[str]) -> None:
    code = "-".join([groups[0][:2], groups[1][:4], *groups[2:]])
    typed = full_width(code).replace("－", "ー")  # the IME's long-vowel mark as the dash
    assert v.activation_code(typed) == code


@pytest.mark.parametrize(("text", "japanese"), [
    ("OfficeScanのクライアントがオフラインになりました", True),
    ("DSM console 500", False), ("", False), ("ＤＳＭにログインできません", True)])
def test_script(text: str, japanese: bool) -> None:
    assert is_japanese(text) is japanese


@pytest.mark.parametrize(("text", "describes"), [
    ("OfficeScanのクライアントがオフラインになりました", True),
    ("ログインできません", True),  # six characters
    ("ログイン不可", True),
    ("エラーです", False),
    ("dsm console 500", True),
    ("Apex One", False),
    ("yes", False)])
def test_a_description_is_a_few_words_or_a_japanese_sentence(text: str, describes: bool) -> None:
    assert is_description(text) is describes
    assert cjk_count("ＤＳＭにログイン") == 5


# -- names people use ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "product"), [
    ("OSCE agents are offline", "OfficeScan"),
    ("dsm console gives 500 after upgrade", "Deep Security"),
    ("ＤＳＭにログインできません", "Deep Security"),
    ("WFBS-SVC licence renewal", "Worry-Free Business Security"),
    ("IMSVA licence expired", "InterScan Messaging Security Virtual Appliance"),
    ("ウイルスバスター Corp.のクライアントがオフライン", "OfficeScan"),
    ("ウイルスバスターＣｏｒｐのサーバ", "OfficeScan"),
    ("ビジネスセキュリティの管理コンソールに入れない", "Worry-Free Business Security"),
    ("Worry Free agents", "Worry-Free Business Security"),
    ("ds_agent crashed on boot", "Deep Security"),
    ("Deep Secuirty agent fails to activate", "Deep Security"),
    ("Deep Security Virtual Appliance drops packets", "Deep Security Virtual Appliance"),
    ("TippingPoint ThreatDV feed is stale", "TippingPoint ThreatDV"),
    ("our TPS drops traffic", "TippingPoint Digital Vaccine"),
    ("Control Manager does not show agents", "Apex Central"),
    ("Nothing to do with a product", None),
    ("see https://tps.example.com/login", None),  # "tps" inside an address is no mention
    ("the https proxy fails", None),
    ("rotate the dsa_key file", None),  # "DSA" only as a whole word
    ("log in at dsm.corp.example:4119 fails", None)])
def test_names_people_use(text: str, product: str | None) -> None:
    assert suggested_product(text, CAT) == product


def test_the_product_named_most_wins_then_the_first_named() -> None:
    assert products_named("IMSVA passes spam; IMSVA logs show Email Security too", CAT)[0] == (
        "InterScan Messaging Security Virtual Appliance")
    assert products_named("moved from OfficeScan to Apex One; the Apex One agent fails",
                          CAT)[0] == "Apex One"


def test_an_alias_must_mean_one_product(tmp_path: Path) -> None:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    broken = text.replace('aliases: ["ApexOne"', 'aliases: ["OSCE", "ApexOne"', 1)
    path = tmp_path / "catalog.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CatalogError, match="'OSCE' of 'OfficeScan' already names 'Apex One'"):
        load_catalog(path)


APEX = ProfileView(id=1, name="HQ laptops", product="Apex One", version="2019",
                   operating_systems=("Windows 10",), language="English")
DEEP = ProfileView(id=2, name="DC servers", product="Deep Security", version="20 LTS",
                   operating_systems=("Windows Server 2019",), language="English")
MAIL = ProfileView(id=3, name="Mail gateway", product="InterScan Messaging Security Virtual "
                   "Appliance", version="9.1", operating_systems=(), language="English")


@pytest.mark.parametrize(("text", "profile"), [
    ("the DSM shows agents offline", "2"),
    ("ＤＳＭにログインできません", "2"),
    ("IMSVA quarantine is full", "3"),
    ("HQ laptops cannot update", "1"),
    ("Printer is out of paper", None)])
def test_profile_by_the_name_people_use(text: str, profile: str | None) -> None:
    assert suggested_profile(text, [APEX, DEEP, MAIL], CAT) == profile


def test_profile_by_topic_only_when_one_profile_fits() -> None:
    window = ("We will upgrade the manager on Saturday 2026-12-12 22:00 to 02:00 UTC: planned "
              "maintenance window, change control notice, downtime expected")
    assert profile_by_topic(window, [APEX, DEEP, MAIL], CAT) == "2"  # only DS takes a window
    spam = "Our mail gateway lets a lot of spam through since Monday"
    assert profile_by_topic(spam, [APEX, DEEP, MAIL], CAT) == "3"  # the mail product
    assert profile_by_topic(spam, [APEX, DEEP], CAT) is None  # no profile fits: none
    assert profile_by_topic("hello there how are you", [APEX, DEEP, MAIL], CAT) is None


# -- a subject worth reading --------------------------------------------------------------------

@pytest.mark.parametrize(("text", "subject"), [
    ("Hi,\nOSCE agents offline since the update\nThanks, Raj",
     "OSCE agents offline since the update"),
    ("Hello team\nDSM returns 500", "DSM returns 500"),
    ("Hi team, the DSM console is down", "the DSM console is down"),
    ("Dear Support,\n\nOur licence expired yesterday.", "Our licence expired yesterday."),
    ("To whom it may concern:\nSpam gets through", "Spam gets through"),
    ("お世話になっております。株式会社サンプルの山田です。\n"
     "ウイルスバスター Corp.のクライアントがオフラインです。\nよろしくお願いいたします。",
     "ウイルスバスター Corp.のクライアントがオフラインです。"),
    ("いつもお世話になっております。DSMにログインできません。", "DSMにログインできません。"),
    ("サポートご担当者様\n\n検体の解析をお願いします。", "検体の解析をお願いします。"),
    ("Hiring question: can DSM run on Ubuntu 24.04?",
     "Hiring question: can DSM run on Ubuntu 24.04?"),
    ("Thanks for the quick fix yesterday, but DSM fails again",
     "Thanks for the quick fix yesterday, but DSM fails again"),
    ("Hi", "Hi")])
def test_subject_skips_greetings(text: str, subject: str) -> None:
    assert subject_line(text) == subject


def test_a_long_first_sentence_is_cut_at_a_word() -> None:
    line = "word " * 60
    assert len(subject_line(line)) <= 200
    assert subject_line(line).endswith("word…")


# -- facts the message gives --------------------------------------------------------------------

def test_facts_are_read_and_checked_by_their_questions_validators() -> None:
    text = ("Please add a filter for CVE-2024-3400 and cve-2023-12345, and verify filter "
            "#41234. C2 at 203.0.113.7 and 198[.]51[.]100[.]9; our host 10.0.0.5, build "
            "20.0.1.1234.")
    assert found(text, NOW) == {"tp_cves": ["CVE-2024-3400", "CVE-2023-12345"],
                           "tp_filter": "41234",
                           "tp_repdv": ["203.0.113.7", "198.51.100.9"]}


@pytest.mark.parametrize(("text", "facts"), [
    ("フィルタ番号：４１２３４ の検証をお願いします", {"tp_filter": "41234"}),
    ("filter 1234 and filter 5678 misfire", {}),  # which one to verify is the person's call
    ("agent 20.0.1.1234 on 192.168.1.10 crashes", {}),
    ("ＣＶＥ－２０２４－３４００ の対策フィルタ", {"tp_cves": ["CVE-2024-3400"]}),
    ("We upgrade DSM on 2029-07-04 from 22:00 to 02:00 CET, FYI",
     {"change_start": "2029-07-04 22:00 CET to 2029-07-05 02:00 CET"}),
    ("7月4日(水) 22:00〜翌2:00 にDSMのバージョンアップを予定しています",
     {"change_start": "2029-07-04 22:00 JST to 2029-07-05 02:00 JST"}),
    ("DSM was upgraded on 2029-05-01 from 22:00 to 23:00 UTC and now fails", {})])
def test_facts(text: str, facts: dict[str, object]) -> None:
    assert found(text, NOW) == facts


# -- facts carried into the request (flows walked for real) -------------------------------------

@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_home(tmp_path_factory.mktemp("understand"))


def test_urls_in_the_message_are_not_asked_again(seed: Path, tmp_path: Path) -> None:
    talk = Talk(fresh_service(seed, tmp_path / "home"))
    talk.say("Hi team,\nour shop hxxps://shop[.]example[.]com/deals is blocked as gambling, "
             "please reclassify", "HQ Apex One", "Windows 10", "URL Reclassification")
    assert talk.prompt.step == "url1_rating"  # the URL question was answered by the message
    talk.say("Safe", "Shopping", "Low")
    shown = {i.label: i.value for i in talk.prompt.summary}
    assert shown["URLs"].startswith("hxxps://shop[.]example[.]com/deals")
    assert shown["Subject"].startswith("our shop")  # not "Hi team,"
    assert any(c.label == "Edit URLs" for c in talk.prompt.choices)  # and editable


def test_a_cve_in_the_message_fills_its_question(seed: Path, tmp_path: Path) -> None:
    talk = Talk(fresh_service(seed, tmp_path / "home"))
    talk.say("Please add a filter for CVE-2024-3400 on our TippingPoint", "Edge DV",
             "Product Issues", "Filter request")
    assert talk.prompt.step == "severity"
    talk.say("Low")
    assert {i.label: i.value for i in talk.prompt.summary}["CVE ids"] == "CVE-2024-3400"


def test_facts_for_a_question_never_reached_are_not_kept(seed: Path, tmp_path: Path) -> None:
    talk = Talk(fresh_service(seed, tmp_path / "home"))
    talk.say("Apex One console at https://apex.example.com:4343 shows error 500",
             "HQ Apex One", "Windows 10", "Product Issues", "Low")
    assert "URLs" not in {i.label for i in talk.prompt.summary}


def test_a_change_window_in_the_message_fills_both_change_questions(seed: Path,
                                                                   tmp_path: Path) -> None:
    talk = Talk(fresh_service(seed, tmp_path / "home"))
    talk.say("Heads-up: we upgrade the DSM on 2029-07-04 from 22:00 to 02:00 CET",
             "DC Deep Security", "Change Control Issue")
    assert talk.prompt.step == "severity"  # start and end came from the message
    talk.say("Low")
    shown = {i.label: i.value for i in talk.prompt.summary}
    assert shown["Change start"] == "Jul 4, 2029, 10:00 PM CEST"  # CET in summer
    assert shown["Change end"] == "Jul 5, 2029, 2:00 AM CEST"


def test_the_category_list_follows_the_profile_chosen(seed: Path, tmp_path: Path) -> None:
    """Ranked again once the profile is known: a change window is Change Control for Deep
    Security, and not even offered for Apex One."""
    text = "Planned maintenance: we patch the servers on 2029-07-04 from 22:00 to 23:00 UTC"
    talk = Talk(fresh_service(seed, tmp_path / "a"))
    talk.say(text, "DC Deep Security")
    first = talk.prompt.choices[0]
    assert (first.id, "suggested" in first.hint) == ("Change Control Issue", True)
    talk = Talk(fresh_service(seed, tmp_path / "b"))
    talk.say(text, "HQ Apex One", "Windows 10")
    assert "Change Control Issue" not in [c.id for c in talk.prompt.choices]
