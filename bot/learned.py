"""Learned question variants: an overlay file in the data directory (``learned.yaml``).

The deployment mounts ``knowledge/`` read-only, so what admins teach the bot in /review
(or ``citebot review --add``) is written here instead, and merged at load: each learned
question becomes a question variant of its entry, in its language. It is validated like
the knowledge base's questions (problems carry ``learned.yaml:line``); a learned variant of
an entry that no longer exists is a *note*, not a problem. ``citebot review --export``
writes the variants into ``knowledge/qa/*.yaml`` (:func:`export`) and empties the overlay.

Questions an admin marked as *not in the article* are kept here too (``not_in_article``),
merged into the base's known unanswerable examples (``KnowledgeBase.unanswerable``; the
engine refuses the same wording), and exported into ``knowledge/unanswerable.yaml``.

Format::

    learned:
      - entry: bases-count
        lang: zh
        question: "港城一共建了几处爱国主义教育基地"
    not_in_article:
      - "连云港的GDP是多少"
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import yaml

from bot.atomic import write_atomic
from bot.knowledge import (
    UNANSWERABLE_FILE,
    KnowledgeError,
    Problem,
    load_knowledge,
    normalize_question,
)
from bot.model import LANGS, KnowledgeBase
from bot.safe_yaml import YamlError, parse

FILE = "learned.yaml"
HEADER = (
    "# Question variants learned in /review (citebot review). Merged into the knowledge\n"
    "# base at load; `citebot review --export` moves them into knowledge/qa/*.yaml.\n"
)


class Learned(NamedTuple):
    entry: str
    lang: str
    question: str
    line: int | None = None


class Unanswerable(NamedTuple):
    question: str
    line: int | None = None


class Overlay(NamedTuple):
    learned: list[Learned]
    not_in_article: list[Unanswerable]
    problems: list[Problem]


def read(path: Path) -> tuple[list[Learned], list[Problem]]:
    """The overlay's variants and the problems of its form (a missing file is empty)."""
    found = read_overlay(path)
    return found.learned, found.problems


