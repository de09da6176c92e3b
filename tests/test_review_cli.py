"""``citebot review``: the review queue of CITEBOT_DATA_DIR, acting on items, export."""

from __future__ import annotations

import json

import pytest
from e2e_support import copy_knowledge, shared_engine

from bot import learned
from bot.cli import main
from bot.feedback import FeedbackStore
from bot.knowledge import load_knowledge

BASES_ZH = "连云港有多少个爱国主义教育基地?"
NEW_VARIANT = "港城一共建了几处爱国主义教育基地呀"


def setup(tmp_path, monkeypatch):
    knowledge = copy_knowledge(tmp_path)
    data = tmp_path / "data"
    monkeypatch.setenv("CITEBOT_DATA_DIR", str(data))
    monkeypatch.setenv("CITEBOT_KNOWLEDGE_DIR", str(knowledge))
    entry = shared_engine().ask(BASES_ZH).entry
    other = next(e for e in shared_engine().kb.entries if e.id != entry.id)
    with FeedbackStore(data / "feedback.sqlite3") as store:
        store.record_sync(NEW_VARIANT, entry.id, "tap")
        store.record_sync(NEW_VARIANT, entry.id, "tap")
        store.record_sync(other.questions["zh"][0] + "呢", entry.id, "up")
        store.record_sync("今天天气怎么样", entry.id, "down")
    return knowledge, data, entry, other


def queue(capsys) -> list[dict]:
    assert main(["review", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_list_add_refuse_skip_and_export(tmp_path, monkeypatch, capsys):
    knowledge, data, entry, other = setup(tmp_path, monkeypatch)
    items = queue(capsys)
    first = items[0]
    assert (first["question"], first["kind"], first["count"]) == (NEW_VARIANT, "tap", 2)
    assert main(["review"]) == 0
    assert NEW_VARIANT in capsys.readouterr().out
    rival = next(i for i in items if i["kind"] == "up")
    down = next(i for i in items if i["kind"] == "down")
    # add: written into the overlay, the engine answers it with the entry
    assert main(["review", "--add", str(first["id"])]) == 0
    assert "added" in capsys.readouterr().out
    overlay = data / learned.FILE
    assert [i.question for i in learned.read(overlay)[0]] == [NEW_VARIANT]
    # a refused add: another entry answers it; explained, nothing changed
    before = overlay.read_bytes()
    assert main(["review", "--add", str(rival["id"])]) == 1
    err = capsys.readouterr().err
    assert "not added" in err and other.id in err
    assert overlay.read_bytes() == before
    assert main(["review", "--add", str(down["id"])]) == 1  # a 👎 adds nothing
    capsys.readouterr()
    assert main(["review", "--skip", str(rival["id"])]) == 0
    assert main(["review", "--not-in-article", str(down["id"])]) == 0
    capsys.readouterr()
    assert queue(capsys) == []
    assert main(["review", "--skip", str(rival["id"])]) == 1  # gone already
    capsys.readouterr()
    # ask uses the overlay only when told to
    assert main(["ask", "--json", "--learned", str(overlay), NEW_VARIANT]) == 0
    assert json.loads(capsys.readouterr().out)["entry_id"] == entry.id
    # export: into knowledge/qa, the overlay emptied
    assert main(["review", "--export"]) == 0
    assert "1 learned variant(s) and 1 question(s) not in the article" in capsys.readouterr().out
    exported = load_knowledge(knowledge)
    assert exported.entry(entry.id).questions["zh"][-1] == NEW_VARIANT
    assert exported.unanswerable == (down["question"],)
    # eval checks that the known unanswerable questions are refused
    assert main(["eval", "--quiet", "--known-unanswerable"]) == 0
    assert "unanswerable refused:          1/1" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["eval"])
    assert exit_.value.code == 2
    assert "needs question files or --known-unanswerable" in capsys.readouterr().err
    assert learned.read(overlay) == ([], [])
    with FeedbackStore(data / "feedback.sqlite3") as store:
        assert store.counts_sync()["not_in_article"] == 1
