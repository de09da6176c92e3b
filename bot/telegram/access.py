"""Who may use the admin commands: the numeric user ids in ``CITEBOT_ADMIN_IDS``.

Only numeric ids count: usernames can be changed and taken over, ids cannot. The gate is
:func:`admin_filter` on the admin commands' handlers (``bot.telegram.app``); everyone else
sending an admin command reaches one refusing handler.
"""

from __future__ import annotations

from telegram.ext import filters

from bot.settings import Settings

ADMIN_COMMANDS = ("reload", "stats", "unanswered", "review")


def is_admin(user_id: int | None, settings: Settings) -> bool:
    """True if ``user_id`` is one of the configured admins (never for an unknown sender)."""
    return user_id is not None and not isinstance(user_id, bool) and user_id in settings.admin_ids


def admin_filter(settings: Settings) -> filters.User:
    """Messages sent by a configured admin (none pass when no admin is configured)."""
    return filters.User(user_id=settings.admin_ids)
