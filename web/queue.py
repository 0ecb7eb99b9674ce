"""The console's queue (issue 24): the inbox's views, filters, sorts and pages, all in the URL
(GET: every view is a bookmark), and bulk assignment / status changes.

A bulk change is each case through the same services as the case page (`bot.desk.assign`,
`bot.updates.update_case`), so each is audited on its own; then 303 back to the same view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.desk import assign
from bot.service import Service
from bot.updates import STATUSES, update_case
from store.repositories.inbox import COUNT_CAP, SORTS, VIEWS, Cursor, InboxFilter
from store.uow import unit_of_work
from web.security import form_of, safe_next

VIEW_NAMES = {"mine": "Mine", "unassigned": "Unassigned", "unresolved": "All unresolved",
              "overdue": "Overdue", "all": "All"}
SORT_NAMES = {"due": "Due time", "newest": "Newest first", "oldest": "Oldest first"}
# the page links' words per sort: (towards the start, towards the end)
PAGER_WORDS = {"due": ("Earlier due", "Later due"), "newest": ("Newer", "Older"),
               "oldest": ("Older", "Newer")}
MAX_BULK = 200  # cases in one bulk change (a page is 50)
FILTER_KEYS = ("view", "status", "severity", "account", "channel", "q", "sort")


def count_text(n: int, cap: int) -> str:
    return f"{cap:,}+" if n > cap else f"{n:,}"


def view_url(params: dict[str, Any] | list[tuple[str, str]]) -> str:
    items = params.items() if isinstance(params, dict) else params
    query = urlencode([(k, v) for k, v in items if v not in ("", None)])
    return "/?" + query if query else "/"


class Queue:
    """The inbox page and POST /cases/bulk, for one service; `page` renders a template."""

    def __init__(self, service: Service, render: Any, actor_of: Any,
                 severities: tuple[str, ...], channels: tuple[str, ...]) -> None:
        self.service = service
        self.render = render
        self.actor_of = actor_of
        self.severities = severities
        self.channels = channels

    def _filter(self, request: Request, me: str, mine: int) -> InboxFilter:
        p = request.query_params
        view = p.get("view", "")
        if view not in VIEWS:
            # the landing page: your own cases when you own any, else the whole desk's
            view = "mine" if mine else "unresolved"
        account = p.get("account", "")
        return InboxFilter(
            view=view, me=me,
            statuses=tuple(s for s in STATUSES if s in p.getlist("status")),
            severity=p.get("severity", "") if p.get("severity") in self.severities else "",
            account_id=int(account) if account.isascii() and account.isdigit()
            and len(account) < 18 else None,
            channel=p.get("channel", "") if p.get("channel") in self.channels else "",
            q=p.get("q", "")[:200], sort=p.get("sort", "") if p.get("sort") in SORTS else "")

    def inbox(self, request: Request) -> Response:
        me = request.state.operator.email
        now = datetime.now(UTC)
        p = request.query_params
        after, before = Cursor.parse(p.get("after", "")), Cursor.parse(p.get("before", ""))
        with unit_of_work(self.service.engine, read_only=True) as s:
            counts = s.inbox.counts(me, now)
            f = self._filter(request, me, counts["mine"])
            result = s.inbox.page(f, now, after=after, before=None if after else before)
            accounts = s.accounts.choices()
            operators = [o.email for o in s.operators.all()]
        # the view's own query: kept by every link (pages, case links, bulk's way back)
        keep = [(k, v) for k, v in p.multi_items() if k in FILTER_KEYS and v]
        if "view" not in p:
            keep.insert(0, ("view", f.view))
        here = view_url([*keep, *[(k, p[k]) for k in ("after", "before") if k in p]])
        notice = request.session.pop("queue_notice", "")
        words = PAGER_WORDS[result.sort]
        response: Response = self.render(
            request, "inbox.html", rows=result.rows, f=f, result=result, now=now,
            counts={v: count_text(n, COUNT_CAP) for v, n in counts.items()},
            views=VIEW_NAMES, sorts=SORT_NAMES, pager_words=words,
            view_link=lambda v: view_url({"view": v}),
            first_link=view_url(keep),
            previous_link=view_url([*keep, ("before", result.previous.text())])
            if result.previous else "",
            next_link=view_url([*keep, ("after", result.next.text())]) if result.next else "",
            here=here, statuses=STATUSES, severities=self.severities, channels=self.channels,
            accounts=accounts, operators=operators, notice=notice)
        return response

    async def bulk(self, request: Request) -> Response:
        """Assign and/or set the status of the ticked cases, each audited on its own."""
        form = await form_of(request)
        back = safe_next(str(form.get("back", "")))
        numbers = list(dict.fromkeys(str(n) for n in form.getlist("case")))[:MAX_BULK]
        target = str(form.get("assign", ""))
        status = str(form.get("status", ""))
        status = status if status in STATUSES else ""
        me = request.state.operator.email
        owner = me if target == "me" else None if target == "nobody" else target
        if not numbers:
            said = "Tick the cases to change first."
        elif not (target or status):
            said = "Choose whom to assign them to or a status."
        else:
            done = await run_in_threadpool(
                self._apply, numbers, bool(target), owner, status,
                form.get("notify") == "yes", self.actor_of(request))
            said = done.text(owner, me)
        request.session["queue_notice"] = said
        return RedirectResponse(back, 303)

    def _apply(self, numbers: list[str], assigning: bool, owner: str | None, status: str,
               notify: bool, actor: str) -> BulkDone:
        """Each case on its own (assignment, then status): one refused does not stop the
        rest."""
        done = BulkDone(assigning=assigning, status=status, notify=notify)
        for number in numbers:
            try:
                if assigning:
                    with unit_of_work(self.service.engine) as s:
                        case = s.cases.by_number(number)
                        if case is None:
                            raise LookupError(f"No case {number}.")
                        done.assigned += assign(s, case, owner, actor=actor)
                if status:
                    with unit_of_work(self.service.engine, read_only=True) as s:
                        case = s.cases.by_number(number)
                        current = case.status if case else None
                    if current != status:
                        update_case(self.service, number, status=status, notify=notify,
                                    actor=actor)
                        done.changed += 1
            except LookupError as exc:
                done.problems.setdefault(str(exc))
        return done


@dataclass
class BulkDone:
    """What a bulk change did, said back to the operator."""

    assigning: bool
    status: str
    notify: bool
    assigned: int = 0
    changed: int = 0
    problems: dict[str, None] = field(default_factory=dict)

    def text(self, owner: str | None, me: str) -> str:
        said = []
        if self.assigning:
            whom = "nobody" if owner is None else ("you" if owner == me else owner)
            said.append(f"Assigned {self.assigned} case{'s' if self.assigned != 1 else ''} "
                        f"to {whom}.")
        if self.status:
            told = " and told the customers." if self.notify and self.changed else "."
            said.append(f"Set {self.changed} case{'s' if self.changed != 1 else ''} to "
                        f"{self.status}{told}")
        return " ".join(said + list(self.problems)[:3])
