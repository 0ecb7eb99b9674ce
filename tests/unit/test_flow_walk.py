"""Random walks through the New Request flow at the service level.

Hypothesis plays a user who mostly answers what is asked (a random option, plausible text,
a sample zip), and sometimes types junk, goes /back, presses an old button, edits from the
review or cancels. Every case the walk manages to submit is read back as case JSON and checked
with `flows.rules.violations` (which looks only at the finished case, never at the flow), plus
an independent check that every required sample is an encrypted zip.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.service import Service
from flows import rules
from flows.model import Inbound, Prompt
from tests.unit.flowkit import (
    Talk,
    case_json,
    fixed_clock,
    fresh_service,
    profile_oses,
    seeded_home,
)
from tests.zipfactory import make_aes_zip, make_plain_zip, make_zipcrypto_zip

T = TypeVar("T")

MAX_EVENTS = 160
EML = b"From: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n"

JUNK = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "0", "99", "-1", "done", "skip", "<!channel>", "@here",
                     "*bold*", "<script>alert(1)</script>", "/nosuchcommand", "\u202e",
                     "ä" * 3, "³", "١"]),
)
LINE = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1,
               max_size=40)
URL_POOL = ["https://example.com/a", "http://bücher.example/", "hxxps://evil[.]example[.]net/x",
            "example.org", "http://192.0.2.10/login", "https://EXAMPLE.com/a",
            "javascript:alert(1)", "file:///etc/passwd", "https://sub.example.co.uk/p?q=1"]
TEXT_ANSWERS = {
    "name": st.builds(lambda s, n: f"{s} {n}", LINE.map(lambda t: t.strip()[:20] or "P"),
                      st.integers(0, 999)),
    "new_activation_code": st.sampled_from(["AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7",
                                            "ZZ-9999-AAAAA-BBBBB-CCCCC-DDDDD-EEEEE",
                                            "AB-CD"]),
    "toolbox_guid": st.sampled_from(["", "skip", "12345678-9abc-def0-1234-56789abcdef0", "x"]),
    "urls": st.lists(st.sampled_from(URL_POOL), min_size=1, max_size=4).map("\n".join)
    | st.just("\n".join(f"https://h{i}.example.com/" for i in range(11))),
    "subject": LINE | st.just("x" * 201),
    "description": LINE,
    "business_impact": LINE,
}
CVE = st.sampled_from(["", "CVE-2024-12345", "cve-2023-0001, CVE-2022-22965", "CVE-24-1"])
FILTER = st.sampled_from(["", "12345", "abc"])
REPDV = st.sampled_from(["", "203.0.113.7\nbad.example.net", "not a host!"])
PHONE = st.sampled_from(["+44 20 7946 0958", "+1 415 555 2671", "020 7946 0958", "+1 2"])
WHEN = st.sampled_from(["24x7", "09:00-17:00 Europe/Berlin", "9-17 UTC+2", "whenever",
                        "Weekdays 09:00-12:00 CET", "Mon-Fri 9am-5pm EST"])
START = st.sampled_from(["2030-01-10 22:00 Europe/Berlin", "2030-01-10 22:00", "tomorrow",
                         "2020-01-10 22:00 UTC"])  # the last one is in the past: refused
# Describe first: a request opened by what the user writes (issue 10)
DESCRIPTIONS = st.sampled_from([
    "Apex One agents stop reporting after the update",
    "Deep Security change window for the upgrade next week",
    "Spam keeps coming from a partner domain\nSeveral users affected",
    "Our website is blocked with the wrong category",
    "Collected a suspicious file sample from a laptop",
    "The licence shows expired on the OfficeScan server"])
END = st.sampled_from(["2030-01-11 02:00 Europe/Berlin", "2030-01-09 01:00 UTC", "soon",
                       "2030-01-10 21:30 UTC"])  # after a 22:00 Berlin start, before by text
CC = st.sampled_from(["bob@acme.example", "Bob@Acme.example, carol@acme.example",
                      "not-an-address", "dave@acme.example\nbob@acme.example"])


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_home(tmp_path_factory.mktemp("walk"))


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("samples")
    return {
        "infected": make_aes_zip(d / "aes.zip", {"x.exe": b"MZ" * 50}, "infected"),
        "novirus": make_zipcrypto_zip(d / "zc.zip", {"y.dll": b"MZ" * 60}, "novirus"),
        "virus-eml": make_aes_zip(d / "spam.zip", {"m.eml": EML}, "virus"),
        "infected-eml": make_zipcrypto_zip(d / "spam2.zip", {"n.eml": EML}, "infected"),
        "plain": make_plain_zip(d / "plain.zip", {"log.txt": b"log"}),
        "text": _write(d / "notes.txt", b"just text"),
    }


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def is_locked_zip(path: Path) -> bool:
    """Independent of flows/archives.py: a zip whose every member has the encryption flag."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError):
        return False
    return bool(infos) and all(i.flag_bits & 0x1 for i in infos)


