"""The conversation after Submit, walked at random (hypothesis state machine): whatever the
operators and the customer do in whatever order, every customer message lands on the case it
was meant for, no internal note reaches any outbound path, and a survey answer counts only
for a resolution that was not withdrawn. A message that replies to nothing is never silently a
new request while a case is live: it is added (and says which case, with a way out) or asked
about, and wherever the customer's presses then take it, it is on exactly the case the bot
said, or it describes the new request."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlmodel import select

from bot import replies
from bot.protocol import Who, pressed
from bot.service import Service
from bot.updates import update_case
from flows.conversation import REQUEST
from flows.formstate import split
from flows.model import Inbound, Prompt
from store.db import make_engine, upgrade
from store.files import BlobStore
from store.tables import DONE_STATUSES, ChatNotice, OutboxMail
from store.uow import unit_of_work

ANN = Who("slack", "T1:U1", chat_ref="DU1")
CASES = 3
SECRET = "INTERNAL-ONLY"


class Conversation(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        home = Path(tempfile.mkdtemp(prefix="casebot-prop-"))
        engine = make_engine(f"sqlite:///{home / 'casebot.db'}")
        upgrade(engine)
        self.svc = Service(engine, BlobStore(home / "files", 2**20))
        self.numbers: list[str] = []
        self.sent: dict[str, list[str]] = {}
        with unit_of_work(engine) as s:
            ann = s.contacts.ensure("ann@acme.example", "Ann")
            s.contacts.link_identity(ann, ANN.channel, ANN.external_id, ANN.chat_ref)
            for k in range(CASES):
                case, _ = s.cases.create(ann, f"k{k}", "slack", {"subject": f"Case {k}"})
                assert case.id is not None
                assert case.number is not None
                s.case_refs.remember(ANN.channel, ANN.external_id, f"ref{k}", case.id)
                self.numbers.append(case.number)
                self.sent[case.number] = []
        self.n = 0
        self.offer: tuple[Prompt, str] | None = None  # the last buttons under a plain message

    def teardown(self) -> None:
        self.svc.engine.dispose()

    def _status(self, number: str) -> str:
        with unit_of_work(self.svc.engine, read_only=True) as s:
            case = s.cases.by_number(number)
            assert case is not None
            return case.status

    @rule(k=st.integers(0, CASES - 1))
    def customer_replies_in_the_thread(self, k: int) -> None:
        number = self.numbers[k]
        self.n += 1
        text = f"message {self.n} for {number}"
        said = self.svc.handle(ANN, Inbound(kind="text", text=text, thread=f"ref{k}",
                                            ref=f"m{self.n}"))
        if any(p.text.startswith(f"Added to case {number}") for p in said):
            self.sent[number].append(text)

    def _request_from(self, text: str) -> None:
        """A request was started from `text`: it is its description; then it is cancelled."""
        with unit_of_work(self.svc.engine, read_only=True) as s:
            found = s.conversations.load_for_identity(ANN.channel, ANN.external_id)
        assert found is not None
        conv = found[1]
        assert conv is not None
        frames = [conv.answers, *(f["answers"] for f in conv.stack if f["flow"] == REQUEST)]
        answers = frames[0] if conv.flow == REQUEST else frames[-1]
        assert split(answers)[0]["description"] == text
        for _ in range(3):
            self.svc.handle(ANN, Inbound(kind="command", command="cancel"))

    def _took(self, said: list[Prompt], text: str) -> None:
        """Record what the bot said it did with `text` (the invariants check it did)."""
        for prompt in said:
            for number in self.numbers:
                if prompt.text.startswith(f"Added to case {number}"):
                    self.sent[number].append(text)
                if prompt.text.startswith(f"Taken out of case {number}"):
                    self.sent[number].remove(text)
                    self._request_from(text)

    @rule()
    def customer_writes_outside_any_thread(self) -> None:
        self.n += 1
        text = f"plain message {self.n}: the agents stop reporting again"
        with unit_of_work(self.svc.engine, read_only=True) as s:
            live = any(s.cases.by_number(n).status not in DONE_STATUSES  # type: ignore[union-attr]
                       for n in self.numbers)
        said = self.svc.handle(ANN, Inbound(kind="text", text=text, ref=f"p{self.n}"))
        if any(p.text.startswith("Thank you for the comment") for p in said):
            return  # right after a rating it is the survey's comment (replies.comment)
        offers = [p for p in said if p.choices and (
            p.text.startswith("Added to case") or p.text.startswith("Is this about"))]
        if live:  # never silently a new request
            assert len(offers) == 1, [p.text for p in said]
            assert offers[0].choices[-1].label == "New case"
            self.offer = (offers[0], text)
        else:
            assert not offers
            self._request_from(text)
        self._took(said, text)

    @rule(pick=st.integers(0, 3))
    def customer_presses_a_button_under_a_plain_message(self, pick: int) -> None:
        if self.offer is None:
            return
        prompt, text = self.offer
        found = pressed(prompt.choices[pick % len(prompt.choices)].id)
        assert found is not None
        said = self.svc.handle(ANN, Inbound(kind="command", command=found[0], args=found[1]))
        self._took(said, text)
        if found[0] == "newfrom" and not any("already handled" in p.text for p in said):
            self._request_from(text)

    @rule(k=st.integers(0, CASES - 1), internal=st.booleans(),
          status=st.sampled_from([None, *replies.STATUSES]))
    def operator_writes(self, k: int, internal: bool, status: str | None) -> None:
        text = f"{SECRET} note" if internal else "Please check the agent log."
        with unit_of_work(self.svc.engine) as s:
            case = s.cases.by_number(self.numbers[k])
            assert case is not None
            replies.operator_message(s, case, operator="eve@support.example", text=text,
                                     internal=internal, status=status)

    @rule(k=st.integers(0, CASES - 1), status=st.sampled_from(replies.STATUSES),
          notify=st.booleans())
    def operator_sets_status(self, k: int, status: str, notify: bool) -> None:
        update_case(self.svc, self.numbers[k], actor="cli:eve", status=status, notify=notify)

    @rule(which=st.integers(0, 100), press=st.integers(0, 4))
    def customer_presses_a_button_of_any_notice(self, which: int, press: int) -> None:
        with unit_of_work(self.svc.engine, read_only=True) as s:
            buttons = [b["id"] for n in s.session.exec(select(ChatNotice)) for b in n.buttons]
        if not buttons:
            return
        found = pressed(buttons[which % len(buttons)])
        assert found is not None
        self.svc.handle(ANN, Inbound(kind="command", command=found[0], args=found[1]))

    @invariant()
    def every_message_is_on_its_own_case(self) -> None:
        with unit_of_work(self.svc.engine, read_only=True) as s:
            for number in self.numbers:
                case = s.cases.by_number(number)
                assert case is not None
                got = [m.text for m in s.messages.of_case(case.id or 0)
                       if m.author_kind == "customer"]
                assert got == self.sent[number]

    @invariant()
    def no_internal_note_goes_out(self) -> None:
        with unit_of_work(self.svc.engine, read_only=True) as s:
            for notice in s.session.exec(select(ChatNotice)):
                assert SECRET not in notice.text
            for mail in s.session.exec(select(OutboxMail)):
                assert SECRET not in mail.body_text
                assert SECRET not in (mail.body_html or "")

    @invariant()
    def a_withdrawn_survey_holds_no_answer(self) -> None:
        with unit_of_work(self.svc.engine, read_only=True) as s:
            for number in self.numbers:
                case = s.cases.by_number(number)
                assert case is not None
                data = s.cases.as_json(case)
                if data["satisfaction"] is not None:
                    assert 1 <= data["satisfaction"]["rating"] <= 5


Conversation.TestCase.settings = settings(
    max_examples=25, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_conversation_walk = Conversation.TestCase
