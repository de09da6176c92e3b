"""What readers' taps and votes teach: learning pairs in an embedded SQLite database.

Pure: no Telegram import. A *pair* is ``(question, entry id, kind)``, counted, with the
time it was last seen:

- ``tap``: a reader asked the question and pressed the suggestion for the entry ("the
  question means this entry");
- ``up``: 👍 on the entry's answer to the question (it means this entry);
- ``down``: 👎 on it (the question does not mean this entry).

Questions are kept as :func:`bot.stats.normalize_text` makes them (at most 1000
characters). Nothing about who asked or pressed is stored with the pairs: no user id, no
chat id. To connect a press to its question, the store remembers, for each message the bot
sent with choice or feedback buttons, the question that message answered, keyed by chat id
and message id; that mapping is the only place a chat id is kept, and it is deleted after
``REMEMBER_DAYS`` (2) days, or as soon as the press it was kept for has been recorded.

As in :mod:`bot.stats`: all SQLite work runs in one dedicated worker thread in submission
order; writes are queued and written together in one transaction; async methods await
that thread and the ``*_sync`` twins block (scripts and tests); ``close()`` waits for the
queued writes, checkpoints the WAL and closes the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

from bot.review_reminder import Queue
from bot.sqlite_worker import SqliteWorker
from bot.stats import normalize_text

log = logging.getLogger(__name__)

T = TypeVar("T")

Kind = Literal["tap", "up", "down"]
KINDS: tuple[Kind, ...] = ("tap", "up", "down")
REMEMBER_DAYS = 2  # how long a bot message's question is kept to connect a press to it
PRUNE_EVERY = 3600.0  # seconds between prunings of expired questions while running

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pairs (
    question  TEXT NOT NULL,
    entry_id  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    count     INTEGER NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (question, entry_id, kind)
);
CREATE TABLE IF NOT EXISTS asked (
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    question   TEXT NOT NULL,
    ts         REAL NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX IF NOT EXISTS asked_ts ON asked (ts);
CREATE TABLE IF NOT EXISTS reviewed (
    question TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    kind     TEXT NOT NULL,
    action   TEXT NOT NULL,
    ts       REAL NOT NULL,
    PRIMARY KEY (question, entry_id, kind)
);
CREATE TABLE IF NOT EXISTS not_in_article (
    question TEXT PRIMARY KEY,
    ts       REAL NOT NULL
);
"""
# What an admin did with a pair in review: added its question to the entry, marked the
# question as not in the article (a known unanswerable example), or skipped it.
ACTIONS = ("added", "not_in_article", "skipped")


class ReviewItem(NamedTuple):
    """A pair waiting for review, with the numeric id buttons and ``citebot review`` use."""

    id: int
    question: str
    entry_id: str
    kind: str
    count: int
    last_seen: datetime


class Pair(NamedTuple):
    """One learning pair: the normalised question, the entry, the kind, how often, when
    last seen."""

    question: str
    entry_id: str
    kind: str
    count: int
    last_seen: datetime


# A queued write: ("pair", (question, entry_id, kind, ts)) or
# ("asked", (chat_id, message_id, question, ts)), with the future it settles.


