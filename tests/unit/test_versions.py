"""The version a first message names is offered first in the profile form (issue 27):
flows/understand/versions.py, checked on examples and on the labelled tune messages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import build_service
from bot.settings import Settings
from flows.answers import SUGGEST
from flows.catalog import get_catalog
from flows.context import Ctx, EmptyWorld, ProfileView
from flows.profile import version_choices
from flows.suggest import suggested_profile
from flows.understand.versions import version_named
from tests.unit.flowkit import Talk

CAT = get_catalog()
DATA = Path(__file__).resolve().parents[2] / "bench" / "intent_data"
DS, APEX = "Deep Security", "Apex One"


@pytest.mark.parametrize(("text", "product", "version"), [
    ("DS 20 LTS agents go offline", DS, "20 LTS"),
    ("our manager is 20LTS", DS, "20 LTS"),
    ("ＤＳ２０のエージェントがオフラインです", DS, "20 LTS"),
    ("ＤＳＭをｖｅｒ．２０にしたら", DS, "20 LTS"),
    ("DSM バージョン 12 です", DS, "12.0"),
    ("Agent version 20.0.0-8438 crashes", DS, "20 LTS"),
    ("Apex One 2019 console is slow", APEX, "2019"),
    ("apex one 2019 sp1 agents", APEX, "2019 SP1"),
    ("Apex One SaaS detects our tool", APEX, "SaaS"),
    ("OSCE XG SP1 server", "OfficeScan", "XG SP1"),
    ("smex 14 drops mails", "ScanMail for Microsoft Exchange", "14.0"),
    ("IMSVA 9.1 queue grows", "InterScan Messaging Security Virtual Appliance", "9.1"),
    ("SMEX tags mail as spam. Is this new in 14.0?", "ScanMail for Microsoft Exchange",
     "14.0"),
    # not a version
    ("DSA 20 servers are offline", DS, None),
    ("ＤＳＡ　２０台がオフライン", DS, None),
    ("Apex One on 2019 laptops, since 2019", APEX, None),
    ("DSM cannot reach 20.1.2.3", DS, None),
    ("Apex One 2019 is slow", DS, None),  # a version of another product
    ("Deep Security manager 15", DS, None),  # no such version
    ("SaaS Apex Central shows errors in Apex One", DS, None),
])
def test_version_named(text: str, product: str, version: str | None) -> None:
    assert version_named(text, product, CAT) == version


# What version_named finds in the labelled tune messages (read by hand: each is the version
# the customer runs, except en-t-131, "from 12.0 to 20 LTS", where the target is found).
TUNE_VERSIONS = {
    "en-t-001": "11.0 SP1", "en-t-003": "2019 SP1", "en-t-004": "20 LTS", "en-t-006": "9.1",
    "en-t-007": "20 LTS", "en-t-008": "10.0 SP1", "en-t-010": "6.5", "en-t-011": "6.7 SP1",
    "en-t-015": "3.3", "en-t-017": "2.6", "en-t-018": "20 LTS", "en-t-029": "SaaS",
    "en-t-030": "Services", "en-t-031": "14.0", "en-t-033": "6.7 SP1", "en-t-037": "Services",
    "en-t-039": "XG SP1", "en-t-050": "SaaS", "en-t-093": "SaaS", "en-t-102": "14.0",
    "en-t-103": "9.1", "en-t-115": "12.5", "en-t-131": "20 LTS", "en-t-138": "20 LTS",
    "en-t-140": "12.0", "ja-t-012": "XG SP1", "ja-t-017": "20 LTS", "ja-t-021": "SaaS",
}


def _tune() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in ("tune_en.yaml", "tune_ja.yaml"):
        out += yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return out


def test_versions_in_the_tune_messages() -> None:
    found = {}
    for entry in _tune():
        if entry.get("product"):
            version = version_named(entry["text"], entry["product"], CAT)
            if version is not None:
                assert version in CAT.product(entry["product"]).versions
                found[entry["id"]] = version
    assert found == TUNE_VERSIONS


def test_a_version_breaks_a_tie_between_two_profiles_of_one_product() -> None:
    old = ProfileView(id=1, name="Lab", product=DS, version="12.0", operating_systems=(),
                      language="English")
    new = ProfileView(id=2, name="Prod", product=DS, version="20 LTS", operating_systems=(),
                      language="English")
    assert suggested_profile("ＤＳ２０のＤＳＭが落ちる", [old, new]) == "2"
    assert suggested_profile("DSM ver.12 console error", [old, new]) == "1"
    assert suggested_profile("DSM console error", [old, new]) is None


def test_the_profile_form_offers_the_named_version_first(tmp_path: Path) -> None:
    talk = Talk(build_service(Settings(home=tmp_path / "home")))
    talk.say("ＤＳＭ（ＤＳ２０）でエージェントが通信エラーになります")
    assert talk.prompt.step == "name"  # no profile yet: the profile form opened
    talk.say("本番")
    assert talk.prompt.step == "product"
    assert talk.prompt.choices[0].label == DS
    talk.say("1")
    assert talk.prompt.step == "version"
    first = talk.prompt.choices[0]
    assert (first.label, first.hint) == ("20 LTS", "suggested from your description")
    assert [c.label for c in talk.prompt.choices[1:]] == ["12.0"]


def test_another_product_chosen_gets_no_suggested_version() -> None:
    ctx = Ctx(world=EmptyWorld(), clock=lambda: datetime.now(UTC), catalog=CAT)
    answers = {"product": APEX, SUGGEST: {"product": DS, "version": "20 LTS"}}
    assert [(c.label, c.hint) for c in version_choices(answers, ctx)] == [
        ("2019", ""), ("2019 SP1", ""), ("SaaS", "")]
