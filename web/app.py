"""The operator web console (`casebot web`): server-rendered pages over the same store and the
same services the CLI uses. A case update is `bot.updates.update_case`, a feed import
`bot.feeds.import_feed`, an account `bot.accounts.add_account`: no rule is written twice.

Every route is behind `web.security.SignInGuard` except /signin; every POST reads its form
through `web.security.form_of` (CSRF). Pages are plain HTML forms that work without JavaScript.
"""

from __future__ import annotations

import math
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from bot.accounts import add_account, list_accounts, members, unlink
from bot.operators import TooManyAttempts, sign_in, sign_out_everywhere
from bot.reclassify import NotReclassification
from bot.service import Service
from bot.settings import Settings
from bot.updates import STATUSES, reply_case, update_case
from flows.answers import URL_RECLASS
from flows.errors import Invalid
from flows.model import FileRef
from flows.urls import defang
from store.tables import Account, UrlRating, as_utc, saved_id
from store.uow import UnitOfWork, unit_of_work
from web.imports import Imports
from web.queue import Queue
from web.security import SESSION_SECONDS, SignInGuard, cookie_secret, csrf_token, form_of, safe_next

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
CHANNELS = ("console", "slack", "telegram")
SEVERITIES = ("Critical", "High", "Medium", "Low")
MAX_FEED_BYTES = 256 * 1024 ** 2  # ~2 million rows; bigger: `casebot urls import`
ASIDE_ROWS = 200  # the newest mails kept aside, on one page
MAX_REPLY_FILES = 10  # files on one reply
ROW_ID = re.compile(r"[0-9]{1,18}")


def row_id(raw: str) -> int | None:
    """A database id from a URL: ASCII digits only, at most 18 (`isdigit()` also takes "²",
    and a 30-digit number overflows the database's integer: both made a 500)."""
    return int(raw) if ROW_ID.fullmatch(raw) else None


