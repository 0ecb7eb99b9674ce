"""Checks on customer sample archives, done without ever extracting a file to disk.

Threat and spam samples must arrive as password-protected zips so that no scanner or mail
gateway on the way trips over them, and so support can open them with the password given.
Archives come from strangers, so the central directory is walked by a bounded reader of our
own before any library opens the zip (a 14 MB zip can list 300,000 entries; a crafted one can
claim 1 entry in its classic end record and millions in its ZIP64 one), sizes are judged
from the central directory before any byte is decompressed, the decompressed stream is
counted and thrown away, and a check that runs past its `deadline` stops (pure-Python
ZipCrypto reads ~1.7 MB/s).
"""

from __future__ import annotations

import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from flows.errors import Invalid, quoted
from flows.i18n import Msg, _, ngettext

if TYPE_CHECKING:
    import pyzipper

CHUNK = 64 * 1024
MAX_MEMBERS = 10_000
# A central directory entry is 46 bytes plus its name, extra field and comment: 10,000 members
# with generous names fit in well under this; a directory bigger than it is not worth parsing.
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 400
EOCD = b"PK\x05\x06"
EOCD64_LOCATOR = b"PK\x06\x07"
EOCD64 = b"PK\x06\x06"
# Members this small are harmless whatever their ratio (text compresses very well).
RATIO_MIN_SIZE = 64 * 1024
WZ_AES_METHOD = 99
_HOW_TO_ZIP = _("Put the samples in a password-protected zip, e.g. with 7-Zip (password: "
                "infected), and send that.")


@dataclass(frozen=True)
class ArchiveReport:
    members: tuple[str, ...]
    total_uncompressed: int
    encryption: str  # "zipcrypto" | "aes" | "mixed"


def _names(names: list[str], limit: int = 5) -> str | Msg:
    shown = ", ".join(quoted(n) for n in names[:limit])
    return _("{names} and {n} more", names=shown, n=len(names) - limit) \
        if len(names) > limit else shown


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.1f} MB" if n < 1024**3 else f"{n / 1024**3:,.2f} GB"


def _is_aes(info: zipfile.ZipInfo) -> bool:
    # pyzipper reports the inner compression method and keeps the AES details separately.
    return getattr(info, "wz_aes_vendor_id", None) is not None \
        or info.compress_type == WZ_AES_METHOD


@dataclass(frozen=True)
class Directory:
    """What a zip's central directory lists, read by `read_directory` (no library involved)."""

    entries: int
    total_uncompressed: int


class Crafted(Exception):
    """The zip's records contradict each other: refused unread."""


class TooMany(Exception):
    """The zip lists more entries (or a bigger directory) than a sample zip may have."""

    def __init__(self, entries: int) -> None:
        super().__init__(entries)
        self.entries = entries


_CDH = struct.Struct("<4s6H3I5H2I")  # central directory file header, 46 bytes
CDH_SIG = b"PK\x01\x02"
ZIP64_EXTRA = 0x0001


def _end_records(fh: BinaryIO, size: int) -> tuple[int, int, int] | None:
    """(entries, central directory bytes, where the directory starts) from the end records.

    The classic record and the ZIP64 one (when its locator is there) must agree: a field
    the classic record leaves at its 0xFFFF/0xFFFFFFFF marker is taken from ZIP64, any other
    difference is a crafted zip (libraries follow the ZIP64 record whatever the classic one
    says, so checking only the classic one lets a zip claim 1 entry and hold millions).
    """
    tail_start = max(0, size - (65_535 + 22 + 20))
    fh.seek(tail_start)
    tail = fh.read()
    at = tail.rfind(EOCD)
    if at < 0 or len(tail) - at < 22:
        return None
    _, _, _, on_disk, entries, cd_bytes, _, _ = struct.unpack("<4sHHHHIIH", tail[at:at + 22])
    end_at = tail_start + at  # the directory ends where its end record starts
    loc = at - 20
    if loc >= 0 and tail[loc:loc + 4] == EOCD64_LOCATOR:
        offset = struct.unpack("<Q", tail[loc + 8:loc + 16])[0]
        if offset + 56 > tail_start + loc:
            raise Crafted("ZIP64 record out of place")
        fh.seek(offset)
        rec = fh.read(56)
        if rec[:4] != EOCD64:
            raise Crafted("ZIP64 locator without a record")
        on_disk64, entries64, cd_bytes64 = struct.unpack("<QQQ", rec[24:48])
        for classic, marker, wide in ((on_disk, 0xFFFF, on_disk64), (entries, 0xFFFF, entries64),
                                      (cd_bytes, 0xFFFFFFFF, cd_bytes64)):
            if classic != marker and classic != wide:
                raise Crafted("classic and ZIP64 records disagree")
        entries, cd_bytes, end_at = entries64, cd_bytes64, offset
    if entries > MAX_MEMBERS or cd_bytes > MAX_DIRECTORY_BYTES:
        raise TooMany(entries)
    start = end_at - cd_bytes
    if start < 0:
        raise Crafted("directory before the file's start")
    return entries, cd_bytes, start


