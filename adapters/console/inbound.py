"""Terminal input -> Inbound. Pure: the app reads lines, this decides what they mean."""

from __future__ import annotations

from collections.abc import Iterator

from bot.protocol import DONE, SKIP_WORDS, Inbound, Prompt, match_choice, said


def parse_line(text: str) -> Inbound:
    """One answer line. `/done` ends an attachment step; other `/x` are commands."""
    if said(text) == "/done":
        return Inbound(kind="choice", choice=DONE, text=text)
    return Inbound.from_text(text)


def shown_option(inbound: Inbound, prompt: Prompt | None, draft: str | None) -> Inbound:
    """A line that is an option's label as shown in the person's language ("送信") is a press
    of that option: the flow matches typed labels in English only (issue 27)."""
    if inbound.kind != "text" or prompt is None or prompt.language in (None, "en"):
        return inbound
    typed = " ".join(inbound.text.split()).casefold()
    hits = [c for c in prompt.choices if c.label.casefold() == typed]
    if len(hits) != 1:
        return inbound
    return Inbound(kind="choice", choice=hits[0].id, text=inbound.text, step=prompt.step,
                   draft=draft)


def attach_path(inbound: Inbound) -> str | None:
    """The PATH of `/attach PATH`, with quotes removed, or None for any other input."""
    if inbound.kind == "command" and inbound.command == "attach":
        return inbound.args.strip().strip("'\"") or ""
    return None


def is_command(line: str) -> bool:
    """A line starting with `/` is a command, inside multi-line text too; `//` is a slash."""
    stripped = line.strip()
    return stripped.startswith("/") and not stripped.startswith("//") and len(stripped) > 1


def answers_at_once(prompt: Prompt | None, line: str) -> bool:
    """At a multi-line question, a first line that picks a shown option ("1", "Skip") or
    skips an optional step is the whole answer: no closing '.' is waited for."""
    if prompt is None:
        return False
    if match_choice(Inbound(kind="text", text=line), prompt.choices) is not None:
        return True
    return prompt.optional and said(line) in SKIP_WORDS


def read_block(first: str, lines: Iterator[str]) -> Inbound | None:
    """A multi-line answer up to a line holding only '.'; a command line inside it is run
    instead (the unfinished text is dropped); None at EOF before the '.'."""
    block: list[str] = []
    line = first
    while True:
        if said(line) in (".", "。"):  # the full-width "." and "。" too
            return Inbound(kind="text", text="\n".join(block))
        if is_command(line):
            return parse_line(line)
        block.append(line.replace("//", "/", 1) if line.lstrip().startswith("//") else line)
        nxt = next(lines, None)
        if nxt is None:
            return None
        line = nxt
