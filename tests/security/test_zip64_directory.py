"""Issue 22, finding 1: a zip claiming 1 entry in its classic end record and hundreds of
thousands in its ZIP64 record passed the entry-count pre-check (which read ZIP64 only when the
classic fields held their 0xFFFF marker), and pyzipper, which follows the ZIP64 record, then
listed every entry: 103 MB took 10.7 s and 984 MB per check. Now the central directory is
walked by casebot's own bounded reader, classic and ZIP64 records must agree, and the zip is
refused before any library opens it."""

from __future__ import annotations

import struct
import time
import tracemalloc
from pathlib import Path

import pytest

from flows.archives import Crafted, TooMany, check_sample_zip, read_directory
from flows.errors import Invalid
from tests.zipfactory import make_zipcrypto_zip


def _directory(entries: int) -> bytes:
    out = bytearray()
    for i in range(entries):
        name = f"{i:06d}".encode()
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0x1, 0, 0, 0x21,
                           0, 12, 0, len(name), 0, 0, 0, 0, 0, 0) + name
    return bytes(out)


def zip64_liar(path: Path, entries: int, classic_entries: int = 1,
               classic_size: int | None = None) -> Path:
    """All central directory: `entries` members, listed by a ZIP64 end record, while the
    classic end record claims `classic_entries` and a small directory."""
    central = _directory(entries)
    eocd64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, entries, entries,
                         len(central), 0)
    locator = struct.pack("<IIQI", 0x07064B50, 0, len(central), 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, classic_entries, classic_entries,
                      46 if classic_size is None else classic_size, 0, 0)
    path.write_bytes(central + eocd64 + locator + end)
    return path


def test_a_zip64_record_that_contradicts_the_classic_one_is_refused_unread(
        tmp_path: Path) -> None:
    crafted = zip64_liar(tmp_path / "liar.zip", 400_000)
    assert crafted.stat().st_size > 18_000_000
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(Invalid, match="contradict each other"):
            check_sample_zip(crafted, "infected")
        took = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"\nZIP64 liar (400k entries, 1 claimed) refused in {took:.3f} s, "
          f"peak {peak / 2**20:.1f} MiB")
    assert took < 1.0
    assert peak < 64 * 2**20


def test_zip64_counts_are_read_even_when_the_classic_record_has_no_marker(
        tmp_path: Path) -> None:
    with pytest.raises(Crafted):
        read_directory(zip64_liar(tmp_path / "a.zip", 20, classic_entries=1))
    # the ZIP64 record agreeing with a marker-holding classic one is an honest big zip
    honest = zip64_liar(tmp_path / "b.zip", 20, classic_entries=0xFFFF,
                        classic_size=0xFFFFFFFF)
    found = read_directory(honest)
    assert found is not None
    assert found.entries == 20
    with pytest.raises(TooMany):
        read_directory(zip64_liar(tmp_path / "c.zip", 10_001, classic_entries=0xFFFF,
                                  classic_size=0xFFFFFFFF))


def test_an_end_record_that_disagrees_with_the_directory_is_refused(tmp_path: Path) -> None:
    central = _directory(5)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(central), 0, 0)
    path = tmp_path / "short.zip"
    path.write_bytes(central + end)
    with pytest.raises(Crafted):
        read_directory(path)


def test_an_honest_zip_reads_its_members_and_sizes(tmp_path: Path) -> None:
    path = make_zipcrypto_zip(tmp_path / "ok.zip", {"a.exe": b"x" * 1000, "b.exe": b"y" * 10},
                              "infected")
    found = read_directory(path)
    assert found is not None
    assert (found.entries, found.total_uncompressed) == (2, 1010)
    assert check_sample_zip(path, "infected").total_uncompressed == 1010
