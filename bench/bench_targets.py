"""The issue's performance targets, measured on this machine: one table, met yes/no.

Prints figures; asserts nothing. Loopback only (the fake Bot API server of the tests,
``tests/fake_bot_api.py``, on 127.0.0.1 in this process); every child process is started
in its own process group and killed with it, and every temporary directory removed, even
on failure or Ctrl-C. Each measurement is repeated a few times where cheap; the median is
reported (every run's figure in brackets). About two minutes in all.

1. ``citebot ask QUESTION`` in a cold process, wall time: as the environment is (here
   ``PYTHONDONTWRITEBYTECODE`` is usually set, so no bytecode is cached), and once with
   bytecode caching allowed (``PYTHONDONTWRITEBYTECODE`` unset, after one warm-up run;
   the cache goes to a temporary ``PYTHONPYCACHEPREFIX`` so nothing is written into the
   source tree or the virtualenv);
2. ``python -m bot run``, from spawn to the sendMessage answering a private question
   queued at spawn time; with a fresh ``CITEBOT_DATA_DIR`` (the bot then starts the full
   self-check, ``python -m bot.selfcheck``, in a low-priority child) and with a fresh data
   dir holding the self-check a previous run recorded for this knowledge version; the
   bot's resident memory (VmRSS) once it has answered;
3. ``/reload`` of an edited base (a question variant added to an entry, as an editor
   would) by an admin: from sending to the message carrying the result, and to the
   acknowledgement if the bot sends one first;
4. ``citebot check``, wall time;
5. ``bench/bench_engine.py --json``: load + index, per-question p99 (uncached);
6. ``bench/bench_telegram.py --json``: updates/s without the answer cache (and with it,
   for comparison).

Run: python bench/bench_targets.py  (from the virtualenv with ``pip install -e ".[dev]"``)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
KNOWLEDGE = ROOT / "knowledge"
sys.path.insert(0, str(ROOT / "tests"))  # fake_bot_api
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))  # bench_telegram

from bench_telegram import fake_bot_api_class  # noqa: E402

QUESTION = "连云港有多少个爱国主义教育基地?"
EXPECTED = "66"  # in the answer to QUESTION
ADMIN_ID = 900_001
READER_ID = 1001
# Paraphrases an editor might add to the QUESTION's entry, one per /reload.
VARIANTS = (
    "港城一共建了几处爱国主义教育基地呀",
    "连云港总共有几个爱国主义教育基地来着",
    "港城的爱国主义教育基地加起来多少个",
    "连云港爱国主义教育基地数量是多少",
    "港城拥有多少处爱国主义教育基地",
)
RELOADED = ("知识库已重新加载", "Knowledge base reloaded")
RELOAD_FAILED = ("重新加载失败", "Reload failed")
RELOADING = ("正在重新加载", "Reloading")
WAIT = 30.0  # ceiling of any single wait for the bot
CHECK_WAIT = 120.0  # ceiling for a full self-check in the background (low priority)


# ----------------------------------------------------------------------------- table


@dataclass
class Row:
    measure: str
    figure: str
    target: str = "—"
    met: bool | None = None  # None: information only, or not measured

    @property
    def met_text(self) -> str:
        return "—" if self.met is None else ("yes" if self.met else "NO")


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, measure: str, figure: str, target: str = "—", met: bool | None = None) -> None:
        self.rows.append(Row(measure, figure, target, met))
        print(f"  {measure}: {figure}", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def failed(self, measure: str, exc: BaseException, target: str = "—") -> None:
        self.add(measure, f"error: {type(exc).__name__}: {str(exc)[:150]}", target, None)

    def print(self) -> None:
        heads = ("measure", "figure", "target", "met")
        cells = [(r.measure, r.figure, r.target, r.met_text) for r in self.rows]
        widths = [max(len(h), *(_width(c[i]) for c in cells)) for i, h in enumerate(heads)]
        line = "  ".join("-" * w for w in widths)
        print()
        print(_pad_row(heads, widths))
        print(line)
        for c in cells:
            print(_pad_row(c, widths))
        print(line)
        for n in self.notes:
            print(f"- {n}")


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)


def _pad_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _seconds(values: Sequence[float]) -> str:
    runs = " ".join(f"{v:.2f}" for v in values)
    return f"{_median(values):.2f} s  [{runs}]"


def _mb(values: Sequence[float]) -> str:
    runs = " ".join(f"{v:.0f}" for v in values)
    return f"{_median(values):.0f} MB  [{runs}]"


# ----------------------------------------------------------------------------- processes

_GROUPS: set[int] = set()  # process groups of children still possibly running


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    _GROUPS.discard(pid)


def _kill_all() -> None:
    for pid in list(_GROUPS):
        _kill_group(pid)


def _on_signal(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def clean_env(**values: str) -> dict[str, str]:
    """This environment, without the bot's own variables (as the process tests do)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "CITEBOT_", "PYTEST", "COV_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env["CITEBOT_KNOWLEDGE_DIR"] = str(KNOWLEDGE)
    env.update(values)
    return env


