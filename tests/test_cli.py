"""The `citebot` command line as scripts use it: exit codes, text and the JSON contract."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def citebot(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_ask_prints_answer_then_citation(kb) -> None:
    proc = citebot("ask", "连云港有多少个爱国主义教育基地?")
    assert proc.returncode == 0, proc.stderr
    answer, source, quote = proc.stdout.strip().splitlines()[:3]
    assert "66" in answer
    assert kb.article.title in source and "段" in source
    assert quote.strip().strip("「」") in kb.article.raw_text


def test_ask_words_are_joined_into_one_question() -> None:
    proc = citebot("ask", "--json", "How", "many", "patriotic", "education", "bases?")
    (obj,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert obj["question"] == "How many patriotic education bases?" and obj["lang"] == "en"


CONTRACT_KEYS = {
    "question",
    "status",
    "lang",
    "answer",
    "entry_id",
    "score",
    "citation",
    "suggestions",
}


def test_ask_json_batch_from_stdin_keeps_order_and_contract(kb) -> None:
    questions = [
        "连云港有多少个爱国主义教育基地?",
        "阿里巴巴的创始人是谁",
        "早上好",
        "How many patriotic education bases are there?",
        "党史",
        "開山島在文章裡被提到了嗎",
    ]
    proc = citebot("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert proc.returncode == 0, proc.stderr
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["question"] for o in objs] == questions
    for o in objs:
        assert o.keys() >= CONTRACT_KEYS
        assert o["status"] in {"answered", "ambiguous", "no_match"}
        assert o["lang"] in {"zh", "en"}
        assert isinstance(o["score"], float) and 0 <= o["score"] <= 100
        if o["status"] == "answered":
            assert isinstance(o["answer"], str) and o["answer"]
            cite = o["citation"]
            assert set(cite) == {"article", "title", "section", "paragraph", "quote"}
            assert cite["quote"] in kb.article.paragraph(cite["paragraph"]).text
            assert cite["quote"] in kb.article.raw_text
            assert kb.entry(o["entry_id"]) is not None
        else:
            assert o["answer"] is None and o["entry_id"] is None and o["citation"] is None
        for s in o["suggestions"]:
            assert set(s) == {"entry_id", "question", "score"} and kb.entry(s["entry_id"])
    assert objs[0]["status"] == "answered" and objs[1]["status"] != "answered"
    assert objs[3]["lang"] == "en" and objs[5]["status"] == "answered"


def test_ask_json_batch_of_1000_in_one_process() -> None:
    lines = ["连云港有多少个爱国主义教育基地?", "星化社区中央厨房面积", "连云港的人口"] * 334
    proc = citebot("ask", "--json", stdin="\n".join(lines[:1000]))
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 1000


def test_check_passes_on_the_shipped_base() -> None:
    proc = citebot("check", "knowledge")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ok:")


def test_check_fails_with_precise_messages_on_a_broken_copy(tmp_path: Path, knowledge_dir) -> None:
    broken = tmp_path / "kb"
    shutil.copytree(knowledge_dir, broken)
    qa = sorted((broken / "qa").glob("*.yaml"))[0]
    text = qa.read_text(encoding="utf-8")
    qa.write_text(
        text.replace("    cite:\n      paragraph:", "    cite:\n      paragraf:", 1),
        encoding="utf-8",
    )
    proc = citebot("check", str(broken))
    assert proc.returncode == 1
    assert f"{qa.relative_to(broken).as_posix()}:" in proc.stdout
    assert "paragraf" in proc.stdout


def test_broken_knowledge_stops_ask_with_exit_2(tmp_path: Path, knowledge_dir) -> None:
    broken = tmp_path / "kb"
    shutil.copytree(knowledge_dir, broken)
    (broken / "article.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    proc = citebot("ask", "--knowledge", str(broken), "开山岛")
    assert proc.returncode == 2 and "broken" in proc.stderr and "Traceback" not in proc.stderr


def test_run_without_token_fails_with_one_clear_line(tmp_path: Path) -> None:
    env = {k: "" for k in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN_FILE")}
    proc = citebot("run", env=env, cwd=tmp_path)
    assert proc.returncode != 0
    assert "TELEGRAM_BOT_TOKEN" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["--help"], ["ask", "--help"], ["eval", "--help"]])
def test_help(args: list[str]) -> None:
    assert citebot(*args).returncode == 0


def test_answers_do_not_depend_on_the_hash_seed() -> None:
    questions = "\n".join(
        [
            "自贸区有几个服务中心",
            "连云港有几个爱国基地",
            "党史",
            "What issue did the community address?",
            "12345热线去年的满意率",
            "開山島在文章裡被提到了嗎",
            "灌云县搞了个啥比赛",
        ]
    )
    runs = {
        citebot("ask", "--json", stdin=questions, env={"PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "4", "123")
    }
    assert len(runs) == 1
