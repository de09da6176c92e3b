"""Self-test of the fake Bot API server (tests/fake_bot_api.py), with httpx directly."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from fake_bot_api import DEFAULT_TOKEN, WAIT, FakeBotApi, check_html


@pytest.fixture
async def api():
    server = await FakeBotApi().start()
    yield server
    await server.stop()


@pytest.fixture
async def client(api):
    async with httpx.AsyncClient(base_url=f"{api.base_url}/bot{DEFAULT_TOKEN}", timeout=WAIT) as c:
        yield c


async def call(client: httpx.AsyncClient, method: str, **params) -> httpx.Response:
    """Send like python-telegram-bot does: form fields, non-strings JSON-encoded."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return await client.post(f"/{method}", data=data)


async def test_get_me_and_unknown_method(api, client):
    resp = await call(client, "getMe")
    assert resp.status_code == 200
    me = resp.json()["result"]
    assert me["is_bot"] is True and me["username"] == "citebot_test_bot"
    assert me["can_read_all_group_messages"] is False
    resp = await call(client, "sendTelepathy", chat_id=1)
    assert resp.status_code == 404
    assert resp.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert [r.method for r in api.requests] == ["getMe", "sendTelepathy"]


async def test_wrong_token_is_unauthorized(api):
    async with httpx.AsyncClient(timeout=WAIT) as c:
        resp = await c.post(f"{api.base_url}/bot1:wrong/getMe")
    assert resp.status_code == 401
    assert resp.json()["description"] == "Unauthorized"
    assert api.requests[0].token_ok is False


async def test_send_message_form_json_and_query(api, client):
    api.private_text("hi", user_id=42)
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "q:1"}]]}
    resp = await call(
        client, "sendMessage", chat_id=42, text="66", parse_mode="HTML", reply_markup=markup
    )
    msg = resp.json()["result"]
    assert msg["chat"] == {"id": 42, "type": "private", "first_name": "Reader"}
    assert msg["from"]["is_bot"] is True and msg["text"] == "66"
    assert msg["reply_markup"] == markup
    req = await api.wait_for("sendMessage")
    assert req.params["text"] == "66"  # a string parameter stays a string
    assert req.chat_id == 42 and req.buttons == [{"text": "A", "callback_data": "q:1"}]
    # JSON bodies and GET query strings are understood too
    resp = await client.post("/sendMessage", json={"chat_id": 42, "text": "json"})
    assert resp.json()["result"]["text"] == "json"
    resp = await client.get("/sendMessage", params={"chat_id": "42", "text": "get"})
    assert resp.json()["result"]["text"] == "get"


async def test_multipart_body(api, client):
    resp = await client.post(
        "/sendMessage",
        data={"chat_id": "7", "text": "with a file"},
        files={"document": ("a.txt", b"abc", "text/plain")},
    )
    assert resp.json()["ok"] is True
    req = api.requests[-1]
    assert req.params["text"] == "with a file" and req.files == {"document": b"abc"}


async def test_send_message_validation(api, client):
    resp = await call(client, "sendMessage", chat_id=5, text="  ")
    assert resp.json()["description"] == "Bad Request: message text is empty"
    resp = await call(client, "sendMessage", chat_id=5, text="a < b", parse_mode="HTML")
    assert "can't parse entities" in resp.json()["description"]
    resp = await call(client, "sendMessage", chat_id=5, text="x" * 4097)
    assert resp.json()["description"] == "Bad Request: message is too long"
    bad = {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]}
    resp = await call(client, "sendMessage", chat_id=5, text="t", reply_markup=bad)
    assert resp.json()["description"] == "Bad Request: BUTTON_DATA_INVALID"
    resp = await call(
        client, "sendMessage", chat_id=5, text="t", reply_parameters={"message_id": 9}
    )
    assert resp.json()["description"] == "Bad Request: message to be replied not found"


def test_check_html():
    assert check_html("<b>x</b> &amp; <blockquote>「y」</blockquote>") is None
    assert check_html('<a href="https://e.org/?a=1&amp;b=2">l</a>') is None
    assert check_html("<b>x</i>") is not None
    assert check_html("<div>x</div>") is not None
    assert check_html("a & b") is not None
    assert check_html("<b>unclosed") is not None
    assert check_html("&lt;" * 4000) is None  # length counts decoded characters
    assert check_html("x" * 4097) == "Bad Request: message is too long"


