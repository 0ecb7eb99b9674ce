"""What keeps the console's pages for signed-in operators only: the sign-in guard, CSRF tokens,
the cookie key and the response headers. Each rule lives here once.

- `SignInGuard` (ASGI middleware) lets nothing but the sign-in page through without a signed-in
  operator: a page request is sent to /signin, anything else gets 403 (a case's reply form:
  the sign-in page with the typed text kept, web/drafts.py). It looks the operator
  up on every request, so removing an operator, signing out or a new password ends their
  sessions (the cookie carries the operator's session epoch).
- `form_of(request)` is how every POST handler reads its form; it refuses (403) a form whose
  `csrf_token` is not the session's.
- Sessions are Starlette's signed cookie (itsdangerous): HttpOnly, SameSite=Strict, Secure
  with CASEBOT_WEB_HTTPS, 12 hours from sign-in.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import Settings, kept_secret
from store.tables import Operator
from store.uow import unit_of_work
from web.drafts import Draft, draft_of

PUBLIC = frozenset({"/signin"})
SESSION_SECONDS = 12 * 3600
MAX_UPLOAD_FIELDS = 20
HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
     b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


def cookie_secret(settings: Settings) -> str:
    """CASEBOT_WEB_SECRET, or a random key kept (mode 0600) in CASEBOT_HOME/web-secret."""
    if settings.web_secret:
        return settings.web_secret
    return kept_secret(Path(settings.home) / "web-secret")


class SignInGuard:
    """Inside the session middleware: every request but PUBLIC needs a signed-in operator.

    A case's reply form POSTed without one is answered by `keep` (the console's sign-in page
    carrying the typed text, web/drafts.py) rather than lost."""

    def __init__(self, app: ASGIApp, engine: Engine,
                 keep: Callable[[Request, Draft], Response] | None = None) -> None:
        self.app = app
        self.engine = engine
        self.keep = keep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Server-Timing: the server's own time, shown by browser dev tools (and read by
                # bench/web_scale.py)
                took = f"app;dur={(time.perf_counter() - started) * 1000:.3f}".encode()
                # a response's own header wins (a case file's sandboxing CSP, web/previews.py)
                own = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in HEADERS if h[0] not in own),
                                      (b"server-timing", took)]
            await send(message)

        session = scope.get("session", {})
        operator = await run_in_threadpool(self._operator, session.get("operator_id"),
                                           session.get("epoch"))
        scope.setdefault("state", {})["operator"] = operator
        if operator is None and scope["path"] not in PUBLIC:
            session.pop("operator_id", None)
            response: Response
            if scope["method"] in ("GET", "HEAD"):
                target = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}"
                                          if scope.get("query_string") else "")
                response = RedirectResponse(f"/signin?next={quote(target, safe='')}", 303)
            else:
                request = Request(scope, receive)
                draft = await draft_of(request) if self.keep is not None else None
                response = (self.keep(request, draft) if self.keep is not None and draft
                            else PlainTextResponse("Sign in first.", 403))
            await response(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)

    def _operator(self, operator_id: object, epoch: object) -> Operator | None:
        """The session's operator, unless removed or signed out since (the epoch moved on)."""
        if not isinstance(operator_id, int):
            return None
        with unit_of_work(self.engine, read_only=True) as s:
            op = s.operators.get(operator_id)
        return op if op is not None and op.session_epoch == epoch else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use), for the hidden field of every form."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def form_of(request: Request, *, max_files: int = 0) -> FormData:
    """The POSTed form, once its csrf_token matches the session's; 403 otherwise."""
    form = await request.form(max_files=max_files, max_fields=MAX_UPLOAD_FIELDS)
    sent, expected = form.get("csrf_token"), request.session.get("csrf")
    if not (isinstance(sent, str) and isinstance(expected, str)
            and hmac.compare_digest(sent.encode(), expected.encode())):
        raise HTTPException(403, "The form has expired or did not come from this console. "
                                 "Reload the page and try again.")
    return form


def safe_next(target: str | None) -> str:
    """Only a path on this site may follow sign-in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
