"""The terminal chat: `casebot chat`. Works at a TTY (colours) and through a pipe (plain).

Every answer is saved as it is given, so EOF, Ctrl-C or a killed process lose nothing:
`casebot chat` again shows the same question with every earlier answer kept.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.text import Text

from adapters.console import pipe
from adapters.console.inbound import (
    answers_at_once,
    attach_path,
    is_command,
    parse_line,
    read_block,
    shown_option,
)
from adapters.console.render import render, wants_block
from bot.chat import Chat
from bot.protocol import (
    FromMessage,
    Inbound,
    Invalid,
    Notice,
    Outcome,
    Prompt,
    Reply,
    Who,
    _,
    for_terminal,
    say,
)

GREETING = _("Describe the problem in a line or two and I'll open a case with it (or type "
             "/newcase). /help lists the commands.")
BANNER = _("casebot — open a support case. Type /help for commands.")
CHAT_REPLY_HINT = _("Reply to this message to answer.")  # bot/replies.py, for chats with replies
STYLES = {"error": "bold red", "title": "bold", "question": "bold cyan", "choice": "",
          "hint": "dim", "info": "", "done": "bold green", "field": ""}


class ConsoleChat:
    def __init__(self, chat: Chat, who: Who, stdin: TextIO | None = None,
                 stdout: TextIO | None = None, describe: str | None = None) -> None:
        self.describe = describe  # `--describe FILE`: the text a request starts from
        self.chat = chat
        self.who = who
        self.stdin = stdin or sys.stdin
        self.tty = self.stdin.isatty()
        self.out = Console(file=stdout or sys.stdout, highlight=False, markup=False,
                           emoji=False, force_terminal=None if self.tty else False,
                           soft_wrap=not self.tty)
        if self.tty:
            with contextlib.suppress(ImportError):  # line editing and history at the prompt
                import readline  # noqa: F401
        self.last: Prompt | None = None
        self.language = "en"  # what the last reply was rendered in: the console's own words too
        self.draft: str | None = None
        self.replied_to = ""  # the case of the last /reply: where a later /attach goes

    def show(self, prompts: list[Prompt]) -> None:
        for prompt in prompts:
            for style, line in render(prompt):
                self.out.print(Text(for_terminal(line),  # no stored control reaches the tty
                                    style=STYLES.get(style, "") if self.tty else ""))
            if prompt.kind != "info":
                self.last = prompt
        if prompts:
            self.draft = prompts[-1].draft
            self.out.print()

    def lines(self) -> Iterator[str]:
        if not self.tty:
            yield from pipe.lines(self.stdin)  # a Ctrl-C always stops it (adapters/console/pipe.py)
            return
        while True:
            try:
                yield self.out.input("> ")
            except EOFError:
                return

    def run(self) -> int:
        self.language = self.chat.view(self.who).language
        self.out.print(Text(say(BANNER, self.language), style="bold" if self.tty else ""))
        # operator updates to this person's terminal cases since the last run come first
        self.chat.deliver_notices(self.who.channel, self.show_notice,
                                  external_id=self.who.external_id)
        # no auto-start: with no request open, what the person types first describes it
        if self.describe is not None:
            where = self.chat.handle(self.who, FromMessage(self.describe)).prompts
        else:
            where = self.chat.handle(self.who, Inbound(kind="command", command="where")).prompts
        if not self.draft_in(where) and self.describe is None:
            where = [Prompt(kind="info", text=say(GREETING, self.language),
                            language=self.language)]
        self.show(where)
        lines = self.lines()
        try:
            for line in lines:
                if not wants_block(self.last) or is_command(line) or \
                        answers_at_once(self.last, line):
                    self.answer(parse_line(line))
                    continue
                block = read_block(line, lines)
                if block is None:
                    break  # EOF before the closing ".": the half answer is not sent
                self.answer(block)
        except KeyboardInterrupt:
            self.out.print()
        if self.draft and self.chat.view(self.who).has_answers:
            self.out.print(Text(say(_("Your draft is saved. Run `casebot chat` to continue."),
                                    self.language), style="dim" if self.tty else ""))
        return 0

    @staticmethod
    def draft_in(prompts: list[Prompt]) -> bool:
        return any(p.kind != "info" for p in prompts)

    def answer(self, inbound: Inbound) -> None:
        inbound = shown_option(inbound, self.last, self.draft)
        path = attach_path(inbound)
        if path is not None:
            if not path:
                self.show([Prompt(kind="info", text=say(_("Usage: /attach PATH"),
                                                        self.language))])
                return
            # at an attachment step the file is the step's; otherwise, after a /reply, it
            # goes to that case as a message of its own (the core reads a terminal thread
            # as the case number)
            thread = "" if self.at_files_step() else self.replied_to
            try:
                ref = self.chat.store_upload(Path(path).expanduser(), who=self.who)
            except Invalid as exc:
                self.show([Prompt(kind="info", text=say(exc.args[0], self.language))])
                return
            inbound = Inbound(kind="file", file=ref, thread=thread)
        elif inbound.kind == "command" and inbound.command == "reply":
            number = inbound.args.strip().split(" ", 1)[0].lstrip("#")
            self.replied_to = number if number.isdigit() else self.replied_to
        self.reply(self.chat.handle(self.who, inbound))

    def at_files_step(self) -> bool:
        return self.last is not None and self.last.kind == "files"

    def reply(self, reply: Reply) -> None:
        if reply.prompts:
            self.language = reply.language
        self.show([*[Prompt(kind="info", text=n) for n in reply.notices], *reply.prompts])

    def show_notice(self, notice: Notice) -> Outcome:
        """An operator's message or a status change since the last run. The terminal has no
        buttons: each button's hint says what to type (render() shows command hints)."""
        self.show([Prompt(kind="info", text=notice_text(notice, self.language),
                          choices=notice.buttons)])
        return Outcome.SENT


def notice_text(notice: Notice, language: str = "en") -> str:
    """The notice's text (rendered in the contact's language when it was queued), its files
    by name, and how to answer it here, in `language`."""
    # "reply to this message" means a chat's reply; here the answer is typed as /reply
    hints = {str.__str__(CHAT_REPLY_HINT), say(CHAT_REPLY_HINT, language)}
    lines = [line for line in notice.text.split("\n") if line not in hints]
    while lines and not lines[-1].strip():
        lines.pop()
    lines += [say(_("File: {name} ({size:,} bytes) at {path}", name=f.name, size=f.size,
                    path=f.path) if f.path else
                  _("File: {name} ({size:,} bytes)", name=f.name, size=f.size), language)
              for f in notice.files]
    if notice.case and not notice.buttons:
        lines.append(say(_("Type /reply {number} followed by your answer to reply; /case "
                           "{number} shows the case.", number=notice.case), language))
    return "\n".join(lines)
