"""The ranker: scores the entries of a knowledge base for one prepared question.

``Matcher(kb, config, scorer=...)`` builds the parts once per base: the index per language
(``index``), the unknown-word finder (``unknown``) and what each answer states (``guards``).
``rank(query)`` then finds candidates through the index, rescores a shortlist (weighted
Dice, the ``scorer``'s fuzzy similarity, coverage), applies the guards and the cost of
unknown words, and leaves the verdict to ``decision.decide``.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.matcher.config import MatchConfig
from bot.matcher.decision import Candidate, decide
from bot.matcher.guards import Answers, Checks, question
from bot.matcher.index import Hit, LangIndex, Terms, term_kind
from bot.matcher.unknown import UnknownWords
from bot.model import LANGS, Entry, KnowledgeBase, Lang, MatchResult
from bot.normalize import normalize, synonyms, to_simplified
from bot.question_kinds import asks_mention, bare_numbers, is_bare_topic, mentioned_content

Scorer = Callable[[str, str], float]  # rapidfuzz-style: two strings -> 0..100


@dataclass(frozen=True, slots=True)
class Query:
    """A question prepared by the engine's pipeline (``bot.engine.prepare``)."""

    question: str  # as asked
    text: str  # what is matched: the first ``MAX_QUESTION_CHARS`` characters
    lang: Lang
    normalized: str  # normalised text, fillers kept
    norm: str  # normalised text, fillers stripped


