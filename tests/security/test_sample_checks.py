"""Finding 6: sample checks could stall everyone. ZipCrypto decrypted in pure Python (~1.7 MB/s)
inside the threads serving all users; every zip checked again on each deciding answer and at
submit; a crafted 14 MB zip with 300k entries took 146 MB before the 10,000-member limit."""

from __future__ import annotations

import os
import struct
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from bot.samples import SampleChecks
from flows.archives import MAX_MEMBERS, check_sample_zip
from flows.errors import Invalid
from store.uow import unit_of_work
from tests.zipfactory import make_zipcrypto_zip


def _crafted_directory(path: Path, entries: int) -> None:
    """A zip that is all central directory: `entries` tiny encrypted members."""
    central = bytearray()
    for i in range(entries):
        name = f"{i:06d}".encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x1, 0, 0, 0x21,
                               0, 12, 0, len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries & 0xFFFF, entries & 0xFFFF,
                      len(central), 0, 0)
    path.write_bytes(bytes(central + end))


def test_entry_count_is_read_before_the_zip_is_opened(tmp_path: Path) -> None:
    crafted = tmp_path / "many.zip"
    _crafted_directory(crafted, 300_000)
    assert crafted.stat().st_size > 14_000_000
    tracemalloc.start()
    try:
        with pytest.raises(Invalid, match="the limit is 10,000"):
            check_sample_zip(crafted, "infected")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"\n300k-entry zip refused with a peak of {peak / 1024:.0f} KiB")
    assert peak < 1024 * 1024  # was 146 MB
    small = tmp_path / "over.zip"
    _crafted_directory(small, MAX_MEMBERS + 1)  # a small directory, too many entries
    with pytest.raises(Invalid, match="lists 10,001 entries"):
        check_sample_zip(small, "infected")


def test_each_file_is_checked_once(tmp_path: Path) -> None:
    path = make_zipcrypto_zip(tmp_path / "s.zip", {"a.exe": os.urandom(50_000)}, "infected")
    checks = SampleChecks(workers=2)
    for _ in range(5):  # the attachment step, each changed deciding answer, review, submit
        checks.check("sha-1", str(path), "s.zip", "infected", None)
    with pytest.raises(Invalid, match="password"):
        checks.check("sha-1", str(path), "s.zip", "wrong", None)
    with pytest.raises(Invalid, match="password"):
        checks.check("sha-1", str(path), "s.zip", "wrong", None)
    assert checks.runs == 2  # one per (file, password)


@pytest.mark.serial
def test_a_slow_zip_stops_at_its_time_budget(tmp_path: Path) -> None:
    path = make_zipcrypto_zip(tmp_path / "big.zip", {"a.bin": os.urandom(3_000_000)},
                              "infected")
    checks = SampleChecks(workers=1, budget_seconds=0.2)
    started = time.monotonic()
    with pytest.raises(Invalid, match="takes too long"):
        checks.check("sha-big", str(path), "big.zip", "infected", None)
    took = time.monotonic() - started
    print(f"\n3 MB ZipCrypto zip with a 0.2 s budget refused after {took:.2f} s")
    assert took < 1.5


def test_checks_run_in_a_bounded_pool_off_the_callers_thread(tmp_path: Path) -> None:
    paths = [make_zipcrypto_zip(tmp_path / f"{i}.zip", {"a.bin": os.urandom(400_000)},
                                "infected") for i in range(6)]
    checks = SampleChecks(workers=2)
    seen: set[str] = set()
    busiest = 0

    def caller(i: int) -> None:
        checks.check(f"sha-{i}", str(paths[i]), f"{i}.zip", "infected", None)

    callers = [threading.Thread(target=caller, args=(i,)) for i in range(6)]
    for t in callers:
        t.start()
    while any(t.is_alive() for t in callers):
        pool = [t.name for t in threading.enumerate() if t.name.startswith("casebot-zipcheck")]
        seen.update(pool)
        busiest = max(busiest, len(pool))
        time.sleep(0.005)
    assert checks.runs == 6
    assert busiest <= 2
    assert seen


@pytest.mark.serial
def test_a_full_pool_answers_instead_of_hanging(tmp_path: Path) -> None:
    slow = make_zipcrypto_zip(tmp_path / "slow.zip", {"a.bin": os.urandom(2_000_000)},
                              "infected")
    quick = make_zipcrypto_zip(tmp_path / "quick.zip", {"a.bin": b"x"}, "infected")
    checks = SampleChecks(workers=1, budget_seconds=0.3)
    def check_slow() -> None:
        with pytest.raises(Invalid):
            checks.check("sha-slow", str(slow), "slow.zip", "infected", None)

    busy = threading.Thread(target=check_slow)
    busy.start()
    time.sleep(0.05)
    started = time.monotonic()
    with pytest.raises(Invalid, match="waiting its turn"):
        checks.check("sha-quick", str(quick), "quick.zip", "infected", None, wait=0.05)
    assert time.monotonic() - started < 1
    busy.join()
    checks.check("sha-quick", str(quick), "quick.zip", "infected", None)  # its turn came


@pytest.mark.serial
def test_a_long_check_goes_on_while_the_user_is_told_and_then_notified(tmp_path: Path) -> None:
    from sqlmodel import select

    from flows.model import Inbound
    from store.tables import ChatNotice
    from tests.unit.flowkit import PROFILES, Talk, fresh_service, seeded_home

    service = fresh_service(seeded_home(tmp_path, PROFILES[:1]), tmp_path / "home")
    service.samples.answer_wait = 0.05  # a chat event waits this long, then goes on
    talk = Talk(service)
    talk.start()
    talk.say("Windows 10", "Collected Threat Sample Analysis",
             "Conventional Scan (Virus Pattern)", "Sample from HR", "It spreads.", "infected")
    assert talk.prompt is not None
    assert talk.prompt.step == "attachments"
    slow = make_zipcrypto_zip(tmp_path / "slow.zip", {"a.bin": os.urandom(1_500_000)},
                              "infected")
    ref = service.files.put_path(slow, "slow.zip")
    started = time.monotonic()
    told = talk.send(Inbound(kind="file", file=ref))
    assert time.monotonic() - started < 0.5  # the serving thread did not wait for the check
    assert "slow.zip is being checked" in told[0].text
    early = talk.say("done")
    assert "still" in early[-1].text or "being checked" in (early[-1].error or "")
    deadline = time.monotonic() + 30
    notices: list[ChatNotice] = []
    while not notices and time.monotonic() < deadline:  # the verdict arrives as a notice
        time.sleep(0.05)
        with unit_of_work(service.engine) as s:
            notices = list(s.session.exec(select(ChatNotice)).all())
    [notice] = notices
    assert notice.text.startswith("slow.zip passed the sample check")
    assert notice.external_id == talk.who.external_id
    talk.say("done")
    assert talk.prompt is not None
    assert talk.prompt.step != "attachments"

