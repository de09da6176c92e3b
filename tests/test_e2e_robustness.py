"""End to end, the unexpected: media, huge messages, floods, Telegram errors (429, 400,
403, 5xx, slowness), forged buttons, edits, channel posts, hostile text, and the token
never reaching the logs."""

from __future__ import annotations

import asyncio
import logging

import pytest
from e2e_support import (
    ADMIN_ID,
    READER_ID,
    assert_no_errors,
    plain,
    run_bot,
)
from fake_bot_api import DEFAULT_TOKEN

BASES_ZH = "连云港有多少个爱国主义教育基地?"


@pytest.fixture
async def bot(tmp_path):
    async with run_bot(tmp_path) as run:
        yield run


@pytest.fixture
async def bot_all_updates(tmp_path):
    """A bot whose server hands out every update kind (as if allowed_updates were wider,
    e.g. left over from an earlier webhook): the handlers must still ignore the rest."""
    async with run_bot(tmp_path, allowed_updates=None) as run:
        yield run


async def test_media_in_private_gets_a_hint(bot, caplog):
    mark = bot.api.mark()
    sticker = bot.api.private_sticker()
    reply = await bot.reply_to(sticker, since=mark)
    assert "文字" in plain(reply) and "/topics" in plain(reply)
    mark = bot.api.mark()
    photo = bot.api.private_photo("连云港有多少个爱国主义教育基地?", user_id=READER_ID + 1)
    reply = await bot.reply_to(photo, since=mark)
    assert "文字" in plain(reply)
    assert_no_errors(caplog.records)


async def test_very_long_message_is_refused_politely(bot, caplog):
    from bot.telegram.handlers import MAX_QUESTION_CHARS

    long_text = ("连云港有多少个爱国主义教育基地" * 400)[:5000]
    _, reply = await bot.private(long_text)
    assert "太长" in plain(reply) and str(MAX_QUESTION_CHARS) in plain(reply)
    _, reply = await bot.group("/ask " + long_text)
    assert "太长" in plain(reply)
    assert_no_errors(caplog.records)


async def test_flood_from_one_user_is_answered_then_muted(bot, caplog):
    from bot.telegram.app import FLOOD_LIMIT

    flooder = 31337
    mark = bot.api.mark()
    burst = [bot.api.private_text(BASES_ZH, user_id=flooder) for _ in range(FLOOD_LIMIT + 7)]
    await bot.wait_handled(*burst)
    # another reader is unaffected
    _, reply = await bot.private(BASES_ZH, user_id=1)
    assert "66" in plain(reply)
    sent = bot.api.sent(flooder, since=mark)
    notices = [r for r in sent if "太快" in plain(r)]
    answers = [r for r in sent if r not in notices]
    assert all("66" in plain(r) for r in answers)
    assert len(answers) == FLOOD_LIMIT
    assert len(notices) == 1
    assert len(sent) == FLOOD_LIMIT + 1  # then silence
    assert_no_errors(caplog.records)


async def test_429_is_retried_after_retry_after(bot, caplog):
    bot.api.fail_next("sendMessage", error_code=429, retry_after=1)
    _, first = await bot.private(BASES_ZH)
    second = await bot.api.wait_for("sendMessage", lambda r: r.ok and r.chat_id == READER_ID)
    assert first.response["error_code"] == 429
    assert first.response["parameters"] == {"retry_after": 1}
    assert first.params == second.params  # the same message, resent
    # after retry_after, not after some long backoff (loose: the machine may be busy)
    assert 1.0 <= second.received_at - first.received_at < 10
    assert len(bot.api.sent(READER_ID)) == 2
    assert "66" in plain(second)
    assert_no_errors(caplog.records)


async def test_blocked_by_a_user_is_survived(bot, caplog):
    caplog.set_level(logging.INFO)
    blocked = 4040
    bot.api.block_by_user(blocked)
    mark = bot.api.mark()
    upd = bot.api.private_text(BASES_ZH, user_id=blocked)
    attempt = await bot.reply_to(upd, since=mark)
    assert attempt.response["error_code"] == 403
    _, reply = await bot.private(BASES_ZH, user_id=READER_ID)
    assert "66" in plain(reply)
    _, reply = await bot.private(BASES_ZH, user_id=blocked)  # unblocked again
    assert reply.ok
    await bot.wait_handled(upd)  # its error handler has run
    assert any("forbidden" in r.getMessage().lower() for r in caplog.records)
    assert_no_errors(caplog.records)


