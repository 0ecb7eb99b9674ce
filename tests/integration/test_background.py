"""The chat processes' background work: old delivery ids are forgotten, and it stops cleanly."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session

from bot.app import build_engine
from bot.background import start_background
from bot.settings import Settings
from store import repo
from store.tables import ProcessedEvent, utcnow


def test_background_prunes_old_delivery_ids_and_stops(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    engine = build_engine(settings)
    with Session(engine) as s:
        s.add(ProcessedEvent(key="tg:old", at=utcnow() - timedelta(days=30)))
        s.add(ProcessedEvent(key="tg:new"))
        s.commit()
    stop = start_background(settings, prune_every=0.05)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with Session(engine) as s:
                if s.get(ProcessedEvent, "tg:old") is None:
                    break
            time.sleep(0.05)
        with Session(engine) as s:
            assert s.get(ProcessedEvent, "tg:old") is None
            assert not repo.first_delivery(s, "tg:new")
    finally:
        stop()
    engine.dispose()
