"""Webhook mode: the bot's own HTTP endpoint (tornado) and its whole lifecycle.

Telegram POSTs each update to ``CITEBOT_WEBHOOK_PATH`` with the secret token in the
``X-Telegram-Bot-Api-Secret-Token`` header. :class:`UpdateHandler` answers:

- **before reading any of the body** (``prepare``): 405 for another method than POST, 403
  for a missing or wrong secret (compared in constant time), 413 for a ``Content-Length``
  over ``MAX_BODY`` (1 MiB; a real update is a few KB). The connection is then closed: a
  body nobody wants is never read. Any other path gets 404 the same way;
- **while streaming** (``data_received``): 413 as soon as more than ``MAX_BODY`` arrived
  (a chunked body); the connection is closed;
- **after reading**: 400 for a body that is not a JSON object with an integer
  ``update_id``. An update python-telegram-bot cannot read is skipped and confirmed (200;
  logged at WARNING with its id, as in polling). A readable update is stored in the durable inbox
  (``DurableBot.screen``, the code path polling uses: store, recognise a repeat) and
  queued for the handlers, and only then, once it is committed, comes the 200. An update id
  seen before gets 200 and is not answered again.

The HTTP server's own limits (``max_body_size``, ``max_buffer_size``) keep anything large
from ever being buffered, whatever a handler does.

:func:`serve` runs the bot in webhook mode until ``stop`` is set: the Application is
initialised (getMe, retried while the network is down) and started, pending updates are
replayed (``post_init``), the server accepts connections, setWebhook registers the URL
(retried too), and on ``stop`` the server closes before the Application stops (in-flight
handlers finish, statistics and inbox are flushed by ``post_shutdown``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web
from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.settings import Settings
from bot.telegram.context import App
from bot.telegram.durable import DurableBot

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # 1 MiB: a Telegram update is a few KB
STREAM_CEILING = 2 * MAX_BODY  # tornado refuses outright a chunked body announced beyond this
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
IDLE_TIMEOUT = 75.0  # s: keep-alive connections Telegram does not reuse are closed
BODY_TIMEOUT = 30.0  # s: a body that trickles in slower than this is dropped
RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # s: start-up calls retried with growing pauses


class WebhookError(Exception):
    """Telegram refused the webhook registration (not a network problem)."""


class _Endpoint(tornado.web.RequestHandler):
    """What both handlers share: refusing a request without reading its body."""

    async def refuse(self, status: int, *, detach: bool = True) -> None:
        """Answer ``status`` and close the connection without reading (more of) the body.
        From ``prepare``, ``detach`` also keeps tornado from starting to read it."""
        self.set_status(status)
        self.set_header("Connection", "close")
        with contextlib.suppress(tornado.iostream.StreamClosedError):
            await self.finish()
        connection: Any = self.request.connection
        if detach:
            stream = connection.detach()
            if stream is not None:
                stream.close()
        else:
            connection.close()


@tornado.web.stream_request_body
class UpdateHandler(_Endpoint):
    """POSTs to the webhook path: see the module docstring."""

    def initialize(self, app: App, secret: str) -> None:
        self.app = app
        self.secret = secret.encode("utf-8")
        self.chunks: list[bytes] = []
        self.size = 0

    async def prepare(self) -> None:
        if self.request.method != "POST":
            self.set_header("Allow", "POST")
            await self.refuse(405)
            return
        given = self.request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode("utf-8"), self.secret):
            await self.refuse(403)
            return
        length = self.request.headers.get("Content-Length")
        if length is not None:
            if length.strip().isdigit() and int(length) > MAX_BODY:
                await self.refuse(413)
            return  # tornado reads exactly this many bytes (and refuses a malformed length)
        # Chunked: counted in data_received; tornado stops only a chunk announced far beyond.
        connection: Any = self.request.connection
        connection.set_max_body_size(STREAM_CEILING)

    async def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self.size += len(chunk)
        if self.size > MAX_BODY:
            self.chunks.clear()
            await self.refuse(413, detach=False)
            return
        self.chunks.append(chunk)

    async def post(self) -> None:
        body = b"".join(self.chunks)
        self.chunks.clear()
        try:
            raw = json.loads(body)
        except (ValueError, RecursionError):
            self.answer(400, "the body is not JSON")
            return
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            self.answer(400, "not an update (no integer update_id)")
            return
        bot = self.app.bot
        assert isinstance(bot, DurableBot)
        try:
            kept = bot.screen([raw])[0]  # stored (committed) before the 200
        except Exception:
            log.exception("update %d could not be stored; Telegram will send it again", update_id)
            self.answer(500, "not stored")
            return
        if kept is raw:  # readable and new
            await self.app.update_queue.put(Update.de_json(raw, bot))
            self.answer(200)
        elif _readable(raw, bot):  # stored before (screen logged it): answered, or queued to be
            self.answer(200)
        else:  # screen logged it (WARNING, id only) and recorded it as never to answer:
            self.answer(200)  # confirmed, as polling confirms it (a 400 is sent again)

    def answer(self, status: int, reason: str = "") -> None:
        self.why = reason
        self.set_status(status)
        self.finish()


@tornado.web.stream_request_body
class NotFound(_Endpoint):
    """Every other path: 404, the connection closed, the body never read."""

    async def prepare(self) -> None:
        await self.refuse(404)


def _readable(raw: dict[str, Any], bot: DurableBot) -> bool:
    try:
        Update.de_json(raw, bot)
    except Exception:
        return False
    return True


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log, at DEBUG, without headers (the secret is one)."""
    request, why = handler.request, getattr(handler, "why", "")
    log.debug(
        "webhook %s %s %d%s",
        request.method,
        request.path,
        handler.get_status(),
        why and f" ({why})",
    )


