"""bot.telegram.request: which failures are retried, how long, and what is logged — with a
scripted inner request and a fake clock (no waiting), plus one real refused connection."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import Any

import pytest
from telegram import Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.telegram.request import (
    FIRST_DELAY,
    MAX_DELAY,
    RETRY_AFTER_JITTER,
    RETRY_BUDGET,
    RetryingRequest,
    UpdateIdProcessor,
    classify,
    current_update_id,
)

TOKEN = "42:FakeTokenForTestsOnly_xyzXYZ0123456"
URL = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
LOGGER = "bot.telegram.request"
HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def ok(result: Any = True) -> tuple[int, bytes]:
    return 200, json.dumps({"ok": True, "result": result}).encode()


def error(code: int, description: str, **parameters: Any) -> tuple[int, bytes]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, json.dumps(body).encode()


class Script(BaseRequest):
    """An inner request answering from a script (the last answer repeats)."""

    def __init__(self, *answers: tuple[int, bytes] | Exception) -> None:
        self.answers = list(answers)
        self.urls: list[str] = []

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any):
        self.urls.append(url)
        await asyncio.sleep(0)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class Clock:
    """A fake monotonic clock; ``sleep`` records the wait and advances it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def retrying(script: Script, clock: Clock, rand: float = 0.5, **kw: Any) -> RetryingRequest:
    return RetryingRequest(script, clock=clock, sleep=clock.sleep, rand=lambda: rand, **kw)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.fixture(autouse=True)
def _info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)


async def test_an_accepted_request_is_sent_once() -> None:
    script, clock = Script(ok({"message_id": 1})), Clock()
    assert await retrying(script, clock).post(URL) == {"message_id": 1}
    assert len(script.urls) == 1 and clock.sleeps == []


@pytest.mark.parametrize(
    "failure",
    [
        error(500, "Internal Server Error"),
        error(503, "Service Unavailable"),
        (502, HTML),  # a proxy's page, not JSON
        (404, b"<html>Not Found</html>"),  # not JSON either: not Telegram speaking
        NetworkError("httpx.ReadError: [Errno 104] Connection reset by peer"),
        NetworkError("httpx.ConnectError: [Errno 111] Connection refused"),
        NetworkError("httpx.RemoteProtocolError: Server disconnected without sending a response"),
        TimedOut(),
    ],
    ids=["500", "503", "502-html", "404-html", "reset", "refused", "closed", "timeout"],
)
async def test_transient_failures_are_retried(failure, caplog) -> None:
    script, clock = Script(failure, failure, ok()), Clock()
    assert await retrying(script, clock).post(URL) is True
    assert len(script.urls) == 3
    assert len(clock.sleeps) == 2
    assert not warnings(caplog)
    retries = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(retries) == 2 and all(m.startswith("sendMessage: ") for m in retries)


@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (error(400, "Bad Request: message is not modified"), BadRequest),
        (error(400, "Bad Request: group upgraded", migrate_to_chat_id=-1001), ChatMigrated),
        (error(403, "Forbidden: bot was blocked by the user"), Forbidden),
        (error(401, "Unauthorized"), InvalidToken),
        (error(404, "Not Found"), InvalidToken),
        (error(409, "Conflict: terminated by other getUpdates request"), Conflict),
    ],
)
async def test_refusals_are_not_retried(failure, raised, caplog) -> None:
    script, clock = Script(failure, ok()), Clock()
    with pytest.raises(raised):
        await retrying(script, clock).post(URL)
    assert len(script.urls) == 1 and clock.sleeps == []
    assert not [r for r in caplog.records if r.name == LOGGER]  # the error handler logs it


async def test_backoff_doubles_up_to_the_cap_with_equal_jitter() -> None:
    failure = error(500, "Internal Server Error")
    for rand, factor in ((0.0, 0.5), (1.0, 1.0)):
        clock = Clock()
        with pytest.raises(NetworkError):
            await retrying(Script(failure), clock, rand=rand).post(URL)
        steps = [min(MAX_DELAY, FIRST_DELAY * 2**i) for i in range(len(clock.sleeps))]
        assert clock.sleeps == pytest.approx([s * factor for s in steps])
        assert max(clock.sleeps) <= MAX_DELAY
        assert sum(clock.sleeps) <= RETRY_BUDGET


async def test_429_is_retried_however_often_it_comes(caplog) -> None:
    flood = error(429, "Too Many Requests: retry after 3", retry_after=3)
    script, clock = Script(*[flood] * 15, ok()), Clock()
    assert await retrying(script, clock, rand=1.0).post(URL) is True
    assert len(script.urls) == 16  # 15 times 429, well over AIORateLimiter's old 3 retries
    assert clock.sleeps == pytest.approx([3 + RETRY_AFTER_JITTER] * 15)  # retry_after honoured
    assert sum(clock.sleeps) <= RETRY_BUDGET
    assert not warnings(caplog)


async def test_the_budget_bounds_the_total_then_one_warning(caplog) -> None:
    script, clock = Script(error(500, "Internal Server Error")), Clock()
    request = retrying(script, clock, budget=20.0)
    token = current_update_id.set(4711)
    try:
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await request.post(URL)
    finally:
        current_update_id.reset(token)
    assert clock.now - 1000.0 <= 20.0  # never slept past the budget
    assert len(script.urls) >= 4
    [line] = warnings(caplog)
    assert line.startswith(f"sendMessage failed for good after {len(script.urls)} tries")
    assert "(update 4711)" in line and "HTTP 500 Internal Server Error" in line
    assert TOKEN.split(":")[1] not in caplog.text


