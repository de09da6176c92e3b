"""``citebot run [--webhook]``: configuration, start-up checks, signals, polling or webhook.

Start-up is strict: a missing or malformed token, a bad variable or a broken knowledge
base prints one line to stderr and returns 2, without a traceback. It is also quick: the
self-check of the stored questions runs in the background once the bot serves, and not at
all for a version checked before. Then SIGHUP reloads the knowledge base (like /reload),
and SIGTERM/SIGINT stop gracefully: no new updates are fetched, a reload still running is
abandoned (its admin is told; its worker thread cannot hold the stop), in-flight handlers
finish, the statistics are flushed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

from bot.settings import Settings, SettingsError
from bot.telegram.logsetup import configure_logging

if TYPE_CHECKING:  # the engine and the Telegram layer are imported once settings are valid
    from bot.telegram.context import App

log = logging.getLogger(__name__)

EXIT_CONFIG = 2
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]  # all it reacts to
SELF_CHECK_FILE = "selfcheck.json"  # in CITEBOT_DATA_DIR: full self-checks by version


def _fail(message: str) -> int:
    print(f"citebot: {message}", file=sys.stderr)
    return EXIT_CONFIG


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(webhook: bool = False, env: Mapping[str, str] | None = None) -> int:
    """Run the bot until SIGTERM/SIGINT; 0 after a clean stop, 2 on bad configuration."""
    env = os.environ if env is None else env
    try:
        settings = Settings.from_env(env)
        if webhook:
            settings.require_webhook()
    except SettingsError as exc:
        return _fail(str(exc))

    from bot.engine import Engine
    from bot.feedback import FeedbackStore
    from bot.inbox import Inbox
    from bot.knowledge import KnowledgeError
    from bot.matcher import MatchConfig
    from bot.prefs import PrefsStore
    from bot.selfcheck import CheckCache
    from bot.stats import StatsStore
    from bot.telegram.app import build_application

    try:
        cache = CheckCache(settings.data_dir / SELF_CHECK_FILE)
        engine = Engine(
            settings.knowledge_dir,
            MatchConfig.from_env(env),
            cache=cache,
            learned=settings.learned_path,
        )
        for note in engine.learned_notes:
            log.warning("%s", note)
    except KnowledgeError as exc:
        first = str(exc.problems[0]) if exc.problems else "no details"
        more = f" (and {exc.total - 1} more; run `citebot check`)" if exc.total > 1 else ""
        return _fail(
            f"the knowledge base in {settings.knowledge_dir} is broken: {_one_line(first)}{more}"
        )
    except ValueError as exc:  # e.g. a malformed CITEBOT_*_THRESHOLD
        return _fail(_one_line(str(exc)))
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = StatsStore(settings.stats_path)
    except Exception as exc:  # unwritable data directory, corrupt database...
        return _fail(f"cannot open the statistics in {settings.data_dir}: {_one_line(str(exc))}")
    try:
        inbox = Inbox(settings.inbox_path)
    except Exception as exc:
        store.close()
        return _fail(f"cannot open the inbox in {settings.data_dir}: {_one_line(str(exc))}")
    try:
        feedback = FeedbackStore(settings.feedback_path)
    except Exception as exc:
        store.close()
        inbox.close()
        return _fail(
            f"cannot open the feedback store in {settings.data_dir}: {_one_line(str(exc))}"
        )
    try:
        prefs = PrefsStore(settings.prefs_path)
    except Exception as exc:
        store.close()
        inbox.close()
        feedback.close()
        return _fail(
            f"cannot open the language choices in {settings.data_dir}: {_one_line(str(exc))}"
        )

    configure_logging(settings.log_level, settings.token, settings.webhook_secret)
    if not asyncio.run(_token_accepted(settings)):
        store.close()
        inbox.close()
        feedback.close()
        prefs.close()
        return _fail(
            "Telegram rejected the bot token (revoked or mistyped?); check it with @BotFather"
        )
    app = build_application(settings, engine, store, inbox=inbox, feedback=feedback, prefs=prefs)
    _install_sighup(app)
    _install_self_check(app)
    log.info(
        "starting (%s) with %d entries, knowledge version %s, %d admin(s)",
        "webhook" if webhook else "polling",
        len(engine.kb.entries),
        engine.kb.version,
        len(settings.admin_ids),
    )
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    if hasattr(signal, "SIGHUP"):  # until post_init installs the reload handler
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        if webhook:  # our own endpoint: refuses before reading, stores before the 200
            from bot.telegram.webhook import WebhookError, serve

            try:
                asyncio.run(
                    _until_signalled(
                        lambda stop: serve(
                            app, settings, stop=stop, allowed_updates=ALLOWED_UPDATES
                        ),
                        stop_signals,
                    )
                )
            except WebhookError as exc:
                return _fail(_one_line(str(exc)))
        else:
            app.run_polling(
                allowed_updates=ALLOWED_UPDATES,
                stop_signals=stop_signals,
                bootstrap_retries=-1,
            )
    except InvalidToken:
        return _fail(
            "Telegram rejected the bot token (revoked or mistyped?); check it with @BotFather"
        )
    except OSError as exc:  # e.g. the webhook port is taken
        if not webhook:
            raise
        where = f"{settings.webhook_listen}:{settings.webhook_port}"
        return _fail(f"cannot serve the webhook on {where}: {exc.strerror or exc}")
    finally:
        store.close()  # no-op if post_shutdown already closed it
        inbox.close()
        feedback.close()
        prefs.close()
    log.info("stopped")
    return 0


async def _until_signalled(
    serve: Callable[[asyncio.Event], Awaitable[None]], signals: Sequence[int]
) -> None:
    """Run ``serve(stop)``; any of ``signals`` sets ``stop`` (a graceful stop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await serve(stop)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def _token_accepted(settings: Settings) -> bool:
    """Ask getMe once with a throwaway client: a rejected token then stops start-up with one
    line instead of a traceback. Network trouble is not decided here: polling retries."""
    bot = Bot(
        settings.token,
        base_url=f"{settings.api_base_url}/bot",
        base_file_url=f"{settings.api_base_url}/file/bot",
    )
    try:
        async with bot:
            pass  # initialize() calls getMe
    except InvalidToken:
        return False
    except TelegramError as exc:
        log.warning("could not reach the Bot API yet (%s); will keep retrying", exc)
    return True


def _install_sighup(app: App) -> None:
    """SIGHUP → the same reload as /reload, run as an application task (so a stop waits
    for it). Installed from ``post_init``, once the event loop runs."""
    previous = app.post_init

    async def post_init(application: App) -> None:
        if previous is not None:
            await previous(application)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, AttributeError, ValueError):
            loop.add_signal_handler(
                signal.SIGHUP, lambda: application.create_task(_reload_on_signal(application))
            )

    app.post_init = post_init


