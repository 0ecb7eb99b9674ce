"""CASEBOT_IMAP_URL read as bot/imap.py documents it (the server side is in
tests/e2e/test_mail_conversation.py, against a real dovecot)."""

from __future__ import annotations

import pytest

from bot.imap import ImapConfig


def test_imaps_is_implicit_tls_on_993_with_inbox_by_default() -> None:
    c = ImapConfig.parse("imaps://support%40desk.example:p%2Fw@mail.example.com")
    assert (c.host, c.port, c.use_tls, c.start_tls) == ("mail.example.com", 993, True, False)
    assert (c.username, c.password, c.mailbox) == ("support@desk.example", "p/w", "INBOX")
    assert "p/w" not in repr(c)


def test_a_password_on_imap_requires_starttls_unless_insecure_is_said() -> None:
    assert ImapConfig.parse("imap://u:p@h/Support%20Replies").start_tls is True
    assert ImapConfig.parse("imap://u:p@h/Support%20Replies").mailbox == "Support Replies"
    assert ImapConfig.parse("imap://h").start_tls is None  # when offered
    insecure = ImapConfig.parse("imap+insecure://u:p@h:1143/INBOX?timeout=5&verify=0")
    assert (insecure.port, insecure.start_tls, insecure.timeout, insecure.verify) == (
        1143, None, 5.0, False)


@pytest.mark.parametrize(("url", "says"), [
    ("pop3://u:p@h/INBOX", "must start with imaps://"),
    ("imaps:///INBOX", "has no host"),
    ("imaps://h:99999/INBOX", "bad port"),
    ("imaps://h/INBOX?timeout=soon", "timeout must be a number"),
])
def test_a_bad_url_says_what_is_wrong_without_the_password(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as caught:
        ImapConfig.parse(url)
    assert ":p@" not in str(caught.value)
