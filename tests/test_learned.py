"""The overlay of learned variants (bot.learned): merge, validation, add/undo, export."""

from __future__ import annotations

import os

import pytest
from e2e_support import copy_knowledge

from bot import learned
from bot.engine import Engine
from bot.knowledge import KnowledgeError, load_knowledge

BASES_ZH = "连云港有多少个爱国主义教育基地?"
NEW_VARIANT = "港城一共建了几处爱国主义教育基地呀"


@pytest.fixture(scope="module")
def kb():
    from e2e_support import KNOWLEDGE_DIR

    return load_knowledge(KNOWLEDGE_DIR)


def entry_of(kb, question):
    from e2e_support import shared_engine

    return shared_engine().ask(question).entry


def test_a_missing_or_empty_overlay_changes_nothing(kb, tmp_path):
    path = tmp_path / learned.FILE
    assert learned.merge(kb, path) == (kb, [])
    path.write_text("learned: []\n", encoding="utf-8")
    assert learned.merge(kb, path) == (kb, [])


def test_variants_are_merged_into_their_entry_and_language_and_change_the_version(kb, tmp_path):
    entry = entry_of(kb, BASES_ZH)
    path = tmp_path / learned.FILE
    learned.add(path, entry.id, "zh", NEW_VARIANT)
    merged, notes = learned.merge(kb, path)
    assert notes == []
    assert merged.entry(entry.id).questions["zh"][-1] == NEW_VARIANT
    assert merged.entry(entry.id).questions["zh"][:-1] == entry.questions["zh"]
    assert merged.version != kb.version


def test_an_unknown_entry_is_a_note_not_a_problem(kb, tmp_path):
    path = tmp_path / learned.FILE
    learned.add(path, "no-such-entry", "zh", NEW_VARIANT)
    merged, notes = learned.merge(kb, path)
    assert merged.entries == kb.entries
    assert len(notes) == 1 and "no-such-entry" in str(notes[0])
    assert str(notes[0]).startswith("learned.yaml:")