def run_timed(
    argv: Sequence[str], env: dict[str, str], cwd: Path, timeout: float
) -> tuple[float, int, str, str]:
    """Run a command to its end in its own process group: (wall seconds, exit code, out, err).
    On timeout the whole group is killed and ``TimeoutError`` raised."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    _GROUPS.add(proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout)
        seconds = time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"{' '.join(argv[:3])} ... took over {timeout:.0f} s") from None
    finally:
        _kill_group(proc.pid)  # leftovers of the group, if any
        proc.wait()
    return seconds, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def citebot() -> list[str]:
    script = Path(sys.executable).parent / "citebot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []


# ----------------------------------------------------------------------------- 1, 4: CLI


def measure_ask(report: Report, tmp: Path, runs: int) -> None:
    argv = [*citebot(), "ask", QUESTION]

    def timed(env: dict[str, str]) -> float:
        seconds, code, out, err = run_timed(argv, env, tmp, 60)
        if code != 0 or EXPECTED not in out:
            raise RuntimeError(f"citebot ask failed ({code}): {(out + err)[-200:]}")
        return seconds

    env = clean_env()
    as_is = os.environ.get("PYTHONDONTWRITEBYTECODE")
    label = f"PYTHONDONTWRITEBYTECODE={as_is}" if as_is else "PYTHONDONTWRITEBYTECODE unset"
    target = "< 1 s"
    try:
        times = [timed(env) for _ in range(runs)]
        report.add(
            f"citebot ask, cold process ({label}, as the env is)",
            _seconds(times),
            target,
            _median(times) < 1,
        )
    except Exception as exc:
        report.failed("citebot ask, cold process (as the env is)", exc, target)
    env = clean_env(PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        timed(env)  # warm-up: writes the bytecode cache
        times = [timed(env) for _ in range(runs)]
        report.add(
            "citebot ask, cold process (bytecode cached)",
            _seconds(times),
            target,
            _median(times) < 1,
        )
    except Exception as exc:
        report.failed("citebot ask, cold process (bytecode cached)", exc, target)


def measure_check(report: Report, tmp: Path, runs: int) -> None:
    target = "< 5 s"
    try:
        times = []
        for _ in range(runs):
            seconds, code, out, err = run_timed([*citebot(), "check"], clean_env(), tmp, 120)
            if code != 0:
                raise RuntimeError(f"citebot check exited {code}: {(out + err)[-200:]}")
            times.append(seconds)
        report.add("citebot check, wall", _seconds(times), target, _median(times) < 5)
    except Exception as exc:
        report.failed("citebot check, wall", exc, target)


# ----------------------------------------------------------------------------- 2, 3: the bot


class Bot:
    """``python -m bot run`` in its own process group, its stderr read as it comes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.err = b""
        self._changed = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def spawn(cls, cwd: Path, env: dict[str, str]) -> Bot:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        _GROUPS.add(proc.pid)
        return cls(proc)

    @property
    def log(self) -> str:
        return self.err.decode(errors="replace")

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        while chunk := await self.proc.stderr.read(65536):
            self.err += chunk
            self._changed.set()
            self._changed = asyncio.Event()
        self._changed.set()

    async def stop(self) -> None:
        """SIGTERM (a graceful stop, which also ends a background check), then SIGKILL."""
        try:
            if self.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.send_signal(signal.SIGTERM)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.proc.wait(), 15)
        finally:
            _kill_group(self.proc.pid)
            if self.proc.returncode is None:
                await self.proc.wait()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)


def _to(uid: int) -> Callable[[Any], bool]:
    return lambda r: str(r.chat_id) == str(uid)


