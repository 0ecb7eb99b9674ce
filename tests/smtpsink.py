"""A real SMTP server on 127.0.0.1 (aiosmtpd) whose answers a test scripts.

`SmtpSink` keeps every accepted message (parsed), answers DATA from a script of replies
("451 …", "554 …", or None for 250), can hold a DATA reply until the test releases it, and
can be stopped and started again on the same port (the server going away).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.e2e import pseudo


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpSink:
    port: int = field(default_factory=free_port)
    replies: list[str | None] = field(default_factory=list)  # DATA replies, in order
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> reply
    hold_at: int | None = None  # the DATA with this number waits for `release`, then 451
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    received: list[Received] = field(default_factory=list)
    data_count: int = 0
    _controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                      ready_timeout=5)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    # -- aiosmtpd handler hooks ---------------------------------------------------------------

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refuse_rcpt:
            return self.refuse_rcpt[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_count += 1
        if self.hold_at == self.data_count:
            self.holding.set()
            deadline = time.monotonic() + 20
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            return "451 4.3.0 the test held this one"
        reply = self.replies.pop(0) if self.replies else None
        if reply:
            return reply
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        msg = pseudo.seen_mail(msg, f"mail to {', '.join(envelope.rcpt_tos)}")
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"

    # -- what tests look at ------------------------------------------------------------------

    def per_message_id(self) -> Counter[str]:
        return Counter(str(r.message["Message-ID"]) for r in self.received)

    def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} messages arrived")
            time.sleep(0.02)
