"""Scoring: answered correctly, refused, and "one tap away" (a suggested entry that a tap
would show answers the question)."""

from __future__ import annotations

from bot.evaluation import Case, evaluate, format_report
from bot.model import MatchResult, Suggestion


def test_one_tap_away_counts_a_right_suggestion_only(kb) -> None:
    bases = kb.entry("patriotic-education-bases")
    hotline = kb.entry("hotline-12345-requests")
    cases = [
        Case("q-answered", [["66"]], False, "x"),
        Case("q-tap", [["66"]], False, "x"),
        Case("q-wrong-tap", [["66"]], False, "x"),
        Case("q-none", [], True, "near_miss"),
    ]

    def ask(q: str) -> MatchResult:
        if q == "q-answered":
            return MatchResult(q, "answered", "zh", bases, 90.0)
        suggested = bases if q == "q-tap" else hotline
        tap = (Suggestion(suggested.id, suggested.label("zh"), 50.0),)
        return MatchResult(q, "ambiguous", "zh", suggestions=tap)

    report = evaluate(cases, ask, kb.entry)
    assert (report.answered_ok, report.one_tap, report.answerable) == (1, 1, 3)
    assert report.refused == 1  # an ambiguous result answers nothing
    assert round(report.reach_rate, 1) == 66.7
    assert "answered or one tap away:      2/3 = 66.7%" in format_report(report)
    assert evaluate(cases, ask).one_tap == 0  # without entries, no tap is counted
