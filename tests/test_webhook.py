"""Webhook mode: the bot's own HTTP server on 127.0.0.1, guarded by the secret token.

The app is started as ``run_webhook`` does (``updater.start_webhook`` with the settings'
path and secret), registering its URL with the fake Bot API server through setWebhook.
"""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from e2e_support import (
    READER_ID,
    assert_no_errors,
    base_env,
    blockquotes,
    plain,
    shared_engine,
    stop_app,
)
from fake_bot_api import WAIT, FakeBotApi, deliver_headers

SECRET = "s3cr3t-Token_for-tests"
BASES_ZH = "连云港有多少个爱国主义教育基地?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def hook(tmp_path):
    from bot.settings import Settings
    from bot.stats import StatsStore
    from bot.telegram import runner
    from bot.telegram.app import build_application

    api = await FakeBotApi().start()
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
    store = StatsStore(settings.stats_path)
    app = build_application(settings, shared_engine(), store)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=settings.webhook_path,
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret,
        allowed_updates=runner.ALLOWED_UPDATES,
    )
    await app.start()
    try:
        yield api, app, f"http://127.0.0.1:{port}{settings.webhook_path}"
    finally:
        await stop_app(app)
        store.close()
        await api.stop()


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
    assert sorted(params["allowed_updates"]) == ["callback_query", "message"]
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
        # python-telegram-bot answers 500 to non-JSON (only reachable with the secret)
        bad = await client.post(url, content=b"{not json", headers=deliver_headers(SECRET))
        assert bad.status_code in (400, 500)
        weird = await client.post(
            url, content=b'{"update_id": 1, "message": 5}', headers=deliver_headers(SECRET)
        )
        assert weird.status_code == 400
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
