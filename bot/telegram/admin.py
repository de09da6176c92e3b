"""Admin commands: /reload, /stats, /unanswered and /review, and the refusal everyone else
gets.

``bot.telegram.app`` registers the commands' handlers behind the admin filter
(:func:`bot.telegram.access.admin_filter`), and :func:`on_refused` for anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot import learned
from bot.engine import Deadline, Engine, ReloadAbandoned, ReloadSummary
from bot.feedback import FeedbackStore, ReviewItem
from bot.knowledge import KnowledgeError
from bot.model import Lang
from bot.selfcheck import CheckReport
from bot.stats import Counts, Unanswered
from bot.telegram import callbacks, render, review_pick
from bot.telegram.access import is_admin
from bot.telegram.checks import report_messages
from bot.telegram.context import App, Context
from bot.telegram.handlers import (
    _show,
    ack,
    guarded,
    is_group,
    respond,
    respond_text,
)
from bot.telegram.localize import reader_of
from bot.telegram.render import Block, Reply, Span
from bot.telegram.texts import plain, t

log = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 30  # of a failed reload
# Seconds past a reload's time limit its caller waits for the reload's own verdict (the
# reload checks its deadline between steps) before giving it up itself.
REPLY_GRACE = 2.0
STOP_CHECK = 0.25  # seconds between looks at whether the application is stopping


@guarded
async def on_refused(update: Update, context: Context) -> None:
    """An admin command from someone who is not an admin (private chats and groups alike)."""
    log.info("refused an admin command from a non-admin (update %s)", update.update_id)
    await respond_text(update, context, t("not_admin", reader_of(update, context).lang))


async def reload_knowledge(engine: Engine, app: App | None = None) -> ReloadSummary:
    """Re-read, validate and swap the knowledge base in a worker thread (the event loop
    keeps answering with the old base meanwhile). Raises ``KnowledgeError``, or
    ``ReloadAbandoned`` once the reload runs past ``engine.reload_time_limit`` (reason
    ``"timeout"``, or ``"busy"`` if another reload held it up) or ``app`` starts stopping
    (``"stopping"``: a stop never waits for a reload): the old base keeps serving.

    The worker is a daemon thread of its own, not the loop's default executor (which the
    interpreter's exit waits for): a reload stuck in a step that does not look at its
    deadline can neither delay a stop nor keep the process alive. Once given up here, the
    reload gives itself up at its next step and never swaps."""
    deadline = Deadline(engine.reload_time_limit)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[ReloadSummary] = loop.create_future()

    def settle(outcome: ReloadSummary | Exception) -> None:  # on the event loop
        if done.done():  # given up already
            return
        if isinstance(outcome, Exception):
            done.set_exception(outcome)
        else:
            done.set_result(outcome)

    def work() -> None:
        outcome: ReloadSummary | Exception
        try:
            outcome = engine.reload(deadline)
        except Exception as exc:
            outcome = exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, outcome)

    threading.Thread(target=work, name="citebot-reload", daemon=True).start()
    watched = app if app is not None and app.running else None
    give_up_at = loop.time() + deadline.seconds + REPLY_GRACE
    reason = None
    try:
        while not done.done():
            left = give_up_at - loop.time()
            if left <= 0:
                reason = "timeout"
            elif watched is not None and not watched.running:
                reason = "stopping"
            if reason is not None:
                break
            await asyncio.wait({done}, timeout=min(left, STOP_CHECK))
    except asyncio.CancelledError:
        deadline.abandon("cancelled")
        done.cancel()
        raise
    if reason is not None:
        if deadline.abandon(reason):
            done.cancel()
            raise ReloadAbandoned(reason, deadline.seconds)
        await asyncio.wait({done})  # it swapped just now: its summary is on its way
    summary = done.result()  # or the reload's own exception
    log.info(
        "knowledge base reloaded: %d entries, version %s (was %s), added %s, removed %s, "
        "changed %s",
        summary.entries,
        summary.version,
        summary.previous_version,
        list(summary.added),
        list(summary.removed),
        list(summary.changed),
    )
    for note in engine.learned_notes:  # learned variants of entries that no longer exist
        log.warning("%s", note)
    return summary


def reload_abandoned_html(error: ReloadAbandoned, version: str, lang: Lang) -> str:
    """What the admin is told about a reload given up (time limit, busy, stopping)."""
    key = {"timeout": "reload_timeout", "busy": "reload_busy"}.get(error.reason, "reload_stopping")
    return t(key, lang, seconds=f"{error.seconds:g}", version=version)


def _ids(ids: tuple[str, ...], lang: Lang, limit: int = 40) -> str:
    if not ids:
        return plain("none", lang)
    shown = ", ".join(ids[:limit])
    return shown + (f" … (+{len(ids) - limit})" if len(ids) > limit else "")


def reload_summary_html(summary: ReloadSummary, lang: Lang) -> str:
    return t(
        "reload_ok",
        lang,
        entries=summary.entries,
        version=summary.version,
        previous=summary.previous_version,
        added=_ids(summary.added, lang),
        removed=_ids(summary.removed, lang),
        changed=_ids(summary.changed, lang),
    )


def reload_problems_blocks(error: KnowledgeError, version: str, lang: Lang) -> list[Block]:
    problems = error.problems[:MAX_PROBLEMS_SHOWN]
    blocks: list[Block] = [render.raw(t("reload_failed", lang, n=error.total, version=version))]
    blocks += [(Span(f"• {p}"),) for p in problems]
    if error.total > len(problems):
        blocks.append(render.raw(t("reload_more", lang, n=error.total - len(problems))))
    return blocks


@guarded
async def on_reload(update: Update, context: Context) -> None:
    """/reload: acknowledge at once, then validate, check what the changes can affect and
    swap the knowledge base; report the changes or the problems. The full self-check then
    runs in the background, and its result follows."""
    lang = reader_of(update, context).lang
    engine = context.bot_data.engine
    await respond_text(update, context, t("reloading", lang))
    chat = update.effective_chat
    if chat is not None:
        with contextlib.suppress(TelegramError):
            await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    try:
        summary = await reload_knowledge(engine, context.application)
    except KnowledgeError as exc:
        log.warning("reload refused: %d problem(s); the old base keeps serving", exc.total)
        blocks = reload_problems_blocks(exc, engine.kb.version, lang)
        await respond(update, context, Reply(render.to_messages(blocks)))
        return
    except ReloadAbandoned as exc:
        log.warning(
            "reload abandoned (%s; time limit %g s); the old base keeps serving",
            exc.reason,
            exc.seconds,
        )
        await respond_text(update, context, reload_abandoned_html(exc, engine.kb.version, lang))
        return
    except Exception as exc:  # e.g. an unreadable directory: report, keep serving
        log.exception("reload failed")
        await respond_text(update, context, t("reload_crashed", lang, error=type(exc).__name__))
        return
    checks = context.bot_data.checks
    follows = checks is not None and summary.version != summary.previous_version
    await respond(update, context, Reply(render.to_messages(reload_blocks(summary, lang, follows))))
    if follows:
        check_in_background(update, context, lang)


def check_in_background(update: Update, context: Context, lang: Lang) -> None:
    """Start the full self-check of the live base; its report goes to this chat."""
    checks = context.bot_data.checks
    if checks is None:
        return

    async def report(result: CheckReport) -> None:
        await respond(update, context, Reply(report_messages(result, lang)))

    checks.start(report)


def reload_blocks(summary: ReloadSummary, lang: Lang, follows: bool) -> list[Block]:
    """The summary of a reload, what was checked before the swap, and what was found."""
    blocks = render.raw_lines(reload_summary_html(summary, lang))
    check = summary.check
    if summary.version != summary.previous_version:
        blocks.append(render.raw(t("reload_checked", lang, n=check.checked)))
    found = check.collisions
    if found:
        blocks.append(render.raw(t("reload_warnings", lang, n=len(found))))
        blocks += [(Span(f"• {c}"),) for c in found[:MAX_PROBLEMS_SHOWN]]
        if len(found) > MAX_PROBLEMS_SHOWN:
            blocks.append(render.raw(t("reload_more", lang, n=len(found) - MAX_PROBLEMS_SHOWN)))
    if follows:
        blocks.append(render.raw(t("check_follows", lang)))
    return blocks


def stats_html(
    counts: Counts,
    engine: Engine,
    lang: Lang,
    *,
    feedback: dict[str, int] | None = None,
    inbox: int = 0,
) -> str:
    values: dict[str, Any] = {f"s_{k}": v for k, v in counts.since_start.items()}
    values |= {f"t_{k}": v for k, v in counts.total.items()}
    values |= {f"f_{k}": (feedback or {}).get(k, 0) for k in ("tap", "up", "down", "queue")}
    values["inbox"] = inbox
    return t(
        "stats",
        lang,
        started=_when(counts.started_at),
        entries=len(engine.kb.entries),
        version=engine.kb.version,
        **values,
    )


@guarded
async def on_stats(update: Update, context: Context) -> None:
    """/stats: questions answered / ambiguous / unanswered, since start and in total."""
    data = context.bot_data
    counts = await data.store.counts()
    feedback = await data.feedback.counts() if data.feedback is not None else {}
    pending = data.inbox.counts()[0] if data.inbox is not None else 0
    html_text = stats_html(
        counts, data.engine, reader_of(update, context).lang, feedback=feedback, inbox=pending
    )
    await respond_text(update, context, html_text)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def unanswered_blocks(
    top: list[Unanswered], unclear: list[Unanswered], days: int, lang: Lang
) -> list[Block]:
    blocks: list[Block] = [render.raw(t("unanswered", lang, days=days))]
    for title, rows in ((None, top), ("unclear", unclear)):
        if title:
            blocks += [render.line(""), render.raw(t(title, lang))]
        if not rows:
            blocks.append(render.raw(t("unanswered_none", lang)))
        for n, row in enumerate(rows, 1):
            times = plain("times", lang, n=row.count, last=_when(row.last_seen))
            blocks.append((Span(f"{n}. "), Span(row.text), Span(f" — {times}", "i")))
    return blocks


def _int_arg(value: str, low: int, high: int) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and low <= int(value) <= high else None


@guarded
async def on_unanswered(update: Update, context: Context) -> None:
    """/unanswered [count] [days]: the most frequent recent questions the bot could not
    answer (private chats only: question texts are not shown in groups)."""
    lang = reader_of(update, context).lang
    if is_group(update.effective_chat):
        await respond_text(update, context, t("private_only", lang))
        return
    args = context.args or []
    limit, days = 10, 30
    if args:
        parsed = [
            _int_arg(args[0], 1, 50),
            _int_arg(args[1], 1, 365) if len(args) > 1 else days,
        ]
        if len(args) > 2 or None in parsed:
            await respond_text(update, context, t("unanswered_usage", lang))
            return
        limit, days = parsed  # type: ignore[assignment]
    store = context.bot_data.store
    top = await store.top_unanswered(limit, days, ("no_match",))
    unclear = await store.top_unanswered(min(limit, 5), days, ("ambiguous",))
    blocks = unanswered_blocks(top, unclear, days, lang)
    feedback = context.bot_data.feedback
    if feedback is not None:
        queue = (await feedback.counts())["queue"]
        blocks += [render.line(""), render.raw(t("review_queue_size", lang, n=queue))]
    await respond(update, context, Reply(render.to_messages(blocks)))


# ---------------------------------------------------------------------------- /review

LABEL_CHARS = 24  # of an entry's label on an "add to" button
_learning = asyncio.Lock()  # one add (overlay write, reload, maybe undo) at a time


async def learn(engine: Engine, item: ReviewItem, app: App | None = None) -> ReloadSummary:
    """Write the item's question into the overlay as a variant of its entry, then reload
    (:func:`reload_knowledge`); if the reload refuses or fails, undo the overlay change
    and raise (``KnowledgeError``: the problems say why)."""
    return await _change_overlay(
        engine, lambda: engine.add_variant(item.question, item.entry_id), app
    )


async def mark_unanswerable(
    engine: Engine, item: ReviewItem, app: App | None = None
) -> ReloadSummary:
    """Write the item's question into the overlay as not in the article, then reload, as
    :func:`learn` does."""
    return await _change_overlay(engine, lambda: engine.add_unanswerable(item.question), app)


async def _change_overlay(
    engine: Engine, change: Callable[[], bytes | None], app: App | None
) -> ReloadSummary:
    assert engine.learned is not None
    async with _learning:
        before = await asyncio.to_thread(change)  # a mark compares ~7,000 questions: 0.6 s
        try:
            return await reload_knowledge(engine, app)
        except BaseException:
            learned.restore(engine.learned, before)
            raise


def review_reply(item: ReviewItem | None, engine: Engine, lang: Lang, header: str = "") -> Reply:
    """One pending item with its buttons (or "nothing left"), under ``header`` (HTML)."""
    top = [header] if header else []
    if item is None:
        return Reply(["\n\n".join([*top, t("review_empty", lang)])])
    entry = engine.kb.entry(item.entry_id)
    label = entry.label(lang) if entry is not None else item.entry_id
    short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
    did = plain(f"review_{item.kind}", lang, entry=label)
    text = t("review_item", lang, question=item.question, did=did, count=item.count)
    rows = []
    if item.kind in ("tap", "up") and entry is not None and engine.learned is not None:
        add = plain("review_add", lang, entry=short)
        rows.append([InlineKeyboardButton(add, callback_data=callbacks.review_data("a", item.id))])
    if engine.learned is not None:
        other = callbacks.review_pick_data("sections", item.id, engine.kb)
        rows.append([InlineKeyboardButton(plain("review_other", lang), callback_data=other)])
    rows.append(
        [
            InlineKeyboardButton(
                plain("review_not_in_article", lang),
                callback_data=callbacks.review_data("n", item.id),
            ),
            InlineKeyboardButton(
                plain("review_skip", lang), callback_data=callbacks.review_data("s", item.id)
            ),
        ]
    )
    return Reply(["\n\n".join([*top, text])], InlineKeyboardMarkup(rows))


async def _next(feedback: FeedbackStore) -> ReviewItem | None:
    queue = await feedback.review_queue(1)
    return queue[0] if queue else None


@guarded
async def on_review(update: Update, context: Context) -> None:
    """/review: the most frequent pending learning pair, with its buttons (private chats
    only: question texts are not shown in groups)."""
    lang = reader_of(update, context).lang
    if is_group(update.effective_chat):
        await respond_text(update, context, t("private_only", lang))
        return
    feedback = context.bot_data.feedback
    if feedback is None:
        await respond_text(update, context, t("review_unavailable", lang))
        return
    await respond(
        update, context, review_reply(await _next(feedback), context.bot_data.engine, lang)
    )


@guarded
async def on_review_button(update: Update, context: Context) -> None:
    """A /review button (``r:``): admins only (anyone else gets the refusal as a notice).
    Acts on the item, then shows the next one in the same message."""
    query = update.callback_query
    assert query is not None
    lang = reader_of(update, context).lang
    user = update.effective_user
    if not is_admin(user.id if user is not None else None, context.bot_data.settings):
        log.info("refused a review button from a non-admin (update %s)", update.update_id)
        await ack(query, plain("not_admin", lang))
        return
    parsed = callbacks.parse_review(query.data)
    pick = callbacks.parse_review_pick(query.data) if parsed is None else None
    feedback = context.bot_data.feedback
    engine = context.bot_data.engine
    if (parsed is None and pick is None) or feedback is None:
        await ack(query, plain("stale_button", lang))
        return
    item_id = parsed[1] if parsed is not None else pick.item_id  # type: ignore[union-attr]
    item = await feedback.review_item(item_id)
    if item is None:
        await ack(query, plain("review_gone", lang))
        await _show(update, context, review_reply(await _next(feedback), engine, lang))
        return
    version = engine.kb.version
    if pick is not None:
        chosen = await _pick_step(update, context, item, pick, lang)
        if chosen is None:
            return
        header = await _add(item._replace(entry_id=chosen), engine, context, lang, chosen=True)
    else:
        await ack(query)
        action = parsed[0]  # type: ignore[index]
        if action == "added":
            header = await _add(item, engine, context, lang)
        elif action == "not_in_article":
            header = await _mark_unanswerable(item, engine, context, lang)
        else:
            await feedback.mark_reviewed(item.id, action)
            header = t("review_skipped", lang, question=item.question)
    await _show(update, context, review_reply(await _next(feedback), engine, lang, header))
    if engine.kb.version != version:  # reloaded: the full self-check follows, as after /reload
        check_in_background(update, context, lang)


async def _pick_step(
    update: Update, context: Context, item: ReviewItem, pick: callbacks.ReviewPick, lang: Lang
) -> str | None:
    """A step of "another entry…": show the sections, a page of a section, or the item
    again; for the last step, the id of the entry chosen (``None`` otherwise)."""
    query = update.callback_query
    assert query is not None
    kb = context.bot_data.engine.kb
    if pick.step in ("section", "entry") and not pick.current(kb):
        await ack(query, plain("review_pick_stale", lang))
        await _show(update, context, review_pick.sections_reply(item, kb, lang))
        return None
    if pick.step == "entry" and 0 <= pick.index < len(kb.entries):
        await ack(query)
        return kb.entries[pick.index].id
    if pick.step == "section":
        reply = review_pick.section_reply(item, kb, lang, pick.index, pick.page)
    elif pick.step == "back":
        reply = review_reply(item, context.bot_data.engine, lang)
    else:
        reply = review_pick.sections_reply(item, kb, lang)
    await ack(query)
    await _show(update, context, reply or review_pick.sections_reply(item, kb, lang))
    return None


async def _add(
    item: ReviewItem, engine: Engine, context: Context, lang: Lang, *, chosen: bool = False
) -> str:
    """Add the item's question to its entry (``chosen``: the entry the admin picked, for
    any kind of item, a 👎 included); what the admin is told (HTML). A refused add leaves
    the item in the queue."""
    if item.kind not in ("tap", "up") and not chosen:
        return t("review_unavailable", lang)
    summary = await _reviewed(item, "added", learn, engine, context, lang)
    if isinstance(summary, str):
        return summary
    return t(
        "review_added",
        lang,
        question=item.question,
        entry=item.entry_id,
        version=summary.version,
        previous=summary.previous_version,
    )


async def _mark_unanswerable(item: ReviewItem, engine: Engine, context: Context, lang: Lang) -> str:
    """Record the item's question as not in the article (refused from then on); what the
    admin is told (HTML). A refused mark leaves the item in the queue."""
    done = await _reviewed(item, "not_in_article", mark_unanswerable, engine, context, lang)
    if isinstance(done, str):
        return done
    return t("review_marked_not_in_article", lang, question=item.question)


async def _reviewed(
    item: ReviewItem,
    action: str,
    change: Callable[[Engine, ReviewItem, App | None], Any],
    engine: Engine,
    context: Context,
    lang: Lang,
) -> ReloadSummary | str:
    """Apply ``change`` (:func:`learn` or :func:`mark_unanswerable`) and mark the item
    reviewed: the reload's summary, or what to tell the admin (HTML) when it was refused."""
    feedback = context.bot_data.feedback
    assert feedback is not None
    if engine.learned is None:
        return t("review_unavailable", lang)
    try:
        summary: ReloadSummary = await change(engine, item, context.application)
    except KnowledgeError as exc:
        log.info(
            "review: %s of an item of %s refused (%d problems)", action, item.entry_id, exc.total
        )
        lines = [f"• {render.esc(p.message)}" for p in exc.problems[:MAX_PROBLEMS_SHOWN]]
        key = "review_refused" if action == "added" else "review_mark_refused"
        return "\n".join([t(key, lang, question=item.question), *lines])
    except ReloadAbandoned as exc:
        return reload_abandoned_html(exc, engine.kb.version, lang)
    await feedback.mark_reviewed(item.id, action)
    return summary