def _text(req: Any) -> str:
    from fake_bot_api import html_to_plain

    return html_to_plain(req.text)


@dataclass
class FirstAnswer:
    seconds: float
    rss_mb: float
    first_request: float  # spawn -> first request of any kind (getMe: imports + engine done)
    first_poll: float  # spawn -> first getUpdates


async def first_answer(
    tmp: Path, data_dir: Path, *, wait_check: bool = False, extra: dict[str, str] | None = None
) -> tuple[FirstAnswer, str]:
    """Spawn the bot with a question queued, time its answer; return the figures and log."""
    async with fake_bot_api_class()() as api:
        env = clean_env(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            CITEBOT_DATA_DIR=str(data_dir),
            **(extra or {}),
        )
        t0 = time.perf_counter()
        api.private_text(QUESTION, user_id=READER_ID)  # queued at spawn time
        bot = await Bot.spawn(tmp, env)
        try:
            reply = await api.wait_for("sendMessage", _to(READER_ID), timeout=WAIT)
            rss = _rss_mb(bot.proc.pid)
            if EXPECTED not in _text(reply):
                raise RuntimeError(f"unexpected answer: {_text(reply)[:100]}")
            polls = [r.received_at for r in api.requests if r.method.lower() == "getupdates"]
            figures = FirstAnswer(
                reply.received_at - t0,
                rss,
                api.requests[0].received_at - t0,
                (polls[0] if polls else reply.received_at) - t0,
            )
            if wait_check:  # until the background self-check has recorded its result
                deadline = time.monotonic() + CHECK_WAIT
                while not (data_dir / "selfcheck.json").exists():
                    if time.monotonic() > deadline or bot.proc.returncode is not None:
                        raise TimeoutError(f"no self-check recorded: {bot.log[-300:]}")
                    await asyncio.sleep(0.1)
        finally:
            await bot.stop()
    return figures, bot.log


def _breakdown(runs: list[FirstAnswer]) -> str:
    med = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    return (
        f"spawn -> first Bot API request (imports, knowledge load + index, stats) "
        f"{med.first_request:.2f} s -> first getUpdates {med.first_poll:.2f} s "
        f"-> answer {med.seconds:.2f} s"
    )


async def measure_startup(report: Report, tmp: Path, runs: int) -> Path | None:
    """Start-up to first answer and RSS, fresh and with the self-check recorded. Returns
    the self-check record of the shipped knowledge (for the reload measurement)."""
    target = "< 2 s"
    seed: Path | None = None
    fresh: list[FirstAnswer] = []
    try:
        for n in range(runs):
            data = tmp / f"fresh-{n}"
            figures, log = await first_answer(tmp, data, wait_check=n == 0)
            fresh.append(figures)
            if n == 0:
                if "checking every stored question" not in log:
                    report.note("fresh data dir: the bot did not log a background self-check")
                record = data / "selfcheck.json"  # not heartbeat.json, also there
                if record.exists():
                    seed = record
        report.add(
            "citebot run: spawn -> first answer (fresh data dir)",
            _seconds([r.seconds for r in fresh]),
            target,
            _median([r.seconds for r in fresh]) < 2,
        )
        report.note(f"fresh data dir, median run: {_breakdown(fresh)}")
    except Exception as exc:
        report.failed("citebot run: spawn -> first answer (fresh data dir)", exc, target)
    checked: list[FirstAnswer] = []
    try:
        if seed is None:
            raise RuntimeError("no self-check record from the first run")
        for n in range(runs):
            data = tmp / f"checked-{n}"
            data.mkdir()
            shutil.copy2(seed, data / seed.name)
            figures, log = await first_answer(tmp, data)
            checked.append(figures)
            if n == 0 and "was checked before" not in log:
                report.note("recorded self-check: the bot did not log 'was checked before'")
        report.add(
            "citebot run: spawn -> first answer (self-check recorded)",
            _seconds([r.seconds for r in checked]),
            target,
            _median([r.seconds for r in checked]) < 2,
        )
        report.note(f"self-check recorded, median run: {_breakdown(checked)}")
    except Exception as exc:
        report.failed("citebot run: spawn -> first answer (self-check recorded)", exc, target)
    for label, group in (("fresh data dir", fresh), ("self-check recorded", checked)):
        if group:
            rss = [r.rss_mb for r in group]
            report.add(
                f"citebot run: RSS after first answer ({label})",
                _mb(rss),
                "< 100 MB",
                _median(rss) < 100,
            )
    return seed


