"""Telegram update handlers: questions, reader commands, buttons, errors (admin commands
are in :mod:`bot.telegram.admin`).

Everything the handlers need lives in ``context.bot_data``, a typed
:class:`~bot.telegram.context.BotData` (``settings``, ``engine``, ``store``, ``feedback``,
``flood`` and ``button_flood``; see :mod:`bot.telegram.context`). Handlers are registered
for new messages only (``filters.UpdateType.MESSAGE``), so an edited message never re-runs
anything, and channel posts and other update kinds reach no handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import wraps

from telegram import (
    CallbackQuery,
    Chat,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.model import Lang
from bot.reader_lang import ReaderLang
from bot.telegram import callbacks, localize, render
from bot.telegram.access import is_admin
from bot.telegram.callbacks import Callback
from bot.telegram.context import Context
from bot.telegram.error_reports import report_to_admins
from bot.telegram.flood import Verdict
from bot.telegram.localize import question_reader, reader_of
from bot.telegram.render import Reply
from bot.telegram.texts import plain, t, ui_lang

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000  # longer messages get a polite "too long"

Handler = Callable[[Update, Context], Awaitable[None]]


# ---------------------------------------------------------------------------- plumbing


def user_lang(update: Update) -> Lang:
    """The UI language of whoever sent the update."""
    user = update.effective_user
    return ui_lang(user.language_code if user else None)


def is_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP)


async def send(
    context: Context,
    chat_id: int,
    reply: Reply,
    *,
    reply_to: int | None = None,
    thread_id: int | None = None,
) -> list[Message]:
    """Send ``reply``'s messages in order; the first replies to ``reply_to`` (if given and
    still there), the keyboard goes on the last."""
    sent: list[Message] = []
    last = len(reply.messages) - 1
    for i, text in enumerate(reply.messages):
        sent.append(
            await context.bot.send_message(
                chat_id=chat_id,
                text=text,
                reply_parameters=(
                    ReplyParameters(reply_to, allow_sending_without_reply=True)
                    if reply_to is not None and i == 0
                    else None
                ),
                message_thread_id=thread_id,
                reply_markup=reply.markup if i == last else None,
            )
        )
    return sent


def _thread_of(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


async def respond(update: Update, context: Context, reply: Reply) -> list[Message]:
    """Answer the update's message: in groups as a reply in thread, in private plainly."""
    message = update.effective_message
    if message is None:
        return []
    group = is_group(message.chat)
    return await send(
        context,
        message.chat_id,
        reply,
        reply_to=message.message_id if group else None,
        thread_id=_thread_of(message),
    )


async def respond_text(update: Update, context: Context, html_text: str) -> list[Message]:
    return await respond(update, context, Reply(render.to_messages(render.raw_lines(html_text))))


def remember_question(
    context: Context, sent: list[Message], reply: Reply, question: str | None
) -> None:
    """Remember which question the message carrying ``reply``'s buttons (choices, or the
    👍/👎 row) answered, so that a press on them can be connected to it (``bot.feedback``:
    chat id + message id, kept for two days)."""
    feedback = context.bot_data.feedback
    if feedback is None or not question or reply.markup is None or not sent:
        return
    # Queued, not awaited: the next update need not wait for the disk, and a press is looked
    # up after this write all the same (the store's one worker runs in order). A failure
    # is logged by the store; a lost one only leaves a press unconnected.
    with contextlib.suppress(RuntimeError):  # the store closed: the bot is stopping
        feedback.remember_nowait(sent[-1].chat_id, sent[-1].message_id, question)


