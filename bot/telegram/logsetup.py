"""Logging for the bot: levels, format, and a filter that keeps the token out of every line.

httpx logs each request URL (``.../bot<TOKEN>/getUpdates``) at INFO and exceptions can
carry URLs too, so besides quieting ``httpx``/``httpcore`` a :class:`RedactingFilter` sits
on every root handler and rewrites each record (message, arguments, traceback) with the
token, the webhook secret and anything shaped like ``bot<digits>:<token>`` masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# "bot123:AAE..." inside URLs, and bare "123:AAE..." tokens anywhere.
_URL_TOKEN_RE = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
_BARE_TOKEN_RE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}")
QUIET_LOGGERS = ("httpx", "httpcore")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with ``secrets`` and anything token-shaped replaced by ``<redacted>``."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "<redacted>")
    text = _URL_TOKEN_RE.sub("bot<redacted>", text)
    return _BARE_TOKEN_RE.sub("<redacted>", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record so that no formatted line can contain a secret."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("citebot-redact")
        self.secrets: set[str] = {s for s in secrets if s}
        self._formatter = logging.Formatter()

    def add(self, *secrets: str | None) -> None:
        self.secrets.update(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        clean = redact(message, self.secrets)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


def install_redaction(*secrets: str | None) -> RedactingFilter:
    """Put (or update) one :class:`RedactingFilter` on every handler of the root logger and
    quiet the HTTP client loggers. Safe to call repeatedly."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    root = logging.getLogger()
    shared: RedactingFilter | None = None
    for handler in root.handlers:
        shared = next((f for f in handler.filters if isinstance(f, RedactingFilter)), shared)
    shared = shared or RedactingFilter()
    shared.add(*secrets)
    for handler in root.handlers:
        if shared not in handler.filters:
            handler.addFilter(shared)
    return shared


def configure_logging(level: int | str, *secrets: str | None) -> RedactingFilter:
    """Log to stderr at ``level`` with timestamps, every line redacted."""
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return install_redaction(*secrets)
