"""Shortening a text to a button label without cutting a word in half.

Pure. English is cut at a space, Chinese after a punctuation mark (or, failing one in the
second half, between two characters), and a run of Latin letters or digits (``12345``,
``20.55``, ``Lianyungang``) is never split unless it alone is longer than the label.
"""

from __future__ import annotations

ELLIPSIS = "…"
# marks a Chinese (or English) label may be cut after
_PUNCTUATION = set(",。、;:!?,.;:!?)》」』”’")
# dangling marks dropped before the ellipsis
_DANGLING = " ,。、;:,;:-—(《「『“‘(·"
_JOINERS = set(".,'’-")  # inside a word or number when flanked by word characters


def _cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3000" <= ch <= "\u303f"


def _wordy(ch: str) -> bool:
    return ch.isalnum() and not _cjk(ch)


def splits_word(text: str, at: int) -> bool:
    """Would cutting ``text`` before index ``at`` split a Latin word or a number?"""
    if at <= 0 or at >= len(text):
        return False
    before, after = text[at - 1], text[at]
    if _wordy(before) and _wordy(after):
        return True
    if before in _JOINERS and at >= 2 and _wordy(text[at - 2]) and _wordy(after):
        return True
    return after in _JOINERS and _wordy(before) and at + 1 < len(text) and _wordy(text[at + 1])


def _cut(text: str, budget: int) -> int:
    """Where to cut ``text`` so that at most ``budget`` characters stay."""
    for at in range(budget, budget // 2, -1):  # a space or punctuation in the second half
        boundary = text[at] == " " or text[at - 1] == " " or text[at - 1] in _PUNCTUATION
        if boundary and not splits_word(text, at):
            return at
    for at in range(budget, 0, -1):  # any character boundary outside a word
        if not splits_word(text, at):
            return at
    return budget  # one word longer than the label: nothing better is possible


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters; a longer one is cut at a word
    boundary (see the module docstring) and ends with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    budget = max(limit - len(ELLIPSIS), 1)
    head = text[: _cut(text, budget)].rstrip(_DANGLING)
    return (head or text[:budget]) + ELLIPSIS
