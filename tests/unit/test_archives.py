import re
import zipfile
import zlib
from pathlib import Path

import pytest

from flows.archives import ArchiveReport, check_sample_zip
from flows.errors import Invalid
from tests.zipfactory import (
    EncryptedZipMaker,
    RawMember,
    make_aes_zip,
    make_mixed_zip,
    make_plain_zip,
    make_raw_zip,
    make_zipcrypto_zip,
    zipcrypto_encrypt,
)

SAMPLES = {"dropper.exe": b"MZ" + bytes(range(256)) * 40, "notes/readme.txt": b"hello"}


@pytest.mark.parametrize("password", ["infected", "novirus", "virus", "p\u00e4ss w0rd"])
def test_zipcrypto_zip_passes(tmp_path: Path, password: str) -> None:
    path = make_zipcrypto_zip(tmp_path / "s.zip", SAMPLES, password)
    report = check_sample_zip(path, password)
    assert report == ArchiveReport(
        members=("dropper.exe", "notes/readme.txt"),
        total_uncompressed=sum(len(v) for v in SAMPLES.values()),
        encryption="zipcrypto",
    )


def test_aes_zip_passes(tmp_path: Path) -> None:
    path = make_aes_zip(tmp_path / "s.zip", SAMPLES, "infected")
    report = check_sample_zip(str(path), "infected")
    assert report.encryption == "aes"
    assert report.members == ("dropper.exe", "notes/readme.txt")


def test_mixed_aes_and_zipcrypto_is_reported_as_mixed(tmp_path: Path) -> None:
    path = make_mixed_zip(tmp_path / "m.zip", {"a.bin": b"A" * 100}, {"b.bin": b"B" * 100},
                          "infected")
    report = check_sample_zip(path, "infected")
    assert report.encryption == "mixed"
    assert report.members == ("a.bin", "b.bin")


def test_mixed_zip_wrong_password(tmp_path: Path) -> None:
    path = make_mixed_zip(tmp_path / "m.zip", {"a.bin": b"A" * 100}, {"b.bin": b"B" * 100},
                          "infected")
    with pytest.raises(Invalid, match="password"):
        check_sample_zip(path, "virus")


