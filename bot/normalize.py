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

import zhconv

from .lexicons import synonym_tables

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
    "十": 10,
}
MEASURE_WORDS = "个条名家项件本处次场位支座所篇段"
_CN_COUNT_RE = re.compile(
    rf"([一二两三四五六七八九十]{{1,3}})(?=[{MEASURE_WORDS}万])"
    r"|(?<![一二三四五六七八九十])([一二三四五六七八九十]{1,3})(?=月[一二三四五六七八九十\d]|月份|[日号])"
)

# Polite framing and particles that carry no content (longest first).
ZH_FILLERS = sorted(
    """
    请问 请教一下 请教 请告诉我 告诉我 麻烦问一下 麻烦问下 麻烦 想问一下 想问下
    想问 问一下 问下 我想知道 想知道 我想了解 了解一下 能不能告诉我 能告诉我
    可以告诉我 你知道 你们知道 谁知道 一下 帮我查 帮我看看 查一下 我问你 小助手
    那边 这边 那场 那次 那位 这位 那些 来着 到底 究竟
    机器人 哈哈 嗯嗯 那个 这个嘛 啊 呀 吧 呢 吗 嘛 哦 啦 哇 呗
    """.split(),
    key=len,
    reverse=True,
)
_ZH_FILLER_RE = re.compile("|".join(map(re.escape, ZH_FILLERS)))

EN_STOP = frozenset(
    """
    a an the of in on at to for from by with about into over under and or but is are was
    were be been being do does did done have has had having i me my we our you your he she
    it its they them their this that these those there here what which who whom whose when
    where why how please could would can will shall should may might must tell say says
    said know let us any some article text story report mention mentioned mentions
    according whats what's s t also just much many number amount total per than then so as
    if not no yes ok okay hey hi hello themselves itself himself herself ourselves yourself
    yourselves myself
    """.split()
)

GREETINGS = frozenset(
    """
    你好 您好 你们好 大家好 早上好 上午好 中午好 下午好 晚上好 晚安 早安 早 嗨 哈喽 哈啰 在吗 在不在
    """.split()
) | {
    "good morning",
    "good afternoon",
    "good evening",
    "hi there",
    "hello there",
    "morning",
    "hi",
    "hello",
    "hey",
    "hiya",
    "yo",
    "greetings",
    "howdy",
}
THANKS = frozenset(
    """
    谢谢 谢谢你 谢谢您 多谢 感谢 非常感谢 谢啦 谢了 好的谢谢 辛苦了 再见 拜拜
    """.split()
) | {
    "thanks",
    "thank you",
    "thx",
    "ty",
    "many thanks",
    "thanks a lot",
    "thank you very much",
    "cheers",
    "bye",
    "goodbye",
    "ok thanks",
    "great thanks",
    "thanks so much",
}


@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    if text.isascii():  # English: nothing to convert, and zhconv is slow
        return text
    return zhconv.convert(text, "zh-cn")


def _cn_count(match: re.Match[str]) -> str:
    s = match.group(1) or match.group(2)
    if len(s) == 1:
        return str(_CN_DIGITS[s])
    if s[0] == "十" and len(s) == 2:  # 十二
        return str(10 + _CN_DIGITS[s[1]])
    if len(s) == 2 and s[1] == "十":  # 二十
        return str(_CN_DIGITS[s[0]] * 10)
    if len(s) == 3 and s[1] == "十":  # 二十三
        return str(_CN_DIGITS[s[0]] * 10 + _CN_DIGITS[s[2]])
    return s


