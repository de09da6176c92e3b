"""The self-check: every stored question must be answered by its own entry.

Pure (no Telegram) and off the load path. ``citebot check`` and CI run it in full
(``check_directory``); a running bot runs the part a reload can affect before it swaps the
new base in (see ``bot.engine``) and the full check afterwards, in the background, with the
result remembered per knowledge version in ``CITEBOT_DATA_DIR`` (``CheckCache``) so that a
start-up of an already-checked base checks nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from bot.atomic import write_atomic
from bot.knowledge import KnowledgeError, Problem, load_knowledge
from bot.model import KnowledgeBase

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
CACHE_KEEP = 20  # results remembered: the live base, and recent edits to switch back to


class _Result(Protocol):
    status: str
    score: float
    entry: Any  # an Entry (with .id) or None


Ask = Callable[[str], _Result]


@dataclass(frozen=True, slots=True)
class StoredQuestion:
    """One question variant of the base, and where it is written."""

    entry_id: str
    text: str
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Collision:
    """A stored question that its own entry does not answer."""

    question: StoredQuestion
    status: str
    got: str | None  # the entry that answered instead, if one did
    score: float

    @property
    def wrong_entry(self) -> bool:
        """Answered, but by another entry: readers asking it get another answer."""
        return self.status == "answered" and self.got is not None

    def problem(self) -> Problem:
        q = self.question
        if self.wrong_entry:
            msg = f'question "{q.text}" matches entry {self.got} instead'
        else:
            msg = (
                f'question "{q.text}" is not answered by its own entry '
                f"(status {self.status}, score {self.score:.1f})"
            )
        return Problem(q.file, q.line, q.entry_id, msg)

    def __str__(self) -> str:
        return str(self.problem())


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The outcome of checking ``checked`` stored questions of one knowledge version."""

    version: str
    checked: int
    collisions: tuple[Collision, ...]
    full: bool  # every stored question, not just those a change can affect

    @property
    def clean(self) -> bool:
        return not self.collisions


def stored_questions(
    kb: KnowledgeBase, entry_ids: Iterable[str] | None = None
) -> list[StoredQuestion]:
    """Every question variant of the base (or of the given entries), in file order."""
    wanted = None if entry_ids is None else set(entry_ids)
    out = []
    for entry in kb.entries:
        if wanted is not None and entry.id not in wanted:
            continue
        for questions in entry.questions.values():
            for text in questions:
                line = entry.question_lines.get(text, entry.line)
                out.append(StoredQuestion(entry.id, text, entry.source_file, line))
    return out


def check_questions(questions: Iterable[StoredQuestion], ask: Ask) -> list[Collision]:
    """The questions that ``ask`` does not answer with their own entry."""
    found = []
    for q in questions:
        result = ask(q.text)
        got = getattr(result.entry, "id", None)
        if result.status == "answered" and got == q.entry_id:
            continue
        found.append(Collision(q, result.status, got, float(result.score)))
    return found


def full_check(kb: KnowledgeBase, ask: Ask) -> CheckReport:
    questions = stored_questions(kb)
    return CheckReport(kb.version, len(questions), tuple(check_questions(questions, ask)), True)


def check_directory(
    directory: Path,
    *,
    ask_factory: Callable[[KnowledgeBase], Ask] | None = None,
    **load_options: Any,
) -> list[Problem]:
    """Every problem of a knowledge directory, self-check included; ``[]`` when clean.

    ``ask_factory(kb)`` returns the function that answers a question (default: a new
    ``bot.engine.Engine`` over ``kb``); the self-check runs only on a base that loads.
    """
    try:
        kb = load_knowledge(directory, **load_options)
    except KnowledgeError as exc:
        return exc.problems
    if ask_factory is None:
        from bot.engine import Engine  # lazy: the engine imports this module

        ask_factory = lambda kb: Engine.over(kb).ask  # noqa: E731
    return [c.problem() for c in full_check(kb, ask_factory(kb)).collisions]


# ------------------------------------------------------------------------------- cache


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """A hash of the engine's code and data tables: a cached check is void once they change."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    files = sorted(p for p in package.rglob("*") if p.suffix in (".py", ".txt"))
    for path in files:
        if "telegram" in path.relative_to(package).parts:
            continue
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cache_key(version: str, config: Any) -> str:
    """What a check result depends on: the base, the thresholds and the engine itself."""
    settings = hashlib.sha256(repr(config).encode()).hexdigest()[:8]
    return f"{version}-{settings}-{engine_fingerprint()}"


class CheckCache:
    """Full self-check results by ``cache_key``, in one small JSON file written atomically.

    A missing, unreadable or malformed file is an empty cache: the worst outcome is one
    check run again.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            return {}
        results = data.get("results")
        return results if isinstance(results, dict) else {}

    def get(self, key: str) -> CheckReport | None:
        item = self._read().get(key)
        if not isinstance(item, dict):
            return None
        try:
            collisions = tuple(
                Collision(StoredQuestion(**c["question"]), c["status"], c["got"], c["score"])
                for c in item["collisions"]
            )
            return CheckReport(item["version"], int(item["checked"]), collisions, True)
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, key: str, report: CheckReport) -> None:
        results = self._read()
        results.pop(key, None)
        results[key] = {
            "version": report.version,
            "checked": report.checked,
            "collisions": [asdict(c) for c in report.collisions],
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        kept = dict(list(results.items())[-CACHE_KEEP:])
        write_atomic(self.path, json.dumps({"format": CACHE_FORMAT, "results": kept}))


# ------------------------------------------------------------------------------- child


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.selfcheck KNOWLEDGE_DIR CACHE_FILE [LEARNED_FILE]``: check every
    stored question (with the overlay of learned variants, if given) and record the result
    in the cache. A running bot runs this in a child process at low priority, so that its
    own answers never wait for the check. Thresholds come from the ``CITEBOT_*``
    environment, as for the bot itself."""
    import sys

    from bot.engine import Engine
    from bot.matcher import MatchConfig

    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        usage = "usage: python -m bot.selfcheck KNOWLEDGE_DIR CACHE_FILE [LEARNED_FILE]"
        print(usage, file=sys.stderr)
        return 2
    if hasattr(os, "nice"):
        os.nice(10)  # the bot answering readers comes first
    try:
        engine = Engine(
            Path(args[0]),
            MatchConfig.from_env(os.environ),
            cache=CheckCache(Path(args[1])),
            learned=Path(args[2]) if len(args) == 3 else None,
        )
    except (KnowledgeError, ValueError) as exc:
        print(f"self-check: cannot load {args[0]}: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    engine.self_check()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
