"""Is the web console as quick with a million cases as with a thousand? (issues 14 and 24)

Builds two databases that differ only in how much closed history they hold (1,000 vs
1,000,000 cases in all): both hold the same desk queue of QUEUE unresolved cases (the newest:
made through `uow.cases.create`, so numbered and indexed for search as the bot does it;
mixed statuses, owners, severities and due times, a quarter overdue), and the same few cases
a search looks for (a contact's email, an account, a reference id, a description word). The
history is bulk SQL (a recursive CTE on SQLite, generate_series on PostgreSQL): closed or
resolved cases with realistic subjects and descriptions, each with its timeline event and
search document; then ANALYZE. Then, side by side in interleaved slices, a signed-in client
asks for every queue view (Mine, Unassigned, All unresolved by due time and its second page,
Overdue, All newest, several statuses), each kind of search (full number, the last six
digits of a number, email, account, reference id, a description word) and a random case's
page. The figure is the server's own time (the `Server-Timing` header: from the request
entering the app to the response starting, sign-in check included), so the in-process client
adds nothing.

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
import time
import warnings
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import sqlalchemy as sa

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from starlette.testclient import TestClient  # noqa: E402

from bench.cases_scale import database_url, scale_args  # noqa: E402
from bot.accounts import add_account  # noqa: E402
from bot.app import build_service  # noqa: E402
from bot.operators import add_operator  # noqa: E402
from bot.settings import Settings  # noqa: E402
from store.db import make_engine, upgrade  # noqa: E402
from store.tables import NEVER, utcnow  # noqa: E402
from store.uow import unit_of_work  # noqa: E402
from web.app import build_web_app  # noqa: E402

OPERATOR, PASSWORD = "bench@support.example", "bench password 123"
OTHER = "other@support.example"
QUEUE = 300  # unresolved cases, the same in both databases
FILLERS = 1000  # contacts owning the history
STATUSES = ("open", "in progress", "waiting for customer", "customer replied")
SEVERITIES = ("Critical", "High", "Medium", "Low")
# (subject, description) pairs the history and the queue cycle through
TOPICS = (
    ("Agent crashes on update", "The agent service stops after the pattern update."),
    ("Scan is slow on the file server", "Real-time scan makes copying files very slow."),
    ("Pattern update fails", "Update fails with error 0x80070005 on several endpoints."),
    ("False positive on our build tool", "The compiler output is quarantined as malware."),
    ("License shows expired", "The console says the license expired although it was renewed."),
    ("Cannot install on Windows Server", "Setup rolls back at the end of the installation."),
    ("Web reputation blocks a partner site", "Our supplier portal is rated dangerous."),
    ("High CPU after upgrade", "The scan engine uses a full core since the upgrade."),
)
NEEDLE_EMAIL = "needle.person@acme.example"
NEEDLE_ACCOUNT, NEEDLE_DOMAIN = "Needlework Ltd", "needlework.example"
NEEDLE_WORD = "zanzibar"
NEEDLE_REF = "TR-261206-NDL144"


def history(engine: sa.Engine, cases: int) -> None:
    """`cases` closed or resolved cases with their timeline event and search document (bulk
    SQL), owned by FILLERS contacts of the Acme account; a quarter were the operator's."""
    if cases <= 0:
        return
    pg = engine.dialect.name == "postgresql"
    if pg:
        series = "SELECT x FROM generate_series(1, :n) AS x"
        now, empty = "now()", "'[]'::jsonb"
        to_text = "(:base + x)::text"
        obj = "jsonb_build_object"
    else:
        series = ("WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq "
                  "WHERE x < :n) SELECT x FROM seq")
        now, empty = "datetime('now')", "'[]'"
        to_text = "CAST(:base + x AS TEXT)"
        obj = "json_object"

    def cycle(i: int) -> str:
        return "CASE x % 8 " + " ".join(
            f"WHEN {k} THEN '{t[i]}'" for k, t in enumerate(TOPICS)) + " END"

    with engine.begin() as conn:
        acct = conn.execute(sa.text("SELECT id FROM accounts WHERE name = 'Acme'")).scalar()
        conn.execute(sa.text(
            f"INSERT INTO contacts (account_id, email, name, case_recipients, created_at) "
            f"SELECT :acct, 'filler' || x || '@acme.example', '', {empty}, {now} "
            f"FROM ({series}) AS s"), {"acct": acct, "n": FILLERS})
        lo = conn.execute(sa.text(
            "SELECT min(id) FROM contacts WHERE email LIKE 'filler%'")).scalar()
        conn.execute(sa.text(
            f"INSERT INTO cases (id, number, idempotency_key, contact_id, channel, status, "
            f"subject, details, created_at, updated_at, assignee) "
            f"SELECT x, {to_text}, 'history:' || x, :lo + (x % :fillers), "
            f"CASE x % 3 WHEN 0 THEN 'console' WHEN 1 THEN 'slack' ELSE 'telegram' END, "
            f"CASE WHEN x % 10 = 0 THEN 'resolved' ELSE 'closed' END, {cycle(0)}, "
            f"{obj}('severity', CASE x % 4 WHEN 0 THEN 'Critical' WHEN 1 THEN 'High' "
            f"WHEN 2 THEN 'Medium' ELSE 'Low' END, 'product', 'Apex One', "
            f"'description', {cycle(1)}), {now}, {now}, "
            f"CASE x % 4 WHEN 0 THEN :me WHEN 1 THEN :other ELSE NULL END "
            f"FROM ({series}) AS s"),
            {"n": cases, "base": 10_000_000, "lo": lo, "fillers": FILLERS, "me": OPERATOR,
             "other": OTHER})
        conn.execute(sa.text(
            f"INSERT INTO case_events (case_id, at, kind, text, version) SELECT id, {now}, "
            f"'created', 'Case opened from console.', 1 FROM cases"))
        # the search document as store/repositories/search.py writes it: the number and its
        # last digits, email, account, subject, description (the words split the same way)
        suffixes = " || ' ' || ".join(f"substr(c.number, {i})" for i in range(1, 7))
        doc = (f"{suffixes} || ' ' || replace(replace(t.email, '@', ' '), '.', ' ') "
               f"|| ' acme ' || c.subject || ' ' || "
               + ("(c.details ->> 'description')" if pg
                  else "json_extract(c.details, '$.description')"))
        source = "FROM cases c JOIN contacts t ON t.id = c.contact_id"
        if pg:
            conn.execute(sa.text(f"INSERT INTO case_search (case_id, tsv) SELECT c.id, "
                                 f"to_tsvector('simple', {doc}) {source}"))
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('cases', 'id'), "
                                 "(SELECT max(id) FROM cases))"))
        else:
            conn.execute(sa.text(f"INSERT INTO case_search (rowid, doc) SELECT c.id, {doc} "
                                 f"{source}"))


