"""End to end, citations as readers get them over the Bot API: the supporting part of the
quote in bold, long quotes in an expandable blockquote, the Chinese original labelled under
English answers, the article's link when article.yaml has one, and the clean byline for
"who wrote it"."""

from __future__ import annotations

import pytest
from e2e_support import READER_ID, blockquotes, bold_in_quotes, copy_knowledge, plain, run_bot

BASES_ZH = "连云港有多少个爱国主义教育基地?"
BASES_EN = "How many patriotic education bases does Lianyungang have?"
HOTLINE_ZH = "12345热线受理了多少诉求?"
SOURCE_URL = "https://www.example.org/lyg/2021-06-11.html?from=xuexi&id=7"


@pytest.fixture
async def bot(tmp_path):
    async with run_bot(tmp_path) as run:
        yield run


async def test_answer_bolds_the_supporting_part_of_the_quote(bot):
    _, reply = await bot.private(BASES_ZH)
    quote = bot.kb.entry("patriotic-education-bases").citation.quote
    assert blockquotes(reply) == [quote]  # still verbatim, as the reader sees it
    assert bold_in_quotes(reply) == ["66个爱国主义教育基地"]
    assert len(quote) <= 120 and "<blockquote><b>" not in reply.text  # short: not folded
    assert "<blockquote>“邓小平" in reply.text


async def test_long_quotes_expandable_short_ones_plain(bot):
    _, long_reply = await bot.private(HOTLINE_ZH)
    assert long_reply.text.count("<blockquote expandable>") == 1
    assert "20.55万件" in "".join(bold_in_quotes(long_reply))
    _, short_reply = await bot.private("谢印参是谁")
    assert "<blockquote>" in short_reply.text and "expandable" not in short_reply.text
    assert bold_in_quotes(short_reply) == ["建筑工人"]


async def test_english_answer_shows_the_labelled_chinese_original(bot):
    _, reply = await bot.private(BASES_EN, language_code="en")
    text = plain(reply)
    assert text.startswith("Lianyungang") or "66" in text.split("\n")[0]
    lines = text.split("\n")
    at = lines.index("Original (Chinese):")
    assert "66个爱国主义教育基地" in lines[at + 1]  # the quote follows its label
    _, zh = await bot.private(BASES_ZH)
    assert "Original (Chinese):" not in plain(zh)


async def test_who_wrote_it_cites_the_clean_byline(bot):
    _, reply = await bot.private("这篇文章谁写的")
    # metadata, not the article's words: a line of its own, not a quote
    assert blockquotes(reply) == [] and bot.kb.article.byline in plain(reply)
    assert "查看" not in plain(reply) and "发布者: shiyun|" not in plain(reply)
    assert "<b>原作者:刘慧洋、丛宁</b>" in reply.text
    _, reply = await bot.private("Who is the poster shiyun?", language_code="en")
    assert blockquotes(reply) == [] and bot.kb.article.byline_en in plain(reply)
    # a traditional reader gets it converted, with no "original" label
    _, reply = await bot.private("這篇文章誰寫的", language_code="zh-hant")
    assert "劉慧洋" in plain(reply) and "原文" not in plain(reply)


async def test_no_source_link_without_a_url(bot):
    _, reply = await bot.private(BASES_ZH)
    assert "<a href" not in reply.text


async def test_source_link_when_article_yaml_has_a_url(tmp_path):
    knowledge = copy_knowledge(tmp_path)
    article = knowledge / "article.yaml"
    text = article.read_text(encoding="utf-8")
    article.write_text(
        text.replace("views: 1523", f"source_url: {SOURCE_URL}\nviews: 1523", 1), encoding="utf-8"
    )
    async with run_bot(tmp_path, knowledge_dir=knowledge) as bot:
        _, reply = await bot.private(BASES_ZH, user_id=READER_ID)
        escaped = SOURCE_URL.replace("&", "&amp;")
        assert f'<a href="{escaped}">原文链接</a>' in reply.text
        assert reply.text.index("</blockquote>") < reply.text.index("<a href")
        assert reply.params["link_preview_options"] == {"is_disabled": True}
        _, reply = await bot.private(BASES_EN, language_code="en")
        assert f'<a href="{escaped}">Read the article</a>' in reply.text


async def test_a_message_asking_two_things_gets_both_answers_each_with_its_quote(bot):
    _, reply = await bot.private("连云港有多少个爱国主义教育基地？12345热线的满意率是多少？")
    bases = bot.kb.entry("patriotic-education-bases")
    result = bot.engine.ask("12345热线的满意率是多少？")
    second = result.entry
    assert blockquotes(reply) == [bases.citation.quote, second.citation.quote]
    text = plain(reply)
    assert text.index(bases.answer["zh"]) < text.index(second.answer["zh"])
    assert [b["text"] for b in reply.buttons[:2]] == ["👍", "👎"]
