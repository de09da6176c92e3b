"""An SQLite file used from one dedicated worker thread (the base of the bot's stores).

Pure: no Telegram import. All SQLite work runs in one thread
(``ThreadPoolExecutor(max_workers=1)``) in submission order, so writes never block the
event loop and never race each other. The database is opened in that thread (WAL,
``synchronous=NORMAL``: a commit survives the process being killed) and the subclass's
schema applied. Writes are queued (``_enqueue``): those queued while the worker is busy are
written together, in one transaction (the subclass's ``_write``). ``close()`` waits for
queued work, checkpoints the WAL and closes.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class SqliteWorker:
    """``path`` (an SQLite file; parents created) used from one worker thread."""

    SCHEMA = ""  # applied when the file is opened
    NAME = "store"  # for the thread's name and messages

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._closed = False
        self._lock = threading.Lock()
        self._pending: list[tuple[Any, Future[None]]] = []  # queued writes, not yet taken
        self._flush_queued = False  # a _flush is queued and has not yet taken the pending
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

    def _write(self, conn: sqlite3.Connection, items: list[Any]) -> None:
        """Write queued items, inside the transaction of one batch (the subclass's)."""
        raise NotImplementedError

    def _flush(self) -> None:
        """Write every queued item in one transaction, then settle their futures."""
        with self._lock:
            batch, self._pending = self._pending, []
            self._flush_queued = False
        if not batch:
            return
        try:
            conn = self._db()
            with conn:  # one transaction: BEGIN ... COMMIT
                conn.execute("BEGIN")
                self._write(conn, [item for item, _ in batch])
        except BaseException as exc:
            for _, future in batch:
                future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for _, future in batch:
            future.set_result(None)

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

    def _enqueue(self, item: Any) -> Future[None]:
        """Queue a write of ``item``; its future settles once it is committed (a failure
        is logged as well)."""
        if self._closed:
            raise RuntimeError(f"the {self.NAME} store is closed")
        future: Future[None] = Future()
        future.add_done_callback(self._log_failure)
        with self._lock:
            self._pending.append((item, future))
            queue_flush, self._flush_queued = not self._flush_queued, True
        if queue_flush:
            self._submit(self._flush)
        return future

    def _log_failure(self, future: Future[None]) -> None:
        exc = future.exception()
        if exc is not None:
            log.error("could not write to the %s store: %s", self.NAME, exc)

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
