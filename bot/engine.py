"""The answering engine: the current knowledge base plus its matcher, swappable on reload.

Pure: imports nothing from Telegram. ``Engine.ask`` is cheap and synchronous (well under
a millisecond, and recent questions are remembered); ``Engine.reload`` and
``Engine.self_check`` do file I/O and real work, so async callers run them in a worker
thread. A reload builds the new base completely before swapping a single reference, so
concurrent ``ask`` calls always see either the old or the new base.

Loading does no self-check (``bot.selfcheck``). A reload checks, before it swaps, the stored
questions its changes can affect, and refuses a base in which one of them would be
answered by another entry, or would lose the answer it gets today. ``self_check`` then
checks everything, remembering the result per knowledge version when given a cache.

A reload has a time limit (``RELOAD_TIME_LIMIT``, a :class:`Deadline`): it is checked
between the reload's steps (waiting for a running reload, loading, indexing, each question
checked) and right before the swap, so that a reload running late gives up, keeps the old
base and releases the reload lock for the next one (:class:`ReloadAbandoned`).
"""

from __future__ import annotations

import dataclasses
import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from bot import learned as overlay
from bot.knowledge import KnowledgeError, Problem, load_knowledge
from bot.matcher import MatchConfig, Matcher, Query
from bot.matcher.known import KnownUnanswerable
from bot.memory import release_free_memory
from bot.model import KnowledgeBase, MatchResult
from bot.normalize import (
    Synonyms,
    detect_lang,
    normalize,
    smalltalk_kind,
    strip_fillers,
    synonyms,
)
from bot.question_kinds import split_two, strip_question_words
from bot.selfcheck import (
    CheckCache,
    CheckReport,
    Collision,
    cache_key,
    check_questions,
    full_check,
    stored_questions,
)

# A message's second question, matched alone this well, is trusted though it leaves out what
# it is about (see ``two_facts``).
TWO_FACTS_STRONG = 60.0
REMEMBERED_ANSWERS = 4096  # results kept per knowledge base: readers ask the same things
MAX_QUESTION_CHARS = 300  # longer input is matched on its first 300 characters
# A stored question of another entry is re-checked on reload when it looks this much like
# a changed entry's text (weighted Dice, 0..100). Lower than any rival that could matter:
# an entry needs a score of ~45 to compete, and Dice is 55 % of the score.
EXPOSURE_DICE = 20.0
# Seconds a reload may take, waiting for another one included (a reload of the shipped base
# takes ~0.5 s); past it, the reload is abandoned and the old base keeps serving.
RELOAD_TIME_LIMIT = 30.0


class ReloadAbandoned(Exception):
    """A reload given up before its swap; the old base keeps serving. ``reason``:
    ``"timeout"`` (it ran past its time limit), ``"busy"`` (another reload held the lock
    for the whole time limit) or whatever :meth:`Deadline.abandon` was given."""

    def __init__(self, reason: str, seconds: float) -> None:
        super().__init__(f"reload abandoned ({reason}) after {seconds:g} s at most")
        self.reason = reason
        self.seconds = seconds


