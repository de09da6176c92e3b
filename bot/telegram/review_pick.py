"""/review's "another entry…": the admin browses the article's sections and picks the
entry a reader's question belongs to (the messages and their buttons; the handler is
``bot.telegram.admin.on_review_button``)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.feedback import ReviewItem
from bot.model import KnowledgeBase, Lang
from bot.telegram import callbacks, paging
from bot.telegram.render import Reply, browsable_sections, label
from bot.telegram.texts import plain, t


def _back(item: ReviewItem, kb: KnowledgeBase, step: callbacks.PickStep, lang: Lang) -> list:
    data = callbacks.review_pick_data(step, item.id, kb)
    key = "back" if step == "sections" else "review_back"
    return [InlineKeyboardButton(plain(key, lang), callback_data=data)]


def sections_reply(item: ReviewItem, kb: KnowledgeBase, lang: Lang) -> Reply:
    """The sections to look in for the item's entry, and a way back to the item."""
    index = {s.id: i for i, s in enumerate(kb.article.sections)}
    rows = [
        [
            InlineKeyboardButton(
                label(s.title_in(lang)),
                callback_data=callbacks.review_pick_data("section", item.id, kb, index[s.id]),
            )
        ]
        for s in browsable_sections(kb)
    ]
    rows.append(_back(item, kb, "back", lang))
    text = t("review_pick_section", lang, question=item.question)
    return Reply([text], InlineKeyboardMarkup(rows))


def section_reply(
    item: ReviewItem, kb: KnowledgeBase, lang: Lang, section_index: int, page: int
) -> Reply | None:
    """One page of a section's entries to add the item's question to (``None`` if there is
    no such section)."""
    sections = kb.article.sections
    if not 0 <= section_index < len(sections):
        return None
    section = sections[section_index]
    position = {e.id: i for i, e in enumerate(kb.entries)}
    shown = paging.page(kb.entries_in_section(section.id), page)
    rows = [
        [
            InlineKeyboardButton(
                label(e.label(lang)),
                callback_data=callbacks.review_pick_data("entry", item.id, kb, position[e.id]),
            )
        ]
        for e in shown.items
    ]
    moves = [
        InlineKeyboardButton(
            plain(key, lang),
            callback_data=callbacks.review_pick_data("section", item.id, kb, section_index, n),
        )
        for key, n in (("page_previous", shown.previous), ("page_next", shown.next))
        if n is not None
    ]
    if moves:
        rows.append(moves)
    rows.append(_back(item, kb, "sections", lang))
    text = t("review_pick_entry", lang, question=item.question, section=section.title_in(lang))
    if shown.count > 1:
        text += "\n" + t("page", lang, n=shown.number + 1, count=shown.count)
    return Reply([text], InlineKeyboardMarkup(rows))
