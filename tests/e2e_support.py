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

Every wait is for an event (a request reaching the fake server, an update fully handled by
the bot) with a ceiling of ``WAIT`` (30 s): generous for a busy 2-core machine, and never
reached when things work. Nothing sleeps a fixed time to let things settle.
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

from fake_bot_api import DEFAULT_TOKEN, WAIT, FakeBotApi, Request, html_to_plain

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"

ADMIN_ID = 900_001
READER_ID = 1001
GROUP_ID = -100_200_300
OBSERVER_GROUP = 1_000  # handler group of the test observer, after the bot's own (group 0)

_ENGINES: dict[Path, Any] = {}


# vague questions (not bare topics, which get the sections too): "did you mean" close calls
AMBIGUOUS_CANDIDATES = ("连云港做了什么", "宣讲活动有哪些", "活动有哪些")


def find_ambiguous() -> tuple[str, Any]:
    """A vague question the shared engine answers with several "did you mean" choices."""
    engine = shared_engine()
    for question in AMBIGUOUS_CANDIDATES:
        result = engine.ask(question)
        close_call = result.status == "ambiguous" and result.reason != "bare topic"
        if close_call and len(result.suggestions) >= 2:
            return question, result
    raise AssertionError(f"none of {AMBIGUOUS_CANDIDATES} is a close call for the matcher")


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


def add_variant(knowledge_dir: Path, entry: Any, question: str) -> int:
    """Add ``question`` to ``entry`` (a loaded ``Entry``) by editing its YAML file as an
    editor would: a new line after its first Chinese question. Returns that line's number."""
    path = knowledge_dir / entry.source_file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first = entry.questions["zh"][0]
    at = [i for i, ln in enumerate(lines) if ln.strip().lstrip("- ").strip() == first]
    assert len(at) == 1, (entry.id, first)
    indent = lines[at[0]][: len(lines[at[0]]) - len(lines[at[0]].lstrip())]
    lines.insert(at[0] + 1, f"{indent}- {question}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return at[0] + 2


def base_env(api: FakeBotApi, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment ``citebot run`` would see, pointed at the fake server."""
    env = {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "CITEBOT_ADMIN_IDS": str(ADMIN_ID),
        "CITEBOT_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR),
        "CITEBOT_DATA_DIR": str(tmp_path / "data"),
        "CITEBOT_LOG_LEVEL": "INFO",
        # no review reminders: they are messages to the admin's chat that tests of other
        # things do not expect (tests of the reminder turn it on with a tiny interval)
        "CITEBOT_REVIEW_REMINDER_HOURS": "0",
    }
    env.update(extra)
    return env


class Handled:
    """The ids of the updates the bot has finished handling, with a way to wait for them.

    ``run_bot`` registers it as a ``TypeHandler`` in a group after the bot's own, so PTB
    calls it once the bot's handler for the update (and the error handler, if it raised)
    has returned: every request that handling made has then reached the fake server."""

    def __init__(self) -> None:
        self.ids: set[int] = set()
        self._changed = asyncio.Event()

    async def __call__(self, update: Any, context: Any) -> None:
        self.ids.add(update.update_id)
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, update_ids: set[int], timeout: float = WAIT) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not update_ids <= self.ids:
            left = deadline - loop.time()
            assert left > 0, f"updates {sorted(update_ids - self.ids)} not handled in {timeout}s"
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), left)


@dataclass
class BotRun:
    """A running bot and the fake server it talks to, with helpers to converse."""

    api: FakeBotApi
    app: Any  # telegram.ext.Application
    settings: Any  # bot.settings.Settings
    engine: Any  # bot.engine.Engine
    store: Any  # bot.stats.StatsStore
    feedback: Any  # bot.feedback.FeedbackStore (or None)
    handled: Handled = field(default_factory=Handled)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def username(self) -> str:
        return self.api.bot_user["username"]

    @property
    def kb(self) -> Any:
        return self.engine.kb

    # -- conversing ------------------------------------------------------------------

    async def wait_handled(self, *updates: Mapping[str, Any], timeout: float = WAIT) -> None:
        """Wait until the bot has finished handling each of ``updates`` (whatever it did)."""
        await self.handled.wait({int(u["update_id"]) for u in updates}, timeout)

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
        """Assert the bot sent nothing for ``update``: wait until it has handled ``update``
        (so anything it sent is recorded), then send ``probe()`` (an update the bot does
        answer, in the same chat) and check its answer is the only message to that chat
        since ``since``. Returns the probe's answer."""
        chat_id = _chat_of(update)
        await self.wait_handled(update)
        probe_update = probe()
        answer = await self.reply_to(probe_update, since=since)
        await self.wait_handled(probe_update)
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
    """The texts of the ``<blockquote>`` elements (expandable or not) of a sent HTML
    message, as the reader sees them (inner tags such as the bold support removed)."""
    import re

    found = re.findall(r"<blockquote(?: expandable)?>(.*?)</blockquote>", req.text, re.S)
    return [html_to_plain(q) for q in found]


def bold_in_quotes(req: Request) -> list[str]:
    """The bold runs (``<b>``) inside the blockquotes of a sent HTML message, as seen."""
    import re

    quotes = re.findall(r"<blockquote(?: expandable)?>(.*?)</blockquote>", req.text, re.S)
    return [html_to_plain(b) for q in quotes for b in re.findall(r"<b>(.*?)</b>", q, re.S)]


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
    from telegram import Update
    from telegram.ext import TypeHandler

    from bot.engine import Engine
    from bot.feedback import FeedbackStore
    from bot.inbox import Inbox
    from bot.matcher import MatchConfig
    from bot.prefs import PrefsStore
    from bot.selfcheck import CheckCache
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
        else:  # as `citebot run` builds it: full self-checks recorded in the data directory
            cache = CheckCache(settings.data_dir / runner.SELF_CHECK_FILE)
            engine = Engine(
                settings.knowledge_dir,
                MatchConfig.from_env(environment),
                cache=cache,
                learned=settings.learned_path,
            )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = StatsStore(settings.stats_path)
        build_kwargs.setdefault("inbox", Inbox(settings.inbox_path))
        build_kwargs.setdefault("feedback", FeedbackStore(settings.feedback_path))
        build_kwargs.setdefault("prefs", PrefsStore(settings.prefs_path))
        app = build_application(settings, engine, store, **build_kwargs)
        handled = Handled()
        app.add_handler(TypeHandler(Update, handled), group=OBSERVER_GROUP)
        if allowed_updates == "production":
            allowed_updates = runner.ALLOWED_UPDATES
        await start_app(app, allowed_updates=allowed_updates)
        try:
            await api.wait_until(
                lambda: api.received_count.get("getupdates"), "the bot never polled"
            )
            yield BotRun(api, app, settings, engine, store, build_kwargs["feedback"], handled)
        finally:
            await stop_app(app)
            store.close()
            for closing in ("feedback", "prefs"):
                if build_kwargs[closing] is not None:
                    build_kwargs[closing].close()
    finally:
        await api.stop()


def assert_no_errors(records: list[logging.LogRecord]) -> None:
    """No ERROR (or worse) was logged: an unexpected exception reached the error handler."""
    bad = [r for r in records if r.levelno >= logging.ERROR]
    assert not bad, "errors were logged: " + "; ".join(f"{r.name}: {r.getMessage()}" for r in bad)
