"""Retried Bot API requests: a reply survives a transient failure of Telegram or the network.

:class:`RetryingRequest` is a PTB ``BaseRequest`` wrapped around ``HTTPXRequest``; the bot's
``Application`` uses it for every request it makes in response to updates (sendMessage,
editMessageText, answerCallbackQuery, sendChatAction, ...). ``getUpdates`` keeps PTB's own
request object and the Updater's own retry loop.

What is retried, with exponential backoff (equal jitter, each wait capped at ``max_delay``)
until a total of ``budget`` seconds (60 by default) would be exceeded:

- HTTP 5xx, and any error answer that is not JSON (a proxy's HTML "502 Bad Gateway" page);
- connection errors (reset, refused, closed without an answer) and timeouts. A timeout is
  ambiguous: Telegram may have accepted the request and only its answer was lost, so the
  retry can then deliver the message twice. A rare duplicate is preferred to a lost reply
  (a pool timeout never sent anything, so it cannot duplicate);
- 429 Too Many Requests, however often it comes, each time after its ``retry_after``.

Never retried: any 2xx (delivered: sent once), 400 (bad request, message not modified,
query too old), 401/404, 403 (the bot was blocked, removed from the chat), 409. Those
propagate at once as PTB's usual exceptions, and the error handler logs them.

When the budget runs out, one WARNING line names the API method and the update being
handled (no chat id, no text, no name), and the error propagates exactly as PTB raises it
without this class (``NetworkError``, ``TimedOut``, ``RetryAfter``). Retries are logged at
INFO. The update id comes from :data:`current_update_id`, which
:class:`UpdateIdProcessor` (the Application's update processor) sets while an update is
being handled.

**Who owns 429.** This class, not ``AIORateLimiter``. The limiter counts retries
(``max_retries``), so "however often within 60 s" cannot be said there, and it never sees
5xx or network errors; one loop with one time budget per request covers all transient
failures alike. The limiter stays in place, with ``max_retries=0``, for what only it does:
throttling every request to Telegram's 30 messages/s overall and 20/min per group. What it
did on a 429 besides retrying, pausing *every* outgoing request until ``retry_after`` has
passed (Telegram's flood control is per bot, not per request), is done here too: a 429
pauses all requests made through this object until then, each resuming with a little
jitter so they do not all fire at once. Retries happen inside the limiter's slot (PTB's
limiter admits a request once), so a resend is not throttled again; sends are few and the
pause plus jitter spreads them. A ``RetryAfter`` reaching the limiter means the budget is
spent; it then raises at once (its "after maximum of 0 retries" ERROR line duplicates ours
and is dropped by :mod:`bot.telegram.logsetup`).

A send retrying for up to a minute occupies one of the Application's concurrent update
slots meanwhile, and delays a shutdown by as much.

Clock, sleep and randomness are injectable, as in :mod:`bot.telegram.flood`, so the unit
tests run without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import SimpleUpdateProcessor
from telegram.request import BaseRequest, HTTPXRequest, RequestData

log = logging.getLogger(__name__)

RETRY_BUDGET = 60.0  # seconds, from the first try to the start of the last
FIRST_DELAY = 0.5  # seconds; doubled after each failure ...
MAX_DELAY = 8.0  # ... up to this per wait (then jittered down to half of it at worst)
RETRY_AFTER_JITTER = 0.5  # at most this many seconds added to a 429's retry_after
CONNECTION_POOL_SIZE = 256  # PTB's default for the non-getUpdates request

# The id of the update whose handling made the request (None outside a handler: start-up,
# background jobs). Set by UpdateIdProcessor, read by the give-up WARNING.
current_update_id: ContextVar[int | None] = ContextVar("citebot_update_id", default=None)


class UpdateIdProcessor(SimpleUpdateProcessor):
    """PTB's plain update processor (at most ``max_concurrent_updates`` at a time) that also
    records the update id in :data:`current_update_id` while the update is handled. Each
    update runs in its own task with its own context, so concurrent updates do not mix."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        token = current_update_id.set(update.update_id if isinstance(update, Update) else None)
        try:
            await coroutine
        finally:
            current_update_id.reset(token)


@dataclass(frozen=True)
class Verdict:
    """What to do with one non-2xx answer."""

    retry: bool
    why: str  # for the log: status and Telegram's description, never the request
    retry_after: float | None = None  # Telegram's flood-control wait, if it gave one


