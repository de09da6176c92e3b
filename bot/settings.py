"""Configuration of the Telegram bot, read from environment variables.

Pure: no Telegram import. ``Settings.from_env`` validates everything up front and raises
:class:`SettingsError` with one readable line (never containing the token or the secret),
so a misconfigured service stops at start-up instead of half-running.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot import heartbeat, review_reminder
from bot.paths import default_data_dir, default_knowledge_dir

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_API_BASE_URL = "https://api.telegram.org"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A configuration problem, described in one line fit for stderr."""


def mask_token(token: str) -> str:
    """``123456:AAE...`` → ``123456:***`` (the bot id is public, the rest is the secret)."""
    if not token:
        return "''"
    bot_id, sep, _ = token.partition(":")
    return f"{bot_id}:***" if sep and bot_id.isdigit() else "***"


@dataclass(frozen=True)
class Settings:
    """Everything ``citebot run`` needs. ``repr()`` masks the token and the webhook secret."""

    token: str = field(repr=False)
    admin_ids: frozenset[int] = frozenset()
    knowledge_dir: Path = field(default_factory=default_knowledge_dir)
    data_dir: Path = field(default_factory=default_data_dir)
    api_base_url: str = DEFAULT_API_BASE_URL
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_path: str = "/telegram"
    log_level: str = "INFO"
    heartbeat_interval: float = heartbeat.DEFAULT_INTERVAL  # seconds between two beats
    review_reminder_hours: float = review_reminder.DEFAULT_HOURS  # 0: no reminders

    def __repr__(self) -> str:
        secret = "***" if self.webhook_secret else None
        return (
            f"Settings(token={mask_token(self.token)!r}, admin_ids={sorted(self.admin_ids)!r}, "
            f"knowledge_dir={str(self.knowledge_dir)!r}, data_dir={str(self.data_dir)!r}, "
            f"api_base_url={self.api_base_url!r}, webhook_url={self.webhook_url!r}, "
            f"webhook_listen={self.webhook_listen!r}, webhook_port={self.webhook_port!r}, "
            f"webhook_secret={secret!r}, webhook_path={self.webhook_path!r}, "
            f"log_level={self.log_level!r}, heartbeat_interval={self.heartbeat_interval!r}, "
            f"review_reminder_hours={self.review_reminder_hours!r})"
        )

    __str__ = __repr__

    @property
    def stats_path(self) -> Path:
        """The SQLite database of question statistics."""
        return self.data_dir / "stats.sqlite3"

    @property
    def learned_path(self) -> Path:
        """The overlay of learned question variants (``bot.learned``), merged at load."""
        return self.data_dir / "learned.yaml"

    @property
    def feedback_path(self) -> Path:
        """The SQLite database of what readers' taps and votes teach (``bot.feedback``)."""
        return self.data_dir / "feedback.sqlite3"

    @property
    def prefs_path(self) -> Path:
        """Readers' language choices (``/language``)."""
        return self.data_dir / "prefs.sqlite3"

    @property
    def inbox_path(self) -> Path:
        """The SQLite database of updates received and not yet answered."""
        return self.data_dir / "inbox.sqlite3"

    @property
    def heartbeat_path(self) -> Path:
        """The running bot's heartbeat (``bot.heartbeat``), read by ``citebot health``."""
        return self.data_dir / heartbeat.FILE

    @property
    def review_reminder_path(self) -> Path:
        """When the admins were last reminded of the review queue (``bot.review_reminder``)."""
        return self.data_dir / review_reminder.FILE

    @property
    def review_reminder_interval(self) -> float:
        """Seconds between two reminders of the review queue; 0: no reminders."""
        return self.review_reminder_hours * 3600.0

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    def require_webhook(self) -> None:
        """Raise ``SettingsError`` unless everything ``run --webhook`` needs is set."""
        if not self.webhook_url:
            raise SettingsError(
                "CITEBOT_WEBHOOK_URL is required with --webhook "
                "(the public HTTPS URL Telegram posts updates to)"
            )
        if not self.webhook_secret:
            raise SettingsError(
                "CITEBOT_WEBHOOK_SECRET is required with --webhook "
                "(1-256 characters of A-Z a-z 0-9 _ -)"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read and validate the configuration; raise ``SettingsError`` on the first problem."""

        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        return cls(
            token=_token(env),
            admin_ids=parse_admin_ids(get("CITEBOT_ADMIN_IDS")),
            knowledge_dir=Path(get("CITEBOT_KNOWLEDGE_DIR") or default_knowledge_dir()),
            data_dir=Path(get("CITEBOT_DATA_DIR") or default_data_dir()),
            api_base_url=_url(
                "TELEGRAM_API_BASE_URL", get("TELEGRAM_API_BASE_URL") or DEFAULT_API_BASE_URL
            ).rstrip("/"),
            webhook_url=_url("CITEBOT_WEBHOOK_URL", get("CITEBOT_WEBHOOK_URL")) or None,
            webhook_listen=get("CITEBOT_WEBHOOK_LISTEN") or "0.0.0.0",
            webhook_port=_port(get("CITEBOT_WEBHOOK_PORT")),
            webhook_secret=_secret(get("CITEBOT_WEBHOOK_SECRET")),
            webhook_path=_path(get("CITEBOT_WEBHOOK_PATH")),
            log_level=_log_level(get("CITEBOT_LOG_LEVEL")),
            heartbeat_interval=_heartbeat_interval(get("CITEBOT_HEARTBEAT_INTERVAL")),
            review_reminder_hours=_reminder_hours(get("CITEBOT_REVIEW_REMINDER_HOURS")),
        )


def _token(env: Mapping[str, str]) -> str:
    token = (env.get("TELEGRAM_BOT_TOKEN") or "").strip()
    source = "TELEGRAM_BOT_TOKEN"
    if not token:
        file_name = (env.get("TELEGRAM_BOT_TOKEN_FILE") or "").strip()
        if not file_name:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set (nor TELEGRAM_BOT_TOKEN_FILE); "
                "get a token from @BotFather"
            )
        try:
            token = Path(file_name).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
            raise SettingsError(
                f"TELEGRAM_BOT_TOKEN_FILE {file_name!r} cannot be read: {reason}"
            ) from None
        source = f"the token in TELEGRAM_BOT_TOKEN_FILE {file_name!r}"
        if not token:
            raise SettingsError(f"TELEGRAM_BOT_TOKEN_FILE {file_name!r} is empty")
    if not TOKEN_RE.fullmatch(token):
        raise SettingsError(
            f"{source} does not look like a bot token "
            "(expected <digits>:<30 or more of A-Z a-z 0-9 _ ->, as @BotFather gives it)"
        )
    return token


def parse_admin_ids(raw: str) -> frozenset[int]:
    """``"1, 2 3"`` → ``{1, 2, 3}``; a username or any non-numeric value is an error."""
    ids: set[int] = set()
    for item in re.split(r"[\s,;]+", raw.strip()):
        if not item:
            continue
        if not item.isascii() or not item.isdigit():
            raise SettingsError(
                f"CITEBOT_ADMIN_IDS: {item!r} is not a numeric Telegram user id "
                "(use ids such as 123456789, not usernames)"
            )
        ids.add(int(item))
    return frozenset(ids)


def _url(name: str, value: str) -> str:
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name}: {value!r} is not an http(s) URL")
    return value


def _port(value: str) -> int:
    if not value:
        return 8443
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SettingsError(f"CITEBOT_WEBHOOK_PORT: {value!r} is not a port number (1-65535)")
    return int(value)


def _secret(value: str) -> str | None:
    if not value:
        return None
    if not SECRET_RE.fullmatch(value):
        why = "is longer than 256 characters" if len(value) > 256 else "has other characters"
        raise SettingsError(
            f"CITEBOT_WEBHOOK_SECRET {why}; Telegram allows 1-256 characters of A-Z a-z 0-9 _ -"
        )
    return value


def _path(value: str) -> str:
    if not value:
        return "/telegram"
    if any(c.isspace() for c in value) or "?" in value or "#" in value:
        raise SettingsError(f"CITEBOT_WEBHOOK_PATH: {value!r} is not a URL path")
    return value if value.startswith("/") else f"/{value}"


def _log_level(value: str) -> str:
    level = (value or "INFO").upper()
    if level == "WARN":
        level = "WARNING"
    if level not in LOG_LEVELS:
        raise SettingsError(f"CITEBOT_LOG_LEVEL: {value!r} is not one of {', '.join(LOG_LEVELS)}")
    return level


def _heartbeat_interval(value: str) -> float:
    try:
        return heartbeat.parse_interval(value)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _reminder_hours(value: str) -> float:
    try:
        return review_reminder.parse_hours(value)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