async def admit(update: Update, context: Context) -> bool:
    """Flood guard: True to go ahead; on the first message of a burst, send one notice."""
    user = update.effective_user
    key = user.id if user else (update.effective_chat.id if update.effective_chat else 0)
    data = context.bot_data
    guard = data.button_flood if update.callback_query is not None else data.flood
    verdict = guard.check(key)
    if verdict is Verdict.ALLOW:
        return True
    if verdict is Verdict.NOTIFY:
        log.info("flood guard: muting a user for a while (update %s)", update.update_id)
        reader = reader_of(update, context)
        if update.callback_query is not None:
            await ack(update.callback_query, localize.text(plain("flood", reader.lang), reader))
        else:
            await respond_text(update, context, localize.html(t("flood", reader.lang), reader))
    elif update.callback_query is not None:
        await ack(update.callback_query)
    return False


async def ack(query: CallbackQuery, notice: str | None = None) -> None:
    """Acknowledge a button press (stops the client's spinner), optionally with a short
    notice. A press older than Telegram's answer window makes this fail; the press is
    still handled."""
    try:
        await query.answer(notice)
    except BadRequest as exc:
        log.info("could not acknowledge a button press: %s", exc)


def guarded(handler: Handler) -> Handler:
    """Apply the flood guard before ``handler`` (every handler but ``on_text``, which
    counts only the messages meant for the bot)."""

    @wraps(handler)
    async def wrapper(update: Update, context: Context) -> None:
        if await admit(update, context):
            await handler(update, context)

    return wrapper


# ---------------------------------------------------------------------------- questions


async def answer_question(update: Update, context: Context, question: str) -> None:
    """Match ``question`` and reply: answer + citation, "did you mean" buttons, or an
    honest "the article does not say". Records the outcome in the statistics."""
    question = question.strip()
    if not question or len(question) > MAX_QUESTION_CHARS:
        reader = reader_of(update, context)
        if question:
            text = t("too_long", reader.lang, limit=MAX_QUESTION_CHARS)
        else:
            text = t("ask_usage", reader.lang)
        await respond_text(update, context, localize.html(text, reader))
        return
    engine = context.bot_data.engine
    result = engine.ask(question)
    # in the reader's language and script (their /language choice, else the question's)
    reader = question_reader(update, context, question, result.lang)
    reply = render.result_reply(result, engine.kb, reader.lang, username=context.bot.username)
    reply = localize.localize(reply, reader)
    user = update.effective_user
    log.debug(
        "question user=%s chat=%s status=%s entry=%s score=%.1f reason=%s",
        user.id if user else None,
        update.effective_chat.id if update.effective_chat else None,
        result.status,
        result.entry.id if result.entry else None,
        result.score,
        result.reason,
    )
    # Count first (so /stats right after the answer sees it), write in the store's thread.
    status = "smalltalk" if result.smalltalk else result.status
    try:
        written = context.bot_data.store.record_nowait(
            status, result.lang, None if result.smalltalk else question
        )
    except RuntimeError:  # the store is closed: shutting down
        written = None
    sent = await respond(update, context, reply)
    remember_question(context, sent, reply, question)
    if written is not None:
        with contextlib.suppress(Exception):  # a failed write is logged by the store
            await asyncio.wrap_future(written)


