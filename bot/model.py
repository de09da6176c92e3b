"""Plain data types of the knowledge base: the article, its Q&A entries, and match results.

Pure: no I/O and nothing from Telegram. The loader (``bot.knowledge``) builds these; the
matcher (``bot.matcher``) reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

Lang = Literal["zh", "en"]
Status = Literal["answered", "ambiguous", "no_match"]
LANGS: tuple[Lang, ...] = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Paragraph:
    id: str
    section_id: str
    text: str
    heading: bool = False  # the section's sub-heading rather than body text


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    title_en: str
    paragraphs: tuple[Paragraph, ...]

    def title_in(self, lang: Lang) -> str:
        return self.title_en if lang == "en" else self.title


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    title_en: str
    authors: tuple[str, ...]
    authors_en: tuple[str, ...]
    date: str
    origin: str
    origin_en: str
    site: str
    site_en: str
    views: int
    sections: tuple[Section, ...]
    raw_text: str = ""  # the raw scraped page, for verbatim checks
    source_url: str = ""  # where the article is published (http/https), or ""
    byline: str = ""  # a clean byline (authors, origin, date) to cite instead of the header
    byline_en: str = ""

    def byline_in(self, lang: Lang) -> str:
        return (self.byline_en if lang == "en" else self.byline) or self.byline

    def paragraph(self, pid: str) -> Paragraph | None:
        for section in self.sections:
            for p in section.paragraphs:
                if p.id == pid:
                    return p
        return None

    def section(self, sid: str) -> Section | None:
        return next((s for s in self.sections if s.id == sid), None)

    def paragraph_number(self, pid: str) -> int:
        """1-based position of a body paragraph within its section, headings not counted
        (0 if unknown or a heading)."""
        for section in self.sections:
            body = [p for p in section.paragraphs if not p.heading]
            for n, p in enumerate(body, 1):
                if p.id == pid:
                    return n
        return 0


@dataclass(frozen=True, slots=True)
class Citation:
    """The sentence an entry rests on. ``support`` and ``byline`` only change how it is
    shown, so two citations of the same sentence are equal whatever they say."""

    paragraph: str
    quote: str
    # verbatim parts of ``quote`` to show in bold; ``None``: found automatically; ``()``: none
    support: tuple[str, ...] | None = field(default=None, compare=False)
    byline: bool = field(default=False, compare=False)  # show the article's clean byline


@dataclass(frozen=True, slots=True)
class Entry:
    """One question-and-answer entry: many ways to ask, one answer, one cited quote."""

    id: str
    questions: dict[Lang, tuple[str, ...]]
    answer: dict[Lang, str]
    citation: Citation
    section_id: str  # the section of the cited paragraph (used to browse by topic)
    source_file: str = field(default="", compare=False)  # where it was defined, for messages
    line: int = field(default=0, compare=False)
    question_lines: dict[str, int] = field(default_factory=dict, compare=False)  # text -> line

    def label(self, lang: Lang) -> str:
        """A short title for buttons: the first question in ``lang`` (or any language)."""
        qs = self.questions.get(lang) or self.questions.get("zh") or ()
        return qs[0] if qs else self.id


@dataclass(frozen=True)
class KnowledgeBase:
    article: Article
    entries: tuple[Entry, ...]
    version: str  # short content hash of all knowledge files
    # reader's word -> the article's word (``synonyms.txt``), applied by normalisation
    synonyms: tuple[tuple[str, str], ...] = ()
    examples: tuple[str, ...] = ()  # ids of the entries whose questions /start offers
    # sentences deliberately cited by no entry (``coverage.yaml``): (paragraph id, sentence,
    # reason), in file order
    not_covered: tuple[tuple[str, str, str], ...] = ()
    # questions reviewed as not answered by the article (``unanswerable.yaml`` and the
    # overlay's ``not_in_article``): the same wording is refused, whatever it resembles
    unanswerable: tuple[str, ...] = ()

    @cached_property
    def _by_id(self) -> dict[str, Entry]:
        return {e.id: e for e in self.entries}

    def entry(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def entries_in_section(self, section_id: str) -> list[Entry]:
        return [e for e in self.entries if e.section_id == section_id]


@dataclass(frozen=True, slots=True)
class Suggestion:
    entry_id: str
    question: str
    score: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What the matcher decided for one question."""

    question: str
    status: Status
    lang: Lang
    entry: Entry | None = None
    score: float = 0.0
    suggestions: tuple[Suggestion, ...] = ()
    smalltalk: str | None = None  # "greeting" | "thanks" | None
    reason: str = ""  # short machine-readable why (for logs and eval), not shown to readers
    extra: dict[str, float] = field(default_factory=dict)
    # a message asking two things: the answer to the second, when another entry answers it
    also: tuple[MatchResult, ...] = ()
