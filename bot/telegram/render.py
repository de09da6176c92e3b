"""Turning match results and knowledge into Telegram HTML messages and inline keyboards.

Messages are built as *blocks* (lines) of *spans* (plain text, optionally inside one tag)
and only turned into HTML at the end, by :func:`to_messages`, which also splits them into
messages of at most 4096 characters: on line boundaries first, inside an over-long line at
a paragraph/sentence/space boundary, and always between tags, never through one. Every
piece of text is ``html.escape``d exactly once, after splitting.

What an answer shows is decided by ``bot.answer_view`` (shared with the command line);
:func:`view_reply` only renders that view.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import answer_view, labels, share
from bot.answer_view import AnswerView
from bot.model import Entry, KnowledgeBase, Lang, MatchResult
from bot.telegram import callbacks, paging
from bot.telegram.texts import plain, t

MAX_MESSAGE = 4096  # Telegram's limit; we count UTF-16 units of the HTML, which is stricter
MAX_LABEL = 60  # button labels are cut to this many characters
MAX_SUGGESTIONS = 3
EXPANDABLE_QUOTE = 120  # quotes longer than this many characters are folded (expandable)


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text. ``tag`` wraps it (``b``, ``i``, ``code``, ``blockquote``); ``raw``
    marks text that is already HTML (a short template), which is never split. ``outer``
    (a tag, with attributes if any: ``blockquote expandable``) wraps it around ``tag``;
    neighbouring spans of a block with the same ``outer`` share one element (a quote with a
    bold run is three spans in one blockquote)."""

    text: str
    tag: str | None = None
    raw: bool = False
    outer: str | None = None


Block = tuple[Span, ...]  # one line (or paragraph); blocks are joined with "\n"


@dataclass(frozen=True)
class Reply:
    """What to send: HTML messages (each within Telegram's limit) and, on the last one,
    an optional inline keyboard."""

    messages: list[str]
    markup: InlineKeyboardMarkup | None = None


