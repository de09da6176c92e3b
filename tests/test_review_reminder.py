"""The review reminder: when one is due (an injected clock), its state file, and the
message the admins get (counts only, in the admin's language)."""

from __future__ import annotations

import json
import logging

import pytest
from conftest import Clock

from bot.feedback import FeedbackStore
from bot.prefs import PrefsStore
from bot.review_reminder import FILE, Queue, Reminders, State, due, load, save
from bot.telegram.review_reminder import ReviewReminder, admin_lang, reminder_text

HOUR = 3600.0


@pytest.fixture
def path(tmp_path):
    return tmp_path / "data" / FILE


@pytest.fixture
def reminders(path, clock: Clock) -> Reminders:
    return Reminders(path, 24 * HOUR, clock=clock)


# ---------------------------------------------------------------------------- due


def test_the_first_reminder_is_due_at_once_when_something_waits(reminders) -> None:
    assert not reminders.due(Queue(0, 0, 0))  # an empty queue: nothing to say
    assert reminders.due(Queue(1, 7, 1))


def test_not_again_before_the_interval_nor_without_a_newer_pair(reminders, clock) -> None:
    reminders.sent(Queue(2, 7, 2))
    assert reminders.state == State(clock.now, 7)
    clock.advance(HOUR)
    assert not reminders.due(Queue(3, 8, 1))  # a newer pair, but too soon
    clock.advance(30 * HOUR)
    assert not reminders.due(Queue(2, 7, 0))  # the same items, left unreviewed: no nagging
    assert not reminders.due(Queue(1, 5, 0))  # some reviewed meanwhile: nothing newer either
    assert reminders.due(Queue(3, 8, 1))  # the interval passed and a newer pair waits


def test_again_exactly_at_the_interval(reminders, clock) -> None:
    reminders.sent(Queue(1, 3, 1))
    clock.advance(24 * HOUR - 1)
    assert not reminders.due(Queue(2, 4, 1))
    clock.advance(1)
    assert reminders.due(Queue(2, 4, 1))


def test_interval_zero_is_off(path) -> None:
    queue = Queue(5, 9, 5)
    assert not due(State(), queue, 0.0, now=1000.0)
    assert not due(State(1.0, 0), queue, 0.0, now=1e9)
    assert due(State(), queue, 1.0, now=1000.0)
    with pytest.raises(ValueError):
        Reminders(path, 0.0)


def test_a_replaced_feedback_store_is_news_again() -> None:
    # the last reminder covered pair 40; the store now holds no pair past 3: it was replaced
    # (deleted, restored from an older backup), and its pairs are news, not old items
    last = State(reminded_at=0.0, newest_id=40)
    assert due(last, Queue(2, 3, 0, top_id=3), HOUR, now=2 * HOUR)
    assert not due(last, Queue(2, 3, 0, top_id=41), HOUR, now=2 * HOUR)  # 41 was reviewed


def test_a_clock_set_back_does_not_hold_reminders_back() -> None:
    assert due(State(reminded_at=5000.0, newest_id=1), Queue(2, 2, 1), HOUR, now=1000.0)


def test_checks_every_interval_but_at_least_every_ten_minutes(path) -> None:
    assert Reminders(path, 24 * HOUR).check_every == 600.0
    assert Reminders(path, 0.5).check_every == 0.5
    assert Reminders(path, 1e-9).check_every == 0.5  # a tiny setting: no busy loop


# ---------------------------------------------------------------------------- state file


def test_the_state_survives_a_restart_and_the_write_is_atomic(path, clock) -> None:
    first = Reminders(path, HOUR, clock=clock)
    first.sent(Queue(4, 12, 4))
    assert sorted(p.name for p in path.parent.iterdir()) == [FILE]  # no temporary file left
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored == {"reminded_at": clock.now, "newest_id": 12}
    again = Reminders(path, HOUR, clock=clock)
    assert again.state == State(clock.now, 12)
    assert not again.due(Queue(4, 12, 0))


