"""End to end, /topics browsing: sections in pages of at most 8 entry buttons with
previous/next (edited in place in private chats), and in groups a press answers the one who
pressed with a new message instead of editing the message everyone shares."""

from __future__ import annotations

import pytest
from e2e_support import GROUP_ID, READER_ID, plain, run_bot

from bot.telegram import callbacks, paging, render


@pytest.fixture
async def bot(tmp_path):
    async with run_bot(tmp_path) as run:
        yield run


def entry_buttons(req) -> list[dict]:
    return [b for b in req.buttons if callbacks.parse(b["callback_data"]).kind == "entry"]


def biggest_section(kb):
    return max(render.browsable_sections(kb), key=lambda s: len(kb.entries_in_section(s.id)))


async def test_private_topics_pages_forward_and_back_in_place(bot):
    kb = bot.kb
    section = biggest_section(kb)
    entries = kb.entries_in_section(section.id)
    count = paging.page_count(len(entries))
    assert count >= 3  # the article's big sections have 20-odd entries
    _, menu = await bot.private("/topics")
    menu_id = bot.api.bot_message(menu)["message_id"]

    mark = bot.api.mark()
    bot.api.press(menu, render.label(section.title))
    page = await bot.api.wait_for("editMessageText", since=mark)
    shown = []
    for number in range(count):  # forward through every page
        assert page.params["message_id"] == menu_id and page.chat_id == READER_ID
        buttons = entry_buttons(page)
        assert 1 <= len(buttons) <= paging.PAGE_SIZE
        shown += [b["text"] for b in buttons]
        assert f"第 {number + 1}/{count} 页" in plain(page)
        texts = [b["text"] for b in page.buttons]
        assert ("◀ 上一页" in texts) == (number > 0)
        assert ("下一页 ▶" in texts) == (number < count - 1)
        assert all(len(b["callback_data"].encode()) <= 64 for b in page.buttons)
        if number < count - 1:
            mark = bot.api.mark()
            edited = bot.api.messages[(READER_ID, menu_id)]
            bot.api.press_on(edited, "下一页 ▶")
            page = await bot.api.wait_for("editMessageText", since=mark)
    assert shown == [render.label(e.label("zh")) for e in entries]

    # and back one page
    mark = bot.api.mark()
    bot.api.press_on(bot.api.messages[(READER_ID, menu_id)], "◀ 上一页")
    back = await bot.api.wait_for("editMessageText", since=mark)
    assert f"第 {count - 1}/{count} 页" in plain(back)
    assert [b["text"] for b in entry_buttons(back)] == shown[
        (count - 2) * paging.PAGE_SIZE : (count - 1) * paging.PAGE_SIZE
    ]
    assert not bot.api.sent(READER_ID, since=mark)  # edited in place, nothing sent anew


async def test_group_browsing_replies_to_whoever_pressed(bot):
    kb = bot.kb
    section = biggest_section(kb)
    _, menu = await bot.group("/topics")
    shared = bot.api.bot_message(menu)
    shared_before = dict(shared)

    # someone else presses a section on the shared menu
    mark = bot.api.mark()
    press = bot.api.press(menu, render.label(section.title), user_id=4242)
    page = await bot.reply_to(press, since=mark)
    await bot.wait_handled(press)
    assert page.chat_id == GROUP_ID
    assert page.reply_to_message_id == shared["message_id"]
    assert '<a href="tg://user?id=4242">Reader</a>' in page.text  # mentions the presser
    assert section.title in plain(page)
    assert 1 <= len(entry_buttons(page)) <= paging.PAGE_SIZE
    assert not bot.api.find("editMessageText", since=mark)  # the shared menu is untouched
    assert bot.api.messages[(GROUP_ID, shared["message_id"])] == shared_before

    # paging on that reply answers the presser again with a new message
    mark = bot.api.mark()
    press = bot.api.press(page, "下一页 ▶", user_id=4242)
    following = await bot.reply_to(press, since=mark)
    await bot.wait_handled(press)
    assert following.reply_to_message_id == bot.api.bot_message(page)["message_id"]
    assert "tg://user?id=4242" in following.text and "第 2/" in plain(following)
    assert not bot.api.find("editMessageText", since=mark)

    # an entry's button answers as before, replying to the message that carried it
    mark = bot.api.mark()
    press = bot.api.press(following, entry_buttons(following)[0]["text"], user_id=4242)
    answer = await bot.reply_to(press, since=mark)
    assert answer.reply_to_message_id == bot.api.bot_message(following)["message_id"]
    assert "<blockquote" in answer.text


async def test_a_bare_topic_offers_its_entries_and_the_sections(bot):
    _, reply = await bot.private("党史学习教育")  # the article's whole subject
    data = [b["callback_data"] for b in reply.buttons]
    assert data[-1] == "T:zh" and 1 <= len(data) - 1 <= 3
    assert all(d.startswith("c:") for d in data[:-1])
    mark = bot.api.mark()
    press = bot.api.press(reply, "T:zh")
    edit = await bot.api.wait_for("editMessageText", since=mark)
    await bot.wait_handled(press)
    sections = render.browsable_sections(bot.kb)
    assert [b["text"] for b in edit.buttons] == [render.label(s.title) for s in sections]