class Walker:
    """Chooses the next inbound from the prompt on screen."""

    def __init__(self, talk: Talk, data: st.DataObject, samples: dict[str, Path]) -> None:
        self.talk = talk
        self.data = data
        self.samples = samples

    def draw(self, strategy: st.SearchStrategy[T]) -> T:
        return self.data.draw(strategy)

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def pick(self, p: Prompt, ids: list[str] | None = None) -> Inbound:
        """A valid option, sent as a button, its number or its label."""
        options = [c for c in p.choices if ids is None or c.id in ids] or list(p.choices)
        c = self.draw(st.sampled_from(options))
        how = self.draw(st.sampled_from(["button", "number", "label"]))
        if how == "button":
            return Inbound(kind="choice", choice=c.id, step=p.step, draft=p.draft)
        if how == "number":
            return Inbound(kind="text", text=str(p.choices.index(c) + 1))
        return Inbound(kind="text", text=c.label.upper() if self.chance(20) else c.label)

    def next(self, p: Prompt) -> Inbound:
        if self.chance(4):
            return Inbound(kind="command", command="back")
        if self.chance(3):
            return Inbound(kind="text", text=self.draw(JUNK))
        if self.chance(2):  # a button from an old message
            return Inbound(kind="choice", choice="1", step="subject", draft="0ld-draft")
        if p.kind == "review":
            return self.review(p)
        if p.kind == "choice":
            return self.choice(p)
        if p.kind == "multi":
            return self.multi(p)
        if p.kind == "files":
            return self.files(p)
        if p.kind in ("text", "multiline"):
            if p.choices and self.chance(30):
                return self.pick(p)
            return Inbound(kind="text", text=self.text(p))
        return Inbound(kind="command", command="newcase")

    def review(self, p: Prompt) -> Inbound:
        roll = self.draw(st.integers(0, 99))
        if roll < 65:
            return self.pick(p, ["submit"])
        if roll < 97:
            return self.pick(p, [c.id for c in p.choices if c.id.startswith("edit:")])
        return self.pick(p, ["cancel"])

    def choice(self, p: Prompt) -> Inbound:
        ids = [c.id for c in p.choices]
        if p.step == "profile" and "__profiles__" in ids and self.chance(90):
            ids = [i for i in ids if i != "__profiles__"] or ids
        if p.step == "pick" and self.chance(60):  # the profiles menu: mostly go back
            ids = [i for i in ids if i == "__close__"] or ids
        if p.step == "confirm_delete" and self.chance(80):
            ids = ["no"]
        if (p.step or "").endswith("_rating") and "keep" in ids and self.chance(50):
            ids = [i for i in ids if i != "keep"]
        return self.pick(p, ids)

    def multi(self, p: Prompt) -> Inbound:
        ids = [c.id for c in p.choices]
        chosen = self.draw(st.lists(st.sampled_from(ids), unique=True, max_size=3)) if ids else []
        if p.step == "cc_emails" and self.chance(40):
            return Inbound(kind="text", text=self.draw(CC) + ", done")
        if p.step == "operating_systems" and not chosen and self.chance(80):
            chosen = ids[:1]
        if self.chance(50):
            return Inbound(kind="multi", choices=tuple(chosen), done=True)
        numbers = [str(ids.index(c) + 1) for c in chosen]
        return Inbound(kind="text", text=", ".join([*numbers, "done"]))

    def files(self, p: Prompt) -> Inbound:
        finish = ((p.data.get("count") or not p.optional) and self.chance(40)) or self.chance(15)
        if finish and p.data.get("count") and self.chance(70):
            return Inbound(kind="choice", choice="__done__", step=p.step, draft=p.draft)
        if not p.optional or self.chance(30):
            m = re.search(r"password '([^']*)'", p.text)
            spam = ".eml" in p.text
            wanted = f"{m.group(1)}-eml" if m and spam else (m.group(1) if m else "plain")
            name = wanted if wanted in self.samples and self.chance(75) else self.draw(
                st.sampled_from(sorted(self.samples)))
            ref = self.talk.service.store_file(str(self.samples[name]))
            return Inbound(kind="file", file=ref)
        return Inbound(kind="text", text="done")

    def text(self, p: Prompt) -> str:
        step = p.step or ""
        if step in TEXT_ANSWERS:
            return self.draw(TEXT_ANSWERS[step])
        if step.startswith("tp_"):
            return self.draw({"tp_cves": CVE, "tp_filter": FILTER}.get(step, REPDV))
        if step.startswith("change_"):
            return self.draw(END if step == "change_end" else START)
        if step in ("phone", "preferred_time"):
            return self.draw(PHONE if step == "phone" else WHEN)
        return self.draw(LINE)


