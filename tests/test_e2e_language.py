"""End to end, the reader's language: /language and its buttons (stored per user, in force
for the next answer, kept across a restart, forgotten on "automatic"), traditional
answers and interface for a zh-TW reader with the simplified quote kept verbatim and
marked as the original, and a traditional reply to a question typed in traditional."""

from __future__ import annotations

import re

import pytest
from e2e_support import READER_ID, blockquotes, find_ambiguous, plain, run_bot
from fake_bot_api import DEFAULT_TOKEN, FakeBotApi

from bot.chinese_script import to_traditional
from bot.telegram.flood import FloodGuard

BASES_ZH = "连云港有多少个爱国主义教育基地?"
BASES_TRAD = "連雲港有多少個愛國主義教育基地"
BASES_EN = "How many patriotic education bases does Lianyungang have?"
ORIGINAL = "原文(簡體):"


def unthrottled():
    """A conversation here is longer than the flood guard's 5 messages in 10 s."""
    return {"flood": FloodGuard(100, 10.0), "button_flood": FloodGuard(100, 10.0)}


@pytest.fixture
async def bot(tmp_path):
    async with run_bot(tmp_path, **unthrottled()) as run:
        yield run


def bases(bot):
    return bot.engine.ask(BASES_ZH).entry


async def choose(bot, menu, label: str, *, user_id: int = READER_ID, language_code="zh-hans"):
    """Press ``label`` on the /language ``menu``; wait for the acknowledgement, the menu
    redrawn in place and the end of handling. Returns (ack, edit)."""
    mark = bot.api.mark()
    press = bot.api.press(menu, label, user_id=user_id, language_code=language_code)
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    edit = await bot.api.wait_for("editMessageText", since=mark)
    await bot.wait_handled(press)
    assert edit.params["message_id"] == bot.api.bot_message(menu)["message_id"]
    return ack, edit


def labels(req) -> list[str]:
    return [b["text"] for b in req.buttons]


def assert_traditional_answer(reply, entry, kb, variant):
    """``reply`` answers ``entry`` in traditional characters (``variant``), the quote kept
    verbatim in simplified characters under the "original" label."""
    text = plain(reply)
    assert text.startswith(to_traditional(entry.answer["zh"], variant))
    assert to_traditional(entry.answer["zh"], variant) != entry.answer["zh"]
    section = kb.article.section(entry.section_id)
    assert to_traditional(section.title, variant) in text
    assert "出處" in text and "出处" not in text
    assert blockquotes(reply) == [entry.citation.quote]  # verbatim, simplified
    assert re.search(re.escape(ORIGINAL) + r"\n<blockquote(?: expandable)?>", reply.text)


