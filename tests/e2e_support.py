"""Shared machinery of the end-to-end tests: the real bot against the fake Bot API server.

``run_bot`` starts the production ``Application`` (``bot.telegram.app.build_application``)
exactly as ``citebot run`` does — settings from an environment mapping, the Engine, the
statistics store, ``initialize`` → ``post_init`` → ``updater.start_polling`` → ``start`` —
but with ``TELEGRAM_API_BASE_URL`` pointing at a :class:`~fake_bot_api.FakeBotApi` on
127.0.0.1, and stops it the way ``run_polling`` does at the end.

Test modules wrap it in a small fixture::

    @pytest.fixture
    async def bot(tmp_path):
        async with run_bot(tmp_path) as run:
            yield run
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_bot_api import DEFAULT_TOKEN, FakeBotApi, Request, html_to_plain

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"

ADMIN_ID = 900_001
READER_ID = 1001
GROUP_ID = -100_200_300
WAIT = 5.0  # seconds to wait for an expected request; tests finish far sooner

_ENGINES: dict[Path, Any] = {}


def shared_engine() -> Any:
    """One Engine over the shipped knowledge base for every test that does not reload."""
    from bot.engine import Engine
    from bot.matcher import MatchConfig

    if KNOWLEDGE_DIR not in _ENGINES:
        _ENGINES[KNOWLEDGE_DIR] = Engine(KNOWLEDGE_DIR, MatchConfig())
    return _ENGINES[KNOWLEDGE_DIR]


def copy_knowledge(tmp_path: Path) -> Path:
    """A private, editable copy of the shipped knowledge base."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def base_env(api: FakeBotApi, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment ``citebot run`` would see, pointed at the fake server."""
    env = {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "CITEBOT_ADMIN_IDS": str(ADMIN_ID),
        "CITEBOT_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR),
        "CITEBOT_DATA_DIR": str(tmp_path / "data"),
        "CITEBOT_LOG_LEVEL": "DEBUG",
    }
    env.update(extra)
    return env


@dataclass
class BotRun:
    """A running bot and the fake server it talks to, with helpers to converse."""

    api: FakeBotApi
    app: Any  # telegram.ext.Application
    settings: Any  # bot.settings.Settings
    engine: Any  # bot.engine.Engine
    store: Any  # bot.stats.StatsStore
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def username(self) -> str:
        return self.api.bot_user["username"]

    @property
    def kb(self) -> Any:
        return self.engine.kb

    # -- conversing ------------------------------------------------------------------

    async def reply_to(
        self,
        update: Mapping[str, Any],
        *,
        since: int | None = None,
        predicate: Callable[[Request], bool] | None = None,
        timeout: float = WAIT,
    ) -> Request:
        """The next sendMessage to the chat of ``update``."""
        chat_id = _chat_of(update)
        return await self.api.wait_for(
            "sendMessage",
            lambda r: r.chat_id == chat_id and (predicate is None or predicate(r)),
            since=0 if since is None else since,
            timeout=timeout,
        )

    async def private(
        self, text: str, *, user_id: int = READER_ID, language_code: str = "zh-hans"
    ) -> tuple[dict[str, Any], Request]:
        """Send ``text`` in a private chat; return the update and the bot's reply."""
        mark = self.api.mark()
        user = self.api.user(user_id, language_code=language_code)
        upd = self.api.enqueue(
            {"message": self.api.message(self.api.private_chat(user_id), text, user=user)}
        )
        return upd, await self.reply_to(upd, since=mark)

    async def group(
        self, text: str, *, chat_id: int = GROUP_ID, user_id: int = READER_ID, **kw: Any
    ) -> tuple[dict[str, Any], Request]:
        mark = self.api.mark()
        upd = self.api.group_text(text, chat_id=chat_id, user_id=user_id, **kw)
        return upd, await self.reply_to(upd, since=mark)

    async def assert_silent(
        self,
        update: Mapping[str, Any],
        *,
        since: int,
        probe: Callable[[], dict[str, Any]],
    ) -> Request:
        """Assert the bot sent nothing for ``update``: send ``probe()`` (an update the bot
        does answer, in the same chat) and check its answer is the only message to that
        chat since ``since`` (updates are dispatched in order, so an answer to ``update``
        would have come first). Returns the probe's answer."""
        chat_id = _chat_of(update)
        await self.api.wait_served(update["update_id"])
        probe_update = probe()
        answer = await self.reply_to(probe_update, since=since)
        await asyncio.sleep(0.05)  # let any straggler arrive before counting
        sent = self.api.sent(chat_id, since=since)
        assert sent == [answer], f"expected silence for {update}, but the bot sent {sent}"
        others = [
            r
            for r in self.api.find(since=since)
            if r.method not in ("getUpdates", "sendMessage") and r.params.get("chat_id") == chat_id
        ]
        assert not others, f"expected no requests for the ignored update, got {others}"
        return answer