async def test_reply_and_edit(api, client):
    upd = api.group_text("/ask@citebot_test_bot 问题", chat_id=-5)
    entity = upd["message"]["entities"][0]
    assert entity == {"type": "bot_command", "offset": 0, "length": len("/ask@citebot_test_bot")}
    mid = upd["message"]["message_id"]
    resp = await call(
        client, "sendMessage", chat_id=-5, text="a", reply_parameters={"message_id": mid}
    )
    sent = resp.json()["result"]
    assert sent["reply_to_message"]["message_id"] == mid
    assert api.requests[-1].reply_to_message_id == mid
    resp = await call(
        client, "editMessageText", chat_id=-5, message_id=sent["message_id"], text="a"
    )
    assert "message is not modified" in resp.json()["description"]
    resp = await call(
        client, "editMessageText", chat_id=-5, message_id=sent["message_id"], text="b"
    )
    assert resp.json()["result"]["text"] == "b"
    resp = await call(client, "editMessageText", chat_id=-5, message_id=1, text="b")
    assert resp.json()["description"] == "Bad Request: message to edit not found"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    resp = await call(
        client,
        "editMessageReplyMarkup",
        chat_id=-5,
        message_id=sent["message_id"],
        reply_markup=markup,
    )
    assert resp.json()["result"]["reply_markup"] == markup


async def test_get_updates_long_poll_and_offset(api, client):
    t0 = time.monotonic()
    resp = await call(client, "getUpdates", timeout=0.3)
    assert resp.json() == {"ok": True, "result": []}
    assert 0.25 < time.monotonic() - t0 < WAIT  # it waited (the upper bound is loose)

    mark = api.mark()

    async def later():  # an update arrives while the long poll waits
        await api.wait_for("getUpdates", since=mark)
        api.private_text("你好", user_id=9)

    task = asyncio.create_task(later())
    t0 = time.monotonic()
    resp = await call(client, "getUpdates", timeout=WAIT / 2)
    await task
    assert time.monotonic() - t0 < WAIT / 2  # returned when the update came, not at its timeout
    updates = resp.json()["result"]
    assert [u["message"]["text"] for u in updates] == ["你好"]
    first = updates[0]["update_id"]
    assert first in api.served_at
    api.private_text("second", user_id=9)
    # not confirmed yet: the same update again, plus the new one
    resp = await call(client, "getUpdates", timeout=0)
    assert [u["update_id"] for u in resp.json()["result"]] == [first, first + 1]
    resp = await call(client, "getUpdates", offset=first + 1, timeout=0, limit=1)
    assert [u["update_id"] for u in resp.json()["result"]] == [first + 1]
    await api.wait_confirmed(first)
    resp = await call(client, "getUpdates", offset=first + 2, timeout=0)
    assert resp.json()["result"] == []


async def test_webhook_conflicts_with_get_updates(api, client):
    resp = await call(client, "setWebhook", url="https://example.invalid/hook", secret_token="s3")
    assert resp.json()["result"] is True
    info = (await call(client, "getWebhookInfo")).json()["result"]
    assert info["url"] == "https://example.invalid/hook"
    resp = await call(client, "getUpdates", timeout=0)
    assert resp.status_code == 409
    await call(client, "deleteWebhook")
    resp = await call(client, "getUpdates", timeout=0)
    assert resp.json()["ok"] is True


async def test_commands_roundtrip(api, client):
    cmds = [{"command": "start", "description": "开始"}]
    assert (await call(client, "setMyCommands", commands=cmds)).json()["result"] is True
    assert (await call(client, "getMyCommands")).json()["result"] == cmds
    await call(client, "deleteMyCommands")
    assert (await call(client, "getMyCommands")).json()["result"] == []
    bad = [{"command": "Bad-Command", "description": "x"}]
    assert (await call(client, "setMyCommands", commands=bad)).status_code == 400