async def test_language_menu_choices_are_stored_and_decide_the_next_answers(bot):
    prefs = bot.app.bot_data.prefs
    _, menu = await bot.private("/language")
    assert labels(menu) == ["简体中文", "繁體中文", "English"]  # no "automatic": none chosen
    assert "现在:自动" in plain(menu)

    # 繁體中文: stored; the menu redrawn in traditional; the next answer in traditional
    ack, edit = await choose(bot, menu, "繁體中文")
    assert prefs.get(READER_ID) == "zh-hant"
    assert ack.params["text"] == "已保存"
    assert "現在:繁體中文" in plain(edit)
    assert labels(edit) == ["简体中文", "✓ 繁體中文", "English", "自動"]
    _, reply = await bot.private(BASES_ZH)  # typed in simplified, from a zh-hans app
    assert_traditional_answer(reply, bases(bot), bot.kb, "zh-Hant")
    _, reply = await bot.private(BASES_EN, language_code="en")  # English question: Chinese
    assert_traditional_answer(reply, bases(bot), bot.kb, "zh-Hant")

    # English: a Chinese question gets the English answer, the interface is English
    mark = bot.api.mark()
    menu = bot.api.bot_message(menu)  # the menu as it is now (edited)
    press = bot.api.callback_query("L:en", message=menu)
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    await bot.wait_handled(press)
    assert prefs.get(READER_ID) == "en" and ack.params["text"] == "Saved"
    _, reply = await bot.private(BASES_ZH)
    assert plain(reply).startswith(bases(bot).answer["en"])
    assert "Source" in plain(reply) and blockquotes(reply) == [bases(bot).citation.quote]
    _, help_reply = await bot.private("/help")
    assert plain(help_reply).startswith("How to use")

    # 简体中文 from a zh-TW app: simplified all the same
    _, menu = await bot.private("/language", language_code="zh-tw")
    assert "Now: English" in plain(menu)
    await choose(bot, menu, "简体中文", language_code="zh-tw")
    _, reply = await bot.private(BASES_EN, language_code="zh-tw")
    assert plain(reply).startswith(bases(bot).answer["zh"])
    assert ORIGINAL not in reply.text

    # automatic: the row is deleted; a zh-TW app's language_code decides again
    ack, edit = await choose(bot, menu, "Automatic", language_code="zh-tw")
    # language_code decides again: zh-TW's characters and words
    assert ack.params["text"] == to_traditional("已保存", "zh-TW")
    assert prefs.get(READER_ID) is None and prefs.count_sync() == 0
    assert "自動" in plain(edit) and "自動" not in labels(edit)
    _, reply = await bot.private(BASES_ZH, language_code="zh-tw")
    assert_traditional_answer(reply, bases(bot), bot.kb, "zh-TW")


async def test_the_choice_survives_a_restart_on_the_same_data_dir(tmp_path):
    api = FakeBotApi(DEFAULT_TOKEN)  # one server for both runs: update ids go on
    async with run_bot(tmp_path, api=api, **unthrottled()) as bot:
        _, menu = await bot.private("/language")
        await choose(bot, menu, "English")
    # a new Application on the same CITEBOT_DATA_DIR
    async with run_bot(tmp_path, api=api, **unthrottled()) as bot:
        assert bot.app.bot_data.prefs.get(READER_ID) == "en"
        _, reply = await bot.private(BASES_ZH)
        assert plain(reply).startswith(bases(bot).answer["en"])
        _, menu = await bot.private("/language")
        assert labels(menu) == ["简体中文", "繁體中文", "✓ English", "Automatic"]
        # another reader is not affected
        _, other = await bot.private(BASES_ZH, user_id=READER_ID + 1)
        assert plain(other).startswith(bases(bot).answer["zh"])


async def test_a_zh_tw_reader_gets_traditional_answers_and_interface(bot):
    tw = {"language_code": "zh-TW"}
    _, reply = await bot.private(BASES_ZH, **tw)
    entry = bases(bot)
    assert_traditional_answer(reply, entry, bot.kb, "zh-TW")
    votes = [b for b in reply.buttons if "callback_data" in b]
    assert [b["callback_data"][-3:] for b in votes] == [":zt", ":zt"]
    (share,) = [b for b in reply.buttons if "url" in b]  # the share link: converted, kept
    assert share["text"] == to_traditional("↗ 分享这个回答", "zh-TW") != "↗ 分享这个回答"
    assert share["url"].startswith(f"https://t.me/{bot.username}?start=")
    # the link opened by another zh-TW reader: the shared answer, in traditional
    payload = share["url"].split("?start=")[1]
    _, shared = await bot.private(f"/start {payload}", user_id=READER_ID + 5, **tw)
    assert_traditional_answer(shared, entry, bot.kb, "zh-TW")

    # 👍: the thanks in traditional characters, the vote recorded as ever
    mark = bot.api.mark()
    press = bot.api.press(reply, "👍", **tw)
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    await bot.wait_handled(press)
    assert ack.params["text"] == to_traditional("谢谢反馈", "zh-TW") != "谢谢反馈"
    assert [(p.entry_id, p.kind) for p in await bot.feedback.pending()] == [(entry.id, "up")]

    # the interface: /help, /privacy, /topics with its topic names, a topic's questions
    _, help_reply = await bot.private("/help", **tw)
    assert plain(help_reply).startswith("怎麼用")
    _, privacy = await bot.private("/privacy", **tw)
    assert plain(privacy).startswith("我會保存什麼") and "/language" in plain(privacy)
    _, topics = await bot.private("/topics", **tw)
    section = bot.kb.article.section(entry.section_id)
    title = to_traditional(section.title, "zh-TW")
    assert title != section.title and title in labels(topics)
    mark = bot.api.mark()
    press = bot.api.press(topics, title, **tw)
    edit = await bot.api.wait_for("editMessageText", since=mark)
    await bot.wait_handled(press)
    assert plain(edit).startswith(title)
    assert to_traditional(entry.label("zh"), "zh-TW") in labels(edit)
    assert labels(edit)[-1] == to_traditional("« 返回章节", "zh-TW")

    # a question from the topic's buttons: answered in traditional
    mark = bot.api.mark()
    press = bot.api.press(edit, to_traditional(entry.label("zh"), "zh-TW"), **tw)
    answer = await bot.api.wait_for("sendMessage", since=mark)
    await bot.wait_handled(press)
    assert_traditional_answer(answer, entry, bot.kb, "zh-TW")


