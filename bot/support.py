"""Which part of a cited quote supports the answer (shown in bold under the answer).

Pure. An entry may name the part itself (``cite.support`` in ``knowledge/qa/*.yaml``, each a
verbatim piece of the quote); otherwise it is found automatically: the longest runs the
quote shares with the entry's Chinese answer, kept only when long enough to mean something
(``MIN_RUN`` letters or digits; below ``SHORT_RUN`` only the longest run or one holding a
number, so that a stray 连云港市 is not bold) and when they do not cover (nearly) the whole
quote, where bold would say nothing.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher

Span = tuple[int, int]  # [start, end) in the quote

MIN_RUN = 4  # letters/digits a run needs to be bold (宣讲分团, 66个基地, 96.78)
SHORT_RUN = 2 * MIN_RUN  # a shorter run is kept only if it is the longest or holds a number
MAX_GAP = 2  # runs this close, with only punctuation or spaces between them, are one run
MAX_COVER = 0.85  # runs covering more of the quote than this are not shown at all


def _meaningful(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"


def _weight(text: str) -> int:
    return sum(1 for ch in text if _meaningful(ch))


def _trim(quote: str, start: int, end: int) -> Span:
    """``[start, end)`` without punctuation or spaces at either end (a closing % stays)."""
    while start < end and not _meaningful(quote[start]):
        start += 1
    while end > start and not _meaningful(quote[end - 1]) and quote[end - 1] not in "%%":
        end -= 1
    return start, end


_PAIRS = ("“”", "‘’", "《》", "「」", "()", "()")


def _balance(quote: str, start: int, end: int) -> Span:
    """Widen ``[start, end)`` by the quote mark or bracket it opens or closes but leaves out
    (``12345”热线`` → ``“12345”热线``)."""
    for opening, closing in _PAIRS:
        text = quote[start:end]
        if text.count(closing) > text.count(opening) and start > 0 and quote[start - 1] == opening:
            start -= 1
        elif text.count(opening) > text.count(closing) and quote[end : end + 1] == closing:
            end += 1
    return start, end


def explicit_spans(quote: str, parts: tuple[str, ...]) -> tuple[Span, ...]:
    """Where each of ``parts`` (verbatim pieces of ``quote``) first occurs, merged, in order."""
    spans = []
    for part in parts:
        at = quote.find(part)
        if part and at >= 0:
            spans.append((at, at + len(part)))
    return _merge(sorted(spans), quote, gap=0)


def automatic_spans(quote: str, answer: str) -> tuple[Span, ...]:
    """The long runs ``quote`` shares with ``answer`` (see the module docstring)."""
    if not quote or not answer:
        return ()
    matcher = SequenceMatcher(None, quote, answer, autojunk=False)
    raw = [(a, a + n) for a, _, n in matcher.get_matching_blocks() if n]
    spans = [_trim(quote, s, e) for s, e in _merge(raw, quote, gap=MAX_GAP)]
    spans = [(s, e) for s, e in spans if _weight(quote[s:e]) >= MIN_RUN]
    longest = max((_weight(quote[s:e]) for s, e in spans), default=0)
    spans = [
        _balance(quote, s, e)
        for s, e in spans
        if _weight(quote[s:e]) in (longest, *range(SHORT_RUN, longest))
        or any(ch.isdigit() for ch in quote[s:e])
    ]
    covered = sum(_weight(quote[s:e]) for s, e in spans)
    if covered > MAX_COVER * max(_weight(quote), 1):
        return ()
    return tuple(spans)


def support_spans(quote: str, parts: tuple[str, ...] | None, answer: str) -> tuple[Span, ...]:
    """The bold spans of ``quote``: the entry's own ``parts`` if it names them (``()``: none),
    else the automatic ones against ``answer`` (the entry's Chinese answer)."""
    if parts is not None:
        return explicit_spans(quote, parts)
    return automatic_spans(quote, answer)


def split(quote: str, spans: tuple[Span, ...]) -> list[tuple[str, bool]]:
    """``quote`` cut into ``(text, bold)`` pieces that join back to it exactly."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in spans:
        if start > at:
            pieces.append((quote[at:start], False))
        pieces.append((quote[start:end], True))
        at = end
    if at < len(quote):
        pieces.append((quote[at:], False))
    return pieces


def _merge(spans: list[Span], quote: str, *, gap: int) -> tuple[Span, ...]:
    """Sorted ``spans`` with overlapping ones, and ones at most ``gap`` characters of
    punctuation or spaces apart, joined."""
    out: list[Span] = []
    for start, end in spans:
        if out:
            last_start, last_end = out[-1]
            between = quote[last_end:start]
            if start <= last_end or (len(between) <= gap and _weight(between) == 0):
                out[-1] = (last_start, max(last_end, end))
                continue
        out.append((start, end))
    return tuple(out)
