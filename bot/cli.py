"""The ``citebot`` command line: ``run``, ``ask``, ``check``, ``eval``, ``review`` and
``health``."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.paths import default_knowledge_dir

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.evaluation import Case


def _knowledge_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("CITEBOT_KNOWLEDGE_DIR")
    return Path(env) if env else default_knowledge_dir()


def _engine(args: argparse.Namespace) -> Engine:  # imported lazily: `--help` stays fast
    if args.engine is not None:
        return args.engine
    from bot.engine import Engine
    from bot.knowledge import KnowledgeError
    from bot.matcher import MatchConfig

    directory = _knowledge_dir(args.knowledge)
    learned = getattr(args, "learned", None) or os.environ.get("CITEBOT_LEARNED") or None
    try:
        return Engine(directory, MatchConfig.from_env(os.environ), learned=learned)
    except KnowledgeError as exc:
        print(f"citebot: the knowledge base in {directory} is broken:", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None
    except ValueError as exc:
        print(f"citebot: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


PROMPT = "问题> "
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[?!.,]?")


def _stdin_lines() -> Iterator[str]:
    """Questions from stdin, one per line; blank lines are skipped."""
    for line in sys.stdin:
        line = line.rstrip("\r\n")
        if line.strip():
            yield line


def _prompted_lines() -> Iterator[str]:
    """Questions typed at a terminal, after a prompt, until EOF (Ctrl-D) or an empty line."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    while True:
        try:
            if sys.stdout.isatty():
                line = input(PROMPT)
            else:  # the answers go to a pipe or a file: keep the prompt out of them
                sys.stderr.write(PROMPT)
                sys.stderr.flush()
                line = sys.stdin.readline()
                if not line:
                    raise EOFError
        except EOFError:
            sys.stderr.write("\n")
            return
        line = line.rstrip("\r\n")
        if not line.strip():
            return
        yield line


def _questions(words: Sequence[str], interactive: bool) -> Iterator[str]:
    """Each argument is one question; '-' reads stdin, one question per line. Without
    arguments: prompted questions if ``interactive`` (stdin is a terminal), else stdin."""
    if not words:
        yield from _prompted_lines() if interactive else _stdin_lines()
        return
    for question in words:
        if question == "-":
            yield from _stdin_lines()
        else:
            yield question


def _split_sentence_hint(words: Sequence[str]) -> str | None:
    """A hint when the arguments look like one English question split by the shell."""
    if len(words) > 1 and all(_WORD.fullmatch(w) for w in words):
        joined = " ".join(words)
        return (
            f"citebot: asking {len(words)} questions, one per argument; "
            f'to ask one question, quote it: citebot ask "{joined}"'
        )
    return None


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.answer_view import build
    from bot.answers import view_json, view_text

    hint = _split_sentence_hint(args.question)
    if hint:
        print(hint, file=sys.stderr)
    engine = _engine(args)
    interactive = not args.question and sys.stdin.isatty()
    if interactive:
        title = engine.kb.article.title
        print(
            f"citebot: questions about 《{title}》, one per line; an empty line or Ctrl-D ends.",
            file=sys.stderr,
        )
    out = sys.stdout
    for n, question in enumerate(_questions(args.question, interactive)):
        view = build(engine.ask(question), engine.kb)
        if args.json:
            out.write(json.dumps(view_json(view), ensure_ascii=False) + "\n")
        elif interactive:
            out.write(view_text(view) + "\n\n")
        else:
            out.write(("\n" if n else "") + view_text(view) + "\n")
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
    except KnowledgeError as exc:  # the first problems, then "... and N more problems"
        print("\n".join(exc.lines()))
        print(f"{exc.total} problem(s) in {directory}", file=sys.stderr)
        return 1
    report = full_check(kb, Engine.over(kb, config).ask)
    if report.collisions:
        found = KnowledgeError(c.problem() for c in report.collisions)
        print("\n".join(found.lines()))
        print(
            f"{found.total} problem(s) in {directory}: stored questions not "
            "answered by their own entry",
            file=sys.stderr,
        )
        return 1
    questions = sum(len(v) for e in kb.entries for v in e.questions.values())
    print(f"ok: {len(kb.entries)} entries, {questions} question variants, version {kb.version}")
    return 0


def _eval_cases(paths: Sequence[str]) -> list[tuple[str, list[Case]]]:
    """Every eval file's cases, read before the engine is loaded (a typo fails fast)."""
    from bot.evaluation import EvalFileError, load_cases

    cases = []
    for path in paths:
        try:
            cases.append((path, load_cases(Path(path))))
        except OSError as exc:
            reason = _OS_REASONS.get(type(exc), exc.strerror or str(exc))
            print(f"citebot: cannot read eval file {path!r}: {reason}", file=sys.stderr)
            raise SystemExit(2) from None
        except EvalFileError as exc:
            print(f"citebot: bad eval file {exc}", file=sys.stderr)
            raise SystemExit(2) from None
    return cases


