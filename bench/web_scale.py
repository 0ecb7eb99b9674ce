"""Is the web console as quick with a million cases as with a thousand? (issue 14)

Builds two databases that differ only in how many cases they hold (the fill of
bench/cases_scale.py: 1,000 vs 1,000,000 cases, each with its timeline event, then ANALYZE), an
operator in each, and the console app (`web.app.build_web_app`) on each. Then, side by side in
interleaved slices, a signed-in client asks for: the inbox's first page, the inbox's first
page filtered by status, and the page of a random case. The figure is the server's own time
(the `Server-Timing` header: from the request entering the app to the response starting,
sign-in check included), so the in-process client adds nothing.

    .venv/bin/python bench/web_scale.py [--small 1000] [--large 1000000] [--rounds 5]
    CASEBOT_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/web_scale.py --db postgresql
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import sqlalchemy as sa

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from starlette.testclient import TestClient  # noqa: E402

from bench.cases_scale import Setup, database_url, scale_args  # noqa: E402
from bot.operators import add_operator  # noqa: E402
from bot.settings import Settings  # noqa: E402
from store.uow import unit_of_work  # noqa: E402
from web.app import build_web_app  # noqa: E402

OPERATOR, PASSWORD = "bench@support.example", "bench password 123"
OPS = ("inbox", "inbox ?status", "case page")


def server_ms(response: httpx.Response) -> float:
    assert response.status_code == 200, (response.status_code, response.text[:300])
    timing = response.headers["server-timing"]
    return float(timing.split("dur=", 1)[1])


class Console:
    def __init__(self, setup: Setup, home: Path) -> None:
        self.setup = setup
        with unit_of_work(setup.engine) as s:
            add_operator(s, OPERATOR, PASSWORD, actor="test")
            s.commit()
        settings = Settings(home=home, database_url=str(setup.engine.url.render_as_string(
            hide_password=False)))
        self.client = TestClient(build_web_app(settings, setup.service),
                                 base_url="http://127.0.0.1", follow_redirects=False)
        page = self.client.get("/signin").text
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = self.client.post("/signin", data={"csrf_token": token, "email": OPERATOR,
                                              "password": PASSWORD, "next": "/"})
        assert r.status_code == 303, r.text
        with setup.engine.connect() as conn:
            self.lo, self.hi = conn.execute(sa.text(
                "SELECT min(number), max(number) FROM cases")).one()
        self.rng = random.Random(7)
        self.samples: dict[str, list[float]] = {op: [] for op in OPS}

    def round(self, calls: int) -> None:
        for _ in range(calls):
            self.samples["inbox"].append(server_ms(self.client.get("/")))
            self.samples["inbox ?status"].append(
                server_ms(self.client.get("/", params={"status": "open"})))
            number = self.rng.randint(int(self.lo), int(self.hi))
            r = self.client.get(f"/cases/{number}")
            assert str(number) in r.text
            self.samples["case page"].append(server_ms(r))


def main() -> None:
    args = scale_args(calls=100)
    drops: list[Callable[[], None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        consoles = []
        for size in (args.small, args.large):
            url = database_url(args, tmp, size, drops)
            home = Path(tmp) / f"home{size}"
            consoles.append(Console(Setup(f"{size:,}", url, home, size), home))
        for c in consoles:  # warm both (templates compiled, caches filled) before measuring
            c.round(5)
            c.samples = {op: [] for op in OPS}
        for _ in range(args.rounds * args.calls // args.slice):
            for c in consoles:
                c.round(args.slice)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}, {args.db}; {args.rounds}x{args.calls} requests "
              "per page and size; server time (Server-Timing)")
        for c in consoles:
            print(f"{c.setup.label}: {c.setup.cases:,} cases stored; "
                  f"fill {c.setup.fill_seconds:.1f} s")
        small, large = consoles
        print(f"{'page':14} {'median ' + small.setup.label:>16} "
              f"{'median ' + large.setup.label:>18} {'ratio':>6} "
              f"{'p99 ' + large.setup.label:>16}")
        for op in OPS:
            a = statistics.median(small.samples[op])
            b = statistics.median(large.samples[op])
            p99 = statistics.quantiles(large.samples[op], n=100)[98]
            print(f"{op:14} {a:>13.3f} ms {b:>15.3f} ms {b / a:>5.2f}x {p99:>13.3f} ms")
        for c in consoles:
            c.client.close()
            c.setup.close()
    for drop in drops:
        drop()


if __name__ == "__main__":
    main()
