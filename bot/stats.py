"""Question statistics in an embedded SQLite database, written off the event loop.

Pure: no Telegram import. Every outcome is counted (answered / ambiguous / no_match /
smalltalk); for ``no_match`` and ``ambiguous`` the normalised question text is kept too,
so editors can see what readers asked that the knowledge base does not cover. Nothing
about who asked is stored.

All SQLite work runs in one dedicated worker thread (``bot.sqlite_worker.SqliteWorker``),
so writes never block the event loop and never race each other. The async methods await
that thread; the ``*_sync`` twins block (for scripts and tests). ``close()`` waits for
queued writes, checkpoints the WAL and closes the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from bot.sqlite_worker import SqliteWorker

log = logging.getLogger(__name__)

T = TypeVar("T")

STATUSES = ("answered", "ambiguous", "no_match", "smalltalk")
TEXT_STATUSES = frozenset({"ambiguous", "no_match"})  # outcomes whose question text is kept
MAX_TEXT = 1000
RETENTION_DAYS = 365  # question texts older than this are deleted when the store opens

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    status TEXT PRIMARY KEY,
    count  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS questions (
    id     INTEGER PRIMARY KEY,
    ts     REAL NOT NULL,
    status TEXT NOT NULL,
    lang   TEXT NOT NULL,
    text   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS questions_status_ts ON questions (status, ts);
"""

_TRAILING = "?？!！。.,，、;；:：~～…· \t"


def normalize_text(text: str) -> str:
    """The form a question is stored and grouped in: NFKC, one space, lower case, no
    trailing punctuation, at most ``MAX_TEXT`` characters."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", " ", text).strip().lower().rstrip(_TRAILING)
    return text[:MAX_TEXT]


@dataclass(frozen=True, slots=True)
class Counts:
    """Outcome counters, since this process started and in total (persisted)."""

    since_start: dict[str, int]
    total: dict[str, int]
    started_at: datetime


class Unanswered(NamedTuple):
    """One unanswered question: its normalised text, how often, and when last asked."""

    text: str
    count: int
    last_seen: datetime


class StatsStore(SqliteWorker):
    """Counters and unanswered questions in ``path`` (an SQLite file; parents created)."""

    SCHEMA = _SCHEMA
    NAME = "stats"

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self._since_start: Counter[str] = Counter()
        self.started_at = datetime.fromtimestamp(clock(), UTC)
        super().__init__(path, clock=clock)

    # ------------------------------------------------------------------ worker side

    def _opened(self, conn: sqlite3.Connection) -> None:
        cutoff = self._clock() - RETENTION_DAYS * 86400
        conn.execute("DELETE FROM questions WHERE ts < ?", (cutoff,))

    def _write(self, conn: sqlite3.Connection, items: list[Any]) -> None:
        conn.executemany(
            "INSERT INTO counters (status, count) VALUES (?, ?) "
            "ON CONFLICT (status) DO UPDATE SET count = count + excluded.count",
            Counter(status for status, *_ in items).items(),
        )
        conn.executemany(
            "INSERT INTO questions (ts, status, lang, text) VALUES (?, ?, ?, ?)",
            [(ts, status, lang, text) for status, lang, text, ts in items if text],
        )

    def _totals(self) -> dict[str, int]:
        rows = self._db().execute("SELECT status, count FROM counters").fetchall()
        totals = dict.fromkeys(STATUSES, 0)
        totals.update({status: int(count) for status, count in rows})
        return totals

    def _top(
        self, limit: int, days: float, statuses: tuple[str, ...], now: float
    ) -> list[Unanswered]:
        marks = ",".join("?" * len(statuses))
        rows = (
            self._db()
            .execute(
                f"SELECT text, COUNT(*) AS n, MAX(ts) AS last FROM questions "
                f"WHERE ts >= ? AND status IN ({marks}) "
                f"GROUP BY text ORDER BY n DESC, last DESC, text ASC LIMIT ?",
                (now - days * 86400, *statuses, limit),
            )
            .fetchall()
        )
        return [Unanswered(t, int(n), datetime.fromtimestamp(last, UTC)) for t, n, last in rows]

    # ------------------------------------------------------------------ caller side

    def _prepare(self, status: str, lang: str, text: str | None) -> tuple[str, str, str | None]:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if self._closed:
            raise RuntimeError("the stats store is closed")
        kept = normalize_text(text) if text and status in TEXT_STATUSES else None
        with self._lock:
            self._since_start[status] += 1
        return status, lang, kept or None

    def record_nowait(self, status: str, lang: str, text: str | None = None) -> Future[None]:
        """Count one outcome now and queue its write; returns the write's future. Records
        queued while the worker is busy are written together, in one transaction."""
        status, lang, kept = self._prepare(status, lang, text)
        return self._enqueue((status, lang, kept, self._clock()))

    async def record(self, status: str, lang: str, text: str | None = None) -> None:
        """Record one question outcome (``text`` is kept only for no_match / ambiguous).
        A database error is logged, never raised: statistics must not break answering."""
        with contextlib.suppress(sqlite3.Error, RuntimeError, OSError):  # logged already
            await asyncio.wrap_future(self.record_nowait(status, lang, text))

    def record_sync(self, status: str, lang: str, text: str | None = None) -> None:
        self.record_nowait(status, lang, text).result()

    def since_start(self) -> dict[str, int]:
        with self._lock:
            return {s: self._since_start.get(s, 0) for s in STATUSES}

    def counts_sync(self) -> Counts:
        total = self._submit(self._totals).result()
        return Counts(self.since_start(), total, self.started_at)

    async def counts(self) -> Counts:
        total = await asyncio.wrap_future(self._submit(self._totals))
        return Counts(self.since_start(), total, self.started_at)

    def top_unanswered_sync(
        self, limit: int = 10, days: float = 30, statuses: Iterable[str] = ("no_match",)
    ) -> list[Unanswered]:
        """The most frequent questions of the last ``days`` days with one of ``statuses``:
        ``(text, count, last_seen)`` by count, then most recent first."""
        return self._submit(self._top, limit, days, tuple(statuses), self._clock()).result()

    async def top_unanswered(
        self, limit: int = 10, days: float = 30, statuses: Iterable[str] = ("no_match",)
    ) -> list[Unanswered]:
        """Async :meth:`top_unanswered_sync` (runs in the store's worker thread)."""
        future = self._submit(self._top, limit, days, tuple(statuses), self._clock())
        return await asyncio.wrap_future(future)
