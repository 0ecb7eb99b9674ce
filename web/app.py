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
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from bot.accounts import (
    add_account,
    list_accounts,
    members,
    set_default_language,
    set_language,
    set_plan,
    unlink,
)
from bot.audit import ACTIONS, AuditFilter
from bot.audit import page as audit_page
from bot.canned import delete_reply, save_reply
from bot.desk import Stale
from bot.i18n import LANGUAGES
from bot.operators import TooManyAttempts, sign_in, sign_out_everywhere
from bot.reclassify import AlreadyApplied, NotReclassification
from bot.replies import spoken
from bot.service import Service
from bot.settings import Settings
from bot.updates import STATUSES, assign_case, reply_case, update_case
from flows.answers import URL_RECLASS
from flows.errors import Invalid
from flows.model import FileRef
from flows.sla import PLANS
from flows.urls import defang
from store.health import Readiness
from store.tables import Account, Case, CaseEvent, UrlRating, as_utc, saved_id
from store.uow import UnitOfWork, unit_of_work
from web.drafts import Draft
from web.health import HealthProbes
from web.imports import Imports
from web.previews import FILE_HEADERS, sniff, text_head
from web.queue import Queue
from web.security import SESSION_SECONDS, SignInGuard, cookie_secret, csrf_token, form_of, safe_next

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
CHANNELS = ("console", "slack", "telegram")
SEVERITIES = ("Critical", "High", "Medium", "Low")
MAX_FEED_BYTES = 256 * 1024 ** 2  # ~2 million rows; bigger: `casebot urls import`
ASIDE_ROWS = 200  # the newest mails kept aside, on one page
MAX_REPLY_FILES = 10  # files on one reply
NO_VERSION = "This form carries no case version: reload the page and send it again."
ROW_ID = re.compile(r"[0-9]{1,18}")
OTHER_CASES = 5  # the contact's newest other cases on a case page


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


def _moment(when: datetime | str) -> datetime:
    return as_utc(datetime.fromisoformat(when) if isinstance(when, str) else when)


def utc(when: datetime | str) -> str:
    """A time as staff read it, with its zone: "2026-12-06 14:03 UTC" (a datetime or the
    case JSON's ISO text)."""
    return _moment(when).strftime("%Y-%m-%d %H:%M UTC")


def utc_iso(when: datetime | str) -> str:
    return _moment(when).isoformat()


def tel(phone: str) -> str:
    """A `tel:` URI of a phone number as the customer typed it: "+" and digits only."""
    return "tel:" + re.sub(r"[^0-9+]", "", phone)


