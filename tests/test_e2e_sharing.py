"""End to end, answers outside the reader's chat with the bot: the share link under every
answer (``/start <payload>``) and inline mode (``@bot 问题`` in any chat)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from e2e_support import READER_ID, blockquotes, find_ambiguous, plain, run_bot, shared_engine
from fake_bot_api import html_to_plain

from bot import share
from bot.telegram import render, sharing
from bot.telegram.texts import t

BASES_ZH = "连云港有多少个爱国主义教育基地?"
RELATED_CANDIDATES = ("宣讲团的经费有多少", "开山岛的面积", "开山岛有多少人口")


@pytest.fixture
async def bot(tmp_path):
    async with run_bot(tmp_path) as run:
        yield run


def find_related():
    """A question the article does not answer, with related entries to offer."""
    engine = shared_engine()
    for question in RELATED_CANDIDATES:
        result = engine.ask(question)
        if result.status == "no_match" and result.suggestions and not result.smalltalk:
            return question, result
    raise AssertionError(f"none of {RELATED_CANDIDATES} is unanswered with related entries")


def share_url(sent) -> str:
    (url,) = [b["url"] for b in sent.buttons if "url" in b]
    return url


def start_payload(url: str) -> str:
    parsed = urlparse(url)
    assert (parsed.scheme, parsed.netloc) == ("https", "t.me")
    (payload,) = parse_qs(parsed.query)["start"]
    return payload


async def ask_inline(bot, query: str, **kw):
    """Type ``@bot query`` in some chat; the bot's answerInlineQuery."""
    mark = bot.api.mark()
    upd = bot.api.inline_query(query, **kw)
    answer = await bot.api.wait_for(
        "answerInlineQuery",
        lambda r: r.params["inline_query_id"] == upd["inline_query"]["id"],
        since=mark,
    )
    assert answer.ok, answer.response
    return answer


def texts(answer) -> list[str]:
    return [r["input_message_content"]["message_text"] for r in answer.params["results"]]


# ---------------------------------------------------------------------------- share link


async def test_every_answer_carries_a_share_link_to_its_entry(bot):
    _, reply = await bot.private(BASES_ZH)
    entry = bot.engine.ask(BASES_ZH).entry
    assert [row[0].get("url") is not None for row in reply.reply_markup["inline_keyboard"]] == [
        False,
        True,
    ]  # 👍/👎 first, the share link below them
    url = share_url(reply)
    assert url.startswith(f"https://t.me/{bot.username}?start=")
    assert share.resolve(start_payload(url), bot.kb) == (entry, "zh")
    # an answer reached by a button carries one too, in the language it is shown in
    _, english = await bot.private("How many patriotic education bases are there?")
    assert share.resolve(start_payload(share_url(english)), bot.kb) == (entry, "en")


async def test_opening_a_share_link_shows_the_same_answer_and_citation(bot):
    _, original = await bot.private(BASES_ZH)
    payload = start_payload(share_url(original))
    # someone else opens it, with an English Telegram: the answer as it was shared
    _, opened = await bot.private(f"/start {payload}", user_id=READER_ID + 1, language_code="en")
    assert opened.text == original.text
    assert blockquotes(opened) == blockquotes(original)
    assert any("66个爱国主义教育基地" in q for q in blockquotes(opened))
    assert share_url(opened) == share_url(original)
    assert [b["text"] for b in opened.buttons if "callback_data" in b] == ["👍", "👎"]

    # a link without the language answers in the reader's
    entry_id = share.resolve(payload, bot.kb)[0].id
    _, plain_link = await bot.private(f"/start {entry_id}", language_code="en")
    assert plain_link.text == render.answer_reply(bot.kb.entry(entry_id), bot.kb, "en").messages[0]


@pytest.mark.parametrize("payload", ["no-such-entry_zh", "_" + "0" * 24, "bad;payload"])
async def test_a_stale_share_link_gets_a_polite_note_and_the_topics(bot, payload):
    _, reply = await bot.private(f"/start {payload}")
    assert reply.text == t("share_stale", "zh")
    assert "/topics" in plain(reply)
    sections = render.sections_reply(bot.kb, "zh").markup
    assert [b["callback_data"] for b in reply.buttons] == [
        row[0].callback_data for row in sections.inline_keyboard
    ]
    # the buttons browse as /topics' do
    mark = bot.api.mark()
    press = bot.api.press(reply, reply.buttons[0]["callback_data"])
    shown = await bot.api.wait_for("editMessageText", since=mark)
    await bot.wait_handled(press)
    assert shown.buttons  # that section's entries


async def test_plain_start_is_unchanged(bot):
    _, reply = await bot.private("/start")
    assert not any("url" in b for b in reply.buttons)
    assert [b["text"] for b in reply.buttons] == [
        render.label(e.label("zh")) for e in render.example_entries(bot.kb)
    ]


# ---------------------------------------------------------------------------- inline mode


