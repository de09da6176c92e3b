"""Guards against confident wrong answers: one table of rows
``(what the question asks, what the answer must state, factor)``.

Each ``Guard`` reads what a question asks for (``asks``: nothing, or what is needed) and
how much of it a candidate entry fails to state (``lacks``: 0 when it states it, 1 when
it does not, or a share in between). A candidate that lacks it loses score: its score is
multiplied by the guard's factor (``Weights.guards[name]``), or for a share, by the factor
scaled between 1 and it. Most guards also mark the candidate as lacking a kind of fact
asked for, which stops it from being answered on a clear lead alone.

To add a guard: a row in ``GUARDS``, its factor in ``bot.matcher.config.GUARD_FACTORS``,
a test in ``tests/test_matcher.py``, and a run of every eval set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.matcher.index import LangIndex, Terms, term_kind
from bot.matcher.segment import head_noun
from bot.model import Entry, Lang
from bot.normalize import is_number
from bot.question_kinds import (
    ANSWER_KINDS,
    answer_kinds,
    asked_deed,
    asked_kinds,
    asked_levels,
    asked_role,
    asked_superlatives,
    asked_unit,
    enumeration_asked,
    lists_items,
    states_doer,
    states_unit,
)

MAX_CACHED_UNITS = 100_000  # counted nouns remembered: they come from readers' questions
_A_ONE_RE = re.compile(r"(?<![\d一二两三四五六七八九十百千万])一[名位个]")
_WHAT_RE = re.compile(r"什么|\bwhat\b")


@dataclass(slots=True)
class Question:
    """What the guards read of a question."""

    norm: str  # normalised, fillers stripped
    lang: Lang
    weights: dict[str, float]  # its index terms and their weights
    kinds: frozenset[str]  # kinds of fact it asks for (``ANSWER_KINDS``)
    numbers: frozenset[str]


class Answers:
    """What each entry's answer states, in one language: the facts guards check."""

    def __init__(
        self,
        entries: tuple[Entry, ...],
        lang: Lang,
        index: LangIndex,
        terms: Terms,
        normalized: Callable[[str], str],
        zh_text: str,
    ) -> None:
        self.entries, self.lang, self.index, self.terms = entries, lang, index, terms
        self.normalized = normalized
        self.zh_text = zh_text  # all Chinese the base says
        self._kinds: list[frozenset[str] | None] = [None] * len(entries)  # made when needed
        self._numbers: list[frozenset[str] | None] = [None] * len(entries)
        self._counted_units: dict[str, bool] = {}

    def text(self, i: int) -> str:
        return self.entries[i].answer.get(self.lang, "")

    def kinds(self, i: int) -> frozenset[str]:
        """The kinds of fact entry ``i``'s answer states (``ANSWER_KINDS``)."""
        found = self._kinds[i]
        if found is None:
            entry = self.entries[i]
            # A title is marked 《…》 in the Chinese answer, whatever the question's language.
            found = answer_kinds(self.text(i)) | (answer_kinds(entry.answer["zh"]) & {"title"})
            self._kinds[i] = found
        return found

    def numbers(self, i: int) -> frozenset[str]:
        """The numbers entry ``i``'s answer states."""
        found = self._numbers[i]
        if found is None:
            said = self.normalized(self.text(i)).split()
            found = self._numbers[i] = frozenset(t for t in said if is_number(t))
        return found

    def says(self, i: int, words: frozenset[str]) -> bool:
        """Does entry ``i``'s answer or quote say every one of ``words``?"""
        entry = self.entries[i]
        text = self.normalized(self.text(i)) + " " + self.normalized(entry.citation.quote)
        return all(w in text for w in words)

    def states_unit(self, answer: str, unit: str) -> bool:
        """``states_unit``, forgiving a homophone typo of a counted noun (多少工有: 工友). A
        head count of people the base never counts by that name (工人) takes any count of
        people; one it does count (党员) wants that very noun (徐圩新区有多少农民工党员)."""
        lang = self.lang
        any_people = not self.counted(unit)
        if states_unit(answer, unit, lang, any_people=any_people, normalized=self.normalized):
            return True
        if lang != "zh" or len(unit) != 2:
            return False
        keys = set(self.terms.pinyin_key(unit))
        pairs = {answer[i : i + 2] for i in range(len(answer) - 1)} - {unit}
        return any(
            states_unit(answer, pair, lang)
            for pair in pairs
            if keys.intersection(self.terms.pinyin_key(pair))
        )

    def counted(self, unit: str) -> bool:
        """Does any Chinese answer in the base count ``unit`` (N名党员)?"""
        found = self._counted_units.get(unit)
        if found is None:
            found = any(  # 一名建筑工人 is "a builder", not a count
                states_unit(_A_ONE_RE.sub("", e.answer["zh"]), unit, "zh") for e in self.entries
            )
            if len(self._counted_units) >= MAX_CACHED_UNITS:
                self._counted_units.clear()
            self._counted_units[unit] = found
        return found


