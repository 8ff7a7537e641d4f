"""The words of the satisfaction question, in the customer's language, shaped for the channel it goes out on."""

from __future__ import annotations

from collections.abc import Callable

from omnicx.inbox.enums import MessagingChannel
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.i18n import translations

QUESTION = N_("How would you rate the help you received?")
RATING_NAMES = {
    5: N_("Very satisfied"),
    4: N_("Satisfied"),
    3: N_("Neither satisfied nor dissatisfied"),
    2: N_("Dissatisfied"),
    1: N_("Very dissatisfied"),
}
LINKS_INTRO = N_("Choose your answer (one click):")
REPLY_HINT = N_("Reply with a number from 1 (very dissatisfied) to 5 (very satisfied), or answer here:")


def question_text(
    *, channel: MessagingChannel, language: str, wording: str, link: Callable[[int | None], str]
) -> str:
    """The question (the inbox's own words, else omnicx's in `language`). The chat widget draws stars under it;
    email gets one signed link per rating, best first (a message has no buttons); the text channels (SMS,
    WhatsApp, Messenger, Instagram, Telegram) are asked to reply with the number (`csat.take_reply`), with one
    link to the answer page, which keeps the message short."""
    words = translations(language)
    question = wording or words.gettext(QUESTION)
    if channel is MessagingChannel.CHAT:
        return question
    if channel is not MessagingChannel.EMAIL:  # a short text: the number as the answer, one link for the rest
        return "\n".join([question, "", words.gettext(REPLY_HINT), link(None)])
    lines = [question, "", words.gettext(LINKS_INTRO)]
    lines += [f"{rating} – {words.gettext(name)}: {link(rating)}" for rating, name in RATING_NAMES.items()]
    return "\n".join(lines)
