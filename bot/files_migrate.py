"""`casebot files migrate`: the attachment folder's files copied into the database store.

Each file is streamed into the database under the sha256 its name says, in its own
transaction, and must hash to that name on the way in (a file that does not is corrupt: it is
reported and skipped, nothing of it kept); what was written is then read back and hashed. A
file already in the database is skipped, so a rerun does nothing and an interrupted run goes
on where it stopped. The folder stays as it is unless `remove` (then each file goes once its
copy is verified, or found present).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flows.errors import Invalid
from store.blobs import CHUNK, SHA256, Blobs, sha256_of
from store.blobs.local import LocalBlobs

PROGRESS_FILES = 100  # a progress line at least this often (files) ...
PROGRESS_SECONDS = 5.0  # ... or this often (seconds), whichever comes first


@dataclass
class Migration:
    """What a run did (or, dry, would do), counted as it goes."""

    total: int = 0  # files in the folder
    total_bytes: int = 0
    seen: int = 0
    seen_bytes: int = 0
    copied: int = 0
    copied_bytes: int = 0
    present: int = 0  # in the database already
    removed: int = 0  # deleted from the folder (`remove`)
    corrupt: list[str] = field(default_factory=list)  # bytes that do not match their name
    strange: list[str] = field(default_factory=list)  # not named by a sha256: left alone


Progress = Callable[[Migration], None]


def migrate_files(source: LocalBlobs, target: Blobs, *, dry_run: bool = False,
                  remove: bool = False, progress: Progress | None = None) -> Migration:
    found = list(source.stored())
    done = Migration(total=len(found), total_bytes=sum(size for _, size in found))
    told = time.monotonic()
    for sha, size in found:
        done.seen += 1
        done.seen_bytes += size
        if not SHA256.fullmatch(sha):
            done.strange.append(sha)
        elif target.exists(sha):
            done.present += 1
            if remove and not dry_run:
                source.remove(sha)
                done.removed += 1
        elif _copy(source, target, sha, dry_run):
            done.copied += 1
            done.copied_bytes += size
            if remove and not dry_run:
                source.remove(sha)
                done.removed += 1
        else:
            done.corrupt.append(sha)
        if progress is not None and (done.seen % PROGRESS_FILES == 0
                                     or time.monotonic() - told >= PROGRESS_SECONDS):
            progress(done)
            told = time.monotonic()
    if progress is not None:
        progress(done)
    return done


def _copy(source: LocalBlobs, target: Blobs, sha: str, dry_run: bool) -> bool:
    """Copy one file (dry: only hash it); False when its bytes do not match its name."""
    try:
        with source.open(sha) as fh:
            chunks = iter(lambda: fh.read(CHUNK), b"")
            if dry_run:
                return sha256_of(chunks) == sha
            target.put_counted(chunks, sha, expect=sha)
    except Invalid:
        return False
    except FileNotFoundError:  # pruned meanwhile
        return False
    if sha256_of(target.chunks(sha)) != sha:  # read back what was written
        target.remove(sha)
        return False
    return True