def walk(service: Service, data: st.DataObject, samples: dict[str, Path]) -> tuple[list[str], int]:
    """Run one walk; returns (submitted case numbers, events sent)."""
    talk = Talk(service)
    walker = Walker(talk, data, samples)
    talk.start()
    if walker.chance(40):
        talk.send(Inbound(kind="text", text=walker.draw(DESCRIPTIONS)))
    numbers: list[str] = []
    for n in range(MAX_EVENTS):
        p = talk.prompt
        assert p is not None
        inbound = walker.next(p)
        before = talk.state() if inbound.draft == "0ld-draft" else None
        try:
            prompts = talk.send(inbound)
        except Exception as exc:
            raise AssertionError(f"{inbound!r} crashed the service after:\n"
                                 f"{transcript(talk)}") from exc
        assert prompts, "every event gets an answer"
        for q in prompts:
            assert q.kind != "info" or not q.retry, "the store is up"
            # the service's own rule guard refused the case: the flow let a broken one through
            assert "doesn't fit together" not in q.text, transcript(talk)
        if before is not None:
            assert talk.state() == before, "an old button changes nothing"
            assert prompts[0].text.startswith("That button is out of date")
        done = [q for q in prompts if q.kind == "done"]
        if done:
            numbers.append(done[0].data["number"])
            if walker.chance(70):
                return numbers, n + 1
            talk.send(Inbound(kind="command", command="newcase"))
        elif talk.prompt is p and not any(q.kind != "info" for q in prompts):
            talk.send(Inbound(kind="command", command="newcase"))
    return numbers, MAX_EVENTS


def transcript(talk: Talk, last: int = 60) -> str:
    """The end of a walk, readably: what was sent and which step answered."""
    lines = []
    for inbound, prompts in talk.log[-last:]:
        sent = {"text": inbound.text, "choice": inbound.choice, "multi": inbound.choices,
                "file": inbound.file and inbound.file.name,
                "command": f"/{inbound.command}"}[inbound.kind]
        got = " | ".join(f"{p.kind}:{p.step}{' ERR ' + p.error if p.error else ''}"
                         f" {p.text[:70]!r}" for p in prompts)
        lines.append(f"{repr(sent)[:50]:>50} -> {got}")
    return "\n".join(lines)


def check_case(service: Service, number: str) -> None:
    case = case_json(service, number)
    try:
        oses = profile_oses(service, case["profile_name"])
    except StopIteration:  # the walk renamed or deleted that profile after this submit
        oses = [case["operating_system"]]
    assert rules.violations({**case, "profile_oses": oses}, oses) == [], case

    def zip_ok(att: dict[str, Any]) -> bool:
        with service.files.local_path(att["sha256"]) as path:
            return is_locked_zip(path)

    broken = rules.violations(case, oses, zip_ok=zip_ok)
    assert broken == [], (broken, case)
    if case["issue_category"] in rules.ZIP_REQUIRED:
        assert case["attachments"], case
    if case["issue_type"] == "Threat Issue":
        assert case["reference_id"], case


