"""End to end, private chats: the real bot over HTTP against the fake Bot API server.

Expected answers and quotes are derived from the Engine and the knowledge base at test
time; the facts a reader expects (66 bases) are hard-coded.
"""

from __future__ import annotations

import pytest
from e2e_support import (
    ADMIN_ID,
    READER_ID,
    blockquotes,
    find_ambiguous,
    plain,
    run_bot,
)

BASES_ZH = "连云港有多少个爱国主义教育基地?"
BASES_EN = "How many patriotic education bases does Lianyungang have?"
BASES_TRAD = "連雲港有多少個愛國主義教育基地"
NOT_IN_ARTICLE = "阿里巴巴的创始人是谁"


@pytest.fixture
async def bot(tmp_path):
    async with run_bot(tmp_path) as run:
        yield run


def assert_answer_for(req, entry, kb, lang):
    """``req`` is the answer to ``entry`` in ``lang``: answer text, section, verbatim quote."""
    assert req.params["parse_mode"] == "HTML"
    text = plain(req)
    assert text.startswith(entry.answer[lang])
    section = kb.article.section(entry.section_id)
    assert section.title_in(lang) in text
    assert blockquotes(req) == [entry.citation.quote]
    paragraph = kb.article.paragraph(entry.citation.paragraph)
    assert entry.citation.quote in paragraph.text  # verbatim from the article


async def test_startup_requests(bot):
    """Start-up: getMe, the command menus per scope and language, deleteWebhook, then
    long polling for exactly the update kinds the bot handles."""
    api = bot.api
    methods = [r.method for r in api.requests]
    assert methods[0] == "getMe"
    assert "deleteWebhook" in methods
    menus = {
        (
            r.params["scope"]["type"],
            r.params["scope"].get("chat_id"),
            r.params.get("language_code"),
        ): [c["command"] for c in r.params["commands"]]
        for r in api.find("setMyCommands")
    }
    assert set(menus) == {
        ("all_private_chats", None, None),
        ("all_private_chats", None, "zh"),
        ("all_group_chats", None, None),
        ("all_group_chats", None, "zh"),
        ("chat", ADMIN_ID, None),
        ("chat", ADMIN_ID, "zh"),
    }
    admin_only = {"reload", "stats", "unanswered"}
    for (scope, _, _), names in menus.items():
        assert ("start" in names) == (scope != "all_group_chats")
        assert ("ask" in names) == (scope == "all_group_chats")
        assert bool(admin_only & set(names)) == (scope == "chat")
    polls = api.find("getUpdates")
    assert polls, "the bot does not poll"
    allowed = sorted(polls[-1].params["allowed_updates"])
    assert allowed == ["callback_query", "inline_query", "message"]
    assert all(r.token_ok and r.ok for r in api.requests if r.method != "getUpdates")


async def test_question_in_chinese(bot):
    _, reply = await bot.private(BASES_ZH)
    assert reply.chat_id == READER_ID
    text = plain(reply)
    assert "66" in text.split("\n")[0]
    assert any("66个爱国主义教育基地" in q for q in blockquotes(reply))
    entry = bot.engine.ask(BASES_ZH).entry
    assert_answer_for(reply, entry, bot.kb, "zh")
    assert "第1段" in text or "第" in text  # the paragraph is named
    # private chats: a plain message, no reply threading, no link preview; the only
    # buttons are the feedback row
    assert reply.reply_to_message_id is None
    assert [b["text"] for b in reply.buttons if "callback_data" in b] == ["👍", "👎"]
    assert reply.params["link_preview_options"] == {"is_disabled": True}


async def test_question_in_english(bot):
    _, reply = await bot.private(BASES_EN, language_code="en")
    text = plain(reply)
    assert "66" in text.split("\n")[0]
    assert "Source" in text and "paragraph" in text
    entry = bot.engine.ask(BASES_EN).entry
    assert entry is not None and entry.id == bot.engine.ask(BASES_ZH).entry.id
    assert_answer_for(reply, entry, bot.kb, "en")
    # the quote stays verbatim Chinese: it is the article's own sentence
    assert "66个爱国主义教育基地" in blockquotes(reply)[0]


async def test_question_in_traditional_characters(bot):
    _, reply = await bot.private(BASES_TRAD)
    _, simplified = await bot.private(BASES_ZH, user_id=READER_ID + 1)
    assert "66" in plain(reply)
    assert reply.text == simplified.text


async def test_ambiguous_question_offers_buttons_and_a_press_answers(bot):
    question, result = find_ambiguous()
    _, reply = await bot.private(question)
    buttons = reply.buttons
    kb = bot.kb
    expected = [kb.entry(s.entry_id) for s in result.suggestions if kb.entry(s.entry_id)][:3]
    assert len(buttons) == len(expected) >= 2
    for button, suggestion in zip(buttons, result.suggestions, strict=False):
        assert button["text"].rstrip("…") in suggestion.question
        assert suggestion.entry_id in button["callback_data"] or button["callback_data"].startswith(
            "ci:"
        )
        assert len(button["callback_data"].encode()) <= 64
    assert "/topics" in plain(reply)
    assert not blockquotes(reply)  # no answer is guessed

    mark = bot.api.mark()
    press = bot.api.press(reply, buttons[1]["text"])
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    assert ack.params["callback_query_id"] == press["callback_query"]["id"]
    assert "text" not in ack.params  # a silent acknowledgement
    answer = await bot.reply_to(press, since=mark)
    assert_answer_for(answer, expected[1], kb, "zh")
    assert answer.reply_to_message_id == bot.api.bot_message(reply)["message_id"]
    # the other choices are stale now: the message loses its buttons
    cleared = await bot.api.wait_for("editMessageReplyMarkup", since=mark)
    assert cleared.params["message_id"] == bot.api.bot_message(reply)["message_id"]
    assert not cleared.params.get("reply_markup")


