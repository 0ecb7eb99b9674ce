"""`/healthz` and `/readyz` for the console's load balancer, answered before the session and
sign-in middleware (no cookie, no operator look-up: `/healthz` makes no database call).

`/healthz`: 200 while the process runs. `/readyz`: 200 when the database answers within a
short timeout and its schema is at head (store/health.py), else 503 with one line of JSON
saying why; the check runs off the event loop.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from store.health import Readiness

PROBES = ("/healthz", "/readyz")


class HealthProbes:
    """ASGI middleware: the two probes here, everything else to `app`."""

    def __init__(self, app: ASGIApp, readiness: Readiness) -> None:
        self.app = app
        self.readiness = readiness

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in PROBES:
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/healthz":
            await _answer(send, 200, b"text/plain", b"ok")
            return
        reason = await run_in_threadpool(self.readiness.check)
        if reason is None:
            await _answer(send, 200, b"application/json", b'{"ready": true}')
        else:
            await _answer(send, 503, b"application/json",
                          json.dumps({"ready": False, "reason": reason}).encode())


async def _answer(send: Send, status: int, kind: bytes, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})
