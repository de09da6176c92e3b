"""Rendering for Telegram: escaping, citations, splitting under 4096, keyboards, callback data."""

from __future__ import annotations

import html
import re

import pytest

from bot.model import (
    Article,
    Citation,
    Entry,
    KnowledgeBase,
    MatchResult,
    Paragraph,
    Section,
    Suggestion,
)
from bot.telegram import callbacks, render
from bot.telegram.texts import TEXTS, t, ui_lang

ALLOWED_TAGS = {"b", "i", "code", "blockquote", "a"}
TAG_RE = re.compile(r'<(/?)([a-z-]+)(?: expandable| href="[^"<>]*")?>')


def check_html(text: str) -> None:
    """Assert ``text`` is Telegram-valid HTML of the kind we send: known tags, balanced and
    properly nested, no stray ``<``/``>``, every ``&`` an entity."""
    stack: list[str] = []
    for m in TAG_RE.finditer(text):
        closing, tag = m.group(1) == "/", m.group(2)
        assert tag in ALLOWED_TAGS, f"unexpected tag {tag!r} in {text!r}"
        if closing:
            assert stack and stack[-1] == tag, f"unbalanced </{tag}> in {text!r}"
            stack.pop()
        else:
            stack.append(tag)
    assert not stack, f"unclosed {stack} in {text!r}"
    bare = TAG_RE.sub("", text)
    assert "<" not in bare and ">" not in bare, f"unescaped angle bracket in {text!r}"
    assert not re.search(r"&(?!(?:lt|gt|amp|quot|#\d+);)", bare), f"bare & in {text!r}"


def plain(text: str) -> str:
    return html.unescape(TAG_RE.sub("", text))


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def make_kb(
    *,
    answer: str = "Answer",
    quote: str = "句子",
    entry_ids: tuple[str, ...] = ("e1",),
    extra_section: bool = True,
) -> KnowledgeBase:
    paragraphs = (
        Paragraph("p1", "s1", "第一段。"),
        Paragraph("p2", "s1", f"第二段{quote}。"),
    )
    sections = [Section("s1", "第一部分 <标题> & 更多", "Part <one> & more", paragraphs)]
    if extra_section:
        sections.append(Section("empty", "空的", "Empty", (Paragraph("p3", "empty", "x"),)))
    article = Article(
        id="a",
        title="标题<a>",
        title_en="Title <a> & b",
        authors=("甲", "乙"),
        authors_en=("A", "B"),
        date="2021-06-11",
        origin="来源",
        origin_en="Origin",
        site="网站",
        site_en="Site",
        views=1,
        sections=tuple(sections),
    )
    entries = tuple(
        Entry(
            id=eid,
            questions={"zh": (f"问题 {eid} <x>?",), "en": (f"Question {eid} <x>?",)},
            answer={"zh": f"中文{answer}", "en": answer},
            citation=Citation("p2", quote),
            section_id="s1",
        )
        for eid in entry_ids
    )
    return KnowledgeBase(article=article, entries=entries, version="abcdef0123456789")


# ---------------------------------------------------------------------------- answers


def test_answer_is_escaped_and_cites_section_paragraph_and_quote() -> None:
    kb = make_kb(answer="a < b && c > d", quote="<script>alert(1)</script> & 引文")
    entry = kb.entries[0]
    result = MatchResult("q", "answered", "en", entry=entry, score=90)
    reply = render.result_reply(result, kb)
    assert len(reply.messages) == 1
    # the only buttons: the feedback row, 👍 / 👎 on this entry
    [[up, down]] = reply.markup.inline_keyboard
    assert (up.text, up.callback_data) == ("👍", "f:+:e1:en")
    assert (down.text, down.callback_data) == ("👎", "f:-:e1:en")
    text = reply.messages[0]
    check_html(text)
    assert "<script>" not in text
    assert "a &lt; b &amp;&amp; c &gt; d" in text
    assert "<b>Part &lt;one&gt; &amp; more</b>" in text  # section title, bold, escaped
    assert "paragraph 2" in text  # p2 is the 2nd paragraph of its section
    assert "<blockquote>&lt;script&gt;alert(1)&lt;/script&gt; &amp; 引文</blockquote>" in text
    # the answer comes first, the quote last
    assert plain(text).index("a < b") < plain(text).index("Part <one>")


def test_answer_in_chinese_uses_chinese_labels() -> None:
    kb = make_kb()
    result = MatchResult("问", "answered", "zh", entry=kb.entries[0], score=90)
    text = render.result_reply(result, kb).messages[0]
    check_html(text)
    assert "中文Answer" in text
    assert "第2段" in text
    assert "第一部分 &lt;标题&gt; &amp; 更多" in text
    assert "paragraph" not in text


