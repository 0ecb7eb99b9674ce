"""A stand-in for the Telegram Bot API on 127.0.0.1 (stdlib only), for e2e tests and benchmarks.

It speaks the wire format PTB uses (form-encoded or JSON bodies, `{"ok": true, "result": …}`),
records every call (`calls`, each with its arrival time; getUpdates only in `polls`), keeps the
messages it "sent" per chat so edits show, serves uploaded files through getFile +
/file/bot<token>/<path>, and lets a test act as users: `say`, `send_document`, `send_photo`,
`press`, a `reply` (text, a document or a photo) to a message, and `redeliver` (an update sent
again, as Telegram does after a timeout). The bot's documents (sendDocument, multipart uploads
as PTB sends them) are kept with their bytes
(`documents`). It keeps the users' messages too, so
`transcript` reads a chat as its client would, and `keyboard` is the reply keyboard the client
shows now (the last one sent, until a message removes it); malformed reply_markup gets 400.
In polling mode updates wait for getUpdates; after setWebhook they are POSTed to the webhook
URL with the secret header, as Telegram does.
`fail_next(method, retry_after)` answers the next call of a method with 429.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import itertools
import json
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.e2e import pseudo

BOT_USER = {"id": 999000, "is_bot": True, "first_name": "casebot", "username": "casebot_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": True}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a cancelled long poll at shutdown) is not an error."""


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when "Telegram" received it
    raw: dict[str, Any] = field(default_factory=dict)  # params as sent, in the pseudo-locale


