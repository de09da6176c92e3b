"""Errors that reach the error handler are reported to the admins in a private message.

What is reported: every error but the expected, non-actionable ones: ``Forbidden`` (a
reader blocked the bot or removed it from a group) and network trouble (``NetworkError``,
``TimedOut``, ``RetryAfter``: already retried by ``bot.telegram.request``, and a report
would not get through either). So a bug (any other exception), a request Telegram refused
(``BadRequest``: usually the bot's own fault, e.g. malformed HTML) and other Telegram
errors (``Conflict``: another process polls with the same token) are.

How often: once per kind of error (type and place, :mod:`bot.telegram.error_digest`) per 10
minutes; the errors held back meanwhile are counted in the next report of that kind.

What a report holds: the exception's type, where it was raised (``module:function`` in
``bot``), the update id and the count. Never the exception's message (a ``KeyError`` or
a Telegram description can quote what a reader wrote), never a chat, user or text: the
traceback stays in the log, which holds no reader data either (``on_error``).

Sending never raises back into the error handler: it runs as a task of its own, each
admin is tried once (through the bot's request layer, which gives up on a failing
request within a minute) and a failure is one WARNING line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.telegram.context import Context
from bot.telegram.error_digest import Due, error_kind
from bot.telegram.texts import t

log = logging.getLogger(__name__)

LANG = "en"  # admins' reports, like the self-check's, are in English


def worth_reporting(error: BaseException) -> bool:
    """False for the expected errors (see the module docstring)."""
    if isinstance(error, BadRequest):  # before NetworkError: PTB derives it from that
        return True
    return not isinstance(error, Forbidden | NetworkError | RetryAfter)


def report_to_admins(update: object, context: Context) -> None:
    """Count ``context.error``; if a report of its kind is due, send it to every admin in
    the background. Never raises."""
    try:
        data = context.bot_data
        error = context.error
        if error is None or not data.settings.admin_ids or not worth_reporting(error):
            return
        due = data.error_digest.record(error_kind(error))
        if due is None:
            return
        update_id = update.update_id if isinstance(update, Update) else None
        text = report_text(due, update_id, data.error_digest.interval)
        context.application.create_task(
            send_report(context.bot, data.settings.admin_ids, text), name="error-report"
        )
    except Exception:  # a report must never break the error handler
        log.exception("could not prepare the error report for the admins")


def report_text(due: Due, update_id: int | None, interval: float) -> str:
    """The report as Telegram HTML: type, place, update id and count; no reader data."""
    text = t("error_report", LANG, error=due.kind.error, where=due.kind.where)
    if update_id is not None:
        text += t("error_report_update", LANG, id=update_id)
    if due.suppressed:
        minutes = round((due.since_last or 0.0) / 60)
        text += t("error_report_repeats", LANG, n=due.suppressed, minutes=minutes)
    return text + t("error_report_footer", LANG, minutes=round(interval / 60))


async def send_report(bot: Bot, admin_ids: Iterable[int], text: str) -> None:
    """Send ``text`` to each admin once; a failure is logged, never raised or retried."""
    for admin in sorted(admin_ids):
        try:
            await bot.send_message(admin, text, parse_mode="HTML")
        except Exception as exc:  # a TelegramError, or anything else: log and go on
            log.warning("could not send the error report to admin %s: %s", admin, exc)
