"""Cutting a run of Chinese characters into its most likely words, as a segmenter does,
with the table of common words in ``bot/data/lexicon.txt`` (pure, no knowledge base)."""

from __future__ import annotations

import re

from bot.lexicons import zh_lexicon, zh_word_weights
from bot.question_kinds import COUNT_CUE

LOG_CORPUS = 18.0  # log of the size of the corpus the word frequencies were counted in
SINGLE_CHAR_LOGP = 3.0 - LOG_CORPUS  # a character standing alone, as a rare word
MAX_WORD = 4  # longest word looked up

_COUNTED_RUN_RE = re.compile(COUNT_CUE + r"([\u4e00-\u9fff]+)")


def cut(run: str) -> list[str]:
    """A Han run cut into its most likely words: common words weighted by their frequency,
    any other character alone (连云港|人口, not 连云港人|口; 对|流动|党员, not 对流|动|党员)."""
    weights = zh_word_weights()
    n = len(run)
    best = [0.0] * (n + 1)  # best[i]: log-likelihood of the best cut of run[i:]
    step = [1] * (n + 1)
    for i in range(n - 1, -1, -1):
        best[i] = best[i + 1] + SINGLE_CHAR_LOGP
        for size in range(2, MAX_WORD + 1):
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


def head_noun(norm: str, noun: str) -> str:
    """The head of the noun phrase a "多少" question counts: 多少农民工党员 counts 党员,
    多少国家级爱国主义教育基地 counts 基地 (``noun`` is its first two characters)."""
    m = _COUNTED_RUN_RE.search(norm)
    if not m:
        return noun
    lex = zh_lexicon()
    words: list[str] = []
    after_de, last_class = False, ""
    for word in cut(m.group(1)):
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
