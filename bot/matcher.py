"""The matching engine: picks the entry that answers a question, or says none does.

Pure: imports nothing from Telegram and does no I/O beyond reading a packaged table.

How a question is scored (see README "How matching works" for the tuning knobs):

1. Normalise (width, case, traditional→simplified, fillers) and detect the language; the
   question is matched against the variants of that language only.
2. Terms: Han character unigrams and bigrams, toneless-pinyin bigrams (homophone typos),
   numbers and stemmed English words. Each term is weighted by its inverse document
   frequency over entries and by its kind: numbers count most, single characters least.
3. Each entry scores the best weighted Dice overlap of the question with one of its variants
   (or, a little discounted, with its answer and quote), blended with rapidfuzz's
   ``token_set_ratio`` over the same terms for word-order-free fuzziness.
4. Guards against confident wrong answers: a question with nouns or verbs the knowledge
   base never uses ("人口", "去年", "GDP", another city) loses score per unknown word (typos
   of known words are forgiven); a number or a distinctive word that the entry does not
   contain costs that entry, and so does an answer of the wrong kind (ANSWER_KINDS: "how
   many" wants a number in the asked unit, "when" a date, "which ones" a list); the answer
   must itself say the post, level or superlative the question names (市委副书记, 省级, 最大)
   and, for "who did X?", name a doer of X.
5. Decision (MatchConfig): ``answered`` when the best score clears ``answer_threshold`` and
   leads the runner-up by ``ambiguity_gap``, or leads every entry quoting another sentence
   by a clear margin with no guard triggered; "does the article mention X?" is answered by
   the best entry quoting X;
   ``ambiguous`` (up to 3 suggestions) for close calls above ``suggest_threshold``;
   otherwise ``no_match``.
"""

from __future__ import annotations

import gc
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

import numpy as np
from rapidfuzz import fuzz, process

from bot.lexicons import en_lexicon, pinyin_table, zh_lexicon, zh_word_weights
from bot.model import LANGS, Entry, KnowledgeBase, Lang, MatchResult, Suggestion
from bot.normalize import (
    EN_STOP,
    detect_lang,
    en_terms,
    is_han,
    is_number,
    normalize,
    smalltalk_kind,
    stem,
    strip_fillers,
    zh_terms,
)
from bot.question_kinds import (
    ANSWER_KINDS,
    COUNT_CUE,
    EN_QUESTION_WORDS,
    FUNCTION_CHARS,
    answer_kinds,
    asked_deed,
    asked_kinds,
    asked_levels,
    asked_role,
    asked_superlatives,
    asked_unit,
    asks_mention,
    bare_numbers,
    enumeration_asked,
    lists_items,
    mentioned_content,
    states_doer,
    states_unit,
    strip_question_words,
)

LOG_CORPUS = 18.0  # log of the size of the corpus the word frequencies were counted in
SINGLE_CHAR_LOGP = 3.0 - LOG_CORPUS  # a character standing alone, as a rare word
MAX_CACHED_PAIRS = 100_000  # pinyin terms remembered per matcher
MAX_QUESTION_CHARS = 300  # longer input is matched on its first 300 characters
SHORTLIST = 8  # entries reranked per question


W_DICE, W_FUZZ, W_COVER = 0.55, 0.2, 0.25  # blend of the three similarity signals
UNNAMED_FACTOR = 0.7  # cost of an answer not saying the post, level, superlative asked for
MISSING_WEIGHT = 0.6  # cost of distinctive question words the entry never uses
GENERIC_NOUNS = frozenset(
    "事儿 事情 东西 方面 情况 内容 问题 地方 时候 样子".split()
)  # say no subject
_LEFTOVER_FUNCTION_CHARS = frozenset(FUNCTION_CHARS + "要会能可着过吧呢吗")  # and modals
_COUNTED_RUN_RE = re.compile(COUNT_CUE + r"([\u4e00-\u9fff]+)")
_A_ONE_RE = re.compile(r"(?<![\d一二两三四五六七八九十百千万])一[名位个]")
_WHAT_RE = re.compile(r"什么|\bwhat\b")
LOCATIVES = frozenset("上内里中外边")  # 山上, 省内: "on", "within" a place
FLAGGED_CLASSES = ("N", "V")  # classes of common words that count when the base never uses them
JUNK_PAIR_WEIGHT = 0.3  # share of the weight for an unknown character pair that is no word
KIND_WEIGHT = {"num": 2.5, "bi": 1.0, "py": 0.6, "uni": 0.35, "word": 1.0}


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """Decision thresholds, all on the 0..100 score scale. Override with environment
    variables ``CITEBOT_ANSWER_THRESHOLD``, ``CITEBOT_SUGGEST_THRESHOLD``,
    ``CITEBOT_AMBIGUITY_GAP``, ``CITEBOT_OOV_PENALTY``."""

    answer_threshold: float = 58.0  # best score needed to answer
    suggest_threshold: float = 35.0  # score needed to be offered as "did you mean"
    ambiguity_gap: float = 4.0  # best must lead the runner-up entry by this much
    confident_score: float = 88.0  # at or above this, answer even if the gap is small
    clear_lead_threshold: float = 45.0  # a lower score still answers when it leads by...
    clear_lead_gap: float = 8.0  # ...at least this much over entries quoting another sentence
    oov_penalty: float = 0.5  # score factor per unknown noun in the question (verbs: ^0.6)
    max_suggestions: int = 3

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MatchConfig:
        values: dict[str, float | int] = {}
        for f in fields(cls):
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


