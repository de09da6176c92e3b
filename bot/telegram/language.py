"""``/language``: the reader picks 简体中文, 繁體中文 or English, or goes back to automatic.

The choice is stored per Telegram user (``bot.prefs``) and decides the language and script
of the interface and the answers from then on (``bot.reader_lang``); "automatic" deletes
the row. The menu shows the current setting; a press saves, says so on the button and
redraws the menu in place, in the newly chosen language.
"""

from __future__ import annotations

import logging
import sqlite3

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.reader_lang import CHOICES, ReaderLang
from bot.telegram import callbacks, localize
from bot.telegram.context import Context
from bot.telegram.handlers import _show, ack, guarded, respond
from bot.telegram.render import Reply
from bot.telegram.texts import LANGUAGE_NAMES, plain, t

log = logging.getLogger(__name__)


def language_reply(choice: str | None, reader: ReaderLang) -> Reply:
    """The menu: the current setting (``choice``, ``None``: automatic) and one button per
    language, plus "automatic" once a choice is stored."""
    current = LANGUAGE_NAMES[choice] if choice else plain("language_auto", reader.lang)
    text = localize.html(t("language", reader.lang, current=current), reader)
    rows = [
        [
            InlineKeyboardButton(
                ("✓ " if c == choice else "") + LANGUAGE_NAMES[c],
                callback_data=callbacks.language_data(c),
            )
            for c in CHOICES
        ]
    ]
    if choice:
        auto = localize.text(plain("language_auto_button", reader.lang), reader)
        rows.append([InlineKeyboardButton(auto, callback_data=callbacks.language_data("auto"))])
    return Reply([text], InlineKeyboardMarkup(rows))


def _choice(update: Update, context: Context) -> str | None:
    prefs, user = context.bot_data.prefs, update.effective_user
    return prefs.get(user.id) if prefs is not None and user is not None else None


@guarded
async def on_language(update: Update, context: Context) -> None:
    """/language: the menu."""
    reader = localize.reader_of(update, context)
    await respond(update, context, language_reply(_choice(update, context), reader))


@guarded
async def on_language_button(update: Update, context: Context) -> None:
    """A /language button (``L:<choice>``): store the choice (or forget it), acknowledge,
    and redraw the menu in place in the language now in force."""
    query = update.callback_query
    assert query is not None
    picked = callbacks.parse_language(query.data)
    prefs = context.bot_data.prefs
    if picked is None or prefs is None:
        reader = localize.reader_of(update, context)
        await ack(query, localize.text(plain("stale_button", reader.lang), reader))
        return
    try:
        await prefs.set(query.from_user.id, None if picked == callbacks.AUTO else picked)  # type: ignore[arg-type]
    except (sqlite3.Error, OSError, RuntimeError) as exc:  # the disk, or a closing store
        log.warning("language choice not saved: %s", type(exc).__name__)
        reader = localize.reader_of(update, context)
        await ack(query, localize.text(plain("language_not_saved", reader.lang), reader))
        return
    reader = localize.reader_of(update, context)
    await ack(query, localize.text(plain("language_saved", reader.lang), reader))
    # in a group the menu is everyone's: the presser gets theirs as a reply (as browsing)
    await _show(update, context, language_reply(_choice(update, context), reader))