async def test_rejected_message_is_survived(bot, caplog):
    caplog.set_level(logging.INFO)
    bot.api.fail_next("sendMessage", error_code=400)  # "can't parse entities"
    rejected, attempt = await bot.private(BASES_ZH)
    assert attempt.response["error_code"] == 400
    _, reply = await bot.private(BASES_ZH, user_id=READER_ID + 1)
    assert reply.ok and "66" in plain(reply)
    await bot.wait_handled(rejected)  # its error handler has run
    assert any("rejected" in r.getMessage() for r in caplog.records)
    assert_no_errors(caplog.records)


async def test_server_errors_while_polling_are_survived(bot, caplog):
    caplog.set_level(logging.INFO)
    bot.api.fail_next("getUpdates", error_code=502, description="Bad Gateway")
    # the long poll in flight finishes first; the next one fails, the one after works
    _, reply = await bot.private(BASES_ZH)
    assert reply.ok
    _, reply = await bot.private(BASES_ZH, user_id=READER_ID + 1)
    assert reply.ok
    failed = bot.api.find("getUpdates", lambda r: r.response and not r.ok)
    assert len(failed) == 1
    assert any("Bad Gateway" in r.getMessage() for r in caplog.records)  # logged briefly
    assert_no_errors(caplog.records)


async def test_a_slow_reply_does_not_hold_up_other_readers(bot):
    slow, fast = 7001, 7002
    release = asyncio.Event()  # the slow reader's reply is held until the fast one is sent
    bot.api.fail_next(
        "sendMessage", error_code=None, hold=release, match=lambda p: p.get("chat_id") == slow
    )
    mark = bot.api.mark()
    slow_update = bot.api.private_text(BASES_ZH, user_id=slow)
    fast_update = bot.api.private_text(BASES_ZH, user_id=fast)
    slow_reply = await bot.reply_to(slow_update, since=mark)
    fast_reply = await bot.reply_to(fast_update, since=mark)
    assert fast_reply.ok  # answered while the slow reply was still in flight
    assert slow_reply.response is None
    release.set()
    await bot.api.responded(slow_reply)
    assert slow_reply.ok


async def test_forged_and_stale_buttons_get_a_notice(bot, caplog):
    from bot.telegram.texts import plain as ui_text

    notice = ui_text("stale_button", "zh")
    forged = [
        "zz",
        "a:no-such-entry:zh",
        "a::zh",
        "ai:deadbeef:99999:zh",
        "ai:x:1:2:zh",
        "t:no-such-section:zh",
        "ti:0:0",
        "a:" + "x" * 62,
        "\u202e",
        "T:zh:extra",
        "Tx",
        "t:",
    ]
    mark = bot.api.mark()
    presses = []
    for n, data in enumerate(forged):
        press = bot.api.callback_query(data, user_id=READER_ID + n)
        presses.append(press)
        ack = await bot.api.wait_for(
            "answerCallbackQuery",
            lambda r, p=press: r.params["callback_query_id"] == p["callback_query"]["id"],
            since=mark,
        )
        expected = ui_text("stale_button", "en") if data.endswith(":en") else notice
        assert ack.params.get("text") == expected, data
    # nothing was sent or edited for any of them
    await bot.wait_handled(*presses)
    assert not bot.api.find("sendMessage", since=mark)
    assert not bot.api.find("editMessageText", since=mark)
    assert_no_errors(caplog.records)


async def test_buttons_on_old_inaccessible_messages_still_work(bot, caplog):
    from bot.telegram import callbacks

    kb = bot.kb
    entry = bot.engine.ask(BASES_ZH).entry
    old = {"message_id": 3, "chat": bot.api.private_chat(READER_ID), "date": 0}  # inaccessible
    mark = bot.api.mark()
    press = bot.api.callback_query(callbacks.entry_data(entry, kb, "zh"), message=old)
    answer = await bot.reply_to(press, since=mark)
    assert "66" in plain(answer)
    section = kb.article.section(entry.section_id)
    mark = bot.api.mark()
    press = bot.api.callback_query(callbacks.section_data(section, kb, "zh"), message=old)
    shown = await bot.reply_to(press, since=mark)  # cannot edit: sent anew
    assert section.title in plain(shown) and shown.buttons
    assert_no_errors(caplog.records)


