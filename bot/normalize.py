"""Text normalisation and tokenisation for matching Chinese and English questions.

Pure functions, no I/O. Chinese has no spaces, so Chinese text is indexed as character
unigrams and bigrams within runs of Han characters; numbers and Latin words are whole
tokens. English text is lower-cased, stop words dropped and lightly stemmed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from .lexicons import t2s_chars, t2s_table, word_list, word_pairs

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{HAN}]")
_LATIN_RE = re.compile(r"[a-z]")
# One token: a run of Han characters, a number (with decimals), or a Latin word.
_TOKEN_RE = re.compile(rf"[{HAN}]+|\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)?")
_SPACES = re.compile(r"\s+")

# Chinese numerals in counts ("三个分团", "四条线路") become digits, as the article writes them.
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# The measure words after which a Chinese count becomes digits (bot/data/zh_measure_words.txt).
MEASURE_WORDS = "".join(word_list("zh_measure_words.txt"))
_CN_COUNT_RE = re.compile(
    rf"([零一二两三四五六七八九十百千]{{1,8}})(?=[{MEASURE_WORDS}万亿余多米元岁人]|平方)"
    r"|(?<![一二三四五六七八九十])([一二三四五六七八九十]{1,3})(?=月[一二三四五六七八九十\d]|月份|[日号])"
)

# Polite framing and particles that carry no content (longest first): see
# bot/data/zh_fillers.txt.
ZH_FILLERS = sorted(word_list("zh_fillers.txt"), key=len, reverse=True)
_ZH_FILLER_RE = re.compile("|".join(map(re.escape, ZH_FILLERS)))

# English stop words (bot/data/en_stopwords.txt); whole messages that are small talk
# (bot/data/greetings.txt, bot/data/thanks.txt).
EN_STOP = frozenset(word_list("en_stopwords.txt"))
GREETINGS = frozenset(word_list("greetings.txt"))
THANKS = frozenset(word_list("thanks.txt"))


@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    """Traditional characters (and words) to simplified ones, exactly as zhconv's
    ``convert(text, "zh-cn")``: at each position the longest word of the table, else the
    character. Only where a longer word may begin is that searched; elsewhere a character
    maps alone (``str.translate``)."""
    if text.isascii():  # English: nothing to convert
        return text
    chars, starts = t2s_chars()
    out: list[str] = []
    done = 0  # text[:done] is converted
    for m in starts.finditer(text):
        pos = m.start()
        if pos < done:
            continue  # inside a word already converted
        word, end = _longest_word(text, pos)
        if end - pos > 1:
            out.append(text[done:pos].translate(chars))
            out.append(word)
            done = end
    out.append(text[done:].translate(chars))
    return "".join(out)


def _longest_word(text: str, pos: int) -> tuple[str, int]:
    """The longest word of the table at ``pos`` (converted) and where it ends; the
    character itself if none."""
    table, reach = t2s_table()
    found, end = text[pos], pos + 1
    for i in range(min(len(text), pos + reach.get(text[pos], 1)), pos + 1, -1):
        word = table.get(text[pos:i])
        if word is not None:
            return word, i
    return found, end


def _cn_count(match: re.Match[str]) -> str:
    text = match.group(1) or match.group(2)
    value = cn_number(text)
    return text if value is None else str(value)


def cn_number(text: str) -> int | None:
    """The value of a Chinese numeral below ten thousand (一百五十 150, 两千 2000, 十二 12,
    一百零五 105), or ``None`` if ``text`` is not one (一二, 百十). 万 and 亿 stay words:
    the article writes 3万, 20.55万."""
    total, digit, last_unit = 0, None, 10_000
    for ch in text:
        if ch == "零":
            continue
        if ch in _CN_DIGITS:
            if digit is not None:
                return None  # two digits in a row: not a numeral
            digit = _CN_DIGITS[ch]
            continue
        unit = _CN_UNITS.get(ch)
        if unit is None:
            return None  # not a numeral character (多, 余 ...)
        if unit >= last_unit:
            return None  # units must fall: 十百 is no numeral
        total += (1 if digit is None else digit) * unit
        digit, last_unit = None, unit
    return total + (digit or 0)


# Ways of asking the same thing, reduced to one form so that "巾帼宣讲会日期" matches a
# stored "巾帼宣讲会是哪天" (applied to questions and stored variants alike): see
# bot/data/zh_question_forms.txt.
QUESTION_FORMS = word_pairs("zh_question_forms.txt")


class Synonyms:
    """Everyday words readers use for what the article says otherwise, mapped to the
    article's word (a knowledge base's ``synonyms.txt``), with the ways of asking
    (``QUESTION_FORMS``). ``normalize`` applies them to questions and to the knowledge base
    alike, so a pair never makes two entries differ."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        zh: dict[str, str] = {}
        self.en: dict[str, str] = {}
        for reader, word in pairs:
            (self.en if reader.isascii() else zh)[reader] = word
        self.zh = zh | QUESTION_FORMS
        self._zh_re = re.compile("|".join(map(re.escape, sorted(self.zh, key=len, reverse=True))))

    def zh_words(self, text: str) -> str:
        return self._zh_re.sub(lambda m: self.zh[m.group(0)], text)


@lru_cache(maxsize=8)
def synonyms(pairs: tuple[tuple[str, str], ...] = ()) -> Synonyms:
    """The ``Synonyms`` of a knowledge base's pairs (made once per table)."""
    return Synonyms(pairs)