def test_real_answers_are_valid(engine) -> None:
    kb = engine.kb
    for entry in kb.entries:
        for lang in ("zh", "en"):
            messages = render.answer_reply(entry, kb, lang).messages
            assert len(messages) == 1
            check_html(messages[0])
            shown = kb.article.byline_in(lang) if entry.citation.byline else None
            assert (shown or entry.citation.quote) in plain(messages[0])
            assert entry.answer[lang] in plain(messages[0])


def test_no_match_points_to_topics_and_smalltalk_is_friendly() -> None:
    kb = make_kb()
    for lang in ("zh", "en"):
        no = render.result_reply(MatchResult("x", "no_match", lang), kb)
        assert "/topics" in no.messages[0] and no.markup is None
        hi = render.result_reply(MatchResult("hi", "no_match", lang, smalltalk="greeting"), kb)
        thanks = render.result_reply(MatchResult("ty", "no_match", lang, smalltalk="thanks"), kb)
        assert hi.messages == [t("greeting", lang)]
        assert thanks.messages == [t("thanks", lang)]
        assert hi.messages != no.messages


def test_no_match_text_is_honest() -> None:
    for key in ("no_match", "no_match_related"):
        assert "文章没有提到" in TEXTS[key]["zh"]
        assert "does not say" in TEXTS[key]["en"]


def test_no_match_with_related_entries_offers_them_as_buttons() -> None:
    kb = make_kb(entry_ids=("e1", "e2"))
    result = MatchResult("q", "no_match", "zh", suggestions=(Suggestion("e2", "问题二", 30.0),))
    reply = render.result_reply(result, kb)
    assert reply.messages == [t("no_match_related", "zh")]
    [[button]] = reply.markup.inline_keyboard
    assert button.text == "问题二"
    assert callbacks.resolve_entry(callbacks.parse(button.callback_data), kb).id == "e2"


# ---------------------------------------------------------------------------- did you mean


def test_did_you_mean_has_at_most_three_buttons() -> None:
    kb = make_kb(entry_ids=("e1", "e2", "e3", "e4"))
    suggestions = tuple(
        Suggestion(f"e{i}", f"Question {i} " + "long " * 30, 50) for i in range(1, 5)
    )
    result = MatchResult("q", "ambiguous", "en", suggestions=suggestions)
    reply = render.result_reply(result, kb)
    assert reply.messages == [t("did_you_mean", "en")]
    buttons = [b for row in reply.markup.inline_keyboard for b in row]
    assert len(buttons) == 3
    for i, b in enumerate(buttons, 1):
        assert len(b.text) <= render.MAX_LABEL and b.text.startswith(f"Question {i}")
        assert b.text.endswith("…")
        cb = callbacks.parse(b.callback_data)
        assert callbacks.resolve_entry(cb, kb).id == f"e{i}"
        assert cb.lang == "en"


def test_did_you_mean_skips_vanished_entries() -> None:
    kb = make_kb(entry_ids=("e1",))
    result = MatchResult(
        "q", "ambiguous", "zh", suggestions=(Suggestion("gone", "x", 50), Suggestion("e1", "y", 49))
    )
    buttons = [b for row in render.result_reply(result, kb).markup.inline_keyboard for b in row]
    assert [b.text for b in buttons] == ["y"]
    # nothing left to offer: an honest no_match instead of an empty keyboard
    lonely = MatchResult("q", "ambiguous", "zh", suggestions=(Suggestion("gone", "x", 50),))
    assert render.result_reply(lonely, kb).messages == [t("no_match", "zh")]


# ---------------------------------------------------------------------------- splitting


def test_long_reply_is_split_under_the_limit_without_breaking_tags() -> None:
    sentence = "连云港<党史> & 学习教育。" * 40 + "\n"
    long_answer = sentence * 12  # ~ 7000 characters, ~ 9000 once escaped
    kb = make_kb(answer=long_answer, quote="引" * 5000 + "<&>")
    reply = render.result_reply(MatchResult("q", "answered", "en", entry=kb.entries[0]), kb)
    assert len(reply.messages) >= 4
    for message in reply.messages:
        assert utf16(message) <= 4096
        check_html(message)
    joined = "".join(plain(m) for m in reply.messages)
    # nothing lost (message boundaries only drop newlines)
    assert joined.replace("\n", "").count("连云港<党史> & 学习教育。") == 40 * 12
    assert ("引" * 5000 + "<&>") in joined.replace("\n", "")
    # the long quote is split into several blockquotes, each closed in its own message
    assert sum(m.count("<blockquote expandable>") for m in reply.messages) >= 2


