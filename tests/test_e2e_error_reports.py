"""End to end, error reports to the admins: the real bot against the fake Bot API, whose
sendMessage to readers fails with a 400 the bot does not handle (Telegram refusing a
message's HTML, its description quoting the text), so the error reaches the error handler.

Two identical errors make one report to the admin, without reader data; the next error of
that kind after the interval makes a second report, counting the one held back."""

from __future__ import annotations

from conftest import Clock
from e2e_support import ADMIN_ID, READER_ID, plain, run_bot

from bot.telegram.error_digest import ErrorDigest

SECRET = "紫微星的秘密问题"  # a reader's question: must never reach an admin's report
BASES_ZH = "连云港有多少个爱国主义教育基地?"
READERS = (READER_ID + 11, READER_ID + 12, READER_ID + 13)
REFUSAL = f'Bad Request: can\'t parse entities: unsupported start tag "{SECRET}" at byte offset 0'


async def test_two_identical_errors_make_one_report_without_reader_data(tmp_path):
    clock = Clock(0.0)
    async with run_bot(tmp_path) as bot:
        api = bot.api
        bot.app.bot_data.error_digest = ErrorDigest(600.0, clock=clock)
        api.fail_next(
            "sendMessage",
            3,
            error_code=400,
            description=REFUSAL,
            match=lambda p: int(p.get("chat_id", 0)) in READERS,
        )
        mark = api.mark()

        def ask(reader: int) -> dict:
            user = api.user(reader, "Zephyrine")
            return api.enqueue(
                {"message": api.message(api.private_chat(reader), SECRET, user=user)}
            )

        failed = [ask(READERS[0]), ask(READERS[1])]
        await bot.wait_handled(*failed)  # the error handler ran for both
        report = await api.wait_for("sendMessage", lambda r: r.chat_id == ADMIN_ID, since=mark)
        # a full round trip afterwards: a second report, if any, would be in by now
        _, answer = await bot.private(BASES_ZH, user_id=READER_ID)
        assert "66" in plain(answer)
        assert api.sent(ADMIN_ID, since=mark) == [report]
        assert [r.ok for r in api.sent(READERS[0], since=mark)] == [False]  # it really failed

        text = plain(report)
        assert "Error in the bot: BadRequest at bot.telegram.handlers:send." in text
        assert f"Update {failed[0]['update_id']}." in text
        assert "at most once in 10 minutes" in text
        for reader_data in (SECRET, "Zephyrine", "parse entities", *map(str, READERS)):
            assert reader_data not in report.text, reader_data

        clock.now += 600  # the interval has passed: the next error is reported, with a count
        again = ask(READERS[2])
        await bot.wait_handled(again)
        second = await api.wait_for("sendMessage", lambda r: r.chat_id == ADMIN_ID, since=mark)
        text = plain(second)
        assert f"BadRequest at bot.telegram.handlers:send. Update {again['update_id']}." in text
        assert "1 more since the last report (10 minutes ago)" in text
        assert SECRET not in second.text


async def test_a_report_that_cannot_be_sent_is_logged_and_the_bot_goes_on(tmp_path, caplog):
    async with run_bot(tmp_path) as bot:
        api = bot.api
        api.fail_next(
            "sendMessage",
            1,
            error_code=400,
            description=REFUSAL,
            match=lambda p: int(p.get("chat_id", 0)) == READERS[0],
        )
        api.block_by_user(ADMIN_ID)  # the admin's report is refused: 403
        mark = api.mark()
        upd = api.enqueue({"message": api.message(api.private_chat(READERS[0]), SECRET)})
        await bot.wait_handled(upd)
        refused = await api.wait_for("sendMessage", lambda r: r.chat_id == ADMIN_ID, since=mark)
        await api.responded(refused)
        _, answer = await bot.private(BASES_ZH, user_id=READER_ID)  # still answering
        assert "66" in plain(answer)
        assert api.sent(ADMIN_ID, since=mark) == [refused]  # tried once, not retried
    assert any("could not send the error report to admin" in r.getMessage() for r in caplog.records)
