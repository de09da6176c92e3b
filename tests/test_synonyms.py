"""The synonym table (bot/data/synonyms.txt) keeps the rules its header states."""

from __future__ import annotations

import re

from bot.lexicons import synonym_tables
from bot.normalize import stem, to_simplified


def _texts(kb) -> tuple[str, str, str]:
    article = "".join(p.text for s in kb.article.sections for p in s.paragraphs)
    zh = article + "".join(e.answer["zh"] + "".join(e.questions.get("zh", ())) for e in kb.entries)
    en = " ".join(e.answer["en"] + " " + " ".join(e.questions.get("en", ())) for e in kb.entries)
    return to_simplified(article), to_simplified(zh), en.lower()


def test_chinese_pairs_map_a_reader_word_the_article_does_not_use_to_one_the_base_uses(
    kb,
) -> None:
    article, base, _ = _texts(kb)
    zh, _ = synonym_tables()
    assert len(zh) > 150
    for reader, word in zh.items():
        assert len(reader) >= 2, reader  # one character would rewrite text everywhere
        assert reader not in article, reader
        assert word in base, (reader, word)


def test_english_pairs_map_to_words_the_base_uses(kb) -> None:
    *_, base = _texts(kb)
    stems = {stem(w) for w in re.findall(r"[a-z]+", base)}
    _, en = synonym_tables()
    assert len(en) > 150
    for reader, word in en.items():
        assert reader.isalpha() and reader.islower(), reader
        assert stem(word) in stems, (reader, word)  # as the matcher compares them
