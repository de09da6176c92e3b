"""The SQLite statistics store: counters, unanswered questions, persistence, threading."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Clock

from bot.stats import MAX_TEXT, StatsStore, normalize_text

DAY = 86400.0


@pytest.fixture
def clock() -> Clock:
    return Clock(1_700_000_000.0)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "stats.sqlite3"


def test_counts_since_start_and_total_persist_across_reopen(db: Path, clock: Clock) -> None:
    with StatsStore(db, clock=clock) as store:
        for status in ("answered", "answered", "ambiguous", "no_match", "smalltalk"):
            store.record_sync(status, "zh", "some question")
        first = store.counts_sync()
    assert first.total == {"answered": 2, "ambiguous": 1, "no_match": 1, "smalltalk": 1}
    assert first.since_start == first.total

    clock.now += 60
    with StatsStore(db, clock=clock) as store:  # a restart
        store.record_sync("no_match", "en", "what is the population")
        counts = store.counts_sync()
        top = store.top_unanswered_sync()
    assert counts.since_start == {"answered": 0, "ambiguous": 0, "no_match": 1, "smalltalk": 0}
    assert counts.total == {"answered": 2, "ambiguous": 1, "no_match": 2, "smalltalk": 1}
    # both asked once: the more recent first; the one from before the restart is still there
    assert [(t, n) for t, n, _ in top] == [("what is the population", 1), ("some question", 1)]


def test_top_unanswered_orders_by_count_then_recency(db: Path, clock: Clock) -> None:
    with StatsStore(db, clock=clock) as store:
        plan = [("连云港的人口", 3), ("gdp", 1), ("天气怎么样", 2), ("作者是谁的学生", 1)]
        for text, times in plan:
            for _ in range(times):
                store.record_sync("no_match", "zh", text)
                clock.now += 60
        store.record_sync("answered", "zh", "answered questions are not kept")
        top = store.top_unanswered_sync(limit=10, days=30)
        assert [(t, n) for t, n, _ in top] == [
            ("连云港的人口", 3),
            ("天气怎么样", 2),
            ("作者是谁的学生", 1),  # asked after "gdp": more recent first among equals
            ("gdp", 1),
        ]
        assert all(isinstance(last, datetime) and last.tzinfo is UTC for *_, last in top)
        assert top[0].last_seen < top[1].last_seen
        assert store.top_unanswered_sync(limit=2) == top[:2]


def test_only_recent_questions_count(db: Path, clock: Clock) -> None:
    with StatsStore(db, clock=clock) as store:
        for _ in range(5):
            store.record_sync("no_match", "zh", "old question")
        clock.now += 40 * DAY
        store.record_sync("no_match", "zh", "new question")
        assert [t for t, _, _ in store.top_unanswered_sync(days=30)] == ["new question"]
        assert [t for t, _, _ in store.top_unanswered_sync(days=60)] == [
            "old question",
            "new question",
        ]


def test_ambiguous_questions_are_kept_separately(db: Path, clock: Clock) -> None:
    with StatsStore(db, clock=clock) as store:
        store.record_sync("ambiguous", "zh", "党史")
        store.record_sync("no_match", "zh", "人口")
        assert [r.text for r in store.top_unanswered_sync()] == ["人口"]
        assert [r.text for r in store.top_unanswered_sync(statuses=("ambiguous",))] == ["党史"]
        both = store.top_unanswered_sync(statuses=("ambiguous", "no_match"))
        assert {r.text for r in both} == {"党史", "人口"}


def test_texts_are_normalised_grouped_and_capped(db: Path, clock: Clock) -> None:
    with StatsStore(db, clock=clock) as store:
        store.record_sync("no_match", "zh", "连云港的人口?")
        store.record_sync("no_match", "zh", "  连云港的人口  ")
        store.record_sync("no_match", "zh", "连云港的人口?")  # full-width question mark
        store.record_sync("no_match", "en", "What  is the GDP?")
        store.record_sync("no_match", "en", "what is the gdp")
        store.record_sync("no_match", "zh", "长" * 5000)
        top = store.top_unanswered_sync()
    counts = {t: n for t, n, _ in top}
    assert counts["连云港的人口"] == 3
    assert counts["what is the gdp"] == 2
    assert max(len(t) for t in counts) == MAX_TEXT


def test_answered_and_smalltalk_texts_are_never_stored(db: Path, clock: Clock) -> None:
    with StatsStore(db, clock=clock) as store:
        store.record_sync("answered", "zh", "secret answered question")
        store.record_sync("smalltalk", "zh", "你好")
    conn = sqlite3.connect(db)
    try:
        texts = [row[0] for row in conn.execute("SELECT text FROM questions")]
    finally:
        conn.close()
    assert texts == []


def test_unknown_status_is_rejected(db: Path) -> None:
    with StatsStore(db) as store, pytest.raises(ValueError):
        store.record_sync("maybe", "zh", "x")


def test_database_uses_wal(db: Path) -> None:
    store = StatsStore(db)
    try:
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        finally:
            conn.close()
    finally:
        store.close()


def test_normalize_text() -> None:
    assert normalize_text("  What\tIS  this?? ") == "what is this"
    assert normalize_text("ABC123") == "abc123"  # NFKC folds full width
    assert normalize_text("连云港。") == "连云港"


async def test_async_writes_run_off_the_event_loop(db: Path, monkeypatch) -> None:
    loop_thread = threading.get_ident()
    seen: set[int] = set()
    store = StatsStore(db)
    original = store._flush

    def spy(*args):
        seen.add(threading.get_ident())
        return original(*args)

    monkeypatch.setattr(store, "_flush", spy)
    try:
        await asyncio.gather(*(store.record("no_match", "zh", f"q{i % 7}") for i in range(200)))
        counts = await store.counts()
        top = await store.top_unanswered(limit=3)
    finally:
        await store.aclose()
    assert counts.total["no_match"] == 200
    assert counts.since_start["no_match"] == 200
    assert len(seen) == 1 and loop_thread not in seen  # one worker thread, not the loop's
    assert [n for _, n, _ in top] == [29, 29, 29]


def test_records_queued_while_the_worker_is_busy_are_written_in_one_transaction(
    db: Path, monkeypatch
) -> None:
    store = StatsStore(db)
    flushes: list[int] = []
    original = store._flush

    def counting() -> None:
        flushes.append(len(store._pending))
        original()

    monkeypatch.setattr(store, "_flush", counting)
    busy = threading.Event()
    store._submit(busy.wait)  # hold the worker, as a slow disk would
    futures = [store.record_nowait("no_match", "zh", f"q{i}") for i in range(50)]
    busy.set()
    for future in futures:
        future.result(timeout=10)
    try:
        assert flushes == [50]  # one transaction for the whole burst
        assert store.counts_sync().total["no_match"] == 50
        assert len(store.top_unanswered_sync(limit=100)) == 50
    finally:
        store.close()


async def test_close_flushes_queued_writes(db: Path) -> None:
    store = StatsStore(db)
    futures = [store.record_nowait("answered", "en") for _ in range(50)]
    store.close()  # must wait for all 50 writes
    assert all(f.done() for f in futures)
    with StatsStore(db) as again:
        assert again.counts_sync().total["answered"] == 50


async def test_record_after_close_is_harmless(db: Path) -> None:
    store = StatsStore(db)
    await store.aclose()
    await store.record("answered", "zh")  # logged/ignored, never raised into a handler
    store.close()  # idempotent