async def test_a_question_typed_in_traditional_gets_a_traditional_reply(bot):
    # an app in English, no choice: the question's characters decide
    _, reply = await bot.private(BASES_TRAD, language_code="en")
    assert_traditional_answer(reply, bases(bot), bot.kb, "zh-Hant")

    # a close call asked in traditional: the choices, and the answer a press gives, too
    question, result = find_ambiguous()
    traditional = to_traditional(question, "zh-Hant")
    assert traditional != question
    _, choices = await bot.private(traditional, language_code="en", user_id=READER_ID + 1)
    assert plain(choices).startswith(to_traditional("你是想问", "zh-Hant"))
    assert all(b["callback_data"].endswith(":zt") for b in choices.buttons)
    mark = bot.api.mark()
    press = bot.api.press(
        choices, choices.buttons[0]["callback_data"], user_id=READER_ID + 1, language_code="en"
    )
    answer = await bot.api.wait_for("sendMessage", since=mark)
    await bot.wait_handled(press)
    entry = bot.kb.entry(result.suggestions[0].entry_id)
    assert_traditional_answer(answer, entry, bot.kb, "zh-Hant")


async def test_language_in_the_command_menus(bot):
    menus = [r.params for r in bot.api.find("setMyCommands")]
    for params in menus:
        assert "language" in [c["command"] for c in params["commands"]]


async def test_a_forged_language_button_changes_nothing(bot):
    mark = bot.api.mark()
    press = bot.api.callback_query("L:klingon")
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    await bot.wait_handled(press)
    assert "失效" in ack.params["text"]
    assert bot.app.bot_data.prefs.get(READER_ID) is None


async def test_a_language_button_pressed_in_a_group_answers_the_presser_only(bot):
    from e2e_support import GROUP_ID

    prefs = bot.app.bot_data.prefs
    _, menu = await bot.group("/language")
    shared = dict(bot.api.bot_message(menu))
    mark = bot.api.mark()
    press = bot.api.press(menu, "English", user_id=4242)
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    reply = await bot.reply_to(press, since=mark)
    await bot.wait_handled(press)
    assert prefs.get(4242) == "en" and prefs.get(READER_ID) is None
    assert ack.params["text"] == "Saved"
    assert reply.chat_id == GROUP_ID and reply.reply_to_message_id == shared["message_id"]
    assert '<a href="tg://user?id=4242">' in reply.text and "Now: English" in plain(reply)
    assert not bot.api.find("editMessageText", since=mark)  # everyone's menu is untouched
    assert bot.api.messages[(GROUP_ID, shared["message_id"])] == shared
