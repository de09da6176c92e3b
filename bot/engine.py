"""The answering engine: the current knowledge base plus its matcher, swappable on reload.

Pure: imports nothing from Telegram. ``Engine.ask`` is cheap and synchronous (well under
a millisecond, and recent questions are remembered); ``Engine.reload`` does file I/O and
index building, so async callers run it in a worker thread. A reload builds the new base
completely before swapping a single reference, so concurrent ``ask`` calls always see
either the old or the new base.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.knowledge import load_knowledge
from bot.matcher import MatchConfig, Matcher
from bot.model import KnowledgeBase, MatchResult


@dataclass(frozen=True, slots=True)
class ReloadSummary:
    entries: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    version: str
    previous_version: str


REMEMBERED_ANSWERS = 4096  # results kept per knowledge base: readers ask the same things


@dataclass(frozen=True, slots=True)
class _State:
    kb: KnowledgeBase
    matcher: Matcher
    ask: Callable[[str], MatchResult]  # matcher.match, remembering recent questions

    @classmethod
    def of(cls, kb: KnowledgeBase, matcher: Matcher) -> _State:
        return cls(kb, matcher, lru_cache(maxsize=REMEMBERED_ANSWERS)(matcher.match))


class Engine:
    """Answers questions from a knowledge directory; ``reload`` swaps in a new base."""

    def __init__(self, directory: Path, config: MatchConfig | None = None) -> None:
        self.directory = Path(directory)
        self.config = config or MatchConfig()
        self._reload_lock = threading.Lock()
        self._state = self._build()  # raises KnowledgeError on a broken base

    def _build(self) -> _State:
        built: list[Matcher] = []

        def keep(kb: KnowledgeBase, config: MatchConfig | None) -> Matcher:
            built.append(Matcher(kb, config))
            return built[-1]

        # The loader's collision check builds the matcher; reuse it rather than build twice.
        kb = load_knowledge(self.directory, config=self.config, matcher_factory=keep)
        return _State.of(kb, built[-1] if built else Matcher(kb, self.config))

    @property
    def kb(self) -> KnowledgeBase:
        return self._state.kb

    @property
    def matcher(self) -> Matcher:
        return self._state.matcher

    def ask(self, question: str) -> MatchResult:
        return self._state.ask(question)

    def reload(self) -> ReloadSummary:
        """Re-read and validate the directory, then swap atomically.

        Raises ``KnowledgeError`` (carrying every problem) and keeps the old base if the
        new one is broken. Two concurrent reloads are serialised.
        """
        with self._reload_lock:
            old = self._state
            new = self._build()
            self._state = new
        before = {e.id: e for e in old.kb.entries}
        after = {e.id: e for e in new.kb.entries}
        return ReloadSummary(
            entries=len(after),
            added=tuple(sorted(after.keys() - before.keys())),
            removed=tuple(sorted(before.keys() - after.keys())),
            changed=tuple(sorted(k for k in after.keys() & before.keys() if after[k] != before[k])),
            version=new.kb.version,
            previous_version=old.kb.version,
        )
