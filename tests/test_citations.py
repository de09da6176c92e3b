"""Citations that read well: the supporting part in bold (``bot.support``), the optional
``cite.support``/``cite.byline`` and ``source_url``/``byline`` fields (validated with
file:line problems), and how the answer view and Telegram HTML show them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot import support
from bot.answer_view import entry_view
from bot.answers import view_json, view_text
from bot.knowledge import KnowledgeError, Problem, load_knowledge
from bot.telegram import render

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
BASES_QUOTE = (
    "“邓小平和人民在一起”雕塑公园、开山岛、抗日山烈士陵园、市革命纪念馆、“雷锋车”事迹陈列馆……"
    "连云港市有2个国家级烈士纪念设施、66个爱国主义教育基地、155处革命遗址。"
)


def bold(quote: str, spans: tuple[tuple[int, int], ...]) -> list[str]:
    return [quote[s:e] for s, e in spans]


# --------------------------------------------------------------------------- support runs


def test_automatic_support_is_the_long_run_shared_with_the_answer() -> None:
    spans = support.automatic_spans(BASES_QUOTE, "连云港市有66个爱国主义教育基地。")
    # 连云港市有 is shared too, but short, without a number and not the longest: not bold
    assert bold(BASES_QUOTE, spans) == ["66个爱国主义教育基地"]


def test_automatic_support_keeps_quote_marks_and_percent_whole() -> None:
    quote = (
        "将“12345”热线作为“我为群众办实事”集中受理平台,"
        "今年累计受理各类诉求20.55万件,群众满意率达96.78%……"
    )
    spans = support.automatic_spans(quote, "“12345”热线今年受理的各类诉求,群众满意率达96.78%。")
    assert bold(quote, spans) == ["“12345”热线", "群众满意率达96.78%"]


def test_automatic_support_needs_long_enough_runs_and_not_the_whole_quote() -> None:
    assert support.automatic_spans(BASES_QUOTE, "有3个。") == ()  # runs too short
    assert support.automatic_spans(BASES_QUOTE, "") == ()
    whole = "让党旗飘在项目一线,把支部建在生产现场。"
    assert support.automatic_spans(whole, "文章写道:" + whole) == ()  # bold would say nothing


def test_explicit_support_wins_and_empty_means_none() -> None:
    parts = ("155处革命遗址", "2个国家级烈士纪念设施")
    spans = support.support_spans(BASES_QUOTE, parts, "连云港市有66个爱国主义教育基地。")
    assert bold(BASES_QUOTE, spans) == ["2个国家级烈士纪念设施", "155处革命遗址"]  # in order
    assert support.support_spans(BASES_QUOTE, (), "连云港市有66个爱国主义教育基地。") == ()


def test_split_joins_back_to_the_verbatim_quote() -> None:
    spans = support.automatic_spans(BASES_QUOTE, "连云港市有66个爱国主义教育基地。")
    pieces = support.split(BASES_QUOTE, spans)
    assert "".join(text for text, _ in pieces) == BASES_QUOTE
    assert [text for text, b in pieces if b] == ["66个爱国主义教育基地"]
    assert support.split("abc", ()) == [("abc", False)]


def test_most_shipped_entries_get_a_bold_part() -> None:
    kb = load_knowledge(KNOWLEDGE)
    with_bold = [e for e in kb.entries if entry_view(e, kb, "zh").source.support]
    assert len(with_bold) >= len(kb.entries) * 2 // 3


# --------------------------------------------------------------------------- knowledge fields


@pytest.fixture
def kdir(tmp_path: Path) -> Path:
    d = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, d)
    return d


def edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` once; the 1-based line where the new text starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    at = text.index(old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:at].count("\n") + 1


def problems(d: Path) -> list[Problem]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(d)
    return list(info.value.problems)


def bases_quote_line(d: Path) -> tuple[Path, int]:
    """The file of the 66-bases entry and the line of its ``quote:``."""
    path = d / "qa" / "s2.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("  - id: patriotic-education-bases")
    at = next(i for i in range(start, len(lines)) if lines[i].startswith("      quote: "))
    return path, at + 1


def add_cite_field(d: Path, text: str) -> tuple[Path, int]:
    """Add ``text`` (lines of the cite mapping) after the bases entry's quote line."""
    path, line = bases_quote_line(d)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(line, text)
    path.write_text("".join(lines), encoding="utf-8")
    return path, line + 1


