"""Per-user flood guard: a burst from one user is answered once with a notice, then ignored.

Pure (no Telegram) with an injectable clock. A sliding window counts every message a user
sent in the last ``window`` seconds, ignored ones included, so a user who keeps hammering
stays muted until they pause (only the newest ``limit + 1`` times are kept per user: that
is all the decision needs); the first message over the limit gets ``NOTIFY`` (send one
notice), the rest of the burst ``DROP``.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable


class Verdict(enum.Enum):
    ALLOW = "allow"  # handle the message
    NOTIFY = "notify"  # first message over the limit: send one "slow down" notice
    DROP = "drop"  # ignore silently


class FloodGuard:
    """``limit`` messages per ``window`` seconds per user."""

    def __init__(
        self,
        limit: int = 5,
        window: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = 10_000,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_users = max_users
        self._hits: dict[int, deque[float]] = {}
        self._muted: set[int] = set()  # users who got their notice in the current burst

    def check(self, user_id: int) -> Verdict:
        """Count one message from ``user_id`` and say what to do with it."""
        now = self._clock()
        hits = self._hits.get(user_id)
        if hits is None:
            if len(self._hits) >= self._max_users:
                self._prune(now)
            hits = self._hits[user_id] = deque(maxlen=self.limit + 1)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        hits.append(now)
        if len(hits) <= self.limit:
            self._muted.discard(user_id)
            return Verdict.ALLOW
        if user_id in self._muted:
            return Verdict.DROP
        self._muted.add(user_id)
        return Verdict.NOTIFY

    def _prune(self, now: float) -> None:
        """Forget users with no message in the window (bounds memory)."""
        stale = [u for u, h in self._hits.items() if not h or h[-1] <= now - self.window]
        for user in stale:
            del self._hits[user]
            self._muted.discard(user)

    @property
    def tracked_users(self) -> int:
        """How many users are remembered (for tests of the memory bound)."""
        return len(self._hits)