def _term_kind(term: str) -> str:
    if term.startswith("~"):
        return "py"
    if is_number(term):
        return "num"
    if is_han(term):
        return "uni" if len(term) == 1 else "bi"
    return "word"


@dataclass(slots=True)
class _Doc:
    """One matchable text of an entry: a question variant, or its answer and quote."""

    entry_index: int
    text: str  # original question text (for suggestions)
    texts: list[str]  # every stored text with these terms (開山島/开山岛 are one document)
    terms: frozenset[str]
    weight: float  # sum of term weights
    discount: float  # 1.0 for variants, less for the answer pseudo-variant
    key: str = ""  # space-joined sorted terms for rapidfuzz, made when first needed

    def fuzzy_key(self) -> str:
        if not self.key:
            self.key = " ".join(sorted(self.terms))
        return self.key


@dataclass(slots=True)
class _Candidate:
    score: float
    entry: int  # index into Matcher.entries
    lacks_kind: bool  # the answer lacks a kind of fact the question asks for


@dataclass(slots=True)
class _LangIndex:
    docs: list[_Doc]  # grouped by entry, in entry order
    postings: dict[str, np.ndarray]  # term -> doc indexes
    doc_entry: np.ndarray  # per doc, as arrays for the hot path: its entry,
    doc_scale: np.ndarray  # 200 x its discount (Dice = scale x overlap / total weight),
    doc_weight: np.ndarray  # and its weight
    entry_start: np.ndarray  # index of each entry's first document (entries that have one)
    idf: dict[str, float]
    weights: dict[str, float]  # idf x kind weight, per known term
    max_idf: float
    entry_vocab: list[frozenset[str]]  # per entry: every term of its questions, answer, quote
    entry_kinds: list[frozenset[str]]  # kinds of fact each answer states (see ANSWER_KINDS)
    entry_numbers: list[frozenset[str]]  # the numbers each answer states
    vocab_words: frozenset[str]  # every term anywhere in the base (for unknown words)