async def test_failure_injection(api, client):
    api.fail_next("sendMessage", 2, error_code=429, retry_after=3)
    api.fail_next("answerCallbackQuery", error_code=None, delay=0.2)
    for _ in range(2):
        resp = await call(client, "sendMessage", chat_id=1, text="x")
        assert resp.status_code == 429
        assert resp.json()["parameters"] == {"retry_after": 3}
    assert (await call(client, "sendMessage", chat_id=1, text="x")).status_code == 200
    t0 = time.monotonic()
    resp = await call(client, "answerCallbackQuery", callback_query_id="cq1")
    assert resp.json()["result"] is True and time.monotonic() - t0 >= 0.2
    api.block_by_user(77)
    assert (await call(client, "sendMessage", chat_id=78, text="x")).status_code == 200
    resp = await call(client, "sendMessage", chat_id=77, text="x")
    assert resp.status_code == 403
    assert resp.json()["description"] == "Forbidden: bot was blocked by the user"
    assert (await call(client, "sendMessage", chat_id=77, text="x")).status_code == 200


async def test_wait_for_times_out_with_a_useful_message(api, client):
    await call(client, "sendMessage", chat_id=1, text="unrelated")
    with pytest.raises(AssertionError, match="unrelated"):
        await api.wait_for("sendMessage", lambda r: r.text == "wanted", timeout=0.1)


async def test_update_builders_are_valid_updates(api):
    """Every builder produces something python-telegram-bot parses into the right type."""
    from telegram import Bot, Update

    bot = Bot(DEFAULT_TOKEN)
    sent_like = {
        "message_id": 5,
        "from": api.bot_user,
        "chat": api.private_chat(3),
        "date": 0,
        "text": "answer",
    }
    built = [
        api.private_text("连云港有多少个爱国主义教育基地?"),
        api.group_text("@citebot_test_bot 问题"),
        api.group_text("是的", reply_to=sent_like),
        api.callback_query("ask:x", message=sent_like),
        api.private_sticker(),
        api.group_sticker(),
        api.private_photo("caption"),
        api.channel_post("news"),
    ]
    built.append(api.edited_text(built[0], "edited"))
    updates = [Update.de_json(u, bot) for u in built]
    assert updates[0].message.text.startswith("连云港")
    assert updates[1].message.entities[0].type == "mention"
    assert updates[2].message.reply_to_message.from_user.is_bot
    assert updates[3].callback_query.data == "ask:x"
    assert updates[4].message.sticker.emoji == "👍"
    assert updates[5].effective_chat.type == "supergroup"
    assert updates[6].message.photo[-1].width == 800
    assert updates[7].channel_post.chat.type == "channel"
    assert updates[8].edited_message.text == "edited"
    assert [u.update_id for u in updates] == sorted(u.update_id for u in updates)


async def test_answer_inline_query_is_checked_and_recorded(api, client):
    upd = api.inline_query("开山岛在哪", user_id=7)
    query_id = upd["inline_query"]["id"]
    assert upd["inline_query"]["from"]["id"] == 7
    article = {
        "type": "article",
        "id": "r1",
        "title": "开山岛",
        "input_message_content": {"message_text": "<b>在灌云县</b>", "parse_mode": "HTML"},
        "reply_markup": {"inline_keyboard": [[{"text": "↗", "url": "https://t.me/x?start=y"}]]},
    }
    resp = await call(client, "answerInlineQuery", inline_query_id=query_id, results=[article])
    assert resp.status_code == 200 and resp.json()["result"] is True
    (req,) = api.find("answerInlineQuery")
    assert req.params["inline_query_id"] == query_id
    assert req.params["results"][0]["title"] == "开山岛"

    bad = [
        ({"inline_query_id": "iq-unknown", "results": [article]}, "query is too old"),
        ({"inline_query_id": query_id, "results": [article, article]}, "RESULT_ID_INVALID"),
        ({"inline_query_id": query_id, "results": [dict(article, title="")]}, "TITLE_EMPTY"),
        (
            {
                "inline_query_id": query_id,
                "results": [
                    dict(
                        article,
                        input_message_content={"message_text": "<b>x", "parse_mode": "HTML"},
                    )
                ],
            },
            "can't parse entities",
        ),
    ]
    for params, problem in bad:
        resp = await call(client, "answerInlineQuery", **params)
        assert resp.status_code == 400, params
        assert problem in resp.json()["description"], resp.json()