def _chat_of(update: Mapping[str, Any]) -> int:
    for key in ("message", "edited_message", "channel_post"):
        if key in update:
            return int(update[key]["chat"]["id"])
    cq = update.get("callback_query")
    if cq and cq.get("message"):
        return int(cq["message"]["chat"]["id"])
    if cq:
        return int(cq["from"]["id"])
    raise ValueError(f"no chat in {update}")


def plain(req: Request) -> str:
    """The text of a sent message as the reader sees it (HTML tags removed)."""
    return html_to_plain(req.text) if req.params.get("parse_mode") == "HTML" else req.text


def blockquotes(req: Request) -> list[str]:
    """The contents of the ``<blockquote>`` elements of a sent HTML message (unescaped)."""
    import html
    import re

    return [html.unescape(q) for q in re.findall(r"<blockquote>(.*?)</blockquote>", req.text, re.S)]


async def start_app(app: Any, *, allowed_updates: Any = None, timeout: float = 1.0) -> None:
    """Start ``app`` the way ``Application.run_polling`` does (without owning the loop)."""
    await app.initialize()
    if app.post_init:
        await app.post_init(app)

    def error_callback(exc: Exception) -> None:  # as run_polling: to the error handlers
        app.create_task(app.process_error(error=exc, update=None))

    await app.updater.start_polling(
        poll_interval=0.0,
        timeout=timeout,
        allowed_updates=allowed_updates,
        error_callback=error_callback,
    )
    await app.start()


async def stop_app(app: Any) -> None:
    """Stop ``app`` the way ``Application.run_polling`` does when it is told to stop."""
    if app.updater and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)


@contextlib.asynccontextmanager
async def run_bot(
    tmp_path: Path,
    *,
    knowledge_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    api: FakeBotApi | None = None,
    allowed_updates: Any = "production",
    **build_kwargs: Any,
) -> AsyncIterator[BotRun]:
    """Start the fake server and the real bot (polling); stop both afterwards.

    ``knowledge_dir``: a knowledge directory (default: the shipped one, with a shared
    Engine); ``env``: extra environment variables; ``allowed_updates``: what the bot asks
    getUpdates for (default: what ``citebot run`` asks for); ``build_kwargs`` go to
    ``build_application`` (e.g. ``rate_limiter=None``)."""
    from bot.engine import Engine
    from bot.matcher import MatchConfig
    from bot.settings import Settings
    from bot.stats import StatsStore
    from bot.telegram import runner
    from bot.telegram.app import build_application

    api = api or FakeBotApi(DEFAULT_TOKEN)
    await api.start()
    try:
        extra = dict(env or {})
        if knowledge_dir is not None:
            extra["CITEBOT_KNOWLEDGE_DIR"] = str(knowledge_dir)
        environment = base_env(api, tmp_path, **extra)
        settings = Settings.from_env(environment)
        if knowledge_dir is None and not env:
            engine = shared_engine()
        else:
            engine = Engine(settings.knowledge_dir, MatchConfig.from_env(environment))
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = StatsStore(settings.stats_path)
        app = build_application(settings, engine, store, **build_kwargs)
        if allowed_updates == "production":
            allowed_updates = runner.ALLOWED_UPDATES
        await start_app(app, allowed_updates=allowed_updates)
        try:
            await _first_poll(api)
            yield BotRun(api, app, settings, engine, store)
        finally:
            await stop_app(app)
            store.close()
    finally:
        await api.stop()


async def _first_poll(api: FakeBotApi, timeout: float = WAIT) -> None:
    """Wait until the bot's first getUpdates reached the server (it is then polling)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not api.received_count.get("getupdates"):
        assert loop.time() < deadline, "the bot never polled"
        await asyncio.sleep(0.005)


def assert_no_errors(records: list[logging.LogRecord]) -> None:
    """No ERROR (or worse) was logged: an unexpected exception reached the error handler."""
    bad = [r for r in records if r.levelno >= logging.ERROR]
    assert not bad, "errors were logged: " + "; ".join(f"{r.name}: {r.getMessage()}" for r in bad)
