"""Updates are never lost and never poison the bot (the durable inbox, ``bot.inbox``).

``DurableBot`` screens every ``getUpdates`` answer before python-telegram-bot parses it:

- an update it cannot read (a message without a date, a ``message`` that is a string...)
  becomes an empty ``Update`` with the same id: PTB then confirms it with the next offset
  and no handler reacts to it. One WARNING line with the update id, no user data. Without
  this, PTB fails on the whole batch and fetches it again, forever, answering no one;
- the readable ones are stored in the inbox *before* PTB confirms them (the next
  ``getUpdates`` carries the offset past them); a duplicate (an id stored before) becomes an
  empty update too.

``mark_done`` (registered last) marks each update done once every handler ran, and
``replay_pending`` puts what was stored but never answered (the bot was killed) back in the
queue at start-up, before polling begins.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

from bot.inbox import Inbox
from bot.telegram.context import App, Context

log = logging.getLogger(__name__)


class DurableBot(ExtBot[None]):
    """An ``ExtBot`` whose ``getUpdates`` results are screened and stored (see module)."""

    __slots__ = ("_inbox", "_last_poll_at")

    def __init__(self, *args: Any, inbox: Inbox | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox = inbox  # PTB freezes a bot's public attributes
        self._last_poll_at: float | None = None

    @property
    def inbox(self) -> Inbox | None:
        return self._inbox

    @property
    def last_poll_at(self) -> float | None:
        """``time.time()`` of the last successful getUpdates (for the heartbeat)."""
        return self._last_poll_at

    async def _post(self, endpoint: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            self._last_poll_at = time.time()
            return self.screen(result)
        return result

    def screen(self, raw_updates: list[Any]) -> list[Any]:
        """The batch with unreadable and repeated updates replaced by empty ones; the rest
        stored in the inbox."""
        out: list[Any] = []
        readable: list[int] = []  # positions in ``out`` of the updates to store
        unreadable: list[int] = []
        for raw in raw_updates:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                log.warning("skipped an update without an id")
                continue  # nothing to confirm it by; the offset moves past it with the rest
            try:
                Update.de_json(raw, self)
            except Exception as exc:
                log.warning("update %s cannot be read (%s); skipped", update_id, type(exc).__name__)
                unreadable.append(update_id)
                out.append({"update_id": update_id})
                continue
            readable.append(len(out))
            out.append(raw)
        if self.inbox is not None:
            if unreadable:
                self.inbox.skip(unreadable)
            fresh = self.inbox.accept((out[i]["update_id"], out[i]) for i in readable)
            repeated = [i for i, new in zip(readable, fresh, strict=True) if not new]
            for i in repeated:  # stored before: answered, or queued to be
                out[i] = {"update_id": out[i]["update_id"]}
            if repeated:
                log.info("%d update(s) received again: not answered twice", len(repeated))
        return out


async def mark_done(update: Update, context: Context) -> None:
    """Registered after every other handler: the update is answered (or failed for good).
    An empty update stands for a repeated or unreadable one (``DurableBot.screen``): the
    first copy of a repeated one may still be in hand, so it marks nothing."""
    inbox = context.bot_data.inbox
    if inbox is not None and not _empty(update):
        inbox.done(update.update_id)


def _empty(update: Update) -> bool:
    """Nothing but an id (cheaper than ``to_dict``, which this runs for every update)."""
    return all(getattr(update, kind, None) is None for kind in Update.ALL_TYPES)


async def replay_pending(app: App) -> int:
    """Queue the updates stored but never answered (the last run was killed): they are
    answered first. Returns how many."""
    inbox = app.bot_data.inbox
    if inbox is None:
        return 0
    pending = inbox.pending()
    for update_id, raw in pending:
        try:
            update = Update.de_json(raw, app.bot)
        except Exception as exc:  # stored readable; a newer PTB may disagree
            log.warning("stored update %s cannot be read (%s); skipped", update_id, exc)
            inbox.skip([update_id])
            continue
        await app.update_queue.put(update)
    if pending:
        log.info("answering %d update(s) received before the last stop", len(pending))
    return len(pending)
