"""Inline-button callback data: compact, within Telegram's 64-byte limit, safe to forge.

Formats (``lang`` is ``zh`` or ``en``, the language to answer in, or ``zt``: Chinese in
traditional characters, which ``bot.telegram.localize`` writes into the buttons it shows a
traditional reader; optional when parsing):

- ``a:<entry_id>:<lang>`` answer an entry; ``ai:<version>:<index>:<lang>`` when the id
  would not fit (the index is only trusted while the knowledge base keeps that version);
- ``c:``/``ci:`` the same from a "did you mean" or related-entries message: once answered,
  that message's buttons are removed (they are stale);
- ``t:<section_id>:<lang>`` list a section's entries (``ti:<version>:<index>:<lang>``);
- ``T:<lang>`` back to the list of sections;
- ``f:<vote>:<entry_id>:<lang>`` the feedback row under an answer: ``vote`` is ``+`` (👍)
  or ``-`` (👎) on that entry's answer; ``fi:<vote>:<version>:<index>:<lang>`` when the id
  would not fit. Once pressed, the row is removed from the message;
- ``r:<action>:<item id>`` an admin's /review button: ``action`` is ``a`` (add the
  question to the entry), ``n`` (not in the article) or ``s`` (skip); the item id is the
  feedback store's (``bot.feedback.ReviewItem``);
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


def section_data(section: Section, kb: KnowledgeBase, lang: Lang) -> str:
    """Callback data that lists ``section``'s entries; always <= 64 bytes."""
    data = f"t:{section.id}:{lang}"
    if _fits(data) and ":" not in section.id:
        return data
    index = next(i for i, s in enumerate(kb.article.sections) if s.id == section.id)
    return f"ti:{_short_version(kb)}:{index}:{lang}"


def sections_data(lang: Lang) -> str:
    return f"T:{lang}"


def review_data(action: str, item_id: int) -> str:
    """Callback data of a /review button (``action``: a key of ``REVIEW_ACTIONS``)."""
    assert action in REVIEW_ACTIONS
    return f"r:{action}:{int(item_id)}"


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
    if head in ("a", "c", "t"):
        if len(rest) != 1 or not rest[0]:
            return None
        return Callback(kind, rest[0], lang, choice=choice)
    if len(rest) != 2 or not rest[0] or not rest[1].isascii() or not rest[1].isdigit():
        return None
    return Callback(kind, rest[1], lang, version=rest[0], choice=choice)


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
