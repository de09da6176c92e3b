"""End to end, group chats: the bot answers only when addressed, as a reply in thread."""

from __future__ import annotations

import pytest
from e2e_support import ADMIN_ID, GROUP_ID, READER_ID, blockquotes, plain, run_bot

BASES_ZH = "连云港有多少个爱国主义教育基地?"


@pytest.fixture
async def bot(tmp_path):
    async with run_bot(tmp_path) as run:
        yield run


def assert_bases_answer(reply, update):
    """The 66-bases answer, replying to the asker's message in the group."""
    assert reply.chat_id == GROUP_ID
    assert "66" in plain(reply).split("\n")[0]
    assert any("66个爱国主义教育基地" in q for q in blockquotes(reply))
    assert reply.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert reply.params["reply_parameters"]["allow_sending_without_reply"] is True


async def test_ask_with_bot_username_answers_in_thread(bot):
    upd, reply = await bot.group(f"/ask@{bot.username} {BASES_ZH}")
    assert_bases_answer(reply, upd)
    assert (
        reply.response["result"]["reply_to_message"]["message_id"] == upd["message"]["message_id"]
    )


async def test_ask_without_username(bot):
    upd, reply = await bot.group(f"/ask {BASES_ZH}")
    assert_bases_answer(reply, upd)


async def test_ask_for_another_bot_is_ignored(bot):
    mark = bot.api.mark()
    ignored = bot.api.group_text(f"/ask@other_helper_bot {BASES_ZH}")
    await bot.assert_silent(
        ignored, since=mark, probe=lambda: bot.api.group_text(f"/ask@{bot.username} 你好")
    )


async def test_plain_chatter_is_ignored(bot):
    mark = bot.api.mark()
    chatter = bot.api.group_text(BASES_ZH)  # a question, but not addressed to the bot
    await bot.assert_silent(chatter, since=mark, probe=lambda: bot.api.group_text("/ask 你好"))
    mark = bot.api.mark()
    mention_other = bot.api.group_text(f"@somebody_else {BASES_ZH}")
    await bot.assert_silent(
        mention_other, since=mark, probe=lambda: bot.api.group_text("/ask 你好")
    )


async def test_mention_is_answered_without_the_mention(bot):
    upd, reply = await bot.group(f"@{bot.username} {BASES_ZH}")
    assert_bases_answer(reply, upd)
    # the mention may sit anywhere, in any letter case
    upd, reply = await bot.group(f"请问 @{bot.username.upper()} {BASES_ZH}")
    assert_bases_answer(reply, upd)


async def test_reply_to_the_bot_is_answered(bot):
    _, first = await bot.group(f"/ask {BASES_ZH}")
    bot_message = bot.api.bot_message(first)
    upd, reply = await bot.group(
        "How many patriotic education bases does Lianyungang have?", reply_to=bot_message
    )
    assert reply.params["reply_parameters"]["message_id"] == upd["message"]["message_id"]
    assert "66" in plain(reply)


async def test_reply_to_someone_else_is_ignored(bot):
    await bot.group("/ask 你好")
    other = bot.api.message(
        bot.api.group_chat(GROUP_ID), "hi all", user=bot.api.user(5555, "Other")
    )
    mark = bot.api.mark()
    ignored = bot.api.group_text(BASES_ZH, reply_to=other)
    await bot.assert_silent(ignored, since=mark, probe=lambda: bot.api.group_text("/ask 你好"))


async def test_ask_without_a_question_shows_usage(bot):
    upd, reply = await bot.group(f"/ask@{bot.username}")
    assert "/ask" in plain(reply) and "用法" in plain(reply)
    assert reply.params["reply_parameters"]["message_id"] == upd["message"]["message_id"]
    _, reply = await bot.group("/ask   ")
    assert "用法" in plain(reply)


async def test_forum_topic_answer_stays_in_the_topic(bot):
    upd, reply = await bot.group(f"/ask {BASES_ZH}", is_topic_message=True, message_thread_id=77)
    assert reply.params["message_thread_id"] == 77
    assert_bases_answer(reply, upd)


async def test_group_commands(bot):
    _, reply = await bot.group(f"/start@{bot.username}")
    assert bot.kb.article.title in plain(reply) and "/ask" in plain(reply)
    assert reply.reply_markup is None
    upd, reply = await bot.group("/topics")
    assert len(reply.buttons) >= 3
    assert reply.params["reply_parameters"]["message_id"] == upd["message"]["message_id"]
    # pressing a topic in a group answers the one who pressed, replying to the shared
    # message, which stays as it was for everyone else (see test_e2e_browsing.py)
    mark = bot.api.mark()
    bot.api.press(reply, reply.buttons[0]["text"], user_id=4242)
    shown = await bot.api.wait_for("sendMessage", since=mark)
    assert shown.chat_id == GROUP_ID
    assert shown.reply_to_message_id == bot.api.bot_message(reply)["message_id"]
    assert "tg://user?id=4242" in shown.text


async def test_unknown_group_command_and_sticker_are_silent(bot):
    mark = bot.api.mark()
    unknown = bot.api.group_text("/frobnicate")
    await bot.assert_silent(unknown, since=mark, probe=lambda: bot.api.group_text("/ask 你好"))
    mark = bot.api.mark()
    sticker = bot.api.group_sticker()
    await bot.assert_silent(sticker, since=mark, probe=lambda: bot.api.group_text("/ask 你好"))


async def test_admin_commands_in_groups(bot):
    _, reply = await bot.group("/reload", user_id=READER_ID)
    assert "管理员" in plain(reply)
    _, reply = await bot.group("/unanswered", user_id=ADMIN_ID)
    assert "私聊" in plain(reply)  # question texts are not shown in groups
