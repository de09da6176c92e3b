"""Inline-button callback data: compact, within Telegram's 64-byte limit, safe to forge.

Formats (``lang`` is ``zh`` or ``en``, the language to answer in, or ``zt``: Chinese in
traditional characters, which ``bot.telegram.localize`` writes into the buttons it shows a
traditional reader; optional when parsing):

- ``a:<entry_id>:<lang>`` answer an entry; ``ai:<version>:<index>:<lang>`` when the id
  would not fit (the index is only trusted while the knowledge base keeps that version);
- ``c:``/``ci:`` the same from a "did you mean" or related-entries message: once answered,
  that message's buttons are removed (they are stale);
- ``t:<section_id>:<lang>`` list a section's entries (``ti:<version>:<index>:<lang>``);
  ``t:<section_id>:<page>:<lang>`` / ``ti:<version>:<index>:<page>:<lang>`` one page of
  them (pages from 0; without a page, the first);
- ``T:<lang>`` back to the list of sections;
- ``f:<vote>:<entry_id>:<lang>`` the feedback row under an answer: ``vote`` is ``+`` (👍)
  or ``-`` (👎) on that entry's answer; ``fi:<vote>:<version>:<index>:<lang>`` when the id
  would not fit. Once pressed, the row is removed from the message;
- ``r:<action>:<item id>`` an admin's /review button: ``action`` is ``a`` (add the
  question to the entry), ``n`` (not in the article) or ``s`` (skip); the item id is the
  feedback store's (``bot.feedback.ReviewItem``);
- ``r:o:<item id>`` "another entry…" on a /review item: the sections to choose from;
  ``r:t:<item id>:<section index>:<page>:<version>`` a page of a section's entries;
  ``r:e:<item id>:<entry index>:<version>`` add the item's question to that entry (indexes
  are only trusted while the knowledge base keeps that version);
  ``r:b:<item id>`` back to the item;
- ``L:<choice>`` a /language button: ``choice`` is one of ``bot.reader_lang.CHOICES``
  (``zh-hans``, ``zh-hant``, ``en``) or ``auto`` (forget the choice).

Each kind has its own ``CallbackQueryHandler``, chosen by the data's prefix
(``ENTRY_PATTERN``, ``SECTION_PATTERN``, ``SECTIONS_PATTERN``, ``FEEDBACK_PATTERN``,
``REVIEW_PATTERN``, ``LANGUAGE_PATTERN``); data
matching none of them goes to a fallback handler. Data that is malformed or points at
nothing parses/resolves to ``None``: the handler then shows a polite notice. Data comes
from users and is never trusted. These formats are what buttons already in readers' chats
carry: keep parsing them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal

from bot.model import LANGS, Entry, KnowledgeBase, Lang, Section
from bot.reader_lang import CHOICES

MAX_BYTES = 64
VERSION_CHARS = 8

Kind = Literal["entry", "section", "sections", "feedback"]
Vote = Literal["+", "-"]
VOTES = ("+", "-")

# The prefix of each kind's data (matched at the start, as CallbackQueryHandler does).
ENTRY_PATTERN = re.compile(r"[ac]i?:")
SECTION_PATTERN = re.compile(r"ti?:")
SECTIONS_PATTERN = re.compile(r"T(?::|$)")
FEEDBACK_PATTERN = re.compile(r"fi?:")
REVIEW_PATTERN = re.compile(r"r:")
REVIEW_ACTIONS = {"a": "added", "n": "not_in_article", "s": "skipped"}
LANGUAGE_PATTERN = re.compile(r"L:")
AUTO = "auto"  # the /language button that forgets the reader's choice
TRADITIONAL = "zt"  # the ``lang`` of buttons shown to traditional readers: zh, traditional


@dataclass(frozen=True, slots=True)
class Callback:
    kind: Kind
    key: str = ""  # entry or section id; or the index when ``version`` is set
    lang: Lang | None = None
    version: str | None = None  # set for index-based data
    choice: bool = False  # an entry offered as a choice: its message's buttons go once pressed
    vote: Vote | None = None  # kind "feedback": 👍 (+) or 👎 (-) on the entry's answer
    page: int = 0  # kind "section": which page of its entries (0-based)
    traditional: bool = False  # made for a reader of traditional Chinese (``lang`` ``zt``)


def _fits(data: str) -> bool:
    return len(data.encode("utf-8")) <= MAX_BYTES


def _short_version(kb: KnowledgeBase) -> str:
    return "".join(c for c in kb.version if c.isalnum())[:VERSION_CHARS] or "0"


def entry_data(entry: Entry, kb: KnowledgeBase, lang: Lang, *, choice: bool = False) -> str:
    """Callback data that answers ``entry`` in ``lang``; always <= 64 bytes. ``choice``:
    offered as a choice (``c:``), so the message's buttons are removed once one is pressed."""
    head = "c" if choice else "a"
    data = f"{head}:{entry.id}:{lang}"
    if _fits(data) and ":" not in entry.id:
        return data
    index = next(i for i, e in enumerate(kb.entries) if e.id == entry.id)
    return f"{head}i:{_short_version(kb)}:{index}:{lang}"