def queue(engine: sa.Engine) -> dict[str, str]:
    """The desk's QUEUE unresolved cases, newest of all, the same in both databases, made
    as the bot makes them; returns what the searches look for."""
    now = utcnow()
    found: dict[str, str] = {}
    with unit_of_work(engine) as s:
        for i in range(QUEUE):
            if i % 100 == 5:
                email = NEEDLE_EMAIL
            elif i % 100 == 17:
                email = f"buyer@{NEEDLE_DOMAIN}"
            else:
                email = f"queue{i % 50}@acme.example"
            who = s.contacts.ensure(email)
            subject, description = TOPICS[i % len(TOPICS)]
            if i % 100 == 33:
                description += f" It started after the trip to {NEEDLE_WORD.capitalize()}."
            case, _ = s.cases.create(who, f"queue:{i}", ("console", "slack", "telegram")[i % 3], {
                "subject": subject, "description": description, "product": "Apex One",
                "severity": SEVERITIES[i % 4]})
            case.status = STATUSES[i % 4]
            case.assignee = (OPERATOR, OTHER, None)[i % 3]
            if case.status != "waiting for customer":
                case.due_at = now + timedelta(minutes=30 * ((i % 40) - 10))
                case.due_sort = case.due_at
            else:
                case.due_sort = NEVER
            if i % 100 == 44:
                case.reference_id = f"TR-261206-NDL{i:03d}"
                s.search.index(case)
            assert case.number is not None
            if i == 150:
                found["number"] = case.number
            if i == 160:
                found["partial"] = case.number[-6:]
    return found


class DeskSetup:
    """One database: the operators, the accounts, the history, then the queue."""

    def __init__(self, label: str, url: str, home: Path, cases: int) -> None:
        self.label = label
        self.engine = make_engine(url)
        upgrade(self.engine)
        self.service = build_service(Settings(home=home, database_url=url), self.engine)
        started = time.perf_counter()
        with unit_of_work(self.engine) as s:
            add_operator(s, OPERATOR, PASSWORD, actor="bench")
            add_operator(s, OTHER, PASSWORD, actor="bench")
            add_account(s, "Acme", "acme.example", actor="bench")
            add_account(s, NEEDLE_ACCOUNT, NEEDLE_DOMAIN, actor="bench")
        history(self.engine, cases - QUEUE)
        self.found = queue(self.engine)
        pg = self.engine.dialect.name == "postgresql"
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # VACUUM too, so autovacuum does not start on the fresh rows while we measure
            conn.execute(sa.text("VACUUM ANALYZE" if pg else "ANALYZE"))
            if pg:
                conn.execute(sa.text("CHECKPOINT"))
        self.fill_seconds = time.perf_counter() - started
        with self.engine.connect() as conn:
            self.cases: int = conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()

    def close(self) -> None:
        self.engine.dispose()


