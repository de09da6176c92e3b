"""End to end, admin commands: /reload (good, broken, by a non-admin), /stats, /unanswered."""

from __future__ import annotations

import re

import pytest
from e2e_support import ADMIN_ID, READER_ID, blockquotes, copy_knowledge, plain, run_bot
from e2e_support import add_variant as edit_entry
from fake_bot_api import WAIT, Request

BASES_ZH = "连云港有多少个爱国主义教育基地?"
NEW_VARIANT = "港城一共建了几处爱国主义教育基地呀"


@pytest.fixture
async def bot(tmp_path):
    """A bot over a private copy of the knowledge base (tests edit it)."""
    async with run_bot(tmp_path, knowledge_dir=copy_knowledge(tmp_path)) as run:
        yield run


def qa_file(bot, entry_id: str):
    entry = bot.kb.entry(entry_id)
    return bot.settings.knowledge_dir / entry.source_file


def add_variant(bot, entry_id: str, question: str) -> None:
    """Add a question variant to an entry by editing its YAML file (as an editor would)."""
    edit_entry(bot.settings.knowledge_dir, bot.kb.entry(entry_id), question)


def break_base(bot) -> list[str]:
    """Break two entries in two ways; return the loader's ``file:line`` of each problem."""
    from bot.knowledge import KnowledgeError, load_knowledge

    files = sorted((bot.settings.knowledge_dir / "qa").glob("*.yaml"))
    assert len(files) >= 2
    first, last = files[0], files[-1]
    text = first.read_text(encoding="utf-8")
    text = re.sub(r"(\n\s+paragraph: )(\S+)", r"\1no-such-paragraph", text, count=1)
    first.write_text(text, encoding="utf-8")
    text = last.read_text(encoding="utf-8")
    at = text.rfind("quote: ")
    text = text[:at] + "quote: 这句话不在文章里" + text[text.index("\n", at) :]
    last.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(bot.settings.knowledge_dir)
    return [f"{p.file}:{p.line}" for p in err.value.problems]


async def reload(bot, **kw) -> tuple[Request, Request]:
    """/reload from an admin: the acknowledgement, sent at once, and the result."""
    upd, ack = await bot.private("/reload", user_id=ADMIN_ID, **kw)
    result = await bot.reply_to(upd, since=ack.index + 1)
    return ack, result


async def test_reload_good_changed_and_broken_base(bot):
    kb0 = bot.kb
    entry_id = bot.engine.ask(BASES_ZH).entry.id

    # 1. unchanged base
    ack, reply = await reload(bot)
    assert "正在重新加载" in plain(ack)
    assert any(r.params.get("action") == "typing" for r in bot.api.find("sendChatAction"))
    text = plain(reply)
    assert "知识库已重新加载" in text
    assert f"条目:{len(kb0.entries)}" in text
    assert f"版本:{kb0.version}(原 {kb0.version})" in text
    assert reply.text.count("<code>") == 2  # versions are set in code
    assert "自检" not in text  # nothing changed: nothing to check

    # 2. an editor adds a question variant: the reload reports the changed entry, what it
    # checked before the swap, and the full self-check follows
    add_variant(bot, entry_id, NEW_VARIANT)
    _, reply = await reload(bot)
    text = plain(reply)
    new_version = bot.engine.kb.version
    assert new_version != kb0.version
    assert f"版本:{new_version}(原 {kb0.version})" in text
    assert re.search(rf"修改:.*{re.escape(entry_id)}", text)
    assert "新增:无" in text and "删除:无" in text
    assert re.search(r"已检查受修改影响的 \d+ 个已存问题", text)
    assert "全面自检正在后台进行" in text
    _, answer = await bot.private(NEW_VARIANT)
    assert "66" in plain(answer)
    full = await bot.api.wait_for(
        "sendMessage",
        lambda r: r.chat_id == ADMIN_ID and plain(r).startswith("自检"),
        timeout=4 * WAIT,  # a full check in a child process at low priority
    )
    assert "自检通过" in plain(full) and new_version in plain(full)

    # 3. a broken base: every problem listed as file:line, the old base keeps serving
    problems = break_base(bot)
    assert len(problems) >= 2
    _, reply = await reload(bot)
    text = plain(reply)
    assert "重新加载失败" in text and f"{len(problems)} 个问题" in text
    assert new_version in text
    for where in problems:
        assert where in text, f"{where} missing from {text!r}"
    assert bot.engine.kb.version == new_version
    _, answer = await bot.private(NEW_VARIANT, user_id=READER_ID + 7)
    assert "66" in plain(answer)
    assert blockquotes(answer) == [bot.engine.kb.entry(entry_id).citation.quote]


async def test_reload_by_a_non_admin_is_refused(bot):
    kb0 = bot.kb
    entry_id = bot.engine.ask(BASES_ZH).entry.id
    add_variant(bot, entry_id, NEW_VARIANT)
    for command in ("/reload", "/stats", "/unanswered"):
        _, reply = await bot.private(command)
        assert "只有管理员" in plain(reply), command
    _, reply = await bot.private("/reload", language_code="en", user_id=READER_ID + 1)
    assert "admins only" in plain(reply)
    assert bot.engine.kb is kb0  # nothing was reloaded
    await reload(bot)
    assert bot.engine.kb.version != kb0.version