def _uncompressed(header: tuple[int, ...], extra: bytes) -> int:
    """A member's declared size, from its ZIP64 extra field when the header says so."""
    size = header[9]
    if size != 0xFFFFFFFF:
        return size
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack("<HH", extra[at:at + 4])
        if kind == ZIP64_EXTRA and length >= 8:
            return int(struct.unpack("<Q", extra[at + 4:at + 12])[0])
        at += 4 + length
    raise Crafted("ZIP64 size missing")


def read_directory(path: str | Path) -> Directory | None:
    """Count a zip's members and their declared sizes by walking its central directory,
    bounded by MAX_MEMBERS and MAX_DIRECTORY_BYTES, before any library opens the file.
    None: not a zip. `Crafted`: the records disagree with each other or with the directory;
    `TooMany`: over the limits.
    """
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        ends = _end_records(fh, fh.tell())
        if ends is None:
            return None
        entries, cd_bytes, start = ends
        fh.seek(start)
        data = fh.read(cd_bytes)
    if len(data) != cd_bytes:
        raise Crafted("directory cut short")
    count = total = at = 0
    while at < len(data):
        if data[at:at + 4] != CDH_SIG or at + _CDH.size > len(data):
            raise Crafted("not a directory entry")
        header = _CDH.unpack_from(data, at)
        names, extra_len, comment = header[10], header[11], header[12]
        extra_at = at + _CDH.size + names
        total += _uncompressed(header, data[extra_at:extra_at + extra_len])
        at = extra_at + extra_len + comment
        count += 1
        if count > MAX_MEMBERS:
            raise TooMany(count)
    if count != entries:
        raise Crafted("the end record and the directory disagree")
    return Directory(count, total)


def check_sample_zip(
    path: str | Path,
    password: str,
    *,
    max_uncompressed: int = 1024**3,
    max_ratio: int = 200,
    member_suffixes: tuple[str, ...] | None = None,
    name: str | None = None,
    deadline: float | None = None,
) -> ArchiveReport:
    """Check that a sample zip is fully encrypted, opens with `password`, and is not a bomb.

    `name` is what the user called the file; stored blobs are named by their hash.
    `deadline` (a `time.monotonic()` value) stops a check that runs too long.
    Cheapest first: the directory as listed (no library), each member's declared headers,
    then every byte decrypted and counted.
    """
    path = Path(path)
    label = quoted(name or path.name)
    if not password:
        raise Invalid(_("Enter the zip's password (often 'infected')."))
    _check_listing(path, label, max_uncompressed)
    import pyzipper  # here, not at the top: its AES crypto is a tenth of a `casebot` start

    try:
        zf = pyzipper.AESZipFile(path)
    except (zipfile.BadZipFile, pyzipper.BadZipFile, EOFError, struct.error, ValueError,
            OverflowError):
        raise Invalid(_("{label} is not a zip archive. {how}", label=label,
                        how=_HOW_TO_ZIP)) from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        _check_headers(infos, label, member_suffixes)
        total = _check_sizes(infos, label, max_uncompressed, max_ratio)
        produced = 0
        pwd = password.encode("utf-8")
        for info in infos:
            produced += _decrypt(zf, info, pwd, label, produced, max_uncompressed, deadline)
        aes = {_is_aes(i) for i in infos}
        encryption = "mixed" if len(aes) == 2 else ("aes" if True in aes else "zipcrypto")
        return ArchiveReport(
            members=tuple(i.filename for i in infos),
            total_uncompressed=total,
            encryption=encryption,
        )


def _check_listing(path: Path, label: str, max_uncompressed: int) -> None:
    """The central directory as casebot's own reader finds it, before any library opens it."""
    try:
        listed = read_directory(path)
    except (OSError, struct.error):
        listed = None
    except TooMany as exc:
        raise Invalid(_("{label} lists {entries:,} entries; the limit is {limit:,}. Split "
                        "the samples into several zips.", label=label, entries=exc.entries,
                        limit=MAX_MEMBERS)) from None
    except Crafted:
        raise Invalid(_("{label} is damaged or crafted: its records contradict each other. "
                        "Zip the samples again.", label=label)) from None
    if listed is None:
        raise Invalid(_("{label} is not a zip archive. {how}", label=label, how=_HOW_TO_ZIP))
    if listed.total_uncompressed > max_uncompressed:
        raise Invalid(_too_big(label, listed.total_uncompressed, max_uncompressed))