def feedback_data(entry: Entry, kb: KnowledgeBase, lang: Lang, vote: Vote) -> str:
    """Callback data of a 👍 (``+``) or 👎 (``-``) on ``entry``'s answer; <= 64 bytes."""
    data = f"f:{vote}:{entry.id}:{lang}"
    if _fits(data) and ":" not in entry.id:
        return data
    index = next(i for i, e in enumerate(kb.entries) if e.id == entry.id)
    return f"fi:{vote}:{_short_version(kb)}:{index}:{lang}"


def section_data(section: Section, kb: KnowledgeBase, lang: Lang, page: int = 0) -> str:
    """Callback data that lists ``section``'s entries (page ``page``); always <= 64 bytes."""
    at = f":{int(page)}" if page else ""
    data = f"t:{section.id}{at}:{lang}"
    if _fits(data) and ":" not in section.id:
        return data
    index = next(i for i, s in enumerate(kb.article.sections) if s.id == section.id)
    return f"ti:{_short_version(kb)}:{index}{at}:{lang}"


def sections_data(lang: Lang) -> str:
    return f"T:{lang}"


def review_data(action: str, item_id: int) -> str:
    """Callback data of a /review button (``action``: a key of ``REVIEW_ACTIONS``)."""
    assert action in REVIEW_ACTIONS
    return f"r:{action}:{int(item_id)}"


PickStep = Literal["sections", "section", "entry", "back"]
_PICK_STEPS: dict[str, PickStep] = {"o": "sections", "t": "section", "e": "entry", "b": "back"}
_PICK_PARTS = {"o": 3, "t": 6, "e": 5, "b": 3}


@dataclass(frozen=True, slots=True)
class ReviewPick:
    """A step of choosing another entry for a /review item."""

    step: PickStep
    item_id: int
    index: int = 0  # the section's (step "section") or the entry's (step "entry")
    page: int = 0
    version: str = ""

    def current(self, kb: KnowledgeBase) -> bool:
        """Do the indexes still point where they pointed (the same knowledge version)?"""
        return self.version == _short_version(kb)


def review_pick_data(
    step: PickStep, item_id: int, kb: KnowledgeBase, index: int = 0, page: int = 0
) -> str:
    """Callback data of a step of "another entry…" (see the module docstring)."""
    item = int(item_id)
    if step == "sections":
        return f"r:o:{item}"
    if step == "back":
        return f"r:b:{item}"
    if step == "section":
        return f"r:t:{item}:{int(index)}:{int(page)}:{_short_version(kb)}"
    return f"r:e:{item}:{int(index)}:{_short_version(kb)}"


def parse_review_pick(data: str | None) -> ReviewPick | None:
    """The step of "another entry…" ``data`` describes, or ``None`` if malformed."""
    if not data or not _fits(data):
        return None
    parts = data.split(":")
    if len(parts) < 3 or parts[0] != "r" or _PICK_PARTS.get(parts[1]) != len(parts):
        return None
    step = _PICK_STEPS[parts[1]]
    numbers = parts[2:5] if step == "section" else parts[2:4] if step == "entry" else parts[2:3]
    if not all(n.isascii() and n.isdigit() and len(n) <= 18 for n in numbers):
        return None
    values = [int(n) for n in numbers]
    if step == "section":
        return ReviewPick(step, values[0], values[1], values[2], parts[5])
    if step == "entry":
        return ReviewPick(step, values[0], values[1], 0, parts[4])
    return ReviewPick(step, values[0])


