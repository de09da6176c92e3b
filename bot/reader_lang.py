"""Which language and script a reader gets: the decision, with no Telegram and no I/O.

Two things are decided for every reply:

* the **language** (``zh`` or ``en``) of the answer and the texts around it;
* for Chinese, the **script**: simplified as stored, or traditional (and which regional
  variant of it, see :data:`VARIANTS`).

Precedence, strongest first:

1. the reader's explicit choice (``/language``): 简体中文, 繁體中文 or English decides both,
   whatever the question's language (a reader who chose English gets English answers to
   Chinese questions, and the other way round);
2. the Telegram ``language_code``: ``zh-hant``, ``zh-tw``, ``zh-hk`` and ``zh-mo`` (with any
   further subtags) mean traditional, any other ``zh*`` simplified. It decides the
   *script* of Chinese replies, and the language only where nothing better is known
   (commands, buttons without a language): a question's own language beats it, because
   Telegram has no official Chinese interface and most Chinese readers send ``en``;
3. the question itself: its language, and traditional characters typed in it
   (:func:`typed_in_traditional`) ask for a traditional reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.model import Lang
from bot.normalize import to_simplified

Choice = Literal["zh-hans", "zh-hant", "en"]
CHOICES: tuple[Choice, ...] = ("zh-hans", "zh-hant", "en")

# Traditional targets of the converter (``bot.chinese_script``), by region subtag. Macau
# reads as Hong Kong does: each variant loaded costs the bot about 3.5 MB.
VARIANTS = {"tw": "zh-TW", "hk": "zh-HK", "mo": "zh-HK"}
TRADITIONAL = "zh-Hant"  # no region known: traditional characters, no regional wording

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class ReaderLang:
    """What a reply is written in: ``lang``, and for traditional Chinese the converter's
    target (``zh-TW``, ``zh-HK`` or ``zh-Hant``); ``None``: as stored."""

    lang: Lang
    variant: str | None = None

    @property
    def traditional(self) -> bool:
        return self.variant is not None


def _subtags(language_code: str | None) -> list[str]:
    return (language_code or "").lower().replace("_", "-").split("-")


def code_script(language_code: str | None) -> Literal["hans", "hant"] | None:
    """The Chinese script a Telegram ``language_code`` asks for; ``None`` if not Chinese."""
    tags = _subtags(language_code)
    if tags[0] != "zh":
        return None
    if "hans" in tags:  # an explicit script wins over the region (zh-Hans-HK)
        return "hans"
    return "hant" if "hant" in tags or any(t in VARIANTS for t in tags[1:]) else "hans"


def code_variant(language_code: str | None) -> str:
    """The traditional variant for a reader with ``language_code`` (its region's, if any)."""
    tags = _subtags(language_code)
    if tags[0] == "zh":
        for tag in tags[1:]:
            if tag in VARIANTS:
                return VARIANTS[tag]
    return TRADITIONAL


def typed_in_traditional(text: str) -> bool:
    """Whether ``text`` has Chinese written in traditional characters (its ideographs
    change when converted to simplified, as the engine does for matching; punctuation such
    as 「」 does not count)."""
    ideographs = "".join(_CJK.findall(text))
    return bool(ideographs) and to_simplified(ideographs) != ideographs


def decide(
    choice: str | None,
    language_code: str | None,
    *,
    lang: Lang | None = None,
    traditional: bool = False,
) -> ReaderLang:
    """The reader's language for one reply (see the module docstring for the precedence).

    ``choice``: the stored ``/language`` choice (a :data:`CHOICES` value) or ``None``;
    ``lang``: the question's language (or a button's), ``None`` for commands;
    ``traditional``: the question was typed in traditional characters (or the button was
    made for a traditional reader)."""
    if choice == "en":
        return ReaderLang("en")
    script = code_script(language_code)
    if choice in ("zh-hans", "zh-hant"):
        lang, hant = "zh", choice == "zh-hant"
    else:
        if lang is None:
            lang = "zh" if script else "en"
        hant = script == "hant" if script else traditional
    if lang == "zh" and hant:
        return ReaderLang("zh", code_variant(language_code))
    return ReaderLang(lang)