def test_split_prefers_line_and_sentence_boundaries() -> None:
    lines = [render.line(f"第{i}行:" + "字" * 200 + "。") for i in range(60)]
    messages = render.to_messages(lines, limit=1000)
    assert len(messages) > 1
    for m in messages:
        assert utf16(m) <= 1000
        # each message holds whole lines
        for part in m.split("\n"):
            assert part.startswith("第") and part.endswith("。")


def test_split_counts_utf16_units() -> None:
    emoji = "😀" * 3000  # 6000 UTF-16 units
    messages = render.to_messages([render.line(emoji)])
    assert len(messages) == 2
    assert all(utf16(m) <= 4096 for m in messages)
    assert "".join(messages) == emoji


def test_escaping_never_splits_an_entity() -> None:
    text = "&" * 5000  # 25000 characters once escaped
    messages = render.to_messages([(render.Span(text, "b"),)], limit=4096)
    for m in messages:
        check_html(m)
        assert utf16(m) <= 4096
    assert "".join(plain(m) for m in messages) == text


def test_short_reply_is_one_message_with_newlines() -> None:
    blocks = [render.line("a"), render.line(""), render.line("b", render.Span("c", "b"))]
    assert render.to_messages(blocks) == ["a\n\nb<b>c</b>"]


# ---------------------------------------------------------------------------- callback data


def test_callback_data_fits_for_every_shipped_entry_and_section(engine) -> None:
    kb = engine.kb
    for lang in ("zh", "en"):
        for entry in kb.entries:
            data = callbacks.entry_data(entry, kb, lang)
            assert 1 <= len(data.encode("utf-8")) <= 64
            cb = callbacks.parse(data)
            assert cb is not None and cb.lang == lang
            assert callbacks.resolve_entry(cb, kb) is entry
        for section in kb.article.sections:
            data = callbacks.section_data(section, kb, lang)
            assert len(data.encode("utf-8")) <= 64
            assert callbacks.resolve_section(callbacks.parse(data), kb) is section


def test_long_ids_fall_back_to_an_index_within_64_bytes() -> None:
    long_id = "x" * 70
    kb = make_kb(entry_ids=("short", long_id))
    entry = kb.entries[1]
    data = callbacks.entry_data(entry, kb, "zh")
    assert len(data.encode("utf-8")) <= 64
    assert long_id not in data
    assert callbacks.resolve_entry(callbacks.parse(data), kb) is entry
    # after a reload to another version, the index is stale: no wrong answer
    newer = KnowledgeBase(kb.article, kb.entries, version="ffffffff00000000")
    assert callbacks.resolve_entry(callbacks.parse(data), newer) is None


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "a:",
        "a::zh",
        "x:e1",
        "a:e1:zh:extra",
        "ai:abc:notanumber:zh",
        "ai:abcdef01:99999:zh",
        "t:no-such-section",
        "a:no-such-entry:en",
        "a:" + "e" * 80,
        "\x00\xff",
        "a:e1\n",
    ],
)
def test_forged_or_stale_data_resolves_to_nothing(data: str | None) -> None:
    kb = make_kb(entry_ids=("e1",))
    cb = callbacks.parse(data)
    assert cb is None or (
        callbacks.resolve_entry(cb, kb) is None and callbacks.resolve_section(cb, kb) is None
    )


def test_feedback_data_fits_and_parses() -> None:
    long_id = "x" * 70
    kb = make_kb(entry_ids=("e1", long_id))
    for entry in kb.entries:
        for vote in ("+", "-"):
            data = callbacks.feedback_data(entry, kb, "zh", vote)
            assert len(data.encode("utf-8")) <= 64 and callbacks.FEEDBACK_PATTERN.match(data)
            cb = callbacks.parse(data)
            assert cb is not None and (cb.kind, cb.vote, cb.lang) == ("feedback", vote, "zh")
            assert callbacks.resolve_entry(cb, kb) is entry
    assert callbacks.feedback_data(kb.entries[0], kb, "en", "+") == "f:+:e1:en"
    assert callbacks.feedback_data(kb.entries[1], kb, "en", "-").startswith("fi:-:")
    newer = KnowledgeBase(kb.article, kb.entries, version="ffffffff00000000")
    stale = callbacks.parse(callbacks.feedback_data(kb.entries[1], kb, "zh", "+"))
    assert callbacks.resolve_entry(stale, newer) is None
    forgeries = ("f:", "f:+", "f:*:e1:zh", "f:+::zh", "f:+:e1:zh:x", "fi:+:abc:x:zh", "f:+:no")
    for forged in forgeries:
        cb = callbacks.parse(forged)
        assert cb is None or callbacks.resolve_entry(cb, kb) is None, forged