class Matcher:
    """Index over a knowledge base; ``match`` answers one question."""

    def __init__(self, kb: KnowledgeBase, config: MatchConfig | None = None) -> None:
        was_enabled = gc.isenabled()
        gc.disable()  # indexing makes many small objects that all live: collecting is waste
        try:
            self._init(kb, config)
        finally:
            if was_enabled:
                gc.enable()

    def _init(self, kb: KnowledgeBase, config: MatchConfig | None) -> None:
        self.kb = kb
        self.config = config or MatchConfig()
        self.entries: tuple[Entry, ...] = kb.entries
        self._pinyin = pinyin_table()
        self._pinyin_pairs: dict[str, str] = {}  # character pair -> its pinyin term, or ""
        article_text = (
            " ".join(p.text for s in kb.article.sections for p in s.paragraphs)
            + " "
            + kb.article.title
        )
        self._article_norm = normalize(article_text)
        self._normalized: dict[str, str] = {}  # each stored text normalised once
        self._counted_units: dict[str, bool] = {}  # counted noun -> does an answer count it
        self._zh_text = " ".join(  # all Chinese the base says, to look words up in
            [self._article_norm]
            + [self._norm(q) for e in kb.entries for q in e.questions.get("zh", ())]
            + [self._norm(e.answer.get("zh", "")) for e in kb.entries]
        )
        self._en_text = " ".join(  # all English the base says, for phrases like "last year"
            self._norm(t)
            for e in kb.entries
            for t in (*e.questions.get("en", ()), e.answer.get("en", ""))
        )
        self._index: dict[Lang, _LangIndex] = {lang: self._build(lang) for lang in LANGS}
        self._zh_bigrams = frozenset(
            t for t in self._index["zh"].vocab_words if is_han(t) and len(t) == 2
        )
        # Homophone and swap typos are judged against bigrams the base uses twice or more: a
        # one-off bigram is often a cut across two words and would excuse real new words.
        counts = Counter(
            run[i : i + 2] for run in self._zh_text.split() for i in range(len(run) - 1)
        )
        frequent = [b for b, c in counts.items() if c >= 2 and is_han(b)]
        self._zh_homophones: dict[str, list[str]] = defaultdict(list)  # pinyin -> bigrams
        for b in frequent:
            for key in self._pinyin_key(b):
                self._zh_homophones[key].append(b)
        self._zh_swapped_bigrams = frozenset(b[::-1] for b in frequent)
        self._en_long_words = sorted(
            w for w in self._index["en"].vocab_words if len(w) >= 4 and w.isascii()
        )
        zh_lexicon(), en_lexicon()  # load now rather than on the first question
        self._normalized.clear()  # only needed while indexing

    # ----------------------------------------------------------------- indexing
    def _norm(self, text: str) -> str:
        norm = self._normalized.get(text)
        if norm is None:
            norm = self._normalized[text] = normalize(text)
        return norm

    def terms(self, norm: str, lang: Lang) -> list[str]:
        """Index terms of normalised text, with pinyin bigrams for Chinese."""
        if lang == "en":
            return en_terms(norm)
        base = zh_terms(norm)
        cache = self._pinyin_pairs
        out = list(base)
        for t in base:
            if len(t) == 2:
                key = cache.get(t)
                if key is None:
                    a, b = self._pinyin.get(t[0]), self._pinyin.get(t[1])
                    key = f"~{a}_{b}" if a and b and is_han(t) else ""
                    if len(cache) < MAX_CACHED_PAIRS:  # bounded: readers type anything
                        cache[t] = key
                if key:
                    out.append(key)
        return out

    def _build(self, lang: Lang) -> _LangIndex:
        raw_docs: list[tuple[int, str, list[str], float]] = []
        entry_terms: list[set[str]] = []
        for i, entry in enumerate(self.entries):
            mine: set[str] = set()
            for q in entry.questions.get(lang, ()):
                t = self.terms(strip_fillers(self._norm(q)), lang)
                raw_docs.append((i, q, t, 1.0))
                mine.update(t)
            answer = entry.answer.get(lang, "")
            extra = answer + (" " + entry.citation.quote if lang == "zh" else "")
            t = self.terms(normalize(extra), lang)
            raw_docs.append((i, answer, t, 0.85))
            mine.update(t)
            entry_terms.append(mine)
        n = max(len(self.entries), 1)
        df: dict[str, int] = defaultdict(int)
        for mine in entry_terms:
            for t in mine:
                df[t] += 1
        idf = {t: math.log(1 + n / c) for t, c in df.items()}
        max_idf = math.log(1 + n)
        weights = {t: v * KIND_WEIGHT[_term_kind(t)] for t, v in idf.items()}
        docs: list[_Doc] = []
        postings: dict[str, list[int]] = defaultdict(list)
        seen: dict[tuple[int, frozenset[str], float], _Doc] = {}
        for entry_index, text, terms, discount in raw_docs:
            tset = frozenset(terms)
            if not tset:
                continue
            same = seen.get((entry_index, tset, discount))
            if same is not None:  # 開山島/开山岛: variants that differ only in script match alike
                same.texts.append(text)
                continue
            weight = math.fsum(map(weights.__getitem__, tset))
            doc_id = len(docs)
            docs.append(_Doc(entry_index, text, [text], tset, weight, discount))
            seen[(entry_index, tset, discount)] = docs[-1]
            for t in tset:
                postings[t].append(doc_id)
        doc_entry = np.fromiter((d.entry_index for d in docs), dtype=np.int64, count=len(docs))
        vocab = set(df)
        if lang == "zh":
            vocab.update(self.terms(self._article_norm, "zh"))
        return _LangIndex(
            docs=docs,
            postings={t: np.asarray(ds, dtype=np.int64) for t, ds in postings.items()},
            doc_entry=doc_entry,
            doc_scale=np.array([100 * d.discount * 2 for d in docs]),
            doc_weight=np.array([d.weight for d in docs]),
            entry_start=np.flatnonzero(np.diff(doc_entry, prepend=-1)),
            idf=idf,
            weights=weights,
            max_idf=max_idf,
            entry_vocab=[frozenset(m) for m in entry_terms],
            # A title is marked 《…》 in the Chinese answer, whatever the question's language.
            entry_kinds=[
                answer_kinds(e.answer.get(lang, "")) | (answer_kinds(e.answer["zh"]) & {"title"})
                for e in self.entries
            ],
            entry_numbers=[
                frozenset(t for t in self._norm(e.answer.get(lang, "")).split() if is_number(t))
                for e in self.entries
            ],
            vocab_words=frozenset(vocab),
        )

    @staticmethod
    def _w(term: str, index: _LangIndex) -> float:
        """A term's weight: its IDF, or for a term the base never uses, the rarest weight,
        much less for a character pair that is no word at all (的第, 一作: cuts across
        words, or a typo) and so says little about what is asked."""
        w = index.weights.get(term)
        if w is not None:
            return w
        kind = _term_kind(term)
        junk = kind == "bi" and term not in zh_lexicon()
        return index.max_idf * KIND_WEIGHT[kind] * (JUNK_PAIR_WEIGHT if junk else 1.0)

    # ----------------------------------------------------------------- guards
    def unknown_words(self, norm: str, lang: Lang, raw: str = "") -> list[tuple[str, str]]:
        """Words of the question that the knowledge base never mentions, each with its
        class: N (noun, name, place, time, or not a common word), V (verb) or F.

        An unknown English word counts as a noun when the reader capitalised it mid-sentence
        (a name: Nanjing, GDP); otherwise ``bot/data/en_lexicon.txt`` tells verbs, adjectives
        and adverbs from nouns (see ``_en_class``).
        """
        names = {m.lower() for m in _CAPITALISED_RE.findall(raw)}
        # In "who did X?" and "X了多少次?" an unknown verb names the deed asked about (导演,
        # 转发); elsewhere it is usually just another way to ask (划分, 形容, organise).
        agent = bool(_AGENT_RE.match(norm)) if lang == "en" else bool(_ZH_DEED_RE.search(norm))
        zh_vocab, en_vocab = self._index["zh"].vocab_words, self._index["en"].vocab_words
        text = norm if lang == "en" else strip_question_words(norm)
        unknown: list[tuple[str, str]] = []
        for tok in text.split():
            if is_han(tok):
                found = self._unknown_han(tok)
                unknown.extend(found)
                seen = {w for w, _ in found}
                unknown.extend(
                    (w, c)
                    for w, c in self._words(tok)
                    if c in FLAGGED_CLASSES
                    and not any(w in x for x in seen)
                    and not self._looks_like_typo(w)
                )
            elif is_number(tok):
                if tok not in zh_vocab and tok not in en_vocab:
                    unknown.append((tok, "N"))
            elif len(tok) > 2 and tok not in EN_STOP and tok not in EN_QUESTION_WORDS:
                t = stem(tok)
                if t not in en_vocab and t not in zh_vocab and not self._near_en_word(t):
                    unknown.append((tok, "N" if tok in names else self._en_class(tok)))
        if lang == "en":  # another time than the article's: "last year", "next month"
            unknown.extend(
                (m.group(0), "N")
                for m in _EN_OTHER_TIME_RE.finditer(norm)
                if m.group(0) not in self._en_text
            )
        return [(w, "F" if c == "V" and not agent else c) for w, c in unknown]

    @staticmethod
    def _en_class(word: str) -> str:
        """N for a noun or a word no table knows, V for a verb, F for other words."""
        return en_lexicon().get(word, "N")

    def _near_en_word(self, word: str) -> bool:
        """A known English word within a typo of ``word`` (for words of 5+ letters)."""
        if len(word) < 5:
            return False
        hit = process.extractOne(word, self._en_long_words, scorer=fuzz.ratio, score_cutoff=90)
        return hit is not None

    def _pinyin_key(self, pair: str) -> list[str]:
        a, b = self._pinyin.get(pair[0]), self._pinyin.get(pair[1])
        return [f"~{a}_{b}"] if a and b else []

    def _known_pair(self, pair: str) -> bool:
        """A bigram of the base, or a homophone or swapped-character typo of one."""
        if pair in self._zh_bigrams or pair in self._zh_swapped_bigrams:
            return True
        # A homophone is a typo when it is a word (记录 for 纪录) or keeps a character of the
        # base's pair (兴化 for 星化); 厨师 merely sounds like 处是 (a cut across words).
        lex = zh_lexicon()
        return any(
            b in lex or not set(b).isdisjoint(pair)
            for key in self._pinyin_key(pair)
            for b in self._zh_homophones.get(key, ())
        )

    def _looks_like_typo(self, word: str) -> bool:
        """Is ``word`` a typo of known text (each character pair known up to a homophone or
        a swap) rather than a new word?"""
        return all(self._known_pair(word[i : i + 2]) for i in range(len(word) - 1))

    def _words(self, run: str) -> list[tuple[str, str]]:
        """Words of a Han run that the base does not use, as (word, class), from the run's
        most likely cut (``_cut``); words the base's own text contains are left out."""
        lex, text = zh_lexicon(), self._zh_text
        out: list[tuple[str, str]] = []
        i = 0
        for word in _cut(run):
            if len(word) > 1 and word not in text:
                cls = "F" if word in GENERIC_NOUNS else lex[word]
                if cls == "V" and run[i - 1 : i] == "的":  # X的导演: a verb used as a noun
                    cls = "N"
                if word[-1] in LOCATIVES and run[max(i - 2, 0) : i + 1] in text:
                    cls = "F"  # 抗日山|上, 江苏省|内: a place the base names, and where in it
                out.append((word, cls))
            i += len(word)
        return out

    def _unknown_han(self, run: str) -> list[tuple[str, str]]:
        """Stretches of 2+ characters that no known bigram (or homophone) covers, cut into
        common words (``_segment``)."""
        covered = [False] * len(run)
        for i in range(len(run) - 1):
            if self._known_pair(run[i : i + 2]):
                covered[i] = covered[i + 1] = True
        out: list[tuple[str, str]] = []
        start = None
        for i, c in enumerate([*covered, True]):
            if not c and start is None:
                start = i
            elif c and start is not None:
                if i - start >= 2:
                    out.extend(_segment(run[start:i]))
                start = None
        return out

    # ----------------------------------------------------------------- matching
    def match(self, question: str) -> MatchResult:
        """Decide which entry, if any, answers ``question``."""
        text = question[:MAX_QUESTION_CHARS]
        lang: Lang = "en" if detect_lang(text) == "en" else "zh"
        normalized = normalize(text)
        norm = strip_fillers(normalized)
        if not norm:
            return MatchResult(question, "no_match", lang, reason="empty")
        kind = smalltalk_kind(norm)
        if kind:
            return MatchResult(question, "no_match", lang, smalltalk=kind, reason="smalltalk")
        index = self._index[lang]
        qweight = {t: self._w(t, index) for t in self.terms(norm, lang)}
        candidates = self._candidates(norm, lang, qweight)
        if not candidates:
            return MatchResult(question, "no_match", lang, reason="no overlap")
        unknown = [(w, c) for w, c in self.unknown_words(norm, lang, text) if c != "F"]
        penalty = 1.0
        for _, cls in unknown[:3]:
            penalty *= self.config.oov_penalty if cls == "N" else self.config.oov_penalty**0.6
        for c in candidates:
            c.score *= penalty
        lookup = False
        says = self._lookup(norm, normalized) if not unknown and lang == "zh" else None
        if says is not None:
            found = [c for c in candidates if says(c.entry)]
            candidates = found + [c for c in candidates if c not in found]
            lookup = bool(found)
        return self._decide(question, lang, candidates, unknown, lookup)

    def _candidates(self, norm: str, lang: Lang, qweight: dict[str, float]) -> list[_Candidate]:
        """The best-scoring entries for a question, strongest first, guards applied."""
        index = self._index[lang]
        qtotal = math.fsum(qweight.values())  # fsum: exact, so independent of PYTHONHASHSEED
        shortlist = self._shortlist(index, qweight, qtotal)

        # Rerank the shortlist with rapidfuzz, coverage and the guards.
        qkey = " ".join(sorted(qweight))
        numbers = {t for t in qweight if is_number(t)}
        distinct = {t: wt for t, wt in qweight.items() if _term_kind(t) in ("bi", "word")}
        distinct_total = math.fsum(distinct.values()) or 1.0
        asked, unit = asked_kinds(norm), asked_unit(norm, lang)
        # Words the answer itself must say: the post in "who is the X", a level (省级), a
        # superlative (最大)
        named = (
            asked_levels(norm) | asked_superlatives(norm, lang) | ({asked_role(norm, lang)} - {""})
        )
        listed = enumeration_asked(norm, lang)
        deed = asked_deed(norm)
        # "How many", not "what is 66 the number of" (66是什么的数量: 数量 reads as 多少)
        how_many = "quantity" in asked and not _WHAT_RE.search(norm)
        if lang == "zh" and len(unit) == 2:
            unit = _head_noun(norm, unit)
        if lang == "zh" and len(unit) > 1 and unit not in self._zh_text:
            unit = ""  # not a noun the base uses (a typo, or 来着 in 有几个来着)
        out: list[_Candidate] = []
        for entry_index, (dice, d) in shortlist:
            doc = index.docs[d]
            vocab = index.entry_vocab[entry_index]
            fuzzy = fuzz.token_set_ratio(qkey, doc.fuzzy_key()) * doc.discount
            covered = 100 * math.fsum(wt for t, wt in qweight.items() if t in vocab) / qtotal
            s = W_DICE * dice + W_FUZZ * fuzzy + W_COVER * covered
            if numbers and not numbers <= vocab:
                s *= 0.6  # a number the entry never mentions
            missing = math.fsum(
                wt for t, wt in distinct.items() if t not in vocab and t in index.idf
            )
            s *= 1 - MISSING_WEIGHT * (missing / distinct_total)
            lacking = asked - index.entry_kinds[entry_index]
            stated = index.entry_numbers[entry_index]
            if how_many and numbers and stated and stated <= numbers:
                lacking = lacking | {"quantity"}  # "44万中小学生里小学生有多少": no new number
            for kind in lacking:
                s *= ANSWER_KINDS[kind][2]  # "how many" wants a number, "when" a date...
            if unit and not self._states_unit(
                self.entries[entry_index].answer.get(lang, ""), unit, lang
            ):
                s *= 0.7  # "多少名党员" (people) is not answered by "30家" (companies)
                lacking = lacking | {"unit"}
            if named and not self._names(self.entries[entry_index], named, lang):
                s *= UNNAMED_FACTOR  # "市委副书记是谁" when the entry names the 市委书记
                lacking = lacking | {"named"}
            if deed and not states_doer(self.entries[entry_index].answer.get(lang, ""), deed):
                s *= UNNAMED_FACTOR  # "谁设计的": the answer says it exists, not who made it
                lacking = lacking | {"doer"}
            if listed and not lists_items(self.entries[entry_index].answer["zh"], listed):
                s *= 0.6  # "7名青年党员叫什么名字": the answer only counts them
                lacking = lacking | {"enumeration"}
            out.append(_Candidate(s, entry_index, bool(lacking)))
        out.sort(key=lambda c: c.score, reverse=True)
        return out

    @staticmethod
    def _dice(index: _LangIndex, qweight: dict[str, float], qtotal: float) -> np.ndarray:
        """Weighted Dice of the question with every document of the index (0..100, times
        the document's discount), overlaps summed through the postings."""
        hits = [(index.postings[t], wt) for t, wt in qweight.items() if t in index.postings]
        if not hits:
            return np.zeros(len(index.docs))
        docs = np.concatenate([d for d, _ in hits])
        weights = np.repeat([wt for _, wt in hits], [len(d) for d, _ in hits])
        overlap = np.bincount(docs, weights=weights, minlength=len(index.docs))
        return index.doc_scale * overlap / (qtotal + index.doc_weight)

    def _shortlist(
        self, index: _LangIndex, qweight: dict[str, float], qtotal: float
    ) -> list[tuple[int, tuple[float, int]]]:
        """The ``SHORTLIST`` entries whose best document has the highest Dice, as
        ``(entry, (dice, doc))``, best first (ties: the earlier entry)."""
        dice = self._dice(index, qweight, qtotal)
        if not len(dice):
            return []
        best = np.maximum.reduceat(dice, index.entry_start)  # per entry with documents
        order = np.argsort(-best, kind="stable")[:SHORTLIST]
        ends = [*index.entry_start[1:].tolist(), len(dice)]
        out = []
        for k in order.tolist():
            if best[k] <= 0:
                break
            start = int(index.entry_start[k])
            doc = start + int(np.argmax(dice[start : ends[k]]))
            out.append((int(index.doc_entry[doc]), (float(best[k]), doc)))
        return out

    def exposed_questions(self, entry_ids: set[str], min_dice: float) -> set[str]:
        """Stored questions of other entries that look like a document of ``entry_ids``
        (weighted Dice at least ``min_dice``): those a change to these entries can affect."""
        out: set[str] = set()
        for index in self._index.values():
            for doc in index.docs:
                if self.entries[doc.entry_index].id not in entry_ids:
                    continue
                qweight = {t: index.weights[t] for t in doc.terms}
                dice = self._dice(index, qweight, doc.weight)
                for d in np.flatnonzero(dice >= min_dice).tolist():
                    near = index.docs[d]
                    if self.entries[near.entry_index].id not in entry_ids and near.discount == 1:
                        out.update(near.texts)
        return out

    def _names(self, entry: Entry, words: set[str] | frozenset[str], lang: Lang) -> bool:
        """Does the entry's answer or quote say every one of ``words``?"""
        text = self._norm(entry.answer.get(lang, "")) + " " + self._norm(entry.citation.quote)
        return all(w in text for w in words)

    def _states_unit(self, answer: str, unit: str, lang: Lang) -> bool:
        """``states_unit``, forgiving a homophone typo of a counted noun (多少工有: 工友). A
        head count of people the base never counts by that name (工人) takes any count of
        people; one it does count (党员) wants that very noun (徐圩新区有多少农民工党员)."""
        if states_unit(answer, unit, lang, any_people=not self._counted(unit)):
            return True
        if lang != "zh" or len(unit) != 2:
            return False
        keys = set(self._pinyin_key(unit))
        pairs = {answer[i : i + 2] for i in range(len(answer) - 1)} - {unit}
        return any(
            states_unit(answer, pair, lang)
            for pair in pairs
            if keys.intersection(self._pinyin_key(pair))
        )

    def _counted(self, unit: str) -> bool:
        """Does any Chinese answer in the base count ``unit`` (N名党员)?"""
        found = self._counted_units.get(unit)
        if found is None:
            found = any(  # 一名建筑工人 is "a builder", not a count
                states_unit(_A_ONE_RE.sub("", e.answer["zh"]), unit, "zh") for e in self.entries
            )
            if len(self._counted_units) >= MAX_CACHED_PAIRS:
                self._counted_units.clear()  # bounded: units come from readers' questions
            self._counted_units[unit] = found
        return found

    def _decide(
        self,
        question: str,
        lang: Lang,
        candidates: list[_Candidate],
        unknown: list[tuple[str, str]],
        mention: bool,
    ) -> MatchResult:
        """answered / ambiguous / no_match from the ranked candidates (see MatchConfig)."""
        cfg = self.config
        top = candidates[0]
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        gap = top.score - runner_up
        score = round(top.score, 1)
        extra = {"runner_up": round(runner_up, 1), "unknown": float(len(unknown))}
        suggestions = tuple(
            Suggestion(
                self.entries[c.entry].id, self.entries[c.entry].label(lang), round(c.score, 1)
            )
            for c in candidates[: cfg.max_suggestions]
            if c.score >= cfg.suggest_threshold and c.score >= top.score - 25
        )
        confident = top.score >= cfg.answer_threshold and (
            gap >= cfg.ambiguity_gap or top.score >= cfg.confident_score
        )
        # A lower score with a clear lead answers too, unless the question has words the base
        # never uses or asks for a kind of fact the entry's answer does not state. The lead
        # counts over entries that quote another sentence: the reader sees the same source
        # whichever of the entries quoting this one is picked.
        source = self.entries[top.entry].citation
        other = next(
            (c.score for c in candidates[1:] if self.entries[c.entry].citation != source), 0.0
        )
        clear_lead = (
            not unknown
            and not top.lacks_kind
            and top.score >= cfg.clear_lead_threshold
            and top.score - other >= cfg.clear_lead_gap
        )
        if mention or confident or clear_lead:
            entry = self.entries[top.entry]
            return MatchResult(
                question, "answered", lang, entry, score, extra=extra, reason="answered"
            )
        if unknown:
            why = "unknown words: " + " ".join(w for w, _ in unknown)
            return MatchResult(
                question,
                "no_match",
                lang,
                score=score,
                suggestions=suggestions,
                reason=why,
                extra=extra,
            )
        if suggestions:
            why = "close call" if top.score >= cfg.answer_threshold else "low score"
            return MatchResult(
                question,
                "ambiguous",
                lang,
                score=score,
                suggestions=suggestions,
                reason=why,
                extra=extra,
            )
        return MatchResult(
            question, "no_match", lang, score=score, reason="below threshold", extra=extra
        )

    def _lookup(self, norm: str, normalized: str) -> Callable[[int], bool] | None:
        """For questions that only look a thing up, a test of which entries (by index) say
        it; then the best of those answers, however many entries say it:
        "does the article mention X?" (entries quoting X) and "66个是什么?" (entries whose
        answer has the number)."""
        if asks_mention(normalized):
            return lambda i: self._mentioned_by(norm, self.entries[i])
        numbers = bare_numbers(norm)
        if numbers:
            return lambda i: numbers <= self._index["zh"].entry_vocab[i]
        return None

    @staticmethod
    def _mentioned_by(norm: str, entry: Entry) -> bool:
        """For "does the article mention X?": does the entry's answer or quote say X?
        Then that entry answers, however many others also mention X."""
        content = mentioned_content(norm)
        said = normalize(entry.answer["zh"] + " " + entry.citation.quote).replace(" ", "")
        return bool(content) and all(w in said for w in content)