_OS_REASONS: dict[type[OSError], str] = {
    FileNotFoundError: "no such file",
    IsADirectoryError: "it is a directory",
    PermissionError: "permission denied",
}


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluation import Case, evaluate, format_report

    cases = _eval_cases(args.files)
    engine = _engine(args)
    if args.known_unanswerable:
        known = [Case(q, [], True, "known-none") for q in engine.kb.unanswerable]
        cases.append((f"known unanswerable questions of the base ({len(known)})", known))
    status = 0
    for path, file_cases in cases:
        report = evaluate(file_cases, engine.ask, engine.kb.entry)
        print(f"== {path}")
        print(format_report(report, verbose=not args.quiet))
        if report.answered_rate < args.min_answered or report.refused_rate < args.min_refused:
            status = 1
    return status


def cmd_run(args: argparse.Namespace) -> int:
    from bot.telegram.runner import main as run_bot

    if args.webhook:
        return run_bot(webhook=True)
    # Polling serves no HTTP: keep PTB's webhook server (tornado, ~4 MB of memory) out.
    with _not_importable("tornado"):
        return run_bot(webhook=False)


def cmd_review(args: argparse.Namespace) -> int:
    """The review queue of the data directory (``CITEBOT_DATA_DIR``): list it, act on one
    item as /review's buttons do, or export the learned variants into the knowledge dir."""
    from bot import learned
    from bot.engine import Engine
    from bot.feedback import FeedbackStore
    from bot.knowledge import KnowledgeError
    from bot.matcher import MatchConfig
    from bot.paths import default_data_dir

    data_dir = Path(os.environ.get("CITEBOT_DATA_DIR") or default_data_dir())
    overlay = data_dir / learned.FILE
    knowledge = _knowledge_dir(args.knowledge)
    if args.export:
        try:
            written, marked, notes = learned.export(knowledge, overlay)
        except KnowledgeError as exc:
            print(f"citebot: nothing exported:\n{exc}", file=sys.stderr)
            return 1
        for note in notes:
            print(f"citebot: {note}", file=sys.stderr)
        print(
            f"{written} learned variant(s) and {marked} question(s) not in the article "
            f"written into {knowledge}"
        )
        return 1 if notes else 0
    data_dir.mkdir(parents=True, exist_ok=True)
    with FeedbackStore(data_dir / "feedback.sqlite3") as store:
        chosen = (args.add, args.skip, args.not_in_article)
        item_id = next((v for v in chosen if v is not None), None)
        if item_id is None:
            for item in store.review_queue_sync(args.limit):
                if args.json:
                    row = item._asdict() | {"last_seen": item.last_seen.isoformat()}
                    print(json.dumps(row, ensure_ascii=False))
                else:
                    print(
                        f"{item.id}\t{item.count}x\t{item.kind}\t{item.entry_id}\t{item.question}"
                    )
            return 0
        item = store.review_item_sync(item_id)
        if item is None:
            print(f"citebot: no pending review item {item_id}", file=sys.stderr)
            return 1
        if args.add is not None:
            if item.kind not in ("tap", "up"):
                print(f"citebot: item {item_id} is a 👎: nothing to add", file=sys.stderr)
                return 1
            try:
                engine = Engine(knowledge, MatchConfig.from_env(os.environ), learned=overlay)
                summary = engine.learn(item.question, item.entry_id)
            except KnowledgeError as exc:
                print(f"citebot: not added, nothing changed:\n{exc}", file=sys.stderr)
                return 1
            store.mark_reviewed_sync(item_id, "added")
            print(
                f"added {item.question!r} to {item.entry_id} (version {summary.version}, "
                f"was {summary.previous_version}); a running bot sees it after /reload"
            )
            return 0
        if args.not_in_article is not None:
            try:
                engine = Engine(knowledge, MatchConfig.from_env(os.environ), learned=overlay)
                engine.mark_unanswerable(item.question)
            except KnowledgeError as exc:
                print(f"citebot: not marked, nothing changed:\n{exc}", file=sys.stderr)
                return 1
        action = "skipped" if args.skip is not None else "not_in_article"
        store.mark_reviewed_sync(item_id, action)
        print(f"item {item_id}: {action.replace('_', ' ')}")
        return 0


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 if the running bot's heartbeat (``CITEBOT_DATA_DIR/heartbeat.json``) is fresh,
    1 otherwise (Docker's HEALTHCHECK contract: 0 healthy, 1 unhealthy); one line either way.
    Reads no token and loads no knowledge: it is cheap enough to run every few seconds."""
    from bot import heartbeat
    from bot.paths import default_data_dir

    try:
        max_age = args.max_age
        if max_age is None:
            max_age = heartbeat.MAX_AGE_INTERVALS * heartbeat.interval_from_env(os.environ)
    except ValueError as exc:
        print(f"citebot: unhealthy: {exc}", file=sys.stderr)
        return 1
    data_dir = Path(os.environ.get("CITEBOT_DATA_DIR") or default_data_dir())
    healthy, why = heartbeat.verdict(data_dir / heartbeat.FILE, max_age)
    if healthy:
        print(f"citebot: healthy: {why}")
        return 0
    print(f"citebot: unhealthy: {why}", file=sys.stderr)
    return 1


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


@contextlib.contextmanager
def _not_importable(module: str) -> Iterator[None]:
    """While inside, importing ``module`` fails (as if it were not installed), unless it
    is imported already; afterwards it can be imported again."""
    if module in sys.modules:
        yield
        return
    sys.modules[module] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get(module, 0) is None:
            del sys.modules[module]


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

    ask = sub.add_parser(
        "ask",
        help="answer questions on the terminal (no token needed)",
        description="Answer each QUESTION argument (quote a question that contains spaces). "
        "'-' reads questions from stdin, one per line; so does no argument, except at a "
        "terminal, where it prompts for questions until an empty line or Ctrl-D.",
    )
    ask.add_argument(
        "question",
        nargs="*",
        help="one question per argument; '-' reads stdin, one per line",
    )
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--knowledge", metavar="DIR", help="knowledge directory")
    ask.add_argument(
        "--learned", metavar="FILE", help="merge this overlay of learned variants (learned.yaml)"
    )
    ask.set_defaults(func=cmd_ask)

    check = sub.add_parser(
        "check", help="validate a knowledge directory; non-zero exit on problems"
    )
    check.add_argument(
        "directory", nargs="?", help="knowledge directory (default: the shipped one)"
    )
    check.set_defaults(func=cmd_check)

    ev = sub.add_parser("eval", help="score the engine on labelled question files")
    ev.add_argument("files", nargs="*", help="YAML question files (see eval/)")
    ev.add_argument(
        "--known-unanswerable",
        action="store_true",
        help="also score the questions reviewed as not in the article (unanswerable.yaml and "
        "the overlay given by --learned): each must be refused",
    )
    ev.add_argument("--knowledge", metavar="DIR", help="knowledge directory")
    ev.add_argument(
        "--learned", metavar="FILE", help="merge this overlay of learned variants (learned.yaml)"
    )
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

    rv = sub.add_parser(
        "review",
        help="the review queue of CITEBOT_DATA_DIR: list, act on an item, export",
        description="Without an option, lists the learning pairs waiting for review "
        "(id, times, kind, entry, question). --add/--skip/--not-in-article act on one item "
        "as /review's buttons do; --export writes the learned variants into knowledge/qa.",
    )
    act = rv.add_mutually_exclusive_group()
    act.add_argument("--add", type=int, metavar="ID", help="add the item's question to its entry")
    act.add_argument("--skip", type=int, metavar="ID", help="mark the item reviewed")
    act.add_argument(
        "--not-in-article", type=int, metavar="ID", help="the question is not in the article"
    )
    act.add_argument("--export", action="store_true", help="move learned.yaml into knowledge/qa")
    rv.add_argument("--json", action="store_true", help="list the queue as JSON lines")
    rv.add_argument("--limit", type=int, default=50, help="list at most this many (50)")
    rv.add_argument("--knowledge", metavar="DIR", help="knowledge directory")
    rv.set_defaults(func=cmd_review)

    health = sub.add_parser(
        "health",
        help="exit 0 if the running bot's heartbeat is fresh, 1 if not (for HEALTHCHECK)",
        description="Reads CITEBOT_DATA_DIR/heartbeat.json, which `citebot run` rewrites every "
        "CITEBOT_HEARTBEAT_INTERVAL seconds (30) while it serves. Exit 0 if it is at most "
        "--max-age seconds old, 1 otherwise; one line says why.",
    )
    health.add_argument(
        "--max-age",
        type=_seconds,
        metavar="SECONDS",
        help="oldest acceptable heartbeat (default: 4 heartbeat intervals, 120 s)",
    )
    health.set_defaults(func=cmd_health)
    return parser


def main(argv: Sequence[str] | None = None, *, engine: Engine | None = None) -> int:
    """Run the command line; returns the exit code. ``engine``, if given, answers ``ask``
    and ``eval`` instead of loading the knowledge directory (tests and embedding)."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.func is cmd_eval and not args.files and not args.known_unanswerable:
        parser.error("eval needs question files or --known-unanswerable")
    args.engine = engine
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130
