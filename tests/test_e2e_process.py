"""`citebot run` as a real process (``python -m bot run``), as systemd or Docker start it:
start-up failures are one clear line and a non-zero exit, never a traceback; a healthy
bot answers over the fake Bot API server, reloads on SIGHUP and stops cleanly on SIGTERM.

Waits are for events (a request reaching the fake server, a line on the bot's stderr, the
process exiting) with a ceiling of ``WAIT`` (30 s): a reload alone costs seconds of CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from pathlib import Path

import httpx
import pytest
from e2e_support import ADMIN_ID, READER_ID, ROOT, add_variant, copy_knowledge, plain
from fake_bot_api import DEFAULT_TOKEN, WAIT, FakeBotApi, deliver_headers
from test_webhook import free_port

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

BASES_ZH = "连云港有多少个爱国主义教育基地?"
NEW_VARIANT = "银河铁道的暗号是什么"  # nonsense: unanswerable until an editor adds it


def bot_env(tmp_path: Path, api: FakeBotApi, knowledge: Path, **values: str) -> dict[str, str]:
    """What ``citebot run`` sees for a healthy bot over ``knowledge``, pointed at ``api``."""
    return clean_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        CITEBOT_KNOWLEDGE_DIR=str(knowledge),
        **values,
    )


def clean_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "CITEBOT_", "PYTEST", "COV_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env["CITEBOT_DATA_DIR"] = str(tmp_path / "data")
    env.update(values)
    return env


async def spawn(tmp_path: Path, env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        *args,
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(proc: asyncio.subprocess.Process, timeout: float = WAIT) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


class Stderr:
    """Reads a running bot's stderr as it comes (so the pipe never fills up), so that a test
    can wait for a log line; ``finish`` then collects the exit code and all the output."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.data = b""
        self.closed = False
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @property
    def text(self) -> str:
        return self.data.decode(errors="replace")

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        while chunk := await self.proc.stderr.read(65536):
            self.data += chunk
            self._changed.set()
            self._changed = asyncio.Event()
        self.closed = True
        self._changed.set()

    async def wait_line(self, *needles: str, timeout: float = WAIT) -> str:
        """The first of ``needles`` to appear on stderr (fails if the process exits first)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [n for n in needles if n in self.text]
            if found:
                return found[0]
            left = deadline - loop.time()
            assert not self.closed, f"the bot exited before logging {needles}: {self.text}"
            assert left > 0, f"the bot did not log {needles} within {timeout}s: {self.text}"
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), left)

    async def finish(self, timeout: float = WAIT) -> tuple[int, str, str]:
        assert self.proc.stdout is not None
        out = await asyncio.wait_for(self.proc.stdout.read(), timeout)
        await asyncio.wait_for(self.proc.wait(), timeout)
        await asyncio.wait_for(self._reader, timeout)
        assert self.proc.returncode is not None
        return self.proc.returncode, out.decode(), self.text


def assert_one_line_failure(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2, (code, out, err)
    assert "Traceback" not in err + out
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("citebot: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


async def test_missing_token(tmp_path):
    code, out, err = await finish(await spawn(tmp_path, clean_env(tmp_path)))
    assert_one_line_failure(code, out, err, "TELEGRAM_BOT_TOKEN")


async def test_unreadable_token_file(tmp_path):
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN_FILE=str(tmp_path / "missing"))
    code, out, err = await finish(await spawn(tmp_path, env))
    assert_one_line_failure(code, out, err, "TELEGRAM_BOT_TOKEN_FILE")


async def test_broken_knowledge_base(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    qa = sorted((knowledge / "qa").glob("*.yaml"))[0]
    qa.write_text(qa.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")
    env = clean_env(
        tmp_path, TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN, CITEBOT_KNOWLEDGE_DIR=str(knowledge)
    )
    code, out, err = await finish(await spawn(tmp_path, env))
    assert_one_line_failure(code, out, err, "knowledge", f"qa/{qa.name}")
    assert DEFAULT_TOKEN.split(":")[1] not in err


async def test_webhook_needs_its_settings(tmp_path):
    env = clean_env(tmp_path, TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN)
    code, out, err = await finish(await spawn(tmp_path, env, "--webhook"))
    assert_one_line_failure(code, out, err, "CITEBOT_WEBHOOK_URL")


async def test_token_rejected_by_telegram(tmp_path):
    async with FakeBotApi("43:OtherTokenOtherTokenOtherToken_123") as api:
        env = clean_env(
            tmp_path, TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN, TELEGRAM_API_BASE_URL=api.base_url
        )
        code, _, err = await finish(await spawn(tmp_path, env))
        assert api.requests and not api.requests[0].token_ok
    assert code == 2, err
    assert "Traceback" not in err
    assert "citebot: Telegram rejected the bot token" in err
    assert DEFAULT_TOKEN.split(":")[1] not in err


async def _wait_polling(api: FakeBotApi, stderr: Stderr) -> None:
    """Wait until the bot's first getUpdates reaches the server; fail early if it exits."""
    polling = asyncio.ensure_future(
        api.wait_until(lambda: api.received_count.get("getupdates"), "the bot never polled")
    )
    exited = asyncio.ensure_future(stderr.proc.wait())
    done, _ = await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
    if polling not in done:
        polling.cancel()
        code, _, err = await stderr.finish()
        raise AssertionError(f"the bot exited instead of polling: {code} {err}")
    exited.cancel()
    polling.result()


