"""Typed text in a Telegram chat: a tap (the text of a button on the chat's keyboard) or an
answer, read and answered in one call on the chat's worker thread.

A tap is read back only against the keyboard last drawn in that chat (`Shown`; after a
restart, the conversation's current question, every page of it, read without writing) as a
choice carrying the step and draft that keyboard was drawn for. A tap the chat layer finds
stale (another worker moved the request on) is read again against the question the request
is at, the keyboard the user sees; only a tap that is none of its buttons stays refused.

A reply to a message (`thread`: the message replied to) is never a tap: a client sends taps
as plain messages. It goes to the chat layer as text about that message, which reaches the
case the message is about (bot/followup.py), or the question as an answer when it is about
none. `ref` (the message's own id) lets the chat layer store a redelivered message once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from adapters.telegram import keyboards, render
from adapters.telegram.inbound import text_inbound
from bot.chat import Chat
from bot.protocol import DONE, N_, Inbound, Prompt, Reply, Who, _, info, say

CHECK_AGAIN = N_("I no longer have the URLs of that check (I may have restarted since). Send "
                 "/checkurl URL… again and tap Request reclassification on the new answer.")


@dataclass(frozen=True)
class Shown:
    """The keyboard a chat was last sent, the question it answers and the page shown."""

    prompt: Prompt | None
    page: int
    keyboard: keyboards.Keyboard

    @staticmethod
    def of(prompt: Prompt | None, language: str = "en") -> Shown:
        """What a chat shows for its current question when nothing is cached: every page
        (the command buttons in the person's `language` when no question is open)."""
        markup = keyboards.keyboard(prompt).markup if prompt else keyboards.REMOVE.markup
        return Shown(prompt, 0, keyboards.Keyboard(markup,
                                                   keyboards.all_buttons(prompt, language)))


@dataclass(frozen=True)
class Answer:
    """What to send: a reply from the chat layer, or a message drawn here (a page, what a
    multi-select holds so far)."""

    reply: Reply | None = None
    message: render.Outgoing | None = None


def answer_text(chat: Chat, who: Who, text: str, shown: Shown | None,
                delivery: str, *, thread: str = "", ref: str = "") -> Answer:
    """Runs on the chat's worker thread: every chat call this text needs."""
    typed = replace(text_inbound(text), thread=thread, ref=ref)
    if thread:
        return Answer(chat.handle(who, typed, delivery_id=delivery))
    if shown is None:
        view = chat.view(who)
        shown = Shown.of(view.question, view.language)
    meaning = shown.keyboard.buttons.get(text)
    prompt = shown.prompt
    if meaning is None or (meaning.command is None and prompt is None):
        return Answer(chat.handle(who, typed, delivery_id=delivery))
    if meaning.command is not None:
        return Answer(_command_tap(chat, who, meaning, delivery))
    assert prompt is not None
    if meaning.page is not None:
        return Answer(message=render.page_reply(prompt, meaning.page))
    inbound = Inbound(kind="choice", choice=meaning.choice, step=prompt.step,
                      draft=prompt.draft)
    reply = _reread_stale(chat, who, text, chat.handle(who, inbound, delivery_id=delivery),
                          delivery)
    prompts = reply.prompts
    first = prompts[0] if len(prompts) == 1 else None
    if (first is not None and prompt.kind == "multi" and meaning.choice != DONE
            and first.kind == "multi" and first.step == prompt.step
            and not first.error):  # a toggle: say what is picked, same page
        return Answer(message=render.selection_reply(first, shown.page))
    return Answer(reply)


def _reread_stale(chat: Chat, who: Who, text: str, reply: Reply, delivery: str) -> Reply:
    """A tap read against a keyboard this process drew for a question the request has left:
    read it again against the question the request is at."""
    prompts = reply.prompts
    current = prompts[-1] if prompts and prompts[0].stale else None
    again = keyboards.all_buttons(current).get(text) if current is not None else None
    if current is None or again is None or again.choice is None:
        return reply
    inbound = Inbound(kind="choice", choice=again.choice, step=current.step,
                      draft=current.draft)
    return chat.handle(who, inbound, delivery_id=f"{delivery}:current")


def _command_tap(chat: Chat, who: Who, meaning: keyboards.Meaning, delivery: str) -> Reply:
    """/checkurl's Request reclassification, with the URLs of the answer it was drawn under
    (after a restart: the person's last check, kept in the database)."""
    urls = list(meaning.urls)
    if not urls:
        view = chat.view(who)
        urls = view.checked_urls
        if not urls:
            return Reply([info(say(_(CHECK_AGAIN), view.language)),
                          *filter(None, [view.question])])
    inbound = Inbound(kind="command", command=meaning.command, args="\n".join(urls))
    return chat.handle(who, inbound, delivery_id=delivery)