TEMPLATES.env.filters.update(age=age, size=size_text, defang=defang, utc=utc, utc_iso=utc_iso,
                             due=due_text, tel=tel)


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

    def signin_keeping(self, request: Request, draft: Draft) -> Response:
        """A case's reply form POSTed without a live session: the sign-in page, carrying the
        typed text back to the form (web/drafts.py). 403: nothing was saved."""
        return page(request, "signin.html", 403, next=f"/cases/{draft.case}", draft=draft,
                    fits=draft.pack() is not None)

    async def signin(self, request: Request) -> Response:
        form = await form_of(request)
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        target = safe_next(str(form.get("next", "")))
        draft = Draft.of_signin(form, target)
        kept = {"draft": draft, "fits": draft is not None and draft.pack() is not None}

        def check() -> tuple[int | None, int] | None:
            op = sign_in(self.engine, email, password, client_address(request))
            return None if op is None else (op.id, op.session_epoch)

        try:
            signed_in = await run_in_threadpool(check)
        except TooManyAttempts:
            return page(request, "signin.html", 429, next=target, email=email, **kept,
                        error="Too many refused sign-ins. Wait 15 minutes and try again.")
        if signed_in is None:
            return page(request, "signin.html", 401, next=target, email=email, **kept,
                        error="That email and password do not match an operator.")
        request.session.clear()  # a fresh session (and CSRF token) for the signed-in operator
        request.session["operator_id"], request.session["epoch"] = signed_in
        if draft is not None and (packed := draft.pack()) is not None:
            request.session["draft"] = packed  # back in the case's reply form (case_page)
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

    def _case_context(self, number: str, *, seen: int | None = None) -> dict[str, Any]:
        """The case as an operator sees it: internal notes included, and per message which
        way it went (bot/replies.py queues a chat notice and a mail for a public one); who
        made each timeline entry, the owner and due time, the contact's phone, account and
        other cases, the sample zip's password, the files' previews. `seen`: the version a
        refused form was read at, to list what changed since."""
        with unit_of_work(self.engine, read_only=True) as s:
            case = s.cases.by_number(number)
            if case is None:
                raise HTTPException(404, f"No case {number}.")
            data = s.cases.as_json(case, internal=True)
            went = s.messages.deliveries([m["id"] for m in data["messages"]])
            contact = s.contacts.get(case.contact_id)
            account = s.accounts.get(contact.account_id) if contact else None
            mails = s.outbox.of_case(case.id)
            timeline = [_entry(e) for e in s.cases.timeline(saved_id(case))]
            changes = [_entry(e) for e in s.cases.events_since(saved_id(case), seen)] \
                if seen is not None else []
            others = [{"number": c.number, "subject": c.subject, "status": c.status,
                       "created_at": c.created_at}
                      for c in s.cases.of_contact(case.contact_id, OTHER_CASES + 1)
                      if c.id != case.id][:OTHER_CASES]
            operators = [o.email for o in s.operators.all()]
            canned = [(r.id, r.name) for r in s.canned.all()]
            desk = _desk_of(case)
            ratings = s.cases.last_event(saved_id(case), "ratings")
            language, source = spoken(s, case, self.service.default_language)
        applied = None if ratings is None else {
            "on": utc(ratings.at), "by": ratings.actor or "an operator"}
        reclass = data.get("issue_category") == URL_RECLASS and any(
            u.get("requested_rating") for u in data["urls"])
        return {"case": data, "account": account, "mails": mails, "statuses": STATUSES,
                "went": went, "max_file": self.service.files.max_bytes,
                "max_files": MAX_REPLY_FILES, "timeline": timeline, "changes": changes,
                "others": others, "operators": operators, "canned": canned,
                "previews": self._previews(data), **desk,
                "can_apply": reclass and data["status"] == "resolved", "applied": applied,
                # the language casebot speaks to the contact, and why (chosen, their chat's,
                # their account's default, this casebot's default)
                "language": LANGUAGES.get(language, language), "language_source": source}

    def _previews(self, data: dict[str, Any]) -> dict[str, dict[str, str]]:
        """Per stored file (by sha256) what the page may show of it: "image" (a thumbnail of
        the view route), "text" (its first lines) or "download" (web/previews.py)."""
        files = {f["sha256"]: f["name"] for f in data["attachments"]}
        for m in data["messages"]:
            files.update({f["sha256"]: f["name"] for f in m["attachments"]})
        out = {}
        for sha, name in files.items():
            try:
                with self.service.files.open(sha) as fh:
                    found = sniff(fh, name, whole=False)
                    fh.seek(0)
                    out[sha] = {"kind": found.kind,
                                "head": text_head(fh) if found.kind == "text" else ""}
            except OSError:  # not stored (pruned, or never kept)
                continue
        return out

    def _case_view(self, request: Request, status_code: int = 200, /, *,
                   seen: int | None = None, **extra: Any) -> Response:
        ctx = self._case_context(request.path_params["number"], seen=seen)
        ctx.update(extra)
        return page(request, "case.html", status_code, **ctx)

    def case_page(self, request: Request) -> Response:
        back = back_of(request.query_params.get("back"))
        draft = Draft.unpack(request.session.get("draft"))
        if draft is not None and draft.case == request.path_params["number"]:
            # the reply typed before the session ended: back in the form, not sent
            del request.session["draft"]
            return self._case_view(request, notice="kept", back=back, note=draft.note,
                                   chosen_status=draft.status if draft.status in STATUSES
                                   else None, kept_action=draft.action)
        return self._case_view(request, notice=request.query_params.get("done", ""),
                               back=back)

    async def case_update(self, request: Request) -> Response:
        """The reply form (multipart: its files), "Insert" of a canned reply and "Apply the
        requested ratings". A message is a reply to the customer or an internal note (the
        button pressed); a status change without a message reaches the customer only when
        "notify" is ticked. The form carries the case version it was read at: a change made
        meanwhile refuses it (409) with what changed, the typed text kept."""
        number = request.path_params["number"]
        declared = int(request.headers.get("content-length") or 0)
        if declared > MAX_REPLY_FILES * self.service.files.max_bytes + 2**20:
            raise HTTPException(413, "Too much at once: send fewer or smaller files.")
        form = await form_of(request, max_files=MAX_REPLY_FILES)
        status = str(form.get("status") or "") or None
        note = str(form.get("note") or "")
        internal = form.get("action") == "internal"
        notify = form.get("notify") == "yes"
        apply_urls = form.get("apply_urls") == "yes"
        seen = row_id(str(form.get("version") or ""))
        uploads = [f for f in form.getlist("files")
                   if isinstance(f, UploadFile) and f.filename]
        kept: dict[str, Any] = {"note": note, "chosen_status": status, "notify": notify,
                                "back": back_of(str(form.get("back") or ""))}
        if form.get("action") == "insert":
            return self._insert_canned(request, str(form.get("canned") or ""), seen, kept)
        note = note.strip()
        with unit_of_work(self.engine, read_only=True) as s:
            case = s.cases.by_number(number)
            if case is None:
                raise HTTPException(404, f"No case {number}.")
            if status == case.status:
                status = None
        error, done = "", "status"
        if seen is None:
            error = NO_VERSION
        elif not (status or note or uploads or apply_urls):
            error = "Write a message, attach a file or change the status."
        else:
            try:
                done = await self._change(
                    number, actor_of(request), seen, status=status, note=note,
                    internal=internal, notify=notify, apply_urls=apply_urls, uploads=uploads)
            except Stale:
                return self._case_view(request, 409, seen=seen, refused=True, **kept,
                                       dropped_files=len(uploads))
            except (LookupError, NotReclassification, Invalid) as exc:
                error = str(exc)
        if error:
            return self._case_view(request, 400, error=error, **kept)
        return RedirectResponse(done_url(number, done, kept["back"]), 303)

    async def _change(self, number: str, actor: str, seen: int, *, status: str | None,
                      note: str, internal: bool, notify: bool, apply_urls: bool,
                      uploads: list[UploadFile]) -> str:
        """The reply form's change, made from version `seen`; returns what was done."""
        if apply_urls:
            try:
                await run_in_threadpool(update_case, self.service, number, apply_urls=True,
                                        actor=actor, seen=seen)
            except AlreadyApplied:  # nothing changed or sent: the page says when and by whom
                return "already"
            return "ratings"
        if note or uploads:
            files = await run_in_threadpool(self._store, uploads)
            await run_in_threadpool(
                reply_case, self.service, number, actor=actor, text=note, internal=internal,
                files=files, status=status, notify=notify, seen=seen)
            return "note" if internal else "reply"
        await run_in_threadpool(update_case, self.service, number, status=status,
                                notify=notify, actor=actor, seen=seen)
        return "told" if notify else "status"

    def _insert_canned(self, request: Request, raw_id: str, seen: int | None,
                       kept: dict[str, Any]) -> Response:
        """The page again with the chosen canned reply appended to the typed text: no
        JavaScript needed, nothing saved. What changed since the form was read is shown, as
        for a refused form, and the form then carries the case's current version."""
        reply_id = row_id(raw_id)
        with unit_of_work(self.engine, read_only=True) as s:
            reply = s.canned.get(reply_id) if reply_id is not None else None
            text = reply.text if reply else None
        if text is None:
            return self._case_view(request, 400, **kept, seen=seen,
                                   error="Choose a canned reply to insert.")
        typed = kept["note"].rstrip()
        kept["note"] = f"{typed}\n\n{text}" if typed else text
        return self._case_view(request, seen=seen, **kept)

    async def case_take(self, request: Request) -> Response:
        """"Take it": the signed-in operator owns the case, in one press."""
        form = await form_of(request)
        return await self._assign(request, form, request.state.operator.email, "taken")

    async def case_owner(self, request: Request) -> Response:
        """The owner select: an operator, or nobody ("")."""
        form = await form_of(request)
        return await self._assign(request, form, str(form.get("owner") or "") or None, "owner")

    async def _assign(self, request: Request, form: Any, owner: str | None,
                      done: str) -> Response:
        number = request.path_params["number"]
        seen = row_id(str(form.get("version") or ""))
        back = back_of(str(form.get("back") or ""))
        if seen is None:
            return self._case_view(request, 400, back=back, error=NO_VERSION)
        try:
            await run_in_threadpool(assign_case, self.service, number, owner,
                                    actor=actor_of(request), seen=seen)
        except Stale:
            return self._case_view(request, 409, seen=seen, refused=True, back=back)
        except LookupError as exc:
            if "No case" in str(exc):
                raise HTTPException(404, str(exc)) from exc
            return self._case_view(request, 400, error=str(exc), back=back)
        return RedirectResponse(done_url(number, done, back), 303)

    def _store(self, uploads: list[UploadFile]) -> list[FileRef]:
        """A reply's files into the blob store, each within the per-file limit (`Invalid`)."""
        name = "file"
        return [self.service.files.put_stream(
            u.file, Path((u.filename or name).replace("\\", "/")).name[:200] or name)
            for u in uploads]

    def _case_file(self, request: Request) -> tuple[str, str]:
        """The sha256 of one of this case's stored files (a case attachment or a message's),
        and its name; 404 for any other sha256 or a file no longer stored."""
        number, sha = request.path_params["number"], request.path_params["sha256"]
        with unit_of_work(self.engine, read_only=True) as s:
            case = s.cases.by_number(number)
            found = [a for a in s.cases.attachments_of(saved_id(case))
                     if a.sha256 == sha] if case else []
        if not found or not self.service.files.exists(sha):
            raise HTTPException(404, "No such file on this case.")
        return sha, found[0].name

    def case_file(self, request: Request) -> Response:
        sha, name = self._case_file(request)
        return self._stream(sha, name)

    def case_file_view(self, request: Request) -> Response:
        """The file shown in the browser, only when its bytes are an image (PNG, JPEG, GIF,
        WebP) or plain UTF-8 text; anything else is the download (web/previews.py)."""
        sha, name = self._case_file(request)
        try:
            with self.service.files.open(sha) as fh:
                found = sniff(fh, name)
        except OSError as exc:
            raise HTTPException(404, "No such file on this case.") from exc
        if found.media_type is None:
            return self._stream(sha, name)
        return self._stream(sha, name, media_type=found.media_type, disposition="inline")

    def _stream(self, sha: str, name: str, *, media_type: str = "application/octet-stream",
                disposition: str = "attachment") -> Response:
        """A stored file streamed chunk by chunk from wherever it lives (store/blobs), with
        the headers that keep anything in it from running (`FILE_HEADERS`): a download
        unless `disposition` is "inline" for a sniffed image or text."""
        size = self.service.files.size(sha)
        try:
            if size is None:
                raise FileNotFoundError(sha)
            chunks = self.service.files.chunks(sha)
        except OSError as exc:  # pruned meanwhile
            raise HTTPException(404, "No such file, or it is no longer stored.") from exc
        return StreamingResponse(chunks, media_type=media_type, headers={
            **FILE_HEADERS, "Content-Length": str(size),
            "Content-Disposition": content_disposition(disposition, name)})

    # -- canned replies (bot/canned.py) ----------------------------------------------------

    def _replies_context(self) -> dict[str, Any]:
        with unit_of_work(self.engine, read_only=True) as s:
            return {"replies": s.canned.all()}

    def replies(self, request: Request) -> Response:
        return page(request, "replies.html", **self._replies_context(),
                    notice=request.query_params.get("done", ""))

    async def replies_add(self, request: Request) -> Response:
        form = await form_of(request)
        name, text = str(form.get("name", "")), str(form.get("text", ""))
        actor = actor_of(request)

        def add() -> None:
            with unit_of_work(self.engine) as s:
                save_reply(s, name, text, actor=actor)

        try:
            await run_in_threadpool(add)
        except Invalid as exc:
            return page(request, "replies.html", 400, **self._replies_context(),
                        error=str(exc), name=name, text=text)
        return RedirectResponse("/replies?done=added", 303)

    def _reply_id(self, request: Request) -> int:
        reply_id = row_id(request.path_params["reply_id"])
        if reply_id is None:
            raise HTTPException(404, "No such canned reply.")
        return reply_id

    def reply_edit(self, request: Request) -> Response:
        with unit_of_work(self.engine, read_only=True) as s:
            reply = s.canned.get(self._reply_id(request))
        if reply is None:
            raise HTTPException(404, "No such canned reply (it may have been deleted).")
        return page(request, "reply.html", reply=reply, name=reply.name, text=reply.text)

    async def reply_save(self, request: Request) -> Response:
        form = await form_of(request)
        reply_id = self._reply_id(request)
        name, text = str(form.get("name", "")), str(form.get("text", ""))
        actor = actor_of(request)

        def save() -> None:
            with unit_of_work(self.engine) as s:
                save_reply(s, name, text, actor=actor, reply_id=reply_id)

        try:
            await run_in_threadpool(save)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
        except Invalid as exc:
            with unit_of_work(self.engine, read_only=True) as s:
                reply = s.canned.get(reply_id)
            return page(request, "reply.html", 400, reply=reply, name=name, text=text,
                        error=str(exc))
        return RedirectResponse("/replies?done=saved", 303)

    async def reply_delete(self, request: Request) -> Response:
        form = await form_of(request)
        reply_id = self._reply_id(request)
        actor = actor_of(request)
        if form.get("sure") != "yes":
            with unit_of_work(self.engine, read_only=True) as s:
                reply = s.canned.get(reply_id)
            if reply is None:
                raise HTTPException(404, "No such canned reply (it may have been deleted).")
            return page(request, "reply.html", 400, reply=reply, name=reply.name,
                        text=reply.text, error="Tick the box to confirm the deletion.")

        def delete() -> None:
            with unit_of_work(self.engine) as s:
                delete_reply(s, reply_id, actor=actor)

        try:
            await run_in_threadpool(delete)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
        return RedirectResponse("/replies?done=deleted", 303)

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
            return {"accounts": list_accounts(s), "languages": LANGUAGES}

    def accounts(self, request: Request) -> Response:
        """The list; after an add (303 here), what was saved, read back from the database."""
        p = request.query_params
        notice = ""
        what, added = p.get("done", ""), row_id(p.get("account", ""))
        if what in ("created", "renamed", "updated") and added is not None:
            with unit_of_work(self.engine, read_only=True) as s:
                acct = s.accounts.get(added)
            if acct is not None:
                notice = f"Account '{acct.name}' ({acct.domain}) {what}."
        return page(request, "accounts.html", **self._accounts_context(), notice=notice)

    async def accounts_add(self, request: Request) -> Response:
        form = await form_of(request)
        name, domain = str(form.get("name", "")), str(form.get("domain", ""))
        subdomains = form.get("include_subdomains") == "yes"
        language = str(form.get("language", ""))[:20] or None  # "": none (keeps one set)
        actor = actor_of(request)

        def add() -> tuple[int, str]:
            with unit_of_work(self.engine) as s:
                acct, what = add_account(s, name, domain, subdomains, actor=actor,
                                         language=language)
                return saved_id(acct), what

        try:
            account_id, what = await run_in_threadpool(add)
        except Invalid as exc:
            return page(request, "accounts.html", 400, **self._accounts_context(),
                        error=str(exc), name=name, domain=domain, subdomains=subdomains,
                        language=language)
        return RedirectResponse(f"/accounts?done={what}&account={account_id}", 303)

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
        p = request.query_params
        if p.get("done") == "unlinked" and "notice" not in extra:
            # after the unlink's 303: said only when it is true (the link is gone)
            email, identity = p.get("email", "")[:320], p.get("identity", "")[:200]
            if not any(m["email"] == email and identity in m["identities"] for m in rows):
                extra["notice"] = f"Unlinked {identity.replace(':', ' ', 1)} from {email}."
        if request.query_params.get("done") == "plan":
            extra.setdefault("notice", f"The account is on the {acct.plan} plan now; its "
                                       "open cases' due times follow it.")
        if request.query_params.get("done") == "language":
            extra.setdefault("notice", "Language saved: casebot speaks it to that contact "
                                       "from their next message.")
        if request.query_params.get("done") == "default-language":
            chosen = LANGUAGES.get(acct.language or "", acct.language)
            extra.setdefault("notice", "Default language saved: " + (
                f"members who chose none and whose chat says none get {chosen}."
                if chosen else "this casebot's default applies to members who chose none."))
        return page(request, "account.html", status_code, account=acct, members=rows,
                    score=score, plans=PLANS, languages=LANGUAGES, **extra)

    async def account_language(self, request: Request) -> Response:
        """The language casebot speaks to a member (issue 27), as their own /language."""
        form = await form_of(request)
        email, language = str(form.get("email", ""))[:320], str(form.get("language", ""))
        actor = actor_of(request)

        def change() -> None:
            with unit_of_work(self.engine) as s:
                set_language(s, self._account(s, request), email, language, actor=actor)

        try:
            await run_in_threadpool(change)
        except (Invalid, LookupError) as exc:
            return self.account_page(request, 400, error=str(exc.args[0]))
        return RedirectResponse(
            f"/accounts/{request.path_params['account_id']}?done=language", 303)

    async def account_default_language(self, request: Request) -> Response:
        """The account's default language (issue 27, bot/accounts.py), audited."""
        form = await form_of(request)
        language, actor = str(form.get("language", ""))[:20], actor_of(request)

        def change() -> None:
            with unit_of_work(self.engine) as s:
                set_default_language(s, self._account(s, request), language, actor=actor)

        try:
            await run_in_threadpool(change)
        except Invalid as exc:
            return self.account_page(request, 400, error=str(exc))
        return RedirectResponse(
            f"/accounts/{request.path_params['account_id']}?done=default-language", 303)

    async def account_plan(self, request: Request) -> Response:
        """The plan whose response times apply to the account's cases (bot/accounts.py)."""
        form = await form_of(request)
        plan, actor = str(form.get("plan", "")), actor_of(request)

        def change() -> int:
            with unit_of_work(self.engine) as s:
                return set_plan(s, self._account(s, request), plan, actor=actor)

        try:
            await run_in_threadpool(change)
        except Invalid as exc:
            return self.account_page(request, 400, error=str(exc))
        return RedirectResponse(f"/accounts/{request.path_params['account_id']}?done=plan", 303)

    def _linked(self, request: Request, email: str, identity: str) -> Account:
        """The account, once `identity` (channel:id) is linked to its member `email`: 404
        otherwise (a stale or made-up confirmation link)."""
        with unit_of_work(self.engine, read_only=True) as s:
            acct = self._account(s, request)
            rows = members(s, acct.domain or acct.name)
        if not any(m["email"] == email and identity in m["identities"] for m in rows):
            raise HTTPException(404, f"{identity or 'That identity'} is not linked to "
                                     f"{email or 'that contact'} in this account (any more).")
        return acct

    def account_unlink_confirm(self, request: Request) -> Response:
        """Unlinking asks first: this page names what goes from whom; its POST does it."""
        email = request.query_params.get("email", "")[:320]
        identity = request.query_params.get("identity", "")[:200]
        acct = self._linked(request, email, identity)
        channel, _, ext = identity.partition(":")
        return page(request, "unlink.html", account=acct, email=email, identity=identity,
                    channel=channel, ext=ext)

    async def account_unlink(self, request: Request) -> Response:
        form = await form_of(request)
        email, identity = str(form.get("email", "")), str(form.get("identity", ""))
        channel, _, ext = identity.partition(":")
        actor = actor_of(request)

        def remove() -> int:
            with unit_of_work(self.engine) as s:
                acct = self._account(s, request)
                unlink(s, email, channel, ext, actor=actor)
                return saved_id(acct)

        try:
            account_id = await run_in_threadpool(remove)
        except LookupError as exc:
            return self.account_page(request, 400, error=str(exc))
        done = urlencode({"done": "unlinked", "email": email, "identity": identity})
        return RedirectResponse(f"/accounts/{account_id}?{done}", 303)

    # -- the audit trail (bot/audit.py) ------------------------------------------------------

    def audit(self, request: Request) -> Response:
        p = request.query_params
        f = AuditFilter.of(p.get("actor", ""), p.get("action", ""), p.get("subject", ""))
        before = row_id(p.get("before", ""))
        with unit_of_work(self.engine, read_only=True) as s:
            rows, next_before = audit_page(s, f, before)
        keep = {k: v for k, v in (("actor", f.actor), ("action", f.action),
                                  ("subject", f.subject)) if v}
        return page(request, "audit.html", rows=rows, f=f, actions=ACTIONS, keep=keep,
                    next_before=next_before, first=before is None)

    # -- mail kept aside (bot/mail_in.py: no case it may touch) ------------------------------

    def aside(self, request: Request) -> Response:
        with unit_of_work(self.engine, read_only=True) as s:
            rows = s.aside.newest(ASIDE_ROWS)
        kept = {m.id for m in rows if m.raw_sha256
                and self.service.files.exists(m.raw_sha256)}
        return page(request, "aside.html", rows=rows, kept=kept)

    def aside_raw(self, request: Request) -> Response:
        """The mail as it came (RFC 5322), to read in a mail program: never rendered here."""
        mail_id = row_id(request.path_params["mail_id"])
        with unit_of_work(self.engine, read_only=True) as s:
            mail = s.aside.get(mail_id) if mail_id is not None else None
        if mail is None or not mail.raw_sha256 or not self.service.files.exists(mail.raw_sha256):
            raise HTTPException(404, "No such mail, or its original was not kept.")
        return self._stream(mail.raw_sha256, f"aside-{mail_id}.eml")

    # -- failed jobs (bot/jobs.py; PostgreSQL) -------------------------------------------------

    async def jobs(self, request: Request, status_code: int = 200, **extra: Any) -> Response:
        from bot.jobs import job_rows

        queue = self.engine.dialect.name == "postgresql"
        rows = await run_in_threadpool(job_rows, self.engine, failed=True) if queue else []
        if request.query_params.get("done") == "retried" and "notice" not in extra:
            extra["notice"] = "The job is back in the queue."
        return page(request, "jobs.html", status_code, rows=rows, queue=queue, **extra)

    async def job_retry(self, request: Request) -> Response:
        from bot.jobs import retry_now

        await form_of(request)
        job_id = row_id(request.path_params["job_id"])
        actor = actor_of(request)

        def retry() -> bool:
            if job_id is None or not retry_now(self.engine, int(job_id)):
                return False
            with unit_of_work(self.engine) as s:
                s.audit.record(actor, "job_retry", f"job:{job_id}", "")
                s.commit()
            return True

        if not await run_in_threadpool(retry):
            return await self.jobs(request, 404, error="No such failed job (retried already?).")
        return RedirectResponse("/jobs?done=retried", 303)

    def routes(self) -> list[Route]:
        return [
            Route("/signin", self.signin_form, methods=["GET"]),
            Route("/signin", self.signin, methods=["POST"]),
            Route("/signout", self.signout, methods=["POST"]),
            Route("/", self.inbox, methods=["GET"]),
            Route("/cases/bulk", self.queue.bulk, methods=["POST"]),
            Route("/cases/{number}", self.case_page, methods=["GET"]),
            Route("/cases/{number}", self.case_update, methods=["POST"]),
            Route("/cases/{number}/take", self.case_take, methods=["POST"]),
            Route("/cases/{number}/owner", self.case_owner, methods=["POST"]),
            Route("/cases/{number}/files/{sha256}", self.case_file, methods=["GET"]),
            Route("/audit", self.audit, methods=["GET"]),
            Route("/jobs", self.jobs, methods=["GET"]),
            Route("/jobs/{job_id}/retry", self.job_retry, methods=["POST"]),
            Route("/cases/{number}/files/{sha256}/view", self.case_file_view,
                  methods=["GET"]),
            Route("/replies", self.replies, methods=["GET"]),
            Route("/replies", self.replies_add, methods=["POST"]),
            Route("/replies/{reply_id}", self.reply_edit, methods=["GET"]),
            Route("/replies/{reply_id}", self.reply_save, methods=["POST"]),
            Route("/replies/{reply_id}/delete", self.reply_delete, methods=["POST"]),
            Route("/mail/aside", self.aside, methods=["GET"]),
            Route("/mail/aside/{mail_id}/raw", self.aside_raw, methods=["GET"]),
            Route("/urls", self.urls, methods=["GET"]),
            Route("/urls/imports", self.urls_import, methods=["POST"]),
            Route("/urls/imports/{job}", self.import_progress, methods=["GET"]),
            Route("/accounts", self.accounts, methods=["GET"]),
            Route("/accounts", self.accounts_add, methods=["POST"]),
            Route("/accounts/{account_id}", self.account_page, methods=["GET"]),
            Route("/accounts/{account_id}/unlink", self.account_unlink_confirm,
                  methods=["GET"]),
            Route("/accounts/{account_id}/unlink", self.account_unlink, methods=["POST"]),
            Route("/accounts/{account_id}/plan", self.account_plan, methods=["POST"]),
            Route("/accounts/{account_id}/default-language", self.account_default_language,
                  methods=["POST"]),
            Route("/accounts/{account_id}/language", self.account_language,
                  methods=["POST"]),
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
        Middleware(SignInGuard, engine=service.engine, keep=console.signin_keeping),
    ]
    # outermost: the load balancer's probes skip the session and the sign-in guard
    middleware.insert(0, Middleware(HealthProbes, readiness=Readiness(service.engine)))
    app = Starlette(routes=console.routes(), middleware=middleware,
                    exception_handlers={HTTPException: http_error})
    app.state.console = console
    return app


