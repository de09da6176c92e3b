"""Inline results and the share row, rendered (bot/telegram/inline.py, render.py): within
Telegram's limits for every entry of the shipped base."""

from __future__ import annotations

import pytest
from e2e_support import shared_engine
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import share
from bot.model import MatchResult
from bot.telegram import inline, render


@pytest.fixture(scope="module")
def kb():
    return shared_engine().kb


def test_every_entry_makes_a_valid_inline_result(kb):
    for entry in kb.entries:
        for lang in ("zh", "en"):
            item = inline.entry_result(entry, kb, lang, "citebot")
            assert 1 <= len(item.title) <= inline.MAX_TITLE
            assert len(item.description) <= inline.MAX_DESCRIPTION
            assert 1 <= len(item.id.encode()) <= 64
            text = item.input_message_content.message_text
            assert render.size(text) <= render.MAX_MESSAGE
            assert text == render.answer_reply(entry, kb, lang).messages[0]
            (button,) = item.reply_markup.inline_keyboard[0]
            assert button.url == share.deep_link("citebot", share.encode(entry.id, lang))


def test_result_ids_are_unique_and_the_refusal_id_is_no_payload(kb):
    ids = {inline.entry_result(e, kb, "zh", "b").id for e in kb.entries}
    assert len(ids) == len(kb.entries)
    assert inline.NO_ANSWER_ID not in ids
    assert share.resolve(inline.NO_ANSWER_ID, kb) is None


def test_small_talk_offers_the_examples(kb):
    hello = MatchResult("hello", "no_match", "en", smalltalk="greeting")
    assert [r.title for r in inline.question_results(hello, kb, "b")] == [
        r.title for r in inline.example_results(kb, "en", "b")
    ]


def test_after_a_vote_only_the_share_link_stays():
    link = InlineKeyboardButton("↗", url="https://t.me/b?start=x")
    votes = [InlineKeyboardButton(v, callback_data=f"f:{v}:x:zh") for v in "+-"]
    markup = InlineKeyboardMarkup([votes, [link]])
    assert render.has_callback_buttons(markup)
    assert render.link_rows(markup) == InlineKeyboardMarkup([[link]])
    assert not render.has_callback_buttons(render.link_rows(markup))
    assert render.link_rows(InlineKeyboardMarkup([votes])) is None
    assert render.link_rows(None) is None


def test_answers_carry_the_share_row_only_when_the_username_is_known(kb):
    entry = kb.entries[0]
    without = render.answer_reply(entry, kb, "zh")
    with_link = render.answer_reply(entry, kb, "zh", username="citebot")
    assert with_link.messages == without.messages
    assert with_link.markup.inline_keyboard[:-1] == without.markup.inline_keyboard
    (button,) = with_link.markup.inline_keyboard[-1]
    assert share.resolve(button.url.partition("?start=")[2], kb) == (entry, "zh")
