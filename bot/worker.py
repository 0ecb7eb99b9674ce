"""A stateless worker: take events from a source and run each through `Service.handle`.

Several workers may run against one PostgreSQL. Nothing lives in the worker between events:
the conversation's version check orders events of one conversation across workers, and the
delivery id makes a redelivered event (to this or another worker) do nothing. An event the
store could not take (database down) is retried until it is applied or the deadline passes.

    python -m bot.worker EVENTS.jsonl [EVENTS2.jsonl ...]

One JSON object per line: {"delivery_id": "...", "who": {"channel", "external_id", "email",
"name"}, "inbound": {Inbound fields; "file" as {name, size, sha256, path}}, "auto_start": bool}.
Settings (database, home) come from the environment as for every casebot command.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.maintenance import Pruner
from bot.protocol import Who
from bot.service import Service
from flows.model import FileRef, Inbound, Prompt

log = logging.getLogger(__name__)


def inbound_from_dict(d: dict[str, Any]) -> Inbound:
    d = dict(d)
    if d.get("choices") is not None:
        d["choices"] = tuple(d["choices"])
    if d.get("file") is not None:
        d["file"] = FileRef(**d["file"])
    return Inbound(**d)


def event_from_dict(d: dict[str, Any]) -> tuple[Who, Inbound, str | None, bool]:
    return (Who(**d["who"]), inbound_from_dict(d["inbound"]), d.get("delivery_id"),
            bool(d.get("auto_start")))


def read_jsonl(paths: Iterable[str | Path]) -> Iterator[dict[str, Any]]:
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def wants_retry(prompts: list[Prompt]) -> bool:
    return any(p.retry for p in prompts)


def handle_until_applied(service: Service, who: Who, inbound: Inbound,
                         delivery_id: str | None, auto_start: bool = False, *,
                         deadline: float = 300.0, pause: float = 0.2) -> list[Prompt]:
    """Handle one event; while the store is down, wait and try again (up to `deadline` s)."""
    give_up = time.monotonic() + deadline
    while True:
        prompts = service.handle(who, inbound, delivery_id=delivery_id, auto_start=auto_start)
        if not wants_retry(prompts) or time.monotonic() >= give_up:
            return prompts
        time.sleep(pause)


def run(service: Service, events: Iterable[dict[str, Any]], *,
        pruner: Pruner | None = None) -> int:
    """Apply every event in order; returns how many were handled (duplicates included)."""
    count = 0
    for raw in events:
        who, inbound, delivery_id, auto_start = event_from_dict(raw)
        handle_until_applied(service, who, inbound, delivery_id, auto_start)
        count += 1
        if pruner is not None:
            pruner.maybe()
    return count


def main(argv: list[str] | None = None) -> int:
    from bot.app import build_service
    from bot.settings import Settings

    ap = argparse.ArgumentParser(prog="python -m bot.worker", description=__doc__)
    ap.add_argument("files", nargs="+", help="JSON-lines event files, read in order")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    service = build_service(Settings())
    try:
        run(service, read_jsonl(args.files), pruner=Pruner(service.engine))
    finally:
        service.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