# Everyday words readers use for what the article says otherwise, mapped to the article's
# word (applied to questions and to the knowledge base alike): see bot/data/synonyms.txt.
ZH_SYNONYMS, EN_SYNONYMS = synonym_tables()
# Ways of asking the same thing, reduced to one form so that "巾帼宣讲会日期" matches a
# stored "巾帼宣讲会是哪天" (applied to questions and stored variants alike).
ZH_SYNONYMS = ZH_SYNONYMS | {
    **dict.fromkeys(
        "哪一天 哪天 什么时候 啥时候 什么时间 何时 日期 几月几日 几月几号 几号 哪日".split(), "何时"
    ),
    **dict.fromkeys("多少个 几个 数量 数目 总数 一共多少 共有多少 多少".split(), "多少"),
    **dict.fromkeys("哪位 是谁 什么人 啥人".split(), "谁"),
    **dict.fromkeys("在哪里 在哪儿 在哪 哪里 哪儿 什么地方 啥地方 何地 何处".split(), "哪里"),
    # 在哪些 is "in which ones", not 在哪 -> 哪里些
    **{w: w for w in "在哪些 在哪个 在哪家 在哪一 在哪几 在哪位 在哪年 在哪月".split()},
    **{w: w for w in "在哪条 在哪座 在哪所 在哪间 在哪片 在哪栋".split()},  # 哪条路: locality
    **dict.fromkeys("在哪天 在哪一天 在哪日".split(), "在何时"),  # a date, not a place
    **{w: w for w in "第几个 第几家 第几位 第几名 第几项".split()},  # an ordinal, not 几个 -> 多少
    "啥": "什么",
    **dict.fromkeys("干啥 干嘛 干什么 搞啥 做啥 弄啥".split(), "做什么"),
    "哪几个": "哪几",  # not 哪 + 几个 -> 哪多少
    **dict.fromkeys("怎么样 怎样 如何 咋样 咋".split(), "怎么"),
}
_ZH_SYN_RE = re.compile("|".join(map(re.escape, sorted(ZH_SYNONYMS, key=len, reverse=True))))


_POSSESSIVE_RE = re.compile(r"(?<=[a-z])['’]s\b")


def normalize(text: str) -> str:
    """Width, case, traditional→simplified, Chinese counts→digits, everyday synonyms →
    the article's words; punctuation→space."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = to_simplified(text)
    text = _CN_COUNT_RE.sub(_cn_count, text)
    text = _ZH_SYN_RE.sub(lambda m: ZH_SYNONYMS[m.group(0)], text)
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)  # 205,500 -> 205500
    text = _POSSESSIVE_RE.sub("", text)  # Guanyun's -> Guanyun
    return " ".join(EN_SYNONYMS.get(t, t) for t in _TOKEN_RE.findall(text))


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


# Questions about the bot itself get the greeting (which says what the bot is and does).
ABOUT_BOT = [
    *"你是谁 你叫什么 你叫什么名字 你的名字 你是什么 你是机器人吗 你是人吗".split(),
    *"你能做什么 你会什么 你会做什么 你有什么用 你能干什么".split(),
    *("who are you", "what are you", "what is your name", "your name", "what can you do"),
    *("are you a bot", "are you a robot", "are you human"),
]


@lru_cache(maxsize=1)
def _about_bot() -> frozenset[str]:
    return frozenset(strip_fillers(normalize(p)).replace(" ", "") for p in ABOUT_BOT)


def smalltalk_kind(norm: str) -> str | None:
    """'greeting' or 'thanks' if the whole message is small talk, else None."""
    text = norm.strip()
    compact = text.replace(" ", "")
    if compact in _about_bot():
        return "greeting"
    for kind, phrases in (("thanks", THANKS), ("greeting", GREETINGS)):
        if text in phrases or compact in phrases:
            return kind
        # e.g. "你好 谢谢" / "hi thanks": every token is small talk of some kind
    tokens = text.split()
    if tokens and all(t in GREETINGS or t in THANKS for t in tokens):
        return "thanks" if any(t in THANKS for t in tokens) else "greeting"
    return None


def stem(word: str) -> str:
    """A light English stemmer that maps 'bases'/'base'/'based', 'activities'/'activity' alike."""
    if len(word) <= 3:
        return word
    if word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
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
