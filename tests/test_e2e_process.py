"""`citebot run` as a real process (``python -m bot run``), as systemd or Docker start it:
start-up failures are one clear line and a non-zero exit, never a traceback; a healthy
bot answers over the fake Bot API server, reloads on SIGHUP and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import httpx
import pytest
from e2e_support import ADMIN_ID, READER_ID, ROOT, copy_knowledge, plain
from fake_bot_api import DEFAULT_TOKEN, FakeBotApi, deliver_headers
from test_webhook import free_port

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

BASES_ZH = "连云港有多少个爱国主义教育基地?"
NEW_VARIANT = "银河铁道的暗号是什么"  # nonsense: unanswerable until an editor adds it


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


async def finish(proc: asyncio.subprocess.Process, timeout: float = 20) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


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


async def _wait_polling(api: FakeBotApi, proc, timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not api.received_count.get("getupdates"):
        if proc.returncode is not None or loop.time() > deadline:
            code, _, err = await finish(proc)
            raise AssertionError(f"the bot did not start polling: {code} {err}")
        await asyncio.sleep(0.02)


async def test_run_polling_answers_reloads_on_sighup_and_stops_on_sigterm(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    async with FakeBotApi() as api:
        env = clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
            TELEGRAM_API_BASE_URL=api.base_url,
            CITEBOT_KNOWLEDGE_DIR=str(knowledge),
            CITEBOT_LOG_LEVEL="DEBUG",
        )
        proc = await spawn(tmp_path, env)
        try:
            await _wait_polling(api, proc)
            upd = api.private_text(BASES_ZH)
            reply = await api.wait_for("sendMessage", lambda r: r.chat_id == READER_ID, timeout=10)
            assert "66" in plain(reply)

            # an editor adds a question variant; SIGHUP reloads it without a restart
            from bot.engine import Engine

            entry = Engine(knowledge).ask(BASES_ZH).entry
            path = knowledge / entry.source_file
            text = path.read_text(encoding="utf-8")
            first = entry.questions["zh"][0]
            line = next(ln for ln in text.splitlines() if ln.strip().lstrip("- ") == first)
            indent = line[: len(line) - len(line.lstrip())]
            path.write_text(
                text.replace(line + "\n", f"{line}\n{indent}- {NEW_VARIANT}\n", 1),
                encoding="utf-8",
            )
            mark = api.mark()
            api.private_text(NEW_VARIANT, user_id=READER_ID + 1)
            before = await api.wait_for("sendMessage", since=mark, timeout=10)
            proc.send_signal(signal.SIGHUP)
            answered = None
            for attempt in range(100):  # the reload runs in a worker thread
                mark = api.mark()
                api.private_text(NEW_VARIANT, user_id=READER_ID + 10 + attempt)
                answered = await api.wait_for("sendMessage", since=mark, timeout=10)
                if "66" in plain(answered):
                    break
                await asyncio.sleep(0.05)
            assert answered is not None and "66" in plain(answered)
            assert "66" not in plain(before)  # before the reload: not answerable
            assert upd["update_id"] in api.served_at
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        code, out, err = await finish(proc)
    assert code == 0, err
    assert "Traceback" not in err
    assert "SIGHUP" in err and "reloaded" in err
    assert DEFAULT_TOKEN.split(":")[1] not in err + out
    assert "DEBUG" in err  # the whole run was logged at DEBUG, and still no token
    # the statistics were flushed to disk on the way out
    with sqlite3.connect(tmp_path / "data" / "stats.sqlite3") as db:
        counts = dict(db.execute("SELECT status, count FROM counters").fetchall())
    assert counts.get("answered", 0) >= 2


async def test_run_webhook_process(tmp_path):
    port = free_port()
    secret = "process-secret_1"
    async with FakeBotApi() as api:
        env = clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
            TELEGRAM_API_BASE_URL=api.base_url,
            CITEBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
            CITEBOT_WEBHOOK_LISTEN="127.0.0.1",
            CITEBOT_WEBHOOK_PORT=str(port),
            CITEBOT_WEBHOOK_SECRET=secret,
        )
        proc = await spawn(tmp_path, env, "--webhook")
        try:
            hook = await api.wait_for("setWebhook", timeout=20)
            assert hook.params["url"] == f"http://127.0.0.1:{port}/telegram"
            assert hook.params["secret_token"] == secret
            update = {
                "message": api.message(
                    api.private_chat(READER_ID), BASES_ZH, user=api.user(READER_ID)
                )
            }
            status = None
            for _ in range(100):  # setWebhook comes before the server accepts connections
                try:
                    async with httpx.AsyncClient(timeout=5) as client:
                        forged = await client.post(
                            hook.params["url"],
                            json=dict(update, update_id=1),
                            headers=deliver_headers("wrong"),
                        )
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            assert forged.status_code == 403
            status = await api.deliver(update)
            assert status == 200
            reply = await api.wait_for("sendMessage", lambda r: r.chat_id == READER_ID, timeout=10)
            assert "66" in plain(reply)
            assert len(api.find("sendMessage")) == 1
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        code, out, err = await finish(proc)
    assert code == 0, err
    assert "Traceback" not in err
    assert secret not in err + out and DEFAULT_TOKEN.split(":")[1] not in err + out


async def _read_until(proc: asyncio.subprocess.Process, needle: str, timeout: float) -> str:
    """The process's log up to the first line containing ``needle``."""
    assert proc.stderr is not None
    seen: list[str] = []
    async with asyncio.timeout(timeout):
        while not seen or needle not in seen[-1]:
            line = await proc.stderr.readline()
            assert line, "the log ended before: " + needle + "\n" + "".join(seen)
            seen.append(line.decode())
    return "".join(seen)


