"""Known unanswerable questions: wordings an admin reviewed as not answered by the article.

A question that is (nearly) one of them is refused, whatever entry it resembles: readers
pressed 👎 on such answers, or tapped a suggestion that did not answer, and an admin said
the article has no answer. "Nearly" is rapidfuzz's ``ratio`` on the normalised question
(fillers stripped) at or above ``MatchConfig.known_unanswerable_ratio``: the same words with
a typo, punctuation or a filler more, not another question about the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rapidfuzz import fuzz, process

from bot.matcher.ranker import Query


class KnownUnanswerable:
    """The normalised known unanswerable questions of one knowledge base."""

    def __init__(self, questions: Iterable[str], prepare: Callable[[str], Query], ratio: float):
        self.ratio = ratio
        self._by_norm: dict[str, str] = {}
        for question in questions:
            norm = prepare(question).norm
            if norm:
                self._by_norm.setdefault(norm, question)
        self._norms = list(self._by_norm)

    def __len__(self) -> int:
        return len(self._norms)

    def match(self, query: Query) -> str | None:
        """The known unanswerable question ``query`` repeats, if any."""
        if not self._norms or not query.norm:
            return None
        if query.norm in self._by_norm:
            return self._by_norm[query.norm]
        found = process.extractOne(
            query.norm, self._norms, scorer=fuzz.ratio, score_cutoff=self.ratio
        )
        return self._by_norm[found[0]] if found else None
