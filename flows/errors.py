"""Errors the flow shows to the user.

`Invalid` carries a message written for the customer: it says what was wrong and what to do.
Every validator raises it; the flow catches it and asks the same step again.
"""


class Invalid(ValueError):
    """A user's answer was rejected; `str(exc)` is the message to show them (a message id
    with its parameters, flows/i18n.py, kept as such so it is shown in the user's language)."""

    def __str__(self) -> str:
        first = self.args[0] if self.args else None
        return first if isinstance(first, str) else super().__str__()


class StillChecking(Invalid):
    """A file's check has not finished yet; the user is told when it has (bot/samples.py).

    An `Invalid`, so code that only knows "passed or not" treats it as not passed."""


def quoted(text: str, limit: int = 80) -> str:
    """Quote user input in a message without letting a huge paste flood the chat."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"'{text}'"