def add_variant(knowledge: Path, question: str) -> None:
    """Add a question variant to the entry answering QUESTION (as tests/test_e2e_admin.py)."""
    from bot.engine import Engine

    entry = Engine(knowledge, remember=0).ask(QUESTION).entry
    assert entry is not None, "QUESTION is not answered"
    path = knowledge / entry.source_file
    text = path.read_text(encoding="utf-8")
    first = entry.questions["zh"][0]
    line = next(ln for ln in text.splitlines() if ln.strip().lstrip("- ").strip() == first)
    indent = line[: len(line) - len(line.lstrip())]
    path.write_text(text.replace(line + "\n", f"{line}\n{indent}- {question}\n", 1), "utf-8")


async def _quiet(bot: Bot, timeout: float = CHECK_WAIT) -> bool:
    """Wait until the bot has no child process (a background self-check) for a moment;
    True if one ran."""
    deadline = time.monotonic() + timeout
    seen = False
    calm_since = time.monotonic()
    while time.monotonic() < deadline:
        if _children(bot.proc.pid):
            seen, calm_since = True, time.monotonic()
        elif time.monotonic() - calm_since > 1.0:
            return seen
        await asyncio.sleep(0.05)
    raise TimeoutError("the bot's background self-check did not end")


async def measure_reload(report: Report, tmp: Path, seed: Path | None, runs: int) -> None:
    target = "< 2 s"
    knowledge = tmp / "reload" / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    data = tmp / "reload" / "data"
    data.mkdir()
    if seed is not None:  # the copy has the shipped version: no self-check at start-up
        shutil.copy2(seed, data / seed.name)
    results: list[float] = []
    acks: list[float] = []
    outcomes: list[str] = []
    checks = 0
    try:
        async with fake_bot_api_class()() as api:
            env = clean_env(
                TELEGRAM_BOT_TOKEN=api.token,
                TELEGRAM_API_BASE_URL=api.base_url,
                CITEBOT_DATA_DIR=str(data),
                CITEBOT_KNOWLEDGE_DIR=str(knowledge),
                CITEBOT_ADMIN_IDS=str(ADMIN_ID),
            )
            api.private_text(QUESTION, user_id=READER_ID)
            bot = await Bot.spawn(tmp, env)
            try:
                await api.wait_for("sendMessage", _to(READER_ID), timeout=WAIT)
                await _quiet(bot)
                for variant in VARIANTS[:runs]:
                    add_variant(knowledge, variant)
                    mark = api.mark()
                    t0 = time.perf_counter()
                    api.private_text("/reload", user_id=ADMIN_ID)
                    ack = None
                    while True:
                        req = await api.wait_until(
                            lambda mark=mark: next(
                                (
                                    r
                                    for r in api.requests[mark:]
                                    if not r.consumed
                                    and r.method.lower() in ("sendmessage", "editmessagetext")
                                    and str(r.chat_id) == str(ADMIN_ID)
                                ),
                                None,
                            ),
                            "no reply to /reload",
                            timeout=WAIT,
                        )
                        req.consumed = True
                        text = _text(req)
                        if ack is None and any(m in text for m in RELOADING):
                            ack = req.received_at - t0
                        if any(m in text for m in RELOADED + RELOAD_FAILED):
                            break
                    results.append(req.received_at - t0)
                    if ack is not None:
                        acks.append(ack)
                    outcomes.append("reloaded" if any(m in text for m in RELOADED) else "REFUSED")
                    checks += await _quiet(bot)
            finally:
                await bot.stop()
        report.add(
            "/reload of an edited base: send -> result",
            _seconds(results),
            target,
            _median(results) < 2,
        )
        if acks:
            report.add("/reload: send -> acknowledgement", _seconds(acks))
        report.note(
            f"/reload outcomes: {', '.join(outcomes)}; a background self-check ran after "
            f"{checks} of {len(outcomes)} reloads (waited for before the next one)"
        )
    except Exception as exc:
        report.failed("/reload of an edited base: send -> result", exc, target)


# ----------------------------------------------------------------------------- 5, 6: benches


