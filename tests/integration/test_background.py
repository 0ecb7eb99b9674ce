"""The chat processes' background work: old delivery ids are forgotten, and it stops cleanly."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from bot.app import build_engine
from bot.background import start_background
from bot.settings import Settings
from store.tables import ProcessedEvent, utcnow
from store.uow import unit_of_work


def test_background_prunes_old_delivery_ids_and_stops(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    engine = build_engine(settings)
    with unit_of_work(engine) as s:
        s.session.add(ProcessedEvent(key="tg:old", at=utcnow() - timedelta(days=30)))
        s.session.add(ProcessedEvent(key="tg:new"))
        s.commit()
    stop = start_background(settings, prune_every=0.05)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with unit_of_work(engine) as s:
                if s.session.get(ProcessedEvent, "tg:old") is None:
                    break
            time.sleep(0.05)
        with unit_of_work(engine) as s:
            assert s.session.get(ProcessedEvent, "tg:old") is None
            assert not s.deliveries.first("tg:new")
    finally:
        stop()
    engine.dispose()
