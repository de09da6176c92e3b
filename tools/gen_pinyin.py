"""Regenerate bot/data/pinyin.txt: toneless pinyin of the common Chinese characters.

The matcher uses pinyin only to recognise homophone typos (连云岗 → 连云港). Importing
pypinyin's full dictionary costs ~200 ms at start-up, so we ship this compact table of the
GB2312 characters (plus every Han character of the knowledge base) instead.
Run: pip install pypinyin && python tools/gen_pinyin.py
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from pypinyin import Style, lazy_pinyin

ROOT = Path(__file__).resolve().parent.parent


def gb2312_chars() -> set[str]:
    chars = set()
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes([hi, lo]).decode("gb2312"))
    return chars


def main() -> None:
    chars = gb2312_chars()
    for path in (ROOT / "knowledge").rglob("*.yaml"):
        chars |= set(re.findall(r"[\u4e00-\u9fff]", path.read_text(encoding="utf-8")))
    lines = []
    for ch in sorted(chars):
        py = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
        if py and py[0].isalpha():
            lines.append(f"{ch}{py[0]}")
    out = ROOT / "bot" / "data" / "pinyin.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} characters to {out}")


if __name__ == "__main__":
    main()
