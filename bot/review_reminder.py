"""When to remind the admins that readers' taps and votes wait for ``/review``.

Pure (no Telegram) with an injectable clock, like :mod:`bot.telegram.error_digest`. A
reminder is due when the review queue holds a pair newer than the newest one the last
reminder covered (pair ids are SQLite rowids: a pair seen again keeps its id, so only a
new pair counts as news) and at least ``CITEBOT_REVIEW_REMINDER_HOURS`` have passed since
that reminder. Admins who leave items unreviewed are not told about them again.

The state (when the last reminder went out and the newest pair id it covered) is kept in
``CITEBOT_DATA_DIR/review_reminder.json``, written atomically; it holds no reader data. A
missing file means no reminder yet; so does an unreadable or corrupt one, with a WARNING.
``bot.telegram.review_reminder`` checks and sends.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from bot.atomic import write_atomic

log = logging.getLogger(__name__)

FILE = "review_reminder.json"  # in CITEBOT_DATA_DIR
VARIABLE = "CITEBOT_REVIEW_REMINDER_HOURS"
DEFAULT_HOURS = 24.0
MAX_HOURS = 24.0 * 366  # a larger value is most likely seconds typed as hours
CHECK_EVERY = 600.0  # seconds: the queue is looked at least this often (if reminders are on)
MIN_CHECK_EVERY = 0.5  # seconds: and at most this often, however small the setting


def parse_hours(raw: str | None) -> float:
    """``CITEBOT_REVIEW_REMINDER_HOURS``: hours between reminders, ``0`` = off, fractions
    allowed; empty = the default. ``ValueError`` with one line otherwise."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_HOURS
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_HOURS:  # also false for nan
        raise ValueError(
            f"{VARIABLE}: {text!r} is not a number of hours (0 = off, at most {MAX_HOURS:g})"
        )
    return value


class Queue(NamedTuple):
    """The review queue as a reminder sees it (``FeedbackStore.queue_summary``)."""

    count: int  # pairs /review still shows
    newest_id: int  # the largest id among them (0: none)
    new: int  # how many of them are newer than the id asked about
    top_id: int | None = None  # the largest id of any pair, reviewed or not (None: unknown)


@dataclass(frozen=True)
class State:
    """The last reminder: when (``time.time()``; ``None``: none yet) and the newest pending
    pair id it covered."""

    reminded_at: float | None = None
    newest_id: int = 0

    def to_json(self) -> str:
        return json.dumps({"reminded_at": self.reminded_at, "newest_id": self.newest_id})

    @classmethod
    def from_json(cls, text: str) -> State:
        """Raise ``ValueError`` unless ``text`` is a state."""
        data = json.loads(text)
        if not isinstance(data, dict) or set(data) != {"reminded_at", "newest_id"}:
            raise ValueError("not a reminder state")
        at, newest = data["reminded_at"], data["newest_id"]
        if at is not None and (
            not isinstance(at, int | float) or isinstance(at, bool) or not math.isfinite(at)
        ):
            raise ValueError("reminded_at is not a time")
        if not isinstance(newest, int) or isinstance(newest, bool) or newest < 0:
            raise ValueError("newest_id is not a pair id")
        return cls(None if at is None else float(at), newest)


def covered(state: State, queue: Queue) -> int:
    """The newest pair id the last reminder told of, as far as this store goes: 0 (nothing
    told) when the store holds no pair that old (replaced, its ids started afresh)."""
    if queue.top_id is not None and queue.top_id < state.newest_id:
        return 0
    return state.newest_id


def due(state: State, queue: Queue, interval: float, now: float) -> bool:
    """Whether to remind now: reminders on (``interval`` > 0 seconds), a pending pair newer
    than the last reminder covered, and ``interval`` passed since it (none yet: at once; a
    reminder time in the future, the clock set back, holds nothing back)."""
    if interval <= 0 or queue.count <= 0 or queue.newest_id <= covered(state, queue):
        return False
    if state.reminded_at is None or state.reminded_at > now:
        return True
    return now - state.reminded_at >= interval


def load(path: Path) -> State:
    """The state in ``path``; a missing file is no reminder yet, and so is an unreadable or
    corrupt one (logged at WARNING)."""
    try:
        return State.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return State()
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        log.warning("ignoring the review reminder state %s (%s): as if none was sent", path, reason)
        return State()


def save(path: Path, state: State) -> None:
    """Replace ``path`` with ``state`` atomically (``OSError`` on failure)."""
    write_atomic(path, state.to_json() + "\n")


class Reminders:
    """The reminder state of ``path`` (read once, here) and the decision, ``interval``
    seconds apart at least."""

    def __init__(
        self, path: Path, interval: float, *, clock: Callable[[], float] = time.time
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0 (reminders off: build no Reminders)")
        self.path = path
        self.interval = interval
        self._clock = clock
        self.state = load(path)
        self._failing = False  # one WARNING per run of failed writes

    @property
    def check_every(self) -> float:
        """Seconds between two looks at the queue: the interval, at most ``CHECK_EVERY``
        and at least ``MIN_CHECK_EVERY`` (a tiny setting must not make a busy loop)."""
        return max(MIN_CHECK_EVERY, min(self.interval, CHECK_EVERY))

    def due(self, queue: Queue) -> bool:
        return due(self.state, queue, self.interval, self._clock())

    def sent(self, queue: Queue) -> None:
        """A reminder about ``queue`` reached an admin: remember it, in memory and in the
        file (a failed write is logged; the reminder is remembered until the restart)."""
        self.state = State(self._clock(), queue.newest_id)
        try:
            save(self.path, self.state)
        except OSError as exc:
            if not self._failing:
                log.warning(
                    "cannot write the review reminder state %s: %s", self.path, exc.strerror or exc
                )
            self._failing = True
            return
        self._failing = False
