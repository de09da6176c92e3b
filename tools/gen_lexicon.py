"""Regenerate bot/data/lexicon.txt: common Chinese words with a coarse part of speech.

The matcher uses it only to judge words of a question that the knowledge base never
mentions: an unknown noun, place or time (人口, 南京, 去年) means the question asks about
something the article does not cover; an unknown adverb or particle (到底, 来着) does not.
Source: the dictionary shipped with jieba (word, frequency, POS tag). Each line is
``word<TAB>class<TAB>weight`` with class N (noun, name, place, time), V (verb, idiom) or F
(function word: adverb, adjective, pronoun, numeral, particle...), and weight the natural
log of the word's frequency, rounded (to cut a question into its most likely words).
Run: pip install jieba && python tools/gen_lexicon.py
"""

from __future__ import annotations

import math
from pathlib import Path

import jieba

ROOT = Path(__file__).resolve().parent.parent
MIN_FREQ = 20
NOUN = {"n", "nr", "ns", "nt", "nz", "nrt", "nrfg", "t", "s", "f", "j", "an", "ng", "tg", "vn"}
VERB = {"v", "vd", "vg", "i", "l"}


def main() -> None:
    source = Path(jieba.__file__).parent / "dict.txt"
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines():
        word, freq, pos = line.split()
        if not 2 <= len(word) <= 4 or int(freq) < MIN_FREQ:
            continue
        cls = "N" if pos in NOUN else "V" if pos in VERB else "F"
        lines.append(f"{word}\t{cls}\t{round(math.log(int(freq)))}")
    out = ROOT / "bot" / "data" / "lexicon.txt"
    out.write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} words to {out}")


if __name__ == "__main__":
    main()
