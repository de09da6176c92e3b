"""Admin access control: numeric ids from CITEBOT_ADMIN_IDS only."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Chat, Message, Update, User

from bot.settings import Settings
from bot.telegram.access import admin_filter, is_admin

TOKEN = "42:FakeTokenForTestsOnly_xyzXYZ0123456"


def settings(admins: str) -> Settings:
    return Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "CITEBOT_ADMIN_IDS": admins})


def test_configured_ids_are_admins() -> None:
    s = settings("111, 222 333")
    assert is_admin(111, s)
    assert is_admin(222, s)
    assert is_admin(333, s)


def test_other_users_are_not_admins() -> None:
    s = settings("111")
    assert not is_admin(112, s)
    assert not is_admin(0, s)
    assert not is_admin(-111, s)  # a group id with the same digits is not the admin


def test_unknown_sender_is_never_admin() -> None:
    assert not is_admin(None, settings("111"))


def test_no_admins_configured_means_nobody() -> None:
    s = settings("")
    assert s.admin_ids == frozenset()
    assert not is_admin(111, s)
    assert not is_admin(1, s)


def test_bool_is_not_an_id() -> None:
    # True == 1 in Python; a sloppy caller must not make user 1 an admin by accident
    assert not is_admin(True, settings("1"))  # type: ignore[arg-type]
    assert is_admin(1, settings("1"))


def _command_from(user_id: int) -> Update:
    user = User(user_id, "Reader", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    return Update(1, message=Message(1, datetime.now(UTC), chat, from_user=user, text="/stats"))


def test_admin_filter_is_the_same_gate() -> None:
    gate = admin_filter(settings("111, 222"))
    assert gate.check_update(_command_from(111))
    assert gate.check_update(_command_from(222))
    assert not gate.check_update(_command_from(112))
    assert not admin_filter(settings("")).check_update(_command_from(111))
