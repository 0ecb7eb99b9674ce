"""Telegram Update -> Inbound / Who / media facts. Pure: reads PTB objects, calls nothing."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message, Update

from bot.protocol import DONE, N_, Inbound, Who

# The Bot API refuses getFile for files over 20 MB (cloud server).
DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class Media:
    file_id: str
    name: str
    size: int | None
    group: str | None


def who_of(update: Update) -> Who:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None
    return Who("telegram", str(user.id), chat_ref=str(chat.id) if chat else None,
               name=user.full_name or "", locale=user.language_code)


def text_inbound(text: str) -> Inbound:
    """Typed text; `/cmd@botname args` is a command, `/done` finishes an attachment step."""
    stripped = text.strip()
    # a command may start with the full-width slash a Japanese keyboard types
    if stripped.startswith(("/", "\uff0f")) and not stripped.startswith("//"):
        head, sep, rest = stripped.partition(" ")
        head = head.split("@", 1)[0]
        stripped = head + (sep + rest if sep else "")
        if head.lower() == "/done":
            return Inbound(kind="choice", choice=DONE, text=text)
        return Inbound.from_text(stripped)
    return Inbound(kind="text", text=text)


def media_of(message: Message) -> Media | None:
    """A document or photo (largest size) in the message, or None."""
    group = message.media_group_id
    if message.document is not None:
        doc = message.document
        name = doc.file_name or f"document_{doc.file_unique_id}"
        return Media(doc.file_id, name, doc.file_size, group)
    if message.photo:
        photo = max(message.photo, key=lambda p: (p.file_size or 0, p.width * p.height))
        return Media(photo.file_id, f"photo_{photo.file_unique_id}.jpg", photo.file_size, group)
    return None


def unsupported_media(message: Message) -> bool:
    return any(getattr(message, k, None) for k in ("video", "audio", "voice", "video_note",
                                                   "sticker", "animation", "contact",
                                                   "location"))


def too_big(media: Media) -> bool:
    return media.size is not None and media.size > DOWNLOAD_LIMIT


TOO_BIG = N_("{name} is {mb} MB, and Telegram lets bots download files only up to 20 MB. "
           "Split it into parts under 20 MB (for a sample: a multi-part zip with the same "
           "password) and send them here, or press Done and send the file to support by "
           "replying to the case confirmation email.")
