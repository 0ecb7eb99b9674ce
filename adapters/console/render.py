"""Prompt -> lines for a terminal: the question, then choices as `  N. Label`.

Returns (style, text) pairs; the app decides whether styles become colours (a TTY) or are
dropped (a pipe). Text is never parsed as markup, so whatever a user typed shows literally.
"""

from __future__ import annotations

from bot.protocol import N_, Prompt, _, command_of, say

Line = tuple[str, str]

HINTS = {
    "multiline": N_("(several lines; finish with a line holding only .)"),
    "multi": N_("(numbers or names separated by commas, then done or .; remove X takes one "
                "off)"),
    "files": N_("(/attach PATH adds a file, /done when finished)"),
}


def render(prompt: Prompt) -> list[Line]:
    out: list[Line] = []
    if prompt.error:
        out.append(("error", f"! {prompt.error}"))
    if prompt.kind == "review":
        out.append(("title", prompt.text))
        for item in prompt.summary:
            value_lines = item.value.split("\n")
            out.append(("field", f"  {item.label}: {value_lines[0]}"))
            out += [("field", f"    {more}") for more in value_lines[1:]]
    elif prompt.kind in ("info", "done"):
        out += [("done" if prompt.kind == "done" else "info", line)
                for line in prompt.text.split("\n")]
        # command buttons (flows/commands.py) can't be pressed here: say what to type
        out += [("info", c.hint) for c in prompt.choices if command_of(c.id) and c.hint]
        return out
    else:
        out += [("question", line) for line in prompt.text.split("\n")]
    if prompt.hint:
        out.append(("hint", prompt.hint))
    for n, choice in enumerate(prompt.choices, start=1):
        mark = ""
        if prompt.kind == "multi":
            mark = "[x] " if choice.id in prompt.selected else "[ ] "
        hint = f" — {choice.hint}" if choice.hint else ""
        out.append(("choice", f"  {n}. {mark}{choice.label}{hint}"))
    language = prompt.language or "en"
    if prompt.data.get("default"):
        out.append(("hint", say(_("(an empty answer keeps the current value)"), language)))
    if prompt.kind in HINTS:
        out.append(("hint", say(_(HINTS[prompt.kind]), language)))
    return out


def wants_block(prompt: Prompt | None) -> bool:
    """Multi-line answers are read until a line holding only '.'."""
    return prompt is not None and prompt.kind == "multiline"