_POSSESSIVE_RE = re.compile(r"(?<=[a-z])['’]s\b")
_THOUSANDS_RE = re.compile(r"(\d),(\d{3})")


def normalize(text: str, words: Synonyms | None = None) -> str:
    """Width, case, traditional→simplified, Chinese counts→digits, everyday synonyms →
    the article's words; punctuation→space."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = to_simplified(text)
    text = _CN_COUNT_RE.sub(_cn_count, text)
    words = words or synonyms()
    text = words.zh_words(text)
    if "," in text:
        text = _THOUSANDS_RE.sub(r"\1\2", text)  # 205,500 -> 205500
    if "'" in text or "’" in text:
        text = _POSSESSIVE_RE.sub("", text)  # Guanyun's -> Guanyun
    return " ".join(words.en.get(t, t) for t in _TOKEN_RE.findall(text))


def detect_lang(text: str) -> str:
    """'zh' if the text is mostly Chinese, else 'en'."""
    han = len(_HAN_RE.findall(text))
    if not han:
        return "en"
    latin = len(_LATIN_RE.findall(text.lower()))
    return "en" if latin > 3 * han else "zh"


def strip_fillers(norm: str) -> str:
    """Drop polite framing and particles from normalised Chinese text."""
    return _SPACES.sub(" ", _ZH_FILLER_RE.sub(" ", norm)).strip()


# Questions about the bot itself get the greeting (which says what the bot is and does):
# see bot/data/about_bot.txt.
ABOUT_BOT = list(word_list("about_bot.txt"))


@lru_cache(maxsize=1)
def _about_bot() -> frozenset[str]:
    return frozenset(strip_fillers(normalize(p)).replace(" ", "") for p in ABOUT_BOT)


@lru_cache(maxsize=8)
def _smalltalk_forms(words: Synonyms | None) -> tuple[frozenset[str], frozenset[str]]:
    """Greetings and thanks as written and as questions reach ``smalltalk_kind``
    (normalised with ``words``, fillers stripped, no spaces: "在吗" is "在")."""

    def forms(phrases: frozenset[str]) -> frozenset[str]:
        said = {strip_fillers(normalize(p, words)).replace(" ", "") for p in phrases}
        return frozenset(phrases | (said - {""}))

    return forms(GREETINGS), forms(THANKS)


def smalltalk_kind(norm: str, words: Synonyms | None = None) -> str | None:
    """'greeting' or 'thanks' if the whole message is small talk, else None. ``norm`` is
    the message normalised with ``words`` (a knowledge base's synonyms), fillers stripped."""
    text = norm.strip()
    compact = text.replace(" ", "")
    if compact in _about_bot():
        return "greeting"
    greetings, thanks = _smalltalk_forms(words)
    for kind, phrases in (("thanks", thanks), ("greeting", greetings)):
        if text in phrases or compact in phrases:
            return kind
        # e.g. "你好 谢谢" / "hi thanks": every token is small talk of some kind
    tokens = text.split()
    if tokens and all(t in greetings or t in thanks for t in tokens):
        return "thanks" if any(t in thanks for t in tokens) else "greeting"
    return None


# British spellings (and a few plurals) and the forms they stem as (bot/data/en_spellings.txt)
_SPELLINGS = dict(word_pairs("en_spellings.txt"))
_ISE_RE = re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations)$")
_INVARIANT = frozenset({"series", "species", "news"})  # -s words that are not plurals


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stemmer that maps 'bases'/'base'/'based', 'activities'/'activity',
    'studies'/'studied', 'uses'/'used' alike, after British spellings become American
    ('organised'/'organized', 'centre'/'center')."""
    if len(word) <= 3 or word in _INVARIANT:
        return word
    word = _ISE_RE.sub(r"iz\1", _SPELLINGS.get(word, word))
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
        if suffix == "ed" and len(word) == 4 and word.endswith("ed") and word[1] not in "aeiou":
            word = word[:2] + "e"  # used -> use, aged -> age (need stays)
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def han_terms(run: str) -> Iterable[str]:
    """Unigrams and bigrams of one run of Han characters."""
    yield from run
    for i in range(len(run) - 1):
        yield run[i : i + 2]


def zh_terms(norm: str) -> list[str]:
    """Index terms of normalised Chinese text (fillers already stripped by the caller)."""
    out: list[str] = []
    for tok in norm.split():
        if _HAN_RE.match(tok):
            out.extend(han_terms(tok))
        elif tok[0].isdigit() or tok not in EN_STOP:
            out.append(tok)
    return out


def en_terms(norm: str) -> list[str]:
    """Index terms of normalised English text: stemmed content words and numbers."""
    out: list[str] = []
    for tok in norm.split():
        if _HAN_RE.match(tok):
            out.extend(han_terms(tok))
        elif tok[0].isdigit():
            out.append(tok)
        elif tok not in EN_STOP and len(tok) > 1:
            out.append(stem(tok))
    if not out:  # "What is this article about?": the framing words are the content
        out = [stem(tok) for tok in norm.split() if tok not in _EN_ARTICLES]
    return out


_EN_ARTICLES = frozenset("a an the is are was of s".split())


def is_number(term: str) -> bool:
    return term[:1].isdigit()


def is_han(term: str) -> bool:
    return bool(_HAN_RE.match(term))
