"""Inline mode's results: what ``@thebot 问题`` offers in any chat.

Rendering only (no I/O): :func:`question_results` turns a match result into at most four
``InlineQueryResultArticle``\\ s and :func:`example_results` the example questions into
one each. Every result sends the same HTML a private chat gets for that entry (the answer,
its source and the quoted sentence: ``bot.telegram.render``), with the share link under
it; a question the article does not answer gets one honest result saying so. The 👍/👎 row
is left out: a press on a message sent inline carries no chat to connect it to.
"""

from __future__ import annotations

import re

from telegram import (
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode

from bot import answer_view, share
from bot.answer_view import AnswerView
from bot.model import Entry, KnowledgeBase, Lang, MatchResult
from bot.reader_lang import ReaderLang
from bot.telegram import localize, render
from bot.telegram.texts import plain, t

MAX_TITLE = 64  # what Telegram shows of a title in the results list
MAX_DESCRIPTION = 100  # the grey lines under it: a short quote
MAX_SUGGESTIONS = 3  # results besides the answer
TRADITIONAL_VARIANT = "zh-Hant"  # inline results in traditional: one variant for everyone
NO_ANSWER_ID = "no-answer"  # the other result ids are share payloads, which end in _zh or _en


def _content(html_text: str) -> InputTextMessageContent:
    return InputTextMessageContent(
        html_text,
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def entry_result(
    entry: Entry, kb: KnowledgeBase, lang: Lang, username: str, *, title: str | None = None
) -> InlineQueryResultArticle:
    """One entry answered, sending what a private chat shows (the first message, if the
    answer ever needed two). Titled by its answer and described by a short quote; or, given
    a ``title`` (the question offered), described by the answer."""
    view = answer_view.entry_view(entry, kb, lang)
    messages = render.to_messages(render.answer_blocks(view))
    answer = view.answer or entry.label(lang)
    description = answer if title else (view.source.quote if view.source else "")
    return InlineQueryResultArticle(
        id=share.encode(entry.id, lang),
        title=render.label(title or answer, MAX_TITLE),
        description=render.label(description, MAX_DESCRIPTION),
        input_message_content=_content(messages[0]),
        reply_markup=InlineKeyboardMarkup([[render.share_button(entry.id, lang, username)]]),
    )


def no_answer_result(view: AnswerView) -> InlineQueryResultArticle:
    """The article does not answer ``view.question``: say so, quoting the question (the
    message lands in a chat where nobody saw it asked)."""
    text = (
        t("inline_asked", view.lang, question=view.question)
        + "\n"
        + t("inline_no_answer", view.lang)
    )
    title = plain("inline_no_answer", view.lang)
    return InlineQueryResultArticle(
        id=NO_ANSWER_ID,
        title=render.label(title, MAX_TITLE),
        description=render.label(view.question, MAX_DESCRIPTION),
        input_message_content=_content(text),
    )


def question_results(
    result: MatchResult, kb: KnowledgeBase, username: str
) -> list[InlineQueryResultArticle]:
    """What inline mode offers for a question: the answer (or, when the article does not
    say, one result saying so), then up to three suggested or related entries, each
    answered as that entry (titled by its question). Small talk gets the examples."""
    view = answer_view.build(result, kb)
    if view.kind == "smalltalk":
        return example_results(kb, view.lang, username)
    results: list[InlineQueryResultArticle] = []
    if view.kind == "answer" and view.entry_id and (entry := kb.entry(view.entry_id)):
        results.append(entry_result(entry, kb, view.lang, username))
    elif view.kind == "not_found":
        results.append(no_answer_result(view))
    seen = {r.id for r in results}
    for choice in view.suggestions[:MAX_SUGGESTIONS]:
        entry = kb.entry(choice.entry_id)
        if entry is None:
            continue
        item = entry_result(entry, kb, view.lang, username, title=choice.label)
        if item.id not in seen:
            seen.add(item.id)
            results.append(item)
    return results


def example_results(kb: KnowledgeBase, lang: Lang, username: str) -> list[InlineQueryResultArticle]:
    """The example questions (``examples.yaml``), each titled by its question in ``lang``
    and sending its answer."""
    return [
        entry_result(e, kb, lang, username, title=e.label(lang)) for e in render.example_entries(kb)
    ]


def _description(description: str | None, message: str, reader: ReaderLang) -> str | None:
    """A result's grey line for a traditional reader: a short quote of the article stays
    verbatim, as in the message; anything else is converted."""
    if not description:
        return description
    quoted = "".join(re.findall(r"<blockquote[^>]*>(.*?)</blockquote>", message, re.S))
    if description.rstrip("…") in render.plain_text(quoted):
        return description
    return localize.text(description, reader)


def in_traditional(results: list[InlineQueryResultArticle]) -> list[InlineQueryResultArticle]:
    """The results for a query typed in traditional characters: titles, descriptions,
    messages and button labels converted (``zh-Hant``: the results are cached per query,
    not per reader, so no regional variant), each quote kept verbatim and labelled."""
    reader = ReaderLang("zh", TRADITIONAL_VARIANT)
    out = []
    for r in results:
        content = r.input_message_content
        assert isinstance(content, InputTextMessageContent)
        out.append(
            InlineQueryResultArticle(
                id=r.id,
                title=localize.text(r.title, reader),
                description=_description(r.description, content.message_text, reader),
                input_message_content=_content(localize.html(content.message_text, reader)),
                reply_markup=localize.keyboard(r.reply_markup, reader),
            )
        )
    return out
