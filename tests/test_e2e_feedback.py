"""End to end, learning from readers: a press on a "did you mean" choice records (question,
entry, tap); 👍/👎 under an answer record (question, entry, up/down), thank the reader with
a notice on the button only (nothing is posted to the chat) and take the row away."""

from __future__ import annotations

import pytest
from e2e_support import GROUP_ID, READER_ID, find_ambiguous, run_bot

from bot.stats import normalize_text
from bot.telegram import callbacks

BASES_ZH = "连云港有多少个爱国主义教育基地?"


@pytest.fixture
async def bot(tmp_path):
    async with run_bot(tmp_path) as run:
        yield run


def only_share_link(markup) -> bool:
    """What stays under an answer once 👍/👎 was pressed: the share link alone."""
    (row,) = markup["inline_keyboard"]
    (button,) = row
    return "callback_data" not in button and "?start=" in button["url"]


async def pairs(bot) -> set[tuple[str, str, str, int]]:
    return {(p.question, p.entry_id, p.kind, p.count) for p in await bot.feedback.pending()}


async def vote(bot, answer, label: str, *, user_id: int = READER_ID):
    """Press ``label`` (👍/👎) under ``answer``; wait for the acknowledgement, the removal
    of the row and the end of handling. Returns (press, ack, edit, mark)."""
    mark = bot.api.mark()
    press = bot.api.press(answer, label, user_id=user_id)
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    edit = await bot.api.wait_for("editMessageReplyMarkup", since=mark)
    await bot.wait_handled(press)
    return press, ack, edit, mark


async def test_a_choice_press_is_a_tap_and_its_answer_can_be_voted_on(bot):
    question, _ = find_ambiguous()
    _, reply = await bot.private(question)
    chosen = reply.buttons[1]
    assert chosen["callback_data"].startswith("c")
    entry_id = callbacks.resolve_entry(callbacks.parse(chosen["callback_data"]), bot.kb).id
    mark = bot.api.mark()
    press = bot.api.press(reply, chosen["callback_data"])
    answer = await bot.reply_to(press, since=mark)
    await bot.wait_handled(press)
    q = normalize_text(question)
    assert await pairs(bot) == {(q, entry_id, "tap", 1)}
    assert [b["text"] for b in answer.buttons if "callback_data" in b] == ["👍", "👎"]

    # the answer's 👍 is connected to the question the choice message answered
    _, ack, edit, mark = await vote(bot, answer, "👍")
    assert ack.params["text"] == "谢谢反馈"
    assert edit.params["message_id"] == bot.api.bot_message(answer)["message_id"]
    assert await pairs(bot) == {(q, entry_id, "tap", 1), (q, entry_id, "up", 1)}
    assert not bot.api.sent(READER_ID, since=mark)


async def test_thumbs_up_records_quietly_and_removes_the_row(bot):
    _, answer = await bot.private(BASES_ZH)
    entry = bot.engine.ask(BASES_ZH).entry
    assert [b["text"] for b in answer.buttons if "callback_data" in b] == ["👍", "👎"]
    assert all(len(b.get("callback_data", "").encode()) <= 64 for b in answer.buttons)
    press, ack, edit, mark = await vote(bot, answer, "👍")
    assert ack.params["callback_query_id"] == press["callback_query"]["id"]
    assert ack.params["text"] == "谢谢反馈"
    assert not ack.params.get("show_alert")
    assert edit.chat_id == READER_ID
    assert edit.params["message_id"] == bot.api.bot_message(answer)["message_id"]
    assert only_share_link(edit.params.get("reply_markup"))  # the row is gone, the link stays
    assert not bot.api.sent(READER_ID, since=mark)  # nothing posted to the chat
    assert await pairs(bot) == {(normalize_text(BASES_ZH), entry.id, "up", 1)}

    # a stale press (the row is gone): the notice only, nothing recorded or edited
    current = dict(bot.api.messages[(READER_ID, edit.params["message_id"])])
    assert only_share_link(current.get("reply_markup"))
    mark = bot.api.mark()
    again = bot.api.callback_query(answer.buttons[1]["callback_data"], message=current)
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    await bot.wait_handled(again)
    assert ack.params["text"] == "谢谢反馈"
    assert [r.method for r in bot.api.find(since=mark) if r.method != "getUpdates"] == [
        "answerCallbackQuery"
    ]
    assert await pairs(bot) == {(normalize_text(BASES_ZH), entry.id, "up", 1)}
    counts = await bot.feedback.counts()
    assert counts == {"tap": 0, "up": 1, "down": 0, "not_in_article": 0, "queue": 1}


async def test_english_answer_thanks_in_english(bot):
    _, answer = await bot.private(
        "How many patriotic education bases does Lianyungang have?", language_code="en"
    )
    _, ack, _, _ = await vote(bot, answer, "👎")
    assert ack.params["text"] == "Thanks for the feedback"
    [(question, _, kind, count)] = await pairs(bot)
    assert (question, kind, count) == (
        "how many patriotic education bases does lianyungang have",
        "down",
        1,
    )


async def test_thumbs_down_in_a_group_is_recorded_and_nothing_is_posted(bot):
    _, answer = await bot.group(f"/ask {BASES_ZH}")
    entry = bot.engine.ask(BASES_ZH).entry
    assert answer.chat_id == GROUP_ID
    assert [b["text"] for b in answer.buttons if "callback_data" in b] == ["👍", "👎"]
    _, ack, edit, mark = await vote(bot, answer, "👎", user_id=4242)
    assert ack.params["text"] == "谢谢反馈"
    assert edit.chat_id == GROUP_ID and only_share_link(edit.params.get("reply_markup"))
    assert not bot.api.sent(GROUP_ID, since=mark)
    assert await pairs(bot) == {(normalize_text(BASES_ZH), entry.id, "down", 1)}


async def test_a_vote_without_a_known_question_records_nothing(bot):
    """An answer shown from /start's example buttons answers no question of the reader's:
    its 👍 is thanked and the row removed, but there is nothing to learn. Forged data gets
    the usual notice."""
    _, menu = await bot.private("/start")
    mark = bot.api.mark()
    press = bot.api.press(menu, menu.buttons[0]["text"])
    answer = await bot.reply_to(press, since=mark)
    await bot.wait_handled(press)
    _, ack, _, _ = await vote(bot, answer, "👍")
    assert ack.params["text"] == "谢谢反馈"
    assert await pairs(bot) == set()

    mark = bot.api.mark()
    forged = bot.api.callback_query("f:?:nothing:zh", message=bot.api.bot_message(answer))
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    await bot.wait_handled(forged)
    assert ack.params["text"] != "谢谢反馈"
    assert await pairs(bot) == set()