def age(when: datetime | None) -> str:
    if when is None:
        return ""
    seconds = max(0, int((datetime.now(UTC) - as_utc(when)).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return "now"


def span(seconds: int) -> str:
    """A duration as a desk reads it at a glance: "25 min", "2 h 10 min", "3 d 4 h"."""
    minutes = seconds // 60
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{max(mins, 1)} min"


def due_text(when: datetime | None, now: datetime | None = None) -> str:
    """A case's response due time as "due in 25 min" or "overdue 2 h"; "" when nothing is
    owed."""
    if when is None:
        return ""
    seconds = math.floor((as_utc(when) - (now or datetime.now(UTC))).total_seconds())
    return f"due in {span(seconds)}" if seconds >= 0 else f"overdue {span(-seconds)}"


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    size = float(n)
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            break
    return f"{size:,.1f} {unit}"


def utc(when: datetime) -> str:
    return as_utc(when).strftime("%Y-%m-%d %H:%M UTC")


def utc_iso(when: datetime) -> str:
    return as_utc(when).isoformat()


TEMPLATES.env.filters.update(age=age, size=size_text, defang=defang, utc=utc, utc_iso=utc_iso,
                             due=due_text)


def page(request: Request, template: str, status_code: int = 200, /, **context: Any) -> Response:
    context.update(operator=request.state.operator, csrf=csrf_token(request))
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def actor_of(request: Request) -> str:
    """The signed-in operator, as the audit trail names them (the CLI's are `cli:USER`)."""
    return f"web:{request.state.operator.email}"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class Console:
    """The routes, bound to one service (engine, blob store, mail settings)."""

    def __init__(self, service: Service, settings: Settings) -> None:
        self.service = service
        self.engine = service.engine
        self.imports = Imports(self.engine, Path(settings.home) / "imports")
        self.queue = Queue(service, page, actor_of, SEVERITIES, CHANNELS)

    # -- sign-in ---------------------------------------------------------------------------

    def signin_form(self, request: Request) -> Response:
        if request.state.operator is not None:
            return RedirectResponse(safe_next(request.query_params.get("next")), 303)
        return page(request, "signin.html", next=safe_next(request.query_params.get("next")))

    async def signin(self, request: Request) -> Response:
        form = await form_of(request)
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        target = safe_next(str(form.get("next", "")))

        def check() -> tuple[int | None, int] | None:
            op = sign_in(self.engine, email, password, client_address(request))
            return None if op is None else (op.id, op.session_epoch)

        try:
            signed_in = await run_in_threadpool(check)
        except TooManyAttempts:
            return page(request, "signin.html", 429, next=target, email=email,
                        error="Too many refused sign-ins. Wait 15 minutes and try again.")
        if signed_in is None:
            return page(request, "signin.html", 401, next=target, email=email,
                        error="That email and password do not match an operator.")
        request.session.clear()  # a fresh session (and CSRF token) for the signed-in operator
        request.session["operator_id"], request.session["epoch"] = signed_in
        return RedirectResponse(target, 303)

    async def signout(self, request: Request) -> Response:
        """Signing out ends every session of this operator, a copied cookie's too."""
        await form_of(request)
        operator_id = request.state.operator.id

        def bump() -> None:
            with unit_of_work(self.engine) as s:
                sign_out_everywhere(s, operator_id)

        await run_in_threadpool(bump)
        request.session.clear()
        return RedirectResponse("/signin", 303)

    # -- inbox -----------------------------------------------------------------------------

    def inbox(self, request: Request) -> Response:
        return self.queue.inbox(request)

    # -- a case ----------------------------------------------------------------------------

    def _case_context(self, number: str) -> dict[str, Any]:
        """The case as an operator sees it: internal notes included, and per message which
        way it went (bot/replies.py queues a chat notice and a mail for a public one)."""
        with unit_of_work(self.engine, read_only=True) as s:
            case = s.cases.by_number(number)
            if case is None:
                raise HTTPException(404, f"No case {number}.")
            data = s.cases.as_json(case, internal=True)
            went = s.messages.deliveries([m["id"] for m in data["messages"]])
            contact = s.contacts.get(case.contact_id)
            account = s.accounts.get(contact.account_id) if contact else None
            mails = s.outbox.of_case(case.id)
        reclass = data.get("issue_category") == URL_RECLASS and any(
            u.get("requested_rating") for u in data["urls"])
        return {"case": data, "account": account, "mails": mails, "statuses": STATUSES,
                "went": went, "max_file": self.service.files.max_bytes,
                "max_files": MAX_REPLY_FILES,
                "can_apply": reclass and data["status"] == "resolved"}

    def case_page(self, request: Request) -> Response:
        ctx = self._case_context(request.path_params["number"])
        return page(request, "case.html", **ctx, notice=request.query_params.get("done", ""),
                    back=safe_next(request.query_params.get("back")))

    async def case_update(self, request: Request) -> Response:
        """The reply form (multipart: its files) and "Apply the requested ratings". A message
        is a reply to the customer or an internal note (the button pressed); a status change
        without a message reaches the customer only when "notify" is ticked."""
        number = request.path_params["number"]
        declared = int(request.headers.get("content-length") or 0)
        if declared > MAX_REPLY_FILES * self.service.files.max_bytes + 2**20:
            raise HTTPException(413, "Too much at once: send fewer or smaller files.")
        form = await form_of(request, max_files=MAX_REPLY_FILES)
        status = str(form.get("status") or "") or None
        note = str(form.get("note") or "").strip()
        internal = form.get("action") == "internal"
        notify = form.get("notify") == "yes"
        apply_urls = form.get("apply_urls") == "yes"
        uploads = [f for f in form.getlist("files")
                   if isinstance(f, UploadFile) and f.filename]
        with unit_of_work(self.engine, read_only=True) as s:
            case = s.cases.by_number(number)
            if case is None:
                raise HTTPException(404, f"No case {number}.")
            if status == case.status:
                status = None
        actor = actor_of(request)
        error, done = "", "status"
        if not (status or note or uploads or apply_urls):
            error = "Write a message, attach a file or change the status."
        else:
            try:
                if apply_urls:
                    await run_in_threadpool(update_case, self.service, number,
                                            apply_urls=True, actor=actor)
                    done = "ratings"
                elif note or uploads:
                    files = await run_in_threadpool(self._store, uploads)
                    await run_in_threadpool(
                        reply_case, self.service, number, actor=actor, text=note,
                        internal=internal, files=files, status=status, notify=notify)
                    done = "note" if internal else "reply"
                else:
                    await run_in_threadpool(update_case, self.service, number, status=status,
                                            notify=notify, actor=actor)
                    done = "told" if notify else "status"
            except (LookupError, NotReclassification, Invalid) as exc:
                error = str(exc)
        if error:
            return page(request, "case.html", 400, **self._case_context(number), error=error,
                        note=note)
        return RedirectResponse(f"/cases/{number}?done={done}", 303)

    def _store(self, uploads: list[UploadFile]) -> list[FileRef]:
        """A reply's files into the blob store, each within the per-file limit (`Invalid`)."""
        name = "file"
        return [self.service.files.put_stream(
            u.file, Path((u.filename or name).replace("\\", "/")).name[:200] or name)
            for u in uploads]

    def case_file(self, request: Request) -> Response:
        number, sha = request.path_params["number"], request.path_params["sha256"]
        with unit_of_work(self.engine, read_only=True) as s:
            case = s.cases.by_number(number)
            found = [a for a in s.cases.attachments_of(saved_id(case))
                     if a.sha256 == sha] if case else []
        path = self.service.files.path_for(sha) if found else None
        if not found or path is None or not path.is_file():
            raise HTTPException(404, "No such file on this case.")
        return FileResponse(path, filename=found[0].name, media_type="application/octet-stream",
                            content_disposition_type="attachment")

    # -- URL ratings -----------------------------------------------------------------------

    def urls(self, request: Request) -> Response:
        q = request.query_params.get("q", "").strip()[:300]
        rows: list[UrlRating] = []
        if q:
            with unit_of_work(self.engine, read_only=True) as s:
                rows = s.url_ratings.search(q)
        return page(request, "urls.html", q=q, rows=rows)

    async def urls_import(self, request: Request) -> Response:
        form = await form_of(request, max_files=1)
        upload = form.get("feed")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return page(request, "urls.html", 400, q="", rows=[],
                        error="Choose a CSV or JSON Lines feed file to import.")
        folder = self.imports.folder
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(upload.filename.replace("\\", "/")).name[:100] or "feed"
        path = folder / f"{secrets.token_hex(8)}{Path(name).suffix.lower()[:8]}"

        def save() -> int:
            written = 0
            with path.open("wb") as out:
                while chunk := upload.file.read(1024 * 1024):
                    written += len(chunk)
                    if written > MAX_FEED_BYTES:
                        raise Invalid(f"The feed is larger than {MAX_FEED_BYTES // 2**20} MB; "
                                      "import it with `casebot urls import FILE` on the "
                                      "server.")
                    out.write(chunk)
            return written

        try:
            await run_in_threadpool(save)
        except Invalid as exc:
            path.unlink(missing_ok=True)
            return page(request, "urls.html", 400, q="", rows=[], error=str(exc))
        job = self.imports.start(path, name, actor=actor_of(request))
        return RedirectResponse(f"/urls/imports/{job.id}", 303)

    def import_progress(self, request: Request) -> Response:
        job = self.imports.get(request.path_params["job"])
        if job is None:
            raise HTTPException(404, "No such import (the console keeps the newest 50).")
        return page(request, "import.html", job=job)

    # -- accounts (bot/accounts.py) ---------------------------------------------------------

    def _accounts_context(self) -> dict[str, Any]:
        with unit_of_work(self.engine, read_only=True) as s:
            return {"accounts": list_accounts(s)}

    def accounts(self, request: Request) -> Response:
        return page(request, "accounts.html", **self._accounts_context())

    async def accounts_add(self, request: Request) -> Response:
        form = await form_of(request)
        name, domain = str(form.get("name", "")), str(form.get("domain", ""))
        subdomains = form.get("include_subdomains") == "yes"
        actor = actor_of(request)

        def add() -> str:
            with unit_of_work(self.engine) as s:
                acct, what = add_account(s, name, domain, subdomains, actor=actor)
                return f"Account '{acct.name}' ({acct.domain}) {what}."

        try:
            done = await run_in_threadpool(add)
        except Invalid as exc:
            return page(request, "accounts.html", 400, **self._accounts_context(),
                        error=str(exc), name=name, domain=domain, subdomains=subdomains)
        return page(request, "accounts.html", **self._accounts_context(), notice=done)

    def _account(self, s: UnitOfWork, request: Request) -> Account:
        raw = request.path_params["account_id"]
        acct = s.accounts.get(aid) if (aid := row_id(raw)) is not None else None
        if acct is None:
            raise HTTPException(404, "No such account.")
        return acct

    def account_page(self, request: Request, status_code: int = 200, **extra: Any) -> Response:
        with unit_of_work(self.engine, read_only=True) as s:
            acct = self._account(s, request)
            rows = members(s, acct.domain or acct.name)
            case_ids = [i for c in s.contacts.of_account(acct.id)
                        for i in s.cases.ids_of(saved_id(c))]
            scores = list(s.surveys.scores(case_ids).values())
        score = {"count": len(scores),
                 "average": sum(scores) / len(scores) if scores else None}
        return page(request, "account.html", status_code, account=acct, members=rows,
                    score=score, **extra)

    async def account_unlink(self, request: Request) -> Response:
        form = await form_of(request)
        email, identity = str(form.get("email", "")), str(form.get("identity", ""))
        channel, _, ext = identity.partition(":")
        actor = actor_of(request)

        def remove() -> None:
            with unit_of_work(self.engine) as s:
                self._account(s, request)
                unlink(s, email, channel, ext, actor=actor)

        try:
            await run_in_threadpool(remove)
        except LookupError as exc:
            return self.account_page(request, 400, error=str(exc))
        return self.account_page(request, notice=f"Unlinked {channel} {ext} from {email}.")

    # -- mail kept aside (bot/mail_in.py: no case it may touch) ------------------------------

    def aside(self, request: Request) -> Response:
        with unit_of_work(self.engine, read_only=True) as s:
            rows = s.aside.newest(ASIDE_ROWS)
        kept = {m.id for m in rows if m.raw_sha256
                and self.service.files.path_for(m.raw_sha256).is_file()}
        return page(request, "aside.html", rows=rows, kept=kept)

    def aside_raw(self, request: Request) -> Response:
        """The mail as it came (RFC 5322), to read in a mail program: never rendered here."""
        mail_id = row_id(request.path_params["mail_id"])
        with unit_of_work(self.engine, read_only=True) as s:
            mail = s.aside.get(mail_id) if mail_id is not None else None
        path = self.service.files.path_for(mail.raw_sha256) \
            if mail is not None and mail.raw_sha256 else None
        if path is None or not path.is_file():
            raise HTTPException(404, "No such mail, or its original was not kept.")
        return FileResponse(path, filename=f"aside-{mail_id}.eml",
                            media_type="application/octet-stream",
                            content_disposition_type="attachment")

    def routes(self) -> list[Route]:
        return [
            Route("/signin", self.signin_form, methods=["GET"]),
            Route("/signin", self.signin, methods=["POST"]),
            Route("/signout", self.signout, methods=["POST"]),
            Route("/", self.inbox, methods=["GET"]),
            Route("/cases/bulk", self.queue.bulk, methods=["POST"]),
            Route("/cases/{number}", self.case_page, methods=["GET"]),
            Route("/cases/{number}", self.case_update, methods=["POST"]),
            Route("/cases/{number}/files/{sha256}", self.case_file, methods=["GET"]),
            Route("/mail/aside", self.aside, methods=["GET"]),
            Route("/mail/aside/{mail_id}/raw", self.aside_raw, methods=["GET"]),
            Route("/urls", self.urls, methods=["GET"]),
            Route("/urls/imports", self.urls_import, methods=["POST"]),
            Route("/urls/imports/{job}", self.import_progress, methods=["GET"]),
            Route("/accounts", self.accounts, methods=["GET"]),
            Route("/accounts", self.accounts_add, methods=["POST"]),
            Route("/accounts/{account_id}", self.account_page, methods=["GET"]),
            Route("/accounts/{account_id}/unlink", self.account_unlink, methods=["POST"]),
        ]


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.scope.get("state", {}).get("operator") is None:
        return Response(exc.detail, exc.status_code, media_type="text/plain")
    return page(request, "error.html", exc.status_code, message=exc.detail)


def build_web_app(settings: Settings, service: Service) -> Starlette:
    """The console around a service the composition root built (bot/processes.py)."""
    console = Console(service, settings)
    middleware = [
        Middleware(SessionMiddleware, secret_key=cookie_secret(settings),
                   session_cookie="casebot_session", max_age=SESSION_SECONDS,
                   same_site="strict", https_only=settings.web_https),
        Middleware(SignInGuard, engine=service.engine),
    ]
    app = Starlette(routes=console.routes(), middleware=middleware,
                    exception_handlers={HTTPException: http_error})
    app.state.console = console
    return app
