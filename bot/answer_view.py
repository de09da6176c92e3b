"""What any front end shows for one question: the answer view and the readers' texts.

Pure (no Telegram, no I/O). :func:`build` turns a ``MatchResult`` into an
:class:`AnswerView`, deciding once what the reader sees:

* ``answer``: the answer in the question's language, with its source (article, section,
  paragraph label and the verbatim quote);
* ``choose``: a close call, with the entries the reader may have meant;
* ``smalltalk``: a greeting or thanks;
* ``not_found``: the article does not say (``suggestions`` may hold related entries).

The front ends are thin renderings of the view: ``bot.answers`` (terminal text and the
``ask --json`` contract) and ``bot.telegram.render`` (HTML). The texts readers see around
an answer (:data:`READER_TEXTS`: no answer, did you mean, greeting, thanks, source label)
live here, in plain text, so the terminal and Telegram say the same; Telegram appends its
own hints (``/topics``) in ``bot.telegram.texts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot import support
from bot.model import Entry, KnowledgeBase, Lang, MatchResult, Status

Kind = Literal["answer", "smalltalk", "choose", "not_found"]

# Plain text (no markup); Telegram escapes them. Every key in both languages.
READER_TEXTS: dict[str, dict[Lang, str]] = {
    "no_answer": {
        "zh": "抱歉,文章没有提到这一点。",
        "en": "Sorry, the article does not say.",
    },
    "no_answer_related": {
        "zh": "抱歉,文章没有提到这一点。下面是文章里相关的内容:",
        "en": "Sorry, the article does not say that. Related parts of the article:",
    },
    "did_you_mean": {"zh": "你是想问下面哪一个?", "en": "Did you mean one of these?"},
    "did_you_mean_one": {"zh": "你是想问「{question}」吗?", "en": "Did you mean “{question}”?"},
    "greeting": {
        "zh": "你好!关于这篇文章,你想了解什么?",
        "en": "Hello! What would you like to know about the article?",
    },
    "thanks": {"zh": "不客气!还有问题随时问我。", "en": "You're welcome! Ask me anytime."},
    "source_label": {"zh": "出处", "en": "Source"},
    "paragraph": {"zh": "第{n}段", "en": "paragraph {n}"},
    "heading": {"zh": "小标题", "en": "section heading"},
    "byline": {"zh": "署名", "en": "byline"},
    "original": {"zh": "原文:", "en": "Original (Chinese):"},
    "source_link": {"zh": "原文链接", "en": "Read the article"},
}
SMALLTALK_KINDS = ("greeting", "thanks")


def reader_text(key: str, lang: Lang, **values: object) -> str:
    """The ``key`` reader text in ``lang`` (plain text), with ``values`` filled in."""
    text = READER_TEXTS[key][lang]
    return text.format(**values) if values else text


def paragraph_label(kb: KnowledgeBase, pid: str, lang: Lang) -> str:
    """Where in its section a cited paragraph is: "第2段" / "paragraph 2" / "小标题"."""
    para = kb.article.paragraph(pid)
    if para is not None and para.heading:
        return reader_text("heading", lang)
    number = kb.article.paragraph_number(pid)
    if not number:
        return pid
    return reader_text("paragraph", lang, n=number)


@dataclass(frozen=True, slots=True)
class Source:
    """Where an answer comes from."""

    article_id: str
    article_title: str  # as published (Chinese): what ``ask --json`` cites
    title: str  # the article's title in the reader's language
    section_title: str  # in the reader's language; "" if the section is unknown
    paragraph_id: str
    paragraph_label: str  # 第2段 / paragraph 2 / 小标题 / 署名
    quote: str  # verbatim from the article (what ``ask --json`` cites)
    shown: str = ""  # what readers see: the quote, or the article's clean byline
    support: tuple[tuple[int, int], ...] = ()  # [start, end) spans of ``shown`` to bold
    original: bool = False  # ``shown`` is the Chinese original under an English answer
    source_url: str = ""  # the article's web address, or ""

    @property
    def pieces(self) -> list[tuple[str, bool]]:
        """``shown`` as ``(text, bold)`` pieces (the support in bold)."""
        return support.split(self.shown, self.support)


@dataclass(frozen=True, slots=True)
class Choice:
    """An entry offered to the reader ("did you mean", or related to an unanswered one)."""

    entry_id: str
    question: str  # the matched question variant, as the matcher reported it
    score: float
    label: str  # what to show: the question, or the entry's label if that is empty


@dataclass(frozen=True, slots=True)
class AnswerView:
    """Everything a front end shows for one question (see the module docstring)."""

    kind: Kind
    question: str
    status: Status  # the matcher's decision, kept for the JSON contract
    lang: Lang
    score: float
    entry_id: str | None = None
    answer: str | None = None  # the answer text, in ``lang`` (kind "answer")
    source: Source | None = None  # kind "answer"
    suggestions: tuple[Choice, ...] = ()  # still-existing entries, best first
    smalltalk: str | None = None  # "greeting" | "thanks" | None
    # a message asking two things: the second answer, each with its own source
    also: tuple[AnswerView, ...] = ()
    browse: bool = False  # only a topic, shared by several entries: browsing the article helps

    @property
    def message_key(self) -> str:
        """The :data:`READER_TEXTS` key of the message for kinds other than ``answer``."""
        if self.kind == "smalltalk":
            return self.smalltalk or "greeting"
        if self.kind == "choose":
            return "did_you_mean_one" if len(self.suggestions) == 1 else "did_you_mean"
        return "no_answer_related" if self.suggestions else "no_answer"

    @property
    def message_values(self) -> dict[str, str]:
        """What the message of ``message_key`` fills in: the one question it offers."""
        if self.message_key == "did_you_mean_one":
            return {"question": self.suggestions[0].label.rstrip("?？ ")}
        return {}


def source_of(entry: Entry, kb: KnowledgeBase, lang: Lang) -> Source:
    """The source of ``entry``'s answer. An entry citing the byline (``cite.byline``) shows
    the article's clean byline in ``lang``; any other shows its verbatim quote, labelled as
    the Chinese original under an English answer. The part of it that supports the answer
    is marked for bold (``bot.support``)."""
    article = kb.article
    section = article.section(entry.section_id)
    cite = entry.citation
    byline = article.byline_in(lang) if cite.byline else ""
    shown = byline or cite.quote
    parts = None if byline else cite.support
    return Source(
        article_id=article.id,
        article_title=article.title,
        title=article.title_en if lang == "en" else article.title,
        section_title=section.title_in(lang) if section else "",
        paragraph_id=cite.paragraph,
        paragraph_label=(
            reader_text("byline", lang) if byline else paragraph_label(kb, cite.paragraph, lang)
        ),
        quote=cite.quote,
        shown=shown,
        support=support.support_spans(shown, parts, answer_in(entry, lang if byline else "zh")),
        original=lang == "en" and not byline,
        source_url=article.source_url,
    )


def answer_in(entry: Entry, lang: Lang) -> str:
    """The entry's answer in ``lang`` (falling back to Chinese, then any language)."""
    return entry.answer.get(lang) or entry.answer.get("zh") or next(iter(entry.answer.values()))


