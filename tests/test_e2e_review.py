"""End to end, /review: a reader taps a suggestion, an admin reviews it and adds the
wording to the entry (a learned variant in CITEBOT_DATA_DIR/learned.yaml), and the same
wording is then answered directly; a refused add explains why and changes nothing;
non-admins can neither send /review nor press its buttons."""

from __future__ import annotations

import pytest
from e2e_support import ADMIN_ID, READER_ID, WAIT, copy_knowledge, plain, run_bot

from bot import learned
from bot.telegram import callbacks

ASKED = "港城基地有几处"  # "did you mean": the bases entry is one of the choices
BASES = "patriotic-education-bases"
OTHER_READER = 1002


@pytest.fixture
async def bot(tmp_path):
    async with run_bot(tmp_path, knowledge_dir=copy_knowledge(tmp_path)) as run:
        yield run


async def press(bot, sent, data: str, *, user_id: int = ADMIN_ID):
    """Press ``data`` on ``sent``; the acknowledgement and the edit of that message."""
    mark = bot.api.mark()
    upd = bot.api.press(sent, data, user_id=user_id)
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    edit = await bot.api.wait_for("editMessageText", since=mark)
    await bot.wait_handled(upd)
    return ack, edit


def data_of(sent, action: str) -> str:
    found = [
        b["callback_data"] for b in sent.buttons if b["callback_data"].startswith(f"r:{action}:")
    ]
    assert len(found) == 1, sent.buttons
    return found[0]


async def test_a_tap_reviewed_and_added_is_then_answered_directly(bot):
    assert bot.engine.ask(ASKED).status == "ambiguous"
    _, reply = await bot.private(ASKED)
    chosen = next(
        b
        for b in reply.buttons
        if callbacks.resolve_entry(callbacks.parse(b["callback_data"]), bot.kb).id == BASES
    )
    mark = bot.api.mark()
    tap = bot.api.press(reply, chosen["callback_data"])
    await bot.reply_to(tap, since=mark)
    await bot.wait_handled(tap)

    _, stats = await bot.private("/stats", user_id=ADMIN_ID)
    assert "待审核 1 条(/review)" in plain(stats)  # the queue's size, in /stats...
    _, unanswered = await bot.private("/unanswered", user_id=ADMIN_ID)
    assert plain(unanswered).endswith("待审核的读者点选和评价:1 条(/review)")  # ...and here

    _, review = await bot.private("/review", user_id=ADMIN_ID)
    text = plain(review)
    assert ASKED in text and "点了" in text and "1 次" in text
    assert len(review.buttons) == 4  # add to X, another entry…, not in the article, skip
    assert all(len(b["callback_data"].encode()) <= 64 for b in review.buttons)
    version = bot.engine.kb.version

    _, edit = await press(bot, review, data_of(review, "a"))
    text = plain(edit)
    assert "已把" in text and BASES in text and "没有待审核的内容了" in text
    assert edit.buttons == []
    assert bot.engine.kb.version != version
    items = learned.read(bot.settings.learned_path)[0]
    assert [(i.entry, i.question) for i in items] == [(BASES, ASKED)]
    assert await bot.feedback.review_queue() == []

    # as after /reload, the full self-check of the new base follows, to the admin
    full = await bot.api.wait_for(
        "sendMessage",
        lambda r: r.chat_id == ADMIN_ID and plain(r).startswith("自检"),
        timeout=4 * WAIT,  # a full check in a child process at low priority
    )
    assert "自检通过" in plain(full) and bot.engine.kb.version in plain(full)

    _, answer = await bot.private(ASKED, user_id=OTHER_READER)
    # answered, no choices
    assert [b["text"] for b in answer.buttons if "callback_data" in b] == ["👍", "👎"]
    result = bot.engine.ask(ASKED)
    assert (result.status, result.entry.id) == ("answered", BASES)


async def test_a_refused_add_explains_why_and_changes_nothing(bot):
    other = bot.kb.entry("revolutionary-sites")
    rival = other.questions["zh"][0] + "呢"
    assert bot.engine.ask(rival).entry.id == other.id
    bot.feedback.record_sync(rival, BASES, "up")
    version = bot.engine.kb.version

    _, review = await bot.private("/review", user_id=ADMIN_ID)
    assert rival in plain(review)
    _, edit = await press(bot, review, data_of(review, "a"))
    text = plain(edit)
    assert "没有加入" in text and other.id in text
    assert bot.engine.kb.version == version
    assert not bot.settings.learned_path.exists()
    assert bot.engine.ask(rival).entry.id == other.id
    assert len(edit.buttons) == 4  # the same item, still to review

    _, edit = await press(bot, edit, data_of(edit, "s"))
    assert "已跳过" in plain(edit) and "没有待审核的内容了" in plain(edit)
    assert await bot.feedback.review_queue() == []


