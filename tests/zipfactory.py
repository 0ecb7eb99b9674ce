"""Build test zip archives in pure Python: AES, ZipCrypto, plain, and hand-crafted headers.

pyzipper writes only AES and the stdlib writes no encryption at all, so ZipCrypto (what most
customers' tools produce) is written here by hand, following APPNOTE.TXT section 6.1.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyzipper

__all__ = [
    "EncryptedZipMaker",
    "RawMember",
    "make_aes_zip",
    "make_mixed_zip",
    "make_plain_zip",
    "make_raw_zip",
    "make_zipcrypto_zip",
    "zipcrypto_encrypt",
]

# make_aes_zip and make_zipcrypto_zip, for tests run once per encryption: (path, members, password)
EncryptedZipMaker = Callable[[str | Path, dict[str, bytes], str | bytes], Path]


def make_aes_zip(path: str | Path, members: dict[str, bytes], password: str | bytes) -> Path:
    """WinZip AES-256 zip, deflated."""
    path = Path(path)
    pwd = password.encode() if isinstance(password, str) else password
    with pyzipper.AESZipFile(path, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(pwd)
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def make_plain_zip(path: str | Path, members: dict[str, bytes]) -> Path:
    """An ordinary unencrypted zip."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


# ---------------------------------------------------------------------------- ZipCrypto

def _crc_byte(crc: int, b: int) -> int:
    return zlib.crc32(bytes([b]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


class _ZipCryptoKeys:
    def __init__(self, password: bytes) -> None:
        self.k0, self.k1, self.k2 = 0x12345678, 0x23456789, 0x34567890
        for b in password:
            self.update(b)

    def update(self, b: int) -> None:
        self.k0 = _crc_byte(self.k0, b)
        self.k1 = ((self.k1 + (self.k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        self.k2 = _crc_byte(self.k2, (self.k1 >> 24) & 0xFF)

    def stream_byte(self) -> int:
        temp = (self.k2 | 2) & 0xFFFF
        return ((temp * (temp ^ 1)) >> 8) & 0xFF


def zipcrypto_encrypt(data: bytes, password: bytes, crc: int) -> bytes:
    """12-byte header (last byte = CRC high byte, as no data descriptor is used) + data."""
    keys = _ZipCryptoKeys(password)
    header = os.urandom(11) + bytes([(crc >> 24) & 0xFF])
    out = bytearray()
    for p in header + data:
        out.append(p ^ keys.stream_byte())
        keys.update(p)
    return bytes(out)


@dataclass
class RawMember:
    """One entry written verbatim: `payload` is what goes on disk after the local header."""

    name: str
    payload: bytes
    crc: int
    file_size: int
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0
    extra: bytes = b""


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def make_raw_zip(path: str | Path, members: list[RawMember]) -> Path:
    """Write local headers, central directory and end record exactly as given (sizes may lie)."""
    path = Path(path)
    body = bytearray()
    central = bytearray()
    for m in members:
        name = m.name.encode("utf-8")
        flags = m.flags | 0x800  # UTF-8 names
        offset = len(body)
        body += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, flags, m.method, 0, 0x21,
            m.crc, len(m.payload), m.file_size, len(name), len(m.extra),
        ) + name + m.extra + m.payload
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, m.method, 0, 0x21,
            m.crc, len(m.payload), m.file_size, len(name), len(m.extra), 0, 0, 0, 0, offset,
        ) + name + m.extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                      len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path


def make_zipcrypto_zip(
    path: str | Path,
    members: dict[str, bytes],
    password: str | bytes,
    *,
    declared_sizes: dict[str, int] | None = None,
) -> Path:
    """Traditional PKWARE (ZipCrypto) encrypted zip, deflated; sizes can be made to lie."""
    pwd = password.encode() if isinstance(password, str) else password
    raw = []
    for name, data in members.items():
        crc = zlib.crc32(data)
        payload = zipcrypto_encrypt(_deflate(data), pwd, crc)
        size = (declared_sizes or {}).get(name, len(data))
        raw.append(RawMember(name, payload, crc, size, zipfile.ZIP_DEFLATED, flags=0x1))
    return make_raw_zip(path, raw)


def _aes_members(members: dict[str, bytes], password: bytes) -> list[RawMember]:
    """AES-encrypt with pyzipper in memory and lift each member's raw bytes out."""
    buf = io.BytesIO()
    with pyzipper.AESZipFile(buf, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(password)
        for name, data in members.items():
            zf.writestr(name, data)
    raw = buf.getvalue()
    out = []
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        for info in zf.infolist():
            start = info.header_offset
            name_len, extra_len = struct.unpack("<HH", raw[start + 26:start + 30])
            method = struct.unpack("<H", raw[start + 8:start + 10])[0]
            data_start = start + 30 + name_len
            extra = raw[data_start:data_start + extra_len]
            payload_start = data_start + extra_len
            payload = raw[payload_start:payload_start + info.compress_size]
            out.append(RawMember(info.filename, payload, info.CRC, info.file_size, method,
                                 flags=info.flag_bits & ~0x800, extra=extra))
    return out


def make_mixed_zip(
    path: str | Path,
    aes_members: dict[str, bytes],
    zipcrypto_members: dict[str, bytes],
    password: str | bytes,
) -> Path:
    """Some members AES, some ZipCrypto, same password (as some tools produce when appending)."""
    pwd = password.encode() if isinstance(password, str) else password
    raw = _aes_members(aes_members, pwd)
    for name, data in zipcrypto_members.items():
        crc = zlib.crc32(data)
        raw.append(RawMember(name, zipcrypto_encrypt(_deflate(data), pwd, crc), crc, len(data),
                             flags=0x1))
    return make_raw_zip(path, raw)