def parse_review(data: str | None) -> tuple[str, int] | None:
    """(the action, as in ``bot.feedback.ACTIONS``, and the item id), or ``None``."""
    if not data or not _fits(data):
        return None
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != "r" or parts[1] not in REVIEW_ACTIONS:
        return None
    if not parts[2].isascii() or not parts[2].isdigit() or len(parts[2]) > 18:
        return None
    return REVIEW_ACTIONS[parts[1]], int(parts[2])


def language_data(choice: str) -> str:
    """Callback data of a /language button (a ``CHOICES`` value, or :data:`AUTO`)."""
    assert choice in (*CHOICES, AUTO)
    return f"L:{choice}"


def parse_language(data: str | None) -> str | None:
    """The choice of a /language button (a ``CHOICES`` value or :data:`AUTO`), or ``None``."""
    choice = (data or "").removeprefix("L:")
    return choice if data and data.startswith("L:") and choice in (*CHOICES, AUTO) else None


def parse(data: str | None) -> Callback | None:
    """The callback described by ``data``, or ``None`` if it is malformed."""
    if not data or not _fits(data):
        return None
    if data.endswith(":" + TRADITIONAL):  # a traditional reader's button: zh, in traditional
        cb = parse(data.removesuffix(TRADITIONAL) + "zh")
        return dataclasses.replace(cb, traditional=True) if cb is not None else None
    parts = data.split(":")
    head, rest = parts[0], parts[1:]
    lang: Lang | None = None
    if rest and rest[-1] in LANGS:
        lang = rest[-1]  # type: ignore[assignment]
        rest = rest[:-1]
    if head == "T" and not rest:
        return Callback("sections", "", lang)
    if head in ("f", "fi"):
        return _parse_feedback(head, rest, lang)
    kinds: dict[str, Kind] = {"a": "entry", "c": "entry", "t": "section"}
    kind = kinds.get(head.removesuffix("i")) if head in ("a", "ai", "c", "ci", "t", "ti") else None
    if kind is None:
        return None
    choice = head.startswith("c")
    page = 0
    if kind == "section" and len(rest) == (2 if head == "t" else 3):
        if not _is_page(rest[-1]):
            return None
        page, rest = int(rest[-1]), rest[:-1]
    if head in ("a", "c", "t"):
        if len(rest) != 1 or not rest[0]:
            return None
        return Callback(kind, rest[0], lang, choice=choice, page=page)
    if len(rest) != 2 or not rest[0] or not rest[1].isascii() or not rest[1].isdigit():
        return None
    return Callback(kind, rest[1], lang, version=rest[0], choice=choice, page=page)


MAX_PAGE_DIGITS = 4


def _is_page(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= MAX_PAGE_DIGITS


def _parse_feedback(head: str, rest: list[str], lang: Lang | None) -> Callback | None:
    if not rest or rest[0] not in VOTES:
        return None
    vote: Vote = rest[0]  # type: ignore[assignment]
    rest = rest[1:]
    if head == "f":
        if len(rest) != 1 or not rest[0]:
            return None
        return Callback("feedback", rest[0], lang, vote=vote)
    if len(rest) != 2 or not rest[0] or not rest[1].isascii() or not rest[1].isdigit():
        return None
    return Callback("feedback", rest[1], lang, version=rest[0], vote=vote)


def resolve_entry(cb: Callback, kb: KnowledgeBase) -> Entry | None:
    """The entry ``cb`` (an entry or feedback button) points at in ``kb``, or ``None`` if
    stale or unknown."""
    if cb.kind not in ("entry", "feedback"):
        return None
    if cb.version is None:
        return kb.entry(cb.key)
    if cb.version != _short_version(kb):
        return None
    index = int(cb.key)
    return kb.entries[index] if index < len(kb.entries) else None


def resolve_section(cb: Callback, kb: KnowledgeBase) -> Section | None:
    """The section ``cb`` points at in ``kb``, or ``None`` if stale or unknown."""
    if cb.kind != "section":
        return None
    if cb.version is None:
        return kb.article.section(cb.key)
    if cb.version != _short_version(kb):
        return None
    index = int(cb.key)
    sections = kb.article.sections
    return sections[index] if index < len(sections) else None