def size(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def line(*spans: Span | str) -> Block:
    return tuple(Span(s) if isinstance(s, str) else s for s in spans)


def raw(html_text: str) -> Block:
    """A block of ready HTML (from :func:`bot.telegram.texts.t`); one per template line."""
    return (Span(html_text, raw=True),)


def raw_lines(html_text: str) -> list[Block]:
    """Ready HTML split into one block per line (so long templates can split between
    lines). Template lines never leave a tag open."""
    return [raw(part) for part in html_text.split("\n")]


def _wrap(text: str, tag: str | None) -> str:
    """``text`` in ``tag`` (which may carry attributes: ``blockquote expandable``)."""
    return f"<{tag}>{text}</{tag.split()[0]}>" if tag else text


def _inner_html(span: Span) -> str:
    return _wrap(span.text if span.raw else esc(span.text), span.tag)


def _span_html(span: Span) -> str:
    return _wrap(_inner_html(span), span.outer)


def block_html(block: Block) -> str:
    """The block's HTML: neighbouring spans with the same ``outer`` in one element."""
    out: list[str] = []
    i = 0
    while i < len(block):
        j = i + 1
        while block[i].outer and j < len(block) and block[j].outer == block[i].outer:
            j += 1
        out.append(_wrap("".join(_inner_html(s) for s in block[i:j]), block[i].outer))
        i = j
    return "".join(out)


_BOUNDARIES = ("\n\n", "\n", "。", "!", "?", "!", "?", ". ", ";", ";", ",", ",", " ")


def _chunks(text: str, budget: int) -> list[str]:
    """Split plain ``text`` into pieces whose escaped size is at most ``budget``,
    preferring paragraph, line, sentence, clause and word boundaries."""
    out: list[str] = []
    while text:
        if size(esc(text)) <= budget:
            out.append(text)
            break
        used = n = 0
        for ch in text:
            cost = size(esc(ch))
            if used + cost > budget:
                break
            used += cost
            n += 1
        if n == 0:
            raise ValueError("message budget too small")
        head = text[:n]
        cut = n
        for sep in _BOUNDARIES:
            at = head.rfind(sep)
            if at >= 0 and at + len(sep) >= n // 2:
                cut = at + len(sep)
                break
        out.append(text[:cut])
        text = text[cut:]
    return out


def plain_text(html_text: str) -> str:
    """What a reader reads of ``html_text``: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^<>]*>", "", html_text))


_strip_tags = plain_text


def _pieces(block: Block, limit: int) -> list[tuple[str, str]]:
    """``block`` as ``(separator, html)`` pieces each within ``limit``. A block that fits is
    one piece; a longer one is split span by span, and a long span into text chunks, each
    chunk wrapped in the span's own tag (so no tag is ever cut)."""
    whole = block_html(block)
    if size(whole) <= limit:
        return [("\n", whole)]
    pieces: list[tuple[str, str]] = []
    for span in block:
        if size(_span_html(span)) <= limit:
            pieces.append(("", _span_html(span)))
            continue
        text = _strip_tags(span.text) if span.raw else span.text
        overhead = size(_wrap(_wrap("", span.tag), span.outer))
        pieces.extend(
            ("", _wrap(_wrap(esc(c), span.tag), span.outer))
            for c in _chunks(text, limit - overhead)
        )
    if pieces:
        pieces[0] = ("\n", pieces[0][1])
    return pieces


def to_messages(blocks: Iterable[Block], limit: int = MAX_MESSAGE) -> list[str]:
    """Join ``blocks`` with newlines into HTML messages of at most ``limit`` characters."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for sep, piece in _pieces(block, limit):
            if not current:
                current = piece
            elif size(current) + size(sep) + size(piece) <= limit:
                current += sep + piece
            else:
                messages.append(current)
                current = piece
    messages.append(current)
    messages = [m.strip("\n") for m in messages]
    return [m for m in messages if _strip_tags(m).strip()]


def label(text: str, limit: int = MAX_LABEL) -> str:
    """A one-line button label of at most ``limit`` characters, cut at a word boundary."""
    return labels.shorten(text, limit)


# ---------------------------------------------------------------------------- answers


def source_blocks(view: AnswerView) -> list[Block]:
    """Where the answer comes from: section, paragraph number (within the section), quote."""
    src = view.source
    if src is None:
        return []
    lang = view.lang
    sep = ":" if lang == "zh" else ": "
    comma = "," if lang == "zh" else ", "
    head = f"— {plain('source_label', lang)}{sep}"
    where = (
        line(head, Span(src.section_title, "b"), f"{comma}{src.paragraph_label}")
        if src.section_title
        else line(head + src.paragraph_label)
    )
    blocks = [where]
    if src.original:
        blocks.append(line(answer_view.reader_text("original", lang)))
    if src.shown != src.quote:  # the article's clean byline: its metadata, not its words
        blocks.append(tuple(Span(text, "b" if bold else "i") for text, bold in src.pieces))
    else:
        blocks.append(quote_block(src.pieces))
    if src.source_url:
        link = answer_view.reader_text("source_link", lang)
        blocks.append(raw(f'🔗 <a href="{html.escape(src.source_url)}">{esc(link)}</a>'))
    return blocks


def quote_block(pieces: Sequence[tuple[str, bool]]) -> Block:
    """A quote as one blockquote, its ``(text, bold)`` pieces as spans; expandable (folded
    to a few lines until tapped) when longer than ``EXPANDABLE_QUOTE`` characters."""
    length = sum(len(text) for text, _ in pieces)
    outer = "blockquote expandable" if length > EXPANDABLE_QUOTE else "blockquote"
    return tuple(Span(text, "b" if bold else None, outer=outer) for text, bold in pieces)


def answer_blocks(view: AnswerView) -> list[Block]:
    """The answer, then its source; a second answer (a message asking two things) follows
    the same way."""
    blocks = [line(view.answer or ""), line(""), *source_blocks(view)]
    for also in view.also:
        blocks += [line(""), *answer_blocks(also)]
    return blocks


def answer_reply(
    entry: Entry, kb: KnowledgeBase, lang: Lang, *, username: str | None = None
) -> Reply:
    return view_reply(answer_view.entry_view(entry, kb, lang), kb, username=username)


def choice_keyboard(view: AnswerView, kb: KnowledgeBase) -> InlineKeyboardMarkup | None:
    """Up to three buttons, one per entry the view offers."""
    rows = []
    for choice in view.suggestions[:MAX_SUGGESTIONS]:
        entry = kb.entry(choice.entry_id)
        if entry is None:  # the view was built on another base
            continue
        data = callbacks.entry_data(entry, kb, view.lang, choice=True)
        rows.append([InlineKeyboardButton(label(choice.label), callback_data=data)])
    if rows and view.browse:  # a bare topic: the article's sections are a way in too
        browse = callbacks.sections_data(view.lang)
        rows.append(
            [InlineKeyboardButton(plain("browse_sections", view.lang), callback_data=browse)]
        )
    return InlineKeyboardMarkup(rows) if rows else None


FEEDBACK_LABELS = {"+": "👍", "-": "👎"}


def feedback_keyboard(view: AnswerView, kb: KnowledgeBase) -> InlineKeyboardMarkup | None:
    """The row of 👍 / 👎 under an answer (``None`` if its entry is not in ``kb``)."""
    entry = kb.entry(view.entry_id) if view.entry_id else None
    if entry is None:
        return None
    row = [
        InlineKeyboardButton(
            text, callback_data=callbacks.feedback_data(entry, kb, view.lang, vote)
        )
        for vote, text in FEEDBACK_LABELS.items()
    ]
    return InlineKeyboardMarkup([row])


def share_button(entry_id: str, lang: Lang, username: str) -> InlineKeyboardButton:
    """A URL button with the deep link that shows ``entry_id``'s answer (``bot.share``)."""
    url = share.deep_link(username, share.encode(entry_id, lang))
    return InlineKeyboardButton(plain("share_button", lang), url=url)


def link_rows(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """``markup`` without its callback buttons (what stays once 👍/👎 was pressed: the
    share link), or ``None`` if nothing is left."""
    rows = [
        [b for b in row if b.callback_data is None]
        for row in (markup.inline_keyboard if markup else ())
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def has_callback_buttons(markup: InlineKeyboardMarkup | None) -> bool:
    return markup is not None and any(
        b.callback_data is not None for row in markup.inline_keyboard for b in row
    )


# the reader texts of bot.answer_view under their Telegram names (with the /topics hints)
_TEXT_KEYS = {"no_answer": "no_match", "no_answer_related": "no_match_related"}


def view_reply(view: AnswerView, kb: KnowledgeBase, *, username: str | None = None) -> Reply:
    """The view as Telegram messages: the answer with its source and a row of 👍 / 👎 (and,
    given the bot's ``username``, a share link below them), or the view's reader text (with
    Telegram's hints) and the entries it offers as buttons."""
    if view.kind == "answer":
        markup = feedback_keyboard(view, kb)
        if markup is not None and username and view.entry_id:
            share_row = (share_button(view.entry_id, view.lang, username),)
            markup = InlineKeyboardMarkup((*markup.inline_keyboard, share_row))
        return Reply(to_messages(answer_blocks(view)), markup)
    markup = choice_keyboard(view, kb) if view.kind in ("choose", "not_found") else None
    key = view.message_key if markup is not None or view.kind != "not_found" else "no_answer"
    values = view.message_values if key == view.message_key else {}
    return Reply([t(_TEXT_KEYS.get(key, key), view.lang, **values)], markup)


def result_reply(
    result: MatchResult,
    kb: KnowledgeBase,
    lang: Lang | None = None,
    *,
    username: str | None = None,
) -> Reply:
    """What to answer a question with, in ``lang`` (default: the question's language); an
    answer carries a share link when the bot's ``username`` is given."""
    return view_reply(answer_view.build(result, kb, lang), kb, username=username)


# ---------------------------------------------------------------------------- browsing


def browsable_sections(kb: KnowledgeBase) -> list:
    """Sections that have at least one entry, in article order."""
    with_entries = {e.section_id for e in kb.entries}
    return [s for s in kb.article.sections if s.id in with_entries]


def sections_reply(kb: KnowledgeBase, lang: Lang) -> Reply:
    """/topics: one button per section that has entries."""
    sections = browsable_sections(kb)
    if not sections:
        return Reply([t("topics_empty", lang)])
    rows = [
        [
            InlineKeyboardButton(
                label(s.title_in(lang)), callback_data=callbacks.section_data(s, kb, lang)
            )
        ]
        for s in sections
    ]
    title = kb.article.title_en if lang == "en" else kb.article.title
    return Reply([t("topics", lang, title=title)], InlineKeyboardMarkup(rows))


def section_reply(section_id: str, kb: KnowledgeBase, lang: Lang, page: int = 0) -> Reply | None:
    """One page of a section's entries as buttons (at most ``paging.PAGE_SIZE``), with
    ◀ previous / next ▶ buttons and the page number when there are several pages, and a
    back button; ``None`` if the section is unknown."""
    section = kb.article.section(section_id)
    if section is None:
        return None
    shown = paging.page(kb.entries_in_section(section.id), page)
    rows = [
        [
            InlineKeyboardButton(
                label(e.label(lang)), callback_data=callbacks.entry_data(e, kb, lang)
            )
        ]
        for e in shown.items
    ]
    moves = [
        InlineKeyboardButton(
            plain(key, lang), callback_data=callbacks.section_data(section, kb, lang, number)
        )
        for key, number in (("page_previous", shown.previous), ("page_next", shown.next))
        if number is not None
    ]
    if moves:
        rows.append(moves)
    rows.append(
        [InlineKeyboardButton(plain("back", lang), callback_data=callbacks.sections_data(lang))]
    )
    text = t("topic", lang, section=section.title_in(lang))
    if shown.count > 1:
        text += "\n" + t("page", lang, n=shown.number + 1, count=shown.count)
    return Reply([text], InlineKeyboardMarkup(rows))


def for_user(reply: Reply, user_id: int, name: str) -> Reply:
    """``reply`` addressed to one person of a group: their name, mentioning them, first."""
    mention = f'<a href="tg://user?id={int(user_id)}">{esc(name)}</a>'
    messages = [f"{mention}\n{reply.messages[0]}", *reply.messages[1:]]
    return Reply(messages, reply.markup)


def example_entries(kb: KnowledgeBase, count: int = 3) -> list[Entry]:
    """Example questions for /start: the entries the knowledge base lists as examples
    (``examples.yaml``); without that list, one entry from each of the ``count`` sections
    with the most entries (the article's body), in article order, and within a section the
    entry with the most question variants (editors write most for what readers ask most)."""
    listed = [e for e in map(kb.entry, kb.examples[:count]) if e is not None]
    if listed:
        return listed
    sections = browsable_sections(kb)
    sizes = {s.id: len(kb.entries_in_section(s.id)) for s in sections}
    chosen = sorted(sections, key=lambda s: -sizes[s.id])[:count]
    picked = []
    for section in sections:
        if section in chosen:
            entries = kb.entries_in_section(section.id)
            picked.append(max(entries, key=lambda e: sum(len(v) for v in e.questions.values())))
    return picked


def start_reply(kb: KnowledgeBase, lang: Lang, *, group: bool, username: str) -> Reply:
    """/start: what the bot is and (in private chats) example questions as buttons."""
    a = kb.article
    if group:
        title = a.title_en if lang == "en" else a.title
        return Reply([t("start_group", lang, title=title, username=username)])
    text = t(
        "start",
        lang,
        title=a.title_en if lang == "en" else a.title,
        date=a.date,
        authors=_join(a.authors_en if lang == "en" else a.authors, lang),
        origin=a.origin_en if lang == "en" else a.origin,
    )
    rows = [
        [
            InlineKeyboardButton(
                label(e.label(lang)), callback_data=callbacks.entry_data(e, kb, lang)
            )
        ]
        for e in example_entries(kb)
    ]
    return Reply([text], InlineKeyboardMarkup(rows) if rows else None)


def source_reply(kb: KnowledgeBase, lang: Lang) -> Reply:
    a = kb.article
    text = t(
        "source",
        lang,
        title=a.title,
        title_en=a.title_en,
        authors=_join(a.authors, "zh"),
        authors_en=_join(a.authors_en, "en"),
        date=a.date,
        origin=a.origin,
        origin_en=a.origin_en,
        site=a.site,
        site_en=a.site_en,
    )
    return Reply([text])


def _join(names: Sequence[str], lang: Lang) -> str:
    return ("、" if lang == "zh" else ", ").join(names)
