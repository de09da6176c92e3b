"""Simulation of the learning loop: readers' taps, an admin's review, a better bot.

1. Readers ask the questions of a *teaching* set. When the bot does not answer one
   correctly but the right entry is among its buttons, the reader taps it: the feedback
   store records "Q means X", exactly as the Telegram button does.
2. An admin approves every pending tap, in the order ``/review`` shows them (the most asked
   first), through ``Engine.learn``: the overlay is written and the base reloaded, or the
   add is refused by the pre-swap check and skipped, as in ``/review``.
3. A *testing* set on the same facts, in other wordings, is scored before and after.

Prints figures; asserts nothing. The default sets are ``eval/questions-learn-a.yaml`` (taught)
and ``eval/questions-learn-b.yaml`` (tested): the same 75 facts, item by item, written from
the article alone by a helper who never read ``knowledge/qa``.

Run: python bench/simulate_learning.py [--teach FILE ...] [--test FILE ...]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine import Engine  # noqa: E402
from bot.evaluation import Case, Report, evaluate, is_correct, load_cases  # noqa: E402
from bot.feedback import FeedbackStore  # noqa: E402
from bot.knowledge import KnowledgeError  # noqa: E402


def cases_of(paths: list[str]) -> list[Case]:
    return [case for path in paths for case in load_cases(ROOT / path)]


def figures(name: str, report: Report) -> str:
    reached = report.answered_ok + report.one_tap
    return (
        f"{name:<28} answered {report.answered_ok:>3}/{report.answerable:<3} "
        f"= {report.answered_rate:5.1f}%   answered or one tap away "
        f"{reached:>3}/{report.answerable:<3} = {report.reach_rate:5.1f}%"
        + (f"   refused {report.refused_rate:5.1f}%" if report.unanswerable else "")
    )


def taps(engine: Engine, cases: list[Case], store: FeedbackStore) -> tuple[int, int]:
    """Readers ask each answerable case and tap the right suggestion when the answer is
    not right; (taps recorded, questions answered right already)."""
    tapped = right = 0
    for case in cases:
        if case.none:
            continue
        result = engine.ask(case.question)
        entry = result.entry if result.status == "answered" else None
        lang = result.lang
        if entry is not None and is_correct(case, f"{entry.answer[lang]}\n{entry.citation.quote}"):
            right += 1
            continue
        for s in result.suggestions:
            shown = engine.kb.entry(s.entry_id)
            if shown and is_correct(case, f"{shown.answer[lang]}\n{shown.citation.quote}"):
                store.record_sync(case.question, s.entry_id, "tap")
                tapped += 1
                break
    return tapped, right


def review_all(engine: Engine, store: FeedbackStore) -> tuple[int, int, float]:
    """The admin adds every pending tap; (added, refused, seconds per add)."""
    added = refused = 0
    start = time.perf_counter()
    for item in store.review_queue_sync(limit=1000):
        try:
            engine.learn(item.question, item.entry_id)
        except KnowledgeError:
            refused += 1
            store.mark_reviewed_sync(item.id, "skipped")
            continue
        store.mark_reviewed_sync(item.id, "added")
        added += 1
    seconds = (time.perf_counter() - start) / max(1, added + refused)
    return added, refused, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teach", nargs="+", default=["eval/questions-learn-a.yaml"])
    parser.add_argument("--test", nargs="+", default=["eval/questions-learn-b.yaml"])
    parser.add_argument(
        "--also", nargs="*", default=[], help="more sets scored before and after (regressions)"
    )
    args = parser.parse_args(argv)
    teach, test = cases_of(args.teach), cases_of(args.test)
    also = {path: cases_of([path]) for path in args.also}
    with tempfile.TemporaryDirectory() as tmp:
        knowledge = Path(tmp) / "knowledge"
        shutil.copytree(ROOT / "knowledge", knowledge)
        engine = Engine(knowledge, learned=Path(tmp) / "learned.yaml")

        def score(label: str) -> None:
            print(f"-- {label}")
            print(
                figures(
                    "taught: " + ", ".join(args.teach), evaluate(teach, engine.ask, engine.kb.entry)
                )
            )
            print(
                figures(
                    "tested: " + ", ".join(args.test), evaluate(test, engine.ask, engine.kb.entry)
                )
            )
            for path, cases in also.items():
                print(figures(path, evaluate(cases, engine.ask, engine.kb.entry)))

        score("before")
        with FeedbackStore(Path(tmp) / "feedback.sqlite3") as store:
            tapped, right = taps(engine, teach, store)
            added, refused, per_add = review_all(engine, store)
        print(
            f"-- readers: {right} answered right already, {tapped} taps on the right button; "
            f"admin: {added} added, {refused} refused by the pre-swap check "
            f"({per_add:.2f} s per add, reload included)"
        )
        score("after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
