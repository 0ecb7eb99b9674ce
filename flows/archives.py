"""Checks on customer sample archives, done without ever extracting a file to disk.

Threat and spam samples must arrive as password-protected zips so that no scanner or mail
gateway on the way trips over them, and so support can open them with the password given.
Archives come from strangers, so sizes are judged from the central directory before any byte
is decompressed, and the decompressed stream is counted and thrown away.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pyzipper

from flows.errors import Invalid, quoted

CHUNK = 64 * 1024
MAX_MEMBERS = 10_000
# Members this small are harmless whatever their ratio (text compresses very well).
RATIO_MIN_SIZE = 64 * 1024
WZ_AES_METHOD = 99
_BAD_ZIP = (zipfile.BadZipFile, pyzipper.BadZipFile)
_HOW_TO_ZIP = ("Put the samples in a password-protected zip, e.g. with 7-Zip "
               "(password: infected), and send that.")


@dataclass(frozen=True)
class ArchiveReport:
    members: tuple[str, ...]
    total_uncompressed: int
    encryption: str  # "zipcrypto" | "aes" | "mixed"


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(quoted(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.1f} MB" if n < 1024**3 else f"{n / 1024**3:,.2f} GB"


def _is_aes(info: zipfile.ZipInfo) -> bool:
    # pyzipper reports the inner compression method and keeps the AES details separately.
    return getattr(info, "wz_aes_vendor_id", None) is not None \
        or info.compress_type == WZ_AES_METHOD


def check_sample_zip(
    path: str | Path,
    password: str,
    *,
    max_uncompressed: int = 1024**3,
    max_ratio: int = 200,
    member_suffixes: tuple[str, ...] | None = None,
    name: str | None = None,
) -> ArchiveReport:
    """Check that a sample zip is fully encrypted, opens with `password`, and is not a bomb.

    `name` is what the user called the file; stored blobs are named by their hash.
    """
    path = Path(path)
    label = quoted(name or path.name)
    if not password:
        raise Invalid("Enter the zip's password (often 'infected').")
    try:
        zf = pyzipper.AESZipFile(path)
    except (*_BAD_ZIP, EOFError, struct.error, ValueError, OverflowError):
        raise Invalid(f"{label} is not a zip archive. {_HOW_TO_ZIP}") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if not infos:
            raise Invalid(f"{label} has no files in it. {_HOW_TO_ZIP}")
        if len(infos) > MAX_MEMBERS:
            raise Invalid(f"{label} has {len(infos):,} files; the limit is {MAX_MEMBERS:,}. "
                          "Split the samples into several zips.")

        plain = [i.filename for i in infos if not i.flag_bits & 0x1]
        if plain:
            noun = "is" if len(plain) == 1 else "are"
            raise Invalid(
                f"In {label}, {_names(plain)} {noun} not password-protected. Every file in a "
                "sample zip must be encrypted: re-create the zip with a password "
                "(e.g. 7-Zip, password: infected) and send it again."
            )

        if member_suffixes:
            wanted = tuple(s.lower() for s in member_suffixes)
            wrong = [i.filename for i in infos if not i.filename.lower().endswith(wanted)]
            if wrong:
                kinds = ", ".join(member_suffixes)
                raise Invalid(
                    f"In {label}, {_names(wrong)} {'is' if len(wrong) == 1 else 'are'} not an "
                    f"accepted file type. Put only {kinds} files in this zip."
                )

        total = sum(i.file_size for i in infos)
        if total > max_uncompressed:
            raise Invalid(
                f"{label} would unpack to {_mb(total)}; the limit is {_mb(max_uncompressed)}. "
                "Send fewer or smaller samples per zip."
            )
        for info in infos:
            if info.file_size > RATIO_MIN_SIZE and (
                info.compress_size <= 0 or info.file_size / info.compress_size > max_ratio
            ):
                raise Invalid(
                    f"In {label}, {quoted(info.filename)} claims to unpack from "
                    f"{info.compress_size:,} to {info.file_size:,} bytes, which looks like a zip "
                    "bomb. Zip the original files again and send that."
                )

        pwd = password.encode("utf-8")
        produced = 0
        for info in infos:
            name = quoted(info.filename)
            seen = 0
            try:
                with zf.open(info, pwd=pwd) as stream:
                    while chunk := stream.read(CHUNK):
                        seen += len(chunk)
                        produced += len(chunk)
                        if seen > info.file_size or produced > max_uncompressed:
                            raise Invalid(
                                f"In {label}, {name} unpacks to more than it declares. "
                                "The zip is damaged or crafted; zip the samples again."
                            )
            except Invalid:
                raise
            except RuntimeError as exc:
                if "password" in str(exc).lower():
                    raise Invalid(
                        f"The password you gave does not open {name} in {label}. "
                        "Check the password (it is case-sensitive) and send it again."
                    ) from None
                raise Invalid(f"{label} could not be read ({exc}). Zip the samples again.") \
                    from None
            except NotImplementedError:
                raise Invalid(
                    f"In {label}, {name} uses a compression method casebot cannot read. "
                    "Re-create the zip using Deflate or Store (e.g. the 7-Zip 'zip' format)."
                ) from None
            except (*_BAD_ZIP, zlib.error, EOFError, struct.error, ValueError) as exc:
                raise Invalid(
                    f"{name} in {label} could not be unpacked with the password you gave "
                    f"({exc}). Either the password is wrong or the zip is damaged: check the "
                    "password, or zip the samples again."
                ) from None
            if seen != info.file_size:
                raise Invalid(
                    f"In {label}, {name} unpacks to a different size than it declares. "
                    "The zip is damaged; zip the samples again."
                )

        aes = {_is_aes(i) for i in infos}
        encryption = "mixed" if len(aes) == 2 else ("aes" if True in aes else "zipcrypto")
        return ArchiveReport(
            members=tuple(i.filename for i in infos),
            total_uncompressed=total,
            encryption=encryption,
        )