def test_callback_without_language_still_resolves() -> None:
    kb = make_kb(entry_ids=("e1",))
    cb = callbacks.parse("a:e1")
    assert cb is not None and cb.lang is None
    assert callbacks.resolve_entry(cb, kb).id == "e1"


# ---------------------------------------------------------------------------- browsing


def test_topics_skip_sections_without_entries_and_lead_to_entries() -> None:
    kb = make_kb(entry_ids=("e1", "e2"))
    reply = render.sections_reply(kb, "en")
    check_html(reply.messages[0])
    assert "Title &lt;a&gt; &amp; b" in reply.messages[0]
    buttons = [b for row in reply.markup.inline_keyboard for b in row]
    assert [b.text for b in buttons] == ["Part <one> & more"]  # "empty" has no entries
    cb = callbacks.parse(buttons[0].callback_data)
    section = callbacks.resolve_section(cb, kb)
    inner = render.section_reply(section.id, kb, "en")
    check_html(inner.messages[0])
    inner_buttons = [b for row in inner.markup.inline_keyboard for b in row]
    assert [b.text for b in inner_buttons[:-1]] == ["Question e1 <x>?", "Question e2 <x>?"]
    back = callbacks.parse(inner_buttons[-1].callback_data)
    assert back.kind == "sections" and back.lang == "en"
    assert render.section_reply("nope", kb, "en") is None


def test_start_offers_three_examples_and_source_is_escaped(engine) -> None:
    kb = engine.kb
    for lang in ("zh", "en"):
        reply = render.start_reply(kb, lang, group=False, username="citebot")
        check_html(reply.messages[0])
        buttons = [b for row in reply.markup.inline_keyboard for b in row]
        assert len(buttons) == 3
        entries = [callbacks.resolve_entry(callbacks.parse(b.callback_data), kb) for b in buttons]
        assert len({e.section_id for e in entries}) == 3  # from three different sections
        source = render.source_reply(kb, lang).messages[0]
        check_html(source)
        assert kb.article.date in source
    small = make_kb()
    source = render.source_reply(small, "en").messages[0]
    check_html(source)
    assert "Title &lt;a&gt; &amp; b" in source and "A, B" in source


def test_every_ui_text_exists_in_both_languages_and_is_valid_html() -> None:
    for key, variants in TEXTS.items():
        assert set(variants) == {"zh", "en"}, key
        for lang, template in variants.items():
            filled = re.sub(r"\{(\w+)\}", "1", template)
            check_html(filled)
            assert t(key, lang, **dict.fromkeys(re.findall(r"\{(\w+)\}", template), "<&>"))


def test_ui_language_from_telegram_language_code() -> None:
    assert ui_lang("zh-hans") == "zh"
    assert ui_lang("zh-TW") == "zh"
    assert ui_lang("ZH") == "zh"
    assert ui_lang("en") == "en"
    assert ui_lang("ru") == "en"
    assert ui_lang(None) == "en"
    assert ui_lang("") == "en"


def test_without_listed_examples_start_picks_from_the_largest_sections(kb) -> None:
    import dataclasses

    listed = render.example_entries(kb)
    assert [e.id for e in listed] == list(kb.examples[:3])
    picked = render.example_entries(dataclasses.replace(kb, examples=()))
    assert len(picked) == 3 and len({e.section_id for e in picked}) == 3


def test_one_suggestion_is_asked_about_by_name(engine, kb) -> None:
    from bot import answer_view

    result = engine.ask("谢印参是哪个省的人")  # one plausible entry, not an answer
    assert result.status == "ambiguous" and len(result.suggestions) == 1
    view = answer_view.build(result, kb)
    (text,) = render.view_reply(view, kb).messages
    label = result.suggestions[0].question.rstrip("?？")
    assert f"你是想问「{label}」吗?" in html.unescape(text)
    assert "哪一个" not in text


def test_choice_buttons_are_marked_and_old_entry_buttons_still_parse(kb) -> None:
    entry = kb.entries[0]
    choice = callbacks.parse(callbacks.entry_data(entry, kb, "zh", choice=True))
    plain_entry = callbacks.parse(callbacks.entry_data(entry, kb, "zh"))
    assert choice is not None and choice.choice and choice.kind == "entry"
    assert plain_entry is not None and not plain_entry.choice
    assert callbacks.resolve_entry(choice, kb) is entry
    assert callbacks.ENTRY_PATTERN.match(f"c:{entry.id}:zh")
    assert callbacks.parse(f"a:{entry.id}") == callbacks.Callback("entry", entry.id)  # old data
    assert callbacks.parse("cx:1:zh") is None and callbacks.parse("c::zh") is None
