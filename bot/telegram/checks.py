"""The full self-check in a running bot, in a child process.

After start-up (unless this knowledge version was checked before: results are kept in
``CITEBOT_DATA_DIR``) and after each reload, every stored question is checked by
``python -m bot.selfcheck`` in a child process at low priority: the bot keeps answering at
full speed meanwhile, and a stop does not wait for the check. The result is logged;
collisions are never silent: each is logged at WARNING and sent to the admins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable

from telegram import Bot
from telegram.error import TelegramError

from bot.engine import Engine
from bot.model import Lang
from bot.selfcheck import CheckReport
from bot.telegram import render
from bot.telegram.render import Block, Span
from bot.telegram.texts import t

log = logging.getLogger(__name__)

MAX_COLLISIONS_SHOWN = 20  # in a message or the log; the rest are counted

OnReport = Callable[[CheckReport], Awaitable[None]]


class BackgroundCheck:
    """Runs the full self-check of the engine's live base, one at a time."""

    def __init__(self, engine: Engine, on_report: OnReport | None = None) -> None:
        if engine.cache is None:
            raise ValueError("a background self-check needs an engine with a check cache")
        self.engine = engine
        self.on_report = on_report
        self._task: asyncio.Task[CheckReport | None] | None = None

    def start(self, on_report: OnReport | None = None) -> asyncio.Task[CheckReport | None]:
        """Check the live base now, reporting to ``on_report`` (default: the one given at
        construction); a check still running for an older base is dropped."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.get_running_loop().create_task(self._run(on_report or self.on_report))
        return self._task

    async def stop(self) -> None:
        """Cancel a running check (its child process is killed)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, on_report: OnReport | None) -> CheckReport | None:
        try:
            report = await check_live_base(self.engine)
            if report is not None and on_report is not None:
                await on_report(report)
            return report
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("self-check failed")
            return None


async def check_live_base(engine: Engine) -> CheckReport | None:
    """The full self-check of the live base: recalled if done before, else run in a child
    process (``None`` if that failed, after logging why)."""
    report = engine.cached_check()
    if report is not None:
        log.info(
            "self-check: version %s was checked before (%d questions, %d collision(s))",
            report.version,
            report.checked,
            len(report.collisions),
        )
    else:
        version = engine.kb.version
        log.info("self-check: checking every stored question of version %s", version)
        assert engine.cache is not None
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.selfcheck",
            str(engine.directory),
            str(engine.cache.path),
            *([str(engine.learned)] if engine.learned is not None else []),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, err = await proc.communicate()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise
        report = engine.cached_check()
        if report is None:
            if engine.kb.version != version:
                log.info("self-check of version %s dropped: the base changed", version)
            else:
                why = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
                log.error("self-check failed (exit %s): %s", proc.returncode, why[0])
            return None
    if report.clean:
        log.info(
            "self-check passed: %d stored questions, version %s", report.checked, report.version
        )
    else:
        log.warning(
            "self-check: %d stored question(s) of version %s are not answered by their own "
            "entry; run `citebot check` for the full list:\n%s",
            len(report.collisions),
            report.version,
            "\n".join(str(c) for c in report.collisions[:MAX_COLLISIONS_SHOWN]),
        )
    return report


def report_messages(report: CheckReport, lang: Lang) -> list[str]:
    """The result for an admin, as Telegram HTML messages."""
    if report.clean:
        return [t("check_clean", lang, n=report.checked, version=report.version)]
    blocks: list[Block] = [
        render.raw(
            t(
                "check_collisions",
                lang,
                n=len(report.collisions),
                checked=report.checked,
                version=report.version,
            )
        )
    ]
    blocks += [(Span(f"• {c}"),) for c in report.collisions[:MAX_COLLISIONS_SHOWN]]
    hidden = len(report.collisions) - MAX_COLLISIONS_SHOWN
    if hidden > 0:
        blocks.append(render.raw(t("reload_more", lang, n=hidden)))
    return render.to_messages(blocks)


async def tell_admins(bot: Bot, admin_ids: Iterable[int], report: CheckReport) -> None:
    """Send a report with collisions to every admin, in English (an admin who never
    opened a chat with the bot cannot be reached: logged, not raised)."""
    if report.clean:
        return
    for admin in sorted(admin_ids):
        try:
            for text in report_messages(report, "en"):
                await bot.send_message(admin, text, parse_mode="HTML")
        except TelegramError as exc:
            log.warning("could not send the self-check report to admin %s: %s", admin, exc)