async def test_stats_and_unanswered(bot):
    questions = [
        (BASES_ZH, "answered"),
        ("How many patriotic education bases does Lianyungang have?", "answered"),
        ("阿里巴巴的创始人是谁", "no_match"),
        ("阿里巴巴的创始人是谁?", "no_match"),
        ("火星上有水吗", "no_match"),
        ("你好", "smalltalk"),
    ]
    asked = []
    for n, (question, _) in enumerate(questions):
        upd, _ = await bot.private(question, user_id=READER_ID + n)  # distinct: no flood guard
        asked.append(upd)
    ambiguous = next(
        (q for q in ("党史", "红色", "连云港", "宣讲") if bot.engine.ask(q).status == "ambiguous"),
        None,
    )
    if ambiguous:
        upd, _ = await bot.private(ambiguous, user_id=READER_ID + 50)
        asked.append(upd)
    expected = {s: sum(1 for _, k in questions if k == s) for s in ("answered", "no_match")}
    expected["smalltalk"] = 1
    expected["ambiguous"] = 1 if ambiguous else 0
    await bot.wait_handled(*asked)  # each counted before its answer, written after it
    assert bot.store.since_start() == expected

    _, reply = await bot.private("/stats", user_id=ADMIN_ID)
    text = plain(reply)
    counts = re.findall(r"已回答 (\d+)[,,]待选择 (\d+)[,,]未回答 (\d+)[,,]寒暄 (\d+)", text)
    row = [str(expected[k]) for k in ("answered", "ambiguous", "no_match", "smalltalk")]
    assert counts == [tuple(row), tuple(row)]  # since start, and in total (fresh data dir)
    assert f"{len(bot.kb.entries)} 条" in text and bot.kb.version in text
    assert "点选建议 0,👍 0,👎 0;待审核 0 条(/review);收件箱待回答 1" in text  # this /stats

    _, reply = await bot.private("/unanswered", user_id=ADMIN_ID)
    text = plain(reply)
    lines = text.splitlines()
    top = next(i for i, ln in enumerate(lines) if "阿里巴巴的创始人是谁" in ln)
    assert "2 次" in lines[top]  # both spellings grouped as one question
    assert any("火星上有水吗" in ln and "1 次" in ln for ln in lines)
    assert top < next(i for i, ln in enumerate(lines) if "火星上有水吗" in ln)
    assert BASES_ZH.rstrip("?") not in text  # answered questions are not kept
    assert lines[-1] == "待审核的读者点选和评价:0 条(/review)"  # the review queue's size
    if ambiguous:
        assert any(ambiguous in ln for ln in lines[top + 1 :])

    _, reply = await bot.private("/unanswered 1 7", user_id=ADMIN_ID)
    text = plain(reply)
    assert "7 天" in text and "阿里巴巴" in text and "火星" not in text
    _, reply = await bot.private("/unanswered many", user_id=ADMIN_ID)
    assert "用法" in plain(reply)


async def test_stats_in_english(bot):
    _, reply = await bot.private("/stats", user_id=ADMIN_ID, language_code="en")
    text = plain(reply)
    assert "Since start" in text and "answered 0" in text
    assert f"{len(bot.kb.entries)} entries" in text


async def test_a_reload_that_would_change_a_stored_answer_is_refused(bot):
    kb0 = bot.kb
    stolen = BASES_ZH.rstrip("?") + "呀?"  # another entry claims the bases question
    add_variant(bot, "hotline-12345-platform", stolen)
    _, reply = await reload(bot, language_code="en")
    text = plain(reply)
    assert "Reload failed" in text and stolen in text
    assert f"{kb0.entry('hotline-12345-platform').source_file}:" in text
    assert bot.engine.kb is kb0  # the old base keeps serving
    _, answer = await bot.private(stolen, user_id=READER_ID + 3)
    assert "66" in plain(answer)


async def test_reload_acknowledges_with_typing_before_the_reload_ends(bot, monkeypatch):
    """The acknowledgement and the typing indicator arrive while the reload itself is still
    running (held here until both are seen); the result comes after them."""
    import threading

    release = threading.Event()
    real_reload = bot.engine.reload

    def held_reload(*args, **kwargs):
        release.wait(WAIT)
        return real_reload(*args, **kwargs)

    monkeypatch.setattr(bot.engine, "reload", held_reload)
    mark = bot.api.mark()
    upd = bot.api.private_text("/reload", user_id=ADMIN_ID)
    try:
        ack = await bot.reply_to(upd, since=mark)
        typing = await bot.api.wait_for(
            "sendChatAction", lambda r: r.chat_id == ADMIN_ID, since=mark
        )
        assert "正在重新加载" in plain(ack) and typing.params.get("action") == "typing"
        assert bot.api.sent(ADMIN_ID, since=mark) == [ack]  # no result while the reload runs
    finally:
        release.set()
    result = await bot.reply_to(upd, since=mark)
    assert "知识库已重新加载" in plain(result)
    assert ack.index < typing.index < result.index
