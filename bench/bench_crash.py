"""Crash figures: ``kill -9`` in the middle of a load, then a restart. Nothing may be lost.

Prints figures; asserts nothing. The fake Bot API server of the tests runs in this process
on 127.0.0.1 (loopback only) and keeps every update until the bot confirms it, as Telegram
does. N questions from N readers are queued; ``citebot run`` (a real process, fresh data
directory) starts answering; it is killed with SIGKILL after a share of the answers (once
per ``--kills``), started again, and finally stopped with SIGTERM once every reader has an
answer, or after a ceiling. Reported: sent, answered, lost (readers without an answer),
duplicated (answers beyond one per reader; at most the updates in flight at each kill).

Run: python bench/bench_crash.py [--questions 800] [--kills 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_bot_api import DEFAULT_TOKEN, FakeBotApi  # noqa: E402

QUESTIONS = ["连云港有多少个爱国主义教育基地?", "连云港有多少处革命遗址?", "表情包是谁设计的?"]
FIRST_USER = 7_000_000
CEILING = 300.0  # seconds for the whole run


def bot_env(api: FakeBotApi, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CITEBOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        CITEBOT_KNOWLEDGE_DIR=str(ROOT / "knowledge"),
        CITEBOT_DATA_DIR=str(data),
        CITEBOT_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


async def spawn(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )


async def run(questions: int, kills: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="citebot-crash-"))
    proc: asyncio.subprocess.Process | None = None
    started = time.monotonic()
    try:
        async with FakeBotApi() as api:
            api.keep_messages = False
            for i in range(questions):
                api.private_text(QUESTIONS[i % len(QUESTIONS)], user_id=FIRST_USER + i)

            def answered() -> int:
                return len({r.chat_id for r in api.find("sendMessage")})

            env = bot_env(api, tmp / "data")
            for k in range(kills):
                proc = await spawn(env, tmp)
                goal = questions * (k + 1) // (kills + 1)  # kill after this many answers
                await api.wait_until(lambda g=goal: answered() >= g, "answers", timeout=CEILING)
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
                print(f"  killed (SIGKILL) after {answered()} of {questions} answered")
            proc = await spawn(env, tmp)
            await api.wait_until(lambda: answered() >= questions, "all answers", timeout=CEILING)
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 60)
            replies = [r.chat_id for r in api.find("sendMessage")]
    finally:
        if proc is not None and proc.returncode is None:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    readers = set(range(FIRST_USER, FIRST_USER + questions))
    return {
        "sent": questions,
        "answered": len(readers & set(replies)),
        "lost": len(readers - set(replies)),
        "duplicated": len(replies) - len(set(replies)),
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=800)
    parser.add_argument("--kills", type=int, default=2, help="SIGKILLs during the load")
    args = parser.parse_args()
    print(f"kill -9 during a load of {args.questions} questions, {args.kills} kill(s):")
    figures = asyncio.run(run(args.questions, args.kills))
    print(
        "sent {sent}  answered {answered}  lost {lost}  duplicated {duplicated}"
        "  ({seconds} s)".format(**figures)
    )


if __name__ == "__main__":
    main()
