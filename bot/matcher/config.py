"""Every number the matcher uses: decision thresholds (``MatchConfig``, settable from the
environment) and the weights behind the scores (``Weights``, set in code only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields
from types import MappingProxyType
from typing import Any

# Score factor of each guard (``bot.matcher.guards``) when a candidate's answer does not
# state what the question asks; a graded guard (``words``) scales between 1 and this.
GUARD_FACTORS: Mapping[str, float] = MappingProxyType(
    {
        "number": 0.6,  # a number of the question the entry never mentions
        "words": 0.4,  # all of the question's distinctive words missing from the entry
        "quantity": 0.6,  # "how many" wants a number (a new one, not the question's own)
        "ordinal": 0.6,
        "clock": 0.5,
        "date": 0.6,
        "name": 0.8,
        "title": 0.6,
        "people": 0.6,
        "locality": 0.5,
        "rate": 0.6,
        "district": 0.6,
        "age": 0.5,
        "money": 0.5,
        "origin": 0.5,
        "winner": 0.5,
        "contact": 0.5,
        "area": 0.5,
        "episodes": 0.5,
        "list": 0.7,
        "access": 0.5,  # "怎么报名", "where can I listen": an answer saying how
        "unit": 0.7,  # "多少名党员" (people) is not answered by "30家" (companies)
        "named": 0.7,  # the post, level or superlative asked about (市委副书记, 省级, 最大)
        "doer": 0.7,  # "谁设计的": an answer naming who did it
        "enumeration": 0.6,  # "7名青年党员叫什么名字": an answer listing that many
    }
)

# Weight of an index term by its kind, times its IDF: numbers count most, single
# characters least (``bot.matcher.index``).
TERM_KIND_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"num": 2.5, "bi": 1.0, "py": 0.6, "uni": 0.35, "word": 1.0}
)


@dataclass(frozen=True, slots=True)
class Weights:
    """How scores are made. Changing one changes answers: run every eval set after."""

    dice: float = 0.55  # blend of the three similarity signals...
    fuzzy: float = 0.2
    coverage: float = 0.25  # ...share of the question's weight the entry's words cover
    answer_discount: float = 0.85  # the answer and quote count as a slightly weaker variant
    term_kinds: Mapping[str, float] = field(default_factory=lambda: TERM_KIND_WEIGHTS)
    junk_pair: float = 0.3  # share of the weight of an unknown character pair that is no word
    guards: Mapping[str, float] = field(default_factory=lambda: GUARD_FACTORS)
    unknown_verb_power: float = 0.6  # an unknown verb costs oov_penalty to this power
    max_unknown_words: int = 3  # unknown words that cost (more add nothing)
    shortlist: int = 8  # entries reranked per question
    suggestion_window: float = 35.0  # suggestions score within this of the best
    # A suggestion must share a term of at least this weight with the question: a pair said
    # by fewer than a third of the entries (log(1 + 3)), not "连云港" or "党史".
    related_min_weight: float = 1.38
    related_min_terms: int = 2  # ...and at least this many such terms (one is chance)
    typo_ratio: float = 90.0  # rapidfuzz ratio for an English word to be a typo of a known one
    typo_min_length: int = 5  # English words shorter than this are never typos


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """Decision thresholds, all on the 0..100 score scale. Each can be set by an
    environment variable ``CITEBOT_<NAME>`` (``CITEBOT_ANSWER_THRESHOLD``...); ``weights``
    only in code."""

    answer_threshold: float = 58.0  # best score needed to answer
    suggest_threshold: float = 35.0  # score needed to be offered as "did you mean"
    related_threshold: float = 20.0  # score needed to be offered as a related entry
    ambiguity_gap: float = 4.0  # best must lead the runner-up entry by this much
    confident_score: float = 88.0  # at or above this, answer even if the gap is small
    clear_lead_threshold: float = 45.0  # a lower score still answers when it leads by...
    clear_lead_gap: float = 8.0  # ...at least this much over entries quoting another sentence
    oov_penalty: float = 0.5  # score factor per unknown noun in the question (verbs: ^0.6)
    max_suggestions: int = 3
    # a bare topic ("党史学习教育") is answered only when its best entry leads the runner-up by
    # this much (the topic is one entry's); else the reader gets the entries as buttons
    bare_topic_gap: float = 15.0
    # a question this close (rapidfuzz ratio) to one reviewed as not in the article is refused
    known_unanswerable_ratio: float = 90.0
    weights: Weights = field(default_factory=Weights)

    @classmethod
    def env_fields(cls) -> list[Field[Any]]:
        """The fields set by environment variables: every one but ``weights``."""
        return [f for f in fields(cls) if f.name != "weights"]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MatchConfig:
        values: dict[str, float | int] = {}
        for f in cls.env_fields():
            raw = env.get(f"CITEBOT_{f.name.upper()}")
            if raw is None or raw.strip() == "":
                continue
            try:
                values[f.name] = int(raw) if f.type in (int, "int") else float(raw)
            except ValueError:
                raise ValueError(
                    f"CITEBOT_{f.name.upper()} must be a number, not {raw!r}"
                ) from None
        return cls(**values)  # type: ignore[arg-type]
