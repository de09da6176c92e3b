"""The knowledge loader: a valid copy loads; every kind of breakage is reported precisely."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import safe_yaml
from bot.knowledge import (
    KnowledgeError,
    Problem,
    load_knowledge,
    normalize_question,
)
from bot.selfcheck import check_directory

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
SOURCE = "source/000_583257fe0d68baf1.txt"

# Line numbers below are relied on by the assertions (a trailing backslash joins lines).
GOOD = """\
entries:
- id: patriotic-bases
  questions:
    zh: [连云港有多少个爱国主义教育基地?]
    en: [How many patriotic education bases does Lianyungang have?]
  answer:
    zh: 66个。
    en: There are 66.
  cite:
    paragraph: s2-1
    quote: “邓小平和人民在一起”雕塑公园、开山岛、抗日山烈士陵园、市革命纪念馆、\
“雷锋车”事迹陈列馆……连云港市有2个国家级烈士纪念设施、66个爱国主义教育基地、\
155处革命遗址。
- id: migrant-workers
  questions:
    zh: [徐圩新区有多少农民工?, 徐圩有多少农民工]
    en: [How many migrant workers does Xuwei New Area have?]
  answer:
    zh: 近3万名。
    en: Nearly 30,000.
  cite:
    paragraph: s1-3
    quote: 徐圩新区面向全区近3万名农民工,将党史学习教育微课堂搬进项目部、\
移动到工地一线,开展“党史工友讲”,发动“农民工党员上讲台”,\
让党史学习教育在建设现场“热”起来。
  note: counted in 2021
