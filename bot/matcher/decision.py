"""The decision: ``answered``, ``ambiguous`` or ``no_match`` from ranked candidates.

``answered`` when the best score clears ``answer_threshold`` and leads the runner-up by
``ambiguity_gap`` (or reaches ``confident_score``), or leads every entry quoting another
sentence by ``clear_lead_gap`` from ``clear_lead_threshold`` up with no guard triggered;
"does the article mention X?" is answered by the best entry quoting X. ``ambiguous`` (up
to ``max_suggestions``) for close calls above ``suggest_threshold``; else ``no_match``,
with related entries (sharing a distinctive term, scoring ``related_threshold`` or more) as
suggestions: a reader is one tap away from what the article does say nearby.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.matcher.config import MatchConfig
from bot.model import Entry, Lang, MatchResult, Status, Suggestion

EXACT = 99.5  # a stored question, as typed: answered even when it is a bare topic


@dataclass(slots=True)
class Candidate:
    score: float
    entry: int  # index into the base's entries
    lacks_kind: bool  # the answer lacks a kind of fact the question asks for
    related: bool = True  # shares distinctive terms (words, character pairs) with the question
    unpenalized: float = 0.0  # the score before the unknown-word penalty


def decide(
    question: str,
    lang: Lang,
    entries: tuple[Entry, ...],
    candidates: list[Candidate],
    unknown: list[tuple[str, str]],
    mention: bool,
    cfg: MatchConfig,
    bare: bool = False,
) -> MatchResult:
    """The result for ``candidates`` (best first, at least one); ``bare``: the question
    is only a topic (``question_kinds.is_bare_topic``)."""
    top = candidates[0]
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    gap = top.score - runner_up
    score = round(top.score, 1)
    extra = {"runner_up": round(runner_up, 1), "unknown": float(len(unknown))}
    window = cfg.weights.suggestion_window
    suggestions = tuple(
        Suggestion(entries[c.entry].id, entries[c.entry].label(lang), round(c.score, 1))
        for c in candidates[: cfg.max_suggestions]
        if c.score >= top.score - window
        and (
            c.score >= cfg.suggest_threshold  # a close call: "did you mean"
            # related to what is asked: judged before the unknown words' penalty, which
            # is about answering (a word the base never uses), not about what is nearby
            or (c.related and max(c.score, c.unpenalized) >= cfg.related_threshold)
        )
    )
    confident = top.score >= cfg.answer_threshold and (
        gap >= cfg.ambiguity_gap or top.score >= cfg.confident_score
    )
    # A lower score with a clear lead answers too, unless the question has words the base
    # never uses or asks for a kind of fact the entry's answer does not state. The lead
    # counts over entries that quote another sentence: the reader sees the same source
    # whichever of the entries quoting this one is picked.
    source = entries[top.entry].citation
    other = next((c.score for c in candidates[1:] if entries[c.entry].citation != source), 0.0)
    clear_lead = (
        not unknown
        and not top.lacks_kind
        and top.score >= cfg.clear_lead_threshold
        and top.score - other >= cfg.clear_lead_gap
    )
    broad = bare and top.score < EXACT and gap < cfg.bare_topic_gap
    if (mention or confident or clear_lead) and not broad:
        entry = entries[top.entry]
        return MatchResult(question, "answered", lang, entry, score, extra=extra, reason="answered")

    def declined(status: Status, why: str) -> MatchResult:
        return MatchResult(
            question, status, lang, score=score, suggestions=suggestions, reason=why, extra=extra
        )

    if unknown:
        return declined("no_match", "unknown words: " + " ".join(w for w, _ in unknown))
    if suggestions and top.score < cfg.suggest_threshold:  # related, too weak for "did you mean"
        return declined("no_match", "related only")
    if suggestions:
        why = "close call" if top.score >= cfg.answer_threshold else "low score"
        return declined("ambiguous", "bare topic" if broad else why)
    return declined("no_match", "below threshold")  # no suggestions to carry