def read_overlay(path: Path) -> Overlay:
    """The overlay's variants, its questions marked not in the article, and the problems of
    its form (a missing file is empty)."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Overlay([], [], [])
    except (OSError, UnicodeDecodeError) as exc:
        return Overlay([], [], [Problem(name, None, None, f"cannot read file: {exc}")])
    try:
        doc = parse(text)
    except YamlError as exc:
        return Overlay([], [], [Problem(name, exc.line, None, exc.message)])
    if doc is None:
        return Overlay([], [], [])
    if not isinstance(doc, dict) or set(doc) - {"learned", "not_in_article"}:
        message = "expected a mapping with the keys 'learned' and 'not_in_article'"
        return Overlay([], [], [Problem(name, 1, None, message)])
    unanswerable, problems = _read_unanswerable(name, doc.get("not_in_article") or [])
    items = doc.get("learned") or []
    if not isinstance(items, list):
        problems.append(Problem(name, 1, None, "learned must be a list"))
        return Overlay([], unanswerable, problems)
    item_lines = getattr(items, "item_lines", None) or []
    out: list[Learned] = []
    for i, item in enumerate(items):
        line = item_lines[i] if i < len(item_lines) else None
        values = item if isinstance(item, dict) else {}
        entry, lang, question = (values.get(k) for k in ("entry", "lang", "question"))
        if not isinstance(item, dict) or set(item) != {"entry", "lang", "question"}:
            message = "a learned variant must have exactly entry, lang and question"
        elif not all(isinstance(v, str) and v.strip() for v in (entry, lang, question)):
            message = "entry, lang and question must be non-empty strings"
        elif lang not in LANGS:
            message = f"lang {lang!r} must be one of {', '.join(LANGS)}"
        else:
            out.append(Learned(entry.strip(), lang, question.strip(), line))
            continue
        problems.append(Problem(name, line, values.get("entry"), message))
    return Overlay(out, unanswerable, problems)


def _read_unanswerable(name: str, items: object) -> tuple[list[Unanswerable], list[Problem]]:
    if not isinstance(items, list):
        return [], [Problem(name, 1, None, "not_in_article must be a list of questions")]
    item_lines = getattr(items, "item_lines", None) or []
    out, problems = [], []
    for i, item in enumerate(items):
        line = item_lines[i] if i < len(item_lines) else None
        if isinstance(item, str) and item.strip():
            out.append(Unanswerable(item.strip(), line))
        else:
            problems.append(Problem(name, line, None, "a not_in_article item is one question"))
    return out, problems


def merge(kb: KnowledgeBase, path: Path) -> tuple[KnowledgeBase, list[Problem]]:
    """``kb`` with the overlay's variants and unanswerable questions added, and the notes
    (variants of entries that no longer exist). Raises ``KnowledgeError`` for a broken
    overlay, or a variant or unanswerable question that is a question already stored (in
    its entry or another one)."""
    items, unanswerable, problems = read_overlay(path)
    if not items and not unanswerable and not problems:
        return kb, []
    stored: dict[str, tuple[str, str, int | None]] = {}
    for e in kb.entries:
        for qs in e.questions.values():
            for q in qs:
                stored.setdefault(
                    normalize_question(q), (e.id, e.source_file, e.question_lines.get(q))
                )
    added: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    notes: list[Problem] = []
    ids = {e.id for e in kb.entries}
    for it in items:
        if it.entry not in ids:
            notes.append(
                Problem(
                    path.name,
                    it.line,
                    it.entry,
                    f"entry {it.entry} no longer exists; variant {it.question!r} is not used",
                )
            )
            continue
        norm = normalize_question(it.question)
        first = stored.get(norm)
        if first is not None:
            other, file, line = first
            where = f"{file}:{line}" if line else file
            problems.append(
                Problem(
                    path.name,
                    it.line,
                    it.entry,
                    f"question {it.question!r} is also asked in entry {other} ({where})",
                )
            )
            continue
        stored[norm] = (it.entry, path.name, it.line)
        added[it.entry][it.lang].append(it.question)
    known = {normalize_question(q) for q in kb.unanswerable}
    marked = list(kb.unanswerable)
    for un in unanswerable:
        norm = normalize_question(un.question)
        first = stored.get(norm)
        if first is not None:
            other, file, line = first
            where = f"{file}:{line}" if line else file
            message = f"{un.question!r} is marked not in the article, but {other} asks it ({where})"
            problems.append(Problem(path.name, un.line, None, message))
        elif norm not in known:
            known.add(norm)
            marked.append(un.question)
    if problems:
        raise KnowledgeError(problems)
    entries = []
    for e in kb.entries:
        extra = added.get(e.id)
        if extra:
            questions = dict(e.questions)
            for lang, qs in extra.items():
                questions[lang] = tuple(questions.get(lang, ())) + tuple(qs)
            e = dataclasses.replace(e, questions=questions)
        entries.append(e)
    digest = hashlib.sha256(f"{kb.version}\0".encode() + path.read_bytes()).hexdigest()[:12]
    merged = dataclasses.replace(
        kb, entries=tuple(entries), version=digest, unanswerable=tuple(marked)
    )
    return merged, notes


def _quote(text: str) -> str:
    """``text`` as a YAML scalar: plain when it reads back the same, else double-quoted."""
    try:
        if "\n" not in text and yaml.safe_load(f"- {text}") == [text] and "#" not in text:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)


def render(items: list[Learned], unanswerable: list[Unanswerable] | None = None) -> str:
    lines = [HEADER + ("learned:" if items else "learned: []")]
    for it in items:
        lines.append(f"  - entry: {it.entry}")
        lines.append(f"    lang: {it.lang}")
        lines.append(f"    question: {json.dumps(it.question, ensure_ascii=False)}")
    if unanswerable:
        lines.append("not_in_article:")
        lines.extend(f"  - {json.dumps(u.question, ensure_ascii=False)}" for u in unanswerable)
    return "\n".join(lines) + "\n"


def add(path: Path, entry_id: str, lang: str, question: str) -> bytes | None:
    """Append one variant to the overlay (atomically); the overlay's previous bytes
    (``None``: there was no file), for :func:`restore`."""
    before = _previous(path)
    items, unanswerable, problems = read_overlay(path)
    if problems:
        raise KnowledgeError(problems)
    write_atomic(path, render([*items, Learned(entry_id, lang, question.strip())], unanswerable))
    return before


def add_unanswerable(path: Path, question: str) -> bytes | None:
    """Append one question marked not in the article (atomically); the overlay's previous
    bytes, for :func:`restore`."""
    before = _previous(path)
    items, unanswerable, problems = read_overlay(path)
    if problems:
        raise KnowledgeError(problems)
    key = normalize_question(question)
    if all(normalize_question(u.question) != key for u in unanswerable):
        write_atomic(path, render(items, [*unanswerable, Unanswerable(question.strip())]))
    return before


def _previous(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def restore(path: Path, before: bytes | None) -> None:
    """Undo :func:`add` or :func:`add_unanswerable`."""
    if before is None:
        path.unlink(missing_ok=True)
    else:
        write_atomic(path, before)


def export(knowledge_dir: Path, path: Path) -> tuple[int, int, list[Problem]]:
    """Insert the overlay's variants into ``knowledge_dir/qa/*.yaml``, each after its
    entry's last question in its language (comments and layout kept; each file written
    atomically), and its questions marked not in the article at the end of
    ``knowledge_dir/unanswerable.yaml``; then empty the overlay but for the variants that
    could not be placed (reported). Returns (how many variants and how many unanswerable
    questions were written, problems)."""
    items, unanswerable, problems = read_overlay(path)
    if problems:
        raise KnowledgeError(problems)
    kb = load_knowledge(knowledge_dir)
    # written first: should a later write fail, the overlay still holds these and merging
    # a question marked twice is harmless (a variant stored twice is not)
    unanswerable_file = knowledge_dir / UNANSWERABLE_FILE
    text, marked = _unanswerable_text(unanswerable_file, kb, unanswerable)
    if text:
        write_atomic(unanswerable_file, text)
    inserts: dict[str, list[tuple[int, str]]] = defaultdict(list)
    left: list[Learned] = []
    notes: list[Problem] = []
    for it in items:
        entry = kb.entry(it.entry)
        qs = entry.questions.get(it.lang) if entry is not None else None
        line = entry.question_lines.get(qs[-1]) if entry is not None and qs else None
        if entry is None or not line:
            why = (
                "no such entry"
                if entry is None
                else f"the entry has no {it.lang} question to insert after"
            )
            notes.append(
                Problem(path.name, it.line, it.entry, f"{it.question!r} not exported: {why}")
            )
            left.append(it)
            continue
        inserts[entry.source_file].append((line, it.question))
    written = 0
    for rel, places in inserts.items():
        file = knowledge_dir / rel
        lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
        # bottom up, so that line numbers stay right; after one line, in overlay order
        order = sorted(enumerate(places), key=lambda p: (p[1][0], p[0]), reverse=True)
        for _, (line, question) in order:
            anchor = lines[line - 1]
            indent = anchor[: len(anchor) - len(anchor.lstrip())]
            newline = "\r\n" if anchor.endswith("\r\n") else "\n"
            if not anchor.endswith(("\n", "\r")):
                lines[line - 1] = anchor + newline
            lines.insert(line, f"{indent}- {_quote(question)}{newline}")
            written += 1
        write_atomic(file, "".join(lines))
    write_atomic(path, render(left))
    return written, marked, notes


UNANSWERABLE_HEADER = (
    "# Questions readers asked that the article does not answer, reviewed by an admin.\n"
    "# The bot refuses these wordings; `citebot eval --known-unanswerable` checks them.\n"
)


def _unanswerable_text(file: Path, kb: KnowledgeBase, items: list[Unanswerable]) -> tuple[str, int]:
    """The new text of ``unanswerable.yaml`` (``""``: nothing new) with the questions of
    ``items`` it does not hold yet, once each, and how many. ``kb`` is the base loaded from
    the file's directory, so the file is valid: its list is re-rendered from ``kb``, under
    the file's leading comment lines."""
    known = {normalize_question(q) for q in kb.unanswerable}
    new = []
    for u in items:
        key = normalize_question(u.question)
        if key not in known:
            known.add(key)
            new.append(u.question)
    if not new:
        return "", 0
    old = file.read_text(encoding="utf-8") if file.exists() else ""
    lead = "".join(ln for ln in _leading_comments(old.splitlines(keepends=True)))
    body = "".join(f"  - {_quote(q)}\n" for q in (*kb.unanswerable, *new))
    return (lead or UNANSWERABLE_HEADER) + "unanswerable:\n" + body, len(new)


def _leading_comments(lines: list[str]) -> list[str]:
    out = []
    for ln in lines:
        if not ln.startswith("#"):
            break
        out.append(ln if ln.endswith("\n") else ln + "\n")
    return out
