"""Shareable answers: the payload of a ``https://t.me/<bot>?start=<payload>`` deep link.

Pure (no Telegram, no I/O). A payload names one entry, and optionally the language it was
answered in, with at most 64 characters from ``A-Za-z0-9_-`` (Telegram's rule for
``start`` parameters). It is derived from the entry id alone, so it stays valid across
reloads for as long as the entry exists:

- ``<entry id>`` or ``<entry id>_<lang>`` when the id is made of ``A-Za-z0-9-`` and fits
  (every id the knowledge loader accepts today, ``[a-z0-9]+(-[a-z0-9]+)*``, is);
- ``_<hash>`` or ``_<hash>_<lang>`` otherwise: ``<hash>`` is the first 24 hex digits of the
  id's SHA-256, looked up among the entries of the base (an id never contains ``_`` in the
  first form, so the two cannot be confused).

``lang`` is ``zh`` or ``en``. Anything else (forged, cut, or an entry since removed)
decodes or resolves to ``None``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.model import LANGS, Entry, KnowledgeBase, Lang

MAX_PAYLOAD = 64  # Telegram's limit for the start parameter
HASH_CHARS = 24  # 96 bits of SHA-256: no collision among a few thousand entries
HASH_MARK = "_"
_PLAIN_ID = re.compile(r"[A-Za-z0-9-]+")
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HASH = re.compile(rf"[0-9a-f]{{{HASH_CHARS}}}")
_LANG_ROOM = 3  # "_zh"


@dataclass(frozen=True, slots=True)
class Shared:
    """A decoded payload: the entry's id (``hashed`` False) or its id's hash, and the
    language the answer was shared in (``None``: the reader's)."""

    key: str
    hashed: bool = False
    lang: Lang | None = None


def id_hash(entry_id: str) -> str:
    """The stable short hash that stands for an id too long or odd for a payload."""
    return hashlib.sha256(entry_id.encode("utf-8")).hexdigest()[:HASH_CHARS]


def encode(entry_id: str, lang: Lang | None = None) -> str:
    """The payload naming ``entry_id`` (and ``lang``); always valid for Telegram."""
    fits = len(entry_id) <= MAX_PAYLOAD - _LANG_ROOM
    key = entry_id if fits and _PLAIN_ID.fullmatch(entry_id) else HASH_MARK + id_hash(entry_id)
    return f"{key}_{lang}" if lang is not None else key


def decode(payload: str) -> Shared | None:
    """What ``payload`` names, or ``None`` if it is malformed (it comes from users)."""
    if not _PAYLOAD.fullmatch(payload):
        return None
    lang: Lang | None = None
    for candidate in LANGS:
        if payload.endswith("_" + candidate):
            lang = candidate
            payload = payload[: -len(candidate) - 1]
            break
    if payload.startswith(HASH_MARK):
        digest = payload[len(HASH_MARK) :]
        return Shared(digest, hashed=True, lang=lang) if _HASH.fullmatch(digest) else None
    return Shared(payload, lang=lang) if _PLAIN_ID.fullmatch(payload) else None


def find(shared: Shared, entries: Iterable[Entry]) -> Entry | None:
    """The entry ``shared`` names among ``entries``, or ``None``."""
    if shared.hashed:
        return next((e for e in entries if id_hash(e.id) == shared.key), None)
    return next((e for e in entries if e.id == shared.key), None)


def resolve(payload: str, kb: KnowledgeBase) -> tuple[Entry, Lang | None] | None:
    """The entry (and language) ``payload`` shares in ``kb``; ``None`` if it is malformed
    or the entry is gone."""
    shared = decode(payload)
    if shared is None:
        return None
    entry = find(shared, kb.entries) if shared.hashed else kb.entry(shared.key)
    return (entry, shared.lang) if entry is not None else None


def deep_link(username: str, payload: str) -> str:
    """``https://t.me/<username>?start=<payload>``: opens the bot, which answers the entry."""
    return f"https://t.me/{username}?start={payload}"