def back_of(raw: str | None) -> str:
    """The inbox view a case page was opened from (`back`, kept through its forms so "← Inbox"
    returns to the same view); only a path on this site, else ""."""
    return raw if raw and safe_next(raw) == raw else ""


def done_url(number: str, done: str, back: str) -> str:
    """Where a case form's change redirects: the case page saying what was done."""
    return f"/cases/{number}?" + urlencode({"done": done, **({"back": back} if back else {})})


def _entry(e: CaseEvent) -> dict[str, Any]:
    """A timeline entry as the case page shows it: who made it ("casebot" when nobody did)."""
    return {"at": e.at, "kind": e.kind, "text": e.text, "actor": e.actor or "casebot"}


def _desk_of(case: Case) -> dict[str, Any]:
    """The desk's columns of a case (not in the case JSON's `details`): the version every form
    carries, the owner, what is due by when, and the sample zip's password (staff only: the
    case JSON and the customer's views never carry it)."""
    return {"version": case.version, "owner": case.assignee, "due_at": case.due_at,
            "due_kind": case.due_kind, "password": case.details.get("archive_password")}


def content_disposition(disposition: str, name: str) -> str:
    """The header Starlette's FileResponse writes: a quoted plain name, or RFC 5987's
    `filename*` when the name needs escaping."""
    quoted = quote(name)
    if quoted != name:
        return f"{disposition}; filename*=utf-8''{quoted}"
    return f'{disposition}; filename="{name}"'
