"""End to end, the durable inbox: unreadable updates are skipped without stopping the bot,
a repeated update is answered once, and updates stored but never answered are answered at
start-up. (A ``kill -9`` in the middle of a load: tests/test_e2e_process.py.)"""

from __future__ import annotations

import logging

from e2e_support import READER_ID, plain, run_bot
from fake_bot_api import DEFAULT_TOKEN, FakeBotApi

from bot.inbox import Inbox

BASES_ZH = "连云港有多少个爱国主义教育基地?"
SECRET_NAME = "Zephyrine"  # a reader's name: must never reach the logs
SECRET_TEXT = "紫微星的秘密问题"  # a reader's question: must never reach the logs


def _logged(records: list[logging.LogRecord]) -> str:
    return "\n".join(r.getMessage() for r in records if r.levelno >= logging.INFO)


async def test_unreadable_updates_are_skipped_and_confirmed(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with run_bot(tmp_path) as bot:
        api = bot.api
        user = api.user(READER_ID + 50, SECRET_NAME)
        message = api.message(api.private_chat(READER_ID + 50), SECRET_TEXT, user=user)
        no_date = {k: v for k, v in message.items() if k != "date"}
        bad = [api.enqueue({"message": no_date}), api.enqueue({"message": SECRET_TEXT})]
        polls = api.received_count.get("getupdates", 0)
        _, reply = await bot.private(BASES_ZH)  # the bot still answers everyone
        assert "66" in plain(reply)
        await api.wait_until(lambda: api.pending_updates == 0, "the updates were not confirmed")
        assert api.received_count.get("getupdates", 0) - polls < 20  # no refetching loop
    log = _logged(caplog.records)
    for update in bad:
        assert f"update {update['update_id']} cannot be read" in log
    assert SECRET_NAME not in log and SECRET_TEXT not in log


async def test_a_repeated_update_is_answered_once(tmp_path):
    async with run_bot(tmp_path) as bot:
        api = bot.api
        first = api.private_text(BASES_ZH, user_id=READER_ID + 60)
        api.enqueue(first)  # the same update again (same id), as after a redelivery
        upd, reply = await bot.private("连云港有多少处革命遗址?", user_id=READER_ID + 61)
        assert "155" in plain(reply)
        await bot.wait_handled(first, upd)
        await api.wait_until(lambda: api.pending_updates == 0, "the updates were not confirmed")
        answers = api.find("sendMessage", lambda r: r.chat_id == READER_ID + 60)
        assert len(answers) == 1 and "66" in plain(answers[0])


async def test_updates_stored_but_never_answered_are_answered_at_start(tmp_path):
    api = FakeBotApi(DEFAULT_TOKEN)
    chat = READER_ID + 70
    raw = {
        "update_id": 424242,
        "message": api.message(api.private_chat(chat), BASES_ZH, user=api.user(chat)),
    }
    inbox = Inbox(tmp_path / "data" / "inbox.sqlite3")  # where run_bot's settings put it
    inbox.accept([(raw["update_id"], raw)])  # stored, then the bot was killed
    inbox.close()
    async with run_bot(tmp_path, api=api) as bot:
        reply = await api.wait_for("sendMessage", lambda r: r.chat_id == chat)
        assert "66" in plain(reply)
        await bot.wait_handled(raw)
        assert bot.app.bot_data.inbox.pending() == []


async def test_a_repeat_does_not_mark_the_first_copy_done_while_it_is_in_hand(tmp_path):
    from bot.telegram.durable import mark_done

    class Ctx:  # what mark_done reads of a handler context
        def __init__(self, bot):
            self.bot_data = bot.app.bot_data

    async with run_bot(tmp_path) as bot:
        inbox = bot.app.bot_data.inbox
        raw = {
            "update_id": 99,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "x",
                "chat": {"id": 5, "type": "private"},
            },
        }
        assert inbox.accept([(99, raw)]) == [True]
        from telegram import Update

        await mark_done(Update.de_json({"update_id": 99}, bot.app.bot), Ctx(bot))
        assert [uid for uid, _ in inbox.pending()] == [99]  # the repeat marked nothing
        await mark_done(Update.de_json(raw, bot.app.bot), Ctx(bot))
        assert inbox.pending() == []
