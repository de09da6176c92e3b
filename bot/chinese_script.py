"""Simplified → traditional Chinese for readers who read traditional: a thin wrapper of
zhconv-rs (MediaWiki's conversion tables, compiled into a Rust automaton).

zhconv-rs was chosen over OpenCC by measurement (``bench/bench_converter.py``): about
+3 MB of memory and 6 ms to build a variant's converter, against OpenCC's +29 to +45 MB
and 40 to 66 ms (the bot's whole budget is 100 MB), and it writes the characters readers
in Taiwan and Hong Kong use (為, 群, 裡), where OpenCC's plain ``s2t`` writes its own
standard (爲, 羣, 裏). ``zh-TW`` and ``zh-HK`` also convert regional words (軟體, 印表機).

Where the tables pick the wrong character for this text (讲准 → 講准, not 講準), the
pairs of ``bot/data/zh_hant_fixes.txt`` correct the output.

Pure (no Telegram). The library is imported, and each variant's converter built, on
first use only, then kept (by zhconv-rs itself): nothing is loaded at start-up. In the
running bot the first variant adds about 4.7 MB, each further one about 3.5 MB.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from bot.lexicons import word_pairs

VARIANTS = ("zh-Hant", "zh-TW", "zh-HK")


@cache
def _zhconv() -> Any:
    import zhconv_rs  # lazily: only traditional readers need it

    return zhconv_rs.zhconv


def to_traditional(text: str, variant: str = "zh-Hant") -> str:
    """``text`` in traditional characters of ``variant`` (one of :data:`VARIANTS`); ASCII
    (markup, commands, numbers) is left as it is. MediaWiki's ``-{…}-`` syntax is not
    interpreted: text is converted as written."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown Chinese variant {variant!r}")
    if text.isascii():
        return text
    out = _zhconv()(text, variant, False)
    for wrong, right in _fixes():
        out = out.replace(wrong, right)
    return out


@cache
def _fixes() -> tuple[tuple[str, str], ...]:
    return tuple(word_pairs("zh_hant_fixes.txt").items())
