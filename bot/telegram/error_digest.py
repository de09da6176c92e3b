"""How often the admins hear of an error: one report per *kind* of error per interval.

Pure (no Telegram) with an injectable clock, like :mod:`bot.telegram.flood`. A kind is the
exception's type and where it was raised: ``module:function`` of the innermost frame of the
traceback that lies in the ``bot`` package (``BadRequest at bot.telegram.handlers:send``),
so the same failure from many readers is one kind, and two different bugs are two (frames
of the request plumbing, ``DurableBot._post``, are passed over: every Telegram error goes
through them, the handler's frame says more). The
first error of a kind is reported at once; the next ones within ``interval`` seconds of
that report are counted, and the count goes with the next report of that kind (the error
recurring after the interval). Each error is logged in full regardless (``on_error``).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

REPORT_INTERVAL = 600.0  # seconds: one report per kind of error per 10 minutes
PACKAGE = "bot"  # the frames that name where an error was raised
OUTSIDE = "outside bot"  # no frame of the traceback is in the package (e.g. PTB's polling)
# Modules every Bot API call passes through: named only when no other frame of ``bot`` is.
PLUMBING = ("bot.telegram.durable", "bot.telegram.request")


@dataclass(frozen=True)
class ErrorKind:
    """What two errors must share to be "the same error"."""

    error: str  # the exception type's name, e.g. "BadRequest"
    where: str  # e.g. "bot.telegram.handlers:send", or OUTSIDE


@dataclass(frozen=True)
class Due:
    """A report to send now."""

    kind: ErrorKind
    suppressed: int  # errors of this kind since the last report, not reported
    since_last: float | None  # seconds since the last report of this kind (None: the first)


def error_kind(
    error: BaseException, package: str = PACKAGE, plumbing: tuple[str, ...] = PLUMBING
) -> ErrorKind:
    """The kind of ``error``: its type and the innermost frame of its traceback in
    ``package`` (outside ``plumbing`` if there is one). Only names: never the exception's
    message, which may quote what a reader wrote."""
    inner = {True: OUTSIDE, False: OUTSIDE}  # innermost frame: in plumbing, elsewhere
    for frame, _ in traceback.walk_tb(error.__traceback__):
        module = str(frame.f_globals.get("__name__", ""))
        if module == package or module.startswith(package + "."):
            inner[module in plumbing] = f"{module}:{frame.f_code.co_qualname}"
    where = inner[False] if inner[False] != OUTSIDE else inner[True]
    return ErrorKind(type(error).__name__, where)


@dataclass
class _Seen:
    reported_at: float
    suppressed: int = 0


class ErrorDigest:
    """One report per kind per ``interval`` seconds, with a count of those held back."""

    def __init__(
        self,
        interval: float = REPORT_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_kinds: int = 1000,
    ) -> None:
        if interval <= 0 or max_kinds < 1:
            raise ValueError("interval must be > 0 and max_kinds >= 1")
        self.interval = interval
        self._clock = clock
        self._max_kinds = max_kinds
        self._seen: dict[ErrorKind, _Seen] = {}

    def record(self, kind: ErrorKind) -> Due | None:
        """Count one error of ``kind``: a :class:`Due` if it is to be reported now, else
        ``None`` (it is counted for the next report of its kind)."""
        now = self._clock()
        seen = self._seen.get(kind)
        if seen is None:
            if len(self._seen) >= self._max_kinds:
                self._prune(now)
            self._seen[kind] = _Seen(now)
            return Due(kind, 0, None)
        if now - seen.reported_at < self.interval:
            seen.suppressed += 1
            return None
        due = Due(kind, seen.suppressed, now - seen.reported_at)
        seen.reported_at, seen.suppressed = now, 0
        return due

    def _prune(self, now: float) -> None:
        """Forget the kinds last reported over an interval ago (bounds memory; a count
        held back for a forgotten kind is lost, its next error is reported as a first)."""
        stale = [k for k, s in self._seen.items() if now - s.reported_at >= self.interval]
        for kind in stale:
            del self._seen[kind]
        if len(self._seen) >= self._max_kinds:  # all recent: forget the oldest
            del self._seen[min(self._seen, key=lambda k: self._seen[k].reported_at)]

    @property
    def tracked_kinds(self) -> int:
        """How many kinds are remembered (for tests of the memory bound)."""
        return len(self._seen)
