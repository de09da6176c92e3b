"""End to end, nothing lost: transient failures of the Bot API (5xx, a proxy's HTML page, a
connection reset, a timeout, 429 again and again) still deliver exactly one reply; refusals
(400, 403) are not retried and are logged once; the retrying is bounded; and no log line at
INFO or above carries a reader's name, username or question.

The bots here retry fast (``fast()``: short backoff, a small budget) so that the tests stay
quick; 429 waits are Telegram's ``retry_after`` and cannot be shortened.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

import pytest
from e2e_support import READER_ID, assert_no_errors, plain, run_bot
from fake_bot_api import HTML_502
from telegram import Update

from bot.telegram.logsetup import RedactingFilter
from bot.telegram.request import RetryingRequest

BASES_ZH = "连云港有多少个爱国主义教育基地?"


def fast(budget: float = 10.0, **inner: Any) -> RetryingRequest:
    """A RetryingRequest with a short backoff (``inner``: HTTPXRequest arguments)."""
    from telegram.request import HTTPXRequest

    return RetryingRequest(
        HTTPXRequest(**inner) if inner else None, budget=budget, first_delay=0.05, max_delay=0.2
    )


def warned(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def to_reader(chat_id: int = READER_ID):
    return lambda p: p.get("chat_id") == chat_id


@pytest.fixture
async def bot(tmp_path):
    async with run_bot(tmp_path, request=fast()) as run:
        yield run


# ---------------------------------------------------------------------------- transient faults


@pytest.mark.parametrize(
    "fault",
    [
        {"error_code": 500},
        {"error_code": 502, "body": HTML_502},
        {"reset": True},
        {"error_code": 429, "retry_after": 1},
    ],
    ids=["500", "502-html", "reset", "429"],
)
async def test_a_transient_fault_still_gets_exactly_one_reply(bot, caplog, fault):
    caplog.set_level(logging.INFO)
    bot.api.fail_next("sendMessage", 2, match=to_reader(), **fault)
    update, first = await bot.private(BASES_ZH)
    await bot.wait_handled(update)
    attempts = bot.api.sent(READER_ID)
    assert [r.ok for r in attempts] == [False, False, True]  # the third try went through
    assert attempts[0] is first and all(r.params == first.params for r in attempts)
    assert "66" in plain(attempts[-1])
    assert not warned(caplog)
    retries = [r for r in caplog.records if r.name == "bot.telegram.request"]
    assert len(retries) == 2 and all("sendMessage" in r.getMessage() for r in retries)


async def test_buttons_survive_faults_of_every_method_they_use(bot, caplog):
    """answerCallbackQuery and editMessageText are retried like sendMessage."""
    _, menu = await bot.private("/topics")
    bot.api.fail_next("answerCallbackQuery", error_code=502, body=HTML_502)
    bot.api.fail_next("editMessageText", reset=True)
    mark = bot.api.mark()
    press = bot.api.press(menu, menu.buttons[0]["text"])
    await bot.wait_handled(press)
    acks = bot.api.find("answerCallbackQuery", since=mark)
    edits = bot.api.find("editMessageText", since=mark)
    assert [r.ok for r in acks] == [False, True]
    assert [r.ok for r in edits] == [False, True]
    assert not bot.api.sent(READER_ID, since=mark)  # edited in place, nothing sent anew
    assert not warned(caplog)


async def test_a_429_five_times_in_a_row_is_delivered(tmp_path, caplog):
    async with run_bot(tmp_path, request=RetryingRequest(budget=30)) as bot:
        bot.api.fail_next("sendMessage", 5, error_code=429, retry_after=1, match=to_reader())
        update, _ = await bot.private(BASES_ZH)
        await bot.wait_handled(update)
        attempts = bot.api.sent(READER_ID)
    assert [r.ok for r in attempts] == [False] * 5 + [True]
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(attempts)]
    assert all(gap >= 1.0 for gap in gaps), gaps  # retry_after honoured every time
    assert "66" in plain(attempts[-1])
    assert not warned(caplog)


async def held_past_the_timeout(bot, error_code: int | None):
    """A reader's question whose first sendMessage the server holds past the client's read
    timeout, then answers with ``error_code`` (``None``: success); the held try and the
    retry, once both are answered and the update handled."""
    release = asyncio.Event()
    bot.api.fail_next("sendMessage", error_code=error_code, hold=release, match=to_reader())
    update, first = await bot.private(BASES_ZH)
    retry = await bot.api.wait_for("sendMessage", lambda r: r.chat_id == READER_ID)
    await bot.api.responded(retry)
    release.set()
    await bot.api.responded(first)
    await bot.wait_handled(update)
    return first, retry


async def test_a_timed_out_send_is_retried(tmp_path, caplog):
    """The first try is held past the client's read timeout; the retry is answered. The held
    one then fails at the server: the reader gets exactly one reply."""
    async with run_bot(tmp_path, request=fast(read_timeout=1.0)) as bot:
        first, retry = await held_past_the_timeout(bot, error_code=500)
        assert [r.ok for r in bot.api.sent(READER_ID)] == [False, True]
        assert retry.params == first.params and "66" in plain(retry)
    assert not warned(caplog)


async def test_a_timeout_is_ambiguous_and_may_duplicate(tmp_path):
    """The price of retrying timeouts (see bot.telegram.request): if Telegram accepted the
    timed-out try after all, the reader sees the reply twice, never zero times."""
    async with run_bot(tmp_path, request=fast(read_timeout=1.0)) as bot:
        await held_past_the_timeout(bot, error_code=None)
        assert [r.ok for r in bot.api.sent(READER_ID)] == [True, True]


# ---------------------------------------------------------------------------- refusals, budget


@pytest.mark.parametrize("code", [400, 403])
async def test_a_refusal_is_not_retried_and_logged_once(bot, caplog, code):
    caplog.set_level(logging.INFO)
    bot.api.fail_next("sendMessage", error_code=code, match=to_reader())
    update, attempt = await bot.private(BASES_ZH)
    await bot.wait_handled(update)  # its error handler has run
    assert attempt.response["error_code"] == code
    assert bot.api.sent(READER_ID) == [attempt]  # tried once
    [line] = warned(caplog)
    assert line.levelno == logging.WARNING and line.name == "bot.telegram.handlers"
    assert f"(update {update['update_id']})" in line.getMessage()
    assert not [r for r in caplog.records if r.name == "bot.telegram.request"]


async def test_retrying_is_bounded_by_the_budget(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    budget = 1.5
    async with run_bot(tmp_path, request=fast(budget)) as bot:
        bot.api.fail_next("sendMessage", 10_000, error_code=500, match=to_reader())
        update, _ = await bot.private(BASES_ZH)
        await bot.wait_handled(update)
        attempts = bot.api.sent(READER_ID)
        assert len(attempts) >= 4 and not any(r.ok for r in attempts)
        # the last try started within the budget (plus a little for a busy machine)
        assert attempts[-1].received_at - attempts[0].received_at <= budget + 1.0
        [line] = warned(caplog)
        assert line.name == "bot.telegram.request"
        assert line.getMessage().startswith(f"sendMessage failed for good after {len(attempts)}")
        assert f"(update {update['update_id']})" in line.getMessage()
        assert "HTTP 500" in line.getMessage()
        # the bot goes on: the next reader is answered
        bot.api.clear_failures()
        _, reply = await bot.private(BASES_ZH, user_id=READER_ID + 1)
        assert reply.ok
    assert_no_errors(caplog.records)


# ---------------------------------------------------------------------------- no reader data


NAME, SURNAME, USERNAME = "Quxlwyn", "Zorbathan", "quxlwyn_zorbathan"
QUESTION = "连云港的Vexmoribund纪念馆在哪里?"  # also distinctive when normalised
SECRETS = (NAME, SURNAME, USERNAME, "Vexmoribund", "vexmoribund")


def leaks(caplog: pytest.LogCaptureFixture) -> list[str]:
    found = []
    for record in caplog.records:
        if record.levelno < logging.INFO:
            continue
        texts = (record.getMessage(), record.exc_text or "", repr(record.args))
        if any(secret in text for secret in SECRETS for text in texts):
            found.append(f"{record.levelname} {record.name}: {record.getMessage()[:300]}")
    return found


async def test_no_reader_data_reaches_the_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # everything is captured; INFO and above is checked
    async with run_bot(tmp_path, request=fast(budget=0.5)) as bot:
        api = bot.api

        def ask(text: str, user_id: int, **fault: Any) -> dict[str, Any]:
            """``text`` from a reader called NAME SURNAME (@USERNAME), in a private chat."""
            if fault:
                api.fail_next("sendMessage", **fault, match=to_reader(user_id))
            user = api.user(user_id, NAME, last_name=SURNAME, username=USERNAME)
            chat = dict(api.private_chat(user_id), first_name=NAME, username=USERNAME)
            return api.enqueue({"message": api.message(chat, text, user=user)})

        faults: list[dict[str, Any]] = [
            {"times": 10_000, "error_code": 500},  # fails for good
            {"times": 10_000, "error_code": 429, "retry_after": 1},  # longer than the budget
            {"times": 10_000, "reset": True},
            {"error_code": 400},
            {"error_code": 403},
        ]
        updates = [ask(QUESTION, READER_ID + n, **f) for n, f in enumerate(faults, 1)]
        updates.append(ask("/stats", READER_ID + 9))  # an admin command from a reader
        updates += [ask(QUESTION, READER_ID) for _ in range(8)]  # a flood: muted
        await bot.wait_handled(*updates)
        assert api.sent(READER_ID)[-1].ok  # the flood notice
    assert len(warned(caplog)) >= 5  # the failures were logged...
    assert any(USERNAME in r.getMessage() for r in caplog.records if r.levelno < logging.INFO)
    assert not leaks(caplog)  # ... without the reader's data
    assert_no_errors(caplog.records)


def ptb_record(name: str, level: int, msg: str, *args: Any) -> logging.LogRecord:
    return logging.LogRecord(name, level, "ptb.py", 1, msg, args, None)


def test_the_log_filter_withholds_what_ptb_logs_of_updates():
    """PTB's own ERROR/CRITICAL lines that carry updates (hard to provoke end to end)."""
    raw = {
        "update_id": 77,
        "message": {
            "message_id": 5,
            "date": 0,
            "chat": {"id": READER_ID, "type": "private", "first_name": NAME},
            "from": {"id": READER_ID, "is_bot": False, "first_name": NAME, "username": USERNAME},
            "text": QUESTION,
        },
    }
    update = Update.de_json(raw, None)
    records = [
        ptb_record(
            "telegram.ext.Application",
            logging.CRITICAL,
            "Error while building CallbackContext for update %s. Update will not be processed.",
            update,
        ),
        ptb_record(
            "telegram.Bot",
            logging.CRITICAL,
            "Error while parsing updates! Received data was %r",
            [raw, raw],
        ),
        ptb_record(
            "telegram.ext.Updater",
            logging.CRITICAL,
            "Something went wrong processing the data received from Telegram. "
            "Received data was *not* processed! Received data was: %r",
            raw,
        ),
        ptb_record(
            "telegram.request.BaseRequest",
            logging.ERROR,
            'Can not load invalid JSON data: "%s"',
            str(raw)[:-3],
        ),
    ]
    shown = []
    for record in records:
        assert RedactingFilter().filter(record)
        shown.append(record.getMessage())
    assert not [m for m in shown if any(s in m for s in SECRETS)], shown
    assert "<Update 77: withheld>" in shown[0]
    assert "updates 77, 77" in shown[1] and "<update 77: withheld>" in shown[2]
    assert "characters withheld" in shown[3]
    # DEBUG lines are left alone (PTB logs every update there)
    debug = ptb_record("telegram.ext.Application", logging.DEBUG, "Processing update %s", update)
    RedactingFilter().filter(debug)
    assert NAME in debug.getMessage()


def test_the_rate_limiters_duplicate_line_is_dropped():
    from bot.telegram.logsetup import install_redaction

    install_redaction()
    limiter = logging.getLogger("telegram.ext.AIORateLimiter")
    line = "Rate limit hit after maximum of %d retries"
    assert not limiter.filter(ptb_record(limiter.name, logging.ERROR, line, 0))
    assert limiter.filter(ptb_record(limiter.name, logging.ERROR, line, 3))