def test_directories_are_ignored(tmp_path: Path) -> None:
    data = b"x" * 10
    crc = zlib.crc32(data)
    path = make_raw_zip(tmp_path / "d.zip", [
        RawMember("dir/", b"", 0, 0, method=zipfile.ZIP_STORED),
        RawMember("dir/a.exe", zipcrypto_encrypt(data, b"infected", crc), crc, len(data),
                  method=zipfile.ZIP_STORED, flags=0x1),
    ])
    assert check_sample_zip(path, "infected").members == ("dir/a.exe",)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip at all", b"PK\x03\x04 truncated", b"%PDF-1.7\n" + b"x" * 1000],
)
def test_not_a_zip(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "sample.exe"
    path.write_bytes(content)
    with pytest.raises(Invalid) as exc:
        check_sample_zip(path, "infected")
    message = str(exc.value)
    assert "'sample.exe' is not a zip archive" in message
    assert "password-protected zip" in message
    assert "infected" in message


def test_unencrypted_zip_names_member(tmp_path: Path) -> None:
    path = make_plain_zip(tmp_path / "plain.zip", {"malware.exe": b"MZ" * 10})
    with pytest.raises(Invalid, match=re.escape("'malware.exe' is not password-protected")):
        check_sample_zip(path, "infected")


def test_mixed_zip_with_one_plain_member_names_it(tmp_path: Path) -> None:
    data_enc, data_plain = b"secret" * 10, b"plain" * 10
    crc = zlib.crc32(data_enc)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = zipcrypto_encrypt(comp.compress(data_enc) + comp.flush(), b"infected", crc)
    path = make_raw_zip(tmp_path / "mixed.zip", [
        RawMember("enc.exe", payload, crc, len(data_enc), flags=0x1),
        RawMember("leak.txt", data_plain, zlib.crc32(data_plain), len(data_plain),
                  method=zipfile.ZIP_STORED),
    ])
    with pytest.raises(Invalid) as exc:
        check_sample_zip(path, "infected")
    assert "'leak.txt' is not password-protected" in str(exc.value)
    assert "enc.exe" not in str(exc.value)


def test_empty_zip(tmp_path: Path) -> None:
    path = make_plain_zip(tmp_path / "empty.zip", {})
    with pytest.raises(Invalid, match="has no files"):
        check_sample_zip(path, "infected")


@pytest.mark.parametrize("maker", [make_zipcrypto_zip, make_aes_zip])
@pytest.mark.parametrize("wrong", ["Infected", "virus", "x"])
def test_wrong_password(tmp_path: Path, maker: EncryptedZipMaker, wrong: str) -> None:
    path = maker(tmp_path / "s.zip", SAMPLES, "infected")
    with pytest.raises(Invalid) as exc:
        check_sample_zip(path, wrong)
    message = str(exc.value)
    assert "password" in message
    assert "dropper.exe" in message


def test_empty_password(tmp_path: Path) -> None:
    path = make_zipcrypto_zip(tmp_path / "s.zip", SAMPLES, "infected")
    with pytest.raises(Invalid, match="Enter the zip's password"):
        check_sample_zip(path, "")


def test_zip_bomb_by_declared_ratio(tmp_path: Path) -> None:
    path = make_aes_zip(tmp_path / "bomb.zip", {"zeros.bin": bytes(10 * 1024 * 1024)}, "infected")
    with pytest.raises(Invalid, match="zip bomb"):
        check_sample_zip(path, "infected")


def test_zip_bomb_by_lying_header_is_caught_before_reading(tmp_path: Path) -> None:
    # Declares 500 MB from a few bytes: rejected from the central directory alone.
    path = make_zipcrypto_zip(tmp_path / "bomb.zip", {"a.bin": b"abc"}, "infected",
                              declared_sizes={"a.bin": 500 * 1024 * 1024})
    with pytest.raises(Invalid, match="zip bomb"):
        check_sample_zip(path, "infected")


def test_small_member_with_high_ratio_is_fine(tmp_path: Path) -> None:
    path = make_zipcrypto_zip(tmp_path / "s.zip", {"zeros.bin": bytes(60_000)}, "infected")
    assert check_sample_zip(path, "infected").total_uncompressed == 60_000


def test_total_over_limit(tmp_path: Path) -> None:
    path = make_zipcrypto_zip(tmp_path / "big.zip", {"a": b"a" * 3000, "b": b"b" * 3000},
                              "infected")
    with pytest.raises(Invalid, match="limit is"):
        check_sample_zip(path, "infected", max_uncompressed=5000)
    assert check_sample_zip(path, "infected", max_uncompressed=6000).total_uncompressed == 6000


@pytest.mark.parametrize("declared", [10, 5000])
def test_lying_member_size_is_rejected(tmp_path: Path, declared: int) -> None:
    path = make_zipcrypto_zip(tmp_path / "lie.zip", {"a.bin": bytes(range(256)) * 4}, "infected",
                              declared_sizes={"a.bin": declared})
    with pytest.raises(Invalid, match=re.escape("'a.bin'")):
        check_sample_zip(path, "infected")


@pytest.mark.parametrize("maker", [make_zipcrypto_zip, make_aes_zip])
def test_spam_zip_needs_eml_or_msg(tmp_path: Path, maker: EncryptedZipMaker) -> None:
    path = maker(tmp_path / "spam.zip", {"one.eml": b"From: x", "notes.txt": b"hi"}, "novirus")
    with pytest.raises(Invalid) as exc:
        check_sample_zip(path, "novirus", member_suffixes=(".eml", ".msg"))
    message = str(exc.value)
    assert "'notes.txt'" in message
    assert ".eml, .msg" in message
    assert "one.eml" not in message


def test_spam_zip_suffixes_case_insensitive(tmp_path: Path) -> None:
    path = make_zipcrypto_zip(tmp_path / "spam.zip", {"A.EML": b"From: x", "b.Msg": b"y"},
                              "infected")
    report = check_sample_zip(path, "infected", member_suffixes=(".eml", ".msg"))
    assert report.members == ("A.EML", "b.Msg")


def test_never_writes_to_disk(tmp_path: Path) -> None:
    path = make_zipcrypto_zip(tmp_path / "s.zip", SAMPLES, "infected")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    check_sample_zip(path, "infected")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
