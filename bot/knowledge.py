"""Load and validate the knowledge directory: ``article.yaml``, its raw page, ``qa/*.yaml``.

``load_knowledge`` reads everything, collects *every* problem it finds (with file, line
and entry id) and raises one :class:`KnowledgeError` listing them (the first
:data:`MAX_PROBLEMS`, and how many more), or returns a :class:`~bot.model.KnowledgeBase`.
Nothing more: whether every stored question is answered by its own entry is the
self-check's job (``bot.selfcheck``), off the load path.

What it reads is bounded: only regular files whose real path lies inside the knowledge
directory (a FIFO, a device, a socket or a symbolic link leading out of the directory is
a problem, and is never opened; links that stay inside are followed), at most
``DEFAULT_MAX_BYTES`` (1 MiB) and :data:`~bot.safe_yaml.MAX_NODES` (100,000) YAML values
per file, :data:`MAX_TOTAL_BYTES` (8 MiB) and :data:`MAX_TOTAL_VALUES` (400,000) in all,
and :data:`MAX_QA_FILES` Q&A files. Past a total, one problem says so and nothing more is
read.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from bot.model import LANGS, Article, Citation, Entry, KnowledgeBase, Paragraph, Section
from bot.normalize import stem, to_simplified
from bot.safe_yaml import (
    DEFAULT_MAX_BYTES,
    MAX_NODES,
    TooManyValues,
    YamlError,
    decode_utf8,
    is_inside,
    open_regular,
    parse_counted,
)

__all__ = [
    "ARTICLE_FILE",
    "COVERAGE_FILE",
    "MAX_PROBLEMS",
    "MAX_QA_FILES",
    "MAX_TOTAL_BYTES",
    "MAX_TOTAL_VALUES",
    "QA_DIR",
    "KnowledgeError",
    "Problem",
    "load_knowledge",
    "normalize_question",
    "sentences",
]

ARTICLE_FILE = "article.yaml"
QA_DIR = "qa"
SYNONYMS_FILE = "synonyms.txt"
EXAMPLES_FILE = "examples.yaml"
COVERAGE_FILE = "coverage.yaml"
UNANSWERABLE_FILE = "unanswerable.yaml"

MAX_TOTAL_BYTES = 8 << 20  # all files read, together (the shipped base: ~0.4 MB)
# YAML values (scalars, mappings, lists) of all files together (the shipped base: ~9,200),
# besides MAX_NODES per file: bounds the time a load can take (1.5 s at worst, measured).
MAX_TOTAL_VALUES = 4 * MAX_NODES
MAX_QA_FILES = 1000  # qa/*.yaml files (the shipped base: 5)
MAX_PROBLEMS = 100  # problems kept and shown; beyond them, only their number

_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRAILING = "?？!！。. \t"

_ARTICLE_REQUIRED = (
    "id",
    "title",
    "title_en",
    "authors",
    "authors_en",
    "date",
    "origin",
    "origin_en",
    "site",
    "site_en",
    "views",
    "source",
    "sections",
)
_ARTICLE_OPTIONAL = ("poster", "comments", "source_url", "byline", "byline_en")
_SECTION_FIELDS = ("id", "title", "title_en", "paragraphs")
_PARAGRAPH_FIELDS = ("id", "text")
_QA_FILE_FIELDS = ("entries",)
_ENTRY_REQUIRED = ("id", "questions", "answer", "cite")
_ENTRY_OPTIONAL = ("note",)
_CITE_FIELDS = ("paragraph", "quote")
_CITE_OPTIONAL = ("support", "byline")
_NOT_COVERED_FIELDS = ("paragraph", "sentence", "reason")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge files, located as precisely as possible."""

    file: str
    line: int | None
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" [{self.entry_id}]" if self.entry_id else ""
        return f"{where}:{who} {self.message}"


class KnowledgeError(Exception):
    """The knowledge directory is broken.

    ``problems`` holds the first :data:`MAX_PROBLEMS` problems found, ``total`` how many
    were found in all (``total`` may be given when ``problems`` were counted, not kept)."""

    def __init__(self, problems: Iterable[Problem], total: int | None = None) -> None:
        kept: list[Problem] = []
        count = 0
        for problem in problems:
            count += 1
            if len(kept) < MAX_PROBLEMS:
                kept.append(problem)
        self.problems = kept
        self.total = max(count, total or 0)
        super().__init__("\n".join(self.lines()))

    @property
    def omitted(self) -> int:
        """Problems found but not kept."""
        return self.total - len(self.problems)

    def lines(self) -> list[str]:
        """One line per kept problem, then "... and N more problems" if some were not kept."""
        out = [str(p) for p in self.problems]
        if self.omitted:
            out.append(f"... and {self.omitted} more problems")
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems, self.total))


