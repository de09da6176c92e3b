"""Coverage (``knowledge/coverage.yaml``): every sentence of the article is cited by an entry
or listed as deliberately not covered, with a reason; each broken listing is reported with
its line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_knowledge import small_knowledge

from bot.knowledge import (
    COVERAGE_FILE,
    KnowledgeError,
    Problem,
    load_knowledge,
    sentences,
)

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"

S3_1 = (  # paragraph s3-1: one whole sentence
    "近日,海州区星化社区着眼辖区一些老年人“吃饭难”问题,整合社会资源,新建了面积2"
    "000平方米的居家养老中央厨房配送中心,组织辖区志愿者成立“善行天下”志愿队,为"
    "社区空巢、独居、失能、高龄老人,义务开展“送饭上门”服务,得到群众点赞。"
)
FLAG = "让党旗飘在项目一线,把支部建在生产现场。"  # s1-3, first sentence
XUWEI = (  # s1-3, second sentence
    "徐圩新区面向全区近3万名农民工,将党史学习教育微课堂搬进项目部、移动到工地一线,"
    "开展“党史工友讲”,发动“农民工党员上讲台”,让党史学习教育在建设现场“热”起来。"
)

ONE_ENTRY = f"""\
entries:
- id: xinghua
  questions:
    zh: [星化社区为老人做了什么?]
    en: [What did Xinghua Community do for the elderly?]
  answer:
    zh: 答案。
    en: An answer.
  cite:
    paragraph: s3-1
    quote: {S3_1}
"""


def problems(d: Path) -> list[Problem]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(d)
    return info.value.problems


def all_sentences(kb) -> list[tuple[str, str]]:
    return [
        (p.id, s) for sec in kb.article.sections for p in sec.paragraphs for s in sentences(p.text)
    ]


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """The real article, one entry (citing s3-1), and no coverage file yet."""
    return small_knowledge(tmp_path, ONE_ENTRY)


def write_coverage(d: Path, text: str) -> None:
    (d / COVERAGE_FILE).write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- the shipped base


def test_shipped_base_cites_or_lists_every_sentence() -> None:
    assert (KNOWLEDGE / COVERAGE_FILE).is_file()
    kb = load_knowledge(KNOWLEDGE)  # would raise, naming each uncovered sentence
    listed = {(pid, s) for pid, s, _ in kb.not_covered}
    quotes: dict[str, list[str]] = {}
    for e in kb.entries:
        quotes.setdefault(e.citation.paragraph, []).append(e.citation.quote)
    missing = [
        (pid, s)
        for pid, s in all_sentences(kb)
        if (pid, s) not in listed and not any(s.rstrip("”") in q for q in quotes.get(pid, ()))
    ]
    assert missing == []
    assert all(reason.strip() for _, _, reason in kb.not_covered)


def test_sentences_are_cut_as_the_whole_sentence_rule_cuts_quotes() -> None:
    kb = load_knowledge(KNOWLEDGE)
    s1_1 = sentences(kb.article.paragraph("s1-1").text)
    assert len(s1_1) == 4
    assert s1_1[2].endswith("情怀。”") and s1_1[3] == "新医药产业党建联盟工作人员杨铮说。"
    assert sentences(kb.article.paragraph("s1-3").text) == [FLAG, XUWEI]
    assert sentences(kb.article.paragraph("s1-title").text) == ["突出“分众化”,讲准讲活党的历史"]
    summary = sentences(kb.article.paragraph("meta-summary").text)
    assert len(summary) == 3 and summary[-1].endswith("集中受理 ...")  # cut off mid-sentence
    assert len(all_sentences(kb)) == 41


# --------------------------------------------------------------------------- the rule


def test_without_the_file_nothing_is_required(small: Path) -> None:
    assert load_knowledge(small).not_covered == ()


def test_each_uncovered_sentence_is_a_problem_at_the_list(small: Path) -> None:
    write_coverage(small, "# comment\nnot_covered: []\n")
    found = problems(small)
    kb_sentences = 41 - 1  # all but the one s3-1 sentence the entry cites
    assert len(found) == kb_sentences
    assert {(p.file, p.line) for p in found} == {(COVERAGE_FILE, 2)}
    flag = [p for p in found if FLAG in p.message]
    assert len(flag) == 1
    assert "of paragraph s1-3 is cited by no entry" in flag[0].message
    assert not any(S3_1 in p.message for p in found)


def test_listed_sentences_are_not_required_and_are_kept(tmp_path: Path) -> None:
    d = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, d)
    qa = d / "qa" / "s1.yaml"
    text = qa.read_text(encoding="utf-8")
    start = text.index("  - id: party-flag-on-project-frontline\n")
    end = text.index("\n  - id: ", start + 1) + 1
    qa.write_text(text[:start] + text[end:], encoding="utf-8")  # the only entry citing FLAG
    found = problems(d)
    assert [(p.file, p.line) for p in found] == [(COVERAGE_FILE, 20)]
    assert FLAG in found[0].message and "s1-3" in found[0].message
    write_coverage(
        d,
        "not_covered:\n"
        "  - paragraph: s1-3\n"
        f"    sentence: {FLAG}\n"
        "    reason: a slogan introducing Xuwei's work\n",
    )
    kb = load_knowledge(d)
    assert kb.not_covered == (("s1-3", FLAG, "a slogan introducing Xuwei's work"),)


# --------------------------------------------------------------------------- broken lists

BROKEN = f"""\
not_covered:
  - paragraph: s1-3
    sentence: {FLAG}
    reason: a slogan
    reson: typo
  - paragraph: s1-3
    sentence: {XUWEI}
  - paragraph: s9-9
    sentence: {FLAG}
    reason: no such paragraph
  - paragraph: s1-2
    sentence: {FLAG}
    reason: wrong paragraph
  - paragraph: s1-3
    sentence: 让党旗飘在项目一线
    reason: a fragment
  - paragraph: s1-3
    sentence: {FLAG}{XUWEI}
    reason: two sentences
  - paragraph: s3-1
    sentence: {S3_1}
    reason: cited after all
  - paragraph: s1-3
    sentence: {FLAG}
    reason: listed twice
  - just a string
