"""The running bot's heartbeat file, and the verdict of ``citebot health`` on it.

Pure (no Telegram). ``citebot run`` rewrites ``CITEBOT_DATA_DIR/heartbeat.json`` every
``CITEBOT_HEARTBEAT_INTERVAL`` seconds from its event loop while the application runs
(``bot.telegram.heartbeat``); :func:`verdict` says whether the last beat is recent enough.
A stuck event loop, a crashed or stopped bot all leave the file to age. The file holds no
reader data: the process id, the mode, and the wall-clock times of the beat and of the
last successful ``getUpdates`` (polling) and the last handled update.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.atomic import write_atomic

FILE = "heartbeat.json"  # in CITEBOT_DATA_DIR
DEFAULT_INTERVAL = 30.0  # seconds between two beats
MAX_AGE_INTERVALS = 4  # `citebot health` accepts a beat up to this many intervals old
INTERVAL_VARIABLE = "CITEBOT_HEARTBEAT_INTERVAL"


def parse_interval(raw: str | None) -> float:
    """``CITEBOT_HEARTBEAT_INTERVAL``: seconds, > 0 and at most an hour; empty = default."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_INTERVAL
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 3600:  # also false for nan
        raise ValueError(
            f"{INTERVAL_VARIABLE}: {text!r} is not a number of seconds (0 < s <= 3600)"
        )
    return value


def interval_from_env(env: Mapping[str, str]) -> float:
    return parse_interval(env.get(INTERVAL_VARIABLE))


@dataclass(frozen=True)
class Beat:
    """One heartbeat: what the file holds."""

    pid: int
    mode: str  # "polling" or "webhook"
    written_at: float  # time.time() of the beat
    last_poll_at: float | None = None  # last successful getUpdates (polling only)
    last_update_at: float | None = None  # last update handled

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Beat:
        """Raise ``ValueError`` unless ``text`` is a heartbeat."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        try:
            beat = cls(**data)
        except TypeError as exc:
            raise ValueError(str(exc)) from None
        numbers = (beat.written_at, beat.last_poll_at or 0.0, beat.last_update_at or 0.0)
        if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
            raise ValueError("a time is not a number")
        if not all(math.isfinite(n) for n in numbers):
            raise ValueError("a time is not finite")
        return beat


CLOCK_SKEW = 5.0  # seconds a beat may seem to come from the future (clock adjustments)


def write(path: Path, beat: Beat) -> None:
    """Replace ``path`` with ``beat`` atomically (a reader sees the old or the new file,
    never half of one)."""
    write_atomic(path, beat.to_json() + "\n")


def verdict(path: Path, max_age: float, now: float | None = None) -> tuple[bool, str]:
    """``(healthy, one line saying why)``: healthy when ``path`` holds a heartbeat written
    at most ``max_age`` seconds before ``now``."""
    now = time.time() if now is None else now
    try:
        beat = Beat.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False, f"no heartbeat in {path} (is `citebot run` running?)"
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return False, f"unreadable heartbeat {path}: {type(exc).__name__}"
    age = now - beat.written_at
    details = f"{beat.mode}, pid {beat.pid}"
    if beat.last_poll_at is not None:
        details += f", last getUpdates {_ago(now - beat.last_poll_at)}"
    details += ", last update " + (
        _ago(now - beat.last_update_at) if beat.last_update_at is not None else "none yet"
    )
    if age < -CLOCK_SKEW:
        return False, f"heartbeat written {-age:.0f} s in the future (clock changed?)"
    if age > max_age:
        return False, f"heartbeat is {age:.0f} s old (max {max_age:g} s; {details})"
    return True, f"heartbeat {max(age, 0.0):.0f} s old ({details})"


def _ago(seconds: float) -> str:
    return f"{max(seconds, 0.0):.0f} s ago"
