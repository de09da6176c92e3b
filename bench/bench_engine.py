"""Benchmark of the engine: knowledge load + index time, and per-question latency.

Prints figures; asserts nothing. Targets on the 2-core reference machine:
load + index < 300 ms, p99 of one question (normalise + match) < 2 ms.
Run: python bench/bench_engine.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5, help="passes over the question set")
    args = parser.parse_args()

    t0 = time.perf_counter()
    import bot.matcher  # noqa: F401  (libraries: zhconv, rapidfuzz, yaml)
    from bot.evaluation import load_cases
    from bot.knowledge import load_knowledge
    from bot.matcher import Matcher

    t_import = time.perf_counter() - t0

    loads, indexes, checks = [], [], []
    for _ in range(5):
        t0 = time.perf_counter()
        kb = load_knowledge(ROOT / "knowledge", check_collisions=False)
        t1 = time.perf_counter()
        matcher = Matcher(kb)
        t2 = time.perf_counter()
        loads.append(t1 - t0)
        indexes.append(t2 - t1)
    t0 = time.perf_counter()
    load_knowledge(ROOT / "knowledge")  # with the collision check, as `citebot check` does
    checks.append(time.perf_counter() - t0)

    questions = [c.question for f in sorted((ROOT / "eval").glob("*.yaml")) for c in load_cases(f)]
    questions += [q for e in kb.entries for qs in e.questions.values() for q in qs][::7]
    for q in questions:  # warm-up (caches, lazy tables)
        matcher.match(q)
    samples = []
    for _ in range(args.rounds):
        for q in questions:
            t0 = time.perf_counter_ns()
            matcher.match(q)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    samples.sort()
    p = lambda x: samples[min(len(samples) - 1, int(len(samples) * x))]  # noqa: E731

    variants = sum(len(v) for e in kb.entries for v in e.questions.values())
    print(f"knowledge base: {len(kb.entries)} entries, {variants} question variants")
    print(f"library import (one-off per process): {t_import * 1000:.1f} ms")
    print(
        f"load (parse + validate, no collision check): median {statistics.median(loads) * 1000:.1f} ms"
    )
    print(f"index build: median {statistics.median(indexes) * 1000:.1f} ms")
    print(
        f"load + index: median {(statistics.median(loads) + statistics.median(indexes)) * 1000:.1f} ms  (target < 300 ms)"
    )
    print(f"full check incl. collision check: {checks[0] * 1000:.1f} ms")
    print(f"questions timed: {len(samples)} ({len(questions)} distinct x {args.rounds})")
    print(
        f"latency per question: p50 {p(0.50):.3f} ms  p90 {p(0.90):.3f} ms  p99 {p(0.99):.3f} ms  max {samples[-1]:.3f} ms  (target p99 < 2 ms)"
    )


if __name__ == "__main__":
    main()