def _too_big(label: str, total: int, limit: int) -> Msg:
    return _("{label} would unpack to {size}; the limit is {limit}. Send fewer or smaller "
             "samples per zip.", label=label, size=_mb(total), limit=_mb(limit))


def _check_headers(infos: list[zipfile.ZipInfo], label: str,
                   member_suffixes: tuple[str, ...] | None) -> None:
    """Some files, every one encrypted, each of an accepted type."""
    if not infos:
        raise Invalid(_("{label} has no files in it. {how}", label=label, how=_HOW_TO_ZIP))
    if len(infos) > MAX_MEMBERS:
        raise Invalid(_("{label} has {files:,} files; the limit is {limit:,}. Split the "
                        "samples into several zips.", label=label, files=len(infos),
                        limit=MAX_MEMBERS))
    plain = [i.filename for i in infos if not i.flag_bits & 0x1]
    if plain:
        raise Invalid(ngettext(
            "In {label}, {names} is not password-protected. Every file in a sample zip must "
            "be encrypted: re-create the zip with a password (e.g. 7-Zip, password: infected) "
            "and send it again.",
            "In {label}, {names} are not password-protected. Every file in a sample zip must "
            "be encrypted: re-create the zip with a password (e.g. 7-Zip, password: infected) "
            "and send it again.", len(plain), label=label, names=_names(plain)))
    if member_suffixes:
        wanted = tuple(s.lower() for s in member_suffixes)
        wrong = [i.filename for i in infos if not i.filename.lower().endswith(wanted)]
        if wrong:
            kinds = ", ".join(member_suffixes)
            raise Invalid(ngettext(
                "In {label}, {names} is not an accepted file type. Put only {kinds} files in "
                "this zip.",
                "In {label}, {names} are not an accepted file type. Put only {kinds} files in "
                "this zip.", len(wrong), label=label, names=_names(wrong), kinds=kinds))


def _check_sizes(infos: list[zipfile.ZipInfo], label: str, max_uncompressed: int,
                 max_ratio: int) -> int:
    """The declared sizes: in total under the limit, no member a bomb. Returns the total."""
    total = sum(i.file_size for i in infos)
    if total > max_uncompressed:
        raise Invalid(_too_big(label, total, max_uncompressed))
    for info in infos:
        if info.file_size > RATIO_MIN_SIZE and (
            info.compress_size <= 0 or info.file_size / info.compress_size > max_ratio
        ):
            raise Invalid(_(
                "In {label}, {name} claims to unpack from {packed:,} to {size:,} bytes, which "
                "looks like a zip bomb. Zip the original files again and send that.",
                label=label, name=quoted(info.filename), packed=info.compress_size,
                size=info.file_size))
    return total


def _decrypt(zf: pyzipper.AESZipFile, info: zipfile.ZipInfo, pwd: bytes, label: str,
             produced: int, max_uncompressed: int, deadline: float | None) -> int:
    """Decrypt one member, counting and discarding its bytes; returns how many it gave."""
    import pyzipper

    name = quoted(info.filename)
    seen = 0
    try:
        with zf.open(info, pwd=pwd) as stream:
            while chunk := stream.read(CHUNK):
                if deadline is not None and time.monotonic() > deadline:
                    raise Invalid(_(
                        "{label} takes too long to check (its encryption is slow to read). "
                        "Zip the samples again with AES-256 (7-Zip: Encryption method "
                        "AES-256), or send fewer files per zip.", label=label))
                seen += len(chunk)
                if seen > info.file_size or produced + seen > max_uncompressed:
                    raise Invalid(_(
                        "In {label}, {name} unpacks to more than it declares. The zip is "
                        "damaged or crafted; zip the samples again.", label=label, name=name))
    except Invalid:
        raise
    except RuntimeError as exc:
        if "password" in str(exc).lower():
            raise Invalid(_(
                "The password you gave does not open {name} in {label}. Check the password "
                "(it is case-sensitive) and send it again.", name=name, label=label)) from None
        raise Invalid(_("{label} could not be read ({error}). Zip the samples again.",
                        label=label, error=str(exc))) from None
    except NotImplementedError:
        raise Invalid(_(
            "In {label}, {name} uses a compression method casebot cannot read. Re-create the "
            "zip using Deflate or Store (e.g. the 7-Zip 'zip' format).", label=label,
            name=name)) from None
    except (zipfile.BadZipFile, pyzipper.BadZipFile, zlib.error, EOFError, struct.error,
            ValueError) as exc:
        raise Invalid(_(
            "{name} in {label} could not be unpacked with the password you gave ({error}). "
            "Either the password is wrong or the zip is damaged: check the password, or zip "
            "the samples again.", name=name, label=label, error=str(exc))) from None
    if seen != info.file_size:
        raise Invalid(_(
            "In {label}, {name} unpacks to a different size than it declares. The zip is "
            "damaged; zip the samples again.", label=label, name=name))
    return seen