def test_cite_support_is_loaded_and_shown(kdir: Path) -> None:
    add_cite_field(kdir, "      support: 155处革命遗址\n")
    kb = load_knowledge(kdir)
    entry = kb.entry("patriotic-education-bases")
    assert entry.citation.support == ("155处革命遗址",)
    view = entry_view(entry, kb, "zh")
    assert [t for t, b in view.source.pieces if b] == ["155处革命遗址"]
    # a list, and [] for no bold at all
    kdir2 = kdir.parent / "k2"
    shutil.copytree(KNOWLEDGE, kdir2)
    add_cite_field(kdir2, "      support: []\n")
    kb2 = load_knowledge(kdir2)
    assert entry_view(kb2.entry("patriotic-education-bases"), kb2, "zh").source.support == ()


def test_cite_support_must_be_in_the_quote(kdir: Path) -> None:
    _, line = add_cite_field(kdir, "      support: [66个爱国主义教育基地, 77个基地]\n")
    found = problems(kdir)
    assert found == [
        Problem(
            "qa/s2.yaml",
            line,
            "patriotic-education-bases",
            "cite.support '77个基地' is not in the quote (copy it exactly)",
        )
    ]


def test_cite_support_does_not_change_matching_rivals(kdir: Path) -> None:
    """``support``/``byline`` only change how a citation looks: equal citations stay equal
    (the matcher treats entries quoting the same sentence as no rivals)."""
    add_cite_field(kdir, "      support: 155处革命遗址\n")
    kb = load_knowledge(kdir)
    shipped = load_knowledge(KNOWLEDGE)
    assert (
        kb.entry("patriotic-education-bases").citation
        == shipped.entry("revolutionary-sites").citation
    )


def test_cite_byline_must_be_a_boolean_and_needs_an_article_byline(kdir: Path) -> None:
    path, line = add_cite_field(kdir, "      byline: yes please\n")
    assert problems(kdir) == [
        Problem(
            "qa/s2.yaml", line, "patriotic-education-bases", "cite.byline must be true or false"
        )
    ]
    edit(path, "      byline: yes please\n", "")
    edit(kdir / "article.yaml", "byline_en:", "# byline_en:")
    edit(kdir / "article.yaml", "\nbyline:", "\n# byline:")
    meta = kdir / "qa" / "meta.yaml"
    authors_line = (
        meta.read_text(encoding="utf-8").splitlines().index("  - id: article-authors") + 1
    )
    found = problems(kdir)
    assert (
        Problem(
            "qa/meta.yaml",
            authors_line,
            "article-authors",
            "cite.byline is true but article.yaml has no byline",
        )
        in found
    )
    assert len(found) == 4  # authors, date, origin, poster


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/a", "javascript:alert(1)", "example.org/a", "https://", "https://a b.org"],
)
def test_source_url_must_be_http_or_https(kdir: Path, url: str) -> None:
    line = edit(kdir / "article.yaml", "views: 1523", f"source_url: '{url}'\nviews: 1523")
    assert problems(kdir) == [
        Problem(
            "article.yaml",
            line,
            None,
            f"source_url {url!r} must be a web address starting with http:// or https://",
        )
    ]


def test_byline_must_be_one_line_and_english_needs_chinese(kdir: Path) -> None:
    edit(kdir / "article.yaml", "\nbyline: ", "\nbyline: |\n  a\n  b\nold_byline: ")
    found = problems(kdir)
    assert any(p.message == "byline must be one line" for p in found)
    assert any("unknown field 'old_byline'" in p.message for p in found)


# --------------------------------------------------------------------------- the views


@pytest.fixture
def linked_kb(kdir: Path):
    url = "https://www.example.org/lyg?a=1&b=2"
    edit(kdir / "article.yaml", "views: 1523", f"source_url: {url}\nviews: 1523")
    return load_knowledge(kdir)


