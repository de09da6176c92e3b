"""The reader's language for an update, and replies rewritten for traditional readers.

:func:`reader_of` applies ``bot.reader_lang.decide`` to an update: the reader's stored
``/language`` choice (``bot.prefs``), their Telegram ``language_code`` and, for a question,
its language and script. Handlers build replies in ``reader.lang`` as before; for a reader
of traditional Chinese, :func:`localize` then converts the whole reply — answer, interface
texts, topic names, button labels — with ``bot.chinese_script``, except the cited quote:
it stays verbatim (simplified, as in the article) and gets a label saying it is the
original. The reply's buttons are marked (``lang`` ``zt``, see ``bot.telegram.callbacks``)
so that a press answers in traditional characters too.
"""

from __future__ import annotations

import dataclasses
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.chinese_script import to_traditional
from bot.model import Lang
from bot.reader_lang import ReaderLang, decide, typed_in_traditional
from bot.telegram import callbacks
from bot.telegram.context import Context
from bot.telegram.render import MAX_MESSAGE, Reply, raw, size, to_messages
from bot.telegram.texts import t

_TAG = re.compile(r"(<[^>]*>)")
_QUOTE = re.compile(r"(<blockquote(?: [^>]*)?>.*?</blockquote>)", re.S)


def reader_of(
    update: Update,
    context: Context,
    *,
    lang: Lang | None = None,
    traditional: bool = False,
) -> ReaderLang:
    """The language and script to reply to ``update`` in. ``lang``: the question's (or the
    pressed button's) language, ``None`` for commands; ``traditional``: the question was
    typed in traditional characters (or the button was made for a traditional reader)."""
    user = update.effective_user
    prefs = context.bot_data.prefs
    choice = prefs.get(user.id) if prefs is not None and user is not None else None
    code = user.language_code if user is not None else None
    return decide(choice, code, lang=lang, traditional=traditional)


def question_reader(update: Update, context: Context, question: str, lang: Lang) -> ReaderLang:
    """:func:`reader_of` for a question in ``lang`` (as the engine detected it)."""
    return reader_of(update, context, lang=lang, traditional=typed_in_traditional(question))


def text(plain_text: str, reader: ReaderLang) -> str:
    """A plain or HTML text (no quote in it) in the reader's script."""
    if reader.variant is None:
        return plain_text
    return to_traditional(plain_text, reader.variant)


def html(message: str, reader: ReaderLang) -> str:
    """One HTML message in the reader's script; each ``<blockquote>`` (a verbatim quote of
    the article, expandable or not, with its bold support) is kept as it is, under a label
    saying it is the original."""
    if reader.variant is None:
        return message
    label = _label(reader)
    out = []
    for i, part in enumerate(_QUOTE.split(message)):
        if i % 2:  # a quote: verbatim, labelled
            out.append(label + "\n" + part)
        else:
            out.append(_between_tags(part, reader.variant))
    return "".join(out)


def _between_tags(part: str, variant: str) -> str:
    """``part`` converted, but for its tags: an address (``<a href>``) stays as it is."""
    pieces = _TAG.split(part)
    return "".join(p if i % 2 else to_traditional(p, variant) for i, p in enumerate(pieces))


def _label(reader: ReaderLang) -> str:
    return to_traditional(t("original_quote", "zh"), reader.variant or "zh-Hant")


def _resplit(messages: list[str], label: str) -> list[str]:
    """``messages`` split again within Telegram's limit, each label kept with its quote."""
    blocks = []
    for message in messages:
        lines = message.split("\n")
        while lines:
            line = lines.pop(0)
            if line == label and lines:
                line += "\n" + lines.pop(0)
            blocks.append(raw(line))
    return to_messages(blocks)


def _button(button: InlineKeyboardButton, reader: ReaderLang) -> InlineKeyboardButton:
    """The button with its label converted and, for callback data in Chinese, the data
    marked traditional; anything else it carries (a URL...) is kept."""
    fields = button.to_dict()
    fields["text"] = text(button.text, reader)
    data = button.callback_data
    if isinstance(data, str) and data.endswith(":zh"):
        fields["callback_data"] = data.removesuffix("zh") + callbacks.TRADITIONAL
    return InlineKeyboardButton.de_json(fields, None)


def keyboard(
    markup: InlineKeyboardMarkup | None, reader: ReaderLang
) -> InlineKeyboardMarkup | None:
    """Button labels in the reader's script, their data marked as made for that script."""
    if markup is None or reader.variant is None:
        return markup
    return InlineKeyboardMarkup(
        [[_button(b, reader) for b in row] for row in markup.inline_keyboard]
    )


def localize(reply: Reply, reader: ReaderLang) -> Reply:
    """``reply`` for ``reader``: unchanged unless they read traditional Chinese."""
    if reader.variant is None:
        return reply
    messages = [html(m, reader) for m in reply.messages]
    if any(size(m) > MAX_MESSAGE for m in messages):  # a label or a longer word: re-split
        messages = _resplit(messages, _label(reader))
    return dataclasses.replace(reply, messages=messages, markup=keyboard(reply.markup, reader))