def test_problems_carry_file_and_line(kb, tmp_path):
    entry = entry_of(kb, BASES_ZH)
    path = tmp_path / learned.FILE
    path.write_text(
        "learned:\n"
        f"  - entry: {entry.id}\n    lang: fr\n    question: x\n"
        f"  - entry: {entry.id}\n    lang: zh\n    question: {BASES_ZH}\n"
        "  - just a string\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as err:
        learned.merge(kb, path)
    found = sorted(err.value.problems, key=lambda p: p.line or 0)
    assert [f"{p.file}:{p.line}" for p in found] == [
        "learned.yaml:2",
        "learned.yaml:5",
        "learned.yaml:8",
    ]
    assert "lang 'fr'" in found[0].message
    assert "also asked in entry" in found[1].message
    path.write_text("learned: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):
        learned.merge(kb, path)


def test_add_and_restore(tmp_path):
    path = tmp_path / learned.FILE
    before = learned.add(path, "a-b", "zh", "问题一")
    assert before is None
    again = learned.add(path, "a-b", "en", 'say "hi": #1')
    assert [(i.entry, i.lang, i.question) for i in learned.read(path)[0]] == [
        ("a-b", "zh", "问题一"),
        ("a-b", "en", 'say "hi": #1'),
    ]
    learned.restore(path, again)
    assert len(learned.read(path)[0]) == 1
    learned.restore(path, before)
    assert not path.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary file left


def test_engine_learn_swaps_and_a_refused_add_is_undone(tmp_path):
    path = tmp_path / "data" / learned.FILE
    engine = Engine(copy_knowledge(tmp_path), learned=path)
    entry = engine.ask(BASES_ZH).entry
    version = engine.kb.version
    summary = engine.learn(NEW_VARIANT, entry.id)
    assert summary.changed == (entry.id,) and engine.kb.version != version
    assert engine.ask(NEW_VARIANT).entry.id == entry.id
    assert engine.ask(NEW_VARIANT).status == "answered"
    # a restart keeps it
    assert Engine(engine.directory, learned=path).kb.version == engine.kb.version
    # the question of another entry, added to this one: refused, overlay unchanged
    other = next(e for e in engine.kb.entries if e.id != entry.id)
    text = path.read_bytes()
    with pytest.raises(KnowledgeError) as err:
        engine.learn(other.questions["zh"][0], entry.id)
    assert "also asked in entry" in str(err.value)
    assert path.read_bytes() == text
    # a rewording another entry answers: refused by the pre-swap check, overlay unchanged
    rival = other.questions["zh"][0] + "呢"
    assert engine.ask(rival).entry is not None and engine.ask(rival).entry.id == other.id
    with pytest.raises(KnowledgeError) as err:
        engine.learn(rival, entry.id)
    assert path.read_bytes() == text
    assert engine.ask(rival).entry.id == other.id


def test_export_inserts_after_the_last_question_keeping_comments(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    path = tmp_path / "data" / learned.FILE
    engine = Engine(knowledge, learned=path)
    entry = engine.ask(BASES_ZH).entry
    engine.learn(NEW_VARIANT, entry.id)
    version = engine.kb.version
    file = knowledge / entry.source_file
    before = file.read_text(encoding="utf-8").splitlines()
    written, marked, notes = learned.export(knowledge, path)
    assert (written, marked, notes) == (1, 0, [])
    after = file.read_text(encoding="utf-8").splitlines()
    last = entry.question_lines[entry.questions["zh"][-1]]
    assert after[last].strip() == f"- {NEW_VARIANT}"
    assert after[:last] == before[:last]
    assert [ln for ln in after if ln.lstrip().startswith("#")] == [
        ln for ln in before if ln.lstrip().startswith("#")
    ]
    assert learned.read(path) == ([], [])
    assert not [n for n in os.listdir(file.parent) if n.startswith(".")]
    # the same base as before the export, now from knowledge/ alone
    fresh = load_knowledge(knowledge)
    assert (
        fresh.entry(entry.id).questions
        == Engine(knowledge, learned=path).kb.entry(entry.id).questions
    )
    assert fresh.entry(entry.id).questions["zh"][-1] == NEW_VARIANT
    assert Engine(knowledge, learned=path).kb.version != version  # the overlay counts


def test_quoting_reads_back_the_same():
    import yaml

    for text in ("普通的问题", 'say "hi": #1', "- dash", "yes", "a: b"):
        assert yaml.safe_load(f"- {learned._quote(text)}") == [text]


# ------------------------------------------------------------ known unanswerable questions

OFF_ARTICLE = "连云港的爱国主义教育基地门票要多少钱"


def test_a_question_marked_not_in_the_article_is_refused_in_that_wording(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    path = tmp_path / "data" / learned.FILE
    engine = Engine(knowledge, learned=path)
    version = engine.kb.version
    engine.mark_unanswerable(OFF_ARTICLE)
    assert engine.kb.version != version
    assert engine.kb.unanswerable == (OFF_ARTICLE,)
    for wording in (OFF_ARTICLE, OFF_ARTICLE + "?", "请问" + OFF_ARTICLE + "呢"):
        result = engine.ask(wording)
        assert (result.status, result.entry) == ("no_match", None), wording
        assert result.reason == f"known unanswerable: {OFF_ARTICLE}"
    # another question about the same thing is still answered
    assert engine.ask(BASES_ZH).status == "answered"
    # it survives a restart: the overlay is merged at load
    assert Engine(knowledge, learned=path).ask(OFF_ARTICLE).status == "no_match"


def test_marking_a_stored_wording_is_refused_and_changes_nothing(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    path = tmp_path / "data" / learned.FILE
    engine = Engine(knowledge, learned=path)
    entry = engine.ask(BASES_ZH).entry
    with pytest.raises(KnowledgeError) as err:
        engine.mark_unanswerable(BASES_ZH.rstrip("?") + "呢")  # a filler more: same wording
    assert entry.id in str(err.value) and "would refuse that question" in str(err.value)
    assert not path.exists()
    assert engine.ask(BASES_ZH).entry.id == entry.id


def test_an_overlay_marking_a_stored_question_is_a_problem(kb, tmp_path):
    path = tmp_path / learned.FILE
    path.write_text(f'learned: []\nnot_in_article:\n  - "{BASES_ZH}"\n', encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        learned.merge(kb, path)
    assert f"{learned.FILE}:3" in str(err.value) and "marked not in the article" in str(err.value)


def test_export_moves_marked_questions_into_unanswerable_yaml(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    path = tmp_path / "data" / learned.FILE
    Engine(knowledge, learned=path).mark_unanswerable(OFF_ARTICLE)
    assert learned.export(knowledge, path) == (0, 1, [])
    assert learned.read_overlay(path) == learned.Overlay([], [], [])
    fresh = Engine(knowledge)  # knowledge/ alone now refuses it
    assert fresh.kb.unanswerable == (OFF_ARTICLE,)
    assert fresh.ask(OFF_ARTICLE).reason == f"known unanswerable: {OFF_ARTICLE}"
    # exporting again adds nothing twice
    assert learned.export(knowledge, path) == (0, 0, [])


def test_unanswerable_yaml_problems_carry_their_line(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    (knowledge / "unanswerable.yaml").write_text(
        f'unanswerable:\n  - "{OFF_ARTICLE}"\n  - "{OFF_ARTICLE}"\n  - "{BASES_ZH}"\n',
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(knowledge)
    text = str(err.value)
    assert "unanswerable.yaml:3" in text and "listed twice" in text
    assert "unanswerable.yaml:4" in text and "is a question of entry" in text
