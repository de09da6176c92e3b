"""Accuracy on the held-out question set (never tuned on).

The knowledge-base issue sets the targets: >= 95% of answerable questions answered
correctly and >= 95% of unanswerable ones not answered. The engine does not reach the
answerable target yet (README "Evaluation" has the figures), so that test is an expected
failure — strict, so it turns red the day the target is met and the marker must go. A
regression floor at the figures reached today guards against getting worse meanwhile.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation import Report, evaluate, format_report, load_cases

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
TARGET = {"answered": 95.0, "refused": 95.0}  # the targets
FLOOR = {"answered": 86.0, "refused": 90.0}  # 88.9 / 92.3 reached on 2026-11-29, minus a margin


@pytest.fixture(scope="module")
def heldout(engine) -> Report:
    cases = load_cases(EVAL_DIR / "questions-heldout.yaml")
    assert len(cases) >= 150
    return evaluate(cases, engine.ask)


@pytest.mark.xfail(strict=True, reason="answerable held-out questions are below 95% (README)")
def test_heldout_set_meets_the_targets(heldout: Report) -> None:
    summary = format_report(heldout, verbose=False)
    assert heldout.answered_rate >= TARGET["answered"], summary
    assert heldout.refused_rate >= TARGET["refused"], summary


def test_heldout_set_does_not_regress(heldout: Report) -> None:
    summary = format_report(heldout, verbose=False)
    assert heldout.answered_rate >= FLOOR["answered"], summary
    assert heldout.refused_rate >= FLOOR["refused"], summary


@pytest.mark.parametrize("name", ["questions-tune.yaml", "questions-heldout.yaml"])
def test_eval_sets_are_well_formed_and_disjoint(name: str) -> None:
    cases = load_cases(EVAL_DIR / name)
    assert sum(c.none for c in cases) >= 0.15 * len(cases)  # enough unanswerable questions
    others = {c.question for f in EVAL_DIR.glob("*.yaml") if f.name != name for c in load_cases(f)}
    assert not {c.question for c in cases} & others


def test_every_answered_eval_question_cites_a_verbatim_quote(engine, kb) -> None:
    for path in sorted(EVAL_DIR.glob("*.yaml")):
        for case in load_cases(path):
            result = engine.ask(case.question)
            if result.entry is not None:
                quote = result.entry.citation.quote
                assert quote in kb.article.paragraph(result.entry.citation.paragraph).text
                assert quote in kb.article.raw_text