def pages(found: dict[str, str]) -> dict[str, tuple[dict[str, str | list[str]], int]]:
    """What is measured: a name → (the inbox's query, the fewest rows it must show)."""
    every = {"view": "all"}
    return {
        "mine (due)": ({"view": "mine"}, 50),
        "unassigned (due)": ({"view": "unassigned"}, 50),
        "unresolved (due)": ({"view": "unresolved"}, 50),
        "unresolved p2": ({"view": "unresolved", "after": "NEXT"}, 50),
        "overdue": ({"view": "overdue"}, 50),
        "all (newest)": ({"view": "all"}, 50),
        "3 statuses": ({"view": "all", "status": ["open", "in progress", "customer replied"]},
                       50),
        "unresolved newest": ({"view": "unresolved", "sort": "newest"}, 50),
        "q number": ({**every, "q": found["number"]}, 1),
        "q last 6 digits": ({**every, "q": found["partial"]}, 1),
        "q email": ({**every, "q": NEEDLE_EMAIL}, 3),
        "q account": ({**every, "q": NEEDLE_ACCOUNT.split()[0]}, 3),
        "q reference id": ({**every, "q": NEEDLE_REF}, 1),
        "q word": ({**every, "q": NEEDLE_WORD}, 3),
    }


def server_ms(response: httpx.Response) -> float:
    assert response.status_code == 200, (response.status_code, response.text[:300])
    timing = response.headers["server-timing"]
    return float(timing.split("dur=", 1)[1])


class Console:
    def __init__(self, setup: DeskSetup, home: Path) -> None:
        self.setup = setup
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
        self.pages = pages(setup.found)
        first = self.client.get("/", params={"view": "unresolved"}).text
        after = first.split('rel="next"', 1)[0].rsplit("after=", 1)[1].split('"', 1)[0]
        self.pages["unresolved p2"][0]["after"] = httpx.QueryParams(
            "after=" + after.replace("&amp;", "&"))["after"]
        self.rng = random.Random(7)
        self.samples: dict[str, list[float]] = {op: [] for op in [*self.pages, "case page"]}

    def round(self, calls: int) -> None:
        for _ in range(calls):
            for name, (params, fewest) in self.pages.items():
                r = self.client.get("/", params=params)
                assert r.text.count('name="case" value=') >= fewest, (name, r.text[:2000])
                self.samples[name].append(server_ms(r))
            number = self.rng.randint(int(self.lo), int(self.hi))
            r = self.client.get(f"/cases/{number}")
            assert str(number) in r.text
            self.samples["case page"].append(server_ms(r))


def main() -> None:
    args = scale_args(calls=20)
    drops: list[Callable[[], None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        consoles = []
        for size in (args.small, args.large):
            url = database_url(args, tmp, size, drops)
            home = Path(tmp) / f"home{size}"
            consoles.append(Console(DeskSetup(f"{size:,}", url, home, size), home))
        for c in consoles:  # warm both (templates compiled, caches filled) before measuring
            c.round(3)
            c.samples = {op: [] for op in c.samples}
        for _ in range(max(1, args.rounds * args.calls // args.slice)):
            for c in consoles:
                c.round(args.slice)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}, {args.db}; {args.rounds}x{args.calls} requests "
              "per page and size; server time (Server-Timing)")
        for c in consoles:
            print(f"{c.setup.label}: {c.setup.cases:,} cases stored ({QUEUE} unresolved); "
                  f"fill {c.setup.fill_seconds:.1f} s")
        small, large = consoles
        print(f"| {'page':18} | {'median ' + small.setup.label:>16} | "
              f"{'median ' + large.setup.label:>18} | {'ratio':>6} | "
              f"{'p99 ' + large.setup.label:>16} |")
        print(f"|{'-' * 20}|{'-' * 18}:|{'-' * 20}:|{'-' * 7}:|{'-' * 18}:|")
        for op in small.samples:
            a = statistics.median(small.samples[op])
            b = statistics.median(large.samples[op])
            p99 = statistics.quantiles(large.samples[op], n=100)[98]
            print(f"| {op:18} | {a:>13.3f} ms | {b:>15.3f} ms | {b / a:>5.2f}x | "
                  f"{p99:>13.3f} ms |")
        for c in consoles:
            c.client.close()
            c.setup.close()
    for drop in drops:
        drop()


if __name__ == "__main__":
    main()
