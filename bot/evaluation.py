"""Scoring the engine against a labelled question file (``citebot eval``).

File format (as in ``eval/*.yaml``): a YAML list of ``{q, expect, none, cat}`` where
``expect`` is a list of groups of alternatives — a correct answer contains at least one
alternative of every group — and ``none: true`` marks a question the article does not
answer, which must not be answered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.model import Entry, MatchResult
from bot.safe_yaml import YamlError, YamlList, YamlMap, load_file


@dataclass(slots=True)
class Case:
    question: str
    expect: list[list[str]]
    none: bool
    category: str


@dataclass(slots=True)
class Failure:
    case: Case
    status: str
    entry_id: str | None
    answer: str | None
    reason: str


@dataclass(slots=True)
class Report:
    answerable: int = 0
    answered_ok: int = 0
    unanswerable: int = 0
    refused: int = 0
    one_tap: int = 0  # answerable, not answered correctly, but a suggested entry is right
    per_category: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    failures: list[Failure] = field(default_factory=list)

    @property
    def answered_rate(self) -> float:
        return 100.0 * self.answered_ok / self.answerable if self.answerable else 100.0

    @property
    def reach_rate(self) -> float:
        """Answerable questions answered correctly or one tap away (a suggestion whose
        entry answers correctly)."""
        reached = self.answered_ok + self.one_tap
        return 100.0 * reached / self.answerable if self.answerable else 100.0

    @property
    def refused_rate(self) -> float:
        return 100.0 * self.refused / self.unanswerable if self.unanswerable else 100.0


class EvalFileError(ValueError):
    """An eval file that cannot be used; the message names the file and, where known,
    the line ("eval/x.yaml:12: ...")."""


def load_cases(path: Path) -> list[Case]:
    """Read a question file. Raises ``OSError`` if it cannot be read and
    :class:`EvalFileError` if it is not a valid question file."""
    path = Path(path)
    try:
        data: Any = load_file(path)
    except YamlError as exc:
        where = f"{path}:{exc.line}" if exc.line else f"{path}"
        raise EvalFileError(f"{where}: {exc.message}") from None
    if not isinstance(data, list):
        where = f"{path}:{data.line}" if isinstance(data, YamlMap) else f"{path}"
        raise EvalFileError(f"{where}: expected a YAML list of questions")
    lines = data.item_lines if isinstance(data, YamlList) else [0] * len(data)
    cases = []
    for i, (item, line) in enumerate(zip(data, lines, strict=True), 1):
        where = f"{path}:{line}" if line else f"{path}"
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise EvalFileError(f"{where}: item {i} needs a string 'q'")
        expect = item.get("expect") or []
        none = bool(item.get("none"))
        if not none and not expect:
            raise EvalFileError(f"{where}: item {i} ({item['q']!r}) needs 'expect' or 'none: true'")
        if not isinstance(expect, list) or not all(isinstance(g, list) for g in expect):
            raise EvalFileError(
                f"{where}: item {i} ({item['q']!r}): 'expect' must be a list of lists of "
                'alternatives, e.g. [["66", "六十六"]]'
            )
        groups = [[str(a) for a in g] for g in expect]
        cat = str(item.get("cat") or item.get("category") or ("none" if none else "answerable"))
        cases.append(Case(item["q"], groups, none, cat))
    return cases


def is_correct(case: Case, shown: str) -> bool:
    text = shown.lower()
    return all(any(alt.lower() in text for alt in group) for group in case.expect)


def evaluate(
    cases: list[Case],
    ask: Callable[[str], MatchResult],
    entry_of: Callable[[str], Entry | None] | None = None,
) -> Report:
    """Score ``ask`` on ``cases``. With ``entry_of`` (entry id -> Entry), a question not
    answered correctly counts as one tap away when a suggestion's entry, as a tap on its
    button shows it, answers it correctly."""
    report = Report()
    for case in cases:
        result = ask(case.question)
        entry = result.entry if result.status == "answered" else None
        answer = entry.answer[result.lang] if entry else None
        shown = (
            "\n".join(
                f"{r.entry.answer[result.lang]}\n{r.entry.citation.quote}"
                for r in (result, *result.also)
                if r.entry is not None
            )
            if entry
            else ""
        )
        if case.none:
            report.unanswerable += 1
            ok = entry is None
            report.refused += ok
        else:
            report.answerable += 1
            ok = entry is not None and is_correct(case, shown)
            report.answered_ok += ok
            if not ok and entry_of is not None:
                report.one_tap += any(
                    (tapped := entry_of(s.entry_id)) is not None
                    and is_correct(case, f"{tapped.answer[result.lang]}\n{tapped.citation.quote}")
                    for s in result.suggestions
                )
        cat = report.per_category[case.category]
        cat[0] += ok
        cat[1] += 1
        if not ok:
            report.failures.append(
                Failure(
                    case,
                    result.status,
                    entry.id if entry else None,
                    answer,
                    f"score {result.score:.1f}; {result.reason}",
                )
            )
    return report


def format_report(report: Report, verbose: bool = True) -> str:
    lines = [
        f"answerable answered correctly: {report.answered_ok}/{report.answerable}"
        f" = {report.answered_rate:.1f}%",
        f"unanswerable refused:          {report.refused}/{report.unanswerable}"
        f" = {report.refused_rate:.1f}%",
        f"answered or one tap away:      {report.answered_ok + report.one_tap}/"
        f"{report.answerable} = {report.reach_rate:.1f}%",
        "per category:",
    ]
    for cat, (ok, n) in sorted(report.per_category.items()):
        lines.append(f"  {cat:<12} {ok:>4}/{n:<4} {100.0 * ok / n:5.1f}%")
    if verbose and report.failures:
        lines.append(f"failures ({len(report.failures)}):")
        for f in report.failures:
            want = "refusal" if f.case.none else " & ".join("|".join(g) for g in f.case.expect)
            got = f"{f.status} {f.entry_id or ''}".strip()
            lines.append(
                f"  [{f.case.category}] {f.case.question!r}: want {want}; got {got} ({f.reason})"
            )
    return "\n".join(lines)
