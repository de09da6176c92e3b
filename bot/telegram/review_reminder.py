"""Reminding the admins that readers' taps and votes wait for ``/review``.

An asyncio task, like :mod:`bot.telegram.heartbeat`: started by ``post_init``, cancelled by
``post_shutdown`` (before the feedback store closes). While the application runs it looks
at the review queue shortly after start, then every ``CITEBOT_REVIEW_REMINDER_HOURS`` (at
most every 10 minutes); when a reminder is due (:mod:`bot.review_reminder`: something new
waits and the interval has passed) each admin gets a short private message: how many
pairs wait, how many are new since the last reminder, and ``/review``. Counts only: the
questions are for ``/review`` to show.

Language: the admin's ``/language`` choice (Chinese or English, in simplified characters,
as for the admin commands); without one, English, like the other messages the bot sends
admins unasked (self-check and error reports): with no update there is no Telegram
language to go by.

Sending never raises: each admin is tried once (through the bot's request layer, which
retries a failing request for up to a minute) and a failure is one WARNING line. The state
is saved only if at least one admin got the message, so a reminder nobody received is
tried again at the next look.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from telegram import Bot
from telegram.ext import Application

from bot.feedback import FeedbackStore
from bot.model import Lang
from bot.prefs import PrefsStore
from bot.reader_lang import decide
from bot.review_reminder import Queue, Reminders, covered
from bot.settings import Settings
from bot.telegram.texts import t

log = logging.getLogger(__name__)

FIRST_LOOK = 5.0  # seconds after the application runs (capped by the interval)
STOP_WAIT = 10.0  # seconds a stop waits for a look in progress to finish
STARTING_POLL = 0.25  # seconds between looks at a starting application


def admin_lang(prefs: PrefsStore | None, admin_id: int) -> Lang:
    """The admin's ``/language`` choice between Chinese and English; else English."""
    choice = prefs.get(admin_id) if prefs is not None else None
    return decide(choice, None).lang


def reminder_text(queue: Queue, first: bool, hours: float, lang: Lang) -> str:
    """The reminder as Telegram HTML: how many pairs wait and, after an earlier reminder,
    how many of them are new since it. No reader data."""
    if first:
        text = t("review_reminder", lang, n=queue.count)
    else:
        text = t("review_reminder_new", lang, n=queue.count, new=queue.new)
    return text + t("review_reminder_footer", lang, period=period_text(hours, lang))


def period_text(hours: float, lang: Lang) -> str:
    """"24 小时" / "24 hours", "1 hour", "0.5 hours": the setting as a reader says it."""
    amount = f"{hours:.4f}".rstrip("0").rstrip(".") or "0"  # 0.0002, never 2e-04
    if lang == "zh":
        return f"{amount} 小时"
    return "1 hour" if amount == "1" else f"{amount} hours"


async def send_reminder(
    bot: Bot,
    admin_ids: Iterable[int],
    prefs: PrefsStore | None,
    queue: Queue,
    *,
    first: bool,
    hours: float,
    failing: set[int] | None = None,
) -> int:
    """Send the reminder to each admin once; how many got it. Never raises (but a
    cancellation): a failure is one WARNING line, once per admin until a reminder reaches
    them again (``failing``: the admins already warned about, kept by the caller), so an
    admin who blocked the bot costs one line, not one every look."""
    failing = set() if failing is None else failing
    reached = 0
    for admin in sorted(admin_ids):
        text = reminder_text(queue, first, hours, admin_lang(prefs, admin))
        try:
            await bot.send_message(admin, text, parse_mode="HTML")
        except Exception as exc:  # a TelegramError, or anything else: log and go on
            level = logging.DEBUG if admin in failing else logging.WARNING
            log.log(level, "could not send the review reminder to admin %s: %s", admin, exc)
            failing.add(admin)
        else:
            if admin in failing:
                log.info("the review reminder reached admin %s again", admin)
            failing.discard(admin)
            reached += 1
    return reached


class ReviewReminder:
    """Reminds ``admin_ids`` of the review queue of ``feedback`` while ``app`` runs."""

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        feedback: FeedbackStore,
        reminders: Reminders,
        admin_ids: Iterable[int],
        prefs: PrefsStore | None = None,
    ) -> None:
        self.app = app
        self.feedback = feedback
        self.reminders = reminders
        self.admin_ids = frozenset(admin_ids)
        self.prefs = prefs
        self._task: asyncio.Task[None] | None = None
        self._check: asyncio.Future[bool] | None = None  # a look in progress
        self._failing: set[int] = set()  # admins warned about, until one is reached again

    @classmethod
    def build(
        cls,
        app: Application,  # type: ignore[type-arg]
        settings: Settings,
        feedback: FeedbackStore | None,
        prefs: PrefsStore | None,
    ) -> ReviewReminder | None:
        """The reminder ``settings`` ask for; ``None`` when off (``0`` hours), with no
        admins or with no feedback store (nothing to review)."""
        interval = settings.review_reminder_interval
        if interval <= 0 or not settings.admin_ids or feedback is None:
            return None
        reminders = Reminders(settings.review_reminder_path, interval)
        return cls(app, feedback, reminders, settings.admin_ids, prefs)

    def start(self) -> None:
        if self._task is None or self._task.done():
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run(), name="review-reminder")

    async def stop(self) -> None:
        """Stop looking; a look in progress may finish its sends and save what it sent (up
        to ``STOP_WAIT`` seconds), so a reminder that went out is not sent again."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._check is not None and not self._check.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._check), STOP_WAIT)

    async def _run(self) -> None:
        every = self.reminders.check_every
        while not self.app.running:
            await asyncio.sleep(STARTING_POLL)
        await asyncio.sleep(min(FIRST_LOOK, every))
        while True:
            if self.app.running:
                self._check = asyncio.ensure_future(self._look())
                await asyncio.shield(self._check)  # stop() waits for it, not cancels it
            await asyncio.sleep(every)

    async def _look(self) -> bool:
        try:
            return await self.check()
        except Exception:  # a bug: logged, and the next look comes all the same
            log.exception("the review reminder failed")
            return False

    async def check(self) -> bool:
        """Look at the queue and, if a reminder is due, send it; whether an admin got it."""
        queue = await self.feedback.queue_summary(self.reminders.state.newest_id)
        if queue is None or not self.reminders.due(queue):
            return False
        state = self.reminders.state
        first = state.reminded_at is None or covered(state, queue) == 0  # nothing told yet
        hours = self.reminders.interval / 3600.0
        reached = await send_reminder(
            self.app.bot,
            self.admin_ids,
            self.prefs,
            queue,
            first=first,
            hours=hours,
            failing=self._failing,
        )
        if not reached:
            return False
        self.reminders.sent(queue)
        log.info("reminded %d admin(s) of %d pair(s) waiting for review", reached, queue.count)
        return True