class _Problems:
    """Problems as they are found: the first ``MAX_PROBLEMS`` are kept, all are counted
    (``len``), so that a file of a million broken entries costs no memory for them."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.count = 0

    def append(self, problem: Problem) -> None:
        self.count += 1
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(problem)

    def add(self, file: str, line: int | None, entry_id: str | None, message: str) -> None:
        """``append(Problem(...))``, without making the problem once none is kept."""
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(Problem(file, line, entry_id, message))
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.kept)

    def error(self) -> KnowledgeError:
        return KnowledgeError(self.kept, self.count)


def normalize_question(text: str) -> str:
    """Light normalisation used to spot one question stored twice."""
    return " ".join(text.split()).lower().rstrip(_TRAILING)


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean (quote words like yes/no/on/off to make them text)"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _suggest(word: Any, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _key_line(mapping: dict, key: str, default: int | None) -> int | None:
    lines = getattr(mapping, "key_lines", None)
    return lines.get(key, default) if lines else default


def _item_line(items: list, index: int, default: int | None) -> int | None:
    lines = getattr(items, "item_lines", None)
    return lines[index] if lines and index < len(lines) else default


class _Checker:
    """Records problems for one file (and one entry at a time)."""

    def __init__(self, problems: _Problems, file: str) -> None:
        self.problems = problems
        self.file = file
        self.entry_id: str | None = None

    def add(self, line: int | None, message: str, entry_id: str | None = None) -> None:
        self.problems.add(self.file, line, entry_id or self.entry_id, message)

    def mapping(self, value: Any, what: str, line: int | None) -> dict | None:
        if isinstance(value, dict):
            return value
        self.add(line, f"{what} must be a mapping, got {_type_name(value)}")
        return None

    def fields(
        self,
        mapping: dict,
        required: tuple[str, ...],
        optional: tuple[str, ...],
        where: str,
        line: int | None,
    ) -> None:
        """Report missing and unknown fields (``where`` names the parent, or "")."""
        known = required + optional
        suffix = f" in {where}" if where else ""
        for key in mapping:
            if key not in known:
                if not isinstance(key, str):
                    msg = f"field names must be text, got {_type_name(key)} {key!r}{suffix}"
                else:
                    msg = f"unknown field {key!r}{suffix}{_suggest(key, known)}"
                self.add(_key_line(mapping, key, line), msg)
        for key in required:
            if key not in mapping:
                self.add(line, f"missing field {key!r}{suffix}")

    def text(self, value: Any, what: str, line: int | None) -> str | None:
        """A non-blank string, or ``None`` after reporting why not."""
        if not isinstance(value, str):
            self.add(line, f"{what} must be a string, got {_type_name(value)}")
            return None
        if not value.strip():
            self.add(line, f"{what} is empty")
            return None
        return value

    def field_text(self, mapping: dict, key: str, what: str, line: int | None) -> str | None:
        if key not in mapping:
            return None  # already reported as missing
        return self.text(mapping[key], what, _key_line(mapping, key, line))

    def id(self, value: Any, what: str, line: int | None) -> str | None:
        text = self.text(value, what, line)
        if text is not None and not _ID_RE.fullmatch(text):
            self.add(line, f"{what} {text!r} must be lowercase kebab-case (like 'red-sites-2')")
            return None
        return text

    def field_id(self, mapping: dict, key: str, what: str, line: int | None) -> str | None:
        if key not in mapping:
            return None  # already reported as missing
        return self.id(mapping[key], what, _key_line(mapping, key, line))

    def text_list(self, value: Any, what: str, line: int | None) -> list[tuple[str, int | None]]:
        """Non-empty list of non-blank strings, as ``(text, line)`` pairs."""
        if not isinstance(value, list):
            self.add(line, f"{what} must be a list of strings, got {_type_name(value)}")
            return []
        if not value:
            self.add(line, f"{what} is empty (at least one is needed)")
            return []
        out = []
        for i, item in enumerate(value):
            item_line = _item_line(value, i, line)
            text = self.text(item, f"{what}[{i}]", item_line)
            if text is not None:
                out.append((text, item_line))
        return out


# ---------------------------------------------------------------------------- reading


class _Reader:
    """Reads files once, remembering their bytes for the version hash. Reads only regular
    files inside the directory (see ``bot.safe_yaml.open_regular``), each of at most
    ``max_bytes``, and stops reading once ``max_total`` bytes (or ``MAX_TOTAL_VALUES``
    YAML values) would be exceeded."""

    def __init__(
        self, directory: Path, problems: _Problems, max_bytes: int, max_total: int
    ) -> None:
        self.directory = directory
        self.problems = problems
        self.max_bytes = max_bytes
        self.max_total = max_total
        self.total = 0  # bytes read so far
        self.values = 0  # YAML values parsed so far
        self.stopped = False  # the total was reached: nothing more is read
        self.files: dict[str, bytes] = {}

    def exists(self, rel: str) -> bool:
        """Is there anything at ``rel`` (a dangling link too, so that it is reported)?"""
        return os.path.lexists(self.directory / rel)

    def read(self, rel: str, *, report_line: tuple[str, int | None] | None = None) -> str | None:
        """Read ``rel`` (posix, relative) as text; ``report_line`` locates a missing file."""
        if self.stopped:
            return None
        path = self.directory / rel
        try:
            with open_regular(path, self.directory, label="the knowledge directory") as (fh, size):
                if size > self.max_bytes:
                    raise YamlError(f"file is larger than the limit of {self.max_bytes} bytes")
                if not self._fits(rel, size):
                    return None
                data = fh.read(self.max_bytes + 1)
            if len(data) > self.max_bytes:  # it grew since it was measured
                raise YamlError(f"file is larger than the limit of {self.max_bytes} bytes")
            if not self._fits(rel, len(data)):
                return None
            self.total += len(data)
            text = decode_utf8(data)
        except FileNotFoundError:
            if report_line is not None:
                file, line = report_line
                self.problems.append(Problem(file, line, None, f"file {rel!r} does not exist"))
            else:
                self.problems.append(Problem(rel, None, None, "file is missing"))
            return None
        except YamlError as exc:
            self.problems.append(Problem(rel, exc.line, None, exc.message))
            return None
        except OSError as exc:
            self.problems.append(Problem(rel, None, None, f"cannot read file: {exc.strerror}"))
            return None
        self.files[rel] = data
        return text

    def _fits(self, rel: str, size: int) -> bool:
        """Does a file of ``size`` bytes fit in the total? If not, say so once and stop."""
        if self.total + size <= self.max_total:
            return True
        self.stopped = True
        self.problems.append(
            Problem(
                rel,
                None,
                None,
                f"the knowledge files together exceed the limit of {self.max_total} bytes: "
                f"{self.total} bytes read before this file of {size} bytes; "
                "neither it nor any file after it is read",
            )
        )
        return False

    def read_yaml(self, rel: str) -> tuple[bool, Any]:
        text = self.read(rel)
        if text is None:
            return False, None
        budget = MAX_TOTAL_VALUES - self.values
        try:
            doc, values = parse_counted(text, min(MAX_NODES, budget))
        except TooManyValues as exc:
            self.values += exc.limit  # parsed all the same: they count
            message = exc.message
            if budget < MAX_NODES:  # the total, not this file alone
                self.stopped = True
                message = (
                    f"the knowledge files together hold more than {MAX_TOTAL_VALUES} YAML "
                    f"values (the limit), counting this one; no file after it is read"
                )
            self.problems.append(Problem(rel, exc.line, None, message))
            return False, None
        except YamlError as exc:
            self.problems.append(Problem(rel, exc.line, None, exc.message))
            return False, None
        self.values += values
        return True, doc

    def version(self) -> str:
        digest = hashlib.sha256()
        for rel in sorted(self.files):
            data = self.files[rel]
            digest.update(f"{rel}\0{len(data)}\0".encode())
            digest.update(data)
        return digest.hexdigest()[:12]


# ---------------------------------------------------------------------------- article


def _string_list(c: _Checker, doc: dict, key: str, line: int | None) -> tuple[str, ...]:
    if key not in doc:
        return ()
    return tuple(t for t, _ in c.text_list(doc[key], key, _key_line(doc, key, line)))


def _count(c: _Checker, doc: dict, key: str) -> int:
    value = doc.get(key)
    if key not in doc:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        c.add(_key_line(doc, key, None), f"{key} must be a whole number >= 0, got {value!r}")
        return 0
    return value


def _date(c: _Checker, doc: dict) -> str:
    if "date" not in doc:
        return ""
    value, line = doc["date"], _key_line(doc, "date", None)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = c.text(value, "date", line)
    if text is None:
        return ""
    try:
        if not _DATE_RE.fullmatch(text):
            raise ValueError
        dt.date.fromisoformat(text)
    except ValueError:
        c.add(line, f"date {text!r} must be a date like 2021-06-11")
    return text


def _source_path(c: _Checker, doc: dict) -> str | None:
    line = _key_line(doc, "source", None)
    raw = c.field_text(doc, "source", "source", line)
    if raw is None:
        return None
    rel = PurePosixPath(raw.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or re.match(r"[A-Za-z]:", raw):
        c.add(line, f"source {raw!r} must be a path inside the knowledge directory")
        return None
    return rel.as_posix()


def _source_url(c: _Checker, doc: dict) -> str:
    """The optional ``source_url``: an absolute http(s) address, or "" after a problem."""
    if "source_url" not in doc:
        return ""
    line = _key_line(doc, "source_url", None)
    url = c.text(doc["source_url"], "source_url", line)
    if url is None:
        return ""
    parts = urlsplit(url.strip())
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(ch.isspace() or ch in '<>"' for ch in url.strip())
    ):
        c.add(line, f"source_url {url!r} must be a web address starting with http:// or https://")
        return ""
    return url.strip()


def _one_line(c: _Checker, doc: dict, key: str) -> str:
    """An optional one-line text field, or ""."""
    if key not in doc:
        return ""
    line = _key_line(doc, key, None)
    text = c.text(doc[key], key, line)
    if text is None:
        return ""
    if "\n" in text.strip():
        c.add(line, f"{key} must be one line")
        return ""
    return text.strip()


def _load_article(
    reader: _Reader, problems: _Problems
) -> tuple[Article | None, dict[str, Paragraph]]:
    """The article (``None`` if anything is wrong) and every well-formed paragraph by id."""
    ok, doc = reader.read_yaml(ARTICLE_FILE)
    if not ok:
        return None, {}
    c = _Checker(problems, ARTICLE_FILE)
    if doc is None:
        c.add(None, "file is empty")
        return None, {}
    if c.mapping(doc, "the article file", 1) is None:
        return None, {}
    before = len(problems)
    c.fields(doc, _ARTICLE_REQUIRED, _ARTICLE_OPTIONAL, "", None)
    strings = {}
    for key in ("title", "title_en", "origin", "origin_en", "site", "site_en", "poster"):
        strings[key] = c.field_text(doc, key, key, _key_line(doc, key, None)) or ""
    article_id = c.field_id(doc, "id", "id", None)
    authors = _string_list(c, doc, "authors", None)
    authors_en = _string_list(c, doc, "authors_en", None)
    if authors and authors_en and len(authors) != len(authors_en):
        c.add(
            _key_line(doc, "authors_en", None),
            f"authors_en has {len(authors_en)} names but authors has {len(authors)}",
        )
    date = _date(c, doc)
    source_url = _source_url(c, doc)
    byline = {key: _one_line(c, doc, key) for key in ("byline", "byline_en")}
    if byline["byline_en"] and not byline["byline"]:
        c.add(_key_line(doc, "byline_en", None), "byline_en needs a (Chinese) byline too")
    views = _count(c, doc, "views")
    _count(c, doc, "comments")
    source = _source_path(c, doc)
    raw_text = None
    if source is not None:
        raw_text = reader.read(source, report_line=(ARTICLE_FILE, _key_line(doc, "source", None)))
    sections = _sections(c, doc, raw_text, source)
    paragraphs: dict[str, Paragraph] = {}
    for section in sections:
        for para in section.paragraphs:
            paragraphs.setdefault(para.id, para)  # a duplicate id is reported already
    if len(problems) > before or raw_text is None or article_id is None:
        return None, paragraphs
    article = Article(
        id=article_id,
        title=strings["title"],
        title_en=strings["title_en"],
        authors=authors,
        authors_en=authors_en,
        date=date,
        origin=strings["origin"],
        origin_en=strings["origin_en"],
        site=strings["site"],
        site_en=strings["site_en"],
        views=views,
        sections=sections,
        raw_text=raw_text,
        source_url=source_url,
        byline=byline["byline"],
        byline_en=byline["byline_en"],
    )
    return article, paragraphs


def _sections(
    c: _Checker, doc: dict, raw_text: str | None, source: str | None
) -> tuple[Section, ...]:
    if "sections" not in doc:
        return ()
    items = doc["sections"]
    line = _key_line(doc, "sections", None)
    if not isinstance(items, list):
        c.add(line, f"sections must be a list, got {_type_name(items)}")
        return ()
    if not items:
        c.add(line, "sections is empty (at least one is needed)")
        return ()
    seen_sections: dict[str, int | None] = {}
    seen_paragraphs: dict[str, int | None] = {}
    sections = []
    for i, item in enumerate(items):
        s_line = _item_line(items, i, line)
        sec = c.mapping(item, f"sections[{i}]", s_line)
        if sec is None:
            continue
        c.fields(sec, _SECTION_FIELDS, (), f"section {i + 1}", s_line)
        sid = c.field_id(sec, "id", "section id", s_line)
        if sid is not None:
            if sid in seen_sections:
                c.add(s_line, f"duplicate section id (first on line {seen_sections[sid]})", sid)
            seen_sections.setdefault(sid, s_line)
        title = c.field_text(sec, "title", "section title", s_line) or ""
        title_en = c.field_text(sec, "title_en", "section title_en", s_line) or ""
        paragraphs = []
        if "paragraphs" in sec:
            paragraphs = _paragraphs(
                c, sec, sid or "", s_line, seen_paragraphs, raw_text, source or ""
            )
        sections.append(Section(sid or "", title, title_en, tuple(paragraphs)))
    return tuple(sections)


def _paragraphs(
    c: _Checker,
    sec: dict,
    sid: str,
    s_line: int | None,
    seen: dict[str, int | None],
    raw_text: str | None,
    source: str,
) -> list[Paragraph]:
    items = sec["paragraphs"]
    line = _key_line(sec, "paragraphs", s_line)
    if not isinstance(items, list):
        c.add(line, f"paragraphs must be a list, got {_type_name(items)}", sid or None)
        return []
    if not items:
        c.add(line, "paragraphs is empty (at least one is needed)", sid or None)
        return []
    out = []
    for j, item in enumerate(items):
        p_line = _item_line(items, j, line)
        para = c.mapping(item, "paragraph", p_line)
        if para is None:
            continue
        c.fields(para, _PARAGRAPH_FIELDS, ("heading",), "paragraph", p_line)
        heading = para.get("heading", False)
        if not isinstance(heading, bool):
            c.add(_key_line(para, "heading", p_line), "heading must be true or false", None)
            heading = False
        pid = c.field_id(para, "id", "paragraph id", p_line)
        if pid is not None:
            if pid in seen:
                c.add(p_line, f"duplicate paragraph id (first on line {seen[pid]})", pid)
            seen.setdefault(pid, p_line)
        text = c.field_text(para, "text", "paragraph text", p_line)
        if text is not None and raw_text is not None and text not in raw_text:
            c.add(_key_line(para, "text", p_line), f"text is not verbatim in {source}", pid)
        if pid is not None and text is not None:
            out.append(Paragraph(pid, sid, text, heading))
    return out


# ---------------------------------------------------------------------------- Q&A


@dataclass
class _Seen:
    """Cross-file state: where each entry id and each question was first defined."""

    ids: dict[str, tuple[str, int | None]]
    questions: dict[str, tuple[str, str, int | None]]  # norm -> (entry id, file, line)


def _qa_files(reader: _Reader, problems: _Problems) -> list[str]:
    """The Q&A files to read: every ``qa/*.yaml`` (and ``*.yml``) but hidden ones, whatever
    it is (a FIFO, a directory, a link...: reading it reports what is wrong)."""
    directory = reader.directory
    qa = directory / QA_DIR
    if not qa.is_dir():
        problems.append(Problem(QA_DIR, None, None, "Q&A directory is missing"))
        return []
    if not is_inside(qa, directory) or os.path.samefile(qa, directory):
        message = "is a symbolic link leading outside the knowledge directory; not read"
        problems.append(Problem(QA_DIR, None, None, message))
        return []
    names = []
    with os.scandir(qa) as found:
        for item in found:
            name = item.name
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                names.append(name)
                if len(names) > MAX_QA_FILES:
                    message = f"more than {MAX_QA_FILES} Q&A files (the limit); none is read"
                    problems.append(Problem(QA_DIR, None, None, message))
                    return []
    if not names:
        problems.append(Problem(QA_DIR, None, None, "no Q&A files (qa/*.yaml)"))
    return [f"{QA_DIR}/{n}" for n in sorted(names)]


def _load_qa_file(
    reader: _Reader,
    rel: str,
    paragraphs: dict[str, Paragraph],
    seen: _Seen,
    problems: _Problems,
) -> list[Entry]:
    ok, doc = reader.read_yaml(rel)
    if not ok:
        return []
    c = _Checker(problems, rel)
    if doc is None:
        c.add(None, "file is empty (expected 'entries:' and a list of entries)")
        return []
    if c.mapping(doc, "a Q&A file", 1) is None:
        return []
    c.fields(doc, _QA_FILE_FIELDS, (), "", None)
    if "entries" not in doc:
        return []
    items, line = doc["entries"], _key_line(doc, "entries", None)
    if not isinstance(items, list):
        c.add(line, f"entries must be a list, got {_type_name(items)}")
        return []
    if not items:
        c.add(line, "entries is empty")
        return []
    entries = []
    for i, item in enumerate(items):
        entry = _entry(c, item, _item_line(items, i, line), paragraphs, seen)
        if entry is not None:
            entries.append(entry)
    return entries


def _entry(
    c: _Checker,
    item: Any,
    line: int | None,
    paragraphs: dict[str, Paragraph],
    seen: _Seen,
) -> Entry | None:
    c.entry_id = None
    m = c.mapping(item, "an entry", line)
    if m is None:
        return None
    line = getattr(m, "line", line)
    raw_id = m.get("id")
    if isinstance(raw_id, str) and raw_id.strip():
        c.entry_id = raw_id.strip()
    before = len(c.problems)
    c.fields(m, _ENTRY_REQUIRED, _ENTRY_OPTIONAL, "", line)
    eid = c.field_id(m, "id", "id", line)
    if eid is not None:
        if eid in seen.ids:
            file, first = seen.ids[eid]
            c.add(line, f"duplicate entry id (also defined at {file}:{first})")
        else:
            seen.ids[eid] = (c.file, line)

    questions, question_lines = _questions(c, m, line, eid or c.entry_id or "", seen)
    answer = _answer(c, m, line)
    citation, section_id = _cite(c, m, line, paragraphs)
    if "note" in m:
        c.field_text(m, "note", "note", line)
    if len(c.problems) > before or eid is None or citation is None:
        return None
    return Entry(
        id=eid,
        questions=questions,
        answer=answer,
        citation=citation,
        section_id=section_id,
        source_file=c.file,
        line=line or 0,
        question_lines=question_lines,
    )


def _questions(
    c: _Checker, m: dict, line: int | None, eid: str, seen: _Seen
) -> tuple[dict, dict[str, int]]:
    """The entry's questions by language, and the line of each."""
    lines: dict[str, int] = {}
    if "questions" not in m:
        return {}, lines
    q_line = _key_line(m, "questions", line)
    qs = c.mapping(m["questions"], "questions", q_line)
    if qs is None:
        return {}, lines
    c.fields(qs, LANGS, (), "questions", q_line)
    out: dict[str, tuple[str, ...]] = {}
    for lang in LANGS:
        if lang not in qs:
            continue
        pairs = c.text_list(qs[lang], f"questions.{lang}", _key_line(qs, lang, q_line))
        out[lang] = tuple(q for q, _ in pairs)
        for q, q_line_ in pairs:
            norm = normalize_question(q)
            first = seen.questions.get(norm)
            if first is None:
                seen.questions[norm] = (eid, c.file, q_line_)
            elif first[0] == eid and first[1] == c.file:
                c.add(q_line_, f"question {q!r} is repeated (first on line {first[2]})")
            else:
                other, file, other_line = first
                c.add(
                    q_line_,
                    f"question {q!r} is also asked in entry {other} ({file}:{other_line})",
                )
            if q_line_ is not None:
                lines.setdefault(q, q_line_)
    return out, lines


def _answer(c: _Checker, m: dict, line: int | None) -> dict:
    if "answer" not in m:
        return {}
    a_line = _key_line(m, "answer", line)
    ans = c.mapping(m["answer"], "answer", a_line)
    if ans is None:
        return {}
    c.fields(ans, LANGS, (), "answer", a_line)
    out = {}
    for lang in LANGS:
        text = c.field_text(ans, lang, f"answer.{lang}", a_line)
        if text is not None:
            out[lang] = text.strip()
    return out


def _cite(
    c: _Checker,
    m: dict,
    line: int | None,
    paragraphs: dict[str, Paragraph],
) -> tuple[Citation | None, str]:
    if "cite" not in m:
        return None, ""
    c_line = _key_line(m, "cite", line)
    cite = c.mapping(m["cite"], "cite", c_line)
    if cite is None:
        return None, ""
    c.fields(cite, _CITE_FIELDS, _CITE_OPTIONAL, "cite", c_line)
    pid = c.field_text(cite, "paragraph", "cite.paragraph", c_line)
    quote = c.field_text(cite, "quote", "cite.quote", c_line)
    if pid is None or quote is None:
        return None, ""
    support = _support(c, cite, quote, c_line)
    byline = _flag(c, cite, "byline", c_line)
    if not paragraphs:  # no usable paragraphs (already reported): cannot check more
        return Citation(pid, quote, support, byline), ""
    para = paragraphs.get(pid)
    if para is None:
        c.add(
            _key_line(cite, "paragraph", c_line),
            f"unknown paragraph {pid!r}{_suggest(pid, paragraphs)}",
        )
        return None, ""
    if quote not in para.text:
        where = [p.id for p in paragraphs.values() if quote in p.text]
        hint = f" (it is in {', '.join(where)})" if where else ""
        c.add(_key_line(cite, "quote", c_line), f"quote is not in paragraph {pid}{hint}")
        return None, ""
    if not is_whole_sentence(para.text, quote):
        c.add(
            _key_line(cite, "quote", c_line),
            "quote must be whole sentences (or clauses ending in ;) of the paragraph, "
            f"e.g. {whole_sentence(para.text, quote)!r}",
        )
        return None, ""
    return Citation(pid, quote, support, byline), para.section_id


def _support(c: _Checker, cite: dict, quote: str, line: int | None) -> tuple[str, ...] | None:
    """``cite.support``: the part(s) of the quote to show in bold, each copied exactly from
    it (a text or a list of texts; ``[]``: none). ``None`` when absent (found automatically)."""
    if "support" not in cite:
        return None
    s_line = _key_line(cite, "support", line)
    value = cite["support"]
    if value == []:
        return ()
    items = [(value, s_line)] if isinstance(value, str) else None
    if items is None:
        items = c.text_list(value, "cite.support", s_line)
    parts = []
    for text, item_line in items:
        if c.text(text, "cite.support", item_line) is None:
            continue
        if text not in quote:
            c.add(item_line, f"cite.support {text!r} is not in the quote (copy it exactly)")
            continue
        parts.append(text)
    return tuple(parts)


def _flag(c: _Checker, mapping: dict, key: str, line: int | None) -> bool:
    if key not in mapping:
        return False
    value = mapping[key]
    if not isinstance(value, bool):
        c.add(_key_line(mapping, key, line), f"cite.{key} must be true or false")
        return False
    return value


def _check_bylines(article: Article | None, entries: list[Entry], problems: _Problems) -> None:
    """An entry citing the byline needs the article to have one."""
    if article is None or article.byline:
        return
    for entry in entries:
        if entry.citation.byline:
            message = "cite.byline is true but article.yaml has no byline"
            problems.add(entry.source_file, entry.line, entry.id, message)


_SENTENCE_END = re.compile(r"[。！？!?;；]”?")


def whole_sentence(text: str, quote: str) -> str:
    """The sentence(s) of ``text`` that contain ``quote`` (which must occur in it)."""
    start = text.find(quote)
    end = start + len(quote)
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = _SENTENCE_END.search(text, end)
    return text[left : right.end() if right else len(text)].strip()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each sentence of ``text``, as the whole-sentence rule cuts
    it: a sentence ends at 。！？!?;； (and a closing ” right after it), or at the end of the
    text; the spaces around it are left out."""
    spans = []
    start = 0
    for m in [*_SENTENCE_END.finditer(text), None]:
        end = m.end() if m else len(text)
        piece = text[start:end]
        if piece.strip():
            a = start + len(piece) - len(piece.lstrip())
            spans.append((a, a + len(piece.strip())))
        start = end
    return spans


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (see :func:`sentence_spans`)."""
    return [text[a:b] for a, b in sentence_spans(text)]


def is_whole_sentence(text: str, quote: str) -> bool:
    """Does ``quote`` cover whole sentences of ``text``? Readers are shown "the sentence
    the answer rests on", not a fragment that could say something else out of context."""
    ends_well = quote == text or bool(_SENTENCE_END.search(quote[-2:]))
    for i in (m.start() for m in re.finditer(re.escape(quote), text)):
        starts_well = i == 0 or bool(re.search(r"[。！？!?;；]”?\s*$", text[:i]))
        at_end = i + len(quote) == len(text)
        if starts_well and (ends_well or at_end):
            return True
    return False


# ---------------------------------------------------------------------------- synonyms


def _load_synonyms(
    reader: _Reader, problems: _Problems, article: Article | None, entries: list[Entry]
) -> tuple[tuple[str, str], ...]:
    """``synonyms.txt`` (optional): one ``reader's-word article's-word`` pair per line,
    ``#`` comments. A pair must keep the rules its header states; each broken one is a
    problem at its line."""
    if not reader.exists(SYNONYMS_FILE):
        return ()
    text = reader.read(SYNONYMS_FILE)
    if text is None:
        return ()
    said = ""
    if article is not None:
        said = to_simplified(" ".join(p.text for s in article.sections for p in s.paragraphs))
    zh_raw = said + "".join(
        e.answer.get("zh", "") + "".join(e.questions.get("zh", ())) for e in entries
    )
    en_words = set(
        re.findall(
            r"[a-z]+",
            " ".join(
                e.answer.get("en", "") + " " + " ".join(e.questions.get("en", ()))
                for e in entries
            ).lower(),
        )
    )
    en_stems = {stem(w) for w in en_words}

    @lru_cache(maxsize=1)
    def zh_simplified() -> str:  # only when a word is not found as written (rare)
        return to_simplified(zh_raw)

    def used_in_zh(word: str) -> bool:
        return word in zh_raw or word in zh_simplified()

    pairs: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = line.split()

        def bad(message: str, number: int = number) -> None:
            problems.append(Problem(SYNONYMS_FILE, number, None, message))

        if len(words) != 2:
            bad(f"want two words (the reader's word, then the article's), got {line.strip()!r}")
            continue
        mine, theirs = words
        if mine in pairs:
            bad(f"{mine!r} is already mapped on line {pairs[mine][1]}")
            continue
        if mine.isascii():
            if not (mine.isalpha() and mine.islower()):
                bad(f"an English reader's word is one lower-case word, not {mine!r}")
            elif entries and stem(theirs) not in en_stems:
                bad(f"{theirs!r} is not a word the knowledge base uses in English")
        elif len(mine) < 2:
            bad(f"{mine!r}: a Chinese reader's word needs 2 or more characters")
        elif said and mine in said:
            bad(f"{mine!r} occurs in the article itself: mapping it would rewrite the article")
        elif entries and not used_in_zh(theirs):
            bad(f"{theirs!r} is not a word the article or the knowledge base uses")
        pairs[mine] = (theirs, number)
    return tuple((mine, theirs) for mine, (theirs, _) in pairs.items())


def _load_examples(reader: _Reader, problems: _Problems, ids: set[str]) -> tuple[str, ...]:
    """``examples.yaml`` (optional): ``examples:``, a list of entry ids."""
    if not reader.exists(EXAMPLES_FILE):
        return ()
    ok, doc = reader.read_yaml(EXAMPLES_FILE)
    if not ok:
        return ()
    c = _Checker(problems, EXAMPLES_FILE)
    if c.mapping(doc, "the examples file", 1) is None:
        return ()
    c.fields(doc, ("examples",), (), "", None)
    if "examples" not in doc:
        return ()
    out = []
    items = doc["examples"]
    for text, line in c.text_list(items, "examples", _key_line(doc, "examples", None)):
        if ids and text not in ids:
            c.add(line, f"unknown entry {text!r}{_suggest(text, ids)}")
        elif text in out:
            c.add(line, f"entry {text!r} is listed twice")
        else:
            out.append(text)
    return tuple(out)


def _load_unanswerable(
    reader: _Reader, problems: _Problems, entries: list[Entry]
) -> tuple[str, ...]:
    """``unanswerable.yaml`` (optional): ``unanswerable:``, a list of questions reviewed as
    not answered by the article (known unanswerable examples); none may be a stored
    question of an entry."""
    if not reader.exists(UNANSWERABLE_FILE):
        return ()
    ok, doc = reader.read_yaml(UNANSWERABLE_FILE)
    if not ok or doc is None:
        return ()
    c = _Checker(problems, UNANSWERABLE_FILE)
    if c.mapping(doc, "the unanswerable file", 1) is None:
        return ()
    c.fields(doc, ("unanswerable",), (), "", None)
    items = doc.get("unanswerable")
    if not items:
        return ()
    stored = {
        normalize_question(q): e.id for e in entries for qs in e.questions.values() for q in qs
    }
    out: dict[str, str] = {}
    for text, line in c.text_list(items, "unanswerable", _key_line(doc, "unanswerable", None)):
        key = normalize_question(text)
        if key in stored:
            c.add(line, f"{text!r} is a question of entry {stored[key]}")
        elif key in out:
            c.add(line, f"{text!r} is listed twice (as {out[key]!r})")
        else:
            out[key] = text
    return tuple(out.values())


# ---------------------------------------------------------------------------- coverage


def _cited_sentences(
    entries: list[Entry], paragraphs: dict[str, Paragraph]
) -> dict[tuple[str, str], Entry]:
    """Each ``(paragraph id, sentence)`` some entry's quote covers, with the first such
    entry. A quote that stops before a sentence's closing ” still covers that sentence."""
    cited: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        para = paragraphs.get(entry.citation.paragraph)
        if para is None:
            continue
        quote = entry.citation.quote
        spans = sentence_spans(para.text)
        for m in re.finditer(re.escape(quote), para.text):
            for a, b in spans:
                core = b - 1 if para.text[b - 1] == "”" else b
                if m.start() <= a and core <= m.end():
                    cited.setdefault((para.id, para.text[a:b]), entry)
    return cited


def _load_coverage(
    reader: _Reader,
    problems: _Problems,
    paragraphs: dict[str, Paragraph],
    entries: list[Entry],
) -> tuple[tuple[str, str, str], ...]:
    """``coverage.yaml`` (optional): ``not_covered:``, a list of the sentences of the
    article that no entry cites on purpose, each ``{paragraph, sentence, reason}``. When the
    file is there, every other sentence of every paragraph must be cited by an entry: once
    the rest of the base is free of problems, each sentence that is neither cited nor listed
    is a problem (at the line of ``not_covered:``, where it belongs)."""
    if not reader.exists(COVERAGE_FILE):
        return ()
    clean_so_far = not problems
    ok, doc = reader.read_yaml(COVERAGE_FILE)
    if not ok:
        return ()
    c = _Checker(problems, COVERAGE_FILE)
    if doc is None:
        c.add(None, "file is empty (expected 'not_covered:' and a list, which may be [])")
        return ()
    if c.mapping(doc, "the coverage file", 1) is None:
        return ()
    c.fields(doc, ("not_covered",), (), "", None)
    if "not_covered" not in doc:
        return ()
    items = doc["not_covered"]
    list_line = _key_line(doc, "not_covered", None)
    if items is None:
        items = []
    if not isinstance(items, list):
        c.add(list_line, f"not_covered must be a list, got {_type_name(items)}")
        return ()
    cited = _cited_sentences(entries, paragraphs)
    listed: dict[tuple[str, str], int | None] = {}
    out = []
    for i, item in enumerate(items):
        line = _item_line(items, i, list_line)
        m = c.mapping(item, f"not_covered[{i}]", line)
        if m is None:
            continue
        line = getattr(m, "line", line)
        before = len(problems)
        c.fields(m, _NOT_COVERED_FIELDS, (), "", line)
        pid = c.field_text(m, "paragraph", "paragraph", line)
        sentence = c.field_text(m, "sentence", "sentence", line)
        reason = c.field_text(m, "reason", "reason", line)
        if pid is None or sentence is None:
            continue
        sentence = sentence.strip()
        s_line = _key_line(m, "sentence", line)
        para = paragraphs.get(pid) if paragraphs else None
        if para is None:
            if paragraphs:
                c.add(
                    _key_line(m, "paragraph", line),
                    f"unknown paragraph {pid!r}{_suggest(pid, paragraphs)}",
                )
            continue
        if sentence not in para.text:
            where = [p.id for p in paragraphs.values() if sentence in p.text]
            hint = f" (it is in {', '.join(where)})" if where else ""
            c.add(s_line, f"sentence is not in paragraph {pid}{hint}")
            continue
        if sentence not in sentences(para.text):
            whole = whole_sentence(para.text, sentence)
            if len(sentences(whole)) > 1:
                c.add(
                    s_line,
                    f"sentence holds {len(sentences(whole))} sentences of paragraph {pid}: "
                    "list each one as an item of its own",
                )
            else:
                c.add(
                    s_line,
                    f"sentence must be one whole sentence of paragraph {pid}, e.g. {whole!r}",
                )
            continue
        key = (pid, sentence)
        if key in listed:
            c.add(s_line, f"sentence is listed twice (first on line {listed[key]})")
            continue
        listed[key] = line
        entry = cited.get(key)
        if entry is not None:
            c.add(
                s_line,
                f"sentence is listed as not covered but cited by entry {entry.id} "
                f"({entry.source_file}:{entry.line}): remove it from this list",
            )
            continue
        if len(problems) == before and reason is not None:
            out.append((pid, sentence, reason.strip()))
    if clean_so_far and not problems:
        for para in paragraphs.values():
            for sentence in sentences(para.text):
                if (para.id, sentence) not in cited and (para.id, sentence) not in listed:
                    c.add(
                        list_line,
                        f"sentence {sentence!r} of paragraph {para.id} is cited by no entry: "
                        "add an entry whose quote holds it, or list it here under "
                        "not_covered with a reason",
                    )
    return tuple(out)


# ---------------------------------------------------------------------------- public


def load_knowledge(
    directory: Path,
    *,
    max_file_bytes: int = DEFAULT_MAX_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> KnowledgeBase:
    """Read and validate a knowledge directory; raise ``KnowledgeError`` listing the
    problems (the first ``MAX_PROBLEMS``, and how many there are in all).

    Parsing and validation only: whether each stored question is answered by its own entry
    is the self-check's job (``bot.selfcheck``), off this path.
    """
    directory = Path(directory)
    problems = _Problems()
    if not directory.is_dir():
        raise KnowledgeError([Problem(str(directory), None, None, "directory does not exist")])
    reader = _Reader(directory, problems, max_file_bytes, max_total_bytes)
    article, paragraphs = _load_article(reader, problems)
    seen = _Seen({}, {})
    entries: list[Entry] = []
    for rel in _qa_files(reader, problems):
        entries.extend(_load_qa_file(reader, rel, paragraphs, seen, problems))
    _check_bylines(article, entries, problems)
    # entries are looked up (a pair's words, an example's id) only when all of them loaded:
    # a broken qa file must not make every pair or example that needs it look wrong
    loaded = entries if not problems else []
    synonyms = _load_synonyms(reader, problems, article, loaded)
    examples = _load_examples(reader, problems, {e.id for e in loaded})
    not_covered = _load_coverage(reader, problems, paragraphs, entries)
    unanswerable = _load_unanswerable(reader, problems, entries)
    if problems:
        raise problems.error()
    if article is None:
        raise KnowledgeError([Problem(ARTICLE_FILE, None, None, "article not loaded")])
    return KnowledgeBase(
        article=article,
        entries=tuple(entries),
        version=reader.version(),
        synonyms=synonyms,
        examples=examples,
        not_covered=not_covered,
        unanswerable=unanswerable,
    )
