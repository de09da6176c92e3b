"""What traditional-Chinese output costs: the converter libraries, and the running bot.

Prints figures; asserts nothing. Loopback only. Two parts:

1. **Libraries**, each variant in a fresh process: import time, time to build the
   variant's converter, resident memory (VmRSS) added, and time per text over every
   Chinese answer of the knowledge base and every Chinese interface text. zhconv-rs (the
   bot's) always; OpenCC too if it is installed (``pip install opencc==1.4.2``: it is not
   a dependency), with the configurations it would take (``s2t``, ``s2tw``, ``s2twp``,
   ``s2hk``).
2. **The bot** (``python -m bot run`` against the fake Bot API server): from spawn to the
   answer of a question queued at spawn time, and VmRSS once it has answered, for a reader
   whose Telegram is in ``zh-hans`` (no converter loaded) and one in ``zh-TW`` (the
   converter built for that answer), alternating; with ``--baseline DIR``, also for another
   checkout (e.g. the main branch, before this feature) and a ``zh-hans`` reader. Every
   run gets a data dir holding the self-check record of a first, uncounted run, so no
   background self-check competes for the CPU.

Run: python bench/bench_converter.py [--runs 5] [--baseline /work/main]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_targets import (
    READER_ID,
    ROOT,
    WAIT,
    Bot,
    _cleanup,
    _rss_mb,
    _text,
    _to,
    clean_env,
    fake_bot_api_class,
)

QUESTION = "连云港有多少个爱国主义教育基地?"
EXPECTED = ("66个", "66個")

_LIBRARY_PROBE = r"""
import json, sys, time
from pathlib import Path
def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
lib, variant = sys.argv[1], sys.argv[2]
from bot.engine import Engine
from bot.telegram.texts import TEXTS
texts = [e.answer["zh"] for e in Engine(sys.argv[3]).kb.entries if "zh" in e.answer]
texts += [v["zh"] for v in TEXTS.values()]
before = rss()
t0 = time.perf_counter()
if lib == "opencc":
    import opencc
    t1 = time.perf_counter()
    convert = opencc.OpenCC(variant).convert
else:
    import zhconv_rs
    t1 = time.perf_counter()
    convert = lambda s: zhconv_rs.zhconv(s, variant, False)
    convert("中文")  # zhconv-rs builds a variant's automaton on its first use
t2 = time.perf_counter()
for s in texts:
    convert(s)
t3 = time.perf_counter()
rounds = 20
for _ in range(rounds):
    for s in texts:
        convert(s)