class Deadline:
    """The time limit of one reload, checked by the reload itself between its steps
    (``check``), and a way for another thread to give it up (``abandon``). The swap runs as
    ``last_step``: either it happens, or the reload is abandoned, never both."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self._gate = threading.Lock()
        self._abandoned: str | None = None
        self._swapped = False

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def check(self) -> None:
        """Raise ``ReloadAbandoned`` if the reload was abandoned or is past its limit."""
        if self._abandoned is not None:
            raise ReloadAbandoned(self._abandoned, self.seconds)
        if time.monotonic() >= self.at:
            raise ReloadAbandoned("timeout", self.seconds)

    @contextmanager
    def last_step(self) -> Iterator[None]:
        """Run the swap unless the reload was abandoned or is late (then raise)."""
        with self._gate:
            self.check()
            yield
            self._swapped = True

    def abandon(self, reason: str = "timeout") -> bool:
        """Give the reload up, from any thread: True, unless it has swapped already."""
        with self._gate:
            if self._swapped:
                return False
            if self._abandoned is None:
                self._abandoned = reason
            return True


@dataclass(frozen=True, slots=True)
class ReloadSummary:
    entries: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    version: str
    previous_version: str
    check: CheckReport  # the stored questions the changes can affect, checked before the swap


class Ranker(Protocol):
    """What the engine needs of a matcher (``bot.matcher.Matcher`` is one)."""

    def rank(self, query: Query) -> MatchResult: ...

    def related_questions(self, entry_ids: set[str], min_dice: float) -> set[str]: ...


RankerFactory = Callable[[KnowledgeBase, MatchConfig], Ranker]


def prepare(question: str, words: Synonyms | None = None) -> Query:
    """The question pipeline: length cap, language, normalisation (with the knowledge
    base's synonyms), fillers."""
    text = question[:MAX_QUESTION_CHARS]
    lang = "en" if detect_lang(text) == "en" else "zh"
    normalized = normalize(text, words)
    return Query(question, text, lang, normalized, strip_fillers(normalized))


def answer(
    question: str,
    ranker: Ranker,
    words: Synonyms | None = None,
    known: KnownUnanswerable | None = None,
) -> MatchResult:
    """One question through the pipeline: empty and small talk are settled here, the rest
    is ranked; a question reviewed as not in the article (``known``) is refused, with the
    ranking's related entries as its buttons."""
    query = prepare(question, words)
    if not query.norm:
        return MatchResult(question, "no_match", query.lang, reason="empty")
    kind = smalltalk_kind(query.norm, words)
    if kind:
        return MatchResult(question, "no_match", query.lang, smalltalk=kind, reason="smalltalk")
    result = ranker.rank(query)
    example = known.match(query) if known is not None else None
    if example is None:
        parts = split_two(query.text, query.lang)
        return two_facts(result, parts, ranker, words, known) if parts else result
    related = tuple(
        s for s in result.suggestions if result.entry is None or s.entry_id != result.entry.id
    )
    return MatchResult(
        question,
        "no_match",
        query.lang,
        score=result.score,
        suggestions=related,
        reason=f"known unanswerable: {example}",
    )


def two_facts(
    whole: MatchResult,
    parts: tuple[str, str],
    ranker: Ranker,
    words: Synonyms | None,
    known: KnownUnanswerable | None = None,
) -> MatchResult:
    """A message asking two things (``parts``): both answers, when each part is answered,
    by entries quoting different sentences; else ``whole``, the message's own result.

    The second part often leaves out what it is about ("主题是啥" after "赣榆那个宣讲会哪天
    开的"), and alone it would match something else. So it is asked again after the first
    part's words: it is trusted when that gives the same entry, or when it was a strong
    match alone (``TWO_FACTS_STRONG``) that the first part's words do not turn into the
    first part's entry.
    """
    asked = [prepare(part, words) for part in parts]
    if known is not None and any(known.match(q) for q in asked):
        return whole  # a part an admin marked as not in the article is never answered
    first, second = ranker.rank(asked[0]), ranker.rank(asked[1])
    a, b = first.entry, second.entry
    if first.status != "answered" or second.status != "answered" or a is None or b is None:
        return whole
    if a.citation == b.citation:  # one sentence says both: one answer cites it
        if whole.status == "answered":
            return whole
        return dataclasses.replace(first, question=whole.question, lang=whole.lang)
    context = strip_question_words(prepare(parts[0], words).normalized)
    again = ranker.rank(prepare(f"{context} {parts[1]}", words))
    with_context = again.entry.id if again.status == "answered" and again.entry else None
    strong = second.score >= TWO_FACTS_STRONG and with_context != a.id
    if with_context != b.id and not strong:
        return whole
    if (
        whole.status == "answered"
        and whole.entry is not None
        and whole.entry.id not in (a.id, b.id)
    ):
        return whole  # the message as a whole is answered by a third entry: trust it
    return dataclasses.replace(
        first, question=whole.question, lang=whole.lang, also=(second,), reason="two facts"
    )


@dataclass(frozen=True, slots=True)
class _State:
    kb: KnowledgeBase
    ranker: Ranker
    ask: Callable[[str], MatchResult]  # ``answer`` with this ranker, remembering recent ones
    known: KnownUnanswerable  # the questions marked not in the article

    @classmethod
    def of(
        cls, kb: KnowledgeBase, config: MatchConfig, factory: RankerFactory, remember: int
    ) -> _State:
        ranker = factory(kb, config)
        words = synonyms(kb.synonyms)
        known = KnownUnanswerable(
            kb.unanswerable, lambda q: prepare(q, words), config.known_unanswerable_ratio
        )

        def ask(question: str) -> MatchResult:
            return answer(question, ranker, words, known)

        return cls(kb, ranker, lru_cache(maxsize=remember)(ask) if remember else ask, known)


class Engine:
    """Answers questions from a knowledge directory; ``reload`` swaps in a new base."""

    def __init__(
        self,
        directory: Path,
        config: MatchConfig | None = None,
        *,
        ranker: RankerFactory = Matcher,
        cache: CheckCache | None = None,
        remember: int = REMEMBERED_ANSWERS,
        learned: Path | None = None,
    ) -> None:
        """``ranker(kb, config)`` makes the matcher; ``cache`` keeps full self-checks by
        version; ``remember`` is how many recent answers are kept (0: none); ``learned``:
        the overlay of learned variants (``bot.learned``), merged at every load."""
        self._configure(Path(directory), config, ranker, cache, remember, learned)
        self._state = self._build(self._load())  # raises KnowledgeError
        release_free_memory()  # what indexing allocated and let go of

    def _configure(
        self,
        directory: Path,
        config: MatchConfig | None,
        ranker: RankerFactory,
        cache: CheckCache | None,
        remember: int,
        learned: Path | None,
    ) -> None:
        self.directory = directory
        self.learned = Path(learned) if learned is not None else None
        self.learned_notes: list[Problem] = []
        self._learn_lock = threading.Lock()
        self.config = config or MatchConfig()
        self.ranker_factory = ranker
        self.cache = cache
        self.remember = remember
        self.reload_time_limit = RELOAD_TIME_LIMIT
        self._reload_lock = threading.Lock()

    @classmethod
    def over(
        cls,
        kb: KnowledgeBase,
        config: MatchConfig | None = None,
        *,
        ranker: RankerFactory = Matcher,
    ) -> Engine:
        """An engine over an already loaded base (its directory is not read again)."""
        engine = cls.__new__(cls)
        engine._configure(Path(), config, ranker, None, REMEMBERED_ANSWERS, None)
        engine._state = engine._build(kb)
        return engine

    def _load(self) -> KnowledgeBase:
        """The knowledge directory, with the learned variants merged in."""
        kb = load_knowledge(self.directory)
        if self.learned is not None:
            kb, self.learned_notes = overlay.merge(kb, self.learned)
        return kb

    def learn(
        self, question: str, entry_id: str, deadline: Deadline | None = None
    ) -> ReloadSummary:
        """Add ``question`` as a learned variant of ``entry_id`` (overlay written
        atomically), then reload. If the reload refuses (``KnowledgeError``: the question
        would be answered by another entry, or take a stored variant away from its entry)
        or fails otherwise, the overlay change is undone and the error raised."""
        return self._change_overlay(lambda: self.add_variant(question, entry_id), deadline)

    def mark_unanswerable(self, question: str, deadline: Deadline | None = None) -> ReloadSummary:
        """Record ``question`` as not in the article (:meth:`add_unanswerable`), then
        reload: the same wording is refused from then on."""
        return self._change_overlay(lambda: self.add_unanswerable(question), deadline)

    def add_unanswerable(self, question: str) -> bytes | None:
        """Write ``question`` into the overlay as not in the article (no reload); the
        overlay's previous bytes. Refused (``KnowledgeError``) when a stored question has
        that wording, as the mark would take its answer away."""
        assert self.learned is not None
        known = KnownUnanswerable([question], self._prepare, self.config.known_unanswerable_ratio)
        for entry in self.kb.entries:
            for stored in (q for qs in entry.questions.values() for q in qs):
                if known.match(self._prepare(stored)):
                    message = (
                        f"{question!r} is worded like {stored!r}, a question of {entry.id}: "
                        "marking it would refuse that question"
                    )
                    raise KnowledgeError([Problem(overlay.FILE, None, entry.id, message)])
        return overlay.add_unanswerable(self.learned, question)

    def _prepare(self, question: str) -> Query:
        return prepare(question, synonyms(self.kb.synonyms))

    def _change_overlay(
        self, change: Callable[[], bytes | None], deadline: Deadline | None
    ) -> ReloadSummary:
        """Run ``change`` on the overlay, then reload; undo it if the reload refuses or fails."""
        if self.learned is None:
            raise ValueError("this engine has no overlay of learned variants")
        with self._learn_lock:
            before = change()
            try:
                return self.reload(deadline)
            except BaseException:
                overlay.restore(self.learned, before)
                raise

    def add_variant(self, question: str, entry_id: str) -> bytes | None:
        """Write the variant into the overlay (no reload); the overlay's previous bytes."""
        assert self.learned is not None
        if self.kb.entry(entry_id) is None:
            raise KnowledgeError([Problem(overlay.FILE, None, entry_id, f"no entry {entry_id}")])
        marked = self._state.known.match(self._prepare(question))
        if marked is not None:
            message = f"{question!r} is worded like {marked!r}, marked not in the article"
            raise KnowledgeError([Problem(overlay.FILE, None, entry_id, message)])
        lang = "en" if detect_lang(question) == "en" else "zh"
        return overlay.add(self.learned, entry_id, lang, question)

    def _build(self, kb: KnowledgeBase) -> _State:
        return _State.of(kb, self.config, self.ranker_factory, self.remember)

    @property
    def kb(self) -> KnowledgeBase:
        return self._state.kb

    @property
    def ranker(self) -> Ranker:
        return self._state.ranker

    def ask(self, question: str) -> MatchResult:
        return self._state.ask(question)

    def reload(self, deadline: Deadline | None = None) -> ReloadSummary:
        """Re-read and validate the directory, check what the changes can affect, then swap.

        Raises ``KnowledgeError`` (carrying the problems) and keeps the old base if the
        new one is broken, or if a stored question would be answered by another entry or
        lose its answer. Two concurrent reloads are serialised. Raises ``ReloadAbandoned``
        and keeps the old base once ``deadline`` (default: ``reload_time_limit`` seconds
        from now) has passed or was abandoned: waiting for another reload included.
        """
        try:
            return self._reload(deadline or Deadline(self.reload_time_limit))
        finally:
            # The base let go of (the old one, or a refused new one) holds reference
            # cycles: without a collection it lingers until the next automatic one, and
            # each reload kept ~15 MB more (98 -> 118 -> 132 MB). ~50 ms, after a reload.
            gc.collect()
            release_free_memory()

    def _reload(self, deadline: Deadline) -> ReloadSummary:
        if not self._reload_lock.acquire(timeout=deadline.remaining()):
            raise ReloadAbandoned("busy", deadline.seconds)
        try:
            deadline.check()
            old = self._state
            kb = self._load()
            deadline.check()
            new = self._build(kb)
            deadline.check()
            before = {e.id: e for e in old.kb.entries}
            after = {e.id: e for e in new.kb.entries}
            added = after.keys() - before.keys()
            changed = {k for k in after.keys() & before.keys() if after[k] != before[k]}
            report = self._check_changes(old, new, added | changed, deadline)
            blocking = [c for c in report.collisions if _blocks(c, old)]
            if blocking:
                raise KnowledgeError(c.problem() for c in blocking)
            with deadline.last_step():
                self._state = new
        finally:
            self._reload_lock.release()
        return ReloadSummary(
            entries=len(after),
            added=tuple(sorted(added)),
            removed=tuple(sorted(before.keys() - after.keys())),
            changed=tuple(sorted(changed)),
            version=new.kb.version,
            previous_version=old.kb.version,
            check=report,
        )

    def _check_changes(
        self, old: _State, new: _State, touched: set[str], deadline: Deadline | None = None
    ) -> CheckReport:
        """Check the stored questions of the added and changed entries, and those of other
        entries that look like them (``deadline`` is checked before each). Unchanged text
        that the live base has checked in full is not checked again."""
        if old.kb.version == new.kb.version:
            return CheckReport(new.kb.version, 0, (), False)
        exposed = new.ranker.related_questions(touched, EXPOSURE_DICE) if touched else set()
        questions = [
            q for q in stored_questions(new.kb) if q.entry_id in touched or q.text in exposed
        ]

        def ask(question: str) -> MatchResult:
            if deadline is not None:
                deadline.check()
            return new.ask(question)

        collisions = check_questions(questions, ask)
        return CheckReport(new.kb.version, len(questions), tuple(collisions), False)

    def cached_check(self) -> CheckReport | None:
        """The full self-check of the live base, if it was done before (see ``cache``)."""
        return self._recall(self._state)

    def self_check(self) -> CheckReport:
        """Check every stored question of the live base (or recall the result)."""
        state = self._state
        report = self._recall(state)
        if report is None:
            report = full_check(state.kb, state.ask)
            if self.cache is not None:
                self.cache.put(cache_key(state.kb.version, self.config), report)
        return report

    def _recall(self, state: _State) -> CheckReport | None:
        if self.cache is None:
            return None
        report = self.cache.get(cache_key(state.kb.version, self.config))
        return report if report is not None and report.version == state.kb.version else None


def _blocks(collision: Collision, live: _State) -> bool:
    """A collision that changes what readers get: a stored question answered by another
    entry, or one the live base answers with its own entry that would lose that answer."""
    if collision.wrong_entry:
        return True
    q = collision.question
    entry = live.kb.entry(q.entry_id)
    if entry is None or not any(q.text in qs for qs in entry.questions.values()):
        return False  # a new question that is not answered yet: reported, not blocking
    result = live.ask(q.text)
    return (
        result.status == "answered" and result.entry is not None and result.entry.id == q.entry_id
    )