def _install_self_check(app: App) -> None:
    """Once the bot runs, check the live base in a child process (unless this version was
    checked before); collisions are logged and sent to the admins."""
    previous = app.post_init

    async def post_init(application: App) -> None:
        if previous is not None:
            await previous(application)
        if application.bot_data.checks is not None:
            application.bot_data.checks.start()

    app.post_init = post_init


async def _reload_on_signal(app: App) -> None:
    from bot.engine import ReloadAbandoned
    from bot.knowledge import KnowledgeError
    from bot.telegram.admin import reload_knowledge

    log.info("SIGHUP: reloading the knowledge base")
    try:
        await reload_knowledge(app.bot_data.engine, app)
        if app.bot_data.checks is not None:
            app.bot_data.checks.start()
    except KnowledgeError as exc:
        log.error(
            "SIGHUP reload refused, the old base keeps serving; %d problem(s):\n%s",
            exc.total,
            "\n".join(exc.lines()),
        )
    except ReloadAbandoned as exc:
        log.log(
            logging.WARNING if exc.reason == "stopping" else logging.ERROR,
            "SIGHUP reload abandoned (%s; time limit %g s); the old base keeps serving",
            exc.reason,
            exc.seconds,
        )
    except Exception:
        log.exception("SIGHUP reload failed; the old base keeps serving")
