"""The reader's language: the decision (choice > language_code > the question), the
traditional converter, the rewriting of replies for traditional readers, the stored
choices and the callback data that carries a reader's script."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answer_view import build
from bot.chinese_script import to_traditional
from bot.prefs import PrefsStore
from bot.reader_lang import (
    ReaderLang,
    code_script,
    code_variant,
    decide,
    typed_in_traditional,
)
from bot.telegram import callbacks
from bot.telegram.localize import localize
from bot.telegram.render import Reply

ROOT = Path(__file__).resolve().parent.parent

SIMPLIFIED = ReaderLang("zh")
ENGLISH = ReaderLang("en")


# ---------------------------------------------------------------------------- decision


@pytest.mark.parametrize(
    ("code", "script", "variant"),
    [
        ("zh-hans", "hans", "zh-Hant"),
        ("zh-CN", "hans", "zh-Hant"),
        ("zh", "hans", "zh-Hant"),
        ("zh-hans-raw", "hans", "zh-Hant"),
        ("zh-hant", "hant", "zh-Hant"),
        ("zh-Hant-raw", "hant", "zh-Hant"),
        ("zh-TW", "hant", "zh-TW"),
        ("zh_tw", "hant", "zh-TW"),
        ("zh-hk", "hant", "zh-HK"),
        ("zh-Hant-HK", "hant", "zh-HK"),
        ("zh-mo", "hant", "zh-HK"),  # Macau reads as Hong Kong does
        ("zh-Hans-HK", "hans", "zh-HK"),  # an explicit script wins over the region
        ("en", None, "zh-Hant"),
        ("en-US", None, "zh-Hant"),
        ("ru", None, "zh-Hant"),
        (None, None, "zh-Hant"),
        ("", None, "zh-Hant"),
    ],
)
def test_language_codes(code, script, variant):
    assert code_script(code) == script
    assert code_variant(code) == variant


@pytest.mark.parametrize(
    ("choice", "code", "lang", "traditional", "expected"),
    [
        # 1. an explicit choice decides everything, whatever the question
        ("en", "zh-tw", "zh", True, ENGLISH),
        ("en", None, None, False, ENGLISH),
        ("zh-hans", "zh-tw", "en", True, SIMPLIFIED),
        ("zh-hant", "en", "en", False, ReaderLang("zh", "zh-Hant")),
        ("zh-hant", "zh-hk", None, False, ReaderLang("zh", "zh-HK")),  # the region's variant
        ("zh-hant", "zh-cn", "zh", False, ReaderLang("zh", "zh-Hant")),
        # 2. no choice: language_code decides the script, and the language of commands
        (None, "zh-TW", "zh", False, ReaderLang("zh", "zh-TW")),
        (None, "zh-hant", None, False, ReaderLang("zh", "zh-Hant")),
        (None, "zh-hk", "zh", False, ReaderLang("zh", "zh-HK")),
        (None, "zh-mo", "zh", False, ReaderLang("zh", "zh-HK")),
        (None, "zh-hans", "zh", True, SIMPLIFIED),  # simplified app: simplified, as typed or not
        (None, "zh", None, False, SIMPLIFIED),
        (None, "en", None, False, ENGLISH),  # a command from an English app
        (None, None, None, False, ENGLISH),
        (None, "zh-tw", "en", False, ENGLISH),  # an English question: answered in English
        # 3. ... but the question's language beats language_code (Telegram has no official
        # Chinese interface: Chinese readers mostly send "en")
        (None, "en", "zh", False, SIMPLIFIED),
        (None, "en", "zh", True, ReaderLang("zh", "zh-Hant")),  # typed in traditional
        (None, None, "zh", True, ReaderLang("zh", "zh-Hant")),
        (None, "de", "en", True, ENGLISH),
        # an unknown stored value is no choice
        ("klingon", "zh-tw", None, False, ReaderLang("zh", "zh-TW")),
    ],
)
def test_decide(choice, code, lang, traditional, expected):
    assert decide(choice, code, lang=lang, traditional=traditional) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("連雲港有多少個愛國主義教育基地", True),
        ("开山島在哪", True),  # one traditional character is enough
        ("连云港有多少个爱国主义教育基地?", False),
        ("「连云港」有多少个爱国主义教育基地?", False),  # corner quotes are punctuation
        ("开山岛在哪里", False),
        ("How many bases are there?", False),
        ("12345", False),
        ("", False),
    ],
)
def test_typed_in_traditional(text, expected):
    assert typed_in_traditional(text) is expected


def test_the_article_and_the_answers_are_not_taken_for_traditional(kb):
    """No false alarm on the texts the bot itself writes in simplified characters."""
    texts = [p.text for s in kb.article.sections for p in s.paragraphs]
    texts += [e.answer["zh"] for e in kb.entries]
    assert [x for x in texts if typed_in_traditional(x)] == []


# ---------------------------------------------------------------------------- converter


def test_to_traditional_variants():
    text = "连云港为社区空巢老人开展“送饭上门”服务,鼠标"
    assert to_traditional(text) == "連雲港為社區空巢老人開展「送飯上門」服務,鼠標"
    assert to_traditional(text, "zh-TW").endswith("滑鼠")  # Taiwan's word
    assert to_traditional(text, "zh-HK").startswith("連雲港為社區")


@pytest.mark.parametrize("variant", ["zh-Hant", "zh-TW", "zh-HK"])
def test_the_converters_known_mistakes_are_corrected(variant):
    # the section title "讲准讲活党的历史": 準 (accurate), not 准 (permit); 批准 stays
    assert to_traditional("讲准讲活党的历史,批准", variant) == "講準講活黨的歷史,批准"


def test_to_traditional_leaves_markup_and_ascii_alone():
    text = '<b>出处</b>:/topics @bot_name 12345 &lt;x&gt; "a" -{不}- 👍'
    out = to_traditional(text, "zh-TW")
    assert out == '<b>出處</b>:/topics @bot_name 12345 &lt;x&gt; "a" -{不}- 👍'
    assert to_traditional("plain ASCII <i>text</i>") == "plain ASCII <i>text</i>"


def test_to_traditional_refuses_an_unknown_variant():
    with pytest.raises(ValueError, match="variant"):
        to_traditional("中文", "zh-CN")


def test_the_converter_is_not_loaded_at_start_up():
    """Importing the whole Telegram layer loads no converter: only a traditional reader's
    first reply does."""
    code = (
        "import sys, bot.telegram.app, bot.chinese_script as c\n"
        "assert 'zhconv_rs' not in sys.modules\n"
        "c.to_traditional('中文')\n"
        "assert 'zhconv_rs' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ---------------------------------------------------------------------------- localize

QUOTE = "“邓小平和人民在一起”雕塑公园……66个爱国主义教育基地。"
ANSWER_HTML = (
    "连云港市有66个爱国主义教育基地。\n\n— 出处:<b>立足“家门口”</b>,第1段\n"
    f"<blockquote>{QUOTE}</blockquote>"
)


def _reply() -> Reply:
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("👍", callback_data="f:+:bases:zh"),
                InlineKeyboardButton("👎", callback_data="f:-:bases:zh"),
            ],
            [InlineKeyboardButton("开山岛在哪", callback_data="a:kaishan:zh")],
            [InlineKeyboardButton("审核", callback_data="r:s:12")],
        ]
    )
    return Reply([ANSWER_HTML], markup)


def test_localize_converts_all_but_the_quote_and_labels_it():
    reply = localize(_reply(), ReaderLang("zh", "zh-TW"))
    (message,) = reply.messages
    assert message.startswith("連雲港市有66個愛國主義教育基地。\n\n— 出處:<b>立足「家門口」</b>")
    assert f"原文(簡體):\n<blockquote>{QUOTE}</blockquote>" in message  # verbatim
    rows = reply.markup.inline_keyboard
    assert [b.callback_data for b in rows[0]] == ["f:+:bases:zt", "f:-:bases:zt"]
    assert (rows[1][0].text, rows[1][0].callback_data) == ("開山島在哪", "a:kaishan:zt")
    assert rows[2][0].callback_data == "r:s:12"  # no language in it: left alone


def test_localize_leaves_addresses_in_tags_alone():
    from bot.telegram.localize import html

    message = '<a href="https://example.cn/连云港.html">连云港</a>'
    assert html(message, ReaderLang("zh", "zh-TW")) == (
        '<a href="https://example.cn/连云港.html">連雲港</a>'
    )


@pytest.mark.parametrize("reader", [SIMPLIFIED, ENGLISH])
def test_localize_leaves_other_readers_replies_as_they_are(reader):
    reply = _reply()
    assert localize(reply, reader) is reply


def test_localize_keeps_messages_within_telegrams_limit():
    """The label before the quote can push a full message past 4096: it is split again."""
    quote = f"<blockquote>{QUOTE}</blockquote>"
    message = "连" * (4096 - 1 - len(quote)) + "\n" + quote  # exactly full
    assert len(message.encode("utf-16-le")) // 2 == 4096
    reply = localize(Reply([message]), ReaderLang("zh", "zh-HK"))
    assert len(reply.messages) == 2
    assert all(len(m.encode("utf-16-le")) // 2 <= 4096 for m in reply.messages)
    assert reply.messages[0] == "連" * (4096 - 1 - len(quote))  # the label goes with the quote
    assert reply.messages[1] == f"原文(簡體):\n{quote}"


# ---------------------------------------------------------------------------- callbacks


def test_traditional_button_data_parses_as_chinese_in_traditional():
    cb = callbacks.parse("a:kaishan:zt")
    assert (cb.kind, cb.key, cb.lang, cb.traditional) == ("entry", "kaishan", "zh", True)
    assert callbacks.parse("f:+:bases:zt").vote == "+"
    assert callbacks.parse("T:zt").traditional
    assert callbacks.parse("ti:abc:3:zt").version == "abc"
    assert not callbacks.parse("a:kaishan:zh").traditional
    assert callbacks.parse("a:zt") is None


def test_language_button_data():
    for choice in ("zh-hans", "zh-hant", "en", "auto"):
        assert callbacks.parse_language(callbacks.language_data(choice)) == choice
        assert callbacks.LANGUAGE_PATTERN.match(callbacks.language_data(choice))
    for forged in ("L:fr", "L:", "L", "x:en", None, "L:en:zh"):
        assert callbacks.parse_language(forged) is None


# ---------------------------------------------------------------------------- answer view


def test_an_english_choice_gets_english_answers_to_chinese_questions(engine, kb):
    result = engine.ask("连云港有多少个爱国主义教育基地?")
    assert result.lang == "zh"
    view = build(result, kb, "en")
    assert view.lang == "en" and view.answer == result.entry.answer["en"]
    assert view.source.section_title == kb.article.section(result.entry.section_id).title_en
    assert view.source.quote == result.entry.citation.quote  # verbatim, as always


def test_did_you_mean_labels_follow_the_chosen_language(engine, kb):
    from e2e_support import find_ambiguous

    _, result = find_ambiguous()
    view = build(result, kb, "en")
    assert view.kind == "choose"
    assert [c.label for c in view.suggestions] == [
        kb.entry(s.entry_id).label("en") for s in result.suggestions
    ]


# ---------------------------------------------------------------------------- prefs store


def test_prefs_persist_across_reopen_and_forget_deletes_the_row(tmp_path):
    path = tmp_path / "data" / "prefs.sqlite3"
    with PrefsStore(path) as prefs:
        assert prefs.get(7) is None
        prefs.set_nowait(7, "zh-hant")
        prefs.set_nowait(8, "en")
        prefs.set_nowait(8, "zh-hans")  # queued together: the last change wins
        assert (prefs.get(7), prefs.get(8)) == ("zh-hant", "zh-hans")  # at once
    with PrefsStore(path) as prefs:
        assert (prefs.get(7), prefs.get(8)) == ("zh-hant", "zh-hans")
        asyncio.run(prefs.forget(7))
        assert prefs.get(7) is None
        assert prefs.count_sync() == 1
    with PrefsStore(path) as prefs:
        assert prefs.get(7) is None and prefs.get(8) == "zh-hans"


def test_prefs_refuse_an_unknown_choice(tmp_path):
    with PrefsStore(tmp_path / "prefs.sqlite3") as prefs:
        with pytest.raises(ValueError):
            prefs.set_nowait(1, "fr")  # type: ignore[arg-type]
        assert prefs.get(1) is None and prefs.count_sync() == 0


def test_localize_keeps_an_expandable_quote_with_its_bold_support_verbatim():
    quote = (
        "<blockquote expandable>“邓小平和人民在一起”……<b>66个爱国主义教育基地</b>、"
        "155处革命遗址。</blockquote>"
    )
    reply = localize(Reply([f"有66个。\n{quote}"]), ReaderLang("zh", "zh-Hant"))
    assert reply.messages == [f"有66個。\n原文(簡體):\n{quote}"]


def test_a_choice_that_could_not_be_written_is_not_in_force(tmp_path, monkeypatch):
    import sqlite3

    with PrefsStore(tmp_path / "prefs.sqlite3") as prefs:
        asyncio.run(prefs.set(7, "en"))

        def broken(conn, items):
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(prefs, "_write", broken)
        with pytest.raises(sqlite3.OperationalError):
            asyncio.run(prefs.set(7, "zh-hant"))
        assert prefs.get(7) == "en"  # the previous choice, not the one that failed
        with pytest.raises(sqlite3.OperationalError):
            asyncio.run(prefs.set(9, "zh-hans"))
        assert prefs.get(9) is None