"""


S3_1 = (  # paragraph s3-1: one whole sentence
    "近日,海州区星化社区着眼辖区一些老年人“吃饭难”问题,整合社会资源,新建了面积2"
    "000平方米的居家养老中央厨房配送中心,组织辖区志愿者成立“善行天下”志愿队,为"
    "社区空巢、独居、失能、高龄老人,义务开展“送饭上门”服务,得到群众点赞。"
)


def entry_yaml(
    eid: str,
    *,
    zh: str = "问题?",
    en: str = "A question?",
    paragraph: str = "s3-1",
    quote: str = S3_1,
    answer_zh: str = "答案。",
) -> str:
    """One entry whose ``id`` line is the first line of the returned text."""
    return (
        f"- id: {eid}\n"
        f"  questions:\n"
        f"    zh: [{zh}]\n"
        f"    en: [{en}]\n"
        f"  answer:\n"
        f"    zh: {answer_zh}\n"
        f"    en: An answer.\n"
        f"  cite:\n"
        f"    paragraph: {paragraph}\n"
        f"    quote: {quote}\n"
    )


def small_knowledge(tmp_path: Path, qa: str) -> Path:
    """A knowledge directory: a copy of the real article and raw page, and one Q&A file
    (``qa/a.yaml``) holding ``qa``."""
    d = tmp_path / "knowledge"
    d.mkdir()
    shutil.copy(KNOWLEDGE / "article.yaml", d / "article.yaml")
    shutil.copytree(KNOWLEDGE / "source", d / "source")
    (d / "qa").mkdir()
    (d / "qa" / "a.yaml").write_text(qa, encoding="utf-8")
    return d


@pytest.fixture
def kdir(tmp_path: Path) -> Path:
    """A copy of the real article and raw page, with one valid Q&A file."""
    return small_knowledge(tmp_path, GOOD)


def write(d: Path, name: str, text: str | bytes) -> None:
    path = d / "qa" / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def problems(d: Path, **kw) -> list[Problem]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(d, **kw)
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)
    return info.value.problems


def edit_article(d: Path, old: str, new: str) -> None:
    path = d / "article.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --------------------------------------------------------------------------- happy path


def test_valid_copy_loads(kdir: Path) -> None:
    kb = load_knowledge(kdir)
    assert [e.id for e in kb.entries] == ["patriotic-bases", "migrant-workers"]
    first, second = kb.entries
    assert (first.source_file, first.line, first.section_id) == ("qa/a.yaml", 2, "s2")
    assert (second.source_file, second.line, second.section_id) == ("qa/a.yaml", 12, "s1")
    assert second.questions == {
        "zh": ("徐圩新区有多少农民工?", "徐圩有多少农民工"),
        "en": ("How many migrant workers does Xuwei New Area have?",),
    }
    assert first.answer == {"zh": "66个。", "en": "There are 66."}
    assert first.citation.paragraph == "s2-1"
    assert first.citation.quote in kb.article.paragraph("s2-1").text
    art = kb.article
    assert art.id == "lyg-party-history-2021-06-11"
    assert art.date == "2021-06-11"
    assert art.authors == ("刘慧洋", "丛宁")
    assert art.views == 1523
    assert art.raw_text == (kdir / SOURCE).read_text(encoding="utf-8")
    assert art.paragraph("s2-1").section_id == "s2"
    assert kb.entry("migrant-workers") is second
    assert len(kb.version) == 12 and int(kb.version, 16) >= 0
    assert check_directory(kdir, ask_factory=lambda kb: FakeMatcher(kb, {}).match) == []


def test_version_tracks_content(kdir: Path) -> None:
    v1 = load_knowledge(kdir).version
    assert load_knowledge(kdir).version == v1
    write(kdir, "a.yaml", GOOD + "# a comment\n")
    v2 = load_knowledge(kdir).version
    assert v2 != v1
    with (kdir / SOURCE).open("a", encoding="utf-8") as fh:
        fh.write("\n")
    assert load_knowledge(kdir).version not in (v1, v2)


def test_unquoted_date_and_bom_are_accepted(kdir: Path) -> None:
    edit_article(kdir, "date: '2021-06-11'", "date: 2021-06-11")
    write(kdir, "a.yaml", b"\xef\xbb\xbf" + GOOD.encode())
    kb = load_knowledge(kdir)
    assert kb.article.date == "2021-06-11"
    assert len(kb.entries) == 2


def test_qa_files_load_in_sorted_order(kdir: Path) -> None:
    write(kdir, "0-first.yaml", "entries:\n" + entry_yaml("zero"))
    write(kdir, "z-last.yml", "entries:\n" + entry_yaml("last", zh="最后?", en="Last?"))
    write(kdir, "notes.txt", "not knowledge")
    kb = load_knowledge(kdir)
    assert [e.id for e in kb.entries] == ["zero", "patriotic-bases", "migrant-workers", "last"]
    assert kb.entry("last").source_file == "qa/z-last.yml"


def test_normalize_question() -> None:
    assert normalize_question("  How   many  Bases? ") == "how many bases"
    assert normalize_question("多少个？！") == "多少个"
    assert normalize_question("多少个。") == normalize_question("多少个")


def test_problem_and_error_formatting() -> None:
    p = Problem("qa/s2.yaml", 14, "patriotic-education-bases", "quote is not in paragraph s2-1")
    assert str(p) == "qa/s2.yaml:14: [patriotic-education-bases] quote is not in paragraph s2-1"
    assert str(Problem("qa", None, None, "no Q&A files")) == "qa: no Q&A files"
    err = KnowledgeError([p, Problem("article.yaml", 3, None, "x")])
    assert str(err).splitlines() == [str(p), "article.yaml:3: x"]
    again = pickle.loads(pickle.dumps(err))
    assert again.problems == err.problems


# --------------------------------------------------------------------------- YAML level


def test_syntax_error(kdir: Path) -> None:
    write(kdir, "b.yaml", "entries:\n- id: x\n  questions: [a, b\n  answer: c\n")
    [p] = problems(kdir)
    assert (p.file, p.line, p.entry_id) == ("qa/b.yaml", 4, None)
    assert p.message.startswith("YAML syntax error: ")


def test_alias_bomb_is_refused_quickly(kdir: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    write(kdir, "bomb.yaml", "\n".join(lines) + "\n")
    assert problems(kdir) == [
        Problem("qa/bomb.yaml", 1, None, "anchors are not allowed (found &a); write the value out")
    ]


def test_alias_without_anchor_name_is_refused(kdir: Path) -> None:
    write(kdir, "b.yaml", "entries: *nothing\n")
    [p] = problems(kdir)
    assert (p.file, p.line, p.entry_id) == ("qa/b.yaml", 1, None)


def test_duplicate_key(kdir: Path) -> None:
    text = entry_yaml("dup-key") + "  answer:\n    zh: 二。\n    en: Two.\n"
    write(kdir, "b.yaml", "entries:\n" + text)
    assert problems(kdir) == [
        Problem("qa/b.yaml", 12, None, "duplicate key 'answer' (first defined on line 6)")
    ]


def test_oversize_file(kdir: Path) -> None:
    write(kdir, "big.yaml", "entries:\n" + "# padding padding padding\n" * 45_000)
    assert problems(kdir) == [
        Problem("qa/big.yaml", None, None, "file is larger than the limit of 1048576 bytes")
    ]
    assert problems(kdir, max_file_bytes=2_000_000) == [
        Problem("qa/big.yaml", 1, None, "entries must be a list, got nothing (null)")
    ]


def test_non_utf8(kdir: Path) -> None:
    write(kdir, "gbk.yaml", ("entries:\n" + entry_yaml("gbk", zh="党史?")).encode("gbk"))
    assert problems(kdir) == [
        Problem(
            "qa/gbk.yaml",
            4,
            None,
            "file is not valid UTF-8 (bad byte 0xb5); save it as UTF-8",
        )
    ]


def test_unsafe_tag_and_merge_key(kdir: Path) -> None:
    write(kdir, "b.yaml", "entries: !!python/object/apply:os.system [echo hi]\n")
    write(kdir, "c.yaml", "entries:\n- <<: {id: x}\n")
    assert problems(kdir) == [
        Problem(
            "qa/b.yaml",
            1,
            None,
            "unsupported tag 'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
        Problem("qa/c.yaml", 2, None, "merge keys ('<<') are not allowed"),
    ]


def test_safe_yaml_lines_and_fallback_loader() -> None:
    doc = safe_yaml.parse("a:\n  - x\n  - y: 1\n    z: [on]\nb: text\n")
    assert doc == {"a": ["x", {"y": 1, "z": [True]}], "b": "text"}
    assert (doc.line, doc.key_lines) == (1, {"a": 1, "b": 5})
    assert doc["a"].item_lines == [2, 3]
    assert doc["a"][1].key_lines == {"y": 3, "z": 4}
    with pytest.raises(safe_yaml.YamlError) as info:
        safe_yaml.parse("a: 1\nb:\n  c: 2\n  c: 3\n")
    assert (info.value.line, info.value.message) == (
        4,
        "duplicate key 'c' (first defined on line 3)",
    )


# --------------------------------------------------------------------------- entry level


def test_unknown_field_with_suggestion(kdir: Path) -> None:
    write(kdir, "b.yaml", "entries:\n" + entry_yaml("typo").replace("questions:", "qustions:"))
    assert problems(kdir) == [
        Problem("qa/b.yaml", 3, "typo", "unknown field 'qustions' (did you mean 'questions'?)"),
        Problem("qa/b.yaml", 2, "typo", "missing field 'questions'"),
    ]


def test_unknown_nested_fields(kdir: Path) -> None:
    text = (
        entry_yaml("nested").replace("    quote:", "    qoute:").replace("    en: [", "    fr: [")
    )
    write(kdir, "b.yaml", "entries:\n" + text)
    assert problems(kdir) == [
        Problem("qa/b.yaml", 5, "nested", "unknown field 'fr' in questions"),
        Problem("qa/b.yaml", 3, "nested", "missing field 'en' in questions"),
        Problem("qa/b.yaml", 11, "nested", "unknown field 'qoute' in cite (did you mean 'quote'?)"),
        Problem("qa/b.yaml", 9, "nested", "missing field 'quote' in cite"),
    ]


def test_missing_field(kdir: Path) -> None:
    text = entry_yaml("no-cite").split("  cite:")[0]
    write(kdir, "b.yaml", "entries:\n" + text)
    assert problems(kdir) == [Problem("qa/b.yaml", 2, "no-cite", "missing field 'cite'")]


def test_wrong_types(kdir: Path) -> None:
    text = entry_yaml("types", en="yes").replace("    en: An answer.", "    en: 66.")
    write(kdir, "b.yaml", "entries:\n" + text + "- just a string\n")
    assert problems(kdir) == [
        Problem(
            "qa/b.yaml",
            5,
            "types",
            "questions.en[0] must be a string, got a boolean "
            "(quote words like yes/no/on/off to make them text)",
        ),
        Problem("qa/b.yaml", 8, "types", "answer.en must be a string, got a number"),
        Problem("qa/b.yaml", 12, None, "an entry must be a mapping, got a string"),
    ]


def test_bad_id_empty_lists_and_empty_strings(kdir: Path) -> None:
    text = (
        "- id: Bad_Id\n"
        "  questions: {zh: [], en: ['  ']}\n"
        "  answer: {zh: '', en: ok}\n"
        "  cite: {paragraph: s2-title, quote: '立足“家门口”,打造港城红色名片'}\n"
        "  note: ''\n"
    )
    write(kdir, "b.yaml", "entries:\n" + text)
    assert problems(kdir) == [
        Problem(
            "qa/b.yaml",
            2,
            "Bad_Id",
            "id 'Bad_Id' must be lowercase kebab-case (like 'red-sites-2')",
        ),
        Problem("qa/b.yaml", 3, "Bad_Id", "questions.zh is empty (at least one is needed)"),
        Problem("qa/b.yaml", 3, "Bad_Id", "questions.en[0] is empty"),
        Problem("qa/b.yaml", 4, "Bad_Id", "answer.zh is empty"),
        Problem("qa/b.yaml", 6, "Bad_Id", "note is empty"),
    ]


def test_empty_answer(kdir: Path) -> None:
    write(kdir, "b.yaml", "entries:\n" + entry_yaml("empty", answer_zh='""'))
    assert problems(kdir) == [Problem("qa/b.yaml", 7, "empty", "answer.zh is empty")]


def test_duplicate_id_across_files(kdir: Path) -> None:
    write(kdir, "b.yaml", "# another file\nentries:\n" + entry_yaml("patriotic-bases"))
    assert problems(kdir) == [
        Problem(
            "qa/b.yaml",
            3,
            "patriotic-bases",
            "duplicate entry id (also defined at qa/a.yaml:2)",
        )
    ]


def test_same_question_under_two_entries(kdir: Path) -> None:
    text = entry_yaml(
        "bases-again",
        zh="连云港有多少个爱国主义教育基地？",
        en="  how many patriotic  education bases does Lianyungang have ",
    )
    write(kdir, "b.yaml", "entries:\n" + text)
    where = "entry patriotic-bases (qa/a.yaml:"
    assert problems(kdir) == [
        Problem(
            "qa/b.yaml",
            4,
            "bases-again",
            f"question '连云港有多少个爱国主义教育基地？' is also asked in {where}4)",
        ),
        Problem(
            "qa/b.yaml",
            5,
            "bases-again",
            "question 'how many patriotic  education bases does Lianyungang have' "
            f"is also asked in {where}5)",
        ),
    ]


def test_unknown_paragraph(kdir: Path) -> None:
    write(kdir, "b.yaml", "entries:\n" + entry_yaml("where", paragraph="meta-titel"))
    assert problems(kdir) == [
        Problem(
            "qa/b.yaml", 10, "where", "unknown paragraph 'meta-titel' (did you mean 'meta-title'?)"
        )
    ]


def test_quote_must_be_whole_sentences(kdir: Path) -> None:
    write(kdir, "b.yaml", "entries:\n" + entry_yaml("fragment", quote="居家养老中央厨房"))
    [p] = problems(kdir)
    assert (p.file, p.line, p.entry_id) == ("qa/b.yaml", 11, "fragment")
    assert p.message.startswith("quote must be whole sentences")
    assert S3_1 in p.message  # the sentence to quote instead


def test_quote_not_verbatim(kdir: Path) -> None:
    body = entry_yaml("ascii-comma", quote="整合社会资源，新建了") + entry_yaml(
        "wrong-para", zh="另一个?", en="Another?", paragraph="s3-2", quote="居家养老中央厨房"
    )
    write(kdir, "b.yaml", "entries:\n" + body)
    assert problems(kdir) == [
        Problem("qa/b.yaml", 11, "ascii-comma", "quote is not in paragraph s3-1"),
        Problem("qa/b.yaml", 21, "wrong-para", "quote is not in paragraph s3-2 (it is in s3-1)"),
    ]


# --------------------------------------------------------------------------- article and layout


def article_line(kdir: Path, needle: str, nth: int = 1, *, whole: bool = False) -> int:
    """1-based line of the nth line of article.yaml containing ``needle`` (or, with
    ``whole``, being exactly ``needle`` once stripped)."""
    lines = (kdir / "article.yaml").read_text(encoding="utf-8").splitlines()
    hits = [
        i
        for i, text in enumerate(lines, 1)
        if (text.strip() == needle if whole else needle in text)
    ]
    return hits[nth - 1]


def test_paragraph_not_in_raw_page_and_duplicate_ids(kdir: Path) -> None:
    edit_article(kdir, "丰富的红色教育资源", "丰富的红色资源")
    edit_article(kdir, "  - id: s2-2\n", "  - id: s2-1\n")
    edit_article(kdir, "- id: s3\n", "- id: s2\n")
    first_para, second_para = (article_line(kdir, "- id: s2-1", n) for n in (1, 2))
    first_sec, second_sec = (article_line(kdir, "- id: s2", n, whole=True) for n in (1, 2))
    assert problems(kdir) == [
        Problem(
            "article.yaml",
            article_line(kdir, "丰富的红色资源"),
            "s2-1",
            f"text is not verbatim in {SOURCE}",
        ),
        Problem(
            "article.yaml",
            second_para,
            "s2-1",
            f"duplicate paragraph id (first on line {first_para})",
        ),
        Problem(
            "article.yaml", second_sec, "s2", f"duplicate section id (first on line {first_sec})"
        ),
    ]


def test_article_field_problems(kdir: Path) -> None:
    edit_article(kdir, "views: 1523", "veiws: 1523")
    edit_article(kdir, "date: '2021-06-11'", "date: 11/06/2021")
    edit_article(kdir, "source: source/", "source: ../source/")
    assert problems(kdir) == [
        Problem(
            "article.yaml",
            article_line(kdir, "veiws"),
            None,
            "unknown field 'veiws' (did you mean 'views'?)",
        ),
        Problem("article.yaml", None, None, "missing field 'views'"),
        Problem(
            "article.yaml",
            article_line(kdir, "date: 11/06"),
            None,
            "date '11/06/2021' must be a date like 2021-06-11",
        ),
        Problem(
            "article.yaml",
            article_line(kdir, "source: ../"),
            None,
            "source '../source/000_583257fe0d68baf1.txt' must be a path inside "
            "the knowledge directory",
        ),
    ]


def test_missing_source_page(kdir: Path) -> None:
    (kdir / SOURCE).unlink()
    line = article_line(kdir, "source: source/")
    assert problems(kdir) == [
        Problem("article.yaml", line, None, f"file '{SOURCE}' does not exist")
    ]


def test_missing_directory_article_and_qa(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope") == [
        Problem(str(tmp_path / "nope"), None, None, "directory does not exist")
    ]
    assert problems(tmp_path) == [
        Problem("article.yaml", None, None, "file is missing"),
        Problem("qa", None, None, "Q&A directory is missing"),
    ]
    (tmp_path / "qa").mkdir()
    (tmp_path / "qa" / "README.md").write_text("not yaml")
    assert problems(tmp_path)[-1] == Problem("qa", None, None, "no Q&A files (qa/*.yaml)")


def test_empty_files(kdir: Path) -> None:
    write(kdir, "b.yaml", "# nothing yet\n")
    write(kdir, "c.yaml", "entries: []\n")
    write(kdir, "d.yaml", "- id: x\n")
    assert problems(kdir) == [
        Problem(
            "qa/b.yaml", None, None, "file is empty (expected 'entries:' and a list of entries)"
        ),
        Problem("qa/c.yaml", 1, None, "entries is empty"),
        Problem("qa/d.yaml", 1, None, "a Q&A file must be a mapping, got a list"),
    ]


def test_many_problems_reported_at_once(kdir: Path) -> None:
    edit_article(kdir, "views: 1523", "views: many")
    write(kdir, "b.yaml", "entries:\n- id: [broken\n")
    write(kdir, "c.yaml", "entries:\n" + entry_yaml("bad-para", paragraph="s9-9"))
    write(kdir, "d.yaml", "entries:\n" + entry_yaml("no-answer", answer_zh="''", zh="问?", en="Q?"))
    found = problems(kdir)
    assert [(p.file, p.line, p.entry_id) for p in found] == [
        ("article.yaml", article_line(kdir, "views: many"), None),
        ("qa/b.yaml", 3, None),
        ("qa/c.yaml", 10, "bad-para"),
        ("qa/d.yaml", 7, "no-answer"),
    ]
    assert found[0].message == "views must be a whole number >= 0, got 'many'"
    assert found[3].message == "answer.zh is empty"
    assert check_directory(kdir, ask_factory=lambda kb: FakeMatcher(kb, {}).match) == found


# --------------------------------------------------------------------------- collisions


class FakeMatcher:
    """Answers from a fixed table; anything else is answered by the entry that owns it."""

    def __init__(self, kb, table: dict[str, tuple[str, str | None, float]]) -> None:
        self.kb, self.table = kb, table
        self.owner = {q: e for e in kb.entries for qs in e.questions.values() for q in qs}

    def match(self, text: str) -> SimpleNamespace:
        if text in self.table:
            status, eid, score = self.table[text]
            entry = self.kb.entry(eid) if eid else None
            return SimpleNamespace(status=status, entry=entry, score=score)
        return SimpleNamespace(status="answered", entry=self.owner[text], score=100.0)


def test_collisions_reported_via_injected_matcher(kdir: Path) -> None:
    table = {
        "徐圩有多少农民工": ("answered", "patriotic-bases", 88.04),
        "How many patriotic education bases does Lianyungang have?": ("ambiguous", None, 71.23),
    }
    built = []

    def factory(kb):
        built.append(kb)
        return FakeMatcher(kb, table).match

    found = check_directory(kdir, ask_factory=factory)
    assert found == [
        Problem(
            "qa/a.yaml",
            5,
            "patriotic-bases",
            'question "How many patriotic education bases does Lianyungang have?" is not '
            "answered by its own entry (status ambiguous, score 71.2)",
        ),
        Problem(
            "qa/a.yaml",
            14,
            "migrant-workers",
            'question "徐圩有多少农民工" matches entry patriotic-bases instead',
        ),
    ]
    assert check_directory(kdir, ask_factory=lambda kb: FakeMatcher(kb, {}).match) == []
    assert load_knowledge(kdir)
    assert len(built) == 1  # loading alone runs no self-check


def test_collision_check_skipped_when_other_problems(kdir: Path) -> None:
    write(kdir, "b.yaml", "entries: 3\n")

    def factory(kb):
        raise AssertionError("the self-check must not run on a broken base")

    assert check_directory(kdir, ask_factory=factory) == [
        Problem("qa/b.yaml", 1, None, "entries must be a list, got a number")
    ]


# --------------------------------------------------------------------------- shipped data


def _shipped_qa() -> list[Path]:
    return sorted((KNOWLEDGE / "qa").glob("*.yaml"))


@pytest.mark.skipif(not _shipped_qa(), reason="knowledge/qa has no yaml files yet")
def test_shipped_knowledge_loads() -> None:
    kb = load_knowledge(KNOWLEDGE)
    assert kb.entries
    for entry in kb.entries:
        para = kb.article.paragraph(entry.citation.paragraph)
        assert para is not None and entry.citation.quote in para.text
        assert entry.section_id == para.section_id
        assert entry.questions["zh"] and entry.questions["en"]


@pytest.mark.skipif(not _shipped_qa(), reason="knowledge/qa has no yaml files yet")
def test_shipped_questions_are_answered_by_their_own_entries() -> None:
    pytest.importorskip("bot.matcher")
    assert [str(p) for p in check_directory(KNOWLEDGE)] == []


def test_single_string_instead_of_list(kdir: Path) -> None:
    text = entry_yaml("one-q").replace("    zh: [问题?]", "    zh: 问题?")
    write(kdir, "b.yaml", "entries:\n" + text)
    assert problems(kdir) == [
        Problem("qa/b.yaml", 4, "one-q", "questions.zh must be a list of strings, got a string")
    ]


def test_question_repeated_within_one_entry(kdir: Path) -> None:
    text = entry_yaml("twice").replace("    zh: [问题?]", "    zh: [问题?, 问题]")
    write(kdir, "b.yaml", "entries:\n" + text)
    assert problems(kdir) == [
        Problem("qa/b.yaml", 4, "twice", "question '问题' is repeated (first on line 4)")
    ]


# --------------------------------------------------------------------------- examples


def test_examples_name_entries_in_order(tmp_path: Path) -> None:
    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    kb = load_knowledge(kdir)
    assert kb.examples and all(kb.entry(e) is not None for e in kb.examples)
    (kdir / "examples.yaml").write_text(
        "examples:\n  - revolutionary-sites\n  - revolutionary-site\n  - revolutionary-sites\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kdir)
    assert [(p.file, p.line) for p in err.value.problems] == [
        ("examples.yaml", 3),
        ("examples.yaml", 4),
    ]
    assert "did you mean 'revolutionary-sites'" in err.value.problems[0].message
    (kdir / "examples.yaml").unlink()
    assert load_knowledge(kdir).examples == ()


def test_a_broken_qa_file_does_not_make_the_synonyms_look_wrong(tmp_path) -> None:
    from e2e_support import copy_knowledge

    knowledge = copy_knowledge(tmp_path)
    qa = knowledge / "qa" / "s1.yaml"
    qa.write_text(qa.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(knowledge)
    assert {p.file for p in err.value.problems} == {"qa/s1.yaml"}, str(err.value)


def test_a_reload_lets_go_of_the_old_base_at_once(tmp_path) -> None:
    import weakref

    from e2e_support import copy_knowledge

    from bot.engine import Engine

    engine = Engine(copy_knowledge(tmp_path))
    old = weakref.ref(engine.kb)
    engine.ask("连云港有多少个爱国主义教育基地?")  # cached answers refer to the old base too
    engine.reload()
    assert old() is None  # not left to a later garbage collection (~15 MB a reload)