_CAPITALISED_RE = re.compile(r"(?<=[\w,;:] )[A-Z][A-Za-z]+")  # not sentence-initial
_EN_OTHER_TIME_RE = re.compile(
    r"\b(?:last|next|previous|past|coming|prior) (?:year|month|week|decade)s?\b"
    r"|\byear (?:before|after)\b|\b(?:yesterday|tomorrow)\b"
)
_ZH_DEED_RE = re.compile(r"谁|多少|几")
_AGENT_RE = re.compile(r"(?:and |so )?(?:who|by whom)\b")


def _cut(run: str) -> list[str]:
    """A Han run cut into its most likely words, as a segmenter does: common words weighted
    by their frequency, any other character alone (连云港|人口, not 连云港人|口; 对|流动|党员,
    not 对流|动|党员)."""
    weights = zh_word_weights()
    n = len(run)
    best = [0.0] * (n + 1)  # best[i]: log-likelihood of the best cut of run[i:]
    step = [1] * (n + 1)
    for i in range(n - 1, -1, -1):
        best[i] = best[i + 1] + SINGLE_CHAR_LOGP
        for size in (2, 3, 4):
            word = run[i : i + size]
            if len(word) == size and word in weights:
                logp = weights[word] - LOG_CORPUS + best[i + size]
                if logp > best[i]:
                    best[i], step[i] = logp, size
    words, i = [], 0
    while i < n:
        words.append(run[i : i + step[i]])
        i += step[i]
    return words


