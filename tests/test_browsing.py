"""Browsing helpers: button labels cut at word boundaries, paging math, paged callback
data (within 64 bytes, old formats still parsed) and the paged /topics section reply."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.knowledge import load_knowledge
from bot.labels import shorten, splits_word
from bot.telegram import callbacks, paging, render

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(KNOWLEDGE)


# --------------------------------------------------------------------------- labels


def test_short_labels_are_kept_on_one_line() -> None:
    assert shorten("  How many\nbases?  ", 60) == "How many bases?"
    assert shorten("连云港有多少个爱国主义教育基地?", 60) == "连云港有多少个爱国主义教育基地?"


def test_english_is_cut_at_a_space_never_mid_word() -> None:
    text = "How many requests has the 12345 hotline handled this year in Lianyungang?"
    for limit in range(12, len(text)):
        label = shorten(text, limit)
        assert len(label) <= limit and label.endswith("…")
        head = label[:-1]
        assert text.startswith(head)
        assert text[len(head)] in " ?", (limit, label)  # the next character ends a word
    assert shorten(text, 30) == "How many requests has the…"


def test_chinese_is_cut_after_punctuation_else_between_characters() -> None:
    text = "连云港市根据不同领域、不同群体的认知特点和接受习惯,分众定策,创新学习载体"
    assert shorten(text, 30) == "连云港市根据不同领域、不同群体的认知特点和接受习惯…"
    no_marks = "对于县处级以上党员领导干部以一月一主题每月读书班的形式围绕必学书目重抓专题学习"
    label = shorten(no_marks, 20)
    assert label == no_marks[:19] + "…"


def test_numbers_and_latin_words_inside_chinese_stay_whole() -> None:
    text = "党史学习教育开展以来连云港“12345”热线今年累计受理各类诉求20.55万件是真的吗"
    for limit in range(8, len(text)):
        head = shorten(text, limit)[:-1]
        assert text.startswith(head) and not splits_word(text, len(head)), (limit, head)
    labels = {shorten(text, n) for n in range(8, len(text))}
    assert not any(label.endswith(("1…", "12…", "20…", "20.…", "20.5…")) for label in labels)


def test_a_single_overlong_word_is_cut_as_a_last_resort() -> None:
    assert shorten("Antidisestablishmentarianism", 10) == "Antidises…"


def test_splits_word() -> None:
    assert splits_word("Lianyungang city", 3)
    assert not splits_word("Lianyungang city", 11)
    assert splits_word("20.55万", 2) and splits_word("20.55万", 3)
    assert not splits_word("20.55万", 5)
    assert not splits_word("连云港", 1)


# --------------------------------------------------------------------------- paging


def test_page_count_and_clamping() -> None:
    assert paging.page_count(0) == 1
    assert paging.page_count(8) == 1
    assert paging.page_count(9) == 2
    assert paging.page_count(25) == 4
    items = list(range(25))
    first = paging.page(items, 0)
    assert first.items == tuple(range(8)) and first.previous is None and first.next == 1
    last = paging.page(items, 3)
    assert last.items == (24,) and last.previous == 2 and last.next is None
    assert paging.page(items, 99).number == 3 and paging.page(items, -5).number == 0
    pages = [paging.page(items, n).items for n in range(4)]
    assert [i for p in pages for i in p] == items  # every item once, in order
    assert paging.page([], 0) == paging.Page((), 0, 1)


# --------------------------------------------------------------------------- callback data


def test_paged_section_data_round_trips_and_fits(kb) -> None:
    for section in kb.article.sections:
        for page in (0, 1, 7, 9999):
            for lang in ("zh", "en"):
                data = callbacks.section_data(section, kb, lang, page)
                assert len(data.encode()) <= callbacks.MAX_BYTES
                cb = callbacks.parse(data)
                assert cb is not None and cb.kind == "section" and cb.page == page
                assert cb.lang == lang
                assert callbacks.resolve_section(cb, kb) is section
    # page 0 is the old format: buttons already in readers' chats keep working
    assert callbacks.section_data(kb.article.sections[2], kb, "zh") == "t:s1:zh"
    assert callbacks.parse("t:s1:zh").page == 0
    assert callbacks.parse("t:s1:2:zh").page == 2


def test_paged_section_data_with_a_long_id_uses_the_index(kb) -> None:
    long_section = dataclasses.replace(kb.article.sections[2], id="s" * 70)
    article = dataclasses.replace(
        kb.article, sections=(*kb.article.sections[:2], long_section, *kb.article.sections[3:])
    )
    big = dataclasses.replace(kb, article=article)
    data = callbacks.section_data(long_section, big, "en", 3)
    assert data.startswith("ti:") and len(data.encode()) <= callbacks.MAX_BYTES
    cb = callbacks.parse(data)
    assert cb.page == 3 and callbacks.resolve_section(cb, big) is long_section


@pytest.mark.parametrize(
    "data", ["t:s1:x:zh", "t:s1:-1:zh", "t:s1:12345:zh", "t:s1:2:3:zh", "ti:abc:1:x:zh", "t::2:zh"]
)
def test_malformed_page_data_is_refused(data: str) -> None:
    assert callbacks.parse(data) is None


# --------------------------------------------------------------------------- section pages


def _entry_buttons(reply) -> list:
    return [
        b
        for row in reply.markup.inline_keyboard
        for b in row
        if callbacks.parse(b.callback_data).kind == "entry"
    ]


def test_a_section_shows_at_most_eight_entries_a_page(kb) -> None:
    for section in render.browsable_sections(kb):
        entries = kb.entries_in_section(section.id)
        count = paging.page_count(len(entries))
        seen = []
        for page in range(count):
            reply = render.section_reply(section.id, kb, "zh", page)
            buttons = _entry_buttons(reply)
            assert 1 <= len(buttons) <= paging.PAGE_SIZE
            seen += [callbacks.resolve_entry(callbacks.parse(b.callback_data), kb) for b in buttons]
            nav = [b.text for b in reply.markup.inline_keyboard[-2]] if count > 1 else []
            assert ("◀ 上一页" in nav) == (page > 0)
            assert ("下一页 ▶" in nav) == (page < count - 1)
            if count > 1:
                assert f"第 {page + 1}/{count} 页" in reply.messages[0]
            else:
                assert "页" not in reply.messages[0].split("\n")[-1]
        assert seen == entries  # every entry on exactly one page, in order


def test_the_biggest_section_has_several_pages(kb) -> None:
    biggest = max(render.browsable_sections(kb), key=lambda s: len(kb.entries_in_section(s.id)))
    assert len(kb.entries_in_section(biggest.id)) > 2 * paging.PAGE_SIZE
    reply = render.section_reply(biggest.id, kb, "en", 1)
    assert "Page 2 of" in reply.messages[0]
    texts = [b.text for b in reply.markup.inline_keyboard[-2]]
    assert texts == ["◀ Previous", "Next ▶"]
    previous, following = reply.markup.inline_keyboard[-2]
    assert callbacks.parse(previous.callback_data).page == 0
    assert callbacks.parse(following.callback_data).page == 2


def test_for_user_mentions_the_presser_escaped_once() -> None:
    reply = render.for_user(render.Reply(["<b>x</b>", "y"]), 42, "A<&>B")
    assert reply.messages == ['<a href="tg://user?id=42">A&lt;&amp;&gt;B</a>\n<b>x</b>', "y"]


def test_review_pick_data_round_trips_fits_and_knows_its_version(kb) -> None:
    item = 10**17  # the largest item ids still fit
    for step, index, page in (
        ("sections", 0, 0),
        ("back", 0, 0),
        ("section", 4, 2),
        ("entry", 93, 0),
    ):
        data = callbacks.review_pick_data(step, item, kb, index, page)
        assert len(data.encode()) <= callbacks.MAX_BYTES
        pick = callbacks.parse_review_pick(data)
        assert pick is not None and (pick.step, pick.item_id) == (step, item)
        if step in ("section", "entry"):
            assert (pick.index, pick.page) == (index, page) and pick.current(kb)
    other = dataclasses.replace(kb, version="ffffffffffff")
    assert not callbacks.parse_review_pick(callbacks.review_pick_data("entry", 1, kb, 3)).current(
        other
    )


@pytest.mark.parametrize(
    "data", ["r:o:", "r:o:x", "r:e:1:2", "r:t:1:2:3", "r:e:1:-2:abc", "r:z:1", "r:o:1:2", None]
)
def test_malformed_review_pick_data_is_refused(data) -> None:
    assert callbacks.parse_review_pick(data) is None