async def test_button_data_without_a_language_still_works(bot, caplog):
    """Data of the kind older buttons carry (no ``:lang`` suffix) reaches each kind's
    handler and is answered in the reader's language."""
    entry = bot.engine.ask(BASES_ZH).entry
    section = bot.kb.article.section(entry.section_id)
    mark = bot.api.mark()
    press = bot.api.callback_query(f"a:{entry.id}")
    answer = await bot.reply_to(press, since=mark)
    assert "66" in plain(answer)
    _, menu = await bot.private("/topics")
    menu_id = bot.api.bot_message(menu)["message_id"]
    for data, needle in ((f"t:{section.id}", section.title), ("T", bot.kb.article.title)):
        mark = bot.api.mark()
        bot.api.callback_query(data, message=bot.api.messages[(READER_ID, menu_id)])
        edit = await bot.api.wait_for("editMessageText", since=mark)
        assert needle in plain(edit), data
    assert_no_errors(caplog.records)


async def test_pressing_the_same_topic_twice(bot, caplog):
    _, menu = await bot.private("/topics")
    mark = bot.api.mark()
    bot.api.press(menu, menu.buttons[0]["text"])
    await bot.api.wait_for("editMessageText", since=mark)
    stale_menu = bot.api.bot_message(menu)
    edited = bot.api.messages[(READER_ID, stale_menu["message_id"])]
    # a second press of a section button on the already-edited message
    mark = bot.api.mark()
    again = bot.api.callback_query(menu.buttons[0]["callback_data"], message=edited)
    retry = await bot.api.wait_for("editMessageText", since=mark)
    assert "not modified" in retry.response["description"]
    await bot.api.wait_for("answerCallbackQuery", since=mark)
    await bot.wait_handled(again)
    _, reply = await bot.private(BASES_ZH)
    assert not bot.api.sent(READER_ID, since=mark)[:-1]  # nothing but the probe's answer
    assert reply.ok
    assert_no_errors(caplog.records)


async def test_edited_messages_and_channel_posts_are_ignored(bot_all_updates, caplog):
    bot = bot_all_updates
    original, reply = await bot.private(BASES_ZH)
    assert "66" in plain(reply)
    mark = bot.api.mark()
    edit = bot.api.edited_text(original, "阿里巴巴的创始人是谁")
    await bot.assert_silent(edit, since=mark, probe=lambda: bot.api.private_text("你好"))
    mark = bot.api.mark()
    post = bot.api.channel_post(f"/ask {BASES_ZH}")
    await bot.wait_handled(post)
    _, reply = await bot.private("你好")
    assert not [
        r for r in bot.api.find(since=mark) if r.chat_id == post["channel_post"]["chat"]["id"]
    ]
    assert_no_errors(caplog.records)


async def test_hostile_text_is_escaped_where_echoed(bot, caplog):
    hostile = "<b>连云港</b> & <script>alert(1)</script> 火星的人口"
    _, reply = await bot.private(hostile)
    assert reply.ok
    _, reply = await bot.private("/unanswered", user_id=ADMIN_ID)
    assert reply.ok  # the fake server rejects malformed HTML, so this proves the escaping
    assert "<script>" in plain(reply) and "&lt;script&gt;" in reply.text
    assert_no_errors(caplog.records)


async def test_token_never_reaches_the_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    async with run_bot(tmp_path) as bot:
        for name in ("httpx", "httpcore", "telegram", "bot"):
            caplog.set_level(logging.DEBUG, logger=name)
        bot.api.block_by_user(READER_ID + 1)
        bot.api.fail_next(
            "sendMessage",
            error_code=429,
            retry_after=1,
            match=lambda p: p.get("chat_id") == READER_ID + 2,
        )
        await bot.private(BASES_ZH)
        await bot.private(BASES_ZH, user_id=READER_ID + 1)
        await bot.private(BASES_ZH, user_id=READER_ID + 2)
        await bot.api.wait_for("sendMessage", lambda r: r.chat_id == READER_ID + 2)
        await bot.private("/reload", user_id=ADMIN_ID)
    secret = DEFAULT_TOKEN.split(":", 1)[1]
    assert len(caplog.records) > 20  # the run was logged at DEBUG, httpx included
    assert any(r.name.startswith("httpx") for r in caplog.records)
    for record in caplog.records:
        for text in (record.getMessage(), record.exc_text or "", repr(record.args)):
            assert secret not in text, f"token leaked in {record.name}: {text[:200]}"
    assert secret not in caplog.text
