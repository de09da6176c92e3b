"""The durable inbox: every update is stored before it is confirmed to Telegram, and
marked done once the bot has replied. Nothing a reader sends is lost to a crash.

Pure (no Telegram import). SQLite in ``CITEBOT_DATA_DIR``, WAL mode with
``synchronous=NORMAL``: a committed row survives the process being killed (``kill -9``),
which is the failure this guards against. Every call is a short local transaction, made
directly by the caller (the event loop): a batch of updates costs one commit, a done mark
one small commit.

- ``accept`` stores a batch of raw updates and says which ones are new: an update id seen
  before (pending or done) is a duplicate and must not be answered again.
- ``done`` marks an update answered and forgets its text (only the id stays, to recognise
  a duplicate); done rows older than ``KEEP_DONE_SECONDS`` are deleted.
- ``pending`` lists what was stored but never answered: after a crash, answer these first.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

KEEP_DONE_SECONDS = 2 * 86400  # Telegram redelivers an unconfirmed update for up to 24 h
PRUNE_EVERY = 1000  # done marks between two prunings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    update_id INTEGER PRIMARY KEY,
    body      TEXT,          -- the raw update while pending; NULL once done
    received  REAL NOT NULL,
    done      REAL           -- NULL while pending
);
CREATE INDEX IF NOT EXISTS inbox_done ON inbox (done);
"""


class Inbox:
    """Updates stored before they are confirmed; ``path`` is an SQLite file (parents made)."""

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            self.path, timeout=10, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._marks = 0
        self.prune()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the inbox is closed")
        return self._conn

    def accept(self, updates: Iterable[tuple[int, dict[str, Any]]]) -> list[bool]:
        """Store raw updates (``(update_id, update)``) in one transaction, before they are
        confirmed; for each, whether it is new (False: seen before, do not answer again)."""
        batch = list(updates)
        if not batch:
            return []
        conn, now = self._db(), self._clock()
        new: list[bool] = []
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            for update_id, update in batch:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO inbox (update_id, body, received) VALUES (?, ?, ?)",
                    (update_id, json.dumps(update, ensure_ascii=False), now),
                )
                new.append(cur.rowcount == 1)
        return new

    def skip(self, update_ids: Iterable[int]) -> None:
        """Record updates that will never be answered (unreadable) as done."""
        conn, now = self._db(), self._clock()
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO inbox (update_id, body, received, done) VALUES (?, NULL, ?, ?) "
                "ON CONFLICT (update_id) DO UPDATE SET body = NULL, done = excluded.done",
                [(uid, now, now) for uid in update_ids],
            )

    def done(self, update_id: int) -> None:
        """The update is answered: forget its text, keep its id for a while."""
        self._db().execute(
            "UPDATE inbox SET body = NULL, done = ? WHERE update_id = ? AND done IS NULL",
            (self._clock(), update_id),
        )
        self._marks += 1
        if self._marks % PRUNE_EVERY == 0:
            self.prune()

    def pending(self) -> list[tuple[int, dict[str, Any]]]:
        """Updates stored but not answered, oldest first."""
        rows = self._db().execute(
            "SELECT update_id, body FROM inbox WHERE done IS NULL ORDER BY update_id"
        )
        return [(uid, json.loads(body)) for uid, body in rows]

    def counts(self) -> tuple[int, int]:
        """(pending, done) rows: the inbox stays small."""
        row = self._db().execute("SELECT COUNT(*) - COUNT(done), COUNT(done) FROM inbox").fetchone()
        return int(row[0]), int(row[1])

    def prune(self) -> None:
        """Delete done rows older than ``KEEP_DONE_SECONDS``."""
        cutoff = self._clock() - KEEP_DONE_SECONDS
        self._db().execute("DELETE FROM inbox WHERE done IS NOT NULL AND done < ?", (cutoff,))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
            self._conn = None
