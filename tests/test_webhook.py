"""Webhook mode: the bot's own HTTP endpoint (``bot.telegram.webhook``) on 127.0.0.1,
guarded by the secret token, over real HTTP; the bot's outgoing calls go to the fake Bot
API server.

The ``hook`` fixture runs ``webhook.serve`` exactly as ``citebot run --webhook`` does
(initialize, post_init, start, the server, setWebhook through the fake server) until the
test ends, then stops it the same way a SIGTERM does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import (
    READER_ID,
    assert_no_errors,
    base_env,
    blockquotes,
    plain,
    shared_engine,
)
from fake_bot_api import WAIT, FakeBotApi, deliver_headers

SECRET = "s3cr3t-Token_for-tests"
BASES_ZH = "连云港有多少个爱国主义教育基地?"
MB = 1 << 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[tuple[Any, str]]:
    """The bot serving its webhook as ``citebot run --webhook`` does (``webhook.serve``),
    until the block ends, then stopped as on SIGTERM. Yields the app and the webhook URL."""
    from bot.inbox import Inbox
    from bot.settings import Settings
    from bot.stats import StatsStore
    from bot.telegram import runner, webhook
    from bot.telegram.app import build_application

    port = free_port()
    env = base_env(
        api,
        tmp_path,
        CITEBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook/telegram",
        CITEBOT_WEBHOOK_LISTEN="127.0.0.1",
        CITEBOT_WEBHOOK_PORT=str(port),
        CITEBOT_WEBHOOK_SECRET=SECRET,
        CITEBOT_WEBHOOK_PATH="/hook/telegram",
    )
    settings = Settings.from_env(env)
    settings.require_webhook()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = StatsStore(settings.stats_path)
    app = build_application(settings, shared_engine(), store, inbox=Inbox(settings.inbox_path))
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        webhook.serve(app, settings, stop=stop, ready=ready, allowed_updates=runner.ALLOWED_UPDATES)
    )
    try:
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait({task, waiting}, timeout=WAIT, return_when="FIRST_COMPLETED")
        waiting.cancel()
        if task.done():
            task.result()  # raises what stopped it
        assert ready.is_set(), "the webhook server did not start"
        yield app, f"http://127.0.0.1:{port}{settings.webhook_path}"
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
        store.close()


@pytest.fixture
async def hook(tmp_path):
    async with FakeBotApi() as api, serving(api, tmp_path) as (app, url):
        yield api, app, url


def update_json(api: FakeBotApi, text: str, user_id: int = READER_ID) -> bytes:
    upd = {
        "update_id": 10_000 + user_id,
        "message": api.message(api.private_chat(user_id), text, user=api.user(user_id)),
    }
    return json.dumps(upd, ensure_ascii=False).encode()


async def test_set_webhook_registers_url_and_secret(hook):
    api, _, url = hook
    registered = api.find("setWebhook")
    assert len(registered) == 1
    params = registered[0].params
    assert params["url"] == url
    assert params["secret_token"] == SECRET
    assert sorted(params["allowed_updates"]) == ["callback_query", "inline_query", "message"]
    assert not api.find("getUpdates")  # no polling in webhook mode


async def test_requests_without_the_right_secret_are_rejected(hook, caplog):
    api, _, url = hook
    async with httpx.AsyncClient(timeout=WAIT) as client:
        no_header = await client.post(
            url, content=update_json(api, BASES_ZH, 1), headers=deliver_headers(None)
        )
        wrong = await client.post(
            url, content=update_json(api, BASES_ZH, 2), headers=deliver_headers("not-the-secret")
        )
        empty = await client.post(
            url, content=update_json(api, BASES_ZH, 3), headers=deliver_headers("")
        )
        wrong_path = await client.post(
            url.rsplit("/", 1)[0] + "/other",
            content=update_json(api, BASES_ZH, 4),
            headers=deliver_headers(SECRET),
        )
        right = await client.post(
            url, content=update_json(api, BASES_ZH, 5), headers=deliver_headers(SECRET)
        )
    assert no_header.status_code == 403
    assert wrong.status_code == 403
    assert empty.status_code == 403
    assert wrong_path.status_code == 404
    assert right.status_code == 200
    reply = await api.wait_for("sendMessage", lambda r: r.chat_id == 5)
    assert "66" in plain(reply) and blockquotes(reply)
    # none of the rejected updates was answered
    assert {r.chat_id for r in api.find("sendMessage")} == {5}
    assert_no_errors(caplog.records)


async def test_malformed_body_is_refused_and_the_bot_goes_on(hook):
    api, _, url = hook
    async with httpx.AsyncClient(timeout=WAIT) as client:
        for body in (
            b"{not json",
            b"",
            b"[1, 2]",  # not an object
            b'"update"',
            b'{"message": {}}',  # no update_id
            b'{"update_id": "7"}',
            b'{"update_id": true}',
            b"[" * 100_000 + b"]" * 100_000,  # nested too deep for the parser
        ):
            bad = await client.post(url, content=body, headers=deliver_headers(SECRET))
            assert bad.status_code == 400, body[:40]
        # An update with an id that the bot cannot read is skipped and confirmed (200), as in
        # polling: a 400 would make Telegram send it again and again.
        poison = b'{"update_id": 999999, "message": 5}'
        skipped = await client.post(url, content=poison, headers=deliver_headers(SECRET))
        assert skipped.status_code == 200
    status = await api.deliver(
        {"message": api.message(api.private_chat(READER_ID), BASES_ZH, user=api.user(READER_ID))}
    )
    assert status == 200
    reply = await api.wait_for("sendMessage", lambda r: r.chat_id == READER_ID)
    assert "66" in plain(reply)


async def test_buttons_work_over_the_webhook(hook):
    api, _, _ = hook
    await api.deliver(
        {"message": api.message(api.private_chat(READER_ID), "/topics", user=api.user(READER_ID))}
    )
    menu = await api.wait_for("sendMessage", lambda r: r.chat_id == READER_ID)
    assert menu.buttons
    cq = {
        "id": "cq-webhook",
        "from": api.user(READER_ID),
        "chat_instance": "x",
        "message": api.bot_message(menu),
        "data": menu.buttons[0]["callback_data"],
    }
    assert await api.deliver({"callback_query": cq}) == 200
    ack = await api.wait_for("answerCallbackQuery")
    assert ack.params["callback_query_id"] == "cq-webhook"
    edit = await api.wait_for("editMessageText")
    assert edit.params["message_id"] == api.bot_message(menu)["message_id"]
    assert shared_engine().kb.article.sections  # (the menu came from the shipped base)


# ---------------------------------------------------------------------- raw HTTP


def request_head(path: str, secret: str | None, *, length: int | None) -> bytes:
    """Request line and headers of a webhook POST; ``length=None``: chunked."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if secret is not None:
        lines.append(f"X-Telegram-Bot-Api-Secret-Token: {secret}")
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def read_status(reader: asyncio.StreamReader) -> int | None:
    """The status of the response, or None if the connection closed without one."""
    try:
        line = await asyncio.wait_for(reader.readline(), WAIT)
    except ConnectionError:
        return None
    return int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else None


