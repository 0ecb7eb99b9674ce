"""Feed imports from the console live in the database: any console process shows any import
(several behind a load balancer, or one restarted), and an import whose process ended shows as
stopped with what it saved, not as a page that vanished."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import httpx

from bot.app import build_engine
from bot.settings import Settings
from store.tables import FeedImport, utcnow
from store.uow import unit_of_work
from tests.web.conftest import Console, csrf_of

ROWS = 2000


def upload(client: httpx.Client, path: Path) -> str:
    """Import a feed through the form; the progress page's path."""
    token = csrf_of(client.get("/urls").text)
    with path.open("rb") as fh:
        r = client.post("/urls/imports", data={"csrf_token": token},
                        files={"feed": (path.name, fh, "text/csv")})
    assert r.status_code == 303, r.text
    return r.headers["location"]


def until_finished(client: httpx.Client, where: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        html = client.get(where).text
        if "Finished: 100%" in html:
            return html
        time.sleep(0.2)
    raise AssertionError(f"the import did not finish: {html[-1500:]}")


def test_another_console_process_shows_the_import_and_its_result(console: Console,
                                                                 tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text("url,rating,category\n"
                    + "".join(f"https://site{i}.example/,Safe,Business/Economy\n"
                              for i in range(ROWS))
                    + "https://bad.example/,Great,\n")
    other = Console(console.home)
    other.start()
    try:
        a, b = console.signed_in(), other.signed_in()
        where = upload(a, feed)
        page = b.get(where)  # the second process, while or after the first one imports
        assert page.status_code == 200
        assert "Importing feed.csv" in page.text
        html = until_finished(b, where)
        assert f"{ROWS + 1:,} rows: {ROWS:,} added" in html
        assert "1 rejected" in html
        assert "line 2002: rating" in html
        assert "Great" in html
    finally:
        other.close()
    console.close()  # a restart keeps the result page
    console.start()
    assert f"{ROWS:,} added" in until_finished(console.signed_in(), where)
    assert "Safe" in console.chat.cli("urls", "check", "https://site7.example/")


def test_an_import_whose_process_ended_shows_as_stopped(console: Console) -> None:
    folder = console.home / "imports"
    folder.mkdir(exist_ok=True)
    (folder / "left-behind.csv").write_text("url,rating\n")
    engine = build_engine(Settings(home=console.home), migrate=False)
    with unit_of_work(engine) as s:
        s.session.add(FeedImport(id="gone1", name="big.csv", upload="left-behind.csv",
                         done_bytes=500, total_bytes=1000, added=1200,
                         updated_at=utcnow() - timedelta(minutes=10)))
        s.session.add(FeedImport(id="live1", name="now.csv", upload="now.csv", done_bytes=100,
                         total_bytes=1000))
        s.commit()
    c = console.signed_in()
    stopped = c.get("/urls/imports/gone1").text
    assert "Stopped: 50%" in stopped
    assert "1,200 rows: 1,200 added" in stopped
    assert "Import the file again to finish" in stopped
    assert 'http-equiv="refresh"' not in stopped  # nothing more to wait for
    running = c.get("/urls/imports/live1").text
    assert "In progress: 10%" in running
    assert 'http-equiv="refresh"' in running
    assert c.get("/urls/imports/nothing").status_code == 404
    assert not (folder / "left-behind.csv").exists()  # its upload went with its process


def test_uploads_no_import_needs_go_when_a_console_starts(console: Console) -> None:
    """A stopped import whose page nobody opens, and strays, lose their upload at the next
    start of any console; a running import's upload, and one still being written, stay."""
    folder = console.home / "imports"
    folder.mkdir(exist_ok=True)
    names = ("finished.csv", "stopped.csv", "stray.csv", "running.csv", "being-written.csv")
    for name in names:
        (folder / name).write_text("url,rating\n")
    long_ago = time.time() - 600
    for name in names[:4]:
        os.utime(folder / name, (long_ago, long_ago))
    engine = build_engine(Settings(home=console.home), migrate=False)
    with unit_of_work(engine) as s:
        s.session.add(FeedImport(id="done2", name="a.csv", upload="finished.csv", finished=True))
        s.session.add(FeedImport(id="gone2", name="b.csv", upload="stopped.csv",
                         updated_at=utcnow() - timedelta(minutes=10)))
        s.session.add(FeedImport(id="live2", name="c.csv", upload="running.csv"))
        s.commit()
    engine.dispose()
    console.close()
    console.start()
    assert sorted(p.name for p in folder.iterdir()) == ["being-written.csv", "running.csv"]
