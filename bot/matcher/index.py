"""The index: terms of every stored text, their IDF and weights, and the first-pass search.

Built once per knowledge base and language (``LangIndex``); scoring happens elsewhere
(``bot.matcher.ranker``), as in rank_bm25 where the base class builds the index and the
variants score.

Chinese text is indexed as character unigrams and bigrams plus toneless-pinyin bigrams
(homophone typos), English as stemmed content words; numbers are whole terms. A term's
weight is its inverse document frequency over entries times the weight of its kind.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from bot.lexicons import pinyin_table, zh_lexicon
from bot.matcher.config import Weights
from bot.model import Entry, Lang
from bot.normalize import en_terms, is_han, is_number, strip_fillers, zh_terms

MAX_CACHED_PAIRS = 100_000  # pinyin terms remembered: readers type anything
DICE_SCALE = 200.0  # Dice = 2 x overlap / (sum of weights), on the 0..100 scale


def term_kind(term: str) -> str:
    """``num``, ``bi`` (Han pair), ``uni`` (Han character), ``py`` (pinyin pair), ``word``."""
    if term.startswith("~"):
        return "py"
    if is_number(term):
        return "num"
    if is_han(term):
        return "uni" if len(term) == 1 else "bi"
    return "word"


class Terms:
    """Index terms of normalised text, with a pinyin term for each Chinese bigram."""

    def __init__(self) -> None:
        self._pinyin = pinyin_table()
        self._pairs: dict[str, str] = {}  # character pair -> its pinyin term, or ""

    def __call__(self, norm: str, lang: Lang) -> list[str]:
        if lang == "en":
            return en_terms(norm)
        base = zh_terms(norm)
        out = list(base)
        for t in base:
            if len(t) == 2:
                key = self._pairs.get(t)
                if key is None:
                    a, b = self._pinyin.get(t[0]), self._pinyin.get(t[1])
                    key = f"~{a}_{b}" if a and b and is_han(t) else ""
                    if len(self._pairs) < MAX_CACHED_PAIRS:
                        self._pairs[t] = key
                if key:
                    out.append(key)
        return out

    def pinyin_key(self, pair: str) -> list[str]:
        """The pinyin term of a character pair, if both characters have one."""
        a, b = self._pinyin.get(pair[0]), self._pinyin.get(pair[1])
        return [f"~{a}_{b}"] if a and b else []


@dataclass(slots=True)
class Doc:
    """One matchable text of an entry: a question variant, or its answer and quote."""

    entry: int  # index into the base's entries
    text: str  # the stored text (a suggestion shows it)
    texts: list[str]  # every stored text with these terms (開山島/开山岛 are one document)
    key: str  # its terms, sorted and space-joined (terms hold no space): rapidfuzz compares these
    weight: float  # sum of term weights
    discount: float  # 1.0 for variants, less for the answer pseudo-variant

    @property
    def terms(self) -> list[str]:
        return self.key.split(" ")


@dataclass(frozen=True, slots=True)
class Hit:
    """An entry found by the first pass: the Dice of its best document."""

    entry: int
    dice: float
    doc: Doc


class LangIndex:
    """The documents of one language, their terms' weights, and postings to search them."""

    def __init__(
        self,
        entries: Iterable[Entry],
        lang: Lang,
        terms: Terms,
        normalized: Callable[[str], str],
        weights: Weights,
        extra_vocab: Iterable[str] = (),
    ) -> None:
        self.kind_weights = weights.term_kinds
        self.junk_pair = weights.junk_pair
        # Pass 1: each text's terms (as one key string: light), and document frequencies.
        shared: dict[str, str] = {}  # one string object per distinct term
        raw: list[tuple[int, str, str, float]] = []  # (entry, text, key, discount)
        entry_terms: list[frozenset[str]] = []
        for i, entry in enumerate(entries):
            mine: set[str] = set()
            texts = [(q, strip_fillers(normalized(q)), 1.0) for q in entry.questions.get(lang, ())]
            answer = entry.answer.get(lang, "")
            extra = answer + (" " + entry.citation.quote if lang == "zh" else "")
            texts.append((answer, normalized(extra), weights.answer_discount))
            for text, norm, discount in texts:
                found = {shared.setdefault(t, t) for t in terms(norm, lang)}
                if found:
                    raw.append((i, text, " ".join(sorted(found)), discount))
                    mine |= found
            entry_terms.append(frozenset(mine))
        n = max(len(entry_terms), 1)
        df: dict[str, int] = defaultdict(int)
        for mine in entry_terms:
            for t in mine:
                df[t] += 1
        self.max_idf = math.log(1 + n)
        # A term's weight: its inverse document frequency over entries times its kind's.
        self.weights = {
            t: math.log(1 + n / c) * self.kind_weights[term_kind(t)] for t, c in df.items()
        }
        self.entry_vocab = entry_terms  # per entry: all its terms
        self.vocab = frozenset(df) | frozenset(extra_vocab)  # every term the base uses
        # Pass 2: documents (variants with the same terms are one), and their postings.
        self.docs: list[Doc] = []  # grouped by entry, in entry order
        cell_terms: list[str] = []  # one cell per (document, term): the term
        sizes: list[int] = []  # terms per document
        same: dict[tuple[int, str, float], Doc] = {}
        for entry, text, key, discount in raw:
            twin = same.get((entry, key, discount))
            if twin is not None:  # variants that differ only in script match alike
                twin.texts.append(text)
                continue
            tset = key.split(" ")
            weight = math.fsum(map(self.weights.__getitem__, tset))
            doc = Doc(entry, text, [text], key, weight, discount)
            same[(entry, key, discount)] = doc
            cell_terms.extend(tset)
            sizes.append(len(tset))
            self.docs.append(doc)
        # Postings: one array of documents sorted by term, and where each term's begin.
        self.term_ids = {t: i for i, t in enumerate(dict.fromkeys(cell_terms))}
        tids = np.fromiter(map(self.term_ids.__getitem__, cell_terms), np.int64, len(cell_terms))
        cell_docs = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        self.post_docs = cell_docs[np.argsort(tids, kind="stable")]
        self.post_start = np.zeros(len(self.term_ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(tids, minlength=len(self.term_ids)), out=self.post_start[1:])
        self.doc_entry = np.fromiter((d.entry for d in self.docs), np.int64, len(self.docs))
        self.doc_scale = np.array([DICE_SCALE * d.discount for d in self.docs])
        self.doc_weight = np.array([d.weight for d in self.docs])
        self.entry_start = np.flatnonzero(np.diff(self.doc_entry, prepend=-1))
        self.entry_end = np.append(self.entry_start[1:], len(self.docs))

    def postings(self, term: str) -> np.ndarray | None:
        """The documents that contain ``term``, in document order (``None``: none do)."""
        i = self.term_ids.get(term)
        if i is None:
            return None
        return self.post_docs[self.post_start[i] : self.post_start[i + 1]]

    def weight(self, term: str) -> float:
        """A term's weight: its IDF times its kind's weight; for a term the base never
        uses, the rarest weight, much less for a character pair that is no word at all
        (的第, 一作: cuts across words, or a typo) and so says little about what is asked."""
        w = self.weights.get(term)
        if w is not None:
            return w
        kind = term_kind(term)
        junk = kind == "bi" and term not in zh_lexicon()
        return self.max_idf * self.kind_weights[kind] * (self.junk_pair if junk else 1.0)

    def dice(self, qweight: dict[str, float], qtotal: float) -> np.ndarray:
        """Weighted Dice of the question with every document (0..100, times the document's
        discount), overlaps summed through the postings."""
        found = ((self.postings(t), wt) for t, wt in qweight.items())
        hits = [(docs, wt) for docs, wt in found if docs is not None]
        if not hits:
            return np.zeros(len(self.docs))
        docs = np.concatenate([d for d, _ in hits])
        weights = np.repeat([wt for _, wt in hits], [len(d) for d, _ in hits])
        overlap = np.bincount(docs, weights=weights, minlength=len(self.docs))
        return self.doc_scale * overlap / (qtotal + self.doc_weight)

    def search(self, qweight: dict[str, float], size: int) -> list[Hit]:
        """The ``size`` entries whose best document has the highest Dice, best first (ties:
        the earlier entry)."""
        dice = self.dice(qweight, math.fsum(qweight.values()))
        if not len(dice):
            return []
        best = np.maximum.reduceat(dice, self.entry_start)  # per entry that has documents
        out = []
        for k in np.argsort(-best, kind="stable")[:size].tolist():
            if best[k] <= 0:
                break
            start = int(self.entry_start[k])
            doc = self.docs[start + int(np.argmax(dice[start : self.entry_end[k]]))]
            out.append(Hit(doc.entry, float(best[k]), doc))
        return out

    def similar(self, doc: Doc, min_dice: float) -> list[Doc]:
        """Documents whose weighted Dice with ``doc`` is at least ``min_dice``."""
        dice = self.dice({t: self.weights[t] for t in doc.terms}, doc.weight)
        return [self.docs[d] for d in np.flatnonzero(dice >= min_dice).tolist()]
