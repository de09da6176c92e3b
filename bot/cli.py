"""The ``citebot`` command line: ``run``, ``ask``, ``check`` and ``eval``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.paths import default_knowledge_dir


def _knowledge_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("CITEBOT_KNOWLEDGE_DIR")
    return Path(env) if env else default_knowledge_dir()


def _engine(directory: Path):  # -> Engine, imported lazily to keep `--help` fast
    from bot.engine import Engine
    from bot.knowledge import KnowledgeError
    from bot.matcher import MatchConfig

    try:
        return Engine(directory, MatchConfig.from_env(os.environ))
    except KnowledgeError as exc:
        print(f"citebot: the knowledge base in {directory} is broken:", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None
    except ValueError as exc:
        print(f"citebot: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _questions(words: Sequence[str]) -> Iterable[str]:
    if not words or list(words) == ["-"]:
        for line in sys.stdin:
            line = line.rstrip("\r\n")
            if line.strip():
                yield line
    else:
        yield " ".join(words)


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.answers import result_json, result_text

    engine = _engine(_knowledge_dir(args.knowledge))
    out = sys.stdout
    for question in _questions(args.question):
        result = engine.ask(question)
        if args.json:
            out.write(json.dumps(result_json(result, engine.kb), ensure_ascii=False) + "\n")
        else:
            out.write(result_text(result, engine.kb) + "\n")
            if len(args.question) == 0 or args.question == ["-"]:
                out.write("\n")
        out.flush()
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from bot.engine import Engine
    from bot.knowledge import KnowledgeError, load_knowledge
    from bot.matcher import MatchConfig
    from bot.selfcheck import full_check

    directory = _knowledge_dir(args.directory)
    try:
        config = MatchConfig.from_env(os.environ)
        kb = load_knowledge(directory)
    except ValueError as exc:  # a malformed CITEBOT_* threshold
        print(f"citebot: {exc}", file=sys.stderr)
        return 2
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    report = full_check(kb, Engine.over(kb, config).ask)
    if report.collisions:
        for collision in report.collisions:
            print(collision)
        print(
            f"{len(report.collisions)} problem(s) in {directory}: stored questions not "
            "answered by their own entry",
            file=sys.stderr,
        )
        return 1
    questions = sum(len(v) for e in kb.entries for v in e.questions.values())
    print(f"ok: {len(kb.entries)} entries, {questions} question variants, version {kb.version}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluation import evaluate, format_report, load_cases

    engine = _engine(_knowledge_dir(args.knowledge))
    status = 0
    for path in args.files:
        report = evaluate(load_cases(Path(path)), engine.ask)
        print(f"== {path}")
        print(format_report(report, verbose=not args.quiet))
        if report.answered_rate < args.min_answered or report.refused_rate < args.min_refused:
            status = 1
    return status


def cmd_run(args: argparse.Namespace) -> int:
    from bot.telegram.runner import main as run_bot

    return run_bot(webhook=args.webhook)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citebot",
        description="Answers questions about one news article, citing the sentence each "
        "answer rests on.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    run.add_argument("--webhook", action="store_true", help="serve a webhook instead of polling")
    run.set_defaults(func=cmd_run)

    ask = sub.add_parser("ask", help="answer questions on the terminal (no token needed)")
    ask.add_argument(
        "question", nargs="*", help="the question; '-' or none reads stdin, one per line"
    )
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--knowledge", metavar="DIR", help="knowledge directory")
    ask.set_defaults(func=cmd_ask)

    check = sub.add_parser(
        "check", help="validate a knowledge directory; non-zero exit on problems"
    )
    check.add_argument(
        "directory", nargs="?", help="knowledge directory (default: the shipped one)"
    )
    check.set_defaults(func=cmd_check)

    ev = sub.add_parser("eval", help="score the engine on labelled question files")
    ev.add_argument("files", nargs="+", help="YAML question files (see eval/)")
    ev.add_argument("--knowledge", metavar="DIR", help="knowledge directory")
    ev.add_argument("--quiet", action="store_true", help="figures only, no failure list")
    ev.add_argument(
        "--min-answered",
        type=float,
        default=0.0,
        metavar="PCT",
        help="exit 1 if fewer answerable questions are answered correctly",
    )
    ev.add_argument(
        "--min-refused",
        type=float,
        default=0.0,
        metavar="PCT",
        help="exit 1 if fewer unanswerable questions are refused",
    )
    ev.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
