"""The queue page and bulk changes through the real console app (Starlette TestClient): views
with counts, the landing view, filters kept by every link, "← Inbox" back to the same view,
bulk assign / status audited, the plain Refresh link."""

from __future__ import annotations

import html
import re
import warnings
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from starlette.testclient import TestClient  # noqa: E402

from bot.accounts import add_account  # noqa: E402
from bot.app import build_service  # noqa: E402
from bot.operators import add_operator  # noqa: E402
from bot.service import Service  # noqa: E402
from bot.settings import Settings  # noqa: E402
from store.tables import utcnow  # noqa: E402
from store.uow import unit_of_work  # noqa: E402
from tests.web.conftest import csrf_of  # noqa: E402
from web.app import build_web_app  # noqa: E402

ME, OTHER, PASSWORD = "me@support.example", "other@support.example", "a long enough password"


@pytest.fixture
def desk() -> tuple[Service, TestClient, list[str]]:
    settings = Settings()
    service = build_service(settings)
    now = utcnow()
    numbers = []
    with unit_of_work(service.engine) as s:
        add_operator(s, ME, PASSWORD, actor="test")
        add_operator(s, OTHER, PASSWORD, actor="test")
        add_account(s, "Acme", "acme.example", actor="test")
        for i in range(90):
            who = s.contacts.ensure(f"user{i % 4}@acme.example")
            case, _ = s.cases.create(who, f"k{i}", "console", {
                "subject": f"Printer jam {i}", "severity": "High" if i % 2 else "Low",
                "description": "Paper everywhere."})
            case.status = ("open", "in progress", "closed")[i % 3]
            case.due_at = now + timedelta(minutes=30 * (i - 2))
            case.due_sort = case.due_at
            assert case.number is not None
            numbers.append(case.number)
    client = TestClient(build_web_app(settings, service), base_url="http://127.0.0.1",
                        follow_redirects=False)
    token = csrf_of(client.get("/signin").text)
    r = client.post("/signin", data={"csrf_token": token, "email": ME, "password": PASSWORD,
                                     "next": "/"})
    assert r.status_code == 303
    return service, client, numbers


def case_links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/cases/\d+\?[^"]*)"', page)]


def test_landing_views_counts_and_links_keep_the_view(
        desk: tuple[Service, TestClient, list[str]]) -> None:
    _, client, numbers = desk
    page = client.get("/").text
    assert "<h1>Inbox: All unresolved</h1>" in page  # owns nothing yet: the desk's view
    assert "Mine <span class=\"count\">(0)</span>" in page
    assert "All unresolved <span class=\"count\">(60)</span>" in page
    assert "Overdue <span class=\"count\">(2)</span>" in page  # i = 0 and 1 (i=2 is due now)
    assert "http-equiv" not in page
    assert ">Refresh</a>" in page
    assert "Loaded <time" in page
    assert "⚠ overdue" in page
    # the first unresolved case by due time first, and each link remembers the view
    links = case_links(page)
    assert links[0].startswith(f"/cases/{numbers[0]}?")
    back = parse_qs(urlsplit(links[0]).query)["back"][0]
    assert back == "/?view=unresolved"
    case_page = client.get(links[0]).text
    assert '<a href="/?view=unresolved">← Inbox</a>' in case_page
    assert '<a href="/">← Inbox</a>' in client.get(
        f"/cases/{numbers[0]}?back=//evil.example/").text  # not a local path: the inbox

    # several statuses, a search, a sort: kept by the page links and the case links
    query = "/?view=all&status=open&status=closed&q=printer&sort=oldest"
    page = client.get(query).text
    shown = [n for n in re.findall(r'name="case" value="(\d+)"', page)]
    assert shown == [numbers[i] for i in range(90) if i % 3 in (0, 2)][:50]
    nxt = html.unescape(re.search(r'href="([^"]+)" rel="next">Newer', page).group(1))  # type: ignore[union-attr]
    params = parse_qs(urlsplit(nxt).query)
    assert params["status"] == ["open", "closed"]
    assert params["q"] == ["printer"]
    assert params["sort"] == ["oldest"]
    assert params["view"] == ["all"]
    page2 = client.get(nxt).text
    assert re.findall(r'name="case" value="(\d+)"', page2) == [
        numbers[i] for i in range(90) if i % 3 in (0, 2)][50:]
    prev = html.unescape(re.search(r'href="([^"]+)" rel="prev">Older', page2).group(1))  # type: ignore[union-attr]
    assert re.findall(r'name="case" value="(\d+)"', client.get(prev).text) == shown
    back = parse_qs(urlsplit(case_links(page2)[0]).query)["back"][0]
    assert back.startswith("/?view=all&status=open&status=closed&q=printer&sort=oldest&after=")


def test_bulk_assign_and_status_are_audited_and_return_to_the_view(
        desk: tuple[Service, TestClient, list[str]]) -> None:
    service, client, numbers = desk
    view = "/?view=unresolved&severity=High"
    page = client.get(view).text
    token = csrf_of(page)
    picked = [numbers[1], numbers[7]]  # High, in progress
    r = client.post("/cases/bulk", data={"csrf_token": token, "case": picked, "assign": "me",
                                         "back": view})
    assert r.status_code == 303
    assert r.headers["location"] == view
    page = client.get(view).text
    assert "Assigned 2 cases to you." in page
    assert "<h1>Inbox: Mine</h1>" in client.get("/").text  # now owns cases: lands on Mine
    r = client.post("/cases/bulk", data={"csrf_token": token, "case": picked,
                                         "assign": OTHER, "status": "closed", "back": view})
    assert r.status_code == 303
    shown = client.get(view).text
    assert f"Assigned 2 cases to {OTHER}. Set 2 cases to closed." in shown
    with unit_of_work(service.engine, read_only=True) as s:
        for number in picked:
            case = s.cases.by_number(number)
            assert case is not None
            assert case.assignee == OTHER
            assert case.status == "closed"
            assert s.outbox.of_case(case.id) == []  # not told: notify was not ticked
        rows = [(a.actor, a.action, a.subject, a.detail) for a in s.audit.recent()]
    for number in picked:
        assert (f"web:{ME}", "case_assign", f"case:{number}", ME) in rows
        assert (f"web:{ME}", "case_assign", f"case:{number}", OTHER) in rows
        assert (f"web:{ME}", "case_update", f"case:{number}", "status closed") in rows
    # forged: no CSRF token, nothing changes; a foreign "back" is not followed
    assert client.post("/cases/bulk", data={"case": picked, "assign": "nobody"}
                       ).status_code == 403
    r = client.post("/cases/bulk", data={"csrf_token": token, "case": picked,
                                         "assign": "nobody", "back": "https://evil.example/"})
    assert r.headers["location"] == "/"
    r = client.post("/cases/bulk", data={"csrf_token": token, "case": picked,
                                         "assign": "ghost@support.example", "back": view})
    assert "No operator ghost@support.example" in client.get(view).text
