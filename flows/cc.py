"""The CC step: who else gets the case's mails. The one place CC addresses are judged.

A confirmation mail carries the user's subject and description, so CC must not turn casebot
into a mail relay (issue 11): addresses outside the account's own domains are refused unless
the operator allows them (CASEBOT_CC_OUTSIDE_DOMAINS); the world knows the domains.
"""

from __future__ import annotations

from typing import Any

from flows.context import Ctx
from flows.errors import Invalid
from flows.formstate import Answers
from flows.steps import MultiStep, Stay


def outside_error(outside: list[str]) -> Invalid:
    shown = ", ".join(outside[:5]) + (f" and {len(outside) - 5} more" if len(outside) > 5 else "")
    return Invalid(f"I can only copy addresses at your company's own email domains; {shown} "
                   f"{'is' if len(outside) == 1 else 'are'} outside them. Remove "
                   f"{'it' if len(outside) == 1 else 'them'} (or ask your support operator to "
                   "allow outside addresses).")


class CcStep(MultiStep):
    """A MultiStep of addresses whose finished list must pass `world.cc_outside`."""

    def read(self, inbound: Any, a: Answers, ctx: Ctx, pending: Any) -> Any:
        value = super().read(inbound, a, ctx, pending)
        if not isinstance(value, Stay):
            outside = list(ctx.world.cc_outside(value))
            if outside:
                raise outside_error(outside)
        return value

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        return not ctx.world.cc_outside(list(value or []))
