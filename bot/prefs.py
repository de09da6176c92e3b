"""Readers' explicit language choices (``/language``), in an SQLite file of the data dir.

Pure: no Telegram import. One row per reader who chose: the Telegram user id, the choice
(``bot.reader_lang.CHOICES``) and when. Nothing else about the reader is kept, and the row
is deleted when the reader goes back to automatic (:meth:`PrefsStore.forget`).

Every reply needs the reader's choice, so all rows are read into memory when the store
opens and :meth:`PrefsStore.get` is a dictionary lookup; changes update that dictionary at
once and are written by the worker thread (``bot.sqlite_worker``), in order.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from bot.reader_lang import CHOICES, Choice
from bot.sqlite_worker import SqliteWorker

_SCHEMA = """
CREATE TABLE IF NOT EXISTS language (
    user_id INTEGER PRIMARY KEY,
    choice  TEXT NOT NULL,
    ts      REAL NOT NULL
);
"""


class PrefsStore(SqliteWorker):
    """Language choices by Telegram user id, in ``path`` (an SQLite file; parents created)."""

    SCHEMA = _SCHEMA
    NAME = "prefs"

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self._choices: dict[int, Choice] = {}
        super().__init__(path, clock=clock)

    # ------------------------------------------------------------------ worker side

    def _opened(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute("SELECT user_id, choice FROM language").fetchall()
        self._choices = {int(user): choice for user, choice in rows if choice in CHOICES}

    def _write(self, conn: sqlite3.Connection, items: list[Any]) -> None:
        for user_id, choice, ts in items:  # in order: the last change of a user wins
            if choice is None:
                conn.execute("DELETE FROM language WHERE user_id = ?", (user_id,))
            else:
                conn.execute(
                    "INSERT INTO language (user_id, choice, ts) VALUES (?, ?, ?) "
                    "ON CONFLICT (user_id) DO UPDATE "
                    "SET choice = excluded.choice, ts = excluded.ts",
                    (user_id, choice, ts),
                )

    # ------------------------------------------------------------------ caller side

    def get(self, user_id: int) -> Choice | None:
        """The reader's choice, or ``None`` (automatic). Never waits for the disk."""
        return self._choices.get(int(user_id))

    def set_nowait(self, user_id: int, choice: Choice | None) -> Future[None]:
        """Remember ``choice`` (``None``: forget the row) now; returns the write's future."""
        if choice is not None and choice not in CHOICES:
            raise ValueError(f"unknown language choice {choice!r}")
        user_id = int(user_id)
        future = self._enqueue((user_id, choice, self._clock()))
        if choice is None:
            self._choices.pop(user_id, None)
        else:
            self._choices[user_id] = choice
        return future

    async def set(self, user_id: int, choice: Choice | None) -> None:
        """:meth:`set_nowait`, awaiting the write; if it fails, the previous choice is
        back in force and the failure raised (the reader is told it was not saved)."""
        previous = self.get(user_id)
        try:
            await asyncio.wrap_future(self.set_nowait(user_id, choice))
        except BaseException:
            if self.get(user_id) == choice:  # no later change in between: undo this one
                if previous is None:
                    self._choices.pop(int(user_id), None)
                else:
                    self._choices[int(user_id)] = previous
            raise

    async def forget(self, user_id: int) -> None:
        """Delete the reader's row: back to automatic."""
        await self.set(user_id, None)

    def count_sync(self) -> int:
        """How many rows the file holds (for tests and scripts)."""
        return self._submit(
            lambda: self._db().execute("SELECT COUNT(*) FROM language").fetchone()[0]
        ).result()
