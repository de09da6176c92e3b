"""Benchmark of the engine: knowledge load + index time, and per-question latency.

Prints figures; asserts nothing. Targets on the 2-core reference machine:
load + index < 300 ms, p99 of one question (normalise + match) < 2 ms.
Per-question latency is uncached: ``bot.engine.answer(question, Matcher(kb))``, the
pipeline ``Engine.ask`` runs for a question it has not seen recently. The full check is
``citebot check``'s work: ``full_check(kb, Engine.over(kb).ask)``.
Run: python bench/bench_engine.py [--rounds N] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


COLD = """
import time
t0 = time.perf_counter()
from pathlib import Path
from bot.knowledge import load_knowledge
from bot.matcher import Matcher
t1 = time.perf_counter()
kb = load_knowledge(Path({kdir!r}))
Matcher(kb)
t2 = time.perf_counter()
print(f"{{(t1 - t0) * 1000:.1f}} {{(t2 - t1) * 1000:.1f}}")
"""


def cold_start() -> tuple[float, float]:
    """Import time and first load + index time in a fresh interpreter (tables included)."""
    code = COLD.format(kdir=str(ROOT / "knowledge"))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5, help="passes over the question set")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    t0 = time.perf_counter()
    import bot.matcher  # noqa: F401  (libraries: zhconv, rapidfuzz, yaml)
    from bot.engine import Engine, answer
    from bot.evaluation import load_cases
    from bot.knowledge import load_knowledge
    from bot.matcher import Matcher
    from bot.selfcheck import full_check

    t_import = time.perf_counter() - t0

    loads, indexes, checks = [], [], []
    for _ in range(5):
        t0 = time.perf_counter()
        kb = load_knowledge(ROOT / "knowledge")
        t1 = time.perf_counter()
        matcher = Matcher(kb)
        t2 = time.perf_counter()
        loads.append(t1 - t0)
        indexes.append(t2 - t1)
    for _ in range(3):  # what `citebot check` does once its base is loaded
        t0 = time.perf_counter()
        full_check(kb, Engine.over(kb).ask)
        checks.append(time.perf_counter() - t0)

    questions = [c.question for f in sorted((ROOT / "eval").glob("*.yaml")) for c in load_cases(f)]
    questions += [q for e in kb.entries for qs in e.questions.values() for q in qs][::7]
    for q in questions:  # warm-up (lazy tables)
        answer(q, matcher)
    samples = []
    for _ in range(args.rounds):
        for q in questions:
            t0 = time.perf_counter_ns()
            answer(q, matcher)  # no answer cache: every question runs the whole pipeline
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    samples.sort()
    p = lambda x: samples[min(len(samples) - 1, int(len(samples) * x))]  # noqa: E731

    variants = sum(len(v) for e in kb.entries for v in e.questions.values())
    load_ms = statistics.median(loads) * 1000
    index_ms = statistics.median(indexes) * 1000
    colds = sorted(cold_start() for _ in range(3))
    imp, first = colds[1]
    check_ms = statistics.median(checks) * 1000
    if args.json:
        figures = {
            "entries": len(kb.entries),
            "variants": variants,
            "import_ms": t_import * 1000,
            "load_ms": load_ms,
            "index_ms": index_ms,
            "load_index_ms": load_ms + index_ms,
            "cold_import_ms": imp,
            "cold_load_index_ms": first,
            "full_check_ms": check_ms,
            "questions_timed": len(samples),
            "p50_ms": p(0.50),
            "p90_ms": p(0.90),
            "p99_ms": p(0.99),
            "max_ms": samples[-1],
        }
        print(json.dumps(figures))
        return
    print(f"knowledge base: {len(kb.entries)} entries, {variants} question variants")
    print(f"library import (one-off per process): {t_import * 1000:.1f} ms")
    print(f"load (parse + validate; no self-check): median {load_ms:.1f} ms")
    print(f"index build: median {index_ms:.1f} ms")
    print(f"load + index (warm process): median {load_ms + index_ms:.1f} ms  (target < 300 ms)")
    print(f"cold start in a fresh process: imports {imp:.1f} ms, first load + index {first:.1f} ms")
    print(
        f"full check (citebot check's work: every stored question, answer cache on): "
        f"median {check_ms:.1f} ms"
    )
    print(
        f"questions timed: {len(samples)} ({len(questions)} distinct x {args.rounds}), "
        "uncached: bot.engine.answer(question, Matcher(kb))"
    )
    print(
        f"latency per question: p50 {p(0.50):.3f} ms  p90 {p(0.90):.3f} ms  "
        f"p99 {p(0.99):.3f} ms  max {samples[-1]:.3f} ms  (target p99 < 2 ms)"
    )


if __name__ == "__main__":
    main()