async def test_inline_question_sends_what_a_private_chat_gets(bot):
    answer = await ask_inline(bot, BASES_ZH)
    assert answer.params["cache_time"] == sharing.CACHE_TIME == 300
    assert not answer.params.get("is_personal")  # shared by everyone who asks the same
    _, private = await bot.private(BASES_ZH)
    (first, *_) = answer.params["results"]
    entry = bot.engine.ask(BASES_ZH).entry
    assert first["type"] == "article"
    assert first["input_message_content"]["message_text"] == private.text
    assert first["input_message_content"]["parse_mode"] == "HTML"
    assert "66" in first["title"] and len(first["title"]) <= 64
    assert len(first["description"]) <= 100
    assert first["description"].rstrip("…") in entry.citation.quote  # a short quote
    (button,) = [b for row in first["reply_markup"]["inline_keyboard"] for b in row]
    assert share.resolve(start_payload(button["url"]), bot.kb) == (entry, "zh")


async def test_an_inline_question_typed_in_traditional_gets_traditional_results(bot):
    answer = await ask_inline(bot, "連雲港有多少個愛國主義教育基地?")
    (first, *_) = answer.params["results"]
    entry = bot.engine.ask(BASES_ZH).entry
    text = first["input_message_content"]["message_text"]
    assert "愛國主義教育基地" in html_to_plain(text).split("原文")[0]  # converted...
    assert entry.citation.quote in html_to_plain(text)  # ...but the quote is verbatim
    assert "原文" in text and "國" in first["title"]
    assert first["description"].rstrip("…") in entry.citation.quote  # the quote: verbatim
    assert not answer.params.get("is_personal")  # by the query's script: still shared
    (button,) = [b for row in first["reply_markup"]["inline_keyboard"] for b in row]
    assert share.resolve(start_payload(button["url"]), bot.kb) == (entry, "zh")


async def test_inline_close_call_offers_each_choice_answered(bot):
    question, result = find_ambiguous()
    answer = await ask_inline(bot, question)
    offered = [s.entry_id for s in result.suggestions][:3]
    assert len(answer.params["results"]) == len(offered)
    for item, entry_id in zip(answer.params["results"], offered, strict=True):
        entry = bot.kb.entry(entry_id)
        expected = render.answer_reply(entry, bot.kb, result.lang).messages[0]
        assert item["input_message_content"]["message_text"] == expected
        assert share.resolve(item["id"], bot.kb) == (entry, result.lang)


async def test_inline_question_the_article_does_not_answer_says_so(bot):
    question, result = find_related()
    answer = await ask_inline(bot, question)
    (refusal, *suggested) = answer.params["results"]
    assert refusal["title"] == "抱歉,文章没有提到这一点。"
    body = html_to_plain(refusal["input_message_content"]["message_text"])
    assert question in body and "文章没有提到" in body
    assert "reply_markup" not in refusal
    related = [s.entry_id for s in result.suggestions][:3]
    assert [share.resolve(r["id"], bot.kb)[0].id for r in suggested] == related
    assert all(r["input_message_content"]["message_text"] for r in suggested)

    # nothing related: the honest result alone
    lonely = await ask_inline(bot, "今天天气怎么样")
    assert [r["id"] for r in lonely.params["results"]] == ["no-answer"]


async def test_empty_inline_query_offers_the_examples(bot):
    zh = await ask_inline(bot, "")
    en = await ask_inline(bot, "   ", language_code="en")
    examples = [bot.kb.entry(i) for i in bot.kb.examples[:3]]
    assert examples and all(examples)
    for answer, lang in ((zh, "zh"), (en, "en")):
        assert answer.params["is_personal"] is True  # in the asker's language
        assert answer.params["cache_time"] == 300
        results = answer.params["results"]
        assert [r["title"] for r in results] == [render.label(e.label(lang), 64) for e in examples]
        assert [r["description"] for r in results] == [
            render.label(e.answer[lang], 100) for e in examples
        ]
        assert texts(answer) == [render.answer_reply(e, bot.kb, lang).messages[0] for e in examples]


async def test_inline_queries_are_not_counted_and_long_ones_are_cut(bot):
    """Queries come as the reader types: counting them would fill /unanswered with
    fragments. A query over Telegram's 256 characters (forged) is cut, not refused."""
    long_query = "今天天气怎么样" + "啊" * 400
    answer = await ask_inline(bot, long_query)
    (refusal,) = answer.params["results"]
    quoted = html_to_plain(refusal["input_message_content"]["message_text"]).split("\n")[0]
    assert quoted == "问:" + long_query[: sharing.MAX_INLINE_QUERY]
    await ask_inline(bot, "开山")
    assert not any(bot.store.since_start().values())
    assert await bot.store.top_unanswered() == []


async def test_an_inline_flood_is_not_answered(bot):
    limit = bot.app.bot_data.inline_flood.limit
    mark = bot.api.mark()
    updates = [bot.api.inline_query(BASES_ZH[: i % 10 + 3], user_id=77) for i in range(limit + 3)]
    await bot.wait_handled(*updates)
    answered = bot.api.find("answerInlineQuery", since=mark)
    assert len(answered) == limit
    # another reader is not held up
    assert (await ask_inline(bot, BASES_ZH, user_id=78)).params["results"]
