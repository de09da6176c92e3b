"""Who may use the admin commands: the numeric user ids in ``CITEBOT_ADMIN_IDS``.

Only numeric ids count: usernames can be changed and taken over, ids cannot.
"""

from __future__ import annotations

from bot.settings import Settings

ADMIN_COMMANDS = ("reload", "stats", "unanswered")


def is_admin(user_id: int | None, settings: Settings) -> bool:
    """True if ``user_id`` is one of the configured admins (never for an unknown sender)."""
    return user_id is not None and not isinstance(user_id, bool) and user_id in settings.admin_ids