async def test_no_match_is_honest(bot):
    _, reply = await bot.private(NOT_IN_ARTICLE)
    text = plain(reply)
    assert "没有提到" in text
    assert "/topics" in text
    assert not blockquotes(reply) and reply.reply_markup is None
    _, reply = await bot.private("Who founded Alibaba?", language_code="en")
    assert "does not say" in plain(reply) and "/topics" in plain(reply)


async def test_smalltalk(bot):
    _, reply = await bot.private("你好")
    assert "你好" in plain(reply) and not blockquotes(reply)
    _, reply = await bot.private("thanks", language_code="en")
    assert "welcome" in plain(reply).lower()


async def test_start_shows_examples_that_answer_when_pressed(bot):
    from bot.telegram import render

    _, reply = await bot.private("/start")
    text = plain(reply)
    article = bot.kb.article
    assert article.title in text and article.date in text
    examples = render.example_entries(bot.kb)
    assert [b["text"] for b in reply.buttons] == [render.label(e.label("zh")) for e in examples]
    mark = bot.api.mark()
    press = bot.api.press(reply, reply.buttons[0]["text"])
    await bot.api.wait_for("answerCallbackQuery", since=mark)
    answer = await bot.reply_to(press, since=mark)
    assert_answer_for(answer, examples[0], bot.kb, "zh")

    _, reply = await bot.private("/start", language_code="en")
    assert bot.kb.article.title_en in plain(reply)


async def test_help_and_admin_help(bot):
    _, reply = await bot.private("/help")
    text = plain(reply)
    for command in ("/topics", "/source", "/privacy"):
        assert command in text
    assert "/reload" not in text
    assert f"@{bot.username}" in text
    _, reply = await bot.private("/help", user_id=ADMIN_ID)
    from bot.telegram.access import ADMIN_COMMANDS

    assert all(f"/{command}" in plain(reply) for command in ADMIN_COMMANDS)


async def test_topics_browse_edit_in_place(bot):
    from bot.telegram import paging, render

    kb = bot.kb
    _, menu = await bot.private("/topics")
    sections = render.browsable_sections(kb)
    assert [b["text"] for b in menu.buttons] == [render.label(s.title) for s in sections]
    assert kb.article.title in plain(menu)
    menu_message_id = bot.api.bot_message(menu)["message_id"]

    # pressing a section edits the same message into that section's questions
    section = sections[-1]
    mark = bot.api.mark()
    press = bot.api.press(menu, render.label(section.title))
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    assert "text" not in ack.params
    edit = await bot.api.wait_for("editMessageText", since=mark)
    assert edit.params["message_id"] == menu_message_id and edit.chat_id == READER_ID
    assert section.title in plain(edit)
    entries = kb.entries_in_section(section.id)
    labels = [b["text"] for b in edit.buttons]
    first_page = entries[: paging.PAGE_SIZE]
    assert labels[: len(first_page)] == [render.label(e.label("zh")) for e in first_page]
    assert labels[-1].startswith("«")  # back to the sections
    await bot.wait_handled(press)
    assert not bot.api.sent(READER_ID, since=mark)  # edited, not sent anew

    # pressing a question answers it as a reply to the browsing message
    edited = dict(bot.api.messages[(READER_ID, menu_message_id)])
    mark = bot.api.mark()
    data = edit.buttons[0]["callback_data"]
    press = bot.api.callback_query(data, message=edited)
    answer = await bot.reply_to(press, since=mark)
    assert_answer_for(answer, entries[0], kb, "zh")
    assert answer.reply_to_message_id == menu_message_id

    # and back to the list of sections
    mark = bot.api.mark()
    bot.api.callback_query(edit.buttons[-1]["callback_data"], message=edited)
    back = await bot.api.wait_for("editMessageText", since=mark)
    assert [b["text"] for b in back.buttons] == [b["text"] for b in menu.buttons]

    # every message sent or edited on the way is HTML without a link preview
    for req in bot.api.find("sendMessage") + bot.api.find("editMessageText"):
        assert req.params["parse_mode"] == "HTML", req
        assert req.params["link_preview_options"] == {"is_disabled": True}, req


async def test_source_and_privacy(bot):
    _, reply = await bot.private("/source")
    text = plain(reply)
    article = bot.kb.article
    assert article.title in text and article.date in text
    assert all(author in text for author in article.authors)
    assert article.origin in text
    _, reply = await bot.private("/privacy")
    assert "不记录是谁问的" in plain(reply)
    _, reply = await bot.private("/privacy", language_code="en")
    assert "not who asked" in plain(reply)


async def test_unknown_command(bot):
    _, reply = await bot.private("/frobnicate")
    assert "/help" in plain(reply)