async def test_run_polling_answers_reloads_on_sighup_and_stops_on_sigterm(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    async with FakeBotApi() as api:
        env = bot_env(tmp_path, api, knowledge, CITEBOT_LOG_LEVEL="DEBUG")
        proc = await spawn(tmp_path, env)
        stderr = Stderr(proc)
        try:
            await _wait_polling(api, stderr)
            upd = api.private_text(BASES_ZH)
            reply = await api.wait_for("sendMessage", lambda r: r.chat_id == READER_ID)
            assert "66" in plain(reply)

            # an editor adds a question variant; SIGHUP reloads it without a restart
            from bot.engine import Engine

            add_variant(knowledge, Engine(knowledge).ask(BASES_ZH).entry, NEW_VARIANT)
            mark = api.mark()
            api.private_text(NEW_VARIANT, user_id=READER_ID + 1)
            before = await api.wait_for("sendMessage", since=mark)
            assert "66" not in plain(before)  # before the reload: not answerable
            proc.send_signal(signal.SIGHUP)
            # the reload runs in a worker thread; its last step logs the swap
            outcome = await stderr.wait_line(
                "knowledge base reloaded", "SIGHUP reload refused", "SIGHUP reload failed"
            )
            assert outcome == "knowledge base reloaded", stderr.text
            mark = api.mark()
            api.private_text(NEW_VARIANT, user_id=READER_ID + 2)
            answered = await api.wait_for("sendMessage", since=mark)
            assert "66" in plain(answered)
            assert upd["update_id"] in api.served_at
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        code, out, err = await stderr.finish()
    assert code == 0, err
    assert "Traceback" not in err
    assert "SIGHUP" in err and "reloaded" in err
    assert DEFAULT_TOKEN.split(":")[1] not in err + out
    assert "DEBUG" in err  # the whole run was logged at DEBUG, and still no token
    # the statistics were flushed to disk on the way out
    with sqlite3.connect(tmp_path / "data" / "stats.sqlite3") as db:
        counts = dict(db.execute("SELECT status, count FROM counters").fetchall())
    assert counts.get("answered", 0) >= 2


WEBHOOK_SECRET = "process-secret_1"


def webhook_env(tmp_path: Path, api: FakeBotApi, port: int, **values: str) -> dict[str, str]:
    """What ``citebot run --webhook`` sees, serving on 127.0.0.1:``port``/telegram."""
    return clean_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        CITEBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        CITEBOT_WEBHOOK_LISTEN="127.0.0.1",
        CITEBOT_WEBHOOK_PORT=str(port),
        CITEBOT_WEBHOOK_SECRET=WEBHOOK_SECRET,
        **values,
    )


async def test_run_webhook_process(tmp_path):
    port = free_port()
    secret = WEBHOOK_SECRET
    async with FakeBotApi() as api:
        proc = await spawn(tmp_path, webhook_env(tmp_path, api, port), "--webhook")
        stderr = Stderr(proc)
        try:
            hook = await api.wait_for("setWebhook")
            assert hook.params["url"] == f"http://127.0.0.1:{port}/telegram"
            assert hook.params["secret_token"] == secret
            allowed = sorted(hook.params["allowed_updates"])
            assert allowed == ["callback_query", "inline_query", "message"]
            await stderr.wait_line("serving the webhook on")
            update = {
                "message": api.message(
                    api.private_chat(READER_ID), BASES_ZH, user=api.user(READER_ID)
                )
            }
            async with httpx.AsyncClient(timeout=WAIT) as client:
                forged = await client.post(
                    hook.params["url"],
                    json=dict(update, update_id=1),
                    headers=deliver_headers("wrong"),
                )
            assert forged.status_code == 403
            status = await api.deliver(update)
            assert status == 200
            reply = await api.wait_for("sendMessage", lambda r: r.chat_id == READER_ID)
            assert "66" in plain(reply)
            assert len(api.find("sendMessage")) == 1
            proc.send_signal(signal.SIGHUP)  # reloads in webhook mode too
            outcome = await stderr.wait_line(
                "knowledge base reloaded", "SIGHUP reload refused", "SIGHUP reload failed"
            )
            assert outcome == "knowledge base reloaded", stderr.text
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        code, out, err = await stderr.finish()
    assert code == 0, err
    assert "Traceback" not in err
    assert "statistics flushed" in err and "stopped" in err  # a clean stop
    assert secret not in err + out and DEFAULT_TOKEN.split(":")[1] not in err + out