def _head_noun(norm: str, noun: str) -> str:
    """The head of the noun phrase a "多少" question counts: 多少农民工党员 counts 党员,
    多少国家级爱国主义教育基地 counts 基地 (``noun`` is its first two characters)."""
    m = _COUNTED_RUN_RE.search(norm)
    if not m:
        return noun
    lex = zh_lexicon()
    words: list[str] = []
    after_de, last_class = False, ""
    for word in _cut(m.group(1)):
        if word == "的" and words:  # 多少群众的求助 counts 求助
            after_de = True
            continue
        cls = "N" if after_de else lex.get(word, "N" if len(word) > 1 else "")  # 的求助: a noun
        if len(word) < 2 or cls not in ("N", "F"):  # 国家级 (F) may modify; a verb ends it
            break
        words.append(word)
        last_class, after_de = cls, False
    if not words or last_class != "N":
        return noun
    return words[-1] if len(words) > 1 or words[0].startswith(noun) else noun


def _segment(stretch: str) -> list[tuple[str, str]]:
    """Cut an unknown stretch into common words (``_cut``). Single leftover characters
    are ignored; a two-character leftover is usually a colloquial join (要建, 跟家) and
    is ignored, a longer one is likely a name and counts as a noun."""
    lex = zh_lexicon()
    out: list[tuple[str, str]] = []
    pending = ""
    for word in [*_cut(stretch), ""]:
        if len(word) == 1:
            pending += word
            continue
        if len(pending) >= 2:
            out.append((pending, _leftover_class(pending)))
        pending = ""
        if word:
            out.append((word, lex[word]))
    return out


def _leftover_class(text: str) -> str:
    """A two-character leftover is a colloquial join; a longer one a name, unless it is
    made of function characters only (都要上)."""
    if len(text) == 2 or all(c in _LEFTOVER_FUNCTION_CHARS for c in text):
        return "F"
    return "N"
