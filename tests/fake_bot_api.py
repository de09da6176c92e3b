"""A fake Telegram Bot API server for end-to-end tests and the Telegram benchmark.

In-process and asyncio-based (tornado, which python-telegram-bot's ``webhooks`` extra
already installs). It listens on 127.0.0.1 on an ephemeral port and serves
``/bot<token>/<method>`` the way api.telegram.org does, closely enough that the bot's
real ``Application`` (pointed at it with ``TELEGRAM_API_BASE_URL``) cannot tell the
difference for the methods citebot uses:

- bodies are parsed as python-telegram-bot sends them (form-encoded with JSON-encoded
  values, multipart when uploading) and as JSON or a query string;
- ``getUpdates`` long-polls, honours ``offset``/``limit``/``timeout`` and confirms updates
  by offset; ``getUpdates`` while a webhook is set is a 409 Conflict, as on Telegram;
- ``sendMessage``/``editMessageText`` return real ``Message`` objects and validate what
  Telegram validates (empty text, length, HTML entities for ``parse_mode=HTML``, callback
  data of 1-64 bytes, "message is not modified");
- unknown methods get ``404 Not Found: method not found``; a wrong token gets 401.

Tests enqueue updates (``private_text``, ``group_text``, ``callback_query`` ... build
realistic update dicts), await "the next request of method X matching a predicate" with
``wait_for`` (or any condition with ``wait_until``: waiters wake when a request arrives and
when it is answered, and give up after ``WAIT`` seconds), and inject failures with
``fail_next``, for the next N calls of a method: an error status (429 + ``retry_after``,
400, 403, 500...), a 5xx whose body is a proxy's HTML page instead of JSON
(``body=HTML_502``), a connection closed without an answer (``reset=True``), a delay, or a
response held until the test releases it (delay and hold combine with the others). Every
request is recorded in order; the time each update was first handed out by ``getUpdates``
is kept in ``served_at`` (the benchmark measures latency from it).

Nothing here talks to the network beyond 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import struct
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import tornado.httpserver
import tornado.httputil
import tornado.netutil
import tornado.web

DEFAULT_TOKEN = "42:FakeTokenForTestsOnly_xyzXYZ0123456"
BOT_ID = 42  # matches the id part of DEFAULT_TOKEN
BOT_USERNAME = "citebot_test_bot"

# Parameters whose value is a plain string even when it looks like JSON ("66", "true").
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "inline_message_id",
        "action",
        "description",
        "short_description",
        "name",
        "query",
        "emoji",
        "language_code",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "inline_query_id",
        "next_offset",
    }
)

# Telegram's HTML parse mode: the tags it accepts (see core.telegram.org/bots/api#html-style).
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_MAX_TEXT = 4096
# The ceiling of every wait: generous, so that a busy 2-core machine never trips it; waits
# end as soon as what they wait for happens.
WAIT = 30.0
# What a reverse proxy answers when Telegram's backend is down: HTML, not the Bot API's JSON.
HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
RESET = -1  # the status ``handle`` returns for "close the connection without an answer"


class ApiError(Exception):
    """An error response of the Bot API (``{"ok": false, ...}``)."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass
class Request:
    """One HTTP request the bot made."""

    index: int
    method: str  # as sent (e.g. "sendMessage"); dispatch is case-insensitive
    params: dict[str, Any]
    received_at: float  # time.perf_counter()
    http_method: str = "POST"
    token_ok: bool = True
    files: dict[str, bytes] = field(default_factory=dict)
    response: dict[str, Any] | None = None  # what the server answered
    consumed: bool = False  # handed to a test by ``wait_for``

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons, row by row, flattened."""
        markup = self.reply_markup or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    @property
    def reply_to_message_id(self) -> int | None:
        rp = self.params.get("reply_parameters")
        if isinstance(rp, dict) and "message_id" in rp:
            return int(rp["message_id"])
        rid = self.params.get("reply_to_message_id")
        return int(rid) if rid is not None else None

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.params.items() if k != "reply_markup"}
        return f"<{self.method} #{self.index} {json.dumps(shown, ensure_ascii=False)[:300]}>"


@dataclass
class _Failure:
    method: str  # lower-case
    times: int
    error_code: int | None
    description: str
    retry_after: int | None
    delay: float
    match: Callable[[dict[str, Any]], bool] | None
    hold: asyncio.Event | None = None
    reset: bool = False  # close the connection without an answer
    body: str | None = None  # answer this text (HTML) instead of the Bot API's JSON


def check_html(text: str) -> str | None:
    """Why Telegram would reject ``text`` with ``parse_mode=HTML``, or ``None`` if fine.

    Returns the text's plain length problem too (over 4096 characters after parsing).
    """
    stack: list[str] = []
    plain: list[str] = []
    pos = 0
    for m in _TAG_RE.finditer(text):
        chunk = text[pos : m.start()]
        if "<" in chunk or ">" in chunk:
            return "Bad Request: can't parse entities: unsupported start tag or unescaped '<'"
        plain.append(chunk)
        pos = m.end()
        closing, tag = m.group(1) == "/", m.group(2).lower()
        if tag not in _HTML_TAGS:
            return f'Bad Request: can\'t parse entities: unsupported start tag "{tag}"'
        if closing:
            if not stack or stack[-1] != tag:
                return (
                    "Bad Request: can't parse entities: can't find end tag corresponding "
                    f'to start tag "{stack[-1] if stack else tag}"'
                )
            stack.pop()
        else:
            stack.append(tag)
    tail = text[pos:]
    if "<" in tail or ">" in tail:
        return "Bad Request: can't parse entities: unsupported start tag or unescaped '<'"
    plain.append(tail)
    if stack:
        return (
            "Bad Request: can't parse entities: can't find end tag corresponding to "
            f'start tag "{stack[-1]}"'
        )
    joined = "".join(plain)
    for amp in re.finditer("&", joined):
        if not _ENTITY_RE.match(joined, amp.start()):
            return (
                "Bad Request: can't parse entities: character '&' is reserved and must be "
                "escaped with the preceding '\\'"
            )
    unescaped = _ENTITY_RE.sub("x", joined)
    if len(unescaped) > _MAX_TEXT:
        return "Bad Request: message is too long"
    return None


def html_to_plain(text: str) -> str:
    """What a reader sees of an HTML message: tags removed, entities decoded."""
    import html

    return html.unescape(_TAG_RE.sub("", text))


class FakeBotApi:
    """The fake server. ``await start()``, point the bot at ``base_url``, ``await stop()``."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_id: int = BOT_ID,
        username: str = BOT_USERNAME,
        validate_html: bool = True,
        record_getupdates: bool = True,
    ) -> None:
        self.token = token
        self.validate_html = validate_html
        self.record_getupdates = record_getupdates
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "CiteBot (test)",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,  # BotFather's /setinline was done
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.requests: list[Request] = []
        self.served_at: dict[int, float] = {}  # update_id -> perf_counter when handed out
        self.received_count: dict[str, int] = {}  # lower-case method -> number of calls
        self.webhook: dict[str, Any] = {}  # setWebhook params while a webhook is set
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, id) -> Message
        self.keep_messages = True
        self.inline_query_ids: set[str] = set()  # inline queries handed out, answerable
        self._updates: list[dict[str, Any]] = []  # not yet confirmed, in update_id order
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._failures: list[_Failure] = []
        self._new_update = asyncio.Event()
        self._new_request = asyncio.Event()
        self._server: tornado.httpserver.HTTPServer | None = None
        self._chats: dict[int, dict[str, Any]] = {}
        self.listeners: list[Callable[[Request], None]] = []  # called after each response
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """The root URL (what ``TELEGRAM_API_BASE_URL`` takes); the bot appends ``/bot<token>``."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeBotApi:
        # Events must belong to the running loop (pytest-asyncio uses one loop per test).
        self._new_update = asyncio.Event()
        self._new_request = asyncio.Event()
        app = tornado.web.Application(
            [(r"/bot([^/]*)/([A-Za-z0-9_]+)/?", _Handler, {"api": self})],
            log_function=lambda handler: None,  # tornado's access log would print the token
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(app, xheaders=False)
        self._server.add_sockets(sockets)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.close_all_connections(), 2)
            self._server = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ updates in

    def enqueue(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """Queue an update for ``getUpdates``; assigns ``update_id`` if it has none."""
        upd = dict(update)
        upd.setdefault("update_id", next(self._update_ids))
        self._updates.append(upd)
        self._remember_chats(upd)
        self._wake_polls()
        return upd

    def _wake_polls(self) -> None:
        """Wake every waiting long poll, then arm a fresh event for the next ones (an event
        left set would make every later poll spin until its timeout)."""
        self._new_update.set()
        self._new_update = asyncio.Event()

    def enqueue_many(self, updates: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self.enqueue(u) for u in updates]

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    def _remember_chats(self, upd: Mapping[str, Any]) -> None:
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            msg = upd.get(key)
            if isinstance(msg, dict) and "chat" in msg:
                self._chats[msg["chat"]["id"]] = msg["chat"]
                self._store_message(msg)
        cq = upd.get("callback_query")
        if isinstance(cq, dict) and isinstance(cq.get("message"), dict):
            self._chats[cq["message"]["chat"]["id"]] = cq["message"]["chat"]

    def _store_message(self, msg: dict[str, Any]) -> None:
        if self.keep_messages:
            self.messages[(msg["chat"]["id"], msg["message_id"])] = msg

    # ------------------------------------------------------------------ failures

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        error_code: int | None = 400,
        description: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        match: Callable[[dict[str, Any]], bool] | None = None,
        hold: asyncio.Event | None = None,
        reset: bool = False,
        body: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (matching ``match``) with an error.

        ``error_code=429`` with ``retry_after`` is Telegram's flood control (repeated with
        ``times``); ``None`` with a ``delay`` just delays a normal response, and with ``hold``
        holds it until the test sets that event (at most ``WAIT`` seconds). ``body`` answers
        ``error_code`` with that text as an HTML page (``HTML_502``: a proxy's "Bad Gateway")
        instead of JSON; ``reset=True`` closes the connection without answering (after the
        delay or hold, if any). A failed call never reaches the method: nothing is sent.
        """
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after or 1}",
                400: "Bad Request: can't parse entities: unsupported start tag",
                403: "Forbidden: bot was blocked by the user",
                401: "Unauthorized",
            }.get(error_code or 0, "Internal Server Error")
        if error_code == 429 and retry_after is None:
            retry_after = 1
        self._failures.append(
            _Failure(
                method.lower(),
                times,
                error_code,
                description,
                retry_after,
                delay,
                match,
                hold,
                reset,
                body,
            )
        )

    def clear_failures(self) -> None:
        """Forget every injected failure not used up yet."""
        self._failures.clear()

    def block_by_user(self, chat_id: int, times: int = 1) -> None:
        """The user ``chat_id`` blocked the bot: sends to them answer 403."""
        self.fail_next(
            "sendMessage",
            times,
            error_code=403,
            description="Forbidden: bot was blocked by the user",
            match=lambda p: _as_int(p.get("chat_id")) == chat_id,
        )

    def _take_failure(self, method: str, params: dict[str, Any]) -> _Failure | None:
        for f in self._failures:
            if f.method == method and (f.match is None or f.match(params)):
                f.times -= 1
                if f.times <= 0:
                    self._failures.remove(f)
                return f
        return None

    # ------------------------------------------------------------------ waiting

    def mark(self) -> int:
        """An index into ``requests``: pass as ``since`` to look only at later requests."""
        return len(self.requests)

    def find(
        self,
        method: str | None = None,
        predicate: Callable[[Request], bool] | None = None,
        *,
        since: int = 0,
    ) -> list[Request]:
        """Recorded requests of ``method`` (case-insensitive) matching ``predicate``."""
        m = method.lower() if method else None
        return [
            r
            for r in self.requests[since:]
            if (m is None or r.method.lower() == m) and (predicate is None or predicate(r))
        ]

    def sent(self, chat_id: int | None = None, *, since: int = 0) -> list[Request]:
        """``sendMessage`` requests (optionally to ``chat_id``) since ``since``."""
        return self.find(
            "sendMessage",
            (lambda r: _as_int(r.chat_id) == chat_id) if chat_id is not None else None,
            since=since,
        )

    async def wait_until(
        self, condition: Callable[[], Any], what: str, *, timeout: float = WAIT
    ) -> Any:
        """Wait until ``condition()`` is true (re-checked whenever a request arrives or is
        answered) and return its value; after ``timeout`` seconds fail with "``what``"."""
        deadline = time.monotonic() + timeout
        while not (value := condition()):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{what} within {timeout}s")
            event = self._new_request
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), left)
        return value

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Request], bool] | None = None,
        *,
        timeout: float = WAIT,
        since: int = 0,
    ) -> Request:
        """The next not-yet-consumed request of ``method`` matching ``predicate``.

        Waits up to ``timeout`` seconds; marks the request consumed so that the next call
        returns the one after it. Raises ``AssertionError`` listing what arrived instead.
        The request may not be answered yet if its answer is delayed or held (``responded``).
        """
        m = method.lower()

        def first() -> Request | None:
            for r in self.requests[since:]:
                if not r.consumed and r.method.lower() == m and (predicate is None or predicate(r)):
                    return r
            return None

        try:
            found = await self.wait_until(
                first, f"no {method} request matching the predicate", timeout=timeout
            )
        except AssertionError as exc:
            recent = [r for r in self.requests[since:] if r.method.lower() != "getupdates"]
            raise AssertionError(f"{exc}; requests since #{since}: {recent[-15:]}") from None
        found.consumed = True
        return found

    async def responded(self, req: Request, timeout: float = WAIT) -> Request:
        """Wait until the server has answered ``req`` (e.g. after an injected delay)."""
        await self.wait_until(
            lambda: req.response is not None, f"{req} was not answered", timeout=timeout
        )
        return req

    async def wait_served(self, update_id: int, timeout: float = WAIT) -> None:
        """Wait until ``getUpdates`` has handed out ``update_id``."""
        await self.wait_until(
            lambda: update_id in self.served_at,
            f"update {update_id} was not fetched",
            timeout=timeout,
        )

    async def wait_confirmed(self, update_id: int, timeout: float = WAIT) -> None:
        """Wait until the bot confirmed ``update_id`` (asked for a later offset)."""
        await self.wait_until(
            lambda: not any(u["update_id"] <= update_id for u in self._updates),
            f"update {update_id} was not confirmed",
            timeout=timeout,
        )

    # ------------------------------------------------------------------ dispatch

    def _record(self, req: Request) -> None:
        if req.method.lower() != "getupdates" or self.record_getupdates:
            req.index = len(self.requests)
            self.requests.append(req)
        self.received_count[req.method.lower()] = self.received_count.get(req.method.lower(), 0) + 1

    def _notify(self) -> None:
        self._new_request.set()
        self._new_request = asyncio.Event()

    async def handle(self, req: Request) -> tuple[int, dict[str, Any] | str]:
        """Answer one request: ``(http_status, body)``, the body JSON or (an injected
        ``body``) text; the status ``RESET`` means "close the connection without an answer"
        (``req.response`` then says ``"reset": True``). Waiters are woken when it arrives and
        again when it is answered."""
        self._record(req)
        self._notify()
        try:
            if not req.token_ok:
                raise ApiError(401, "Unauthorized")
            name = req.method.lower()
            failure = self._take_failure(name, req.params)
            if failure is not None:
                if failure.delay:
                    await asyncio.sleep(failure.delay)
                if failure.hold is not None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(failure.hold.wait(), WAIT)
                if failure.reset or failure.body is not None:
                    return self._answered(req, failure)
                if failure.error_code is not None:
                    params = (
                        {"retry_after": failure.retry_after}
                        if failure.retry_after is not None
                        else None
                    )
                    raise ApiError(failure.error_code, failure.description, params)
            handler = getattr(self, f"_m_{name}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(req.params)
            if asyncio.iscoroutine(result):
                result = await result
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except ApiError as exc:
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            status = exc.code
        req.response = body
        self._notify()
        for listener in self.listeners:
            listener(req)
        return status, body

    def _answered(self, req: Request, failure: _Failure) -> tuple[int, dict[str, Any] | str]:
        """Record and announce a transport fault: a reset or a non-JSON page."""
        if failure.reset:
            status: int = RESET
            req.response = {"ok": False, "reset": True, "description": "connection reset"}
        else:
            status = failure.error_code or 502
            req.response = {"ok": False, "error_code": status, "description": "(HTML page)"}
        self._notify()
        for listener in self.listeners:
            listener(req)
        return status, failure.body or ""

    # ------------------------------------------------------------------ methods

    def _m_getme(self, p: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot_user)

    def _m_logout(self, p: dict[str, Any]) -> bool:
        return True

    def _m_close(self, p: dict[str, Any]) -> bool:
        return True

    async def _m_getupdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(p.get("offset")) or 0
        limit = max(1, min(100, _as_int(p.get("limit")) or 100))
        timeout = float(p.get("timeout") or 0)
        allowed = p.get("allowed_updates")
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if offset < 0:  # Telegram: negative offset = the last -offset updates
                self._updates = self._updates[offset:]
        deadline = time.monotonic() + timeout
        while True:
            batch = [u for u in self._updates if _allowed(u, allowed)][:limit]
            if batch or self.webhook:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            event = self._new_update
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), left)
        now = time.perf_counter()
        for u in batch:
            self.served_at.setdefault(u["update_id"], now)
        return batch

    def _m_deletewebhook(self, p: dict[str, Any]) -> bool:
        self.webhook = {}
        if p.get("drop_pending_updates") in (True, "true"):
            self._updates.clear()
        self._wake_polls()
        return True

    def _m_setwebhook(self, p: dict[str, Any]) -> bool:
        url = str(p.get("url") or "")
        if not url:
            return self._m_deletewebhook(p)
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = dict(p)
        if p.get("drop_pending_updates") in (True, "true"):
            self._updates.clear()
        self._wake_polls()  # a waiting long poll now conflicts
        return True

    def _m_getwebhookinfo(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
            "max_connections": self.webhook.get("max_connections", 40) if self.webhook else None,
        }

    def _scope_key(self, p: dict[str, Any]) -> str:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps([scope, p.get("language_code") or ""], sort_keys=True)

    def _m_setmycommands(self, p: dict[str, Any]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        for c in commands:
            cmd, desc = str(c.get("command", "")), str(c.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", cmd):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(desc) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        self.commands[self._scope_key(p)] = commands
        return True

    def _m_getmycommands(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._scope_key(p), [])

    def _m_deletemycommands(self, p: dict[str, Any]) -> bool:
        self.commands.pop(self._scope_key(p), None)
        return True

    def _m_setmydescription(self, p: dict[str, Any]) -> bool:
        return True

    def _m_setmyshortdescription(self, p: dict[str, Any]) -> bool:
        return True

    def _m_setchatmenubutton(self, p: dict[str, Any]) -> bool:
        return True

    def _m_sendchataction(self, p: dict[str, Any]) -> bool:
        self._chat(p)
        return True

    def _m_answercallbackquery(self, p: dict[str, Any]) -> bool:
        if not p.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        if len(str(p.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _m_answerinlinequery(self, p: dict[str, Any]) -> bool:
        """Checked as Telegram checks it: a known query id, at most 50 results with
        unique ids of 1-64 bytes, and (for articles) a title and message text that would
        be sent as it is (length, HTML) and buttons it would accept."""
        if str(p.get("inline_query_id") or "") not in self.inline_query_ids:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        results = p.get("results")
        if not isinstance(results, list) or len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [str(r.get("id", "")) for r in results]
        if len(set(ids)) != len(ids) or not all(1 <= len(i.encode()) <= 64 for i in ids):
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        for r in results:
            if r.get("type") != "article":
                continue
            if not r.get("title"):
                raise ApiError(400, "Bad Request: RESULT_TITLE_EMPTY")
            content = r.get("input_message_content") or {}
            text = content.get("message_text")
            if not text or not str(text).strip():
                raise ApiError(400, "Bad Request: MESSAGE_EMPTY")
            self._check_text(str(text), content)
            self._check_markup(r.get("reply_markup"))
        return True

    def _m_deletemessage(self, p: dict[str, Any]) -> bool:
        chat = self._chat(p)
        key = (chat["id"], _as_int(p.get("message_id")) or 0)
        if key not in self.messages and self.keep_messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        self.messages.pop(key, None)
        return True

    def _checked_text(self, p: dict[str, Any]) -> str:
        """The message text of a send/edit call, checked as Telegram checks it."""
        text = p.get("text")
        if text is None or not str(text).strip():
            raise ApiError(400, "Bad Request: message text is empty")
        self._check_text(str(text), p)
        return str(text)

    def _m_sendmessage(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p)
        text = self._checked_text(p)
        markup = self._check_markup(p.get("reply_markup"))
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": dict(self.bot_user),
            "chat": chat,
            "date": int(time.time()),
            "text": html_to_plain(text) if p.get("parse_mode") == "HTML" else text,
        }
        if markup and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        reply_to = _reply_to(p)
        if reply_to is not None:
            original = self.messages.get((chat["id"], reply_to))
            if original is None and not _allow_without_reply(p) and self.keep_messages:
                raise ApiError(400, "Bad Request: message to be replied not found")
            if original is not None:
                msg["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }
        if p.get("message_thread_id") is not None:
            msg["message_thread_id"] = _as_int(p.get("message_thread_id"))
        self._store_message(msg)
        return msg

    def _m_editmessagetext(self, p: dict[str, Any]) -> dict[str, Any] | bool:
        if p.get("inline_message_id"):
            return True
        chat = self._chat(p)
        text = self._checked_text(p)
        markup = self._check_markup(p.get("reply_markup"))
        msg = self._edit_target(chat, p)
        plain = html_to_plain(text) if p.get("parse_mode") == "HTML" else text
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if msg.get("text") == plain and msg.get("reply_markup") == new_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        msg = dict(msg, text=plain, edit_date=int(time.time()))
        msg.pop("reply_markup", None)
        if new_markup:
            msg["reply_markup"] = new_markup
        self._store_message(msg)
        return msg

    def _m_editmessagereplymarkup(self, p: dict[str, Any]) -> dict[str, Any] | bool:
        if p.get("inline_message_id"):
            return True
        chat = self._chat(p)
        markup = self._check_markup(p.get("reply_markup"))
        msg = self._edit_target(chat, p)
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if msg.get("reply_markup") == new_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        msg = dict(msg, edit_date=int(time.time()))
        msg.pop("reply_markup", None)
        if new_markup:
            msg["reply_markup"] = new_markup
        self._store_message(msg)
        return msg

    # ------------------------------------------------------------------ validation

    def _chat(self, p: dict[str, Any]) -> dict[str, Any]:
        raw = p.get("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat_id = _as_int(raw)
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
            if chat_id > 0:
                chat["first_name"] = "Reader"
            else:
                chat["title"] = "Test group"
        return chat

    def _check_text(self, text: str, p: dict[str, Any]) -> None:
        mode = p.get("parse_mode")
        if mode == "HTML" and self.validate_html:
            problem = check_html(text)
            if problem:
                raise ApiError(400, problem)
        elif mode not in (None, "", "HTML", "MarkdownV2", "Markdown"):
            raise ApiError(400, f"Bad Request: unsupported parse_mode {mode}")
        elif len(text) > _MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for b in row:
                if not b.get("text"):
                    raise ApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")
                if "callback_data" in b:
                    size = len(str(b["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= 64:
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _edit_target(self, chat: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        mid = _as_int(p.get("message_id"))
        if mid is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        msg = self.messages.get((chat["id"], mid))
        if msg is None:
            if self.keep_messages:
                raise ApiError(400, "Bad Request: message to edit not found")
            msg = {"message_id": mid, "from": dict(self.bot_user), "chat": chat, "date": 0}
        if msg.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    # ------------------------------------------------------------------ update builders

    def user(self, user_id: int = 1001, first_name: str = "Reader", **extra: Any) -> dict[str, Any]:
        u = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}
        u.update(extra)
        return u

    def private_chat(self, user_id: int = 1001) -> dict[str, Any]:
        return {"id": user_id, "type": "private", "first_name": "Reader"}

    def group_chat(self, chat_id: int = -100200300, title: str = "读书会") -> dict[str, Any]:
        return {"id": chat_id, "type": "supergroup", "title": title}

    def message(
        self,
        chat: dict[str, Any],
        text: str | None = None,
        *,
        user: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        reply_to: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A Message dict; bot commands at the start of ``text`` get their entity."""
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
        }
        if chat["type"] != "channel":
            msg["from"] = user or self.user(chat["id"] if chat["id"] > 0 else 1001)
        else:
            msg["sender_chat"] = chat
        if text is not None:
            msg["text"] = text
            ents = list(entities) if entities is not None else _command_entities(text)
            if ents:
                msg["entities"] = ents
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        msg.update(extra)
        return msg

    def private_text(
        self, text: str, *, user_id: int = 1001, first_name: str = "Reader", **extra: Any
    ) -> dict[str, Any]:
        """Enqueue a private-chat text message from ``user_id``; returns the update."""
        user = self.user(user_id, first_name)
        chat = self.private_chat(user_id)
        return self.enqueue({"message": self.message(chat, text, user=user, **extra)})

    def group_text(
        self,
        text: str,
        *,
        chat_id: int = -100200300,
        user_id: int = 1001,
        reply_to: dict[str, Any] | None = None,
        mention: bool = True,
        **extra: Any,
    ) -> dict[str, Any]:
        """Enqueue a group message. Commands and (if ``mention``) ``@username`` get entities."""
        ents = _command_entities(text)
        if mention:
            for m in re.finditer(r"@[A-Za-z0-9_]{5,32}", text):
                if any(e["offset"] == _utf16_len(text[: m.start()]) for e in ents):
                    continue
                ents.append(
                    {
                        "type": "mention",
                        "offset": _utf16_len(text[: m.start()]),
                        "length": _utf16_len(m.group()),
                    }
                )
        msg = self.message(
            self.group_chat(chat_id),
            text,
            user=self.user(user_id),
            entities=ents,
            reply_to=reply_to,
            **extra,
        )
        return self.enqueue({"message": msg})

    def callback_query(
        self,
        data: str,
        *,
        message: dict[str, Any] | None = None,
        user_id: int = 1001,
        chat_id: int | None = None,
        language_code: str = "zh-hans",
    ) -> dict[str, Any]:
        """Enqueue a button press on ``message`` (a Message dict the bot sent) by ``user_id``
        (whose Telegram app is in ``language_code``)."""
        if message is None:
            chat = self._chats.get(chat_id or user_id) or self.private_chat(chat_id or user_id)
            message = {
                "message_id": next(self._message_ids),
                "from": dict(self.bot_user),
                "chat": chat,
                "date": int(time.time()),
                "text": "…",
            }
        cq = {
            "id": f"cq{next(self._callback_ids)}",
            "from": self.user(user_id, language_code=language_code),
            "chat_instance": f"ci{message['chat']['id']}",
            "message": message,
            "data": data,
        }
        return self.enqueue({"callback_query": cq})

    def inline_query(
        self, query: str, *, user_id: int = 1001, language_code: str = "zh-hans"
    ) -> dict[str, Any]:
        """Enqueue an inline query (``@bot query`` typed in some chat); its id is then one
        ``answerInlineQuery`` accepts."""
        query_id = f"iq{next(self._callback_ids)}"
        self.inline_query_ids.add(query_id)
        iq = {
            "id": query_id,
            "from": self.user(user_id, language_code=language_code),
            "query": query,
            "offset": "",
            "chat_type": "supergroup",
        }
        return self.enqueue({"inline_query": iq})

    def press(
        self,
        sent: Request,
        button_text_or_data: str,
        *,
        user_id: int = 1001,
        language_code: str = "zh-hans",
    ) -> dict:
        """Enqueue a press of the button of ``sent`` (a recorded send) with that text/data."""
        assert sent.response and sent.response.get("ok"), f"{sent} was not delivered"
        msg = sent.response["result"]
        for b in sent.buttons:
            if button_text_or_data in (b.get("text"), b.get("callback_data")):
                assert "callback_data" in b, f"button {b} has no callback_data"
                return self.callback_query(
                    b["callback_data"], message=msg, user_id=user_id, language_code=language_code
                )
        raise AssertionError(f"no button {button_text_or_data!r} in {sent.buttons}")

    def press_on(
        self, message: Mapping[str, Any], button_text_or_data: str, *, user_id: int = 1001
    ) -> dict:
        """Enqueue a press of a button of ``message`` as the chat shows it now (a stored
        Message, e.g. ``messages[(chat, id)]`` after edits) with that text/data."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in (b for row in rows for b in row):
            if button_text_or_data in (b.get("text"), b.get("callback_data")):
                assert "callback_data" in b, f"button {b} has no callback_data"
                return self.callback_query(
                    b["callback_data"], message=dict(message), user_id=user_id
                )
        raise AssertionError(f"no button {button_text_or_data!r} in {rows}")

    def private_sticker(self, *, user_id: int = 1001) -> dict[str, Any]:
        return self.enqueue({"message": self.message(self.private_chat(user_id), sticker=_STICKER)})

    def group_sticker(self, *, chat_id: int = -100200300, user_id: int = 1001) -> dict:
        return self.enqueue(
            {
                "message": self.message(
                    self.group_chat(chat_id), user=self.user(user_id), sticker=_STICKER
                )
            }
        )

    def private_photo(self, caption: str | None = None, *, user_id: int = 1001) -> dict:
        extra: dict[str, Any] = {"photo": _PHOTO}
        if caption:
            extra["caption"] = caption
        return self.enqueue({"message": self.message(self.private_chat(user_id), **extra)})

    def edited_text(self, original: dict[str, Any], new_text: str) -> dict[str, Any]:
        """Enqueue an ``edited_message`` for the message of update ``original``."""
        msg = dict(original["message"], text=new_text, edit_date=int(time.time()))
        ents = _command_entities(new_text)
        msg.pop("entities", None)
        if ents:
            msg["entities"] = ents
        return self.enqueue({"edited_message": msg})

    def channel_post(self, text: str, *, chat_id: int = -100999) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "channel", "title": "News channel"}
        return self.enqueue({"channel_post": self.message(chat, text)})

    async def deliver(self, update: Mapping[str, Any], timeout: float = WAIT) -> int:
        """POST ``update`` to the registered webhook as Telegram would; the HTTP status."""
        import httpx

        assert self.webhook.get("url"), "no webhook is set"
        upd = dict(update)
        upd.setdefault("update_id", next(self._update_ids))
        self._remember_chats(upd)
        async with httpx.AsyncClient(timeout=timeout) as client:
            resp = await client.post(
                self.webhook["url"],
                content=json.dumps(upd, ensure_ascii=False).encode("utf-8"),
                headers=deliver_headers(self.webhook.get("secret_token")),
            )
        return resp.status_code

    def bot_message(self, sent: Request) -> dict[str, Any]:
        """The Message the fake server returned for a recorded send (for replies)."""
        assert sent.response and sent.response.get("ok"), f"{sent} was not delivered"
        return sent.response["result"]


_STICKER = {
    "file_id": "CAACAgIAAxkBAAIBQ2Zfake",
    "file_unique_id": "AgADfake",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
    "emoji": "👍",
    "set_name": "TestStickers",
}
_PHOTO = [
    {
        "file_id": "AgACAgQAAxkBAAIfake1",
        "file_unique_id": "AQADfake1",
        "width": 90,
        "height": 60,
        "file_size": 1200,
    },
    {
        "file_id": "AgACAgQAAxkBAAIfake2",
        "file_unique_id": "AQADfake2",
        "width": 800,
        "height": 533,
        "file_size": 52000,
    },
]


def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _command_entities(text: str) -> list[dict[str, Any]]:
    m = re.match(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?", text)
    if not m:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(m.group())}]


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _reply_to(p: dict[str, Any]) -> int | None:
    rp = p.get("reply_parameters")
    if isinstance(rp, dict):
        return _as_int(rp.get("message_id"))
    return _as_int(p.get("reply_to_message_id")) if p.get("reply_to_message_id") else None


def _allow_without_reply(p: dict[str, Any]) -> bool:
    rp = p.get("reply_parameters")
    if isinstance(rp, dict) and rp.get("allow_sending_without_reply"):
        return True
    return p.get("allow_sending_without_reply") in (True, "true")


def _allowed(update: dict[str, Any], allowed: Any) -> bool:
    if not allowed:  # None or [] = all types except a few opt-in ones
        return True
    return any(k in update for k in allowed if k != "update_id")


def decode_params(raw: Mapping[str, str]) -> dict[str, Any]:
    """Form values as python-telegram-bot sends them: JSON-encoded unless plain strings."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _STRING_PARAMS:
            out[key] = value
            continue
        try:
            out[key] = json.loads(value)
        except (ValueError, TypeError):
            out[key] = value
    return out


class _Handler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    def check_xsrf_cookie(self) -> None:  # an API, not a web form
        pass

    async def get(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def post(self, token: str, method: str) -> None:
        await self._serve(token, method)

    def _parse(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        raw: dict[str, str] = {}
        files: dict[str, bytes] = {}
        for k, v in parse_qsl(self.request.query, keep_blank_values=True):
            raw[k] = v
        ctype = self.request.headers.get("Content-Type", "")
        body = self.request.body or b""
        if ctype.startswith("application/json"):
            data = json.loads(body.decode("utf-8")) if body else {}
            if not isinstance(data, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object")
            params = decode_params(raw)
            params.update(data)
            return params, files
        if ctype.startswith("application/x-www-form-urlencoded"):
            for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
                raw[k] = v
        elif ctype.startswith("multipart/form-data"):
            args: dict[str, list[bytes]] = {}
            parsed_files: dict[str, list[tornado.httputil.HTTPFile]] = {}
            tornado.httputil.parse_body_arguments(ctype, body, args, parsed_files)
            for k, vs in args.items():
                raw[k] = vs[-1].decode("utf-8")
            for k, fs in parsed_files.items():
                if fs:
                    files[k] = fs[-1].body
        return decode_params(raw), files

    async def _serve(self, token: str, method: str) -> None:
        try:
            params, files = self._parse()
        except (ApiError, ValueError, UnicodeDecodeError) as exc:
            params, files = {"_unparsable": str(exc)}, {}
        req = Request(
            index=len(self.api.requests),
            method=method,
            params=params,
            received_at=time.perf_counter(),
            http_method=self.request.method or "POST",
            token_ok=token == self.api.token,
            files=files,
        )
        if "_unparsable" in params:
            self.api._record(req)
            status, body = 400, {"ok": False, "error_code": 400, "description": "Bad Request"}
            req.response = body
            self.api._notify()
        else:
            status, body = await self.api.handle(req)
        if status == RESET:
            self._reset()
            return
        self.set_status(status)
        if isinstance(body, str):
            self.set_header("Content-Type", "text/html")
            self.finish(body)
            return
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    def _reset(self) -> None:
        """Close the connection at once, without an answer (a TCP reset, not a clean end)."""
        stream = self.detach()
        with contextlib.suppress(OSError):
            stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        stream.close()


def deliver_headers(secret: str | None) -> dict[str, str]:
    """Headers Telegram sends with a webhook POST."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return headers
