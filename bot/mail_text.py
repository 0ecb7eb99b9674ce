"""What a received mail says: its text (plain preferred, else its HTML as text), that text
without quoted history and signature, and its attached files.

Cutting quotes is left to mail-parser-reply (it knows the "On … wrote:" lines of many mail
programs and languages, and signature markers); casebot keeps the whole text beside the cut
one, so nothing is lost when it cuts too much.
"""

from __future__ import annotations

from email.message import EmailMessage, Message
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

LANGUAGES = ["en", "de", "cs", "da", "es", "fr", "it", "ja", "ko", "nl", "pl", "sv", "zh"]
_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3",
                     "h4", "h5", "h6", "pre", "hr", "blockquote"})
_HIDDEN = frozenset({"script", "style", "head", "title"})


class _Text(HTMLParser):
    """HTML to plain text: block elements end lines, white space runs become one space (as
    a browser shows them), a blockquote's lines start with "> " (how the reply parser
    recognises quoted history), scripts and styles are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line = ""
        self.quoted = 0
        self.hidden = 0

    def _break(self) -> None:
        words = " ".join(self.line.split())
        if words:
            self.lines.append("> " * self.quoted + words)
        self.line = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self._break()
            self.quoted += tag == "blockquote"

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self._break()
            if tag == "blockquote":
                self.quoted = max(0, self.quoted - 1)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.line += data

    def text(self) -> str:
        self._break()
        return "\n".join(self.lines)


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return parser.text()


def whole_text(msg: EmailMessage) -> str:
    """The mail's text: its text/plain body, else its text/html body as text."""
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        payload = body.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    text = str(content)
    if body.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").strip()


def latest_reply(text: str) -> str:
    """The text without quoted history and signature (the whole text when nothing is left:
    a mail that is all quote is better kept whole than lost)."""
    if not text.strip():
        return ""
    cut = EmailReplyParser(languages=LANGUAGES).read(text)
    latest = cut.replies[0].body if cut.replies else ""
    return latest.strip() or text.strip()


def attachments(msg: EmailMessage) -> list[tuple[str, bytes]]:
    """The files in the mail (name, bytes): every leaf part but the text body and its
    alternatives, named by its filename or numbered."""
    body = msg.get_body(preferencelist=("plain", "html"))
    found: list[tuple[str, bytes]] = []
    for part in msg.walk():
        if part.is_multipart() or part is body:
            continue
        named = part.get_filename()
        if not named and (part.get_content_maintype() == "text"
                          and part.get_content_disposition() != "attachment"):
            continue  # the body's alternative (its HTML beside the plain text)
        found.append((named or _numbered(part, len(found) + 1), _bytes(part)))
    return found


def _numbered(part: Message, n: int) -> str:
    subtype = part.get_content_subtype()
    return f"attachment-{n}.{'eml' if subtype == 'rfc822' else subtype}"


def _bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    return part.as_bytes()  # message/rfc822: the attached mail as it was
