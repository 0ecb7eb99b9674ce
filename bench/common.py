"""What the benchmarks share: the answers that bring a fresh contact to a measured step."""

from __future__ import annotations

from bot.protocol import Who
from bot.service import Service
from flows.model import Inbound

CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"
# start a request: no profile yet, so the profile form opens; fill it and save: back at the
# request, whose one profile and its one OS are filled in
PROFILE_ANSWERS = ["HQ Apex One", "Apex One", "2019", "1", "done", CODE, "done", "1"]
# ... then the issue (Product Issues): the subject question is next
TO_SUBJECT = [*PROFILE_ANSWERS, "1"]


def prepare(service: Service, who: Who, answers: list[str] = TO_SUBJECT) -> None:
    """Open the contact's request and give `answers`, one event each, as a user would."""
    service.handle(who, Inbound(kind="command", command="where"), auto_start=True)
    for answer in answers:
        service.handle(who, Inbound.from_text(answer))