def _bench_json(script: str, args: Sequence[str], tmp: Path, timeout: float) -> dict[str, Any]:
    argv = [sys.executable, str(BENCH / script), "--json", *args]
    _, code, out, err = run_timed(argv, clean_env(), tmp, timeout)
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if code != 0 or not lines:
        raise RuntimeError(f"{script} exited {code}: {err.strip()[-300:]}")
    return json.loads(lines[-1])


def measure_engine(report: Report, tmp: Path) -> None:
    try:
        f = _bench_json("bench_engine.py", ["--rounds", "3"], tmp, 240)
    except Exception as exc:
        report.failed("bench_engine.py", exc)
        return
    report.add(
        "load + index (warm process, median of 5)",
        f"{f['load_index_ms']:.0f} ms  (load {f['load_ms']:.0f} + index {f['index_ms']:.0f})",
        "< 300 ms",
        f["load_index_ms"] < 300,
    )
    report.add(
        "load + index (first, in a fresh process)",
        f"{f['cold_load_index_ms']:.0f} ms  (after imports of {f['cold_import_ms']:.0f} ms)",
    )
    report.add(
        "per question, uncached: p99",
        f"{f['p99_ms']:.2f} ms  (p50 {f['p50_ms']:.2f}, max {f['max_ms']:.2f}, "
        f"n={f['questions_timed']})",
        "< 2 ms",
        f["p99_ms"] < 2,
    )
    report.add("full check in-process (citebot check's work)", f"{f['full_check_ms']:.0f} ms")


def measure_telegram(report: Report, tmp: Path, updates: int) -> None:
    common = ["--updates", str(updates), "--duration", "5", "--limited", "30"]
    for cache in (False, True):
        label = "answer cache on" if cache else "answer cache off"
        measure = f"throughput, updates/s ({label})"
        target = "—" if cache else ">= 800 (aim 1,000)"
        try:
            f = _bench_json(
                "bench_telegram.py", [*common, *(["--answer-cache"] if cache else [])], tmp, 240
            )
        except Exception as exc:
            report.failed(measure, exc, target)
            continue
        report.add(
            measure,
            f"{f['updates_per_s']:.0f}  ({f['answered']}/{f['updates']}; bot CPU "
            f"{f['bot_cpu_ms_per_update']:.2f} ms/update)",
            target,
            None if cache else f["updates_per_s"] >= 800,
        )
        if not cache:
            report.note(
                f"bench_telegram (cache off): latency at 100/s p50 {f['latency_p50_ms']:.1f} ms, "
                f"p99 {f['latency_p99_ms']:.1f} ms; its in-process bot RSS "
                f"{f['rss_started_mb']:.0f} MB after start-up, {f['rss_after_mb']:.0f} MB "
                "after the run (the harness included)"
            )


# ----------------------------------------------------------------------------- main


@contextlib.contextmanager
def _cleanup() -> Iterator[Path]:
    previous = signal.signal(signal.SIGTERM, _on_signal)
    tmp = Path(tempfile.mkdtemp(prefix="citebot-targets-"))
    try:
        yield tmp
    finally:
        _kill_all()
        shutil.rmtree(tmp, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="cold `citebot ask` runs per case")
    parser.add_argument("--bot-runs", type=int, default=3, help="bot start-ups per case")
    parser.add_argument("--updates", type=int, default=3000, help="questions in the burst")
    args = parser.parse_args()

    load = os.getloadavg()
    print(
        f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}  "
        f"({os.cpu_count()} CPUs; Python {sys.version.split()[0]}; "
        f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', 'unset')})",
        flush=True,
    )
    report = Report()
    t0 = time.perf_counter()
    with _cleanup() as tmp:
        print("1/6 citebot ask", flush=True)
        measure_ask(report, tmp, args.runs)
        print("2/6 citebot check", flush=True)
        measure_check(report, tmp, 3)
        print("3/6 citebot run: start-up", flush=True)
        seed = asyncio.run(measure_startup(report, tmp, args.bot_runs))
        print("4/6 /reload", flush=True)
        asyncio.run(measure_reload(report, tmp, seed, args.bot_runs))
        print("5/6 bench_engine.py", flush=True)
        measure_engine(report, tmp)
        print("6/6 bench_telegram.py", flush=True)
        measure_telegram(report, tmp, args.updates)
    load = os.getloadavg()
    report.note(
        f"total {time.perf_counter() - t0:.0f} s; load average at end: "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    report.print()


if __name__ == "__main__":
    main()
