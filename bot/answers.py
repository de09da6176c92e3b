"""The command line's renderings of an answer view: terminal text and ``ask --json``.

Pure. What to show is decided once, in ``bot.answer_view``; the Telegram layer renders the
same view as HTML (``bot.telegram.render``), so both say the same and an answer always
carries its citation.
"""

from __future__ import annotations

from typing import Any

from bot.answer_view import AnswerView, Source, build, reader_text
from bot.model import KnowledgeBase, MatchResult


def _citation(src: Source | None) -> dict[str, str | None] | None:
    if src is None:
        return None
    return {
        "article": src.article_id,
        "title": src.article_title,
        "section": src.section_title,
        "paragraph": src.paragraph_id,
        "quote": src.quote,
        # compatible additions in 0.3.0: the article's web address, and the clean byline
        # readers are shown instead of the quote when the entry cites it
        "source_url": src.source_url or None,
        "byline": src.shown if src.shown != src.quote else None,
    }


def view_json(view: AnswerView) -> dict[str, Any]:
    """The public ``ask --json`` object (see README: a contract; change only compatibly)."""
    return {
        "question": view.question,
        "status": view.status,
        "lang": view.lang,
        "answer": view.answer,
        "entry_id": view.entry_id,
        "score": float(view.score),
        "citation": _citation(view.source),
        "suggestions": [
            {"entry_id": c.entry_id, "question": c.question, "score": float(c.score)}
            for c in view.suggestions
        ],
        "smalltalk": view.smalltalk,
        # since 0.3.0: a question asking two things answered by two entries
        "also": [
            {"entry_id": a.entry_id, "answer": a.answer, "citation": _citation(a.source)}
            for a in view.also
        ],
    }


def view_text(view: AnswerView) -> str:
    """The answer as a reader sees it on a terminal: answer, then the citation."""
    lang = view.lang
    src = view.source
    if view.kind == "answer" and src is not None:
        where = ", ".join(p for p in (src.section_title, src.paragraph_label) if p)
        open_q, close_q = ("「", "」") if lang == "zh" else ("“", "”")
        text = (
            f"{view.answer}\n"
            f"  — {reader_text('source_label', lang)}: {src.title} · {where}\n"
            f"    {open_q}{src.shown}{close_q}"
        )
        return "\n\n".join([text, *(view_text(a) for a in view.also)])
    if view.kind == "choose" and len(view.suggestions) == 1:
        return reader_text(view.message_key, lang, **view.message_values)
    if view.kind == "choose":
        lines = [reader_text("did_you_mean", lang)]
        lines += [f"  {i}. {c.label}" for i, c in enumerate(view.suggestions, 1)]
        return "\n".join(lines)
    if view.kind == "not_found":  # related entries are Telegram buttons; not listed here
        return reader_text("no_answer", lang)
    return reader_text(view.message_key, lang)


def result_json(result: MatchResult, kb: KnowledgeBase) -> dict[str, Any]:
    return view_json(build(result, kb))


def result_text(result: MatchResult, kb: KnowledgeBase) -> str:
    return view_text(build(result, kb))
