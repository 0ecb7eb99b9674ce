"""The case page as a desk (issue 24): an owner taken in one press or chosen, every timeline
entry and message with its operator, a form saved over a newer version refused with what
changed (nothing sent twice), the case's context, canned replies inserted without JavaScript.
In-process (TestClient) on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.desk import Stale
from bot.updates import reply_case, update_case
from store.uow import unit_of_work
from tests.web.desk import ANN, BOB, Desk, csrf_of, version_of


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path / "home", db_url if db_url.startswith("postgresql") else None)
    yield d
    d.close()


def test_take_it_and_the_owner_select(desk: Desk) -> None:
    number = desk.case()
    ann, bob = desk.client(ANN), desk.client(BOB)
    html = ann.get(f"/cases/{number}").text
    assert "Take it" in html
    assert ">nobody<" in html
    r = ann.post(f"/cases/{number}/take", data={"csrf_token": csrf_of(html),
                                               "version": version_of(html)})
    assert (r.status_code, r.headers["location"]) == (303, f"/cases/{number}?done=taken")
    assert desk.json(number)["assignee"] == ANN
    seen_by_bob = bob.get(f"/cases/{number}").text
    assert f"{ANN}</dd>" in seen_by_bob
    assert "Take it" in seen_by_bob
    mine = ann.get(f"/cases/{number}").text
    assert f"{ANN} (you)" in mine
    assert "Take it" not in mine
    # Bob hands it over to nobody from the owner select; the timeline names them both
    r = bob.post(f"/cases/{number}/owner", data={"csrf_token": csrf_of(seen_by_bob),
                                                "version": version_of(seen_by_bob),
                                                "owner": ""})
    assert r.status_code == 303
    assert desk.json(number)["assignee"] is None
    html = bob.get(f"/cases/{number}").text
    assert f"by {ANN}</span>" in html
    assert f"by {BOB}</span>" in html
    assert "Assigned to ann@support.example." in html
    assert "Unassigned." in html
    r = bob.post(f"/cases/{number}/owner", data={"csrf_token": csrf_of(html),
                                                "version": version_of(html),
                                                "owner": "nobody@else.example"})
    assert r.status_code == 400
    assert "No operator nobody@else.example" in r.text
    with unit_of_work(desk.service.engine, read_only=True) as s:
        rows = [(a.actor, a.action, a.detail) for a in s.audit.recent()
                if a.action == "case_assign"]
    assert rows == [(f"web:{BOB}", "case_assign", "nobody"),
                    (f"web:{ANN}", "case_assign", ANN)]


def test_taking_from_an_older_page_is_refused(desk: Desk) -> None:
    number = desk.case()
    ann, bob = desk.client(ANN), desk.client(BOB)
    old = bob.get(f"/cases/{number}").text
    html = ann.get(f"/cases/{number}").text
    ann.post(f"/cases/{number}/take", data={"csrf_token": csrf_of(html),
                                           "version": version_of(html)})
    r = bob.post(f"/cases/{number}/take", data={"csrf_token": csrf_of(old),
                                               "version": version_of(old)})
    assert r.status_code == 409
    assert "Changed since you opened it" in r.text
    assert f"by {ANN}" in r.text
    assert desk.json(number)["assignee"] == ANN
    r = bob.post(f"/cases/{number}/take", data={"csrf_token": csrf_of(r.text),
                                               "version": version_of(r.text)})
    assert r.status_code == 303
    assert desk.json(number)["assignee"] == BOB
    # taking a case you own already changes nothing, so it makes no other form stale
    before = version_of(bob.get(f"/cases/{number}").text)
    r = bob.post(f"/cases/{number}/take", data={"csrf_token": csrf_of(r.text or old),
                                               "version": before})
    assert r.status_code == 303
    assert version_of(bob.get(f"/cases/{number}").text) == before


def test_an_older_form_never_overwrites_and_nothing_is_sent_twice(desk: Desk) -> None:
    number = desk.case()
    ann, bob = desk.client(ANN), desk.client(BOB)
    a_page, b_page = ann.get(f"/cases/{number}").text, bob.get(f"/cases/{number}").text
    assert version_of(a_page) == version_of(b_page)
    # A resolves with a reply
    r = ann.post(f"/cases/{number}", data={
        "csrf_token": csrf_of(a_page), "version": version_of(a_page), "action": "reply",
        "note": "Fixed by pattern 1.2.4.", "status": "resolved"})
    assert r.status_code == 303, r.text
    told = desk.sent()
    # one chat notice of the reply, one asking Solved / Still broken (and the survey), mail
    assert [n.message_id is not None for n in told[0]].count(True) == 1
    assert [m.message_id is not None for m in told[1]].count(True) == 1
    # B's older form: a reply that would reopen it
    typed = "Still looking <into> it & will call you."
    r = bob.post(f"/cases/{number}", data={
        "csrf_token": csrf_of(b_page), "version": version_of(b_page), "action": "reply",
        "note": typed, "status": "in progress", "notify": "yes"})
    assert r.status_code == 409
    assert "Changed since you opened it" in r.text
    assert "nothing of yours was saved or sent" in r.text
    assert f"Reply by {ANN}." in r.text
    assert "Status changed to resolved." in r.text
    assert f"by {ANN}, <time datetime=" in r.text
    assert "Still looking &lt;into&gt; it &amp; will call you.</textarea>" in r.text
    assert '<option value="in progress" selected>' in r.text
    assert 'name="notify" value="yes" aria-describedby="notify-help" checked' in r.text
    assert desk.json(number)["status"] == "resolved"
    assert [m["author"] for m in desk.json(number)["messages"]] == [ANN]
    assert desk.sent() == told  # the customer heard once: nothing more queued
    # B read the changes; the page carries the new version: sending again applies
    assert int(version_of(r.text)) > int(version_of(b_page))
    again = bob.post(f"/cases/{number}", data={
        "csrf_token": csrf_of(r.text), "version": version_of(r.text), "action": "reply",
        "note": typed, "status": "in progress"})
    assert again.status_code == 303, again.text
    case = desk.json(number)
    assert case["status"] == "in progress"
    assert [m["author"] for m in case["messages"]] == [ANN, BOB]
    notices, mails = desk.sent()
    assert [n.message_id for n in notices if n.message_id] == [m["id"] for m in
                                                               case["messages"]]
    assert [m.message_id for m in mails if m.message_id] == [m["id"] for m in
                                                             case["messages"]]


def test_a_form_without_its_version_is_refused(desk: Desk) -> None:
    number = desk.case()
    ann = desk.client(ANN)
    html = ann.get(f"/cases/{number}").text
    r = ann.post(f"/cases/{number}", data={"csrf_token": csrf_of(html), "action": "reply",
                                          "note": "Hello", "status": "open"})
    assert r.status_code == 400
    assert "carries no case version" in r.text
    assert "Hello</textarea>" in r.text
    assert desk.sent() == ([], [])


def test_the_cli_passes_no_version_and_is_unchanged(desk: Desk) -> None:
    number = desk.case()
    update_case(desk.service, number, actor="cli:root", status="in progress")
    reply_case(desk.service, number, actor="cli:root", text="From the terminal.")
    case = desk.json(number)
    assert case["status"] == "in progress"
    assert case["messages"][0]["author"] == "cli:root"
    with pytest.raises(Stale) as refused:
        reply_case(desk.service, number, actor="web:x@y.example", text="late", seen=1)
    assert "changed after you opened it" in str(refused.value)


def test_two_operators_at_the_same_instant_one_wins(desk: Desk) -> None:
    """The race itself: two threads send from the same version; the conditional UPDATE lets
    exactly one through, the other is Stale, and the customer hears once."""
    number = desk.case()
    seen = int(version_of(desk.client(ANN).get(f"/cases/{number}").text))
    barrier = threading.Barrier(2)
    outcome: list[str] = []

    def send(actor: str, status: str) -> None:
        barrier.wait()
        try:
            reply_case(desk.service, number, actor=actor, text=f"{actor} here",
                       status=status, seen=seen)
            outcome.append("sent")
        except Stale:
            outcome.append("stale")

    threads = [threading.Thread(target=send, args=(f"web:{who}", status))
               for who, status in ((ANN, "in progress"), (BOB, "in progress"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcome) == ["sent", "stale"]
    assert len(desk.json(number)["messages"]) == 1
    notices, mails = desk.sent()
    assert (len(notices), len(mails)) == (1, 1)


def test_context_password_phone_account_other_cases_and_times(desk: Desk) -> None:
    number = desk.case("Sample from HR laptop", archive_password="S3cret pw",
                       phone="+1 (555) 010-0199", contact_method="Phone")
    older = desk.case("Earlier case", key="k-old")
    html = desk.client(ANN).get(f"/cases/{number}").text
    assert "Sample zip password: <code" in html
    assert "S3cret pw" in html
    assert 'href="tel:+15550100199"' in html
    with unit_of_work(desk.service.engine, read_only=True) as s:
        contact = s.contacts.by_email("tg@acme.example")
        assert contact is not None
        account_id = contact.account_id
    assert f'href="/accounts/{account_id}"' in html
    assert f'<a href="/cases/{older}">{older}</a> Earlier case' in html
    assert f'<a href="/cases/{number}">' not in html  # the others only
    assert " UTC</time>" in html
    assert '<time datetime="20' in html
    # the password is the staff's only: never in the case JSON
    assert "S3cret pw" not in str(desk.json(number))


def test_canned_replies_list_add_edit_delete_and_insert(desk: Desk) -> None:
    ann = desk.client(ANN)
    page = ann.get("/replies").text
    assert "No canned replies yet." in page
    r = ann.post("/replies", data={"csrf_token": csrf_of(page), "name": "Need logs",
                                  "text": "Please send the agent's debug log."})
    assert (r.status_code, r.headers["location"]) == (303, "/replies?done=added")
    r = ann.post("/replies", data={"csrf_token": csrf_of(page), "name": "Need logs",
                                  "text": "again"})
    assert r.status_code == 400
    assert "exists already" in r.text
    page = ann.get("/replies").text
    assert "Need logs" in page
    with unit_of_work(desk.service.engine, read_only=True) as s:
        [reply] = s.canned.all()
    edit = ann.get(f"/replies/{reply.id}").text
    r = ann.post(f"/replies/{reply.id}", data={
        "csrf_token": csrf_of(edit), "name": "Need logs",
        "text": "Please send the agent's debug log (Help > Debug)."})
    assert r.status_code == 303

    number = desk.case()
    html = ann.get(f"/cases/{number}").text
    assert '<button type="submit" name="action" value="insert"' in html
    r = ann.post(f"/cases/{number}", data={
        "csrf_token": csrf_of(html), "version": version_of(html), "action": "insert",
        "canned": str(reply.id), "note": "Hello,", "status": "waiting for customer"})
    assert r.status_code == 200
    assert ("Hello,\n\nPlease send the agent&#39;s debug log (Help &gt; Debug).</textarea>"
            in r.text)
    assert '<option value="waiting for customer" selected>' in r.text
    assert desk.sent() == ([], [])  # inserting sends nothing
    r = ann.post(f"/cases/{number}", data={
        "csrf_token": csrf_of(r.text), "version": version_of(r.text), "action": "reply",
        "note": "Hello,\n\nPlease send the agent's debug log (Help > Debug).",
        "status": "waiting for customer"})
    assert r.status_code == 303

    r = ann.post(f"/replies/{reply.id}/delete", data={"csrf_token": csrf_of(edit)})
    assert r.status_code == 400
    assert "Tick the box" in r.text
    r = ann.post(f"/replies/{reply.id}/delete", data={"csrf_token": csrf_of(edit),
                                                      "sure": "yes"})
    assert (r.status_code, r.headers["location"]) == (303, "/replies?done=deleted")
    assert ann.get(f"/replies/{reply.id}").status_code == 404
    with unit_of_work(desk.service.engine, read_only=True) as s:
        actions = [a.action for a in s.audit.recent() if a.subject.startswith("canned:")]
    assert actions == ["canned_delete", "canned_edit", "canned_add"]


def test_the_due_time_and_the_inbox_view_kept_through_the_forms(desk: Desk) -> None:
    from datetime import timedelta

    from store.tables import utcnow

    number = desk.case()
    with unit_of_work(desk.service.engine) as s:
        case = s.cases.by_number(number)
        assert case is not None
        case.due_at, case.due_kind = utcnow() + timedelta(minutes=25, seconds=30), \
            "first_response"
        s.cases.save(case)
    ann = desk.client(ANN)
    back = "/?status=open&sort=due"
    html = ann.get(f"/cases/{number}", params={"back": back}).text
    assert "first response due in 25 min" in html
    assert f'name="back" value="{back.replace("&", "&amp;")}"' in html
    r = ann.post(f"/cases/{number}/take", data={"csrf_token": csrf_of(html),
                                               "version": version_of(html), "back": back})
    assert r.headers["location"] == (f"/cases/{number}?done=taken&back="
                                     "%2F%3Fstatus%3Dopen%26sort%3Ddue")
    r = ann.post(f"/cases/{number}/owner", data={"csrf_token": csrf_of(html),
                                                "version": version_of(html), "owner": BOB,
                                                "back": "https://evil.example/"})
    assert r.status_code == 409  # the page was older than the take
    assert 'name="back"' not in r.text  # only a path on this site is kept
    with unit_of_work(desk.service.engine) as s:
        case = s.cases.by_number(number)
        assert case is not None
        case.due_at = utcnow() - timedelta(hours=2, minutes=1)
        s.cases.save(case)
    html = ann.get(f"/cases/{number}").text
    assert '<span class="overdue">first response overdue 2 h' in html