# No shrinking: each run is a whole conversation, and the transcript explains a failure.
@settings(max_examples=40, deadline=None, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_every_submitted_case_obeys_the_rules(seed: Path, samples: dict[str, Path],
                                              data: st.DataObject) -> None:
    service = fresh_service(seed)
    try:
        numbers, _ = walk(service, data, samples)
        for number in numbers:
            check_case(service, number)
    finally:
        service.engine.dispose()
        shutil.rmtree(Path(service.engine.url.database or "").parent, ignore_errors=True)


def test_the_walk_is_not_vacuous(seed: Path, samples: dict[str, Path]) -> None:
    """A good share of walks reach Submit, across several categories."""
    outcomes: list[tuple[int, list[str]]] = []

    @settings(max_examples=20, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        service = fresh_service(seed)
        try:
            numbers, events = walk(service, data, samples)
            outcomes.append((events, [case_json(service, n)["issue_category"] or "Change Control"
                                      for n in numbers]))
        finally:
            service.engine.dispose()
            shutil.rmtree(Path(service.engine.url.database or "").parent, ignore_errors=True)

    run()
    submitted = [cats for _, cats in outcomes if cats]
    assert len(submitted) >= len(outcomes) // 2, outcomes
    assert len({c for cats in submitted for c in cats}) >= 3, submitted


# -- what earlier walks found, pinned down ----------------------------------------------------

def test_edit_to_a_category_that_needs_samples_asks_for_them(seed: Path,
                                                             samples: dict[str, Path]) -> None:
    """Product Issues with no files, edited to Spam: the samples are asked, not skipped."""
    talk = Talk(fresh_service(seed))
    talk.start()
    talk.say("HQ Apex One", "Windows 10", "Product Issues", "Subject", "Description", "Low")
    assert talk.prompt is not None
    assert talk.prompt.kind == "review"
    talk.say("Edit Issue", "Spam", "infected")
    assert talk.prompt.step == "attachments"
    assert not talk.prompt.optional
    # /back while editing returns to the review; Submit then asks the missing step itself.
    talk.say("/back")
    assert talk.prompt.kind == "review"
    talk.say("Submit")
    assert talk.prompt.step == "attachments"
    assert talk.prompt.error == "Some answers are missing: Attachments."
    talk.send(Inbound(kind="file", file=talk.service.store_file(str(samples["infected-eml"]))))
    prompts = talk.say("done", "Submit")
    assert prompts[-1].kind == "done"
    check_case(talk.service, prompts[-1].data["number"])


def test_non_decimal_digits_are_just_wrong_answers(seed: Path) -> None:
    talk = Talk(fresh_service(seed))
    talk.start()
    for junk in ("³", "²", "Ⅻ"):
        prompts = talk.say(junk)
        assert prompts[-1].step == "profile"
        assert prompts[-1].error is not None
        assert "is not one of the options" in prompts[-1].error
    # full-width 1 is a decimal: option 1 (its one OS, if so, is filled in)
    assert talk.say("１")[-1].step in ("operating_system", "issue")



def test_description_is_optional_only_for_url_reclassification(seed: Path) -> None:
    """Decided per event from the answers (the step object is shared by every event)."""
    from flows.context import Ctx, EmptyWorld
    from flows.errors import Invalid
    from flows.intake import INTAKE

    step, ctx = INTAKE.by_name["description"], Ctx(world=EmptyWorld(), clock=fixed_clock)
    empty = Inbound(kind="text", text="")
    assert step.read(empty, {"issue": "URL Reclassification"}, ctx, None) == ""
    with pytest.raises(Invalid, match="Description is required"):
        step.read(empty, {"issue": "Product Issues"}, ctx, None)
    asked = step.ask({"issue": "URL Reclassification"}, ctx, None)
    assert asked.optional
    assert [c.id for c in asked.choices] == ["__skip__"]
    assert not step.ask({"issue": "Spam"}, ctx, None).optional
    assert step.optional is False


def test_change_window_in_two_time_zones(seed: Path) -> None:
    """22:00 Berlin to 21:30 UTC is half an hour long: the flow and the rules agree."""
    talk = Talk(fresh_service(seed))
    talk.start()
    talk.say("DC Deep Security", "Change Control Issue",
             "2030-01-10 22:00 Europe/Berlin", "2030-01-10 21:30 UTC", "Upgrade", "Manager",
             "Low")
    assert talk.prompt is not None
    assert talk.prompt.kind == "review"
    prompts = talk.say("Submit")
    assert prompts[-1].kind == "done", prompts
    check_case(talk.service, prompts[-1].data["number"])


def test_rules_require_a_description_except_for_url_reclassification() -> None:
    from flows.rules import violations

    base = {"product": "Apex One", "product_version": "2019", "issue_type": "Product Issue",
            "issue_category": "Product Issues", "subject": "s", "description": "",
            "severity": "Low", "contact_method": "Email", "operating_system": "Windows 10"}
    assert any("description" in v for v in violations(base, ["Windows 10"]))
    assert not any("description" in v for v in violations({**base, "description": "d"},
                                                          ["Windows 10"]))