def entry_view(entry: Entry, kb: KnowledgeBase, lang: Lang, question: str = "") -> AnswerView:
    """The answer view of one entry (a "did you mean" or browsing button was pressed)."""
    return AnswerView(
        kind="answer",
        question=question,
        status="answered",
        lang=lang,
        score=0.0,
        entry_id=entry.id,
        answer=answer_in(entry, lang),
        source=source_of(entry, kb, lang),
    )


def build(result: MatchResult, kb: KnowledgeBase, lang: Lang | None = None) -> AnswerView:
    """The answer view of a match result against ``kb`` (the base it was matched on), in
    ``lang`` (default: the question's; a reader's explicit choice may say otherwise).

    Suggested entries missing from ``kb`` (a reload happened in between) are dropped; a
    close call left with nothing to offer becomes ``not_found``.
    """
    lang = lang or result.lang
    choices = []
    for s in result.suggestions:
        entry = kb.entry(s.entry_id)
        if entry is not None:
            # the matched question is in the question's language: another one shows the
            # entry's own label in ``lang``
            shown = s.question if lang == result.lang else ""
            choices.append(Choice(s.entry_id, s.question, s.score, shown or entry.label(lang)))
    common = {
        "question": result.question,
        "status": result.status,
        "lang": lang,
        "score": result.score,
        "suggestions": tuple(choices),
        "smalltalk": result.smalltalk,
    }
    entry = result.entry
    if result.status == "answered" and entry is not None:
        also = tuple(
            entry_view(other, kb, lang, result.question)
            for r in result.also
            if r.entry is not None and (other := kb.entry(r.entry.id)) is not None
        )
        return AnswerView(
            kind="answer",
            entry_id=entry.id,
            answer=answer_in(entry, lang),
            source=source_of(entry, kb, lang),
            also=also,
            **common,
        )
    if result.status == "ambiguous" and choices:
        return AnswerView(kind="choose", browse=result.reason == "bare topic", **common)
    if result.smalltalk in SMALLTALK_KINDS:
        return AnswerView(kind="smalltalk", **common)
    return AnswerView(kind="not_found", **common)