def test_a_missing_file_is_no_reminder_yet_and_quiet(path, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        assert load(path) == State()
    assert not caplog.records


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe garbage",
        b"[1, 2]",
        b'{"reminded_at": 1.0}',
        b'{"reminded_at": "yesterday", "newest_id": 3}',
        b'{"reminded_at": 1.0, "newest_id": -1}',
        b'{"reminded_at": 1.0, "newest_id": true}',
        b'{"reminded_at": NaN, "newest_id": 3}',
        b'{"reminded_at": 1.0, "newest_id": 3, "extra": 0}',
    ],
)
def test_a_corrupt_file_is_no_reminder_yet_with_one_warning(path, clock, caplog, content) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="bot.review_reminder"):
        reminders = Reminders(path, HOUR, clock=clock)
        assert reminders.state == State()
        assert reminders.due(Queue(1, 1, 1))
        reminders.due(Queue(1, 1, 1))  # looking again does not log again
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and str(path) in record.getMessage()
    reminders.sent(Queue(1, 1, 1))  # the next reminder replaces the corrupt file
    assert load(path) == State(clock.now, 1)


def test_an_unreadable_file_is_no_reminder_yet(path, caplog) -> None:
    path.mkdir(parents=True)  # a directory where the file belongs
    with caplog.at_level(logging.WARNING, logger="bot.review_reminder"):
        assert load(path) == State()
    assert len(caplog.records) == 1


