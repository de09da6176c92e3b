"""The self-check off the load path: what a reload checks before it swaps, what blocks the
swap, and the full check remembered per knowledge version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from e2e_support import add_variant as edit_entry

from bot.engine import Engine
from bot.knowledge import KnowledgeError
from bot.selfcheck import (
    CheckCache,
    CheckReport,
    Collision,
    StoredQuestion,
    cache_key,
    stored_questions,
)

BASES = "patriotic-education-bases"
BASES_Q = "连云港有多少个爱国主义教育基地?"
HOTLINE = "hotline-12345-platform"


@pytest.fixture
def kdir(tmp_path: Path, knowledge_dir: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir, target)
    return target


def add_variant(kdir: Path, engine: Engine, entry_id: str, question: str) -> int:
    """Add ``question`` to an entry's YAML as an editor would; return its line number."""
    return edit_entry(kdir, engine.kb.entry(entry_id), question)


def test_loading_runs_no_self_check_and_reload_of_an_unchanged_base_checks_nothing(kdir):
    engine = Engine(kdir)
    summary = engine.reload()
    assert summary.version == summary.previous_version
    assert summary.check.checked == 0 and summary.check.clean


def test_stored_questions_know_their_lines(kdir):
    engine = Engine(kdir)
    questions = stored_questions(engine.kb, [BASES])
    first = next(q for q in questions if q.text == BASES_Q)
    path = kdir / first.file
    assert path.read_text(encoding="utf-8").splitlines()[first.line - 1].strip() == f"- {BASES_Q}"
    assert len(stored_questions(engine.kb)) == sum(
        len(qs) for e in engine.kb.entries for qs in e.questions.values()
    )


def test_an_edit_is_checked_where_it_can_matter_and_swapped_in(kdir):
    engine = Engine(kdir)
    new_question = "爱国主义教育基地总共有几处"
    add_variant(kdir, engine, BASES, new_question)
    summary = engine.reload()
    assert summary.changed == (BASES,)
    assert engine.ask(new_question).entry.id == BASES
    # The changed entry's questions and look-alikes of other entries, not the whole base.
    total = len(stored_questions(engine.kb))
    own = len(stored_questions(engine.kb, [BASES]))
    assert own < summary.check.checked < total
    assert summary.check.clean and not summary.check.full


def test_a_variant_that_takes_another_entrys_question_blocks_the_swap(kdir):
    engine = Engine(kdir)
    live = engine.kb
    # The hotline entry claims a question that the bases entry answers today.
    line = add_variant(kdir, engine, HOTLINE, BASES_Q.rstrip("?") + "呀?")
    with pytest.raises(KnowledgeError) as err:
        engine.reload()
    assert engine.kb is live  # the old base keeps serving
    where = {(p.file, p.line, p.entry_id) for p in err.value.problems}
    hotline_file = live.entry(HOTLINE).source_file
    assert (hotline_file, line, HOTLINE) in where  # the new variant, at its line
    assert all("question" in p.message for p in err.value.problems)


def test_a_new_variant_that_is_merely_unanswered_is_reported_not_blocking(kdir):
    engine = Engine(kdir)
    vague = "爱国主义教育基地的负责人是谁"  # its answer names no one: not answered
    add_variant(kdir, engine, BASES, vague)
    summary = engine.reload()
    assert engine.kb.version == summary.version  # swapped in
    found = [c for c in summary.check.collisions if c.question.text == vague]
    assert found and not found[0].wrong_entry
    assert str(found[0]).startswith(f"{engine.kb.entry(BASES).source_file}:")


def test_the_full_check_is_remembered_per_version(kdir, tmp_path):
    cache = CheckCache(tmp_path / "data" / "selfcheck.json")
    engine = Engine(kdir, cache=cache)
    assert engine.cached_check() is None
    report = engine.self_check()
    assert report.full and report.clean
    assert report.checked == len(stored_questions(engine.kb))
    # A new process over the same base finds the result without checking anything.
    again = Engine(kdir, cache=CheckCache(cache.path))
    assert again.cached_check() == report
    # An edit is another version: not checked until checked.
    add_variant(kdir, engine, BASES, "爱国主义教育基地总共有几处")
    again.reload()
    assert again.cached_check() is None
    assert cache_key(engine.kb.version, engine.config) != cache_key(again.kb.version, again.config)


def test_the_cache_survives_garbage_and_keeps_collisions(tmp_path):
    path = tmp_path / "selfcheck.json"
    cache = CheckCache(path)
    path.write_text("{not json", encoding="utf-8")
    assert cache.get("k") is None
    collision = Collision(StoredQuestion("a", "问题?", "qa/a.yaml", 7), "answered", "b", 91.5)
    report = CheckReport("v1", 10, (collision,), True)
    cache.put("k", report)
    assert cache.get("k") == report
    assert not list(tmp_path.glob(".selfcheck.json.*"))  # no temporary file left behind
    data = json.loads(path.read_text(encoding="utf-8"))
    data["results"]["k"]["collisions"] = "nonsense"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert cache.get("k") is None
