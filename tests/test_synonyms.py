"""The synonym table (knowledge/synonyms.txt) keeps the rules its header states, and the
loader reports a broken pair at its line."""

from __future__ import annotations

import re
import shutil

import pytest

from bot.knowledge import KnowledgeError, Problem, load_knowledge
from bot.normalize import normalize, stem, synonyms, to_simplified


def synonym_tables(kb) -> tuple[dict[str, str], dict[str, str]]:
    pairs = dict(kb.synonyms)
    zh = {k: v for k, v in pairs.items() if not k.isascii()}
    en = {k: v for k, v in pairs.items() if k.isascii()}
    return zh, en


def _texts(kb) -> tuple[str, str, str]:
    article = "".join(p.text for s in kb.article.sections for p in s.paragraphs)
    zh = article + "".join(e.answer["zh"] + "".join(e.questions.get("zh", ())) for e in kb.entries)
    en = " ".join(e.answer["en"] + " " + " ".join(e.questions.get("en", ())) for e in kb.entries)
    return to_simplified(article), to_simplified(zh), en.lower()


def test_chinese_pairs_map_a_reader_word_the_article_does_not_use_to_one_the_base_uses(
    kb,
) -> None:
    article, base, _ = _texts(kb)
    zh, _ = synonym_tables(kb)
    assert len(zh) > 150
    for reader, word in zh.items():
        assert len(reader) >= 2, reader  # one character would rewrite text everywhere
        assert reader not in article, reader
        assert word in base, (reader, word)


def test_english_pairs_map_to_words_the_base_uses(kb) -> None:
    *_, base = _texts(kb)
    stems = {stem(w) for w in re.findall(r"[a-z]+", base)}
    _, en = synonym_tables(kb)
    assert len(en) > 150
    for reader, word in en.items():
        assert reader.isalpha() and reader.islower(), reader
        assert stem(word) in stems, (reader, word)  # as the matcher compares them


def test_the_base_s_pairs_apply_to_questions(kb) -> None:
    words = synonyms(kb.synonyms)
    assert normalize("片子", words) == "影片"  # the reader's word becomes the article's
    assert normalize("片子") == "片子"  # without the base's table, nothing is rewritten


def test_broken_pairs_are_reported_at_their_lines(tmp_path, knowledge_dir) -> None:
    kdir = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir, kdir)
    path = kdir / "synonyms.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = next(i for i, ln in enumerate(lines) if ln and not ln.startswith("#"))
    reader = lines[first].split()[0]
    lines += [
        "三个词 在 这里",  # not a pair
        "港 连云港",  # one character
        "连云港 港城",  # a word of the article itself
        f"{reader} 影片",  # mapped twice
        "Graveyard cemetery",  # not lower case
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kdir)
    found = [(p.file, p.line) for p in err.value.problems]
    n = len(lines)
    assert found == [("synonyms.txt", line) for line in range(n - 4, n + 1)]
    assert all(isinstance(p, Problem) and p.message for p in err.value.problems)


def test_a_base_without_a_synonym_table_loads(tmp_path, knowledge_dir) -> None:
    kdir = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir, kdir)
    (kdir / "synonyms.txt").unlink()
    assert load_knowledge(kdir).synonyms == ()
