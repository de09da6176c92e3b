"""Logging for the bot: levels, format, and a filter that keeps secrets and readers' data
out of every line.

httpx logs each request URL (``.../bot<TOKEN>/getUpdates``) at INFO and exceptions can
carry URLs too, so besides quieting ``httpx``/``httpcore`` a :class:`RedactingFilter` sits
on every root handler and rewrites each record (message, arguments, traceback) with the
token, the webhook secret and anything shaped like ``bot<digits>:<token>`` masked.

No line at INFO or above may carry a reader's name, username or question: the bot's own
log calls name updates by id only, and the same filter withholds the Telegram data that
PTB passes to some of its ERROR/CRITICAL lines ("Error while building CallbackContext for
update %s", "Error while parsing updates! Received data was %r", the webhook's "Received
data was: %r", "Can not load invalid JSON data"): an ``Update`` or any other Telegram
object, raw update dicts and lists, bytes, and that last line's payload become a short
stand-in (``<Update 17: withheld>``). DEBUG lines are left alone: PTB logs every update
and request there, so a bot run at DEBUG logs readers' messages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from telegram import TelegramObject

# "bot123:AAE..." inside URLs, and bare "123:AAE..." tokens anywhere.
_URL_TOKEN_RE = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
_BARE_TOKEN_RE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}")
QUIET_LOGGERS = ("httpx", "httpcore")
# PTB lines whose string arguments are raw answers from the Bot API (may quote messages).
_PAYLOAD_MESSAGES = ("Can not load invalid JSON data",)
# AIORateLimiter(max_retries=0)'s line when a RetryAfter reaches it: the request layer has
# retried for its whole budget and logged one WARNING already (bot.telegram.request).
_LIMITER_LOGGER = "telegram.ext.AIORateLimiter"
_LIMITER_GAVE_UP = "Rate limit hit after maximum of %d retries"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with ``secrets`` and anything token-shaped replaced by ``<redacted>``."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "<redacted>")
    text = _URL_TOKEN_RE.sub("bot<redacted>", text)
    return _BARE_TOKEN_RE.sub("<redacted>", text)


def withhold(arg: Any) -> Any:
    """``arg`` itself, or a short stand-in if it carries Telegram data (an ``Update``, a
    ``Message``…, a raw update dict or list of them, bytes)."""
    if isinstance(arg, TelegramObject):
        update_id = getattr(arg, "update_id", None)
        return f"<{type(arg).__name__}{'' if update_id is None else f' {update_id}'}: withheld>"
    if isinstance(arg, Mapping):
        update_id = arg.get("update_id")
        return f"<update {update_id}: withheld>" if update_id is not None else "<data withheld>"
    if isinstance(arg, (list, tuple, set, frozenset)):
        if not any(isinstance(a, (Mapping, TelegramObject, list, tuple)) for a in arg):
            return arg
        ids = [str(a["update_id"]) for a in arg if isinstance(a, Mapping) and "update_id" in a]
        return f"<{len(arg)} item(s) withheld{': updates ' + ', '.join(ids) if ids else ''}>"
    if isinstance(arg, (bytes, bytearray)):
        return f"<{len(arg)} bytes withheld>"
    return arg


def _withhold_args(record: logging.LogRecord) -> None:
    """Replace the arguments of ``record`` that carry Telegram data (INFO and above)."""
    args = record.args
    if record.levelno < logging.INFO or not args:
        return
    if isinstance(args, Mapping):  # logging unpacks a lone mapping argument
        if isinstance(record.msg, str) and "%(" in record.msg:
            record.args = {k: withhold(v) for k, v in args.items()}
        else:
            record.args = (withhold(args),)
        return
    payload_line = isinstance(record.msg, str) and record.msg.startswith(_PAYLOAD_MESSAGES)
    record.args = tuple(
        f"<{len(a)} characters withheld>" if payload_line and isinstance(a, str) else withhold(a)
        for a in args
    )


class RedactingFilter(logging.Filter):
    """Rewrites each record so that no formatted line can contain a secret, nor (at INFO and
    above) Telegram data PTB passes as an argument."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("citebot-redact")
        self.secrets: set[str] = {s for s in secrets if s}
        self._formatter = logging.Formatter()

    def add(self, *secrets: str | None) -> None:
        self.secrets.update(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        _withhold_args(record)
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


class _LimiterDuplicate(logging.Filter):
    """Drops AIORateLimiter's "after maximum of 0 retries" ERROR (see ``_LIMITER_GAVE_UP``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.msg == _LIMITER_GAVE_UP and record.args == (0,))


def install_redaction(*secrets: str | None) -> RedactingFilter:
    """Put (or update) one :class:`RedactingFilter` on every handler of the root logger,
    quiet the HTTP client loggers and drop the rate limiter's duplicate line. Safe to call
    repeatedly."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    limiter = logging.getLogger(_LIMITER_LOGGER)
    if not any(isinstance(f, _LimiterDuplicate) for f in limiter.filters):
        limiter.addFilter(_LimiterDuplicate())
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
