"""Turning a ``MatchResult`` into what readers and scripts see: plain text and JSON.

Pure. The Telegram layer has its own HTML rendering (``bot.telegram.render``); both read
the same fields, so an answer always carries its citation.
"""

from __future__ import annotations

from typing import Any

from bot.model import KnowledgeBase, Lang, MatchResult

NO_ANSWER: dict[Lang, str] = {
    "zh": "抱歉,文章没有提到这一点。",
    "en": "Sorry, the article does not say.",
}
DID_YOU_MEAN: dict[Lang, str] = {"zh": "你是想问:", "en": "Did you mean:"}
SMALLTALK: dict[str, dict[Lang, str]] = {
    "greeting": {
        "zh": "你好!请问关于这篇文章,你想了解什么?",
        "en": "Hello! What would you like to know about the article?",
    },
    "thanks": {"zh": "不客气!", "en": "You're welcome!"},
}
SOURCE_LABEL: dict[Lang, str] = {"zh": "出处", "en": "Source"}


def paragraph_label(kb: KnowledgeBase, pid: str, lang: Lang) -> str:
    """Where in its section a cited paragraph is: "第2段" / "paragraph 2" / "小标题"."""
    para = kb.article.paragraph(pid)
    if para is not None and para.heading:
        return "小标题" if lang == "zh" else "section heading"
    number = kb.article.paragraph_number(pid)
    if not number:
        return pid
    return f"第{number}段" if lang == "zh" else f"paragraph {number}"


def citation_json(result: MatchResult, kb: KnowledgeBase) -> dict[str, str] | None:
    entry = result.entry
    if entry is None:
        return None
    section = kb.article.section(entry.section_id)
    return {
        "article": kb.article.id,
        "title": kb.article.title,
        "section": section.title_in(result.lang) if section else "",
        "paragraph": entry.citation.paragraph,
        "quote": entry.citation.quote,
    }


def result_json(result: MatchResult, kb: KnowledgeBase) -> dict[str, Any]:
    """The public ``ask --json`` object (see README: a contract; change only compatibly)."""
    entry = result.entry
    return {
        "question": result.question,
        "status": result.status,
        "lang": result.lang,
        "answer": entry.answer[result.lang] if entry else None,
        "entry_id": entry.id if entry else None,
        "score": float(result.score),
        "citation": citation_json(result, kb),
        "suggestions": [
            {"entry_id": s.entry_id, "question": s.question, "score": float(s.score)}
            for s in result.suggestions
        ],
        "smalltalk": result.smalltalk,
    }


def result_text(result: MatchResult, kb: KnowledgeBase) -> str:
    """The answer as a reader sees it on a terminal: answer, then the citation."""
    lang = result.lang
    entry = result.entry
    if result.status == "answered" and entry is not None:
        cite = citation_json(result, kb) or {}
        where = f"{cite['section']}, {paragraph_label(kb, cite['paragraph'], lang)}"
        title = kb.article.title_en if lang == "en" else kb.article.title
        open_q, close_q = ("「", "」") if lang == "zh" else ("“", "”")
        return (
            f"{entry.answer[lang]}\n"
            f"  — {SOURCE_LABEL[lang]}: {title} · {where}\n"
            f"    {open_q}{cite['quote']}{close_q}"
        )
    if result.smalltalk:
        return SMALLTALK[result.smalltalk][lang]
    if result.status == "ambiguous":
        lines = [DID_YOU_MEAN[lang]]
        lines += [f"  {i}. {s.question}" for i, s in enumerate(result.suggestions, 1)]
        return "\n".join(lines)
    return NO_ANSWER[lang]