class WebhookServer:
    """The HTTP server of :class:`UpdateHandler` at ``path``. ``bind`` then ``start``
    (connections wait in the listen queue in between), ``stop``."""

    def __init__(self, app: App, path: str, secret: str) -> None:
        web_app = tornado.web.Application(
            [(re.escape(path), UpdateHandler, {"app": app, "secret": secret})],
            default_handler_class=NotFound,
            log_function=_log_request,
        )
        self._http = tornado.httpserver.HTTPServer(
            web_app,
            max_body_size=MAX_BODY,
            max_buffer_size=4 * MAX_BODY,
            idle_connection_timeout=IDLE_TIMEOUT,
            body_timeout=BODY_TIMEOUT,
        )
        self._sockets: list[socket.socket] = []
        self.started = False

    def bind(self, port: int, address: str) -> None:
        """Reserve the port (``OSError`` if taken); nothing is answered until ``start``."""
        self._sockets = tornado.netutil.bind_sockets(port, address)

    @property
    def port(self) -> int:
        return int(self._sockets[0].getsockname()[1])

    def start(self) -> None:
        self._http.add_sockets(self._sockets)
        self.started = True

    async def stop(self) -> None:
        """No new connections; close the open ones (a request in progress is finished)."""
        if self.started:
            self._http.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._http.close_all_connections(), BODY_TIMEOUT)
        else:
            for sock in self._sockets:
                sock.close()
        self._sockets, self.started = [], False


async def retry(action: Callable[[], Awaitable[Any]], what: str, stop: asyncio.Event) -> bool:
    """Run ``action`` until it succeeds (True) or ``stop`` is set (False). Network errors
    and timeouts are retried after 1 s, then pauses growing by half up to 30 s; a
    ``RetryAfter`` waits what Telegram asks; anything else is raised (as PTB's start-up
    with ``bootstrap_retries=-1``, minus retrying refusals that will not change)."""
    pause = RETRY_FIRST
    while not stop.is_set():
        try:
            await action()
            return True
        except InvalidToken:
            raise
        except RetryAfter as exc:
            wait = _seconds(exc) + 0.5
            log.warning("%s: flood control, retrying in %.1f s", what, wait)
        except BadRequest:  # a NetworkError in PTB's hierarchy, but retrying will not help
            raise
        except NetworkError as exc:  # includes TimedOut
            wait = pause
            pause = min(RETRY_MAX, pause * 1.5)
            log.warning("%s failed (%s); retrying in %.1f s", what, exc, wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
    return False


def _seconds(exc: RetryAfter) -> float:
    delay = getattr(exc, "_retry_after", None)  # the public attribute is being deprecated
    return delay.total_seconds() if isinstance(delay, timedelta) else RETRY_MAX


async def serve(
    app: App,
    settings: Settings,
    *,
    stop: asyncio.Event,
    allowed_updates: Sequence[str] | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Run ``app`` in webhook mode until ``stop`` is set (see the module docstring).

    Raises ``OSError`` if the port cannot be bound (before anything else happens),
    ``InvalidToken``, or :class:`WebhookError` if Telegram refuses setWebhook. ``ready`` is
    set once the server accepts updates and the webhook is registered."""
    assert settings.webhook_url and settings.webhook_secret, "require_webhook() first"
    server = WebhookServer(app, settings.webhook_path, settings.webhook_secret)
    server.bind(settings.webhook_port, settings.webhook_listen)
    initialized = False
    try:
        if not await retry(app.initialize, "getMe", stop):
            return
        initialized = True
        if app.post_init is not None:
            await app.post_init(app)  # replays pending updates before any new one arrives
        await app.start()
        server.start()

        async def set_webhook() -> None:
            try:
                await app.bot.set_webhook(
                    url=settings.webhook_url,  # type: ignore[arg-type]
                    secret_token=settings.webhook_secret,
                    allowed_updates=allowed_updates,
                )
            except (InvalidToken, RetryAfter):
                raise
            except BadRequest as exc:  # a NetworkError in PTB's hierarchy
                raise WebhookError(f"Telegram refused setWebhook: {exc}") from exc
            except NetworkError:
                raise  # retried
            except TelegramError as exc:
                raise WebhookError(f"Telegram refused setWebhook: {exc}") from exc

        if not await retry(set_webhook, "setWebhook", stop):
            return
        log.info(
            "serving the webhook on %s:%d%s",
            settings.webhook_listen,
            server.port,
            settings.webhook_path,
        )
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        await server.stop()
        if initialized:
            await stop_application(app)


async def stop_application(app: App) -> None:
    """Stop a started ``app`` as ``Application.run_polling``/``run_webhook`` do: queued and
    in-flight updates are handled, then ``post_stop``, ``shutdown``, ``post_shutdown``."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
