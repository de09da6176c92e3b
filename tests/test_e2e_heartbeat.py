"""End to end, the heartbeat: the running bot (polling or webhook, against the fake Bot API) writes
``CITEBOT_DATA_DIR/heartbeat.json`` and keeps it fresh, ``citebot health`` says healthy
while it runs, and the beats stop with the bot."""

from __future__ import annotations

import asyncio
import json
import time

from e2e_support import plain, run_bot
from fake_bot_api import WAIT, FakeBotApi

from bot import cli, heartbeat

BASES_ZH = "连云港有多少个爱国主义教育基地?"
INTERVAL = "0.2"  # seconds: fast beats, so the test sees several


def read_beat(path) -> heartbeat.Beat | None:
    try:
        return heartbeat.Beat.from_json(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


async def test_running_bot_writes_a_fresh_heartbeat(tmp_path, monkeypatch, capsys):
    started = time.time()
    async with run_bot(tmp_path, env={"CITEBOT_HEARTBEAT_INTERVAL": INTERVAL}) as bot:
        path = bot.settings.heartbeat_path
        assert path.parent == bot.settings.data_dir
        # wait_until re-checks at each request; the bot long-polls at least once a second
        first = await bot.api.wait_until(lambda: read_beat(path), "no heartbeat was written")
        assert first.mode == "polling"
        assert started <= first.written_at <= time.time()
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert set(raw) == {"pid", "mode", "written_at", "last_poll_at", "last_update_at"}

        upd, reply = await bot.private(BASES_ZH)
        assert "66" in plain(reply)
        await bot.wait_handled(upd)
        answered = time.time()
        later = await bot.api.wait_until(
            lambda: (b := read_beat(path)) and b.written_at > answered and b,
            "the heartbeat was not rewritten",
        )
        assert later.last_update_at is not None and started <= later.last_update_at <= answered
        assert later.last_poll_at is not None and started <= later.last_poll_at <= time.time()

        monkeypatch.setenv("CITEBOT_DATA_DIR", str(bot.settings.data_dir))
        monkeypatch.setenv("CITEBOT_HEARTBEAT_INTERVAL", INTERVAL)
        assert cli.main(["health", "--max-age", "30"]) == 0
        assert capsys.readouterr().out.startswith("citebot: healthy: heartbeat ")
        task = bot.app.bot_data.heartbeat._task
        assert task is not None and not task.done()
    assert task.done()  # post_shutdown stopped the beats: from now on the file ages


async def until(condition, what: str, timeout: float = WAIT):
    """``condition()``'s first true value, looked at every 20 ms, failing after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := condition()):
        assert loop.time() < deadline, f"{what} within {timeout}s"
        await asyncio.sleep(0.02)
    return value


async def test_webhook_mode_beats_too(tmp_path):
    from test_webhook import serving

    async with FakeBotApi() as api, serving(api, tmp_path) as (app, _):
        path = app.bot_data.settings.heartbeat_path
        beat = await until(lambda: read_beat(path), "no heartbeat was written")
        assert beat.mode == "webhook" and beat.last_poll_at is None
    assert app.bot_data.heartbeat._task.done()


def test_beats_only_while_updates_flow(tmp_path):
    """Starting: no beat; polling: beats; the updater stopped while the app still runs (a
    stop under way, or polling gone): no beat. In webhook mode the updater never runs."""
    from types import SimpleNamespace

    from bot.telegram.heartbeat import Heartbeat

    def add_handler(*args, **kwargs):
        return None

    updater = SimpleNamespace(running=False)
    app = SimpleNamespace(running=False, updater=updater, add_handler=add_handler)
    polling = Heartbeat(app, tmp_path / "a.json", 30.0)  # type: ignore[arg-type]
    assert not polling.alive()
    updater.running = True
    assert not polling.alive()  # polling, but the handlers' loop is not up yet
    app.running = True
    assert polling.alive()
    updater.running = False
    assert not polling.alive()

    hook = SimpleNamespace(
        running=True, updater=SimpleNamespace(running=False), add_handler=add_handler
    )
    assert Heartbeat(hook, tmp_path / "b.json", 30.0).alive()  # type: ignore[arg-type]
