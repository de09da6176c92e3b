"""Benchmark of the Telegram bot over loopback: throughput, latency, memory.

Prints figures; asserts nothing. The real production ``Application``
(``bot.telegram.app.build_application``, started as ``run_polling`` starts it) talks HTTP
to the fake Bot API server of the tests (``tests/fake_bot_api.py``), which runs in a
*separate process* so that the bot's process measures only the bot: on the 2-core
reference machine the server gets one core and the bot the other. Loopback only.

Phases (bounded: about a minute in all):

1. warm-up: 200 questions;
2. throughput: N private questions (default 5000) from N distinct users (so the per-user
   flood guard never triggers) are queued at once; updates/s = N / (time from queueing to
   the last answer's sendMessage arriving at the server);
3. latency: questions arrive at a fixed rate (default 100/s for 20 s); for each, the time
   from the server handing the update out in a getUpdates response to the bot's
   sendMessage for it arriving; p50/p99/max;
4. resident memory (RSS) of the bot's process after start-up and after the run;
5. the same bot *as configured for production*, with its outbound ``AIORateLimiter``
   (Telegram allows about 30 messages/s overall): a burst shows the rate the limiter
   lets through, which is what caps real-world throughput.

Phases 2 and 3 run with the rate limiter disabled (``build_application(...,
rate_limiter=None)``), because the limiter deliberately throttles to Telegram's 30
messages/s and would hide the bot's own capacity; phase 5 reports the limited figure.

By default the engine keeps no answer cache (``Engine(dir, config, remember=0)``): every
update runs the whole matching pipeline, so a repeated question costs what a new one does.
``--answer-cache`` measures the production engine, which remembers recent answers.

Targets: >= 800 updates/s without the answer cache (aim: 1,000), p99 < 50 ms at 100
updates/s, RSS < 100 MB.
Run: python bench/bench_telegram.py [--updates N] [--rate R] [--duration S] [--answer-cache]
[--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "42:FakeTokenForTestsOnly_xyzXYZ0123456"
USER_BASE = 10_000_000  # user ids of the simulated readers


# ----------------------------------------------------------------------------- server side
# Runs in a child process (spawned: a clean interpreter that never imports the bot).


def fake_bot_api_class() -> type:
    """``tests/fake_bot_api.FakeBotApi`` (imported from the tests' folder)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fake_bot_api import FakeBotApi

    return FakeBotApi


def _server_main(conn: Any) -> None:
    asyncio.run(_serve(conn))


async def _serve(conn: Any) -> None:
    api = fake_bot_api_class()(TOKEN, record_getupdates=False, validate_html=True)
    api.keep_messages = False  # nothing replies to anything here: keep the server lean
    sent_at: dict[int, float] = {}  # chat id -> first sendMessage arrival
    waiters: dict[int, asyncio.Event] = {}
    target = {"n": 0}

    def on_request(req: Any) -> None:
        if req.method == "sendMessage":
            chat = int(req.params.get("chat_id", 0))
            if chat not in sent_at:
                sent_at[chat] = req.received_at
                if len(sent_at) >= target["n"] and target["n"]:
                    event = waiters.get(target["n"])
                    if event:
                        event.set()

    api.listeners.append(on_request)
    await api.start()
    conn.send(api.base_url)
    loop = asyncio.get_running_loop()

    def question_update(i: int, questions: list[str], uid: int) -> dict[str, Any]:
        user = {"id": uid, "is_bot": False, "first_name": "R", "language_code": "zh-hans"}
        chat = {"id": uid, "type": "private", "first_name": "R"}
        text = questions[i % len(questions)]
        return {
            "message": {
                "message_id": i + 1,
                "date": int(time.time()),
                "chat": chat,
                "from": user,
                "text": text,
            }
        }

    async def wait_all(n: int, timeout: float) -> None:
        target["n"] = n
        event = waiters[n] = asyncio.Event()
        if len(sent_at) >= n:
            event.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    while True:
        cmd, *args = await loop.run_in_executor(None, conn.recv)
        if cmd == "stop":
            break
        sent_at.clear()
        sent_before = api.received_count.get("sendmessage", 0)
        if cmd == "burst":
            n, base, questions, timeout = args
            t0 = time.perf_counter()
            ids = [
                api.enqueue(question_update(i, questions, base + i))["update_id"] for i in range(n)
            ]
            await wait_all(n, timeout)
            done = [base + i for i in range(n) if base + i in sent_at]
            t_last = max((sent_at[c] for c in done), default=t0)
            conn.send(
                {
                    "n": n,
                    "answered": len(done),
                    "seconds": t_last - t0,
                    "sends": api.received_count.get("sendmessage", 0) - sent_before,
                    "served": sum(1 for u in ids if u in api.served_at),
                }
            )
        elif cmd == "paced":
            rate, duration, base, questions, grace = args
            n = int(rate * duration)
            t0 = time.perf_counter()
            ids: list[int] = []
            for i in range(n):
                delay = t0 + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                ids.append(api.enqueue(question_update(i, questions, base + i))["update_id"])
            await wait_all(n, grace)
            lat = [
                (sent_at[base + i] - api.served_at[u]) * 1000
                for i, u in enumerate(ids)
                if base + i in sent_at and u in api.served_at
            ]
            conn.send(
                {
                    "n": n,
                    "answered": len(lat),
                    "latencies_ms": lat,
                    "seconds": time.perf_counter() - t0,
                }
            )
    await api.stop()
    conn.send("stopped")


# ----------------------------------------------------------------------------- bot side


async def _recv(conn: Any, timeout: float = 120) -> Any:
    loop = asyncio.get_running_loop()
    if not await loop.run_in_executor(None, conn.poll, timeout):
        raise TimeoutError("the fake server did not answer")
    return conn.recv()


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _questions() -> list[str]:
    """Real reader questions: the labelled evaluation sets (answerable and not) plus
    stored question variants; a realistic mix of answers, did-you-means and refusals."""
    from bot.evaluation import load_cases

    qs = [c.question for f in sorted((ROOT / "eval").glob("*.yaml")) for c in load_cases(f)]
    return [q for q in qs if not q.startswith("/")] or ["连云港有多少个爱国主义教育基地?"]


async def _start(
    api_url: str, data_dir: Path, *, limited: bool, answer_cache: bool, inbox: bool = True
) -> tuple[Any, Any]:
    from bot.engine import REMEMBERED_ANSWERS, Engine
    from bot.matcher import MatchConfig
    from bot.settings import Settings
    from bot.stats import StatsStore
    from bot.telegram import runner
    from bot.telegram.app import build_application

    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api_url,
        "CITEBOT_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "CITEBOT_DATA_DIR": str(data_dir),
    }
    settings = Settings.from_env(env)
    remember = REMEMBERED_ANSWERS if answer_cache else 0
    engine = Engine(settings.knowledge_dir, MatchConfig.from_env(env), remember=remember)
    store = StatsStore(settings.stats_path)
    kwargs: dict[str, Any] = {} if limited else {"rate_limiter": None}
    if inbox:  # as `citebot run`: every update stored before it is confirmed
        from bot.inbox import Inbox

        kwargs["inbox"] = Inbox(settings.inbox_path)
    app = build_application(settings, engine, store, **kwargs)
    await app.initialize()
    if app.post_init:
        await app.post_init(app)

    def error_callback(exc: Exception) -> None:
        app.create_task(app.process_error(error=exc, update=None))

    await app.updater.start_polling(
        poll_interval=0.0,
        timeout=10,
        allowed_updates=runner.ALLOWED_UPDATES,
        error_callback=error_callback,
    )
    await app.start()
    return app, store


