"""A stand-in for Slack's Web API on 127.0.0.1 (stdlib only), recording every call.

Serves auth.test, chat.postMessage, chat.update, chat.postEphemeral, users.info,
conversations.open, files.info, apps.connections.open (Socket Mode: answers `socket_url`, set
it to a `FakeSlackSocket`'s url), file downloads under /files/, and the three calls of
`files_upload_v2` (files.getUploadURLExternal, a POST of the bytes to the upload URL it
answers, files.completeUploadExternal; each completed upload is in `uploads`).
`limit(method, retry_after)` makes the next call of that method answer HTTP 429 with
Retry-After, as Slack does; `fail(method, error)` makes it answer `ok: false` with that error;
`hold(method)` records the next call of it (Slack has it) and answers only once `release` is
set (a client killed meanwhile never hears back).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, ParamSpec, TypeVar

from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier

from adapters.slack.app import SlackBot
from bot.app import build_service
from bot.processes import build_slack_bot
from bot.service import Service
from bot.settings import Settings
from store.uow import unit_of_work
from tests.e2e import pseudo

T = TypeVar("T")
P = ParamSpec("P")

BOT_TOKEN = "xoxb-test-token"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)
    result: dict[str, Any] = field(default_factory=dict)
    # the args as sent, in the pseudo-locale (tests/e2e/pseudo.py): `args` holds them back in
    # English for the tests, and a press sends the message's raw blocks back, as Slack does
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def sent(self) -> dict[str, Any]:
        return self.raw or self.args


@dataclass
class Upload:
    """A file the app shared: where (channel, thread) and what (name, bytes)."""

    file_id: str
    channel: str
    thread_ts: str | None
    name: str
    title: str
    data: bytes


class FakeSlack:
    def __init__(self, team_id: str = "T1", bot_user: str = "UBOT") -> None:
        self.team_id = team_id
        self.bot_user = bot_user
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.locales: dict[str, str] = {}
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.limits: dict[str, list[int]] = {}
        self.failures: dict[str, list[str]] = {}
        self.held_method: str | None = None
        self.holding = threading.Event()  # the held call has arrived
        self.release = threading.Event()  # answer it now
        self.downloads: list[tuple[str, str | None]] = []
        self.uploading: dict[str, dict[str, Any]] = {}  # file id -> name, length, bytes
        self.uploads: list[Upload] = []  # files shared by files.completeUploadExternal
        self.socket_url: str | None = None
        self.rtt = 0.0  # seconds each Web API call takes on the wire (half in, half out)
        self.connections: set[tuple[str, int]] = set()  # client (host, port) of API calls
        self._ts = itertools.count(1)
        self._cond = threading.Condition()
        # channels only operators read (the staff channel): not checked for the pseudo-locale
        self.operator_channels: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_url = self.url + "/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)

    # -- control -----------------------------------------------------------------------------

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_user(self, user_id: str, email: str | None, name: str = "Test User",
                 confirmed: bool = True, *, team_id: str | None = None,
                 stranger: bool = False, locale: str | None = None) -> None:
        """A member as users.info shows them. `team_id`: their own workspace, when it is not
        this one (a Slack Connect member of another organisation); `stranger`: Slack's
        `is_stranger`, an external member this workspace shares no channel with; `locale`:
        their Slack language, answered only when asked with include_locale."""
        pseudo.data(name)
        profile = {"real_name": name, **({"email": email} if email else {})}
        self.locales[user_id] = locale or pseudo.platform_tag()
        self.users[user_id] = {"id": user_id, "team_id": team_id or self.team_id,
                               "name": name, "real_name": name, "profile": profile,
                               "is_email_confirmed": confirmed,
                               **({"is_stranger": True} if stranger else {})}

    def add_file(self, file_id: str, name: str, data: bytes) -> dict[str, Any]:
        """Register a file; returns the event's partial file object (no download URL)."""
        pseudo.data(name)
        info = {"id": file_id, "name": name, "title": name, "size": len(data),
                "mimetype": "application/zip", "filetype": "zip",
                "url_private": f"{self.url}/files/{file_id}/{name}",
                "url_private_download": f"{self.url}/files/{file_id}/download/{name}"}
        self.files[file_id] = (info, data)
        return {"id": file_id, "mode": "hosted", "file_access": "check_file_info"}

    def limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        self.limits[method] = [retry_after] * times

    def fail(self, method: str, error: str = "internal_error", times: int = 1) -> None:
        self.failures[method] = [error] * times

    def hold(self, method: str) -> None:
        self.held_method = method

    def of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, pred: Callable[[list[Call]], T | None], timeout: float = 10.0) -> T:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = pred(list(self.calls))
                if got:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; calls so far: "
                                         f"{[c.method for c in self.calls]}")
                self._cond.wait(left)

    def wait_calls(self, method: str, count: int, timeout: float = 10.0) -> list[Call]:
        def enough(calls: list[Call]) -> list[Call] | None:
            got = [c for c in calls if c.method == method]
            return got if len(got) >= count else None

        return self.wait_for(enough, timeout)

    # -- the API -----------------------------------------------------------------------------

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        answers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test, "oauth.v2.access": self._oauth_access,
            "chat.postMessage": self._post_message, "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral, "users.info": self._users_info,
            "conversations.open": self._conversations_open,
            "apps.connections.open": self._connections_open,
            "chat.getPermalink": self._permalink, "views.publish": self._views_publish,
            "files.info": self._files_info,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }
        found = answers.get(method)
        return found(args) if found else {"ok": False, "error": "unknown_method"}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme",
                "user": "casebot", "team_id": self.team_id, "user_id": self.bot_user,
                "bot_id": "BBOT"}

    def _oauth_access(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "access_token": BOT_TOKEN, "token_type": "bot",
                "scope": "chat:write,commands", "bot_user_id": self.bot_user,
                "app_id": "A1", "team": {"name": "Acme", "id": self.team_id},
                "enterprise": None, "is_enterprise_install": False,
                "authed_user": {"id": "U1"}}

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"{1700000000 + next(self._ts)}.000100"
        return {"ok": True, "channel": args.get("channel"), "ts": ts,
                "message": {"text": args.get("text"), "ts": ts}}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user and str(args.get("include_locale")).lower() in ("true", "1"):
            user = {**user, "locale": self.locales.get(user["id"], pseudo.platform_tag())}
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": "D" + str(args.get("users", "X"))}}

    def _connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return ({"ok": True, "url": self.socket_url} if self.socket_url
                else {"ok": False, "error": "not_allowed_token_type"})

    def _permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args.get("message_ts", ""))
        return {"ok": True, "channel": args.get("channel"),
                "permalink": f"https://acme.slack.com/archives/{args.get('channel')}/"
                             f"p{ts.replace('.', '')}"}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if isinstance(args.get("view"), str):
            args["view"] = json.loads(args["view"])
        return {"ok": True, "view": {"id": "V1", **(args.get("view") or {})}}

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        found = self.files.get(str(args.get("file")))
        return {"ok": True, "file": found[0]} if found else {"ok": False,
                                                              "error": "file_not_found"}

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length") or "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ts):06d}"
        self.uploading[file_id] = {"name": args["filename"], "length": int(args["length"]),
                                   "data": None}
        return {"ok": True, "file_id": file_id,
                "upload_url": f"{self.url}/upload/v1/{file_id}"}

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        listed = json.loads(files) if isinstance(files, str) else files or []
        done = []
        for f in listed:
            pending = self.uploading.get(f.get("id", ""))
            if pending is None or pending["data"] is None:
                return {"ok": False, "error": "file_not_found"}
        for f in listed:
            pending = self.uploading.pop(f["id"])
            if args.get("channel_id"):
                self.uploads.append(Upload(f["id"], str(args["channel_id"]),
                                           args.get("thread_ts") or None, pending["name"],
                                           f.get("title") or pending["name"],
                                           pending["data"]))
            done.append({"id": f["id"], "title": f.get("title") or pending["name"]})
        return {"ok": True, "files": done}

    def english(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """A call's args as the tests read them: in English, what a customer is shown kept
        for the pseudo-locale check (tests/e2e/pseudo.py); an operators' channel's unchecked."""
        if not pseudo.active():
            return args
        channel = str(args.get("channel") or args.get("channel_id") or args.get("user_id") or "")
        if channel in self.operator_channels or pseudo.speaks_english(
                self.locales.get(channel.removeprefix("D"))):
            english: dict[str, Any] = pseudo.english(args)
            return english
        where = f"slack {method} {channel}".rstrip()
        shown: dict[str, Any] = pseudo.seen_payload(args, where)
        return shown

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        class Handler(_SlackApiHandler):
            pass

        Handler.fake = self
        return Handler


class _SlackApiHandler(BaseHTTPRequestHandler):
    """Slack's Web API and file downloads over HTTP, answered by the FakeSlack in `fake`."""

    fake: ClassVar[FakeSlack]

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms Nagle/delayed-ACK stalls on keep-alive

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path.startswith("/files/"):
            self.download(path)
            return
        self.api(path, dict(urllib.parse.parse_qsl(query)))

    def do_POST(self) -> None:
        path, _, query = self.path.partition("?")
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path.startswith("/upload/v1/"):
            self.receive_upload(path.rsplit("/", 1)[1], raw)
            return
        args: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype:
            args.update(json.loads(raw or b"{}"))
        else:
            args.update(urllib.parse.parse_qsl(raw.decode()))
        for key in ("blocks",):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        self.api(path, args)

    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else None

    def api(self, path: str, args: dict[str, Any]) -> None:
        method = path.removeprefix("/api/")
        if self.fake.rtt:
            time.sleep(self.fake.rtt / 2)  # the request's way to Slack
        if isinstance(args.get("view"), str):
            args["view"] = json.loads(args["view"])
        call = Call(method, self.fake.english(method, args), self.token(), raw=args)
        with self.fake._cond:
            self.fake.connections.add(self.client_address)
            waits = self.fake.limits.get(method)
            retry_after = waits.pop(0) if waits else None
            errors = self.fake.failures.get(method)
            error = errors.pop(0) if errors and retry_after is None else None
            if retry_after is not None:
                call.result = {"ok": False, "error": "ratelimited"}
            elif error is not None:
                call.result = {"ok": False, "error": error}
            else:
                call.result = self.fake.answer(method, args)
            held = self.fake.held_method == method
            if held:
                self.fake.held_method = None
            self.fake.calls.append(call)
            self.fake._cond.notify_all()
        if held:
            self.fake.holding.set()
            self.fake.release.wait(60)
        if self.fake.rtt:
            time.sleep(self.fake.rtt / 2)  # the answer's way back
        if retry_after is not None:
            self.send(429, call.result, {"Retry-After": str(retry_after)})
            return
        self.send(200, call.result)

    def download(self, path: str) -> None:
        parts = path.split("/")
        found = self.fake.files.get(parts[2]) if len(parts) > 2 else None
        with self.fake._cond:
            self.fake.downloads.append((path, self.token()))
            self.fake._cond.notify_all()
        if found is None or self.token() != BOT_TOKEN:
            self.send_bytes(404 if found is None else 403, b"no")
            return
        self.send_bytes(200, found[1])

    def receive_upload(self, file_id: str, data: bytes) -> None:
        """Step 2 of files_upload_v2: the bytes, to the URL files.getUploadURLExternal gave
        (no token: the URL is the credential); the length must be the one announced."""
        with self.fake._cond:
            pending = self.fake.uploading.get(file_id)
            ok = pending is not None and pending["length"] == len(data)
            if ok:
                assert pending is not None
                pending["data"] = data
            self.fake._cond.notify_all()
        self.send_bytes(200 if ok else 400, b"OK - " + str(len(data)).encode())

    def send(self, status: int, body: dict[str, Any],
             headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_bytes(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener executor, able to say when every submitted listener has finished."""

    def __init__(self) -> None:
        super().__init__(max_workers=8)
        self._futures: set[Future[Any]] = set()
        self._guard = threading.Lock()
        self.busy: list[float] = []  # seconds each listener ran (for the benchmark)

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        def timed() -> T:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.busy.append(time.perf_counter() - start)

        fut = super().submit(timed)
        with self._guard:
            self._futures.add(fut)
        return fut

    def wait_idle(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self._guard:
                pending = [f for f in self._futures if not f.done()]
                self._futures = set(pending)
            if not pending:
                return
            wait(pending, timeout=max(deadline - time.monotonic(), 0.01))
            if time.monotonic() > deadline:
                raise AssertionError("listeners still running")


class Driver:
    """Plays Slack's side of the Events/Interactivity/Commands API against a Bolt app.

    Builds payloads as Slack does, signs them exactly as Slack signs them (v0 HMAC-SHA256 over
    `v0:{timestamp}:{body}`), and either dispatches them into the App or POSTs them to a URL.
    """

    def __init__(self, app: Any, fake: FakeSlack, secret: str,
                 executor: TrackingExecutor | None = None, url: str | None = None) -> None:
        self.app = app
        self.fake = fake
        self.secret = secret
        self.executor = executor
        self.url = url
        self._ids = itertools.count(1)

    # -- transport -----------------------------------------------------------------------------

    def headers(self, body: str, content_type: str, ts: int | None = None,
                secret: str | None = None) -> dict[str, str]:
        ts = int(time.time()) if ts is None else ts
        sig = SignatureVerifier(secret or self.secret).generate_signature(timestamp=str(ts),
                                                                          body=body)
        assert sig is not None
        return {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": sig}

    def send(self, body: str, content_type: str, extra: dict[str, str] | None = None,
             wait_idle: bool = True, **sign: Any) -> tuple[int, str]:
        headers = {**self.headers(body, content_type, **sign), **(extra or {})}
        if self.url:
            req = urllib.request.Request(self.url, data=body.encode(), headers=headers,
                                         method="POST")
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    status, text = resp.status, resp.read().decode()
            except urllib.error.HTTPError as exc:
                status, text = exc.code, exc.read().decode()
        else:
            resp = self.app.dispatch(BoltRequest(body=body, headers=dict(headers)))
            status, text = resp.status, resp.body
        if wait_idle and self.executor is not None:
            self.executor.wait_idle()
        return status, self.answered(text)

    @staticmethod
    def answered(text: str) -> str:
        """The app's HTTP answer (an ack's text, a modal's errors), checked and in English."""
        if not pseudo.active() or not text:
            return text
        try:
            body = json.loads(text)
        except ValueError:
            return pseudo.seen(text, "slack ack")
        if "⟦" not in text:
            pseudo.seen_payload(body, "slack ack")
            return text
        return json.dumps(pseudo.seen_payload(body, "slack ack"), ensure_ascii=False)

    # -- Slack's payloads ------------------------------------------------------------------------

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        return json.dumps({"token": "x", "team_id": self.fake.team_id, "api_app_id": "A1",
                           "type": "event_callback", "event": event,
                           "event_id": event_id or f"Ev{next(self._ids):08d}",
                           "event_time": int(time.time()),
                           "authorizations": [{"team_id": self.fake.team_id,
                                               "user_id": self.fake.bot_user,
                                               "is_bot": True}]})

    def say(self, user: str, text: str, *, files: list[dict[str, Any]] | None = None,
            event_id: str | None = None, retry: int | None = None,
            wait_idle: bool = True, thread: str | None = None,
            ts: str | None = None) -> tuple[int, str]:
        """The user types `text` (Slack's escaping applied) in their DM with the app; with
        `thread`, as a reply in the thread of the message whose ts it is."""
        slack_text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        pseudo.data(text, slack_text)  # as typed, and as Slack escapes it
        return self.say_raw(user, slack_text, files=files, event_id=event_id, retry=retry,
                            wait_idle=wait_idle, thread=thread, ts=ts)

    def say_raw(self, user: str, slack_text: str, *, files: list[dict[str, Any]] | None = None,
                event_id: str | None = None, retry: int | None = None,
                wait_idle: bool = True, thread: str | None = None,
                ts: str | None = None) -> tuple[int, str]:
        pseudo.data(slack_text)
        event: dict[str, Any] = {"type": "message", "channel": "D" + user, "user": user,
                                 "text": slack_text, "ts": ts or f"{time.time():.6f}",
                                 "channel_type": "im", "team": self.fake.team_id}
        if thread:  # a reply in a thread, as Slack sends it (parent_user_id: who posted it)
            event["thread_ts"] = thread
            event["parent_user_id"] = self.fake.bot_user
        if files:
            event["subtype"] = "file_share"
            event["files"] = files
        extra = ({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
                 if retry else None)
        return self.send(self.event_body(event, event_id), "application/json", extra,
                         wait_idle=wait_idle)

    def mention(self, user: str, slack_text: str, *, channel: str = "C42",
                thread: str | None = None, event_id: str | None = None,
                retry: int | None = None) -> tuple[int, str]:
        """`user` mentions the app in `channel` (Slack's `app_mention` event; `slack_text` as
        Slack sends it, e.g. "<@UBOT> is this safe? <https://x.example|x.example>")."""
        pseudo.data(slack_text)
        ts = f"{time.time():.6f}"
        event: dict[str, Any] = {"type": "app_mention", "user": user, "text": slack_text,
                                 "ts": ts, "event_ts": ts, "channel": channel,
                                 "team": self.fake.team_id, "client_msg_id": f"m{ts}"}
        if thread:
            event["thread_ts"] = thread
        extra = ({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
                 if retry else None)
        return self.send(self.event_body(event, event_id), "application/json", extra)

    def user_change(self, user: str, locale: str | None) -> tuple[int, str]:
        """Slack's `user_change`: the member's profile changed, here their Slack language
        (`locale`; None: the event leaves it out, as when the app did not ask for it)."""
        member = {**self.fake.users[user], **({"locale": locale} if locale else {})}
        if locale:
            self.fake.locales[user] = locale
        event = {"type": "user_change", "user": member, "cache_ts": int(time.time()),
                 "event_ts": f"{time.time():.6f}"}
        return self.send(self.event_body(event), "application/json")

    def command(self, user: str, command: str, text: str = "",
                channel: str | None = None) -> tuple[int, str]:
        pseudo.data(text)
        channel = channel or "D" + user
        form = {"token": "x", "team_id": self.fake.team_id, "team_domain": "acme",
                "channel_id": channel,
                "channel_name": "directmessage" if channel.startswith("D") else "general",
                "user_id": user, "user_name": user.lower(), "command": command, "text": text,
                "api_app_id": "A1", "response_url": self.fake.url + "/response",
                "trigger_id": f"trig{next(self._ids)}"}
        return self.send(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")

    def interactive(self, payload: dict[str, Any]) -> tuple[int, str]:
        return self.send(urllib.parse.urlencode({"payload": json.dumps(payload)}),
                         "application/x-www-form-urlencoded")

    def message_shortcut(self, user: str, text: str, *, channel: str = "C42",
                         author: str = "U99", files: list[dict[str, Any]] | None = None,
                         ts: str | None = None) -> tuple[int, str]:
        """"Open a support case" on a message in a channel, as Slack sends a message_action
        (the message as Slack escapes it, its files as file objects)."""
        slack_text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        pseudo.data(text, slack_text)
        ts = ts or f"{time.time():.6f}"
        message: dict[str, Any] = {"type": "message", "user": author, "ts": ts,
                                   "text": slack_text}
        if files:
            message["files"] = files
        return self.interactive({
            "type": "message_action", "callback_id": "cb.message_case", "token": "x",
            "action_ts": f"{time.time():.6f}", "trigger_id": f"trig{next(self._ids)}",
            "team": {"id": self.fake.team_id, "domain": "acme"},
            "user": {"id": user, "team_id": self.fake.team_id, "name": user.lower()},
            "channel": {"id": channel, "name": "general"}, "message_ts": ts,
            "message": message, "response_url": self.fake.url + "/response"})

    def global_shortcut(self, user: str) -> tuple[int, str]:
        return self.interactive({
            "type": "shortcut", "callback_id": "cb.new_case", "token": "x",
            "action_ts": f"{time.time():.6f}", "trigger_id": f"trig{next(self._ids)}",
            "team": {"id": self.fake.team_id, "domain": "acme"},
            "user": {"id": user, "team_id": self.fake.team_id, "name": user.lower()}})

    def open_home(self, user: str) -> tuple[int, str]:
        """The user opens the app's Home tab (the app_home_opened event)."""
        return self.send(self.event_body({"type": "app_home_opened", "user": user,
                                          "channel": "D" + user, "tab": "home",
                                          "event_ts": f"{time.time():.6f}"}),
                         "application/json")

    def home(self, user: str) -> dict[str, Any]:
        """The home view last published for `user`."""
        views = [c for c in self.fake.of("views.publish") if c.args.get("user_id") == user]
        assert views, "no home view published"
        view: dict[str, Any] = views[-1].args["view"]
        return view

    def press_home(self, user: str, label: str) -> tuple[int, str]:
        views = [c for c in self.fake.of("views.publish") if c.args.get("user_id") == user]
        assert views, "no home view published"
        view = views[-1].sent["view"]
        block, el = next((b, e) for b in view["blocks"] if b.get("type") == "actions"
                         for e in b["elements"]
                         if label in (e["text"]["text"], pseudo.english(e["text"]["text"])))
        return self.interactive({
            "type": "block_actions", "team": {"id": self.fake.team_id},
            "user": {"id": user, "team_id": self.fake.team_id}, "api_app_id": "A1",
            "token": "x", "trigger_id": f"trig{next(self._ids)}",
            "container": {"type": "view", "view_id": "V1"},
            "view": {"id": "V1", "type": "home", "blocks": view["blocks"]},
            "actions": [{"action_id": el["action_id"], "block_id": block["block_id"],
                         "type": "button", "text": el["text"], "value": el["value"],
                         "action_ts": f"{time.time():.6f}"}]})

    # -- what the user sees ----------------------------------------------------------------------

    def messages(self, user: str) -> list[Call]:
        """The DM's messages in the order they were posted, each as last edited: a press is
        answered by chat.update of the pressed message into the answer and the next question."""
        channel = "D" + user
        latest = {c.args.get("ts"): c for c in self.fake.of("chat.update")
                  if c.args.get("channel") == channel}
        out = []
        for c in self.fake.of("chat.postMessage"):
            if c.args.get("channel") != channel:
                continue
            edit = latest.get(c.result.get("ts"))
            out.append(c if edit is None else replace(c, args={**c.args, **edit.args},
                                                      raw={**c.sent, **edit.sent}))
        return out

    def in_thread(self, user: str, thread: str) -> list[Call]:
        """The messages the app posted in the thread of the DM message `thread` (a ts)."""
        return [c for c in self.messages(user) if c.args.get("thread_ts") == thread]

    def top_level(self, user: str) -> list[Call]:
        """The DM's messages outside any thread."""
        return [c for c in self.messages(user) if not c.args.get("thread_ts")]

    def last(self, user: str) -> Call:
        msgs = self.messages(user)
        assert msgs, "no message posted"
        return msgs[-1]

    def text(self, user: str, since: int = 0) -> str:
        return "\n".join(c.args.get("text", "") for c in self.messages(user)[since:])

    def _find(self, user: str, label: str, message: Call | None = None
              ) -> tuple[Call, dict[str, Any], dict[str, Any], dict[str, Any] | None]:
        """The control whose label (or an option's label) is `label`, newest message first."""
        candidates = [message] if message else list(reversed(self.messages(user)))
        for msg in candidates:  # the message as sent (in the pseudo-locale), its labels read
            for block in msg.sent.get("blocks") or []:  # back in English
                if block.get("type") != "actions":
                    continue
                for el in block["elements"]:
                    shown = el["text"]["text"] if el["type"] == "button" else None
                    if shown is not None and label in (shown, pseudo.english(shown)):
                        return msg, block, el, None
                    for opt in _all_options(el):
                        if label in (opt["text"]["text"], pseudo.english(opt["text"]["text"])):
                            return msg, block, el, opt
        raise AssertionError(f"no control labelled {label!r}")

    def _action_body(self, user: str, msg: Call, action: dict[str, Any],
                     state: dict[str, Any] | None = None) -> str:
        payload = self.action_payload(user, msg, action, state)
        return urllib.parse.urlencode({"payload": json.dumps(payload)})

    def action_payload(self, user: str, msg: Call, action: dict[str, Any],
                       state: dict[str, Any] | None = None) -> dict[str, Any]:
        """A block_actions payload as Slack builds it (HTTP form field or Socket Mode)."""
        return {"type": "block_actions", "team": {"id": self.fake.team_id},
                "user": {"id": user, "team_id": self.fake.team_id},
                "api_app_id": "A1", "token": "x", "trigger_id": f"trig{next(self._ids)}",
                "container": {"type": "message", "message_ts": msg.result["ts"],
                              "channel_id": msg.args["channel"], "is_ephemeral": False,
                              **({"thread_ts": msg.args["thread_ts"]}
                                 if msg.args.get("thread_ts") else {})},
                "channel": {"id": msg.args["channel"], "name": "directmessage"},
                "message": {"type": "message", "ts": msg.result["ts"],
                            "text": msg.sent.get("text", ""),
                            **({"thread_ts": msg.args["thread_ts"]}
                               if msg.args.get("thread_ts") else {}),
                            "blocks": msg.sent.get("blocks") or []},
                "state": {"values": state or {}}, "actions": [action]}

    def press(self, user: str, label: str, message: Call | None = None,
              action_ts: str | None = None) -> tuple[int, str]:
        """Click a button, or pick an option of a select, labelled `label`."""
        msg, action = self.press_action(user, label, message, action_ts)
        return self.send(self._action_body(user, msg, action),
                         "application/x-www-form-urlencoded")

    def press_action(self, user: str, label: str, message: Call | None = None,
                     action_ts: str | None = None) -> tuple[Call, dict[str, Any]]:
        """The message holding the control labelled `label`, and the action pressing it."""
        msg, block, el, opt = self._find(user, label, message)
        action: dict[str, Any] = {"action_id": el["action_id"], "block_id": block["block_id"],
                                  "type": el["type"],
                                  "action_ts": action_ts or f"{time.time():.6f}"}
        if opt is None:
            action.update(text=el["text"], value=el["value"])
        else:
            action.update(selected_option=opt)
        return msg, action

    def pick_many(self, user: str, labels: list[str]) -> tuple[int, str]:
        """Choose several options of a multi-select, then press its Confirm button."""
        msg = self.last(user)
        block = next(b for b in msg.sent["blocks"] if b.get("type") == "actions")
        select = next(e for e in block["elements"] if e["type"] == "multi_static_select")
        opts = [o for o in _all_options(select)
            if {o["text"]["text"], pseudo.english(o["text"]["text"])} & set(labels)]
        assert len(opts) == len(labels), f"missing options among {labels}"
        confirm = next(e for e in block["elements"] if e["action_id"] == "cb.confirm")
        state = {block["block_id"]: {"cb.multi": {"type": "multi_static_select",
                                                  "selected_options": opts}}}
        action = {"action_id": "cb.confirm", "block_id": block["block_id"], "type": "button",
                  "text": confirm["text"], "value": confirm["value"],
                  "action_ts": f"{time.time():.6f}"}
        return self.send(self._action_body(user, msg, action, state),
                         "application/x-www-form-urlencoded")


def _all_options(el: dict[str, Any]) -> list[dict[str, Any]]:
    opts = list(el.get("options") or [])
    for group in el.get("option_groups") or []:
        opts += group["options"]
    return opts


# -- a complete test rig -------------------------------------------------------------------

SECRET = "test-signing-secret"
CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"


@dataclass
class Rig:
    fake: FakeSlack
    bot: SlackBot
    service: Service
    slack: Driver
    settings: Settings


@contextmanager
def slack_rig(tmp_path: Path) -> Iterator[Rig]:
    """A stand-in Slack, a casebot service on a fresh SQLite file, and the Bolt app."""
    with FakeSlack() as fake:
        settings = Settings(home=tmp_path / "home", slack_bot_token=BOT_TOKEN,
                            slack_signing_secret=SECRET, slack_api_url=fake.api_url,
                            slack_allowed_teams="T1")
        fake.operator_channels.add(settings.staff_slack_channel or "")
        service = build_service(settings)
        executor = TrackingExecutor()
        bot = build_slack_bot(settings, service, listener_executor=executor)
        yield Rig(fake, bot, service, Driver(bot.app, fake, SECRET, executor), settings)
        executor.shutdown(wait=True)


def press_ephemeral(rig: Rig, user: str, eph: Call, label: str) -> None:
    """Click a button on an ephemeral message, as Slack sends it (no `message`, is_ephemeral)."""
    block, el = next((b, e) for b in eph.sent["blocks"] if b.get("type") == "actions"
                     for e in b["elements"]
                     if label in (e["text"]["text"], pseudo.english(e["text"]["text"])))
    action = {"action_id": el["action_id"], "block_id": block["block_id"], "type": "button",
              "text": el["text"], "value": el["value"], "action_ts": f"{time.time():.6f}"}
    payload = {"type": "block_actions", "team": {"id": rig.fake.team_id},
               "user": {"id": user, "team_id": rig.fake.team_id}, "api_app_id": "A1",
               "token": "x", "trigger_id": "trig-eph",
               "container": {"type": "message", "message_ts": eph.result["message_ts"],
                             "channel_id": eph.args["channel"], "is_ephemeral": True},
               "channel": {"id": eph.args["channel"], "name": "general"},
               "response_url": rig.fake.url + "/response", "state": {"values": {}},
               "actions": [action]}
    status, _ = rig.slack.send(urllib.parse.urlencode({"payload": json.dumps(payload)}),
                               "application/x-www-form-urlencoded")
    assert status == 200


def link(service: Service, user: str, email: str, team: str = "T1",
         locale: str | None = None) -> None:
    """Linked as an operator links (no locale known: the first action asks Slack once), or,
    with `locale`, as a link through Slack keeps it (read from the same users.info)."""
    pseudo.data("Pat")
    with unit_of_work(service.engine) as s:
        contact = s.contacts.ensure(email, "Pat")
        s.contacts.link_identity(contact, "slack", f"{team}:{user}", "D" + user,
                                 locale=locale)
        s.commit()


def give_profiles(service: Service, email: str, count: int = 2) -> None:
    """Saved profiles, so a new request opens on the profile question (step 1)."""
    with unit_of_work(service.engine) as s:
        contact = s.contacts.ensure(email)
        for n in range(count):
            pseudo.data(f"Profile {n + 1}")
            s.profiles.save(contact, {"name": f"Profile {n + 1}", "product": "Apex One",
                                           "version": "2019", "operating_systems": ["Windows 10"],
                                           "activation_code": {"new": CODE}, "settings": [],
                                           "language": "English"})
        s.commit()


def make_profile(slack: Driver, user: str) -> None:
    """From a contact's first request (the profile form opens at once): add a profile and
    come back to the request; the language stays English."""
    slack.say(user, "HQ Apex One")
    slack.press(user, "Apex One")
    slack.press(user, "2019")
    slack.pick_many(user, ["Windows 10", "Windows Server 2016"])
    slack.say(user, CODE)
    slack.pick_many(user, ["Smart Scan Server", "Web Reputation Enabled"])
    slack.press(user, "Save profile")