def test_a_failed_write_is_one_warning_and_the_reminder_is_still_remembered(
    tmp_path, clock, caplog
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory belongs", encoding="utf-8")
    reminders = Reminders(blocker / FILE, HOUR, clock=clock)  # unreadable: logged once
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.review_reminder"):
        reminders.sent(Queue(1, 4, 1))
        clock.advance(2 * HOUR)
        reminders.sent(Queue(2, 5, 1))
    (record,) = caplog.records
    assert record.getMessage().startswith("cannot write the review reminder state")
    assert reminders.state == State(clock.now, 5)  # no nagging until the restart


def test_save_and_load_round_trip(path) -> None:
    save(path, State(1_700_000_000.5, 42))
    assert load(path) == State(1_700_000_000.5, 42)
    save(path, State())
    assert load(path) == State()


# ---------------------------------------------------------------------------- the queue


def test_the_feedback_store_counts_the_queue_and_its_newest_pair(tmp_path, clock) -> None:
    with FeedbackStore(tmp_path / "feedback.sqlite3", clock=clock) as store:
        assert store.queue_summary_sync() == Queue(0, 0, 0, 0)
        store.record_sync("基地有几个", "bases", "tap")
        store.record_sync("天气怎么样", "other", "down")
        first, second = sorted(i.id for i in store.review_queue_sync())
        assert store.queue_summary_sync() == Queue(2, second, 2, second)
        assert store.queue_summary_sync(since_id=first) == Queue(2, second, 1, second)
        store.record_sync("基地有几个", "bases", "tap")  # seen again: the same pair, same id
        assert store.queue_summary_sync(since_id=second) == Queue(2, second, 0, second)
        store.mark_reviewed_sync(second, "not_in_article")  # reviewed: out of the queue
        assert store.queue_summary_sync(since_id=second) == Queue(1, first, 0, second)
        store.record_sync("红色地标有哪些", "bases", "up")
        (third,) = [i.id for i in store.review_queue_sync() if i.id not in (first, second)]
        assert third > second
        assert store.queue_summary_sync(since_id=second) == Queue(2, third, 1, third)


async def test_the_async_queue_summary_and_a_closed_store(tmp_path, caplog) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    await store.record("基地有几个", "bases", "tap")
    summary = await store.queue_summary()
    assert summary is not None and (summary.count, summary.new) == (1, 1)
    store.close()
    with caplog.at_level(logging.ERROR, logger="bot.feedback"):
        assert await store.queue_summary() is None  # logged, never raised
    assert len(caplog.records) == 1


# ---------------------------------------------------------------------------- the message


def test_the_message_gives_counts_and_points_at_review() -> None:
    queue = Queue(3, 9, 2)
    first_zh = reminder_text(queue, True, 24.0, "zh")
    assert first_zh.startswith("📝 待审核的读者点选和评价:3 条。") and "/review" in first_zh
    assert "每 24 小时" in first_zh
    later_en = reminder_text(queue, False, 0.5, "en")
    assert "waiting for review: 3, 2 of them new since the last reminder" in later_en
    assert "/review" in later_en and "every 0.5 hours" in later_en
    later_zh = reminder_text(queue, False, 24.0, "zh")
    assert "3 条,其中 2 条是上次提醒后新增的" in later_zh
    assert "every 1 hour (" in reminder_text(queue, True, 1.0, "en")  # not "1 hours"
    assert "every 0.0002 hours" in reminder_text(queue, True, 0.0002, "en")  # not 2e-04


def test_an_admin_gets_their_language_choice_else_english(tmp_path) -> None:
    assert admin_lang(None, 7) == "en"
    with PrefsStore(tmp_path / "prefs.sqlite3") as prefs:
        assert admin_lang(prefs, 7) == "en"
        prefs.set_nowait(7, "zh-hant").result()
        prefs.set_nowait(8, "zh-hans").result()
        prefs.set_nowait(9, "en").result()
        assert [admin_lang(prefs, a) for a in (7, 8, 9)] == ["zh", "zh", "en"]


def test_no_reminder_task_when_off_without_admins_or_without_feedback(tmp_path) -> None:
    from types import SimpleNamespace

    from bot.settings import Settings

    token = "42:FakeTokenForTestsOnly_xyzXYZ0123456"
    base = {"TELEGRAM_BOT_TOKEN": token, "CITEBOT_DATA_DIR": str(tmp_path)}
    app = SimpleNamespace()
    with FeedbackStore(tmp_path / "feedback.sqlite3") as feedback:

        def build(feedback=feedback, **env: str):
            settings = Settings.from_env({**base, **env})
            return ReviewReminder.build(app, settings, feedback, None)  # type: ignore[arg-type]

        built = build(CITEBOT_ADMIN_IDS="5")
        assert built is not None and built.reminders.interval == 24 * HOUR
        assert built.reminders.path == tmp_path / FILE
        assert build(CITEBOT_ADMIN_IDS="5", CITEBOT_REVIEW_REMINDER_HOURS="0") is None
        assert build() is None  # no admins
        assert build(feedback=None, CITEBOT_ADMIN_IDS="5") is None


async def test_an_unreachable_admin_is_warned_about_once_until_reached_again(caplog) -> None:
    from telegram.error import Forbidden

    from bot.telegram.review_reminder import send_reminder

    class Bot:
        def __init__(self) -> None:
            self.blocked = True
            self.sent: list[int] = []

        async def send_message(self, chat_id: int, text: str, parse_mode: str) -> None:
            if self.blocked and chat_id == 7:
                raise Forbidden("bot was blocked by the user")
            self.sent.append(chat_id)

    bot, failing = Bot(), set()
    queue = Queue(1, 1, 1)
    with caplog.at_level(logging.DEBUG, logger="bot.telegram.review_reminder"):
        for _ in range(3):  # three looks, admin 7 blocked throughout
            assert (
                await send_reminder(
                    bot, [7, 8], None, queue, first=True, hours=1.0, failing=failing
                )
                == 1
            )
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "admin 7" in warnings[0].getMessage()
        bot.blocked = False
        assert (
            await send_reminder(bot, [7, 8], None, queue, first=True, hours=1.0, failing=failing)
            == 2
        )
        assert failing == set()
        assert any("reached admin 7 again" in r.getMessage() for r in caplog.records)


async def test_a_stop_lets_a_look_in_progress_finish_and_save(path) -> None:
    import asyncio
    from types import SimpleNamespace

    from bot.telegram.review_reminder import ReviewReminder

    sending, release = asyncio.Event(), asyncio.Event()

    class Bot:
        async def send_message(self, chat_id: int, text: str, parse_mode: str) -> None:
            sending.set()
            await release.wait()  # the request is on the wire when the bot stops

    class Feedback:
        async def queue_summary(self, since_id: int = 0) -> Queue:
            return Queue(1, 1, 1, 1)

    app = SimpleNamespace(running=True, bot=Bot())
    reminder = ReviewReminder(app, Feedback(), Reminders(path, 0.5), [7])  # type: ignore[arg-type]
    reminder.start()
    await asyncio.wait_for(sending.wait(), 30)
    stopping = asyncio.ensure_future(reminder.stop())
    await asyncio.sleep(0)  # the stop has begun: it waits for the look, not cancels it
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, 30)
    assert load(path).newest_id == 1  # what was sent is remembered: not sent again