async def _run_until_checked(tmp_path: Path, env: dict[str, str], api: FakeBotApi) -> str:
    """Start the bot, have it answer, wait until the self-check result is logged, stop it;
    return its log."""
    proc = await spawn(tmp_path, env)
    try:
        await _wait_polling(api, proc, timeout=30)
        mark = api.mark()
        api.private_text(BASES_ZH)
        reply = await api.wait_for("sendMessage", since=mark, timeout=30)
        assert "66" in plain(reply)  # answering does not wait for the check
        # a full check in a child process at low priority: a generous ceiling
        log = await _read_until(proc, "self-check", timeout=120)
        if "checking every stored question" in log.splitlines()[-1]:
            log += await _read_until(proc, "self-check", timeout=120)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
    code, _, err = await finish(proc, timeout=60)
    assert code == 0 and "Traceback" not in err, err
    return log + err


async def test_the_self_check_runs_in_the_background_once_per_version(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    async with FakeBotApi() as api:
        env = clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
            TELEGRAM_API_BASE_URL=api.base_url,
            CITEBOT_KNOWLEDGE_DIR=str(knowledge),
        )
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
    path = knowledge / hotline.source_file
    text = path.read_text(encoding="utf-8")
    first = hotline.questions["zh"][0]
    line = next(ln for ln in text.splitlines() if ln.strip().lstrip("- ") == first)
    indent = line[: len(line) - len(line.lstrip())]
    stolen = BASES_ZH.rstrip("?") + "呀?"  # the hotline entry claims the bases question
    path.write_text(text.replace(line + "\n", f"{line}\n{indent}- {stolen}\n", 1), "utf-8")
    async with FakeBotApi() as api:
        env = clean_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
            TELEGRAM_API_BASE_URL=api.base_url,
            CITEBOT_KNOWLEDGE_DIR=str(knowledge),
            CITEBOT_ADMIN_IDS=str(ADMIN_ID),
        )
        proc = await spawn(tmp_path, env)
        try:
            await _wait_polling(api, proc, timeout=30)
            report = await api.wait_for("sendMessage", lambda r: r.chat_id == ADMIN_ID, timeout=120)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        code, _, err = await finish(proc, timeout=60)
    assert code == 0, err
    assert "Self-check found problems" in plain(report)
    assert f"{hotline.source_file}:" in plain(report) and stolen in plain(report)
    assert "not answered by their own entry" in err  # and in the log, at WARNING