def _mentions_bot(message: Message, username: str | None, bot_id: int) -> list[MessageEntity]:
    """The entities of ``message`` that mention this bot."""
    found = []
    for entity, text in message.parse_entities(
        [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    ).items():
        if entity.type == MessageEntity.MENTION:
            if username and text[1:].lower() == username.lower():
                found.append(entity)
        elif entity.user is not None and entity.user.id == bot_id:
            found.append(entity)
    return found


def _without_entities(text: str, entities: list[MessageEntity]) -> str:
    """``text`` with the given entities cut out (offsets are in UTF-16 units)."""
    data = text.encode("utf-16-le")
    for entity in sorted(entities, key=lambda e: e.offset, reverse=True):
        data = data[: entity.offset * 2] + data[(entity.offset + entity.length) * 2 :]
    return " ".join(data.decode("utf-16-le").split())


def _replies_to_bot(message: Message, bot_id: int) -> bool:
    original = message.reply_to_message
    return (
        original is not None
        and original.forum_topic_created is None
        and original.from_user is not None
        and original.from_user.id == bot_id
    )


async def on_text(update: Update, context: Context) -> None:
    """A text message that is not a command: a question in private chats; in groups only
    when it mentions the bot or replies to one of its messages (else: silence)."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    mentions = _mentions_bot(message, context.bot.username, context.bot.id)
    if not is_group(message.chat):
        if message.chat.type == Chat.PRIVATE and await admit(update, context):
            text = _without_entities(message.text, mentions) if mentions else message.text
            await answer_question(update, context, text)
        return
    if mentions:
        question = _without_entities(message.text, mentions)
    elif _replies_to_bot(message, context.bot.id):
        question = message.text
    else:
        return  # group chatter not meant for the bot
    if await admit(update, context):
        await answer_question(update, context, question)


def command_argument(message: Message) -> str:
    """The text after the leading ``/command`` (or ``/command@bot``) of ``message``."""
    text = message.text or ""
    for entity, command in message.parse_entities([MessageEntity.BOT_COMMAND]).items():
        if entity.offset == 0:
            return text[len(command) :].strip()
    return text.partition(" ")[2].strip()


@guarded
async def on_ask(update: Update, context: Context) -> None:
    """/ask question (also /ask@ThisBot question)."""
    message = update.effective_message
    if message is None:
        return
    await answer_question(update, context, command_argument(message))


@guarded
async def on_media(update: Update, context: Context) -> None:
    """Stickers, photos, voice… in a private chat: a hint (groups: no handler, silence)."""
    reader = reader_of(update, context)
    await respond_text(update, context, localize.html(t("media_hint", reader.lang), reader))


@guarded
async def on_unknown_command(update: Update, context: Context) -> None:
    """An unknown /command in a private chat."""
    reader = reader_of(update, context)
    await respond_text(update, context, localize.html(t("unknown_command", reader.lang), reader))


# ---------------------------------------------------------------------------- reader commands


@guarded
async def on_start(update: Update, context: Context) -> None:
    reader = reader_of(update, context)
    reply = render.start_reply(
        context.bot_data.engine.kb,
        reader.lang,
        group=is_group(update.effective_chat),
        username=context.bot.username or "",
    )
    await respond(update, context, localize.localize(reply, reader))


@guarded
async def on_help(update: Update, context: Context) -> None:
    reader = reader_of(update, context)
    text = t("help", reader.lang, username=context.bot.username or "")
    user = update.effective_user
    if is_admin(user.id if user else None, context.bot_data.settings):
        text += "\n\n" + t("help_admin", reader.lang)
    await respond_text(update, context, localize.html(text, reader))


@guarded
async def on_topics(update: Update, context: Context) -> None:
    kb, reader = context.bot_data.engine.kb, reader_of(update, context)
    reply = render.sections_reply(kb, reader.lang)
    await respond(update, context, localize.localize(reply, reader))


@guarded
async def on_source(update: Update, context: Context) -> None:
    kb, reader = context.bot_data.engine.kb, reader_of(update, context)
    await respond(update, context, localize.localize(render.source_reply(kb, reader.lang), reader))


@guarded
async def on_privacy(update: Update, context: Context) -> None:
    reader = reader_of(update, context)
    await respond_text(update, context, localize.html(t("privacy", reader.lang), reader))


# ---------------------------------------------------------------------------- buttons


def _pressed(
    update: Update, context: Context, kind: callbacks.Kind
) -> tuple[CallbackQuery, Callback | None, ReaderLang]:
    """The pressed button's query, its data parsed (``None`` unless well-formed data of
    ``kind``) and the language to answer in (the reader's choice, else the data's, else
    the user's)."""
    query = update.callback_query
    assert query is not None  # only CallbackQueryHandlers call this
    cb = callbacks.parse(query.data)
    reader = reader_of(
        update, context, lang=cb.lang if cb else None, traditional=cb is not None and cb.traditional
    )
    if cb is None or cb.kind != kind:
        log.info("malformed callback data (update %s)", update.update_id)
        return query, None, reader
    return query, cb, reader


async def _stale(query: CallbackQuery, reader: ReaderLang) -> None:
    await ack(query, localize.text(plain("stale_button", reader.lang), reader))


@guarded
async def on_entry_button(update: Update, context: Context) -> None:
    """An entry's button (``a:``/``ai:``): acknowledge, then answer the entry as a reply to
    the message that carried the button. Stale or forged data gets a polite notice. A
    choice (``c:``/``ci:``) is a tap: "the question that message answered means this
    entry" is recorded (``bot.feedback``), and the answer's 👍/👎 are connected to that
    question too."""
    query, cb, reader = _pressed(update, context, "entry")
    kb = context.bot_data.engine.kb
    entry = callbacks.resolve_entry(cb, kb) if cb else None
    if entry is None:
        await _stale(query, reader)
        return
    await ack(query)
    message = query.message
    reply = render.answer_reply(entry, kb, reader.lang, username=context.bot.username)
    reply = localize.localize(reply, reader)
    if message is None:  # no message to reply to: answer in a private chat
        await send(context, query.from_user.id, reply)
        return
    question = None
    feedback = context.bot_data.feedback
    if feedback is not None and cb is not None and cb.choice:
        question = await feedback.question_for(message.chat.id, message.message_id, take=True)
        if question:
            await feedback.record(question, entry.id, "tap")
    sent = await send(
        context,
        message.chat.id,
        reply,
        reply_to=message.message_id,
        thread_id=_thread_of(message) if isinstance(message, Message) else None,
    )
    remember_question(context, sent, reply, question)
    if cb is not None and cb.choice:  # the other choices are stale now: take them away
        with contextlib.suppress(TelegramError):  # too old to edit, or edited already
            await query.edit_message_reply_markup(reply_markup=None)


@guarded
async def on_section_button(update: Update, context: Context) -> None:
    """A section's button (``t:``/``ti:``, with a page or not): show that page of the
    section's entries (in place in private chats; see :func:`_show`)."""
    query, cb, reader = _pressed(update, context, "section")
    kb = context.bot_data.engine.kb
    section = callbacks.resolve_section(cb, kb) if cb else None
    reply = render.section_reply(section.id, kb, reader.lang, cb.page) if section and cb else None
    if reply is None:
        await _stale(query, reader)
        return
    await ack(query)
    await _show(update, context, localize.localize(reply, reader))


@guarded
async def on_sections_button(update: Update, context: Context) -> None:
    """The back button (``T``): show the list of sections in place."""
    query, cb, reader = _pressed(update, context, "sections")
    if cb is None:
        await _stale(query, reader)
        return
    await ack(query)
    reply = render.sections_reply(context.bot_data.engine.kb, reader.lang)
    await _show(update, context, localize.localize(reply, reader))


@guarded
async def on_feedback_button(update: Update, context: Context) -> None:
    """👍/👎 under an answer (``f:``/``fi:``): a short thank-you notice on the button (never
    a message in the chat), "the question means / does not mean this entry" recorded when
    the question that message answered is known, and the row removed so that a reader
    cannot vote twice (the share link stays). A stale press (the row is gone already) gets
    the notice only."""
    query, cb, reader = _pressed(update, context, "feedback")
    if cb is None:
        await _stale(query, reader)
        return
    await ack(query, localize.text(plain("feedback_thanks", reader.lang), reader))
    message = query.message
    if not isinstance(message, Message) or not render.has_callback_buttons(message.reply_markup):
        return  # stale: the row was removed already
    feedback = context.bot_data.feedback
    if feedback is not None:  # taken: of two quick presses, only the first is recorded
        question = await feedback.question_for(message.chat.id, message.message_id, take=True)
        entry = callbacks.resolve_entry(cb, context.bot_data.engine.kb)
        if question and entry is not None:
            await feedback.record(question, entry.id, "up" if cb.vote == "+" else "down")
    with contextlib.suppress(TelegramError):  # too old to edit, or edited already
        await query.edit_message_reply_markup(reply_markup=render.link_rows(message.reply_markup))


@guarded
async def on_unknown_button(update: Update, context: Context) -> None:
    """Data of no known kind (forged, or of a format the bot no longer makes): a polite
    notice, nothing else."""
    query = update.callback_query
    assert query is not None
    log.info("unknown callback data (update %s)", update.update_id)
    await _stale(query, reader_of(update, context))


async def _show(update: Update, context: Context, reply: Reply) -> None:
    """Show a browsing step. In a private chat, replace the pressed message's text and
    keyboard by ``reply`` (or send it anew). In a group the pressed message is everyone's:
    ``reply`` goes to the one who pressed, as a new message replying to it that mentions
    them, and the shared message stays as it was."""
    query = update.callback_query
    assert query is not None
    message = query.message
    if message is not None and is_group(message.chat):
        user = query.from_user
        await send(
            context,
            message.chat.id,
            render.for_user(reply, user.id, user.first_name),
            reply_to=message.message_id,
            thread_id=_thread_of(message) if isinstance(message, Message) else None,
        )
        return
    if isinstance(message, Message) and message.is_accessible:
        try:
            await query.edit_message_text(
                reply.messages[0],
                reply_markup=reply.markup,
            )
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return  # pressed twice
            log.info("could not edit a browsing message (%s); sending a new one", exc)
    chat_id = message.chat.id if message is not None else query.from_user.id
    await send(context, chat_id, reply)


# ---------------------------------------------------------------------------- errors


async def on_error(update: object, context: Context) -> None:
    """The one global error handler: log and survive. A line names the update by its id
    and the error by its type and message, never the update's content (no names, no
    texts; the token is masked by ``logsetup``). Telegram and network errors are expected
    in production and logged briefly, one WARNING per lost reply; anything else is a bug,
    logged with its traceback, and the reader gets a short apology. The admins get a
    report of most (``bot.telegram.error_reports``: at most one per kind per 10 minutes)."""
    error = context.error
    where = _describe(update)
    report_to_admins(update, context)
    if isinstance(error, Forbidden):
        log.warning(
            "forbidden (blocked by the user or removed from the chat) %s: %s", where, _brief(error)
        )
        return
    if isinstance(error, BadRequest):  # before NetworkError: PTB derives it from that
        log.warning("Telegram rejected a request %s: %s", where, _brief(error))
        return
    if isinstance(error, (RetryAfter, NetworkError)):  # NetworkError includes TimedOut
        # In a handler, the request was retried for up to a minute by
        # ``bot.telegram.request``, which logged the WARNING (with the API method) when it
        # gave up; outside one (polling, start-up) nothing has been said yet.
        level = logging.INFO if isinstance(update, Update) else logging.WARNING
        log.log(level, "%s %s: %s", type(error).__name__, where, _brief(error))
        return
    if isinstance(error, TelegramError):
        log.warning("Telegram error %s: %s", where, _brief(error))
        return
    log.error("unexpected error %s: %s", where, type(error).__name__, exc_info=error)
    if isinstance(update, Update):
        await _apologise(update, context)


def _describe(update: object) -> str:
    """``(update 17)``: the update's id only (no chat, no user: no reader data in logs)."""
    if not isinstance(update, Update):
        return "(no update)"
    return f"(update {update.update_id})"


def _brief(error: BaseException) -> str:
    """The error's message, one line of at most 200 characters (PTB's messages can quote a
    whole HTML error page)."""
    text = " ".join(str(error).split())
    return text if len(text) <= 200 else text[:199] + "…"


async def _apologise(update: Update, context: Context) -> None:
    reader = reader_of(update, context)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(localize.text(plain("error", reader.lang), reader))
        elif update.effective_message is not None and update.effective_chat is not None:
            await respond_text(update, context, localize.html(t("error", reader.lang), reader))
    except TelegramError as exc:
        log.info("could not send the apology: %s", exc)
