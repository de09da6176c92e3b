"""Knowledge input is bounded: what the loader reads, how much, how many problems it
reports, and how long a reload may take.

- Only regular files inside the knowledge directory are read: a FIFO, a device, a socket
  or a symbolic link leading out of the directory is a problem, and is never opened (a FIFO
  would block the reader forever). Links that stay inside are followed.
- 1 MiB and 100,000 YAML values per file; 8 MiB and 400,000 values in all.
- The first 100 problems are kept, the rest only counted ("... and N more problems").
- A reload past its time limit is abandoned: the old base keeps serving, the next reload
  works, and a stop never waits for it.

Waits are for events with a ceiling of ``WAIT`` (30 s); the only timers are the short
time limits the tests set on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import shutil
import signal
import socket
import stat
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from e2e_support import ADMIN_ID, add_variant, copy_knowledge, plain, run_bot
from fake_bot_api import WAIT, FakeBotApi
from test_knowledge import GOOD, SOURCE, entry_yaml, small_knowledge

from bot import safe_yaml
from bot.engine import Deadline, Engine, ReloadAbandoned
from bot.knowledge import (
    MAX_PROBLEMS,
    MAX_TOTAL_BYTES,
    MAX_TOTAL_VALUES,
    KnowledgeError,
    Problem,
    load_knowledge,
)
from bot.matcher import Matcher
from bot.telegram import admin, render

OUTSIDE = (
    "is a symbolic link leading outside the knowledge directory; only files inside it are read"
)
FIFO = "is a FIFO (named pipe), not a regular file; only regular files are read"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file types")


@pytest.fixture
def kdir(tmp_path: Path) -> Path:
    """A copy of the real article and raw page, with one valid Q&A file."""
    return small_knowledge(tmp_path, GOOD)


def load_promptly(directory: Path, **options) -> list[Problem]:
    """``load_knowledge`` in a daemon thread: its problems, or a failure (not a hung test
    suite) if it does not return within ``WAIT`` seconds."""
    outcome: dict[str, object] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["kb"] = load_knowledge(directory, **options)
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=work, name="test-load", daemon=True).start()
    if not finished.wait(WAIT):
        _unblock_fifos(directory)  # let a reader stuck in open() go
        pytest.fail(f"load_knowledge({directory}) did not return within {WAIT} s")
    error = outcome.get("error")
    if error is None:
        pytest.fail("expected problems, but the base loaded")
    if not isinstance(error, KnowledgeError):
        raise error  # type: ignore[misc]
    return error.problems


def _unblock_fifos(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_fifo():
            with contextlib.suppress(OSError):
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


# --------------------------------------------------------------------------- file types


@posix_only
@pytest.mark.parametrize(
    "rel",
    ["article.yaml", "qa/b.yaml", SOURCE, "synonyms.txt", "examples.yaml"],
)
def test_a_fifo_is_a_problem_and_is_never_opened(kdir: Path, rel: str) -> None:
    path = kdir / rel
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    assert load_promptly(kdir) == [Problem(rel, None, None, FIFO)]


@posix_only
def test_a_socket_and_a_directory_are_problems(kdir: Path) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(kdir / "qa" / "s.yaml"))
    except OSError as exc:  # e.g. a path longer than sun_path
        pytest.skip(f"cannot make a socket here: {exc}")
    try:
        (kdir / "qa" / "d.yaml").mkdir()
        assert load_promptly(kdir) == [
            Problem("qa/d.yaml", None, None, "cannot read file: Is a directory"),
            Problem(
                "qa/s.yaml",
                None,
                None,
                "is a socket, not a regular file; only regular files are read",
            ),
        ]
    finally:
        sock.close()


@posix_only
def test_a_device_is_a_problem(kdir: Path) -> None:
    try:
        os.mknod(kdir / "qa" / "null.yaml", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except (PermissionError, AttributeError) as exc:
        pytest.skip(f"cannot make a device node: {exc}")
    assert load_promptly(kdir) == [
        Problem(
            "qa/null.yaml",
            None,
            None,
            "is a character device, not a regular file; only regular files are read",
        )
    ]


# --------------------------------------------------------------------------- symbolic links


@posix_only
def test_links_leading_outside_are_problems_and_never_read(kdir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(kdir / "article.yaml", outside / "article.yaml")  # valid: refused for where
    (kdir / "article.yaml").unlink()
    (kdir / "article.yaml").symlink_to(outside / "article.yaml")
    (outside / "b.yaml").write_text("entries:\n" + entry_yaml("b-entry"), encoding="utf-8")
    (kdir / "qa" / "b.yaml").symlink_to(outside / "b.yaml")  # absolute
    (kdir / "qa" / "c.yaml").symlink_to(Path("..", "..", "outside", "b.yaml"))  # relative
    assert load_promptly(kdir) == [
        Problem("article.yaml", None, None, OUTSIDE),
        Problem("qa/b.yaml", None, None, OUTSIDE),
        Problem("qa/c.yaml", None, None, OUTSIDE),
    ]


@posix_only
def test_a_link_to_a_system_file_is_refused(kdir: Path) -> None:
    if not Path("/etc/passwd").is_file():
        pytest.skip("no /etc/passwd")
    (kdir / "qa" / "passwd.yaml").symlink_to("/etc/passwd")
    assert load_promptly(kdir) == [Problem("qa/passwd.yaml", None, None, OUTSIDE)]


@posix_only
def test_linked_directories_leading_outside(kdir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(kdir / "source", elsewhere)
    (kdir / "source").symlink_to(elsewhere)
    assert load_promptly(kdir) == [Problem(SOURCE, None, None, OUTSIDE)]

    (kdir / "source").unlink()
    shutil.move(elsewhere, kdir / "source")
    shutil.move(kdir / "qa", elsewhere)
    (kdir / "qa").symlink_to(elsewhere)
    assert load_promptly(kdir) == [
        Problem(
            "qa", None, None, "is a symbolic link leading outside the knowledge directory; not read"
        )
    ]


@posix_only
def test_links_inside_the_directory_are_followed(kdir: Path) -> None:
    shared = kdir / "shared"
    shared.mkdir()
    (shared / "b.yaml").write_text("entries:\n" + entry_yaml("b-entry"), encoding="utf-8")
    (kdir / "qa" / "b.yaml").symlink_to(Path("..", "shared", "b.yaml"))
    (kdir / "qa" / "c.yaml").symlink_to(kdir / "shared" / "c-target.yaml")  # absolute, inside
    other = entry_yaml("c-entry", zh="另一个问题?", en="Another question?")
    (shared / "c-target.yaml").write_text("entries:\n" + other, encoding="utf-8")
    (kdir / "raw").symlink_to("source")  # a linked directory inside
    text = (kdir / "article.yaml").read_text(encoding="utf-8")
    (kdir / "article.yaml").write_text(
        text.replace(f"source: {SOURCE}", f"source: raw/{Path(SOURCE).name}"), encoding="utf-8"
    )
    assert f"raw/{Path(SOURCE).name}" in (kdir / "article.yaml").read_text(encoding="utf-8")
    kb = load_knowledge(kdir)
    assert [e.id for e in kb.entries] == [
        "patriotic-bases",
        "migrant-workers",
        "b-entry",
        "c-entry",
    ]
    assert kb.entry("b-entry").source_file == "qa/b.yaml"  # named by the link, not the target


@posix_only
def test_broken_and_looping_links(kdir: Path) -> None:
    (kdir / "qa" / "b.yaml").symlink_to("missing.yaml")
    (kdir / "qa" / "c.yaml").symlink_to("c.yaml")
    found = load_promptly(kdir)
    assert found[0] == Problem(
        "qa/b.yaml", None, None, "is a symbolic link to a file that does not exist"
    )
    assert (found[1].file, found[1].line) == ("qa/c.yaml", None)
    assert found[1].message.startswith("cannot resolve the path: ")
    assert len(found) == 2


def test_open_regular_checks_the_opened_file(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: 1\n")
    with safe_yaml.open_regular(path, tmp_path) as (fh, size):
        assert (fh.read(), size) == (b"a: 1\n", 5)
    assert safe_yaml.read_capped(path, 5) == b"a: 1\n"
    with pytest.raises(safe_yaml.YamlError, match="larger than the limit of 4 bytes"):
        safe_yaml.read_capped(path, 4)
    with pytest.raises(FileNotFoundError):
        safe_yaml.read_capped(tmp_path / "missing.yaml")


# --------------------------------------------------------------------------- sizes


def test_total_size_cap_stops_reading(kdir: Path) -> None:
    """Past the total, one problem with the sizes, and no file after it is read: the
    syntax error in qa/b.yaml and the FIFO-free synonyms file are never looked at."""
    (kdir / "qa" / "b.yaml").write_text("entries: [broken\n", encoding="utf-8")
    (kdir / "synonyms.txt").write_text("bad line with four words\n", encoding="utf-8")
    before = (kdir / "article.yaml").stat().st_size + (kdir / SOURCE).stat().st_size
    a_size = (kdir / "qa" / "a.yaml").stat().st_size
    assert load_promptly(kdir, max_total_bytes=before + a_size - 1) == [
        Problem(
            "qa/a.yaml",
            None,
            None,
            f"the knowledge files together exceed the limit of {before + a_size - 1} bytes: "
            f"{before} bytes read before this file of {a_size} bytes; "
            "neither it nor any file after it is read",
        )
    ]


def test_default_total_size_cap_is_8_mib(kdir: Path) -> None:
    assert MAX_TOTAL_BYTES == 8 * 1024 * 1024
    assert safe_yaml.DEFAULT_MAX_BYTES == 1024 * 1024  # per file
    filler = "# " + "x" * 97 + "\n"  # 100 bytes a line: YAML with nothing in it
    for i in range(10):
        (kdir / "qa" / f"big{i}.yaml").write_text(filler * 10_000, encoding="utf-8")  # 1 MB
    found = load_promptly(kdir)
    assert [p.message for p in found[:-1]] == [
        "file is empty (expected 'entries:' and a list of entries)"
    ] * (len(found) - 1)
    last = found[-1]
    assert last.message.startswith(f"the knowledge files together exceed the limit of {8 << 20}")
    read = (kdir / "article.yaml").stat().st_size + (kdir / SOURCE).stat().st_size
    read += (kdir / "qa" / "a.yaml").stat().st_size + 1_000_000 * (len(found) - 1)
    assert f"{read} bytes read before this file of 1000000 bytes" in last.message
    assert read <= 8 << 20 < read + 1_000_000
    assert last.file == f"qa/big{len(found) - 1}.yaml"


def test_a_megabyte_of_tiny_values_is_refused_cheaply(kdir: Path) -> None:
    """1 MiB of ``- {}`` is 210,000 values: refused at the 100,001st, parsing at most
    ~20 MB (PyYAML's node graph for it took 113 MB, and validating it 327 MB)."""
    text = "entries:\n" + "- {}\n" * ((safe_yaml.DEFAULT_MAX_BYTES - 9) // 5)
    (kdir / "qa" / "b.yaml").write_text(text, encoding="utf-8")
    assert load_promptly(kdir) == [
        Problem("qa/b.yaml", 99_999, None, "more than 100000 YAML values in one file (the limit)")
    ]
    tracemalloc.start()
    try:
        with pytest.raises(safe_yaml.TooManyValues):
            safe_yaml.parse(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20, f"parsing a capped file took {peak / 2**20:.0f} MiB"


def test_total_values_cap_stops_reading(kdir: Path) -> None:
    assert MAX_TOTAL_VALUES == 400_000
    flat = "- x\n" * 90_000  # one problem per file: a list where a mapping belongs
    for name in ("b", "c", "d", "e", "f"):
        (kdir / "qa" / f"{name}.yaml").write_text(flat, encoding="utf-8")
    (kdir / "qa" / "g.yaml").write_text("entries: [broken\n", encoding="utf-8")
    found = load_promptly(kdir)
    assert [p.file for p in found] == [
        "qa/b.yaml",
        "qa/c.yaml",
        "qa/d.yaml",
        "qa/e.yaml",
        "qa/f.yaml",
    ]
    assert found[0].message == "a Q&A file must be a mapping, got a list"
    assert found[-1].message == (
        "the knowledge files together hold more than 400000 YAML values (the limit), "
        "counting this one; no file after it is read"
    )


# --------------------------------------------------------------------------- problems


def test_problems_are_capped_and_counted(kdir: Path, capsys) -> None:
    (kdir / "qa" / "b.yaml").write_text("entries:\n" + "- {}\n" * 60, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kdir)
    error = info.value
    assert MAX_PROBLEMS == 100
    assert (len(error.problems), error.total, error.omitted) == (100, 240, 140)
    assert error.problems[0] == Problem("qa/b.yaml", 2, None, "missing field 'id'")
    assert error.lines()[-1] == "... and 140 more problems"
    assert str(error).splitlines() == error.lines()
    again = pickle.loads(pickle.dumps(error))
    assert (again.problems, again.total) == (error.problems, 240)
    assert KnowledgeError(error.problems[:3]).lines() == [str(p) for p in error.problems[:3]]

    from bot import cli

    assert cli.main(["check", str(kdir)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == error.lines()
    assert err == f"240 problem(s) in {kdir}\n"


def test_the_admin_is_told_how_many_problems_there_are_in_all() -> None:
    problems = [Problem("qa/b.yaml", n, None, "missing field 'id'") for n in range(1, 240)]
    blocks = admin.reload_problems_blocks(KnowledgeError(problems), "abc", "en")
    text = "\n".join(render.to_messages(blocks))
    assert "239 problem(s) found" in text
    assert "… and 209 more" in text


# --------------------------------------------------------------------------- reload time limit


class Gate:
    """A ranker factory: the real matcher, but once ``armed`` it blocks in the reload's
    indexing step (a step that does not look at the deadline) until ``release``."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self.left = threading.Event()

    def __call__(self, kb, config):
        if self.armed:
            self.entered.set()
            assert self.release.wait(WAIT), "never released"
            self.left.set()
        return Matcher(kb, config)


def run_in_thread(fn, *args) -> tuple[threading.Thread, dict[str, object]]:
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["result"] = fn(*args)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, outcome


def test_a_late_reload_gives_up_and_the_next_one_works(kdir: Path) -> None:
    gate = Gate()
    engine = Engine(kdir, ranker=gate)
    kb0 = engine.kb
    (kdir / "qa" / "b.yaml").write_text("entries:\n" + entry_yaml("b-entry"), encoding="utf-8")
    gate.armed = True
    deadline = Deadline(30)
    thread, outcome = run_in_thread(engine.reload, deadline)
    assert gate.entered.wait(WAIT)
    deadline.at = time.monotonic() - 1  # the indexing step overran the time limit
    gate.release.set()
    thread.join(WAIT)
    error = outcome["error"]
    assert isinstance(error, ReloadAbandoned) and error.reason == "timeout"
    assert engine.kb is kb0  # the old base keeps serving
    gate.armed = False
    summary = engine.reload()  # the lock was released: the next reload works
    assert summary.added == ("b-entry",)
    assert engine.kb.entry("b-entry") is not None


def test_the_deadline_is_checked_between_stored_questions(kdir: Path) -> None:
    deadline = Deadline(30)
    asked: list[str] = []

    class LateMatcher(Matcher):
        def rank(self, query):
            asked.append(query.question)
            deadline.at = time.monotonic() - 1  # the first question took too long
            return super().rank(query)

    engine = Engine(kdir)
    kb0 = engine.kb
    engine.ranker_factory = LateMatcher
    (kdir / "qa" / "b.yaml").write_text("entries:\n" + entry_yaml("b-entry"), encoding="utf-8")
    with pytest.raises(ReloadAbandoned) as info:
        engine.reload(deadline)
    assert info.value.reason == "timeout"
    assert len(asked) == 1 and engine.kb is kb0


def test_a_reload_waits_for_a_running_one_only_within_its_time_limit(kdir: Path) -> None:
    gate = Gate()
    engine = Engine(kdir, ranker=gate)
    (kdir / "qa" / "b.yaml").write_text("entries:\n" + entry_yaml("b-entry"), encoding="utf-8")
    gate.armed = True
    first, outcome = run_in_thread(engine.reload)  # the default limit: 30 s
    assert gate.entered.wait(WAIT)
    with pytest.raises(ReloadAbandoned) as info:
        engine.reload(Deadline(0.2))
    assert (info.value.reason, info.value.seconds) == ("busy", 0.2)
    gate.release.set()
    first.join(WAIT)
    assert outcome["result"].added == ("b-entry",)  # the first one was not disturbed


def test_a_deadline_either_swaps_or_is_abandoned() -> None:
    swapped = Deadline(30)
    with swapped.last_step():
        pass
    assert swapped.abandon() is False  # too late: the new base stands
    given_up = Deadline(30)
    assert given_up.abandon("stopping") is True
    with pytest.raises(ReloadAbandoned) as info, given_up.last_step():
        pytest.fail("the swap must not run")
    assert info.value.reason == "stopping"
    with pytest.raises(ReloadAbandoned, match="timeout"):
        Deadline(0).check()


def test_abandoned_reload_texts() -> None:
    for reason, zh, en in (
        ("timeout", "超过了 30 秒的时限", "ran past its time limit of 30 s"),
        ("busy", "上一次重新加载在 30 秒内仍未结束", "a previous reload was still running"),
        ("stopping", "机器人正在停止", "the bot is stopping"),
    ):
        error = ReloadAbandoned(reason, 30.0)
        assert zh in admin.reload_abandoned_html(error, "abc123", "zh")
        assert en in admin.reload_abandoned_html(error, "abc123", "en")


async def _reload(bot, **kw):
    upd, ack = await bot.private("/reload", user_id=ADMIN_ID, **kw)
    return await bot.reply_to(upd, since=ack.index + 1)


async def test_reload_past_its_time_limit_over_telegram(tmp_path):
    """/reload stuck in a slow step: the admin is told it was abandoned and the old base
    keeps serving; once the step ends, the reload gives up (no swap) and the next works."""
    knowledge = copy_knowledge(tmp_path)
    async with run_bot(tmp_path, knowledge_dir=knowledge) as bot:
        gate = Gate()
        engine = bot.engine
        engine.ranker_factory = gate
        kb0 = engine.kb
        entry = engine.ask("连云港有多少个爱国主义教育基地?").entry
        add_variant(knowledge, entry, "港城一共建了几处爱国主义教育基地呀")
        gate.armed = True
        engine.reload_time_limit = 0.5
        text = plain(await _reload(bot))
        assert "重新加载已放弃" in text and "0.5 秒" in text and kb0.version in text
        assert engine.kb is kb0
        text = plain(await _reload(bot, language_code="en"))  # the first still holds the lock
        assert "Reload not done" in text and "still running" in text

        gate.armed = False
        gate.release.set()  # the stuck step ends; the reload then sees it is abandoned
        engine.reload_time_limit = 30.0
        text = plain(await _reload(bot))
        assert "知识库已重新加载" in text and entry.id in text
        assert engine.kb.version != kb0.version


async def test_a_stop_abandons_a_running_reload(tmp_path):
    """The application stops (as on SIGTERM) while /reload is stuck: the stop does not wait
    for the reload, whose admin is told, and the reload never swaps."""
    knowledge = copy_knowledge(tmp_path)
    async with run_bot(tmp_path, knowledge_dir=knowledge) as bot:
        gate = Gate()
        engine = bot.engine
        engine.ranker_factory = gate
        kb0 = engine.kb
        gate.armed = True
        upd, ack = await bot.private("/reload", user_id=ADMIN_ID, language_code="en")
        assert await asyncio.to_thread(gate.entered.wait, WAIT)
        started = time.monotonic()
        await asyncio.wait_for(bot.app.stop(), 10)  # waits for in-flight handlers
        assert time.monotonic() - started < 10
        reply = await bot.reply_to(upd, since=ack.index + 1)
        assert "the bot is stopping" in plain(reply)
        gate.release.set()
        assert await asyncio.to_thread(gate.left.wait, WAIT)
        assert engine.kb is kb0


# --------------------------------------------------------------------------- a real process

SLOW_BOT = """
import os, sys, threading
import bot.engine as engine
engine.RELOAD_TIME_LIMIT = float(os.environ["TEST_RELOAD_LIMIT"])
build = engine.Engine._build
def slow_build(self, kb):
    if os.path.exists(os.environ["TEST_SLOW_FLAG"]):
        threading.Event().wait()  # stuck for good, deaf to the deadline
    return build(self, kb)
engine.Engine._build = slow_build
from bot.cli import main
sys.exit(main(["run"]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_sigterm_stops_within_10_s_whatever_a_reload_does(tmp_path):
    """A reload stuck for good: SIGHUP reports it abandoned after its limit, the next one
    that it is still running; SIGTERM during a third one stops the bot within 10 s."""
    from test_e2e_process import Stderr, _wait_polling, bot_env

    knowledge = copy_knowledge(tmp_path)
    flag = tmp_path / "slow"
    async with FakeBotApi() as api:
        env = bot_env(tmp_path, api, knowledge, TEST_RELOAD_LIMIT="2.5", TEST_SLOW_FLAG=str(flag))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SLOW_BOT,
            cwd=tmp_path,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stderr = Stderr(proc)
        try:
            await _wait_polling(api, stderr)
            flag.touch()
            proc.send_signal(signal.SIGHUP)
            await stderr.wait_line("SIGHUP reload abandoned (timeout; time limit 2.5 s)")
            proc.send_signal(signal.SIGHUP)
            await stderr.wait_line("SIGHUP reload abandoned (busy; time limit 2.5 s)")
            proc.send_signal(signal.SIGHUP)
            while True:  # the third reload has started (and waits for the stuck one)
                changed = stderr._changed
                if stderr.text.count("SIGHUP: reloading") >= 3:
                    break
                assert not stderr.closed, stderr.text
                await asyncio.wait_for(changed.wait(), WAIT)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 10)
            stopped_in = time.monotonic() - started
        finally:
            if proc.returncode is None:
                proc.kill()
        code, _, err = await stderr.finish()
    assert code == 0, err
    assert stopped_in < 10
    assert "SIGHUP reload abandoned (stopping" in err
    assert "Traceback" not in err