async def _sample_peak_rss(pid: int, peak: list[float], stop: asyncio.Event) -> None:
    """Keep ``peak[0]`` at the highest RSS (MB) of process ``pid`` until ``stop``."""
    import psutil

    process = psutil.Process(pid)
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss / 2**20)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.005)


async def test_webhook_memory_stays_flat_under_huge_posts(tmp_path):
    """10 concurrent 20 MB bodies with the secret (413) and 10 without (403): the bot never
    reads them, its RSS stays under 250 MB, and it answers a reader afterwards."""
    import psutil
    from test_webhook import MB, post_flood

    port = free_port()
    async with FakeBotApi() as api:
        stderr = Stderr(await spawn(tmp_path, webhook_env(tmp_path, api, port), "--webhook"))
        try:
            await stderr.wait_line("serving the webhook on")
            before = psutil.Process(stderr.proc.pid).memory_info().rss / 2**20
            peak, sampled = [before], asyncio.Event()
            sampler = asyncio.create_task(_sample_peak_rss(stderr.proc.pid, peak, sampled))
            with_secret = [
                post_flood(port, "/telegram", WEBHOOK_SECRET, 20 * MB, chunked=i % 2 == 1)
                for i in range(10)
            ]
            without = [post_flood(port, "/telegram", None, 20 * MB) for _ in range(10)]
            statuses = await asyncio.gather(*with_secret, *without)
            sampled.set()
            await sampler
            print(f"RSS before {before:.0f} MB, peak under 20 x 20 MB posts {peak[0]:.0f} MB")
            assert statuses == [413] * 10 + [403] * 10, statuses
            assert peak[0] < 250, f"RSS rose to {peak[0]:.0f} MB"
            update = {
                "message": api.message(
                    api.private_chat(READER_ID), BASES_ZH, user=api.user(READER_ID)
                )
            }
            assert await api.deliver(update) == 200
            reply = await api.wait_for("sendMessage", lambda r: r.chat_id == READER_ID)
            assert "66" in plain(reply)
        finally:
            if stderr.proc.returncode is None:
                stderr.proc.send_signal(signal.SIGTERM)
        code, _, err = await stderr.finish()
    assert code == 0, err
    assert "Traceback" not in err and " ERROR " not in err, err


async def test_webhook_kill_9_right_after_the_200s_loses_no_update(tmp_path):
    """Updates are posted; the bot is killed (SIGKILL) as soon as their 200s are back, and
    started again: every update is answered (stored before its 200, replayed at start-up)."""
    from bot.telegram.app import CONCURRENT_UPDATES

    questions = ["连云港有多少个爱国主义教育基地?", "连云港有多少处革命遗址?", "表情包是谁设计的?"]
    count, first_user = 120, 6_000_000
    port = free_port()
    async with FakeBotApi() as api:
        env = webhook_env(tmp_path, api, port)
        url = f"http://127.0.0.1:{port}/telegram"
        updates = [
            {
                "update_id": 500_000 + i,
                "message": api.message(
                    api.private_chat(first_user + i),
                    questions[i % len(questions)],
                    user=api.user(first_user + i),
                ),
            }
            for i in range(count)  # one question per reader: no flood guard involved
        ]

        def answered() -> set[int]:
            return {r.chat_id for r in api.find("sendMessage")}

        stderr = Stderr(await spawn(tmp_path, env, "--webhook"))
        await stderr.wait_line("serving the webhook on")
        async with httpx.AsyncClient(
            timeout=WAIT, limits=httpx.Limits(max_connections=16)
        ) as client:
            replies = await asyncio.gather(
                *(
                    client.post(url, json=u, headers=deliver_headers(WEBHOOK_SECRET))
                    for u in updates
                )
            )
        stderr.proc.kill()  # SIGKILL right after the last 200: no clean-up at all
        assert [r.status_code for r in replies] == [200] * count
        await stderr.finish()
        assert len(answered()) < count, "the kill came too late to test anything"
        print(f"answered before the kill: {len(answered())} of {count}")
        stderr = Stderr(await spawn(tmp_path, env, "--webhook"))
        try:
            await api.wait_until(lambda: len(answered()) >= count, "updates lost", timeout=4 * WAIT)
        finally:
            stderr.proc.send_signal(signal.SIGTERM)
        code, _, err = await stderr.finish()
    assert code == 0, err
    replies_to = [r.chat_id for r in api.find("sendMessage")]
    assert set(replies_to) == set(range(first_user, first_user + count))  # none lost
    assert len(replies_to) - count <= CONCURRENT_UPDATES  # only replies in flight at the kill


