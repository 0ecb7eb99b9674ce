"""The terminal chat: `casebot chat`. Works at a TTY (colours) and through a pipe (plain).

Every answer is saved as it is given, so EOF, Ctrl-C or a killed process lose nothing:
`casebot chat` again shows the same question with every earlier answer kept.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TextIO

from rich.console import Console
from rich.text import Text

from adapters.console.inbound import attach_path, parse_line
from adapters.console.render import render, wants_block
from bot.chat import Chat
from bot.notices import Notice, Outcome
from bot.service import Service, Who
from flows.clean import for_terminal
from flows.errors import Invalid
from flows.model import Inbound, Prompt

STYLES = {"error": "bold red", "title": "bold", "question": "bold cyan", "choice": "",
          "hint": "dim", "info": "", "done": "bold green", "field": ""}


class ConsoleChat:
    def __init__(self, service: Service, who: Who, stdin: TextIO | None = None,
                 stdout: TextIO | None = None) -> None:
        self.service = service
        self.chat = Chat(service)
        self.who = who
        self.stdin = stdin or sys.stdin
        self.tty = self.stdin.isatty()
        self.out = Console(file=stdout or sys.stdout, highlight=False, markup=False,
                           emoji=False, force_terminal=None if self.tty else False,
                           soft_wrap=not self.tty)
        if self.tty:
            try:
                import readline  # noqa: F401  (line editing and history at the prompt)
            except ImportError:
                pass
        self.last: Prompt | None = None
        self.draft: str | None = None

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
        while True:
            if self.tty:
                try:
                    line = self.out.input("> ")
                except EOFError:
                    return
            else:
                line = self.stdin.readline()
                if not line:
                    return
                line = line.rstrip("\n").rstrip("\r")
            yield line

    def run(self) -> int:
        self.out.print(Text("casebot — open a support case. Type /help for commands.",
                            style="bold" if self.tty else ""))
        # operator updates to this person's terminal cases since the last run come first
        self.chat.deliver_notices(self.who.channel, self.show_notice,
                                  external_id=self.who.external_id)
        self.show(self.chat.handle(self.who, Inbound(kind="command", command="where"),
                                   auto_start=True))
        lines = self.lines()
        try:
            for line in lines:
                if wants_block(self.last) and not line.strip().startswith("/"):
                    block = [line]
                    if line.strip() != ".":
                        for more in lines:
                            if more.strip() == ".":
                                break
                            block.append(more)
                        else:
                            break  # EOF before the closing ".": the half answer is not sent
                    else:
                        block = []
                    self.answer(Inbound(kind="text", text="\n".join(block)))
                    continue
                self.answer(parse_line(line))
        except KeyboardInterrupt:
            self.out.print()
        if self.draft and self.chat.has_answers(self.who):
            self.out.print(Text("Your draft is saved. Run `casebot chat` to continue.",
                                style="dim" if self.tty else ""))
        return 0

    def answer(self, inbound: Inbound) -> None:
        path = attach_path(inbound)
        if path is not None:
            if not path:
                self.show([Prompt(kind="info", text="Usage: /attach PATH")])
                return
            try:
                ref = self.service.store_file(path)
            except Invalid as exc:
                self.show([Prompt(kind="info", text=str(exc))])
                return
            inbound = Inbound(kind="file", file=ref)
        self.show(self.chat.handle(self.who, inbound))

    def show_notice(self, notice: Notice) -> Outcome:
        self.show([Prompt(kind="info", text=notice.text)])
        return Outcome.SENT