class FeedbackStore(SqliteWorker):
    """Learning pairs and the questions of recent bot messages in ``path`` (an SQLite file;
    parents created). ``clock`` gives the time (seconds since the epoch; tests inject one)."""

    SCHEMA = _SCHEMA
    NAME = "feedback"

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self._last_prune = 0.0
        super().__init__(path, clock=clock)

    # ------------------------------------------------------------------ worker side

    def _opened(self, conn: sqlite3.Connection) -> None:
        self._prune()

    def _prune(self) -> int:
        """Delete the remembered questions older than ``REMEMBER_DAYS``; how many."""
        now = self._clock()
        self._last_prune = now
        cur = self._db().execute("DELETE FROM asked WHERE ts < ?", (now - REMEMBER_DAYS * 86400,))
        return cur.rowcount

    def _write(self, conn: sqlite3.Connection, items: list[Any]) -> None:
        conn.executemany(
            "INSERT INTO pairs (question, entry_id, kind, count, last_seen) "
            "VALUES (?, ?, ?, 1, ?) ON CONFLICT (question, entry_id, kind) DO UPDATE "
            "SET count = count + 1, last_seen = MAX(last_seen, excluded.last_seen)",
            [args for what, args in items if what == "pair"],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO asked (chat_id, message_id, question, ts) VALUES (?, ?, ?, ?)",
            [args for what, args in items if what == "asked"],
        )
        if self._clock() - self._last_prune >= PRUNE_EVERY:
            self._prune()

    def _question(self, chat_id: int, message_id: int, take: bool) -> str | None:
        conn = self._db()
        row = conn.execute(
            "SELECT question FROM asked WHERE chat_id = ? AND message_id = ? AND ts >= ?",
            (chat_id, message_id, self._clock() - REMEMBER_DAYS * 86400),
        ).fetchone()
        if take:
            conn.execute(
                "DELETE FROM asked WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
            )
        return str(row[0]) if row else None

    def _pairs(self, limit: int, kinds: tuple[str, ...]) -> list[Pair]:
        marks = ",".join("?" * len(kinds))
        rows = (
            self._db()
            .execute(
                f"SELECT question, entry_id, kind, count, last_seen FROM pairs "
                f"WHERE kind IN ({marks}) "
                f"ORDER BY count DESC, last_seen DESC, question, entry_id, kind LIMIT ?",
                (*kinds, limit),
            )
            .fetchall()
        )
        return [Pair(q, e, k, int(n), datetime.fromtimestamp(ts, UTC)) for q, e, k, n, ts in rows]

    def _counts(self) -> dict[str, int]:
        conn = self._db()
        rows = conn.execute("SELECT kind, SUM(count) FROM pairs GROUP BY kind").fetchall()
        counts = dict.fromkeys(KINDS, 0)
        counts.update({kind: int(n) for kind, n in rows})
        counts["not_in_article"] = conn.execute("SELECT COUNT(*) FROM not_in_article").fetchone()[0]
        counts["queue"] = conn.execute("SELECT COUNT(*) " + self._PENDING).fetchone()[0]
        return counts

    _PENDING = (  # the pairs /review still shows
        "FROM pairs p "
        "WHERE NOT EXISTS (SELECT 1 FROM reviewed r WHERE r.question = p.question "
        "AND r.entry_id = p.entry_id AND r.kind = p.kind) "
        "AND NOT EXISTS (SELECT 1 FROM not_in_article n WHERE n.question = p.question) "
    )
    _QUEUE = "SELECT p.rowid, p.question, p.entry_id, p.kind, p.count, p.last_seen " + _PENDING

    def _queue_summary(self, since_id: int) -> Queue:
        sql = "SELECT COUNT(*), MAX(p.rowid), SUM(p.rowid > ?) " + self._PENDING
        conn = self._db()
        count, newest, new = conn.execute(sql, (since_id,)).fetchone()
        top = conn.execute("SELECT MAX(rowid) FROM pairs").fetchone()[0]
        return Queue(int(count), int(newest or 0), int(new or 0), int(top or 0))

    def _queue_items(self, limit: int, item_id: int | None) -> list[ReviewItem]:
        sql, args = self._QUEUE, []
        if item_id is not None:
            sql, args = sql + "AND p.rowid = ? ", [item_id]
        sql += "ORDER BY p.count DESC, p.last_seen DESC, p.question, p.entry_id, p.kind LIMIT ?"
        rows = self._db().execute(sql, (*args, limit)).fetchall()
        return [
            ReviewItem(int(i), q, e, k, int(n), datetime.fromtimestamp(ts, UTC))
            for i, q, e, k, n, ts in rows
        ]

    def _review(self, item_id: int, action: str) -> ReviewItem | None:
        found = self._queue_items(1, item_id)
        if not found:
            return None
        item = found[0]
        now = self._clock()
        conn = self._db()
        with conn:
            conn.execute("BEGIN")
            conn.execute(
                "INSERT OR REPLACE INTO reviewed (question, entry_id, kind, action, ts) "
                "VALUES (?, ?, ?, ?, ?)",
                (item.question, item.entry_id, item.kind, action, now),
            )
            if action == "not_in_article":
                conn.execute(
                    "INSERT OR REPLACE INTO not_in_article (question, ts) VALUES (?, ?)",
                    (item.question, now),
                )
        return item

    # ------------------------------------------------------------------ caller side

    def record_nowait(self, question: str, entry_id: str, kind: Kind) -> Future[None] | None:
        """Queue one ``(question, entry_id, kind)``; ``None`` if the question is empty once
        normalised (nothing to learn)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        text = normalize_text(question)
        if not text or not entry_id:
            return None
        return self._enqueue(("pair", (text, entry_id, kind, self._clock())))

    def remember_nowait(self, chat_id: int, message_id: int, question: str) -> Future[None] | None:
        """Queue: the bot's message ``message_id`` in ``chat_id`` answered ``question``."""
        text = normalize_text(question)
        if not text:
            return None
        return self._enqueue(("asked", (int(chat_id), int(message_id), text, self._clock())))

    async def record(self, question: str, entry_id: str, kind: Kind) -> None:
        """Record one pair. A database error is logged, never raised."""
        await _settle(lambda: self.record_nowait(question, entry_id, kind))

    async def remember(self, chat_id: int, message_id: int, question: str) -> None:
        """Remember the question a bot message answered. A database error is logged, never
        raised."""
        await _settle(lambda: self.remember_nowait(chat_id, message_id, question))

    def record_sync(self, question: str, entry_id: str, kind: Kind) -> None:
        future = self.record_nowait(question, entry_id, kind)
        if future is not None:
            future.result()

    def remember_sync(self, chat_id: int, message_id: int, question: str) -> None:
        future = self.remember_nowait(chat_id, message_id, question)
        if future is not None:
            future.result()

    async def question_for(
        self, chat_id: int, message_id: int, *, take: bool = False
    ) -> str | None:
        """The question the bot's message answered, if remembered and not expired;
        ``take``: forget it at the same time (a press is recorded once). ``None`` on a
        database error (logged)."""
        try:
            future = self._submit(self._question, int(chat_id), int(message_id), take)
            return await asyncio.wrap_future(future)
        except (sqlite3.Error, RuntimeError, OSError) as exc:
            log.error("could not look up a question in the feedback store: %s", exc)
            return None

    def question_for_sync(self, chat_id: int, message_id: int, *, take: bool = False) -> str | None:
        return self._submit(self._question, int(chat_id), int(message_id), take).result()

    def pending_sync(self, limit: int = 50, kinds: tuple[str, ...] = KINDS) -> list[Pair]:
        """The pairs to review, most frequent first (then most recent)."""
        return self._submit(self._pairs, limit, tuple(kinds)).result()

    async def pending(self, limit: int = 50, kinds: tuple[str, ...] = KINDS) -> list[Pair]:
        """Async :meth:`pending_sync`."""
        return await asyncio.wrap_future(self._submit(self._pairs, limit, tuple(kinds)))

    def counts_sync(self) -> dict[str, int]:
        """Total presses recorded per kind (``tap``, ``up``, ``down``), and how many
        questions were marked not in the article (``not_in_article``)."""
        return self._submit(self._counts).result()

    async def counts(self) -> dict[str, int]:
        return await asyncio.wrap_future(self._submit(self._counts))

    def queue_summary_sync(self, since_id: int = 0) -> Queue:
        """The review queue in numbers: how many pairs wait, the newest one's id, and how
        many are newer than ``since_id`` (for the reminders, ``bot.review_reminder``)."""
        return self._submit(self._queue_summary, int(since_id)).result()

    async def queue_summary(self, since_id: int = 0) -> Queue | None:
        """Async :meth:`queue_summary_sync`; ``None`` on a database error (logged)."""
        try:
            return await asyncio.wrap_future(self._submit(self._queue_summary, int(since_id)))
        except (sqlite3.Error, RuntimeError, OSError) as exc:
            log.error("could not read the review queue of the feedback store: %s", exc)
            return None

    def review_queue_sync(self, limit: int = 50) -> list[ReviewItem]:
        """The pairs not reviewed yet (nor of a question marked not in the article), most
        frequent first (then most recent)."""
        return self._submit(self._queue_items, limit, None).result()

    async def review_queue(self, limit: int = 50) -> list[ReviewItem]:
        return await asyncio.wrap_future(self._submit(self._queue_items, limit, None))

    def review_item_sync(self, item_id: int) -> ReviewItem | None:
        """The pending item ``item_id`` (``None``: no such item, or reviewed already)."""
        found = self._submit(self._queue_items, 1, int(item_id)).result()
        return found[0] if found else None

    async def review_item(self, item_id: int) -> ReviewItem | None:
        found = await asyncio.wrap_future(self._submit(self._queue_items, 1, int(item_id)))
        return found[0] if found else None

    def mark_reviewed_sync(self, item_id: int, action: str) -> ReviewItem | None:
        """Take the pending item out of the queue (``action``: one of ``ACTIONS``;
        ``not_in_article`` also records its question as a known unanswerable example).
        The item, or ``None`` if it was not pending (reviewed already, or unknown)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        return self._submit(self._review, int(item_id), action).result()

    async def mark_reviewed(self, item_id: int, action: str) -> ReviewItem | None:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        return await asyncio.wrap_future(self._submit(self._review, int(item_id), action))

    def not_in_article_sync(self) -> list[str]:
        """The questions marked as not in the article (known unanswerable examples)."""
        rows = self._submit(
            lambda: self._db().execute("SELECT question FROM not_in_article ORDER BY ts").fetchall()
        ).result()
        return [str(r[0]) for r in rows]

    def prune_sync(self) -> int:
        """Delete expired remembered questions now (also done at opening and, while
        writing, at most once an hour); how many were deleted."""
        return self._submit(self._prune).result()


async def _settle(queue: Callable[[], Future[None] | None]) -> None:
    with contextlib.suppress(sqlite3.Error, RuntimeError, OSError):  # logged already
        future = queue()
        if future is not None:
            await asyncio.wrap_future(future)