"""


def test_every_kind_of_listing_problem_is_reported_with_its_line(small: Path) -> None:
    write_coverage(small, BROKEN)
    found = problems(small)
    assert all(p.file == COVERAGE_FILE for p in found)
    got = [(p.line, p.message) for p in found]
    expected = [
        (5, "unknown field 'reson' (did you mean 'reason'?)"),
        (6, "missing field 'reason'"),
        (8, "unknown paragraph 's9-9'"),
        (12, "sentence is not in paragraph s1-2 (it is in s1-3)"),
        (15, "sentence must be one whole sentence of paragraph s1-3, e.g. " + repr(FLAG)),
        (18, "sentence holds 2 sentences of paragraph s1-3: list each one as an item"),
        (21, "sentence is listed as not covered but cited by entry xinghua (qa/a.yaml:2)"),
        (24, "sentence is listed twice (first on line 2)"),
        (26, "not_covered[8] must be a mapping, got a string"),
    ]
    assert len(got) == len(expected), got
    for (line, message), (want_line, want) in zip(got, expected, strict=True):
        assert line == want_line, (line, message)
        assert message.startswith(want), (message, want)
    # listing problems come alone: uncovered sentences are reported once the list is clean
    assert not any("is cited by no entry" in m for _, m in got)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "file is empty"),
        ("- a list\n", 1, "the coverage file must be a mapping"),
        ("not_covred: []\n", 1, "unknown field 'not_covred' (did you mean 'not_covered'?)"),
        ("not_covered: s1-3\n", 1, "not_covered must be a list, got a string"),
        ("not_covered: [\n", 1, ""),  # a YAML syntax error, located
    ],
)
def test_malformed_file(small: Path, text: str, line: int | None, message: str) -> None:
    write_coverage(small, text)
    found = problems(small)
    assert found[0].file == COVERAGE_FILE
    if line is not None:
        assert found[0].line is not None and found[0].line >= line
    assert found[0].message.startswith(message)