async def test_not_in_the_article_is_recorded(bot):
    bot.feedback.record_sync("今天天气怎么样", BASES, "down")
    _, review = await bot.private("/review", user_id=ADMIN_ID)
    assert len(review.buttons) == 3  # a 👎: no "add to X", but another entry…
    _, edit = await press(bot, review, data_of(review, "n"))
    assert "文章里没有" in plain(edit)
    assert bot.feedback.not_in_article_sync() == ["今天天气怎么样"]
    assert (await bot.feedback.counts())["not_in_article"] == 1
    # recorded in the overlay and reloaded: the same wording is refused from now on
    assert learned.read_overlay(bot.settings.learned_path).not_in_article[0].question == (
        "今天天气怎么样"
    )
    assert bot.engine.ask("今天天气怎么样?").reason == "known unanswerable: 今天天气怎么样"


async def test_marking_a_stored_wording_not_in_the_article_is_refused(bot):
    stored = bot.kb.entry(BASES).questions["zh"][0]
    bot.feedback.record_sync(stored, BASES, "down")
    _, review = await bot.private("/review", user_id=ADMIN_ID)
    _, edit = await press(bot, review, data_of(review, "n"))
    assert "没有把" in plain(edit) and BASES in plain(edit)
    assert not bot.settings.learned_path.exists()
    assert bot.engine.ask(stored).entry.id == BASES
    assert len(edit.buttons) == 3  # the same item, still to review


async def test_a_non_admin_cannot_review(bot):
    bot.feedback.record_sync("今天天气怎么样", BASES, "down")
    _, reply = await bot.private("/review", user_id=READER_ID)
    assert "只有管理员" in plain(reply)
    _, review = await bot.private("/review", user_id=ADMIN_ID)
    mark = bot.api.mark()
    upd = bot.api.callback_query(
        data_of(review, "s"), message=review.response["result"], user_id=READER_ID
    )
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    await bot.wait_handled(upd)
    assert "只有管理员" in ack.params.get("text", "")
    assert not bot.api.find("editMessageText", since=mark)
    assert len(await bot.feedback.review_queue()) == 1


async def test_another_entry_browses_the_sections_and_adds_to_the_chosen_one(bot):
    target = bot.kb.entry("revolutionary-sites")
    asked = "港城的革命老地方一共留下多少处"
    assert bot.engine.ask(asked).entry is None or bot.engine.ask(asked).entry.id != target.id
    bot.feedback.record_sync(asked, BASES, "down")  # a 👎 on the wrong entry's answer
    _, review = await bot.private("/review", user_id=ADMIN_ID)
    other = next(b for b in review.buttons if b["callback_data"].startswith("r:o:"))
    assert other["text"] == "另一个条目…"

    _, sections = await press(bot, review, other["callback_data"])
    assert asked in plain(sections)
    section = bot.kb.article.section(target.section_id)
    chosen = next(b for b in sections.buttons if b["text"] == section.title_in("zh")[:60])
    _, page = await press(bot, sections, chosen["callback_data"])
    in_section = bot.kb.entries_in_section(section.id)
    while target.label("zh")[:10] not in " ".join(b["text"] for b in page.buttons):
        nxt = next(b for b in page.buttons if b["text"] == "下一页 ▶")  # page on
        _, page = await press(bot, page, nxt["callback_data"])
    assert sum(b["callback_data"].startswith("r:e:") for b in page.buttons) <= 8 < len(in_section)
    entry_button = next(
        b
        for b in page.buttons
        if b["callback_data"].startswith("r:e:") and b["text"].startswith(target.label("zh")[:10])
    )
    assert all(len(b["callback_data"].encode()) <= 64 for b in page.buttons)
    version = bot.engine.kb.version
    _, done = await press(bot, page, entry_button["callback_data"])
    assert "已把" in plain(done) and target.id in plain(done)
    assert bot.engine.kb.version != version
    assert bot.engine.ask(asked).entry.id == target.id
    assert await bot.feedback.review_queue() == []


async def test_another_entry_from_an_older_base_asks_to_choose_again(bot):
    bot.feedback.record_sync("港城的革命老地方一共留下多少处", BASES, "down")
    _, review = await bot.private("/review", user_id=ADMIN_ID)
    item_id = int(review.buttons[0]["callback_data"].split(":")[2])
    stale = f"r:e:{item_id}:0:00000000"  # an entry index of another knowledge version
    mark = bot.api.mark()
    upd = bot.api.callback_query(stale, message=review.response["result"], user_id=ADMIN_ID)
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    await bot.wait_handled(upd)
    assert "重新选择" in ack.params.get("text", "")
    assert not bot.settings.learned_path.exists()
