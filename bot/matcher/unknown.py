"""Words of a question that the knowledge base never uses ("人口", "去年", "GDP", another
city): the base cannot be answering a question about them.

Chinese runs are cut into their most likely words (``bot.matcher.segment``); a homophone
or swapped-character typo of the base's own text (连云岗, 实景课堂) is forgiven. English
words are judged with a table of words that cannot be nouns; a word capitalised
mid-sentence is a name; a typo of a known word is forgiven.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from rapidfuzz import fuzz, process

from bot.lexicons import en_lexicon, word_list, zh_lexicon
from bot.matcher.config import Weights
from bot.matcher.index import Terms
from bot.matcher.segment import cut
from bot.normalize import EN_STOP, is_han, is_number, stem
from bot.question_kinds import EN_QUESTION_WORDS, FUNCTION_CHARS, strip_question_words

# Classes of a word: N (noun, name, place, time, or not a common word), V (verb), F (other).
FLAGGED_CLASSES = ("N", "V")  # classes of common words that count when the base never uses them
VAGUE_WORDS = frozenset(word_list("zh_vague_words.txt"))  # no subject of their own: class F
LOCATIVES = frozenset("上内里中外边")  # 山上, 省内: "on", "within" a place
_LEFTOVER_FUNCTION_CHARS = frozenset(FUNCTION_CHARS + "要会能可着过吧呢吗")  # and modals
_CAPITALISED_RE = re.compile(r"(?<=[\w,;:] )[A-Z][A-Za-z]+")  # not sentence-initial
_EN_OTHER_TIME_RE = re.compile(
    r"\b(?:last|next|previous|past|coming|prior) (?:year|month|week|decade)s?\b"
    r"|\byear (?:before|after)\b|\b(?:yesterday|tomorrow)\b"
)
_ZH_DEED_RE = re.compile(r"谁|多少|几")
_AGENT_RE = re.compile(r"(?:and |so )?(?:who|by whom)\b")
MIN_TYPO_BIGRAM_COUNT = 2  # bigrams a typo may stand for: used this often in the base


class UnknownWords:
    """Finds the words of a question that the base never uses, each with its class."""

    def __init__(
        self,
        zh_vocab: frozenset[str],
        en_vocab: frozenset[str],
        zh_text: str,
        en_text: str,
        terms: Terms,
        weights: Weights,
    ) -> None:
        self.zh_vocab, self.en_vocab = zh_vocab, en_vocab
        self.zh_text = zh_text  # all Chinese the base says, to look words up in
        self.en_text = en_text  # all English the base says, for phrases like "last year"
        self.terms = terms
        self.typo_ratio, self.typo_min_length = weights.typo_ratio, weights.typo_min_length
        self.zh_bigrams = frozenset(t for t in zh_vocab if is_han(t) and len(t) == 2)
        # Typos are judged against bigrams the base uses twice or more: a one-off bigram is
        # often a cut across two words and would excuse real new words.
        counts = Counter(run[i : i + 2] for run in zh_text.split() for i in range(len(run) - 1))
        frequent = [b for b, c in counts.items() if c >= MIN_TYPO_BIGRAM_COUNT and is_han(b)]
        self.homophones: dict[str, list[str]] = defaultdict(list)  # pinyin -> bigrams
        for b in frequent:
            for key in terms.pinyin_key(b):
                self.homophones[key].append(b)
        self.swapped = frozenset(b[::-1] for b in frequent)
        self.en_long_words = sorted(
            w for w in en_vocab if len(w) >= self.typo_min_length - 1 and w.isascii()
        )
        zh_lexicon(), en_lexicon()  # load now rather than on the first question

    def find(self, norm: str, lang: str, raw: str = "") -> list[tuple[str, str]]:
        """The unknown words of a normalised question, as ``(word, class)``.

        In "who did X?" and "X了多少次?" an unknown verb names the deed asked about (导演,
        转发) and counts as V; elsewhere it is just another way to ask (划分, 形容,
        organise) and counts as F, like adverbs and particles.
        """
        names = {m.lower() for m in _CAPITALISED_RE.findall(raw)}
        agent = bool(_AGENT_RE.match(norm)) if lang == "en" else bool(_ZH_DEED_RE.search(norm))
        text = norm if lang == "en" else strip_question_words(norm)
        unknown: list[tuple[str, str]] = []
        for tok in text.split():
            if is_han(tok):
                found = self.uncovered(tok)
                unknown.extend(found)
                seen = {w for w, _ in found}
                unknown.extend(
                    (w, c)
                    for w, c in self.words(tok)
                    if c in FLAGGED_CLASSES
                    and not any(w in x for x in seen)
                    and not self.looks_like_typo(w)
                )
            elif is_number(tok):
                if tok not in self.zh_vocab and tok not in self.en_vocab:
                    unknown.append((tok, "N"))
            elif len(tok) > 2 and tok not in EN_STOP and tok not in EN_QUESTION_WORDS:
                t = stem(tok)
                if t not in self.en_vocab and t not in self.zh_vocab and not self.near_en_word(t):
                    unknown.append((tok, "N" if tok in names else en_class(tok)))
        if lang == "en":  # another time than the article's: "last year", "next month"
            unknown.extend(
                (m.group(0), "N")
                for m in _EN_OTHER_TIME_RE.finditer(norm)
                if m.group(0) not in self.en_text
            )
        return [(w, "F" if c == "V" and not agent else c) for w, c in unknown]

    def near_en_word(self, word: str) -> bool:
        """A known English word within a typo of ``word`` (long words only)."""
        if len(word) < self.typo_min_length:
            return False
        hit = process.extractOne(
            word, self.en_long_words, scorer=fuzz.ratio, score_cutoff=self.typo_ratio
        )
        return hit is not None

    def known_pair(self, pair: str) -> bool:
        """A bigram of the base, or a homophone or swapped-character typo of one."""
        if pair in self.zh_bigrams or pair in self.swapped:
            return True
        # A homophone is a typo when it is a word (记录 for 纪录) or keeps a character of the
        # base's pair (兴化 for 星化); 厨师 merely sounds like 处是 (a cut across words).
        lex = zh_lexicon()
        return any(
            b in lex or not set(b).isdisjoint(pair)
            for key in self.terms.pinyin_key(pair)
            for b in self.homophones.get(key, ())
        )

    def looks_like_typo(self, word: str) -> bool:
        """Is ``word`` a typo of known text (each character pair known up to a homophone or
        a swap) rather than a new word?"""
        return all(self.known_pair(word[i : i + 2]) for i in range(len(word) - 1))

    def words(self, run: str) -> list[tuple[str, str]]:
        """Words of a Han run that the base does not use, as (word, class), from the run's
        most likely cut; words the base's own text contains are left out."""
        lex = zh_lexicon()
        out: list[tuple[str, str]] = []
        i = 0
        for word in cut(run):
            if len(word) > 1 and word not in self.zh_text:
                cls = "F" if word in VAGUE_WORDS else lex[word]
                if cls == "V" and run[i - 1 : i] == "的":  # X的导演: a verb used as a noun
                    cls = "N"
                if word[-1] in LOCATIVES and run[max(i - 2, 0) : i + 1] in self.zh_text:
                    cls = "F"  # 抗日山|上, 江苏省|内: a place the base names, and where in it
                out.append((word, cls))
            i += len(word)
        return out

    def uncovered(self, run: str) -> list[tuple[str, str]]:
        """Stretches of 2+ characters that no known bigram (or homophone) covers, cut into
        common words (``segment_unknown``)."""
        covered = [False] * len(run)
        for i in range(len(run) - 1):
            if self.known_pair(run[i : i + 2]):
                covered[i] = covered[i + 1] = True
        out: list[tuple[str, str]] = []
        start = None
        for i, c in enumerate([*covered, True]):
            if not c and start is None:
                start = i
            elif c and start is not None:
                if i - start >= 2:
                    out.extend(segment_unknown(run[start:i]))
                start = None
        return out


def en_class(word: str) -> str:
    """N for an English noun or a word no table knows, V for a verb, F for other words."""
    return en_lexicon().get(word, "N")


def segment_unknown(stretch: str) -> list[tuple[str, str]]:
    """Cut an unknown stretch into common words. Single leftover characters are ignored; a
    two-character leftover is usually a colloquial join (要建, 跟家) and is ignored, a
    longer one is likely a name and counts as a noun."""
    lex = zh_lexicon()
    out: list[tuple[str, str]] = []
    pending = ""
    for word in [*cut(stretch), ""]:
        if len(word) == 1:
            pending += word
            continue
        if len(pending) >= 2:
            out.append((pending, _leftover_class(pending)))
        pending = ""
        if word:
            out.append((word, "F" if word in VAGUE_WORDS else lex[word]))
    return out


def _leftover_class(text: str) -> str:
    """A two-character leftover is a colloquial join; a longer one a name, unless it is
    made of function characters only (都要上)."""
    if len(text) == 2 or all(c in _LEFTOVER_FUNCTION_CHARS for c in text):
        return "F"
    return "N"
