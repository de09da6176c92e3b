"""The feedback store: learning pairs (question, entry, kind) and the questions of recent
bot messages, with an injected clock."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import Clock

from bot.feedback import REMEMBER_DAYS, FeedbackStore
from bot.stats import MAX_TEXT


@pytest.fixture
def clock() -> Clock:
    return Clock(1_700_000_000.0)


@pytest.fixture
def store(tmp_path, clock):
    with FeedbackStore(tmp_path / "feedback.sqlite3", clock=clock) as s:
        yield s


def test_pairs_are_counted_per_question_entry_and_kind(store, clock) -> None:
    store.record_sync("连云港有多少个基地?", "bases", "tap")
    clock.now += 10
    store.record_sync("  连云港有多少个基地  ", "bases", "tap")
    store.record_sync("连云港有多少个基地", "bases", "up")
    store.record_sync("连云港有多少个基地", "other", "down")
    assert store.counts_sync() == {"tap": 2, "up": 1, "down": 1, "not_in_article": 0, "queue": 3}
    pending = store.pending_sync()
    assert [(p.question, p.entry_id, p.kind, p.count) for p in pending] == [
        ("连云港有多少个基地", "bases", "tap", 2),
        ("连云港有多少个基地", "bases", "up", 1),  # ties: by question, then entry
        ("连云港有多少个基地", "other", "down", 1),
    ]
    assert pending[0].last_seen.timestamp() == clock.now
    assert [p.kind for p in store.pending_sync(kinds=("down",))] == ["down"]
    assert len(store.pending_sync(limit=1)) == 1


def test_questions_are_normalised_and_capped(store) -> None:
    store.record_sync("ＨＯＷ   Many Bases？！", "bases", "up")
    store.record_sync("How many bases", "bases", "up")
    store.record_sync("问" * 5000, "bases", "down")
    store.record_sync(" ?? ", "bases", "down")  # nothing left to learn from
    texts = {(p.question, p.count) for p in store.pending_sync()}
    assert texts == {("how many bases", 2), ("问" * MAX_TEXT, 1)}
    with pytest.raises(ValueError):
        store.record_sync("q", "bases", "sideways")  # type: ignore[arg-type]


def test_a_message_question_is_remembered_taken_once_and_expires(store, clock) -> None:
    store.remember_sync(-100, 7, "党史 学习?")
    store.remember_sync(42, 8, "红色")
    assert store.question_for_sync(-100, 7) == "党史 学习"
    assert store.question_for_sync(-100, 7, take=True) == "党史 学习"
    assert store.question_for_sync(-100, 7) is None  # taken: a press is recorded once
    assert store.question_for_sync(42, 9) is None
    clock.now += REMEMBER_DAYS * 86400 + 1
    assert store.question_for_sync(42, 8) is None  # expired, even before pruning
    assert store.prune_sync() == 1
    store.remember_sync(42, 10, "new")
    assert store.question_for_sync(42, 10) == "new"


def test_expired_questions_are_pruned_when_opening_and_while_writing(tmp_path, clock) -> None:
    path = tmp_path / "feedback.sqlite3"
    with FeedbackStore(path, clock=clock) as store:
        store.remember_sync(1, 1, "old")
        clock.now += 3600 * 2  # more than an hour later: the next write prunes
        store.remember_sync(1, 2, "newer")
        clock.now += REMEMBER_DAYS * 86400 - 3600
        store.record_sync("q", "e", "up")  # prunes the first (expired), keeps the second
    assert _rows(path, "asked") == [(1, 2)]
    clock.now += 2 * 86400
    FeedbackStore(path, clock=clock).close()  # opening prunes
    assert _rows(path, "asked") == []
    assert _rows(path, "pairs") == [("q", "e")]


def _rows(path, table: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        cols = "chat_id, message_id" if table == "asked" else "question, entry_id"
        return conn.execute(f"SELECT {cols} FROM {table} ORDER BY 1, 2").fetchall()
    finally:
        conn.close()


def test_no_user_ids_and_no_chat_ids_with_the_pairs(tmp_path) -> None:
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).close()
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        columns = {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in tables}
    finally:
        conn.close()
    assert columns["pairs"] == {"question", "entry_id", "kind", "count", "last_seen"}
    assert columns["asked"] == {"chat_id", "message_id", "question", "ts"}
    assert columns["reviewed"] == {"question", "entry_id", "kind", "action", "ts"}
    assert columns["not_in_article"] == {"question", "ts"}
    assert set(columns) == {"pairs", "asked", "reviewed", "not_in_article"}
    assert not any("user" in c or "name" in c for cols in columns.values() for c in cols)


async def test_async_methods(store) -> None:
    await store.remember(5, 6, "问题")
    assert await store.question_for(5, 6, take=True) == "问题"
    await store.record("问题", "e1", "tap")
    assert (await store.counts())["tap"] == 1
    assert [p.entry_id for p in await store.pending()] == ["e1"]


async def test_a_closed_store_neither_raises_nor_records(tmp_path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.close()
    await store.record("q", "e", "up")  # shutting down: dropped quietly
    await store.remember(1, 2, "q")
    assert await store.question_for(1, 2) is None


def test_the_review_queue_takes_reviewed_items_out(store, clock) -> None:
    for _ in range(3):
        store.record_sync("基地有几个", "bases", "tap")
    store.record_sync("基地有几个", "bases", "up")
    store.record_sync("天气怎么样", "weather-ish", "tap")
    store.record_sync("天气怎么样", "other", "down")
    queue = store.review_queue_sync()
    assert next((i.question, i.entry_id, i.kind, i.count) for i in queue) == (
        "基地有几个",
        "bases",
        "tap",
        3,
    )
    assert len(queue) == 4 and len({i.id for i in queue}) == 4
    first = queue[0]
    assert store.review_item_sync(first.id) == first
    assert store.mark_reviewed_sync(first.id, "skipped") == first
    assert store.mark_reviewed_sync(first.id, "skipped") is None  # once only
    assert store.review_item_sync(first.id) is None
    assert first.id not in {i.id for i in store.review_queue_sync()}
    # not in the article: every pair of that question leaves the queue
    weather = next(i for i in store.review_queue_sync() if i.question == "天气怎么样")
    store.mark_reviewed_sync(weather.id, "not_in_article")
    assert [i.question for i in store.review_queue_sync()] == ["基地有几个"]
    assert store.not_in_article_sync() == ["天气怎么样"]
    assert store.counts_sync()["not_in_article"] == 1
    # a reviewed pair seen again stays reviewed; pending() still lists every pair
    store.record_sync("基地有几个", "bases", "tap")
    assert len(store.review_queue_sync()) == 1
    assert len(store.pending_sync()) == 4
    with pytest.raises(ValueError):
        store.mark_reviewed_sync(1, "deleted")
    assert store.mark_reviewed_sync(999, "skipped") is None