def classify(code: int, payload: bytes) -> Verdict:
    """Whether an answer with HTTP status ``code`` (not 2xx) and body ``payload`` is worth
    retrying: 429, 5xx and non-JSON answers are; Telegram's other refusals are not."""
    try:
        data = json.loads(payload.decode("utf-8", "replace"))
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return Verdict(True, f"HTTP {code} with a non-JSON answer ({len(payload)} bytes)")
    description = str(data.get("description") or "")[:200]
    why = f"HTTP {code} {description}".rstrip()
    parameters = data.get("parameters")
    retry_after = None
    if isinstance(parameters, dict) and parameters.get("retry_after"):
        with contextlib.suppress(TypeError, ValueError):
            retry_after = max(0.0, float(parameters["retry_after"]))
    return Verdict(code == 429 or code >= 500, why, retry_after)


def api_method(url: str, http_method: str) -> str:
    """The Bot API method of a request URL (``.../bot<token>/sendMessage``), never the URL
    itself (it holds the token)."""
    return url.rsplit("/", 1)[-1] if http_method == "POST" else "file download"


class RetryingRequest(BaseRequest):
    """Retries transient failures of ``inner`` (default: PTB's ``HTTPXRequest``) within
    ``budget`` seconds; see the module docstring for what counts as transient."""

    def __init__(
        self,
        inner: BaseRequest | None = None,
        *,
        budget: float = RETRY_BUDGET,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if budget < 0 or first_delay <= 0 or max_delay < first_delay:
            raise ValueError("need budget >= 0 and 0 < first_delay <= max_delay")
        if inner is None:
            inner = HTTPXRequest(connection_pool_size=CONNECTION_POOL_SIZE)
        self.inner = inner
        self.budget = budget
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._paused_until = float("-inf")  # a 429 pauses every request until then

    # ------------------------------------------------------------------ BaseRequest

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """As PTB's, but a body that is not JSON is not logged (PTB logs it whole, at
        ERROR: a proxy's HTML page, or a truncated answer quoting a reader's message)."""
        try:
            return json.loads(payload.decode("utf-8", "replace"))
        except ValueError as exc:
            raise TelegramError(f"Invalid server response ({len(payload)} bytes)") from exc

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        async def attempt() -> tuple[int, bytes]:
            return await self.inner.do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )

        name = api_method(url, method)
        if name.lower() == "getupdates":  # the Updater retries its long polls itself
            return await attempt()
        start = self._clock()
        tries = 0
        while True:
            tries += 1
            await self._respect_pause(start)
            error: NetworkError | None = None
            try:
                code, payload = await attempt()
            except NetworkError as exc:  # TimedOut included
                # Reset, refused, closed without an answer, or a timeout. After a read
                # timeout Telegram may have delivered the message: the retry may duplicate
                # it (see the module docstring); a lost reply would be worse.
                error = exc
                verdict = Verdict(True, f"{type(exc).__name__}: {str(exc)[:200]}")
            else:
                if 200 <= code <= 299:
                    return code, payload  # accepted: never sent again
                verdict = classify(code, payload)
                if not verdict.retry:
                    return code, payload  # PTB raises BadRequest, Forbidden, ... as usual
            wait = self._delay(tries, verdict.retry_after)
            elapsed = self._clock() - start
            if elapsed + wait > self.budget:
                log.warning(
                    "%s failed for good after %d %s in %.1f s (update %s): %s",
                    name,
                    tries,
                    "try" if tries == 1 else "tries",
                    elapsed,
                    current_update_id.get(),
                    verdict.why,
                )
                if error is not None:
                    raise error
                return code, payload
            if verdict.retry_after is not None:  # flood control: everyone waits
                self._paused_until = max(self._paused_until, self._clock() + verdict.retry_after)
            log.info("%s: %s; retry %d in %.2f s", name, verdict.why, tries, wait)
            await self._sleep(wait)

    # ------------------------------------------------------------------ timing

    def _delay(self, tries: int, retry_after: float | None) -> float:
        """The wait after the ``tries``-th failure: ``retry_after`` plus a little jitter, or
        exponential backoff with equal jitter (between half the step and the step)."""
        if retry_after is not None:
            return retry_after + self._rand() * RETRY_AFTER_JITTER
        step = min(self.max_delay, self.first_delay * 2 ** (tries - 1))
        return step / 2 + self._rand() * step / 2

    async def _respect_pause(self, start: float) -> None:
        """Wait while a 429 pauses every request (never past this request's budget)."""
        while (left := self._paused_until - self._clock()) > 0:
            budget_left = self.budget - (self._clock() - start)
            if budget_left <= 0:
                return  # try anyway: the answer decides
            await self._sleep(min(left + self._rand() * RETRY_AFTER_JITTER, budget_left))
