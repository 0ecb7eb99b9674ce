"""A conversation survives any stop: `kill -9`, Ctrl-C (SIGINT) or EOF, then `casebot chat` again.

The chat runs as a real subprocess. The test waits until the chat has printed the next question
(so the previous answer has been handled) and then stops it; the next run must show that same
question, and the review at the end must still hold every earlier answer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from tests.e2e import pseudo
from tests.e2e.conftest import EMAIL, Chat, Script, submitted
from tests.zipfactory import make_aes_zip

VERSION_Q = "Which version?"
PASSWORD_Q = "What is the zip's password?"
WHEN_Q = "When may we call?"


class Live:
    """A running `casebot chat` fed line by line, its stdout and stderr collected by reader
    threads (an unread stderr pipe that fills up would stall the chat)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.raw = ""  # as the chat wrote it (the pseudo-locale: tests/e2e/pseudo.py)
        self.err = ""
        self.seen = 0
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._err_reader = threading.Thread(target=self._read_err, daemon=True)
        self._err_reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._lock:
                self.raw += line
        pseudo.seen(self.raw, "terminal stdout (live)")

    @property
    def out(self) -> str:
        """What the chat wrote, read in English."""
        return str(pseudo.english(self.raw))

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._lock:
                self.err += line

    def send(self, *lines: str) -> Live:
        pseudo.data(*lines)
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(f"{line}\n" for line in lines))
        self.proc.stdin.flush()
        return self

    def wait_for(self, text: str, timeout: float = 15) -> str:
        """Block until `text` appears in output not yet consumed; return that output."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                pos = self.out.find(text, self.seen)
                if pos != -1:
                    chunk, self.seen = self.out[self.seen:pos + len(text)], pos + len(text)
                    return chunk
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.01)
        raise AssertionError(f"{text!r} never appeared; output so far:\n{self.out[-3000:]}")

    def stop(self, sig: int) -> int:
        os.kill(self.proc.pid, sig)
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # rare (seen once in CI): say where it hung
            self.proc.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER prints every thread
            self.proc.wait(timeout=5)
            self._err_reader.join(timeout=5)
            raise AssertionError(f"the chat did not stop on signal {sig}; its threads:\n"
                                 f"{self.err[-6000:]}\noutput:\n{self.out[-2000:]}") from None
        self._reader.join(timeout=5)
        self._err_reader.join(timeout=5)
        return code


def first_question(output: str) -> str:
    """The first thing the chat asks after its banner line."""
    return output.split("\n", 1)[1].lstrip("\n")


def test_kill_9_in_the_profile_form_and_later_in_the_request(chat: Chat, tmp_path: Path) -> None:
    sample = make_aes_zip(tmp_path / "s.zip", {"a.eml": b"Subject: x\r\n\r\ny"}, "infected")
    live = Live(chat.popen())
    live.wait_for("Describe the problem")
    live.send("/newcase", "HQ Apex One", "Apex One")  # no profile yet: the form opens at once
    live.wait_for(VERSION_Q)
    assert live.stop(signal.SIGKILL) == -signal.SIGKILL

    # Same question, inside the profile form opened from the request.
    live = Live(chat.popen())
    assert first_question(live.wait_for(VERSION_Q)).startswith(VERSION_Q)
    live.send("2019", "Windows 10, done", "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7", "done",
              "Save profile", "Spam",
              "Spam after the upgrade", "First line", "Second line", ".")
    live.wait_for(PASSWORD_Q)
    assert live.stop(signal.SIGKILL) == -signal.SIGKILL

    s = Script().say("infected", f"/attach {sample}", "/done", "Medium")
    result = chat.run(s)
    assert first_question(result.stdout).startswith(PASSWORD_Q)
    review = result.after("Please review your request.")
    for shown in ("Product profile: HQ Apex One (Apex One 2019)", "Issue: Spam",
                  "Subject: Spam after the upgrade", "Description: First line",
                  "    Second line", "Attachments: s.zip", "Case severity: Medium"):
        assert shown in review, shown

    (number,) = submitted(chat.run(["Submit"]))
    case = chat.case(number)
    assert (case["subject"], case["description"], case["issue_category"]) == (
        "Spam after the upgrade", "First line\nSecond line", "Spam")


def test_eof_exits_0_and_keeps_a_half_answered_compound_step(chat: Chat) -> None:
    s = Script().first_profile("HQ", "Apex One", "2019", ["Windows 10"])
    s.say("Product Issues", "Phone me").block("Please call.")
    s.say("Low", "Edit Contact method", "Phone", "+44 20 7946 0958")
    first = chat.run(s)
    assert first.returncode == 0, first.stderr
    assert first.stdout.rstrip().endswith("Your draft is saved. Run `casebot chat` to continue.")

    again = chat.run(["09:00-17:00 Europe/London"])
    assert again.returncode == 0
    assert first_question(again.stdout).startswith(WHEN_Q)  # the phone number was kept
    review = again.after("Please review your request.")
    assert "Phone: +442079460958" in review
    assert "Preferred time: 9:00 AM – 5:00 PM Europe/London" in review
    assert "Subject: Phone me" in review
    assert "Description: Please call." in review


def test_ctrl_c_keeps_the_draft(chat: Chat) -> None:
    live = Live(chat.popen())
    live.wait_for("Describe the problem")
    live.send("/newcase", "HQ", "Apex One", "2019",
              "Windows 10, done", "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7", "done",
              "Save profile", "Product Issues", "Interrupted")
    live.wait_for("Describe the issue")
    assert live.stop(signal.SIGINT) == 0
    assert "Your draft is saved." in live.out
    assert "Traceback" not in live.err

    result = chat.run(Script().block("Still here.").say("Low", "Submit"))
    assert first_question(result.stdout).startswith("Describe the issue")
    (number,) = submitted(result)
    assert chat.case(number)["subject"] == "Interrupted"


def test_eof_inside_a_multi_line_answer_sends_nothing(tmp_path: Path) -> None:
    """An answer without its closing '.' is unfinished: the next run asks for it again."""
    import io

    from adapters.console.app import ConsoleChat
    from bot.app import build_service
    from bot.chat import Chat
    from bot.protocol import Who
    from bot.settings import Settings

    service = build_service(Settings(home=tmp_path / "home"))
    who = Who("console", EMAIL, email=EMAIL)
    s = Script().first_profile("HQ", "Apex One", "2019", ["Windows 10"])
    s.say("Product Issues", "Half", "First line", "Second line")

    def run(lines: list[str]) -> str:
        out = io.StringIO()
        pseudo.data(*lines)
        code = ConsoleChat(Chat(service), who, stdin=io.StringIO("\n".join(lines) + "\n"),
                           stdout=out).run()
        assert code == 0
        return pseudo.seen(out.getvalue(), "terminal (in-process)")

    run(s.lines)
    again = run(["Whole answer", "."])
    assert first_question(again).startswith("Describe the issue")
    assert "How severe is it?" in again  # attachments are offered in the review
