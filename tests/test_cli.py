"""The `citebot` command line as scripts use it: exit codes, text and the JSON contract.

The commands run in-process (``bot.cli.main(argv)``, output captured by capsys), sharing
the session's loaded engine through ``main``'s ``engine`` seam, so they answer from the
real knowledge/ directory without reloading it per test. Only what needs a process runs
one: the console script entry point, ``python -m bot``, and hash-seed independence.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import cli

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    code: int
    out: str
    err: str


class Stdin(io.StringIO):
    """A stdin holding ``text``; ``tty`` says whether it claims to be a terminal. With
    ``interrupt``, reading past the end raises KeyboardInterrupt (Ctrl-C at the prompt)."""

    def __init__(self, text: str, *, tty: bool = False, interrupt: bool = False) -> None:
        super().__init__(text)
        self.tty = tty
        self.interrupt = interrupt

    def isatty(self) -> bool:
        return self.tty

    def readline(self, size: int | None = -1) -> str:
        line = super().readline(size)
        if not line and self.interrupt:
            raise KeyboardInterrupt
        return line


@pytest.fixture
def citebot(engine, capsys, monkeypatch):
    """``citebot(*args)`` runs the command line in-process and returns a :class:`Run`.
    ``stdin`` (and ``tty``) replace standard input; ``preloaded=False`` makes the command
    load the knowledge base itself (as the real command does)."""

    def run(
        *args: str,
        stdin: str | io.StringIO = "",
        tty: bool = False,
        preloaded: bool = True,
    ) -> Run:
        fake = stdin if isinstance(stdin, io.StringIO) else Stdin(stdin, tty=tty)
        monkeypatch.setattr(sys, "stdin", fake)
        try:
            code = cli.main(list(args), engine=engine if preloaded else None)
        except SystemExit as exc:  # argparse (--help, usage errors) and fatal errors
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def _json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


# ---------------------------------------------------------------------------- ask


def test_ask_prints_answer_then_citation(citebot, kb) -> None:
    run = citebot("ask", "连云港有多少个爱国主义教育基地?")
    assert run.code == 0, run.err
    answer, source, quote = run.out.strip().splitlines()
    assert "66" in answer
    assert kb.article.title in source and "段" in source
    assert quote.strip().strip("「」") in kb.article.raw_text
    assert run.err == ""


def test_each_argument_is_one_question(citebot) -> None:
    questions = ["连云港有多少个爱国主义教育基地?", "How many patriotic education bases are there?"]
    run = citebot("ask", "--json", *questions)
    assert run.code == 0, run.err
    objs = _json_lines(run.out)
    assert [o["question"] for o in objs] == questions
    assert [o["lang"] for o in objs] == ["zh", "en"]
    assert all(o["status"] == "answered" for o in objs)
    assert run.err == ""  # two real questions: no hint
    # as text: one answer per question, separated by a blank line
    text = citebot("ask", *questions)
    answers = text.out.rstrip("\n").split("\n\n")
    assert len(answers) == 2
    assert "66" in answers[0] and "66" in answers[1]


def test_english_words_are_separate_questions_with_a_hint(citebot) -> None:
    run = citebot("ask", "--json", "How", "many", "patriotic", "education", "bases?")
    assert [o["question"] for o in _json_lines(run.out)] == [
        "How",
        "many",
        "patriotic",
        "education",
        "bases?",
    ]
    (hint,) = run.err.splitlines()
    assert 'citebot ask "How many patriotic education bases?"' in hint
    quoted = citebot("ask", "--json", "How many patriotic education bases?")
    (obj,) = _json_lines(quoted.out)
    assert obj["status"] == "answered" and obj["lang"] == "en" and quoted.err == ""


CONTRACT_KEYS = [  # in the documented order
    "question",
    "status",
    "lang",
    "answer",
    "entry_id",
    "score",
    "citation",
    "suggestions",
    "smalltalk",
    "also",
]


def test_ask_json_batch_from_stdin_keeps_order_and_contract(citebot, kb) -> None:
    questions = [
        "连云港有多少个爱国主义教育基地?",
        "阿里巴巴的创始人是谁",
        "早上好",
        "How many patriotic education bases are there?",
        "党史",
        "開山島在文章裡被提到了嗎",
    ]
    run = citebot("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert run.code == 0, run.err
    objs = _json_lines(run.out)
    assert [o["question"] for o in objs] == questions
    for o in objs:
        assert list(o) == CONTRACT_KEYS
        assert o["status"] in {"answered", "ambiguous", "no_match"}
        assert o["lang"] in {"zh", "en"}
        assert isinstance(o["score"], float) and 0 <= o["score"] <= 100
        if o["status"] == "answered":
            assert isinstance(o["answer"], str) and o["answer"]
            cite = o["citation"]
            # the original keys, in order, then the keys added since (never renamed/removed)
            assert list(cite) == [
                *["article", "title", "section", "paragraph", "quote"],
                *["source_url", "byline"],
            ]
            assert cite["source_url"] is None  # the shipped article.yaml has no source_url
            assert cite["title"] == kb.article.title
            assert cite["quote"] in kb.article.paragraph(cite["paragraph"]).text
            assert cite["quote"] in kb.article.raw_text
            assert kb.entry(o["entry_id"]) is not None
        else:
            assert o["answer"] is None and o["entry_id"] is None and o["citation"] is None
        for s in o["suggestions"]:
            assert list(s) == ["entry_id", "question", "score"] and kb.entry(s["entry_id"])
        assert o["also"] == []
    assert objs[0]["status"] == "answered" and objs[1]["status"] != "answered"
    assert objs[2]["smalltalk"] == "greeting"
    assert objs[3]["lang"] == "en" and objs[5]["status"] == "answered"
    assert objs[4]["status"] == "ambiguous" and objs[4]["suggestions"]


def test_ask_json_key_order_is_the_documented_one(citebot) -> None:
    (line,) = citebot("ask", "--json", "连云港有多少个爱国主义教育基地?").out.splitlines()
    assert line.startswith('{"question": "连云港有多少个爱国主义教育基地?", "status": "answered", ')
    assert '"suggestions": [], "smalltalk": null, "also": []}' in line


def test_ask_json_gives_a_second_answer_for_a_second_question(citebot, kb) -> None:
    run = citebot("ask", "--json", "连云港有多少个爱国主义教育基地？12345热线的满意率是多少？")
    (obj,) = _json_lines(run.out)
    assert obj["status"] == "answered"
    (second,) = obj["also"]
    assert list(second) == ["entry_id", "answer", "citation"]
    assert second["entry_id"] != obj["entry_id"] and "%" in second["answer"]
    assert second["citation"]["quote"] in kb.article.raw_text
    text = citebot("ask", "连云港有多少个爱国主义教育基地？12345热线的满意率是多少？").out
    assert obj["citation"]["quote"] in text and second["citation"]["quote"] in text


def test_dash_reads_stdin_where_it_stands(citebot) -> None:
    run = citebot("ask", "--json", "开山岛", "-", "党史", stdin="早上好\n\n谢谢\n")
    assert [o["question"] for o in _json_lines(run.out)] == ["开山岛", "早上好", "谢谢", "党史"]


def test_ask_without_questions_reads_piped_stdin(citebot) -> None:
    lines = ["连云港有多少个爱国主义教育基地?", "星化社区中央厨房面积", "连云港的人口"] * 334
    run = citebot("ask", "--json", stdin="\n".join(lines[:1000]))
    assert run.code == 0, run.err
    assert len(run.out.splitlines()) == 1000
    # as text, answers are separated by blank lines (no trailing one), with no prompt
    text = citebot("ask", stdin="连云港的人口\n早上好\n")
    assert text.out.endswith("\n") and not text.out.endswith("\n\n")
    assert len(text.out.rstrip("\n").split("\n\n")) == 2
    assert cli.PROMPT not in text.out + text.err


def test_ask_at_a_terminal_prompts_until_an_empty_line(citebot) -> None:
    run = citebot("ask", stdin="连云港有多少个爱国主义教育基地?\n你好\n\n党史\n", tty=True)
    assert run.code == 0, run.err
    assert run.err.count(cli.PROMPT) == 3  # answers go to stdout, prompts to stderr
    # two answers (the empty line ended the questions), each followed by a blank line
    assert run.out.endswith("\n\n")
    answer, greeting = run.out.rstrip("\n").split("\n\n")
    assert "66" in answer and greeting.startswith("你好")


def test_ask_at_a_terminal_ends_on_eof_and_json_works(citebot) -> None:
    run = citebot("ask", "--json", stdin="开山岛\n", tty=True)
    assert run.code == 0, run.err
    (obj,) = _json_lines(run.out)
    assert obj["question"] == "开山岛"
    assert run.err.count(cli.PROMPT) == 2 and run.err.endswith("\n")


def test_ask_at_a_terminal_prompts_on_stdout_when_it_is_a_terminal(citebot, monkeypatch) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    run = citebot("ask", stdin="开山岛\n", tty=True)
    assert run.out.startswith(cli.PROMPT) and run.code == 0


def test_ctrl_c_at_the_prompt_exits_quietly(citebot) -> None:
    run = citebot("ask", stdin=Stdin("开山岛\n", tty=True, interrupt=True))
    assert run.code == 130
    assert "Traceback" not in run.err and "KeyboardInterrupt" not in run.err
    assert run.out.strip()  # the answer given before Ctrl-C stays


def test_greeting_and_did_you_mean_use_the_shared_texts(citebot) -> None:
    from bot.answer_view import reader_text

    assert citebot("ask", "你好").out == reader_text("greeting", "zh") + "\n"
    assert citebot("ask", "thanks!").out == reader_text("thanks", "en") + "\n"
    choose = citebot("ask", "党史").out.splitlines()
    assert choose[0] == reader_text("did_you_mean", "zh")
    assert len(choose) >= 2 and all(line.startswith("  1. ") for line in choose[1:2])


def test_broken_knowledge_stops_ask_with_exit_2(citebot, tmp_path: Path, knowledge_dir) -> None:
    broken = tmp_path / "kb"
    shutil.copytree(knowledge_dir, broken)
    (broken / "article.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    run = citebot("ask", "--knowledge", str(broken), "开山岛", preloaded=False)
    assert run.code == 2 and "broken" in run.err and "Traceback" not in run.err


# ---------------------------------------------------------------------------- check


def test_check_passes_on_the_shipped_base(citebot, knowledge_dir) -> None:
    run = citebot("check", str(knowledge_dir), preloaded=False)
    assert run.code == 0, run.out + run.err
    assert run.out.startswith("ok:")


def test_check_fails_with_precise_messages_on_a_broken_copy(
    citebot, tmp_path: Path, knowledge_dir
) -> None:
    broken = tmp_path / "kb"
    shutil.copytree(knowledge_dir, broken)
    qa = sorted((broken / "qa").glob("*.yaml"))[0]
    text = qa.read_text(encoding="utf-8")
    qa.write_text(
        text.replace("    cite:\n      paragraph:", "    cite:\n      paragraf:", 1),
        encoding="utf-8",
    )
    run = citebot("check", str(broken), preloaded=False)
    assert run.code == 1
    assert f"{qa.relative_to(broken).as_posix()}:" in run.out
    assert "paragraf" in run.out


# ---------------------------------------------------------------------------- eval


def test_eval_scores_a_question_file(citebot, tmp_path: Path) -> None:
    cases = tmp_path / "q.yaml"
    cases.write_text(
        '- {q: "连云港有多少个爱国主义教育基地?", expect: [["66"]], cat: simplified}\n'
        '- {q: "连云港的人口有多少", none: true, cat: near-miss}\n',
        encoding="utf-8",
    )
    run = citebot("eval", str(cases), "--quiet")
    assert run.code == 0, run.err
    assert f"== {cases}" in run.out
    assert "answerable answered correctly: 1/1" in run.out
    assert "unanswerable refused:          1/1" in run.out
    assert citebot("eval", str(cases), "--quiet", "--min-answered", "100.1").code == 1


@pytest.fixture
def no_engine_load(monkeypatch):
    """Fail the test if a command loads the knowledge base."""

    def refuse(*args, **kwargs):
        raise AssertionError("the knowledge base should not be loaded")

    monkeypatch.setattr("bot.engine.Engine", refuse)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read eval file 'MISSING': no such file"),
        ('- {q: "a", expect: [["x"]]}\n- {q: "b"\n', "FILE:3: YAML syntax error"),
        ('- {q: "a", expect: [["x"]]}\n- {q: 3, expect: [["x"]]}\n', "FILE:2: item 2 needs"),
        ('- {q: "a", expect: ["66"]}\n', "FILE:1: item 1 ('a'): 'expect' must be a list of"),
        ("q: a\n", "FILE:1: expected a YAML list"),
        ("", "FILE: expected a YAML list"),
        (b'- {q: "\xff"}\n', "FILE:1: file is not valid UTF-8"),
    ],
)
def test_eval_on_a_bad_file_prints_one_line_and_exits_2(
    citebot, tmp_path: Path, no_engine_load, content: str | bytes | None, expected: str
) -> None:
    path = tmp_path / "q.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text('- {q: "开山岛", expect: [["开山岛"]]}\n', encoding="utf-8")
    # checked before anything is evaluated, and before the knowledge base is loaded
    run = citebot("eval", str(good), str(path), preloaded=False)
    assert run.code == 2
    (line,) = run.err.splitlines()
    assert line.startswith("citebot: ")
    assert expected.replace("MISSING", str(path)).replace("FILE", str(path)) in line
    assert run.out == ""


def test_eval_on_a_directory_exits_2(citebot, tmp_path: Path, no_engine_load) -> None:
    run = citebot("eval", str(tmp_path), preloaded=False)
    assert run.code == 2
    assert run.err == f"citebot: cannot read eval file {str(tmp_path)!r}: it is a directory\n"


# ---------------------------------------------------------------------------- run, help


def test_run_without_token_fails_with_one_clear_line(citebot, monkeypatch, tmp_path) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN_FILE"):
        monkeypatch.setenv(name, "")
    monkeypatch.chdir(tmp_path)
    run = citebot("run", preloaded=False)
    assert run.code != 0
    assert "TELEGRAM_BOT_TOKEN" in run.err and "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["--help"], ["ask", "--help"], ["eval", "--help"]])
def test_help(citebot, args: list[str]) -> None:
    run = citebot(*args)
    assert run.code == 0 and "usage: citebot" in run.out


def test_usage_error_exits_2(citebot) -> None:
    run = citebot("eval")
    assert run.code == 2 and "usage:" in run.err


# ---------------------------------------------------------------------------- processes


def _console_script() -> str:
    beside = Path(sys.executable).with_name("citebot")
    found = str(beside) if beside.exists() else shutil.which("citebot")
    if not found:
        pytest.skip("the citebot console script is not installed (pip install -e .)")
    return found


def _process(cmd: list[str], stdin: str = "", env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        cmd,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_answers_do_not_depend_on_the_hash_seed() -> None:
    """Separate processes (so separate hash seeds) through the console script entry point
    give byte-identical answers, each argument being one question."""
    questions = [
        "自贸区有几个服务中心",
        "连云港有几个爱国基地",
        "党史",
        "What issue did the community address?",
        "12345热线去年的满意率",
        "開山島在文章裡被提到了嗎",
    ]
    script = _console_script()
    runs = {
        _process(
            [script, "ask", "--json", *questions, "-"],
            stdin="灌云县搞了个啥比赛\n",
            env={"PYTHONHASHSEED": seed},
        )
        for seed in ("1", "4", "123")
    }
    assert len(runs) == 1
    (out,) = runs
    assert len(out.splitlines()) == len(questions) + 1


def test_python_dash_m_bot_is_the_command() -> None:
    assert "usage: citebot" in _process([sys.executable, "-m", "bot", "--help"])


def test_polling_keeps_the_webhook_server_out_only_while_importing() -> None:
    import sys

    from bot.cli import _not_importable

    name = "citebot_test_not_installed_module"
    with _not_importable(name), pytest.raises(ImportError):
        __import__(name)
    assert name not in sys.modules  # importable (or not) as before afterwards
    with _not_importable("json"):
        import json  # already imported: untouched

        assert json.dumps([]) == "[]"
