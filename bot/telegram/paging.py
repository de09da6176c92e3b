"""Paging math for browsing lists of buttons (pure).

Pages are numbered from 0; a page number out of range (an old button, forged data) is
clamped to the nearest page, so every press shows something.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

PAGE_SIZE = 8  # entry buttons per page of a /topics section


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    number: int  # 0-based
    count: int  # pages in all (at least 1)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 0 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number + 1 < self.count else None


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """How many pages ``total`` items fill (an empty list is one empty page)."""
    return max(1, -(-total // size))


def page(items: Sequence[T], number: int, size: int = PAGE_SIZE) -> Page[T]:
    """Page ``number`` of ``items`` (clamped into range)."""
    count = page_count(len(items), size)
    number = min(max(number, 0), count - 1)
    return Page(tuple(items[number * size : (number + 1) * size]), number, count)
