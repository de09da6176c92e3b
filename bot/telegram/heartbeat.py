"""The heartbeat of a running bot: ``CITEBOT_DATA_DIR/heartbeat.json``, rewritten from the
event loop every ``CITEBOT_HEARTBEAT_INTERVAL`` seconds while the application runs (and,
in polling mode, while it polls).

An asyncio task (PTB's JobQueue needs APScheduler, which is not installed), started by
``post_init`` and cancelled by ``post_shutdown``. It beats only while ``app.running`` (the
loop that hands updates to the handlers is up) and, in polling mode, the updater polls; so
a bot still starting, stopped, crashed or with a blocked event loop leaves the file to age,
and ``citebot health`` (``bot.heartbeat``) says so. Each beat also records the last
successful ``getUpdates`` (polling) and the last handled update: cheap, and what an
operator looks at next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path

from telegram import Update
from telegram.ext import Application, TypeHandler

from bot import heartbeat
from bot.telegram.durable import DurableBot

log = logging.getLogger(__name__)

GROUP = 901  # handler group of the "an update was handled" note: after every answering one
STARTING_POLL = 0.25  # seconds between looks at a starting application


class Heartbeat:
    """Beats into ``path`` every ``interval`` seconds while ``app`` runs."""

    def __init__(self, app: Application, path: Path, interval: float) -> None:  # type: ignore[type-arg]
        self.app = app
        self.path = path
        self.interval = interval
        self.last_update_at: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._failing = False  # one WARNING per run of failed writes, not one per beat
        self._polled = False  # the updater has been seen polling: polling mode
        app.add_handler(TypeHandler(Update, self._note_update), group=GROUP)

    async def _note_update(self, update: Update, context: object) -> None:
        self.last_update_at = time.time()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="heartbeat")

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def alive(self) -> bool:
        """The application hands updates to the handlers and, once it has polled, is still
        polling (in webhook mode the updater never runs)."""
        polling = self.app.updater is not None and self.app.updater.running
        self._polled = self._polled or polling
        return self.app.running and (polling or not self._polled)

    async def _run(self) -> None:
        while True:
            if self.alive():
                self.beat()
                await asyncio.sleep(self.interval)
            else:  # starting (or stopping): beat as soon as updates flow
                await asyncio.sleep(min(self.interval, STARTING_POLL))

    def beat(self) -> None:
        """Write one heartbeat now; a failure (full disk, read-only directory) is logged."""
        updater = self.app.updater
        bot = self.app.bot
        beat = heartbeat.Beat(
            pid=os.getpid(),
            mode="polling" if updater is not None and updater.running else "webhook",
            written_at=time.time(),
            last_poll_at=bot.last_poll_at if isinstance(bot, DurableBot) else None,
            last_update_at=self.last_update_at,
        )
        try:
            heartbeat.write(self.path, beat)
        except OSError as exc:
            if not self._failing:
                log.warning("cannot write the heartbeat %s: %s", self.path, exc.strerror or exc)
            self._failing = True
            return
        if self._failing:
            log.info("heartbeat written again")
        self._failing = False
