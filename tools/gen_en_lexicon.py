"""Regenerate bot/data/en_lexicon.txt: English words that cannot be nouns, by class.

The matcher uses it only to judge words of an English question that the knowledge base
never uses. An unknown noun ("population", "airport", "mayor") means the question asks
about something the article does not cover; an unknown verb or adjective ("organize",
"featured", "famous") is usually just another way of asking. Words missing from this file
count as nouns. Source: the lemma tables shipped with lemminflect (word -> possible
parts of speech). Each line is ``word<TAB>class`` with class V (verb) or F (adjective,
adverb).
Run: pip install lemminflect && python tools/gen_en_lexicon.py
"""

from __future__ import annotations

from pathlib import Path

from lemminflect import Lemmatizer

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    lemmatizer = Lemmatizer()
    lemmatizer.getAllLemmas("load")  # the table loads lazily
    lines = []
    for word, tags in sorted(lemmatizer.lemma_dict.items()):
        if not (word.isascii() and word.isalpha() and word.islower()) or len(word) < 3:
            continue
        if {"NOUN", "PROPN"} & set(tags):
            continue
        lines.append(f"{word}\t{'V' if {'VERB', 'AUX'} & set(tags) else 'F'}")
    out = ROOT / "bot" / "data" / "en_lexicon.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} words -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