# ------------------------------------------------------------------ what questions ask


def _distinct_words(q: Question, a: Answers) -> dict[str, float] | None:
    """The question's distinctive terms (pairs and words) and their weights."""
    found = {t: w for t, w in q.weights.items() if term_kind(t) in ("bi", "word")}
    return found or None


def _kind(kind: str) -> Callable[[Question, Answers], Any]:
    return lambda q, a: kind in q.kinds


def _quantity(q: Question, a: Answers) -> frozenset[str] | bool:
    """ "How many": the question's own numbers (an answer must state another), or True."""
    if "quantity" not in q.kinds:
        return False
    # "How many", not "what is 66 the number of" (66是什么的数量: 数量 reads as 多少)
    how_many = not _WHAT_RE.search(q.norm)
    return q.numbers if how_many and q.numbers else True


def _unit(q: Question, a: Answers) -> str:
    """What a how-many question counts (名, 党员, "students"), if the base uses that noun."""
    unit = asked_unit(q.norm, q.lang)
    if q.lang == "zh" and len(unit) == 2:
        unit = head_noun(q.norm, unit)
    if q.lang == "zh" and len(unit) > 1 and unit not in a.zh_text:
        return ""  # not a noun the base uses (a typo, or 来着 in 有几个来着)
    return unit


def _named(q: Question, a: Answers) -> frozenset[str]:
    """Words the answer itself must say: the post in "who is the X", a level (省级), a
    superlative (最大)."""
    role = asked_role(q.norm, q.lang)
    found = asked_levels(q.norm) | asked_superlatives(q.norm, q.lang)
    return found | {role} if role else found


# ------------------------------------------------------------------ what answers lack


def _lacks_words(need: dict[str, float], a: Answers, i: int) -> float:
    """The share of the distinctive weight that entry ``i`` never uses (0..1)."""
    vocab, known = a.index.entry_vocab[i], a.index.weights
    missing = math.fsum(w for t, w in need.items() if t not in vocab and t in known)
    return missing / (math.fsum(need.values()) or 1.0)


def _lacks_kind(kind: str) -> Callable[[Any, Answers, int], bool]:
    return lambda need, a, i: kind not in a.kinds(i)


def _lacks_quantity(need: frozenset[str] | bool, a: Answers, i: int) -> bool:
    """No number, or only the question's own (44万中小学生里小学生有多少)."""
    if "quantity" not in a.kinds(i):
        return True
    stated = a.numbers(i)
    return isinstance(need, frozenset) and bool(stated) and stated <= need


@dataclass(frozen=True, slots=True)
class Guard:
    name: str  # also the key of its factor in ``Weights.guards``
    asks: Callable[[Question, Answers], Any]  # what the question asks for; falsy: nothing
    lacks: Callable[[Any, Answers, int], float | bool]  # how much entry i lacks of it, 0..1
    kind_of_fact: bool = True  # lacking it is lacking a kind of fact the question asks for


GUARDS: tuple[Guard, ...] = (
    Guard(
        "number",
        lambda q, a: q.numbers,
        lambda need, a, i: not need <= a.index.entry_vocab[i],
        kind_of_fact=False,
    ),
    Guard("words", _distinct_words, _lacks_words, kind_of_fact=False),
    Guard("quantity", _quantity, _lacks_quantity),
    *(Guard(kind, _kind(kind), _lacks_kind(kind)) for kind in ANSWER_KINDS if kind != "quantity"),
    Guard("unit", _unit, lambda unit, a, i: not a.states_unit(a.text(i), unit)),
    Guard("named", _named, lambda words, a, i: not a.says(i, words)),
    Guard(
        "doer",
        lambda q, a: asked_deed(q.norm),
        lambda verbs, a, i: not states_doer(a.text(i), verbs),
    ),
    Guard(
        "enumeration",
        lambda q, a: enumeration_asked(q.norm, q.lang),
        lambda count, a, i: not lists_items(a.entries[i].answer["zh"], count),
    ),
)


def question(norm: str, lang: Lang, weights: dict[str, float]) -> Question:
    return Question(
        norm, lang, weights, asked_kinds(norm), frozenset(t for t in weights if is_number(t))
    )


class Checks:
    """The guards that apply to one question, ready to judge candidate entries."""

    def __init__(self, q: Question, answers: Answers, factors: dict[str, float] | Any) -> None:
        self.answers = answers
        self.active: list[tuple[Guard, Any, float]] = []
        for guard in GUARDS:
            need = guard.asks(q, answers)
            if need:
                self.active.append((guard, need, factors[guard.name]))

    def apply(self, score: float, i: int) -> tuple[float, bool]:
        """Entry ``i``'s score after the guards, and whether it lacks a kind of fact asked."""
        lacking = False
        for guard, need, factor in self.active:
            lack = float(guard.lacks(need, self.answers, i))
            if lack <= 0:
                continue
            score *= factor if lack >= 1 else 1 - (1 - factor) * lack
            lacking = lacking or guard.kind_of_fact
        return score, lacking
