"""Answers outside the reader's own chat with the bot: shared links and inline mode.

- ``/start <payload>``: a share link (``https://t.me/<bot>?start=<payload>``, the button
  under every answer; ``bot.share``) opened: the shared entry's answer with its source, as
  if the reader had tapped it; a payload naming nothing (the entry was removed, or the link
  was cut) gets a polite note and the sections to browse (/topics).
- ``@thebot 问题`` in any chat (inline mode, enabled with BotFather's ``/setinline``): the
  answer and up to three suggested entries as results to send (``bot.telegram.inline``);
  an empty query offers the example questions.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest

from bot import share
from bot.model import KnowledgeBase, Lang
from bot.reader_lang import typed_in_traditional
from bot.telegram import inline, localize, render
from bot.telegram.context import Context
from bot.telegram.flood import Verdict
from bot.telegram.handlers import guarded, respond
from bot.telegram.localize import reader_of
from bot.telegram.render import Reply
from bot.telegram.texts import t

log = logging.getLogger(__name__)

MAX_INLINE_QUERY = 256  # Telegram's own cap on inline queries; longer (forged) ones are cut
# Telegram caches the results of a query for ``CACHE_TIME`` seconds and serves repeats
# without asking the bot. A question's results depend only on its text (the answer's
# language is the question's) and on the knowledge base, not on who asks, so the cache is
# shared by everyone (is_personal False); after a /reload, a cached query may show the old
# base's answer for up to five minutes. An empty query shows the examples in the asker's
# Telegram language, so its results are personal.
CACHE_TIME = 300


def stale_reply(kb: KnowledgeBase, lang: Lang) -> Reply:
    """A share link that names nothing (any more): a polite note and the sections."""
    return Reply([t("share_stale", lang)], render.sections_reply(kb, lang).markup)


@guarded
async def on_shared_start(update: Update, context: Context) -> None:
    """``/start <payload>``: answer the shared entry in the language it was shared in."""
    kb = context.bot_data.engine.kb
    found = share.resolve(context.args[0] if context.args else "", kb)
    # the reader's /language choice, else the language it was shared in, else their own
    reader = localize.reader_of(update, context, lang=found[1] if found else None)
    if found is None:
        log.info("a share link that names no entry (update %s)", update.update_id)
        reply = stale_reply(kb, reader.lang)
    else:
        reply = render.answer_reply(found[0], kb, reader.lang, username=context.bot.username)
    await respond(update, context, localize.localize(reply, reader))


async def on_inline_query(update: Update, context: Context) -> None:
    """An inline query: the question's results (or the examples for an empty one).

    Queries arrive as the reader types, so they have their own flood guard (a flooded
    reader gets no answer: there is no chat to send a notice to) and are not counted in the
    statistics: most are unfinished questions, which would fill /unanswered with
    fragments.
    """
    query = update.inline_query
    if query is None:
        return
    guard = context.bot_data.inline_flood
    if guard is not None and guard.check(query.from_user.id) is not Verdict.ALLOW:
        return
    text = " ".join(query.query.split())[:MAX_INLINE_QUERY]
    engine = context.bot_data.engine
    username = context.bot.username or ""
    if text:
        result = engine.ask(text)
        results = inline.question_results(result, engine.kb, username)
        if result.lang == "zh" and typed_in_traditional(text):
            results = inline.in_traditional(results)
    else:
        results = inline.example_results(engine.kb, reader_of(update, context).lang, username)
    try:
        await query.answer(results, cache_time=CACHE_TIME, is_personal=not text)
    except BadRequest as exc:  # "query is too old": the reader typed on, or we were slow
        log.info("inline query %s not answered: %s", query.id, exc.message)