def test_source_url_in_json_and_telegram_but_not_terminal_text(linked_kb) -> None:
    kb = linked_kb
    entry = kb.entry("patriotic-education-bases")
    view = entry_view(entry, kb, "zh")
    data = view_json(view)
    assert data["citation"]["source_url"] == "https://www.example.org/lyg?a=1&b=2"
    assert data["citation"]["byline"] is None
    assert "example.org" not in view_text(view)
    html_text = render.view_reply(view, kb).messages[0]
    # the address escaped exactly once, the link under the quote
    assert '<a href="https://www.example.org/lyg?a=1&amp;b=2">原文链接</a>' in html_text
    assert html_text.index("</blockquote>") < html_text.index("<a href")


def test_byline_entries_show_the_clean_byline() -> None:
    kb = load_knowledge(KNOWLEDGE)
    for eid in ("article-authors", "article-poster"):
        entry = kb.entry(eid)
        for lang in ("zh", "en"):
            view = entry_view(entry, kb, lang)
            src = view.source
            assert src.shown == kb.article.byline_in(lang)
            assert "查看" not in src.shown and "|" not in src.shown
            assert not src.original  # metadata, not the article's text: no "Original" label
            data = view_json(view)
            assert data["citation"]["quote"] == entry.citation.quote  # the contract: verbatim
            assert data["citation"]["byline"] == src.shown
            assert src.shown in view_text(view)
            message = render.view_reply(view, kb).messages[0]
            assert "发布者: shiyun|" not in message
    authors = entry_view(kb.entry("article-authors"), kb, "zh").source
    assert [t for t, b in authors.pieces if b] == ["原作者:刘慧洋、丛宁"]
    assert "shiyun" in kb.article.byline and "刘慧洋" in kb.article.byline


def test_other_entries_keep_the_verbatim_quote_in_every_front_end() -> None:
    kb = load_knowledge(KNOWLEDGE)
    entry = kb.entry("article-views")  # about the header line itself: cites it as it is
    view = entry_view(entry, kb, "zh")
    assert view.source.shown == entry.citation.quote
    assert view_json(view)["citation"]["byline"] is None


def test_quote_with_bold_is_one_blockquote_escaped_once() -> None:
    pieces = [("a<b> & ", False), ("“66”个 <基地>", True), ("。", False)]
    block = render.quote_block(pieces)
    html_text = render.block_html(block)
    assert html_text == ("<blockquote>a&lt;b&gt; &amp; <b>“66”个 &lt;基地&gt;</b>。</blockquote>")


def test_long_quotes_are_expandable_short_ones_plain() -> None:
    short = render.block_html(render.quote_block([("短句。", False)]))
    assert short == "<blockquote>短句。</blockquote>"
    long_text = "长" * (render.EXPANDABLE_QUOTE + 1)
    folded = render.block_html(render.quote_block([(long_text, False)]))
    assert folded == f"<blockquote expandable>{long_text}</blockquote>"
    exact = "长" * render.EXPANDABLE_QUOTE
    assert render.block_html(render.quote_block([(exact, False)])).startswith("<blockquote>")


def test_english_answer_labels_the_chinese_original() -> None:
    kb = load_knowledge(KNOWLEDGE)
    entry = kb.entry("patriotic-education-bases")
    en = render.view_reply(entry_view(entry, kb, "en"), kb).messages[0]
    lines = en.split("\n")
    at = lines.index("Original (Chinese):")
    assert lines[at + 1].startswith("<blockquote")
    assert "<b>66个爱国主义教育基地</b>" in lines[at + 1]
    zh = render.view_reply(entry_view(entry, kb, "zh"), kb).messages[0]
    assert "Original" not in zh and "原文:" not in zh


def test_a_long_quote_with_bold_splits_without_breaking_tags() -> None:
    quote = "引文<&>。" * 1500
    pieces = [(quote[:3000], False), (quote[3000:6000], True), (quote[6000:], False)]
    messages = render.to_messages([render.quote_block(pieces)])
    assert len(messages) >= 2
    for message in messages:
        assert render.size(message) <= render.MAX_MESSAGE
        opened = re.findall(r"<(blockquote|b)[ >]", message)
        closed = re.findall(r"</(blockquote|b)>", message)
        assert sorted(opened) == sorted(closed)
    joined = "".join(re.sub(r"<[^<>]*>", "", m) for m in messages)
    assert joined.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == quote
