"""End to end, the review reminder: a reader taps a "did you mean" choice, and the admin
then gets a private message saying one pair waits for /review (counts only, in the admin's
/language choice); the state file records the pair. A reminder no admin received is tried
again at the next look. (When one is due, and that it is not repeated without a newer
pair: tests/test_review_reminder.py, with a fake clock.)"""

from __future__ import annotations

import logging

from e2e_support import ADMIN_ID, READER_ID, assert_no_errors, find_ambiguous, plain, run_bot

from bot import review_reminder
from bot.stats import normalize_text

HOURS = "0.0002"  # 0.72 s: the bot looks at the queue that often


def is_reminder(req) -> bool:
    return req.chat_id == ADMIN_ID and "/review" in req.text


async def tap_a_choice(bot) -> str:
    """A reader asks a vague question and taps its first "did you mean" choice; the
    question, as stored."""
    question, _ = find_ambiguous()
    _, reply = await bot.private(question)
    choice = next(b for b in reply.buttons if b.get("callback_data", "").startswith("c"))
    mark = bot.api.mark()
    press = bot.api.press(reply, choice["callback_data"])
    await bot.reply_to(press, since=mark)
    await bot.wait_handled(press)
    return normalize_text(question)


async def test_the_admin_is_reminded_of_a_tap(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    env = {"CITEBOT_REVIEW_REMINDER_HOURS": HOURS}
    async with run_bot(tmp_path, env=env) as bot:
        path = bot.settings.review_reminder_path
        assert path == bot.settings.data_dir / review_reminder.FILE
        await bot.app.bot_data.prefs.set(ADMIN_ID, "zh-hans")  # the admin chose 简体中文
        question = await tap_a_choice(bot)

        reminder = await bot.api.wait_for("sendMessage", is_reminder)
        text = plain(reminder)
        assert text.startswith("📝 待审核的读者点选和评价:1 条。请用 /review 审核。"), text
        assert question not in text  # counts only: /review shows the questions
        (item,) = await bot.feedback.review_queue()
        assert (item.question, item.kind) == (question, "tap")
        await bot.api.wait_until(path.exists, "the reminder state was not saved")
        state = review_reminder.load(path)
        assert state.newest_id == item.id and state.reminded_at is not None
        assert [p.name for p in path.parent.glob(f".{path.name}.*")] == []  # written atomically
        assert len(bot.api.sent(READER_ID)) == 2  # the choices and the answer: nothing more
    assert bot.app.bot_data.review_reminder._task.done()  # stopped with the bot
    assert_no_errors(caplog.records)


async def test_a_reminder_nobody_received_is_sent_again(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with run_bot(tmp_path, env={"CITEBOT_REVIEW_REMINDER_HOURS": HOURS}) as bot:
        bot.api.block_by_user(ADMIN_ID)  # the first reminder fails: 403
        await tap_a_choice(bot)
        failed = await bot.api.wait_for("sendMessage", is_reminder)
        await bot.api.responded(failed)
        assert not failed.ok
        again = await bot.api.wait_for("sendMessage", is_reminder)  # the next look
        await bot.api.responded(again)
        assert again.ok
        # no /language choice: English, like the other messages admins get unasked
        assert plain(again).startswith("📝 Readers' taps and votes waiting for review: 1.")
        await bot.api.wait_until(
            lambda: review_reminder.load(bot.settings.review_reminder_path).newest_id > 0,
            "the reminder state was not saved",
        )
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.telegram.review_reminder" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1 and f"admin {ADMIN_ID}" in warnings[0]
    assert_no_errors(caplog.records)