async def _run_until_checked(tmp_path: Path, env: dict[str, str], api: FakeBotApi) -> str:
    """Start the bot, have it answer, wait until the self-check result is logged, stop it;
    return its log."""
    stderr = Stderr(await spawn(tmp_path, env))
    try:
        await _wait_polling(api, stderr)
        mark = api.mark()
        api.private_text(BASES_ZH)
        reply = await api.wait_for("sendMessage", since=mark)
        assert "66" in plain(reply)  # answering does not wait for the check
        # a full check in a child process at low priority: a generous ceiling
        await stderr.wait_line("self-check passed", "was checked before", timeout=4 * WAIT)
    finally:
        if stderr.proc.returncode is None:
            stderr.proc.send_signal(signal.SIGTERM)
    code, _, err = await stderr.finish()
    assert code == 0 and "Traceback" not in err, err
    return err


async def test_the_self_check_runs_in_the_background_once_per_version(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    async with FakeBotApi() as api:
        env = bot_env(tmp_path, api, knowledge)
        first = await _run_until_checked(tmp_path, env, api)
        assert "checking every stored question" in first
        assert "self-check passed" in first
        # A restart of the same version checks nothing.
        second = await _run_until_checked(tmp_path, env, api)
        assert "was checked before" in second
        assert "checking every stored question" not in second
        assert not api.find("sendMessage", lambda r: r.chat_id == ADMIN_ID)  # nothing to report


async def test_a_base_whose_questions_collide_is_reported_to_the_admins(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    from bot.engine import Engine

    hotline = Engine(knowledge).kb.entry("hotline-12345-platform")
    stolen = BASES_ZH.rstrip("?") + "呀?"  # the hotline entry claims the bases question
    add_variant(knowledge, hotline, stolen)
    async with FakeBotApi() as api:
        env = bot_env(tmp_path, api, knowledge, CITEBOT_ADMIN_IDS=str(ADMIN_ID))
        stderr = Stderr(await spawn(tmp_path, env))
        try:
            await _wait_polling(api, stderr)
            report = await api.wait_for(
                "sendMessage", lambda r: r.chat_id == ADMIN_ID, timeout=4 * WAIT
            )
        finally:
            if stderr.proc.returncode is None:
                stderr.proc.send_signal(signal.SIGTERM)
        code, _, err = await stderr.finish()
    assert code == 0, err
    assert "Self-check found problems" in plain(report)
    assert f"{hotline.source_file}:" in plain(report) and stolen in plain(report)
    assert "not answered by their own entry" in err  # and in the log, at WARNING


async def test_kill_9_in_the_middle_of_a_load_loses_no_question(tmp_path):
    """Questions queue up, the bot is killed (SIGKILL) while answering them and started
    again: every question is answered; a duplicate only for replies in flight at the kill."""
    from bot.telegram.app import CONCURRENT_UPDATES

    questions = ["连云港有多少个爱国主义教育基地?", "连云港有多少处革命遗址?", "表情包是谁设计的?"]
    count, first_user = 150, 5_000_000
    async with FakeBotApi() as api:
        env = bot_env(tmp_path, api, copy_knowledge(tmp_path))
        for i in range(count):  # one question per reader: no flood guard involved
            api.private_text(questions[i % len(questions)], user_id=first_user + i)

        def answered() -> set[int]:
            return {r.chat_id for r in api.find("sendMessage")}

        stderr = Stderr(await spawn(tmp_path, env))
        await api.wait_until(lambda: len(answered()) >= count // 5, "no answers before the kill")
        stderr.proc.kill()  # SIGKILL: no clean-up at all
        await stderr.finish()
        assert len(answered()) < count, "the kill came too late to test anything"
        stderr = Stderr(await spawn(tmp_path, env))
        try:
            await api.wait_until(
                lambda: len(answered()) >= count, "questions lost", timeout=4 * WAIT
            )
        finally:
            stderr.proc.send_signal(signal.SIGTERM)
        code, _, err = await stderr.finish()
    assert code == 0, err
    replies = [r.chat_id for r in api.find("sendMessage")]
    assert set(replies) == set(range(first_user, first_user + count))  # none lost
    assert len(replies) - count <= CONCURRENT_UPDATES  # only replies in flight at the kill