class Matcher:
    """Index over a knowledge base; ``rank`` decides which entry, if any, answers."""

    def __init__(
        self,
        kb: KnowledgeBase,
        config: MatchConfig | None = None,
        *,
        scorer: Scorer = fuzz.token_set_ratio,
    ) -> None:
        was_enabled = gc.isenabled()
        gc.disable()  # indexing makes many small objects that all live: collecting is waste
        try:
            self._build(kb, config or MatchConfig(), scorer)
        finally:
            if was_enabled:
                gc.enable()

    def _build(self, kb: KnowledgeBase, config: MatchConfig, scorer: Scorer) -> None:
        self.kb, self.config, self.scorer = kb, config, scorer
        self.entries: tuple[Entry, ...] = kb.entries
        self._normalized: dict[str, str] = {}  # each stored text normalised once
        self.words = synonyms(kb.synonyms)
        norm = self.normalized
        article = self.normalized(
            " ".join(p.text for s in kb.article.sections for p in s.paragraphs)
            + " "
            + kb.article.title
        )
        zh_text = " ".join(  # all Chinese the base says, to look words up in
            [article]
            + [norm(q) for e in kb.entries for q in e.questions.get("zh", ())]
            + [norm(e.answer.get("zh", "")) for e in kb.entries]
        )
        en_text = " ".join(  # all English the base says, for phrases like "last year"
            norm(t)
            for e in kb.entries
            for t in (*e.questions.get("en", ()), e.answer.get("en", ""))
        )
        self.terms = Terms()
        weights = config.weights
        self.index: dict[Lang, LangIndex] = {
            lang: LangIndex(
                kb.entries,
                lang,
                self.terms,
                norm,
                weights,
                self.terms(article, "zh") if lang == "zh" else (),
            )
            for lang in LANGS
        }
        self.unknown = UnknownWords(
            self.index["zh"].vocab, self.index["en"].vocab, zh_text, en_text, self.terms, weights
        )
        self.answers = {
            lang: Answers(kb.entries, lang, self.index[lang], self.terms, norm, zh_text)
            for lang in LANGS
        }
        self._normalized.clear()  # needed while indexing; answers and quotes come back
        to_simplified.cache_clear()  # full of the base's texts: keep it for readers' questions

    def normalized(self, text: str) -> str:
        """A stored text, normalised (remembered: the base's texts are few)."""
        found = self._normalized.get(text)
        if found is None:
            found = self._normalized[text] = normalize(text, self.words)
        return found

    def unknown_words(self, norm: str, lang: Lang, raw: str = "") -> list[tuple[str, str]]:
        """Words of a normalised question that the base never uses, with their class
        (see ``UnknownWords.find``)."""
        return self.unknown.find(norm, lang, raw)

    # ----------------------------------------------------------------- ranking
    def rank(self, query: Query) -> MatchResult:
        """Decide which entry, if any, answers a prepared question."""
        lang, norm = query.lang, query.norm
        index = self.index[lang]
        qweight = {t: index.weight(t) for t in self.terms(norm, lang)}
        candidates = self.candidates(norm, lang, qweight)
        if not candidates:
            return MatchResult(query.question, "no_match", lang, reason="no overlap")
        unknown = [(w, c) for w, c in self.unknown.find(norm, lang, query.text) if c != "F"]
        weights = self.config.weights
        penalty = 1.0
        for _, cls in unknown[: weights.max_unknown_words]:
            oov = self.config.oov_penalty
            penalty *= oov if cls == "N" else oov**weights.unknown_verb_power
        for c in candidates:
            c.unpenalized = c.score
            c.score *= penalty
        mention = False
        says = self._lookup(norm, query.normalized) if not unknown and lang == "zh" else None
        if says is not None:
            found = [c for c in candidates if says(c.entry)]
            candidates = found + [c for c in candidates if c not in found]
            mention = bool(found)
        bare = is_bare_topic(query.text, norm, lang)
        return decide(
            query.question, lang, self.entries, candidates, unknown, mention, self.config, bare
        )

    def candidates(self, norm: str, lang: Lang, qweight: dict[str, float]) -> list[Candidate]:
        """The best-scoring entries for a question, strongest first, guards applied."""
        index = self.index[lang]
        weights = self.config.weights
        hits: list[Hit] = index.search(qweight, weights.shortlist)
        qtotal = math.fsum(qweight.values())  # fsum: exact, so independent of PYTHONHASHSEED
        qkey = " ".join(sorted(qweight))
        # Terms that make an entry "related": distinctive ones, not said all over the base
        distinct = [
            t
            for t in qweight
            if term_kind(t) in ("bi", "word")
            and index.weights.get(t, 0.0) >= weights.related_min_weight
        ]
        checks = Checks(question(norm, lang, qweight), self.answers[lang], weights.guards)
        out: list[Candidate] = []
        for hit in hits:
            vocab = index.entry_vocab[hit.entry]
            fuzzy = self.scorer(qkey, hit.doc.key) * hit.doc.discount
            covered = 100 * math.fsum(wt for t, wt in qweight.items() if t in vocab) / qtotal
            score = weights.dice * hit.dice + weights.fuzzy * fuzzy + weights.coverage * covered
            score, lacking = checks.apply(score, hit.entry)
            related = sum(t in vocab for t in distinct) >= weights.related_min_terms
            out.append(Candidate(score, hit.entry, lacking, related))
        out.sort(key=lambda c: c.score, reverse=True)
        return out

    def _lookup(self, norm: str, normalized: str) -> Callable[[int], bool] | None:
        """For questions that only look a thing up, a test of which entries (by index) say
        it; then the best of those answers, however many entries say it:
        "does the article mention X?" (entries quoting X) and "66个是什么?" (entries whose
        answer has the number)."""
        if asks_mention(normalized):
            content = mentioned_content(norm)
            return lambda i: bool(content) and self._says_all(self.entries[i], content)
        numbers = bare_numbers(norm)
        if numbers:
            return lambda i: numbers <= self.index["zh"].entry_vocab[i]
        return None

    def _says_all(self, entry: Entry, words: list[str]) -> bool:
        """Does the entry's answer or quote say every one of ``words``?"""
        said = normalize(entry.answer["zh"] + " " + entry.citation.quote, self.words)
        return all(w in said.replace(" ", "") for w in words)

    # ----------------------------------------------------------------- self-check support
    def related_questions(self, entry_ids: set[str], min_dice: float) -> set[str]:
        """Stored questions of other entries that look like a text of ``entry_ids``
        (weighted Dice at least ``min_dice``): those a change to these entries can affect."""
        out: set[str] = set()
        for index in self.index.values():
            for doc in index.docs:
                if self.entries[doc.entry].id not in entry_ids:
                    continue
                for near in index.similar(doc, min_dice):
                    if near.discount == 1.0 and self.entries[near.entry].id not in entry_ids:
                        out.update(near.texts)
        return out
