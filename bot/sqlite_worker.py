"""An SQLite file used from one dedicated worker thread (the base of the bot's stores).

Pure: no Telegram import. All SQLite work runs in one thread
(``ThreadPoolExecutor(max_workers=1)``) in submission order, so writes never block the
event loop and never race each other. The database is opened in that thread (WAL,
``synchronous=NORMAL``: a commit survives the process being killed) and the subclass's
schema applied; ``close()`` waits for queued work, checkpoints the WAL and closes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self, TypeVar

T = TypeVar("T")


class SqliteWorker:
    """``path`` (an SQLite file; parents created) used from one worker thread."""

    SCHEMA = ""  # applied when the file is opened
    NAME = "store"  # for the thread's name and messages

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._closed = False
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"citebot-{self.NAME}"
        )
        self._conn: sqlite3.Connection | None = None
        # Open in the worker thread (the connection then lives there) and fail here, early,
        # if the file cannot be opened.
        self._submit(self._open).result()

    # ------------------------------------------------------------------ worker side

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(self.SCHEMA)
        self._conn = conn
        self._opened(conn)

    def _opened(self, conn: sqlite3.Connection) -> None:
        """Called in the worker thread once the file is open (clean-up of old rows...)."""

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"the {self.NAME} store is closed")
        return self._conn

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                self._conn.close()
                self._conn = None

    # ------------------------------------------------------------------ caller side

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self._executor.submit(fn, *args)

    def close(self) -> None:
        """Finish queued work, checkpoint and close. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._submit(self._close).result()
        finally:
            self._executor.shutdown(wait=True)

    async def aclose(self) -> None:
        """:meth:`close` without blocking the event loop."""
        await asyncio.to_thread(self.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
