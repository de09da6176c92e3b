"""The answer view: one decision of what a reader sees, rendered as text, JSON and HTML."""

from __future__ import annotations

import html
import json

import pytest
from test_render import check_html, make_kb, plain

from bot.answer_view import READER_TEXTS, build, entry_view, reader_text
from bot.answers import view_json, view_text
from bot.model import LANGS, MatchResult, Suggestion
from bot.telegram import render
from bot.telegram.texts import TEXTS, t


def test_answer_view_holds_answer_and_source() -> None:
    kb = make_kb(answer="a < b & c", quote="<q> & 引文")
    view = build(MatchResult("q?", "answered", "en", entry=kb.entries[0], score=91.5), kb)
    assert view.kind == "answer" and view.entry_id == "e1" and view.answer == "a < b & c"
    src = view.source
    assert src is not None
    assert src.title == "Title <a> & b" and src.article_title == "标题<a>"
    assert src.section_title == "Part <one> & more" and src.paragraph_label == "paragraph 2"
    assert src.quote == "<q> & 引文"
    zh = build(MatchResult("问", "answered", "zh", entry=kb.entries[0], score=91.5), kb)
    assert zh.source.paragraph_label == "第2段" and zh.source.title == "标题<a>"


@pytest.mark.parametrize(
    ("result", "kind", "key"),
    [
        (MatchResult("hi", "no_match", "en", smalltalk="greeting"), "smalltalk", "greeting"),
        (MatchResult("ty", "no_match", "zh", smalltalk="thanks"), "smalltalk", "thanks"),
        (MatchResult("x", "no_match", "en"), "not_found", "no_answer"),
        (
            MatchResult("x", "no_match", "zh", suggestions=(Suggestion("e2", "问题二", 30),)),
            "not_found",
            "no_answer_related",
        ),
        (
            MatchResult("x", "ambiguous", "en", suggestions=(Suggestion("e1", "Q1", 50),)),
            "choose",
            "did_you_mean_one",
        ),
        (
            MatchResult(
                "x",
                "ambiguous",
                "en",
                suggestions=(Suggestion("e1", "Q1", 50), Suggestion("e2", "Q2", 45)),
            ),
            "choose",
            "did_you_mean",
        ),
        # every suggested entry vanished (a reload in between): nothing to choose from
        (
            MatchResult("x", "ambiguous", "en", suggestions=(Suggestion("gone", "Q", 50),)),
            "not_found",
            "no_answer",
        ),
    ],
)
def test_kinds_and_their_texts(result: MatchResult, kind: str, key: str) -> None:
    kb = make_kb(entry_ids=("e1", "e2"))
    view = build(result, kb)
    assert view.kind == kind and view.message_key == key
    assert view.answer is None and view.source is None
    # the terminal and Telegram say the same (Telegram may add a /topics hint)
    shown = reader_text(key, view.lang, **view.message_values)
    assert view_text(view).splitlines()[0] in (shown, reader_text("no_answer", view.lang))
    message = render.view_reply(view, kb).messages[0]
    check_html(message)
    assert plain(message).startswith(shown)


def test_terminal_and_telegram_share_the_reader_texts() -> None:
    for key in ("no_answer", "no_answer_related", "did_you_mean", "greeting", "thanks"):
        for lang in LANGS:
            name = {"no_answer": "no_match", "no_answer_related": "no_match_related"}.get(key, key)
            assert plain(t(name, lang)).startswith(READER_TEXTS[key][lang])
    assert all(set(v) == set(LANGS) for v in READER_TEXTS.values())
    assert TEXTS["source_label"] == {
        lang: html.escape(READER_TEXTS["source_label"][lang]) for lang in LANGS
    }


def test_text_json_and_html_render_one_view(engine) -> None:
    kb = engine.kb
    for question in ("连云港有多少个爱国主义教育基地?", "How many patriotic education bases?"):
        view = build(engine.ask(question), kb)
        assert view.kind == "answer"
        text = view_text(view)
        obj = json.loads(json.dumps(view_json(view), ensure_ascii=False))
        message = render.view_reply(view, kb).messages[0]
        check_html(message)
        for shown in (view.answer, view.source.quote, view.source.paragraph_label):
            assert shown in text and shown in plain(message)
        assert view.source.section_title in text and view.source.section_title in plain(message)
        assert obj["answer"] == view.answer and obj["citation"]["quote"] == view.source.quote
        assert view.source.quote in kb.article.raw_text


def test_entry_view_is_what_a_button_answers(engine) -> None:
    kb = engine.kb
    entry = kb.entries[0]
    for lang in LANGS:
        view = entry_view(entry, kb, lang)
        assert view.kind == "answer" and view.answer == entry.answer[lang]
        assert render.answer_reply(entry, kb, lang) == render.view_reply(view, kb)
