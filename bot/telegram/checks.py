"""The full self-check in a running bot, off the event loop.

After start-up (unless this knowledge version was checked before: the result is kept in
``CITEBOT_DATA_DIR``) and after each reload, every stored question is run through the live
engine in a worker thread. The result is logged; collisions are never silent: each one is
logged at WARNING and the admins get it in a private message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

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


async def check_live_base(engine: Engine) -> CheckReport:
    """The full self-check of the live base: recalled if done before, else run now."""
    report = engine.cached_check()
    if report is not None:
        log.info(
            "self-check: version %s was checked before (%d questions, %d collision(s))",
            report.version,
            report.checked,
            len(report.collisions),
        )
    else:
        log.info("self-check: checking every stored question of version %s", engine.kb.version)
        report = await asyncio.to_thread(engine.self_check)
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
    """Send a report with collisions to every admin (an admin who never opened a chat
    with the bot cannot be reached: logged, not raised)."""
    if report.clean:
        return
    for admin in sorted(admin_ids):
        with contextlib.suppress(TelegramError):
            for text in report_messages(report, "zh"):
                await bot.send_message(admin, text, parse_mode="HTML")
