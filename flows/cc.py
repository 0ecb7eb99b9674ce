"""The CC step: who else gets the case's mails. The one place CC addresses are judged.

A confirmation mail carries the user's subject and description, so CC must not turn casebot
into a mail relay (issue 11): addresses outside the company's own domains (the account's, and
the contact's own mail domain unless it is a public one) are refused unless the operator allows
them (CASEBOT_CC_OUTSIDE_DOMAINS); the world knows the domains (`World.cc_outside`).

An address is refused when it is typed or picked, saying which, and is not kept: the list held
between messages only ever holds addresses that may be copied, so "done" always finishes
(issue 22: refusing only at "done" kept the bad address in the list and asked again forever).
"""

from __future__ import annotations

from typing import Any

from flows.context import Ctx
from flows.formstate import Answers
from flows.i18n import _, joined
from flows.steps import MultiStep, Stay


def outside_text(outside: list[str]) -> str:
    shown = joined(" ", [", ".join(outside[:5]), *([_("and {count} more",
                                                       count=len(outside) - 5)]
                                                     if len(outside) > 5 else [])])
    return _("I can't copy {shown}: I only copy addresses at your company's own email domains. "
             "Type another address, or done (your support operator can allow outside "
             "addresses).", shown=shown)


class CcStep(MultiStep):
    """A MultiStep of addresses, each of which must pass `world.cc_outside` as it is added."""

    def read(self, inbound: Any, a: Answers, ctx: Ctx, pending: Any) -> Any:
        value = super().read(inbound, a, ctx, pending)
        chosen = list(value.pending if isinstance(value, Stay) else value)
        outside = list(ctx.world.cc_outside(chosen))
        if not outside:
            return value
        kept = [address for address in chosen if address not in outside]
        errors = [value.error] if isinstance(value, Stay) and value.error else []
        return Stay(kept, error=joined(" ", [*errors, outside_text(outside)]))

    def still_valid(self, value: Any, a: Answers, ctx: Ctx) -> bool:
        return not ctx.world.cc_outside(list(value or []))
