"""axe-core, the accessibility rules engine, from the npm registry, for the browser tests.

One pinned version, checked against the registry's published sha512 before it is used, kept
under `.venv/share/axe-core/` so it is fetched once per environment. `.ci/run` fetches it
first (`python -m tests.web.axe`) and sets `CASEBOT_REQUIRE_AXE=1`, which makes a missing
axe-core a failure there instead of a skip.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "4.10.3"
# the registry's `dist.integrity` for axe-core-4.10.3.tgz
INTEGRITY = ("sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZ"
             "vGfTs/PbZhideTcEg==")
REGISTRY = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")
CACHE = Path(sys.prefix) / "share" / "axe-core" / VERSION / "axe.min.js"


def _verified(blob: bytes) -> bytes:
    algorithm, _, digest = INTEGRITY.partition("-")
    if base64.b64encode(hashlib.new(algorithm, blob).digest()).decode() != digest:
        raise RuntimeError(f"axe-core {VERSION} from {REGISTRY} does not match its published "
                           "integrity: refusing to run it")
    return blob


def fetch(timeout: float = 60) -> Path:
    """The path of axe.min.js, downloaded (and verified) on first use."""
    if CACHE.is_file():
        return CACHE
    url = f"{REGISTRY}/axe-core/-/axe-core-{VERSION}.tgz"
    with urllib.request.urlopen(url, timeout=timeout) as response:
        blob = _verified(response.read())
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        member = tar.extractfile("package/axe.min.js")
        assert member is not None, "axe-core's package has no axe.min.js"
        source = member.read()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    tmp = CACHE.with_suffix(".tmp")
    tmp.write_bytes(source)
    tmp.replace(CACHE)
    return CACHE


if __name__ == "__main__":
    print(fetch())