t4 = time.perf_counter()
print(json.dumps({
    "import_ms": 1000 * (t1 - t0), "build_ms": 1000 * (t2 - t1),
    "rss_mb": rss() - before, "us_per_text": 1e6 * (t4 - t3) / rounds / len(texts),
    "texts": len(texts), "chars": sum(map(len, texts)),
}))
"""

LIBRARIES = {
    "zhconv_rs": ("zhconv", ("zh-Hant", "zh-TW", "zh-HK")),
    "opencc": ("opencc", ("s2t", "s2tw", "s2twp", "s2hk")),
}


def measure_libraries() -> None:
    print("1. libraries (each in a fresh process)")
    head = ("library", "variant", "import", "build", "RSS +", "per text")
    print("   {:10} {:8} {:>8} {:>8} {:>8} {:>9}".format(*head))
    for module, (lib, variants) in LIBRARIES.items():
        probe = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
        if probe.returncode:
            print(f"   {lib:10} not installed")
            continue
        for variant in variants:
            out = subprocess.run(
                [sys.executable, "-c", _LIBRARY_PROBE, lib, variant, str(ROOT / "knowledge")],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            f = json.loads(out.stdout)
            print(
                f"   {lib:10} {variant:8} {f['import_ms']:6.1f}ms {f['build_ms']:6.1f}ms "
                f"{f['rss_mb']:6.1f}MB {f['us_per_text']:7.1f}µs"
            )
    print(f"   (texts: {f['texts']} answers and interface texts, {f['chars']} characters)")


async def first_answer(
    checkout: Path, data_dir: Path, language_code: str, *, wait_check: bool = False
) -> tuple[float, float]:
    """Spawn ``python -m bot run`` of ``checkout`` with a question from a reader whose
    Telegram is in ``language_code`` queued: (seconds to the answer, VmRSS MB then).
    ``wait_check``: stop the bot only once its background self-check is recorded."""
    async with fake_bot_api_class()() as api:
        env = clean_env(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            CITEBOT_DATA_DIR=str(data_dir),
            CITEBOT_KNOWLEDGE_DIR=str(checkout / "knowledge"),
            PYTHONPATH=str(checkout),
        )
        user = api.user(READER_ID, language_code=language_code)
        t0 = time.perf_counter()
        api.enqueue({"message": api.message(api.private_chat(READER_ID), QUESTION, user=user)})
        bot = await Bot.spawn(checkout, env)
        try:
            try:
                reply = await api.wait_for("sendMessage", _to(READER_ID), timeout=WAIT)
            except AssertionError:
                raise RuntimeError(f"no answer; the bot's log ends: {bot.log[-500:]}") from None
            rss = _rss_mb(bot.proc.pid)
            if not any(e in _text(reply) for e in EXPECTED):
                raise RuntimeError(f"unexpected answer: {_text(reply)[:100]}")
            if language_code == "zh-TW" and "個" not in _text(reply):
                raise RuntimeError(f"not in traditional characters: {_text(reply)[:100]}")
            deadline = time.monotonic() + 120
            while wait_check and not any(p.suffix == ".json" for p in data_dir.iterdir()):
                if time.monotonic() > deadline or bot.proc.returncode is not None:
                    raise TimeoutError(f"no self-check recorded: {bot.log[-300:]}")
                await asyncio.sleep(0.1)
            return reply.received_at - t0, rss
        finally:
            await bot.stop()


async def seed(checkout: Path, tmp: Path) -> Path:
    """A data dir holding the self-check record of ``checkout``'s knowledge."""
    data = tmp / f"seed-{abs(hash(checkout))}"
    await first_answer(checkout, data, "zh-hans", wait_check=True)
    return data


async def measure_bot(runs: int, baseline: Path | None, tmp: Path) -> None:
    print("2. python -m bot run: spawn -> first answer, VmRSS after it (median [runs])")
    cases = [("this checkout, zh-hans reader", ROOT, "zh-hans")]
    cases.append(("this checkout, zh-TW reader", ROOT, "zh-TW"))
    if baseline is not None:
        cases.insert(0, (f"{baseline}, zh-hans reader", baseline, "zh-hans"))
    checkouts = dict.fromkeys(checkout for _, checkout, _ in cases)
    seeds = {checkout: await seed(checkout, tmp) for checkout in checkouts}
    figures: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in cases}
    for n in range(runs):
        for label, checkout, code in cases:
            data = tmp / f"run-{n}-{len(figures[label])}-{code}-{abs(hash(label))}"
            data.mkdir()
            for record in seeds[checkout].glob("*.json"):  # the self-check record only
                shutil.copy2(record, data / record.name)
            figures[label].append(await first_answer(checkout, data, code))
    for label, values in figures.items():
        secs = [s for s, _ in values]
        rss = [r for _, r in values]
        print(
            f"   {label}: {statistics.median(secs):.2f} s "
            f"[{', '.join(f'{s:.2f}' for s in secs)}], "
            f"{statistics.median(rss):.1f} MB [{', '.join(f'{r:.1f}' for r in rss)}]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="bot start-ups per case")
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    args = parser.parse_args()
    measure_libraries()
    with _cleanup() as tmp:
        asyncio.run(measure_bot(args.runs, args.baseline, tmp))


if __name__ == "__main__":
    main()