async def _stop(app: Any, store: Any) -> None:
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)
    store.close()


def _cpu(pid: int | None = None) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


async def _bench(args: argparse.Namespace) -> None:
    from bot.telegram.logsetup import configure_logging

    configure_logging(logging.WARNING, TOKEN)  # per-update logging is DEBUG anyway
    ctx = mp.get_context("spawn")
    conn, child_conn = ctx.Pipe()
    server = ctx.Process(target=_server_main, args=(child_conn,), daemon=True)
    server.start()
    try:
        api_url = await _recv(conn, 30)
        questions = _questions()
        rss_idle = _rss_mb()
        with tempfile.TemporaryDirectory(prefix="citebot-bench-") as tmp:
            t0 = time.perf_counter()
            app, store = await _start(
                api_url,
                Path(tmp) / "a",
                limited=False,
                answer_cache=args.answer_cache,
                inbox=not args.no_inbox,
            )
            startup = time.perf_counter() - t0
            rss_started = _rss_mb()
            conn.send(("burst", 200, USER_BASE, questions, 30))
            warm = await _recv(conn)
            cpu0 = (_cpu(), _cpu(server.pid))
            conn.send(("burst", args.updates, USER_BASE + 1_000_000, questions, 60))
            burst = await _recv(conn)
            cpu = (_cpu() - cpu0[0], _cpu(server.pid) - cpu0[1])
            conn.send(("paced", args.rate, args.duration, USER_BASE + 2_000_000, questions, 10))
            paced = await _recv(conn, args.duration + 60)
            rss_after = _rss_mb()
            await _stop(app, store)

            app, store = await _start(
                api_url,
                Path(tmp) / "b",
                limited=True,
                answer_cache=args.answer_cache,
                inbox=not args.no_inbox,
            )
            conn.send(("burst", args.limited, USER_BASE + 3_000_000, questions, 30))
            limited = await _recv(conn)
            await _stop(app, store)
        conn.send(("stop",))
        await _recv(conn, 10)
    finally:
        server.join(5)
        if server.is_alive():
            server.terminate()

    lat = paced["latencies_ms"]
    rate = burst["answered"] / burst["seconds"] if burst["seconds"] else float("nan")
    limited_rate = limited["answered"] / limited["seconds"] if limited["seconds"] else float("nan")
    busy = [c / burst["seconds"] * 100 if burst["seconds"] else 0 for c in cpu]
    per = [c / max(1, burst["answered"]) * 1000 for c in cpu]
    cache = "on (Engine remembers recent answers)" if args.answer_cache else "off (remember=0)"
    if args.json:
        figures = {
            "answer_cache": args.answer_cache,
            "startup_ms": startup * 1000,
            "updates": burst["n"],
            "answered": burst["answered"],
            "updates_per_s": rate,
            "bot_cpu_ms_per_update": per[0],
            "server_cpu_ms_per_update": per[1],
            "bot_cpu_busy_pct": busy[0],
            "latency_p50_ms": _pct(lat, 0.50),
            "latency_p99_ms": _pct(lat, 0.99),
            "rss_started_mb": rss_started,
            "rss_after_mb": rss_after,
            "limited_updates_per_s": limited_rate,
        }
        print(json.dumps(figures))
        return
    print(f"answer cache: {cache}")
    print(f"questions: {len(questions)} reader questions from eval/*.yaml, cycled")
    print(f"start-up (engine + initialize + command menu): {startup * 1000:.0f} ms")
    print(f"warm-up: {warm['answered']}/{warm['n']} answered in {warm['seconds']:.2f} s")
    print()
    print("throughput (rate limiter off; N questions from N users queued at once)")
    print(
        f"  answered {burst['answered']}/{burst['n']} in {burst['seconds']:.2f} s "
        f"({burst['sends']} sendMessage calls)"
    )
    print(f"  => {rate:.0f} updates/s answered   (target >= 800, aim 1,000, answer cache off)")
    if args.answer_cache:
        print(
            f"  ({len(set(questions))} distinct questions, cycled: a repeat is answered from"
            " the engine's memory of recent answers, as a popular question is in production)"
        )
    else:
        print(
            f"  ({len(set(questions))} distinct questions, cycled; answer cache off: every"
            " update runs the whole matching pipeline)"
        )
    print(
        f"  CPU: bot {per[0]:.2f} ms/update ({busy[0]:.0f}% of a core), fake server "
        f"{per[1]:.2f} ms/update ({busy[1]:.0f}% of a core)"
    )
    print()
    print(
        f"latency at {args.rate}/s for {args.duration} s (rate limiter off): "
        "getUpdates hands out the update -> its sendMessage arrives"
    )
    print(f"  answered {paced['answered']}/{paced['n']}")
    if lat:
        print(
            f"  p50 {_pct(lat, 0.50):.1f} ms   p90 {_pct(lat, 0.90):.1f} ms   "
            f"p99 {_pct(lat, 0.99):.1f} ms   max {max(lat):.1f} ms   "
            f"mean {statistics.fmean(lat):.1f} ms   (target p99 < 50 ms)"
        )
    print()
    print("resident memory of the bot's process")
    print(
        f"  before the bot: {rss_idle:.0f} MB   after start-up: {rss_started:.0f} MB   "
        f"after the run: {rss_after:.0f} MB   (target < 100 MB)"
    )
    print()
    print("as configured for production (AIORateLimiter: ~30 messages/s overall)")
    print(
        f"  {limited['answered']}/{limited['n']} answered in {limited['seconds']:.2f} s "
        f"=> {limited_rate:.0f} updates/s: the limiter, i.e. Telegram's own limit, is "
        "what caps real-world throughput"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=5000, help="questions in the burst")
    parser.add_argument("--rate", type=int, default=100, help="questions/s in the latency run")
    parser.add_argument("--duration", type=float, default=20, help="seconds of the latency run")
    parser.add_argument(
        "--limited",
        type=int,
        default=150,
        help="questions in the run with the production rate limiter",
    )
    parser.add_argument(
        "--answer-cache",
        action="store_true",
        help="let the engine remember recent answers, as in production (default: off)",
    )
    parser.add_argument(
        "--no-inbox", action="store_true", help="without the durable inbox (default: with it)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    asyncio.run(_bench(args))


if __name__ == "__main__":
    main()