async def closed(reader: asyncio.StreamReader) -> bool:
    """Whether the server closes the connection (the rest of the response read first)."""
    try:
        while await asyncio.wait_for(reader.read(65536), WAIT):
            pass
    except ConnectionError:
        pass
    return True


async def post_flood(
    port: int, path: str, secret: str | None, size: int, *, chunked: bool = False
) -> int | None:
    """POST a ``size``-byte body as fast as the server takes it while reading the response;
    sending stops at the first error (the server closed). Returns the status, or None.

    Plain socket calls: an asyncio stream would drop a response already received once a
    write fails (the server closing is expected here)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    block = b" " * 65536
    piece = f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block

    async def send() -> None:
        sent = 0
        with contextlib.suppress(OSError):
            await loop.sock_sendall(
                sock, request_head(path, secret, length=None if chunked else size)
            )
            while sent < size:
                await loop.sock_sendall(sock, piece)
                sent += len(block)
            if chunked:
                await loop.sock_sendall(sock, b"0\r\n\r\n")

    async def status_line() -> bytes:
        data = b""
        with contextlib.suppress(OSError):
            while b"\r\n" not in data and (more := await loop.sock_recv(sock, 4096)):
                data += more
        return data

    sender = asyncio.create_task(send())
    try:
        line = await asyncio.wait_for(status_line(), WAIT)
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        sock.close()
    return int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else None


async def test_a_wrong_secret_is_refused_before_the_body_is_read(hook):
    _, _, url = hook
    port, path = int(url.split(":")[2].split("/")[0]), "/" + url.split("/", 3)[3]
    for secret in ("not-the-secret", None, SECRET + "x"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # 20 MB announced, 4 KB sent: the 403 must come without the rest
        writer.write(request_head(path, secret, length=20 * MB) + b" " * 4096)
        await writer.drain()
        assert await read_status(reader) == 403
        assert await closed(reader)  # and the connection is closed: nothing more is read
        writer.close()
    # a wrong path or method the same way (404, 405), before the body
    for head, status in (
        (request_head("/other", SECRET, length=20 * MB), 404),
        (request_head(path, SECRET, length=20 * MB).replace(b"POST", b"PUT", 1), 405),
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head + b" " * 4096)
        await writer.drain()
        assert await read_status(reader) == status
        assert await closed(reader)
        writer.close()
    async with httpx.AsyncClient(timeout=WAIT) as client:
        assert (await client.get(url, headers=deliver_headers(SECRET))).status_code == 405


async def test_a_body_over_1_mib_is_refused(hook):
    api, _, url = hook
    port, path = int(url.split(":")[2].split("/")[0]), "/" + url.split("/", 3)[3]
    # announced by Content-Length: refused before reading it
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_head(path, SECRET, length=2 * MB) + b" " * 4096)
    await writer.drain()
    assert await read_status(reader) == 413
    assert await closed(reader)
    writer.close()
    # chunked (no length announced): refused once more than 1 MiB arrived
    assert await post_flood(port, path, SECRET, 2 * MB, chunked=True) == 413
    # and the bot goes on: an update just under the limit is answered
    upd = json.loads(update_json(api, BASES_ZH, 7))
    upd["padding"] = " " * (MB - 2048)
    body = json.dumps(upd, ensure_ascii=False).encode()
    assert len(body) < MB
    async with httpx.AsyncClient(timeout=WAIT) as client:
        ok = await client.post(url, content=body, headers=deliver_headers(SECRET))
    assert ok.status_code == 200
    reply = await api.wait_for("sendMessage", lambda r: r.chat_id == 7)
    assert "66" in plain(reply)


async def test_the_same_update_posted_twice_is_stored_once_and_answered_once(hook, caplog):
    caplog.set_level(logging.INFO, logger="bot")
    api, app, url = hook
    first = update_json(api, BASES_ZH, 11)
    update_id = json.loads(first)["update_id"]
    async with httpx.AsyncClient(timeout=WAIT) as client:
        # twice at once (the first not yet answered), then again once it is answered
        replies = await asyncio.gather(
            *(client.post(url, content=first, headers=deliver_headers(SECRET)) for _ in range(2))
        )
        assert [r.status_code for r in replies] == [200, 200]
        # stored before the 200, once
        assert app.bot.inbox.counts() in ((1, 0), (0, 1))  # (pending, done)
        await api.wait_for("sendMessage", lambda r: r.chat_id == 11)
        again = await client.post(url, content=first, headers=deliver_headers(SECRET))
        assert again.status_code == 200
        # a later update in the same chat is answered; the repeats never were
        probe = json.loads(update_json(api, "/source", 11))
        probe["update_id"] = update_id + 1
        sent = await client.post(url, json=probe, headers=deliver_headers(SECRET))
        assert sent.status_code == 200
        await api.wait_for("sendMessage", lambda r: r.chat_id == 11 and "66" not in plain(r))
    assert len(api.find("sendMessage", lambda r: r.chat_id == 11)) == 2
    assert "received again: not answered twice" in caplog.text
    assert_no_errors(caplog.records)


async def test_a_taken_port_stops_start_up_with_one_clear_line(tmp_path):
    from test_e2e_process import finish, spawn, webhook_env

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with FakeBotApi() as api:
            env = webhook_env(tmp_path, api, port)
            code, out, err = await finish(await spawn(tmp_path, env, "--webhook"))
    assert code == 2, err
    assert "Traceback" not in err + out
    assert f"citebot: cannot serve the webhook on 127.0.0.1:{port}: " in err
    assert not api.find("setWebhook")  # nothing registered with Telegram


async def test_start_up_retries_setwebhook_while_the_network_fails(tmp_path, caplog):
    async with FakeBotApi() as api:
        api.fail_next("setWebhook", error_code=502, description="Bad Gateway")
        async with serving(api, tmp_path) as (_, url):
            # retried (by the request layer, which retries a 5xx for every method)
            assert [r.params["url"] for r in api.find("setWebhook")] == [url, url]
            assert await api.deliver(json.loads(update_json(api, BASES_ZH))) == 200
            reply = await api.wait_for("sendMessage", lambda r: r.chat_id == READER_ID)
            assert "66" in plain(reply)


async def test_a_refused_setwebhook_stops_start_up_cleanly(tmp_path):
    from bot.telegram.webhook import WebhookError

    async with FakeBotApi() as api:
        api.fail_next("setWebhook", error_code=400, description="Bad Request: bad webhook")
        with pytest.raises(WebhookError, match=r"(?i)bad webhook"):
            async with serving(api, tmp_path):
                pass
        assert len(api.find("setWebhook")) == 1  # not retried: it would not change