async def test_429_stops_when_its_wait_would_exceed_the_budget(caplog) -> None:
    flood = error(429, "Too Many Requests: retry after 5", retry_after=5)
    script, clock = Script(flood), Clock()
    with pytest.raises(RetryAfter):
        await retrying(script, clock, budget=12.0).post(URL)
    assert len(script.urls) == 3  # at 0, ~5, ~10.5: a third wait would end past 12 s
    assert clock.now - 1000.0 <= 12.0
    [line] = warnings(caplog)
    assert "sendMessage" in line and "(update None)" in line and "retry after 5" in line


async def test_a_retry_after_longer_than_the_budget_gives_up_at_once(caplog) -> None:
    script, clock = Script(error(429, "Too Many Requests", retry_after=3600)), Clock()
    with pytest.raises(RetryAfter):
        await retrying(script, clock).post(URL)
    assert len(script.urls) == 1 and clock.sleeps == []
    assert len(warnings(caplog)) == 1


async def test_a_network_error_propagates_as_raised(caplog) -> None:
    reset = NetworkError("httpx.ReadError: connection reset")
    with pytest.raises(NetworkError) as raised:
        await retrying(Script(reset), Clock(), budget=5.0).post(URL)
    assert raised.value is reset
    [line] = warnings(caplog)
    assert "NetworkError: httpx.ReadError: connection reset" in line


async def test_an_html_page_is_not_logged_whole(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(NetworkError):
        await retrying(Script((502, HTML)), Clock(), budget=5.0).post(URL)
    assert "nginx" not in caplog.text  # PTB's own parser would log the page at ERROR
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    [line] = warnings(caplog)
    assert f"HTTP 502 with a non-JSON answer ({len(HTML)} bytes)" in line


async def test_get_updates_is_left_to_the_updater() -> None:
    script, clock = Script(error(502, "Bad Gateway"), ok([])), Clock()
    with pytest.raises(NetworkError):
        await retrying(script, clock).post(URL.replace("sendMessage", "getUpdates"))
    assert len(script.urls) == 1 and clock.sleeps == []


async def test_a_429_pauses_every_request_until_retry_after() -> None:
    """Telegram's flood control is per bot: after one 429, the others wait too."""
    clock = Clock()
    first_wait_started, release_first = asyncio.Event(), asyncio.Event()
    waits: list[tuple[str, float]] = []

    async def sleep(seconds: float) -> None:
        who = asyncio.current_task().get_name()  # type: ignore[union-attr]
        waits.append((who, seconds))
        if who == "first" and not first_wait_started.is_set():
            first_wait_started.set()
            await release_first.wait()
        clock.now += seconds

    flood = error(429, "Too Many Requests: retry after 7", retry_after=7)
    script = Script(flood, ok(), ok())
    request = RetryingRequest(script, clock=clock, sleep=sleep, rand=lambda: 0.0)
    first = asyncio.create_task(request.post(URL), name="first")
    await first_wait_started.wait()  # the first got its 429 and waits 7 s
    second = asyncio.create_task(request.post(URL), name="second")
    assert await second is True  # sent only after the pause
    release_first.set()
    assert await first is True
    assert waits[0] == ("first", 7.0)
    assert waits[1] == ("second", 7.0)  # the whole pause, before its first try


async def test_a_refused_connection_is_retried_for_real(caplog) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = RetryingRequest(HTTPXRequest(), budget=0.5, first_delay=0.05, max_delay=0.1)
    async with request:
        with pytest.raises(NetworkError, match="ConnectError"):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage")
    retries = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.INFO]
    assert len(retries) >= 2
    [line] = warnings(caplog)
    assert "sendMessage failed for good" in line and "ConnectError" in line


def test_classify() -> None:
    assert classify(*error(500, "Internal Server Error")).retry
    assert classify(502, HTML).retry
    assert classify(*error(429, "Too Many Requests", retry_after=4)).retry_after == 4
    assert classify(*error(429, "Too Many Requests")).retry_after is None  # backoff then
    assert not classify(*error(400, "Bad Request: chat not found")).retry
    assert not classify(*error(403, "Forbidden: bot was blocked by the user")).retry


def test_defaults_and_validation() -> None:
    request = RetryingRequest()
    assert request.budget == RETRY_BUDGET == 60.0
    assert isinstance(request.inner, HTTPXRequest)
    assert request.read_timeout == request.inner.read_timeout
    with pytest.raises(ValueError):
        RetryingRequest(Script(ok()), first_delay=0)
    with pytest.raises(ValueError):
        RetryingRequest(Script(ok()), first_delay=2, max_delay=1)


async def test_the_update_processor_records_the_update_id() -> None:
    seen: list[int | None] = []

    async def handle() -> None:
        await asyncio.sleep(0)
        seen.append(current_update_id.get())

    processor = UpdateIdProcessor(4)
    await asyncio.gather(
        processor.process_update(Update(17), handle()),
        processor.process_update(Update(18), handle()),
        processor.process_update(object(), handle()),
    )
    assert sorted(seen, key=str) == [17, 18, None]
    assert current_update_id.get() is None
    assert processor.max_concurrent_updates == 4
