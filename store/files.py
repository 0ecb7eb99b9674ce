"""Attachment bytes, stored once under their sha256 beneath CASEBOT_HOME.

Writes go to a temporary file in the same folder and are renamed into place, so a crash never
leaves a half file under a real hash. The folder is never served over HTTP; folders are 0700
and files 0600 (samples are live malware and customer data).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from flows.errors import Invalid
from flows.model import FileRef
from store.db import private_dir

CHUNK = 1024 * 1024


class BlobStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put_path(self, path: str | Path, name: str | None = None) -> FileRef:
        source = Path(path).expanduser()
        if not source.is_file():
            raise Invalid(f"There is no file at {source}. Check the path and try again.")
        self._check_size(source.stat().st_size, name or source.name)
        with source.open("rb") as fh:
            return self.put_stream(fh, name or source.name)

    def put_bytes(self, data: bytes, name: str) -> FileRef:
        return self.put_chunks([data], name)

    def put_stream(self, stream: BinaryIO, name: str) -> FileRef:
        return self.put_chunks(iter(lambda: stream.read(CHUNK), b""), name)

    def put_chunks(self, chunks: Iterable[bytes], name: str) -> FileRef:
        private_dir(self.root)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    self._check_size(size, name)
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            final = self.path_for(sha)
            private_dir(final.parent)
            os.chmod(tmp, 0o600)  # mkstemp's mode already; said here so nobody loosens it
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return FileRef(name=_safe_name(name), size=size, sha256=sha, path=str(final))

    def _check_size(self, size: int, name: str) -> None:
        if size > self.max_bytes:
            raise Invalid(f"{name} is larger than the {self.max_bytes // (1024 * 1024)} MB "
                          "limit. Compress it, split it, or share it through the support "
                          "portal's large-file upload.")


def _safe_name(name: str) -> str:
    """Keep only the last path part and printable characters of a user-given file name."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip() or "file"
    return cleaned[:255]
