"""Building the production ``telegram.ext.Application``: handlers, limits, command menu.

``build_application`` is what ``citebot run`` uses and what the end-to-end tests drive
against a fake Bot API server (``TELEGRAM_API_BASE_URL``): every request goes through
``base_url``. What the handlers share sits in ``app.bot_data``, a typed
:class:`~bot.telegram.context.BotData` (settings, engine, store, flood guards, username).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.engine import Engine
from bot.feedback import FeedbackStore
from bot.inbox import Inbox
from bot.prefs import PrefsStore
from bot.settings import Settings
from bot.stats import StatsStore
from bot.telegram import admin, callbacks, handlers, language, sharing
from bot.telegram.access import ADMIN_COMMANDS, admin_filter
from bot.telegram.checks import BackgroundCheck, tell_admins
from bot.telegram.context import CONTEXT_TYPES, App
from bot.telegram.durable import DurableBot, mark_done, replay_pending
from bot.telegram.flood import FloodGuard
from bot.telegram.heartbeat import Heartbeat
from bot.telegram.logsetup import install_redaction
from bot.telegram.request import RetryingRequest, UpdateIdProcessor
from bot.telegram.review_reminder import ReviewReminder
from bot.telegram.texts import COMMANDS

log = logging.getLogger(__name__)

MAX_RETRIES = 0  # the limiter only throttles: RetryingRequest retries 429s (and 5xx, resets)
DONE_GROUP = 900  # handler group of mark_done: after every handler that answers
CONCURRENT_UPDATES = 8  # a slow handler does not hold up the others; more only adds HTTP pool churn
FLOOD_LIMIT, FLOOD_WINDOW = 5, 10.0  # messages per seconds per user
BUTTON_LIMIT = 12  # button presses per FLOOD_WINDOW per user (browsing takes several)
INLINE_LIMIT = 20  # inline queries per FLOOD_WINDOW per user (one comes as the reader types)

PRIVATE_COMMANDS = ("start", "topics", "source", "privacy", "language", "help")
GROUP_COMMANDS = ("ask", "topics", "source", "privacy", "language", "help")

_DEFAULT: Any = object()

# Every message the bot sends or edits is HTML (``render`` escapes what it echoes) and has no
# link preview: PTB fills both into each sendMessage/editMessageText request.
DEFAULTS = Defaults(
    parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
)

# New messages only: edited messages, channel posts and other kinds reach no handler.
NEW = filters.UpdateType.MESSAGE
CHATS = filters.ChatType.PRIVATE | filters.ChatType.GROUPS
MEDIA = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.Document.ALL
    | filters.LOCATION
    | filters.CONTACT
    | filters.POLL
    | filters.Dice.ALL
    | filters.VENUE
)


def build_application(
    settings: Settings,
    engine: Engine,
    store: StatsStore,
    *,
    inbox: Inbox | None = None,
    feedback: FeedbackStore | None = None,
    prefs: PrefsStore | None = None,
    rate_limiter: BaseRateLimiter | None = _DEFAULT,
    request: BaseRequest | None = None,
    flood: FloodGuard | None = None,
    button_flood: FloodGuard | None = None,
) -> App:
    """The bot's Application, wired to ``settings.api_base_url``.

    ``inbox`` (``citebot run`` always gives one) stores every update before it is
    confirmed and replays what was never answered (``bot.telegram.durable``).
    ``feedback`` (``citebot run`` always gives one) records readers' taps on suggestions
    and their 👍/👎 on answers (``bot.feedback``); without it they are acknowledged only.
    ``prefs`` (``citebot run`` always gives one) keeps readers' ``/language`` choices
    (``bot.prefs``); without it the choice buttons are refused and the language is automatic.
    ``rate_limiter`` defaults to ``AIORateLimiter(max_retries=0)`` (throttling to Telegram's
    flood limits); pass ``None`` to disable (benchmarks). ``request`` (every request but
    getUpdates) defaults to a :class:`~bot.telegram.request.RetryingRequest`, which retries
    transient failures and 429s for up to a minute. ``flood`` defaults to 5 messages per
    10 s per user, ``button_flood`` to 12 button presses per 10 s.
    """
    install_redaction(settings.token, settings.webhook_secret)
    if rate_limiter is _DEFAULT:
        rate_limiter = AIORateLimiter(max_retries=MAX_RETRIES)
    bot = DurableBot(
        settings.token,
        base_url=f"{settings.api_base_url}/bot",
        base_file_url=f"{settings.api_base_url}/file/bot",
        request=request if request is not None else RetryingRequest(),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        defaults=DEFAULTS,
        rate_limiter=rate_limiter,
        inbox=inbox,
    )
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(UpdateIdProcessor(CONCURRENT_UPDATES))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    app: App = builder.build()
    data = app.bot_data
    data.settings, data.engine, data.store, data.inbox = settings, engine, store, inbox
    data.feedback, data.prefs = feedback, prefs
    data.flood = flood if flood is not None else FloodGuard(FLOOD_LIMIT, FLOOD_WINDOW)
    data.button_flood = (
        button_flood if button_flood is not None else FloodGuard(BUTTON_LIMIT, FLOOD_WINDOW)
    )
    data.inline_flood = FloodGuard(INLINE_LIMIT, FLOOD_WINDOW)
    if engine.cache is not None:  # full self-checks after reloads (and start-up: runner)
        data.checks = BackgroundCheck(engine, partial(tell_admins, app.bot, settings.admin_ids))
    data.heartbeat = Heartbeat(app, settings.heartbeat_path, settings.heartbeat_interval)
    data.review_reminder = ReviewReminder.build(app, settings, feedback, prefs)
    add_handlers(app)
    return app


def add_handlers(app: App) -> None:
    """Register every handler and the global error handler."""
    command = {
        "start": handlers.on_start,
        "help": handlers.on_help,
        "topics": handlers.on_topics,
        "source": handlers.on_source,
        "privacy": handlers.on_privacy,
        "ask": handlers.on_ask,
        "language": language.on_language,
    }
    # /start <payload>: a shared answer's link (bot.telegram.sharing); plain /start below
    app.add_handler(
        CommandHandler("start", sharing.on_shared_start, filters=NEW & CHATS, has_args=True)
    )
    for name, callback in command.items():
        # CommandHandler accepts /name and /name@ThisBot, and ignores /name@OtherBot.
        app.add_handler(CommandHandler(name, callback, filters=NEW & CHATS))
    # The admin gate: admin commands run only for admins; anyone else gets the refusal.
    admins = admin_filter(app.bot_data.settings)
    admin_command = {
        "reload": admin.on_reload,
        "stats": admin.on_stats,
        "unanswered": admin.on_unanswered,
        "review": admin.on_review,
    }
    for name, callback in admin_command.items():
        app.add_handler(CommandHandler(name, callback, filters=NEW & CHATS & admins))
    app.add_handler(CommandHandler(tuple(admin_command), admin.on_refused, filters=NEW & CHATS))
    app.add_handler(MessageHandler(NEW & CHATS & filters.TEXT & ~filters.COMMAND, handlers.on_text))
    app.add_handler(
        MessageHandler(
            NEW & filters.ChatType.PRIVATE & filters.COMMAND, handlers.on_unknown_command
        )
    )
    app.add_handler(MessageHandler(NEW & filters.ChatType.PRIVATE & MEDIA, handlers.on_media))
    # One handler per kind of button, chosen by the data's prefix; anything else (forged or
    # retired data) reaches the last one, which answers with a polite notice.
    for callback, pattern in (
        (handlers.on_entry_button, callbacks.ENTRY_PATTERN),
        (handlers.on_section_button, callbacks.SECTION_PATTERN),
        (handlers.on_sections_button, callbacks.SECTIONS_PATTERN),
        (handlers.on_feedback_button, callbacks.FEEDBACK_PATTERN),
        (admin.on_review_button, callbacks.REVIEW_PATTERN),  # refuses non-admins itself
        (language.on_language_button, callbacks.LANGUAGE_PATTERN),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    app.add_handler(CallbackQueryHandler(handlers.on_unknown_button))
    app.add_handler(InlineQueryHandler(sharing.on_inline_query))  # @thebot 问题 in any chat
    app.add_handler(TypeHandler(Update, mark_done), group=DONE_GROUP)
    app.add_error_handler(handlers.on_error)


def _commands(names: tuple[str, ...], lang: str) -> list[BotCommand]:
    return [BotCommand(name, COMMANDS[name][lang]) for name in names]  # type: ignore[index]


async def set_commands(app: App) -> None:
    """The command menu, per scope (private chats, groups, each admin's private chat) and
    language (English by default, Chinese for ``zh`` clients). Failures are logged only:
    an admin who never opened a chat with the bot makes Telegram answer "chat not found"."""
    settings = app.bot_data.settings
    plans: list[tuple[BotCommandScope, tuple[str, ...]]] = [
        (BotCommandScopeAllPrivateChats(), PRIVATE_COMMANDS),
        (BotCommandScopeAllGroupChats(), GROUP_COMMANDS),
    ]
    plans += [
        (BotCommandScopeChat(admin), PRIVATE_COMMANDS + ADMIN_COMMANDS)
        for admin in sorted(settings.admin_ids)
    ]
    for scope, names in plans:
        for language_code, lang in ((None, "en"), ("zh", "zh")):
            try:
                await app.bot.set_my_commands(
                    _commands(names, lang), scope=scope, language_code=language_code
                )
            except TelegramError as exc:
                log.warning("could not set the %s command menu (%s): %s", scope.type, lang, exc)


async def post_init(app: App) -> None:
    """After ``initialize()`` (which fetched the bot with getMe): remember the username and
    set the command menu. ``run_polling``/``run_webhook`` call this; tests may too."""
    app.bot_data.username = app.bot.username
    log.info("bot @%s ready", app.bot.username)
    await set_commands(app)
    await replay_pending(app)
    if app.bot_data.heartbeat is not None:
        app.bot_data.heartbeat.start()
    if app.bot_data.review_reminder is not None:
        app.bot_data.review_reminder.start()


async def post_stop(app: App) -> None:
    """After ``stop()``, while the bot's connection is still open: stop the review reminder
    (a look in progress finishes its sends first)."""
    if app.bot_data.review_reminder is not None:
        await app.bot_data.review_reminder.stop()


async def post_shutdown(app: App) -> None:
    """Stop the heartbeat, the review reminder and a running self-check; flush and close
    the statistics, the feedback and language stores and the inbox (in-flight handlers
    have finished by now)."""
    if app.bot_data.heartbeat is not None:
        await app.bot_data.heartbeat.stop()
    if app.bot_data.review_reminder is not None:
        await app.bot_data.review_reminder.stop()
    if app.bot_data.checks is not None:
        await app.bot_data.checks.stop()
    await app.bot_data.store.aclose()
    if app.bot_data.feedback is not None:
        await app.bot_data.feedback.aclose()
    if app.bot_data.prefs is not None:
        await app.bot_data.prefs.aclose()
    if app.bot_data.inbox is not None:
        app.bot_data.inbox.close()
    log.info("statistics flushed")
