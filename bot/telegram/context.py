"""The handlers' typed context: ``context.bot_data`` is a :class:`BotData`, not a dict.

``build_application`` passes :data:`CONTEXT_TYPES` to PTB, so every handler (and the error
handler) gets a :class:`Context` whose ``bot_data`` holds what the handlers share: the
settings, the engine, the statistics and feedback stores and the two flood guards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.engine import Engine
from bot.feedback import FeedbackStore
from bot.inbox import Inbox
from bot.prefs import PrefsStore
from bot.settings import Settings
from bot.stats import StatsStore
from bot.telegram.checks import BackgroundCheck
from bot.telegram.error_digest import ErrorDigest
from bot.telegram.flood import FloodGuard

if TYPE_CHECKING:
    from bot.telegram.heartbeat import Heartbeat
    from bot.telegram.review_reminder import ReviewReminder


@dataclass(eq=False, repr=False)
class BotData:
    """What every handler shares (``context.bot_data``, ``app.bot_data``).

    PTB creates it without arguments when the Application is built (``ContextTypes``
    requires that); :func:`bot.telegram.app.build_application` then sets every field before
    the first update, and ``post_init`` sets ``username`` once getMe has answered.
    """

    settings: Settings = field(init=False)
    engine: Engine = field(init=False)  # its ``kb`` is swapped atomically by /reload
    store: StatsStore = field(init=False)
    flood: FloodGuard = field(init=False)  # messages per user
    button_flood: FloodGuard = field(init=False)  # button presses per user
    inline_flood: FloodGuard | None = None  # inline queries per user (bot.telegram.sharing)
    username: str | None = None  # the bot's @username, without the @
    checks: BackgroundCheck | None = None  # the full self-check after start-up and reloads
    inbox: Inbox | None = None  # every update, stored before it is confirmed
    feedback: FeedbackStore | None = None  # taps and 👍/👎: what questions mean
    prefs: PrefsStore | None = None  # readers' language choices (/language)
    error_digest: ErrorDigest = field(default_factory=ErrorDigest)  # reports to admins
    heartbeat: Heartbeat | None = None  # CITEBOT_DATA_DIR/heartbeat.json while running
    review_reminder: ReviewReminder | None = None  # tells admins when /review has news


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The ``context`` argument of every handler: ``context.bot_data`` is a :class:`BotData`."""


CONTEXT_TYPES = ContextTypes(context=Context, bot_data=BotData)

# The Application type that goes with it (for annotations).
App = Application[ExtBot[None], Context, dict[Any, Any], dict[Any, Any], BotData, Any]