def keyboard_shown(sent: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Of the messages a chat was sent, in order: the reply keyboard its client shows now (the
    last one sent, until one is removed)."""
    shown = None
    for msg in sent:
        markup = msg.get("reply_markup") or {}
        if "keyboard" in markup:
            shown = markup
        elif markup.get("remove_keyboard"):
            shown = None
    return shown


def button_texts(keyboard: dict[str, Any] | None) -> list[str]:
    """A reply keyboard's button texts, row by row (none for no keyboard)."""
    return [b["text"] if isinstance(b, dict) else b
            for row in (keyboard or {}).get("keyboard") or [] for b in row]


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token", delay: float = 0.0) -> None:
        self.token = token
        self.delay = delay  # seconds added to every Bot API call but getUpdates (a network's RTT)
        self.calls: list[Call] = []
        self.polls: list[float] = []  # when each getUpdates arrived (not in `calls`)
        self.connections: set[tuple[str, int]] = set()  # client (host, port) of API calls
        self.updates: list[dict[str, Any]] = []
        # the bot's messages as the tests read them (in English: tests/e2e/pseudo.py), and as
        # it sent them (in the pseudo-locale: what a tap or a press sends back)
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.raw: dict[tuple[int, int], dict[str, Any]] = {}
        # what users sent, as the client shows it
        self.inbox: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        # user id -> the language_code their client sends (issue 27); none: not sent
        self.languages: dict[int, str] = {}
        self.delivered: dict[int, dict[str, Any]] = {}  # update id -> the update, as sent
        # (chat id, message id) -> (file name, bytes) of documents the bot sent
        self.documents: dict[tuple[int, int], tuple[str, bytes]] = {}
        self.webhook: dict[str, Any] | None = None
        self.webhook_status: list[int] = []
        self.failures: dict[str, list[int]] = {}
        self.menu_button: dict[str, Any] | None = None
        self.cond = threading.Condition()
        self._ids = itertools.count(1)
        self._msg_ids = itertools.count(1)
        self._update_ids = itertools.count(1000)
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.closed = False

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeTelegram:
        self.thread.start()
        return self

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # -- what the bot did -------------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        with self.cond:
            return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to a chat, oldest first, as they look now (after edits)."""
        with self.cond:
            return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        return [m.get("text", "") for m in self.sent(chat_id)]

    def transcript(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat as its client shows it: the users' messages and the bot's, in order."""
        with self.cond:  # a tapped label, as the user sent it, read back in English too
            both = {**{k: pseudo.english(m) for k, m in self.inbox.items()}, **self.messages}
            return [m for (c, _), m in sorted(both.items()) if c == chat_id]

    def keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard the client shows now: the last one sent, until removed."""
        return keyboard_shown(self.sent(chat_id))

    def shown_buttons(self, chat_id: int) -> list[str]:
        """The texts of the buttons the client shows now: what a user can tap."""
        return button_texts(self.keyboard(chat_id))

    def tapped(self, chat_id: int, label: str) -> str:
        """What tapping the shown button `label` (as a test reads it, in English) sends: its
        text as the bot sent it."""
        with self.cond:
            sent = [m for (c, _), m in sorted(self.raw.items()) if c == chat_id]
        return next((t for t in button_texts(keyboard_shown(sent))
                     if pseudo.english(t) == label), label)

    def as_sent(self, msg: dict[str, Any]) -> dict[str, Any]:
        """A bot message a test holds (in English) as the bot sent it."""
        key = ((msg.get("chat") or {}).get("id"), msg.get("message_id"))
        with self.cond:
            return self.raw.get(key, msg)  # type: ignore[arg-type]

    def fail_next(self, method: str, retry_after: int = 1) -> None:
        self.failures.setdefault(method, []).append(retry_after)

    # -- acting as users --------------------------------------------------------------------

    def _user(self, user_id: int, name: str = "") -> dict[str, Any]:
        pseudo.data(name or f"User{user_id}")
        user = {"id": user_id, "is_bot": False, "first_name": name or f"User{user_id}"}
        if user_id in self.languages:
            user["language_code"] = self.languages[user_id]
        return user

    def _chat(self, chat_id: int, kind: str = "private") -> dict[str, Any]:
        chat = {"id": chat_id, "type": kind}
        if kind != "private":
            chat["title"] = "a group"
        return chat

    def _message(self, user_id: int, chat_id: int | None, kind: str,
                 **fields: Any) -> dict[str, Any]:
        pseudo.data(fields.get("text"), fields.get("caption"))  # what the user wrote
        return {"message_id": next(self._msg_ids), "date": int(time.time()),
                "chat": self._chat(chat_id or user_id, kind), "from": self._user(user_id),
                **fields}

    def enqueue(self, update: dict[str, Any]) -> int:
        update.setdefault("update_id", next(self._update_ids))
        with self.cond:
            self.delivered[update["update_id"]] = copy.deepcopy(update)
            msg = update.get("message")
            if msg is not None:
                self.inbox[(msg["chat"]["id"], msg["message_id"])] = msg
            hook = self.webhook
            if hook is None:
                self.updates.append(update)
                self.cond.notify_all()
        if hook is not None:
            self.webhook_status.append(self.post_webhook(update, hook.get("secret_token")))
        update_id: int = update["update_id"]
        return update_id

    def post_webhook(self, update: dict[str, Any], secret: str | None) -> int:
        assert self.webhook is not None
        req = urllib.request.Request(self.webhook["url"], data=json.dumps(update).encode(),
                                     headers={"Content-Type": "application/json"})
        if secret is not None:
            req.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status: int = resp.status
                return status
        except urllib.error.HTTPError as exc:
            return exc.code

    def say(self, user_id: int, text: str, *, chat_id: int | None = None,
            chat_type: str = "private") -> int:
        pseudo.data(text)
        if pseudo.active() and chat_id is None:  # a shown button's label, as the user reads
            text = self.tapped(user_id, text)   # it: what the button sends (a tap)
        msg = self._message(user_id, chat_id, chat_type, text=text)
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split(" ", 1)[0])}]
        return self.enqueue({"message": msg})

    def add_file(self, data: bytes) -> str:
        file_id = f"F{next(self._ids):06d}"
        self.files[file_id] = data
        return file_id

    def redeliver(self, update_id: int) -> int:
        """Send an update again, as it was (Telegram does when a webhook answer is late)."""
        with self.cond:
            update = copy.deepcopy(self.delivered[update_id])
        return self.enqueue(update)

    def _about(self, msg: dict[str, Any], caption: str | None,
               reply_to: dict[str, Any] | None) -> dict[str, Any]:
        pseudo.data(caption)
        if caption is not None:
            msg["caption"] = caption
        if reply_to is not None:
            msg["reply_to_message"] = _as_returned(self.as_sent(reply_to))
        return msg

    def send_document(self, user_id: int, name: str, data: bytes, *,
                      media_group_id: str | None = None, size: int | None = None,
                      caption: str | None = None, reply_to: dict[str, Any] | None = None
                      ) -> int:
        pseudo.data(name)
        file_id = self.add_file(data)
        doc = {"file_id": file_id, "file_unique_id": "u" + file_id, "file_name": name,
               "file_size": size if size is not None else len(data)}
        msg = self._about(self._message(user_id, None, "private", document=doc), caption,
                          reply_to)
        if media_group_id:
            msg["media_group_id"] = media_group_id
        return self.enqueue({"message": msg})

    def send_photo(self, user_id: int, data: bytes, *, media_group_id: str | None = None,
                   caption: str | None = None, reply_to: dict[str, Any] | None = None) -> int:
        small, big = self.add_file(data[:10]), self.add_file(data)
        sizes = [{"file_id": small, "file_unique_id": "u" + small, "width": 90, "height": 90,
                  "file_size": 10},
                 {"file_id": big, "file_unique_id": "u" + big, "width": 800, "height": 600,
                  "file_size": len(data)}]
        msg = self._about(self._message(user_id, None, "private", photo=sizes), caption,
                          reply_to)
        if media_group_id:
            msg["media_group_id"] = media_group_id
        return self.enqueue({"message": msg})

    def forward(self, user_id: int, text: str | None = None, *, caption: str | None = None,
                document: tuple[str, bytes] | None = None, photo: bytes | None = None,
                channel: str | None = None, channel_post: int = 77,
                media_group_id: str | None = None) -> int:
        """The user forwards a message to the bot: from a public channel (`channel` is its
        username) or from another user; with text, a document or a photo and its caption."""
        pseudo.data(text, caption, channel, document[0] if document else None, "Colleague")
        if channel:
            origin: dict[str, Any] = {"type": "channel", "date": int(time.time()) - 60,
                                      "chat": {"id": -1001234, "type": "channel",
                                               "title": channel, "username": channel},
                                      "message_id": channel_post}
        else:
            origin = {"type": "user", "date": int(time.time()) - 60,
                      "sender_user": self._user(4242, "Colleague")}
        fields: dict[str, Any] = {"forward_origin": origin}
        if text is not None:
            fields["text"] = text
        if caption is not None:
            fields["caption"] = caption
        if document is not None:
            file_id = self.add_file(document[1])
            fields["document"] = {"file_id": file_id, "file_unique_id": "u" + file_id,
                                  "file_name": document[0], "file_size": len(document[1])}
        if photo is not None:
            file_id = self.add_file(photo)
            fields["photo"] = [{"file_id": file_id, "file_unique_id": "u" + file_id,
                                "width": 800, "height": 600, "file_size": len(photo)}]
        if media_group_id:
            fields["media_group_id"] = media_group_id
        return self.enqueue({"message": self._message(user_id, None, "private", **fields)})

    def reply(self, user_id: int, text: str, to: dict[str, Any]) -> int:
        """The user sends `text` as a reply to the message `to` in their chat with the bot."""
        pseudo.data(text)
        msg = self._message(user_id, None, "private", text=text,
                            reply_to_message=_as_returned(self.as_sent(to)))
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split(" ", 1)[0])}]
        return self.enqueue({"message": msg})

    def inline(self, user_id: int, query: str) -> int:
        """`@bot query` typed in any chat: an inline query (no chat is said)."""
        pseudo.data(query)
        return self.enqueue({"inline_query": {"id": str(next(self._ids)),
                                              "from": self._user(user_id), "query": query,
                                              "offset": "", "chat_type": "supergroup"}})

    def press(self, user_id: int, message: dict[str, Any], data: str) -> int:
        query = {"id": str(next(self._ids)), "from": self._user(user_id),
                 "chat_instance": "ci", "data": data, "message": self.as_sent(message)}
        return self.enqueue({"callback_query": query})

    # -- the HTTP side ----------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        class Handler(_BotApiHandler):
            pass

        Handler.fake = self
        return Handler

    def record(self, method: str, params: dict[str, Any]) -> None:
        """A call, its params read back in English (what a customer is shown kept for the
        pseudo-locale check, tests/e2e/pseudo.py; the English command menu is English)."""
        chat = params.get("chat_id")
        english = (pseudo.english(params) if params.get("language_code") == "en"
                   or pseudo.speaks_english(self.languages.get(int(chat)) if chat else None)
                   else pseudo.seen_payload(params, f"telegram {method}"))
        with self.cond:
            self.calls.append(Call(method, english, raw=params))
            self.cond.notify_all()

    def api(self, method: str, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method != "getUpdates":
            if self.delay:
                time.sleep(self.delay / 2)  # the request's way to Telegram
            self.record(method, p)
            if self.delay:
                time.sleep(self.delay / 2)  # the answer's way back
        queued = self.failures.get(method)
        if queued:
            retry = queued.pop(0)
            return 429, {"ok": False, "error_code": 429,
                         "description": f"Too Many Requests: retry after {retry}",
                         "parameters": {"retry_after": retry}}
        handler = getattr(self, f"m_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        result = handler(p)
        if isinstance(result, tuple):
            return result
        return 200, {"ok": True, "result": result}

    # -- methods ----------------------------------------------------------------------------

    def m_getMe(self, p: dict[str, Any]) -> Any:
        return BOT_USER

    def m_getUpdates(self, p: dict[str, Any]) -> Any:
        self.polls.append(time.monotonic())
        offset = int(p.get("offset") or 0)
        timeout = min(float(p.get("timeout") or 0), 5.0)
        deadline = time.monotonic() + timeout
        with self.cond:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and not self.closed and time.monotonic() < deadline:
                self.cond.wait(max(0.0, deadline - time.monotonic()))
            return list(self.updates[:100])

    def m_setMyCommands(self, p: dict[str, Any]) -> Any:
        return True

    def m_setChatMenuButton(self, p: dict[str, Any]) -> Any:
        button = p.get("menu_button") or {"type": "default"}
        if button.get("type") not in ("commands", "web_app", "default"):
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: unsupported menu button type"}
        self.menu_button = button
        return True

    def m_answerInlineQuery(self, p: dict[str, Any]) -> Any:
        results = p.get("results") or []
        if len(results) > 50:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: RESULTS_TOO_MUCH"}
        for r in results:
            if r.get("type") != "article" or not r.get("id") or not r.get("title") or \
                    not (r.get("input_message_content") or {}).get("message_text"):
                return 400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: RESULT_INVALID"}
        return True

    def m_deleteWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    def m_setWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = {"url": p["url"], "secret_token": p.get("secret_token")}
        return True

    def _store(self, chat_id: int, text: str, markup: Any) -> dict[str, Any]:
        msg: dict[str, Any] = {"message_id": next(self._msg_ids), "date": int(time.time()),
                               "chat": self._chat(chat_id), "from": BOT_USER, "text": text}
        if markup:
            msg["reply_markup"] = markup
        with self.cond:
            self.raw[(chat_id, msg["message_id"])] = msg
            self.messages[(chat_id, msg["message_id"])] = pseudo.english(msg)
        return _as_returned(msg)

    def m_sendMessage(self, p: dict[str, Any]) -> Any:
        problem = markup_problem(p.get("reply_markup"))
        if problem:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {problem}"}
        return self._store(int(p["chat_id"]), p["text"], p.get("reply_markup"))

    def _edit(self, p: dict[str, Any], **changes: Any) -> Any:
        key = (int(p["chat_id"]), int(p["message_id"]))
        with self.cond:
            msg = self.raw.get(key)
            if msg is None:
                return 400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: message to edit not found"}
            msg.update({k: v for k, v in changes.items() if v is not None})
            if changes.get("reply_markup") is None:
                msg.pop("reply_markup", None)
            self.messages[key] = pseudo.english(msg)
            return _as_returned(msg)

    def m_sendDocument(self, p: dict[str, Any]) -> Any:
        """A document upload: multipart, the file in the part the `document` field names
        ("attach://<part>"), as PTB sends a local file."""
        problem = markup_problem(p.get("reply_markup"))
        upload = p.get("document")
        if problem or not isinstance(upload, tuple):
            return 400, {"ok": False, "error_code": 400,
                         "description": f"Bad Request: {problem or 'no document uploaded'}"}
        name, data = upload
        chat_id = int(p["chat_id"])
        file_id = self.add_file(data)
        msg: dict[str, Any] = {
            "message_id": next(self._msg_ids), "date": int(time.time()),
            "chat": self._chat(chat_id), "from": BOT_USER,
            "document": {"file_id": file_id, "file_unique_id": "u" + file_id,
                         "file_name": name, "file_size": len(data)}}
        if p.get("caption"):
            msg["caption"] = p["caption"]
        with self.cond:
            self.raw[(chat_id, msg["message_id"])] = msg
            self.messages[(chat_id, msg["message_id"])] = pseudo.english(msg)
            self.documents[(chat_id, msg["message_id"])] = (name, data)
        return _as_returned(msg)

    def m_editMessageText(self, p: dict[str, Any]) -> Any:
        return self._edit(p, text=p["text"], reply_markup=p.get("reply_markup"))

    def m_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        return self._edit(p, reply_markup=p.get("reply_markup"))

    def m_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        return True

    def m_getFile(self, p: dict[str, Any]) -> Any:
        file_id = p["file_id"]
        if file_id not in self.files:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid "
                         "file_id"}
        return {"file_id": file_id, "file_unique_id": "u" + file_id,
                "file_size": len(self.files[file_id]), "file_path": f"documents/{file_id}"}


class _BotApiHandler(BaseHTTPRequestHandler):
    """The Bot API and file downloads over HTTP, answered by the FakeTelegram in `fake`."""

    fake: ClassVar[FakeTelegram]

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms Nagle/delayed-ACK stalls on keep-alive

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        prefix = f"/file/bot{self.fake.token}/"
        if path.startswith(prefix):
            file_id = path[len(prefix):].rsplit("/", 1)[-1]
            data = self.fake.files.get(file_id)
            if data is None:
                self._reply(404, b"not found", "text/plain")
            else:
                self.fake.record("download", {"file_id": file_id})
                self._reply(200, data, "application/octet-stream")
            return
        self._api(path, {})

    def do_POST(self) -> None:
        self.fake.connections.add(self.client_address)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        params: dict[str, Any] = {}
        if "json" in ctype and raw:
            params = json.loads(raw)
        elif "multipart/form-data" in ctype and raw:
            params = _multipart(ctype, raw)
        elif raw:
            for k, v in parse_qsl(raw.decode(), keep_blank_values=True):
                try:
                    params[k] = json.loads(v) if v[:1] in "[{" else v
                except ValueError:
                    params[k] = v
        self._api(urlsplit(self.path).path, params)

    def _api(self, path: str, params: dict[str, Any]) -> None:
        prefix = f"/bot{self.fake.token}/"
        if not path.startswith(prefix):
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            self._reply(401, json.dumps(body).encode())
            return
        method = path[len(prefix):]
        status, body = self.fake.api(method, params)
        self._reply(status, json.dumps(body).encode())


def _multipart(ctype: str, raw: bytes) -> dict[str, Any]:
    """A multipart/form-data body: fields as values (JSON ones decoded), files as (name,
    bytes); a field "attach://<part>" is replaced by that part's file."""
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
    fields: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in parsed.iter_parts():
        key = part.get_param("name", header="content-disposition")
        body = part.get_payload(decode=True)
        assert isinstance(key, str)
        assert isinstance(body, bytes)
        filename = part.get_filename()
        if filename is not None:
            files[key] = (filename, body)
            continue
        value = body.decode()
        try:
            fields[key] = json.loads(value) if value[:1] in "[{" else value
        except ValueError:
            fields[key] = value
    for key, value in list(fields.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            fields[key] = files.pop(value.removeprefix("attach://"), value)
    for key, file in files.items():  # a file sent as the field itself
        fields.setdefault(key, file)
    return fields


def markup_problem(markup: Any) -> str:
    """What Telegram would refuse in a reply_markup ("" when it is fine)."""
    if markup is None:
        return ""
    kinds = [k for k in ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")
             if k in markup]
    if len(kinds) != 1:
        return "can't parse reply keyboard markup JSON object"
    if len(markup.get("input_field_placeholder") or "") > 64:
        return "input field placeholder is too long"
    rows = markup.get(kinds[0])
    if kinds[0] in ("remove_keyboard", "force_reply"):
        return "" if rows is True else "field must be True"
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        return "keyboard must be an array of arrays"
    for button in (b for r in rows for b in r):
        text = button if isinstance(button, str) else (button or {}).get("text")
        if not text:
            return "button text must be non-empty"
        data = button.get("callback_data") if isinstance(button, dict) else None
        if kinds[0] == "inline_keyboard" and data is not None and len(data.encode()) > 64:
            return "BUTTON_DATA_INVALID"
    return ""


def _as_returned(msg: dict[str, Any]) -> dict[str, Any]:
    """The Message Telegram returns: its reply_markup is only ever an inline keyboard (a reply
    keyboard belongs to the chat, not to the message)."""
    out = dict(msg)
    if "inline_keyboard" not in (out.get("reply_markup") or {}):
        out.pop("reply_markup", None)
    return out
