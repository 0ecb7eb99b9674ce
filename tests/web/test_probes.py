"""Issue 26: a real `casebot web` answers its load balancer's probes without a session, and
stops cleanly (exit 0) on SIGTERM."""

from __future__ import annotations

import httpx

from tests.web.conftest import Console


def test_probes_and_a_clean_stop(console: Console) -> None:
    with console.client() as c:
        healthz = c.get("/healthz")
        assert (healthz.status_code, healthz.text) == (200, "ok")
        readyz = c.get("/readyz")
        assert (readyz.status_code, readyz.json()) == (200, {"ready": True})
        assert "set-cookie" not in readyz.headers
        assert c.get("/").status_code in (302, 303)  # everything else still signed in only
    assert console.proc is not None
    console.proc.terminate()
    assert console.proc.wait(15) == 0
    try:
        httpx.get(console.url + "/healthz", timeout=1)
        raise AssertionError("still serving after SIGTERM")
    except httpx.TransportError:
        pass
