"""Every text the bot shows, in Chinese and English.

Templates are Telegram HTML; :func:`t` escapes every value it fills in, so a template
can never be broken by what it quotes. Answers use the question's language; commands and
buttons use the reader's Telegram language (:func:`ui_lang`).

The texts around answers (no answer, did you mean, greeting, thanks, source label) are
``bot.answer_view.READER_TEXTS``, shared with the command line; here they only get
Telegram's own hints (/topics) appended.
"""

from __future__ import annotations

import html
from typing import Any

from bot.answer_view import READER_TEXTS
from bot.model import LANGS, Lang


def _reader(key: str, hint: dict[Lang, str] | None = None) -> dict[Lang, str]:
    """A reader text of ``bot.answer_view`` as a template (escaped), then ``hint``."""
    out: dict[Lang, str] = {}
    for lang in LANGS:
        text = html.escape(READER_TEXTS[key][lang], quote=False)
        if hint:
            text += ("" if lang == "zh" else " ") + hint[lang]
        out[lang] = text
    return out


TEXTS: dict[str, dict[Lang, str]] = {
    # ---- readers
    "start": {
        "zh": (
            "你好!我回答关于这篇文章的问题:\n"
            "<b>{title}</b>({date},{authors},来自{origin})\n\n"
            "每个回答都附上它所依据的原文句子;文章没有写的,我会直说。"
            "直接输入你的问题,或者点下面的例子。用 /topics 按章节浏览。"
        ),
        "en": (
            "Hello! I answer questions about one news article:\n"
            "<b>{title}</b> ({date}, by {authors}, from {origin})\n\n"
            "Every answer quotes the sentence of the article it rests on; when the article "
            "does not say, I tell you so. Type a question, or tap an example below. "
            "Browse by section with /topics."
        ),
    },
    "start_group": {
        "zh": (
            "你好!我回答关于文章《{title}》的问题。在群里请用 /ask 问题、@{username} 问题,"
            "或者回复我的消息。"
        ),
        "en": (
            "Hello! I answer questions about the article “{title}”. In groups, use "
            "/ask your question, mention @{username}, or reply to one of my messages."
        ),
    },
    "help": {
        "zh": (
            "<b>怎么用</b>\n"
            "• 私聊:直接输入问题(中文或英文),例如“连云港有多少个爱国主义教育基地?”\n"
            "• 群聊:/ask 问题、@{username} 问题,或者回复我的消息\n"
            "• 任何聊天:输入 @{username} 加问题,把回答直接发到对话里\n"
            "每个回答都引用原文(章节、段落和原句);回答下面的“分享”按钮可以把它发给别人。\n\n"
            "<b>命令</b>\n"
            "/topics 按章节浏览文章\n"
            "/source 文章出处\n"
            "/privacy 我会保存什么\n"
            "/language 选择语言(简体、繁體、English)\n"
            "/help 本帮助"
        ),
        "en": (
            "<b>How to use</b>\n"
            "• Private chat: just type a question (English or Chinese), e.g. "
            "“How many patriotic education bases does Lianyungang have?”\n"
            "• Groups: /ask your question, mention @{username}, or reply to one of my "
            "messages\n"
            "• Any chat: type @{username} and a question to send the answer right there\n"
            "Every answer cites the article: section, paragraph and the quoted sentence; its "
            "share button passes it on.\n\n"
            "<b>Commands</b>\n"
            "/topics browse the article by section\n"
            "/source where the article comes from\n"
            "/privacy what I store\n"
            "/language choose the language (简体中文, 繁體中文, English)\n"
            "/help this help"
        ),
    },
    "help_admin": {
        "zh": (
            "<b>管理员命令</b>\n"
            "/reload 重新读取并校验知识库\n"
            "/stats 问答统计\n"
            "/unanswered [数量] [天数] 最常见的未能回答的问题(仅私聊)\n"
            "/review 审核读者的点选和评价,把新问法加进知识库(仅私聊)"
        ),
        "en": (
            "<b>Admin commands</b>\n"
            "/reload re-read and validate the knowledge base\n"
            "/stats question statistics\n"
            "/unanswered [count] [days] the most frequent unanswered questions "
            "(private chat only)\n"
            "/review readers' taps and votes: add their wordings to the knowledge base "
            "(private chat only)"
        ),
    },
    "topics": {
        "zh": "按章节浏览《{title}》:选择一个章节。",
        "en": "Browse “{title}” by section: pick a section.",
    },
    "topics_empty": {
        "zh": "知识库里还没有可浏览的问题。",
        "en": "The knowledge base has no questions to browse yet.",
    },
    "topic": {
        "zh": "<b>{section}</b>\n选择一个问题:",
        "en": "<b>{section}</b>\nPick a question:",
    },
    "back": {"zh": "« 返回章节", "en": "« Back to sections"},
    "page": {"zh": "第 {n}/{count} 页", "en": "Page {n} of {count}"},
    "browse_sections": {"zh": "📚 按章节浏览", "en": "📚 Browse by section"},
    "page_previous": {"zh": "◀ 上一页", "en": "◀ Previous"},
    "page_next": {"zh": "下一页 ▶", "en": "Next ▶"},
    "source": {
        "zh": ("<b>{title}</b>\n作者:{authors}\n日期:{date}\n来源:{origin}(转载于{site})"),
        "en": (
            "<b>{title_en}</b>\n"
            "(original title: {title})\n"
            "Authors: {authors_en}\n"
            "Date: {date}\n"
            "Origin: {origin_en} (republished on {site_en})"
        ),
    },
    "privacy": {
        "zh": (
            "<b>我会保存什么</b>\n"
            "• 我没能回答(或需要你从几个问题中选择)的问题的文字,用来帮助编辑补充知识库;"
            "不记录是谁问的。\n"
            "• 问题数量的统计(已回答、待选择、未回答)。\n"
            "• 收到的每条消息在回答之前暂存,以免程序崩溃时丢失;回答后只留下消息编号,两天后删除。\n"
            "• 你点了哪个建议的问题、对回答点了 👍 还是 👎:只记下问题的文字和对应的条目,"
            "用来改进匹配;不记录是谁点的。为了把点击和问题对应起来,"
            "我会把聊天 ID、我那条消息的编号和它回答的问题保存最多两天,然后删除。\n"
            "• 你用 /language 选择的语言:和你的用户 ID、选择的时间一起保存,直到你在 /language 中"
            "选“自动”为止(那时删除)。\n"
            "除此之外什么都不保存:不保存姓名、用户名或聊天记录。"
            "防刷屏功能只在内存中短暂记住几秒钟内的消息次数;"
            "运行日志(默认级别)只为错误等技术事件记下用户 ID,不记录问题内容。"
        ),
        "en": (
            "<b>What I store</b>\n"
            "• The text of questions I could not answer (or had to ask back about), so the "
            "editors can extend the knowledge base; not who asked them.\n"
            "• Counters of questions answered, asked back and unanswered.\n"
            "• Each message until it is answered, so that a crash loses nothing; after that "
            "only its number, for two days.\n"
            "• Which suggestion you pressed, and 👍 or 👎 on an answer: only the question's "
            "text and the entry, to improve the matching; not who pressed. To connect a "
            "press to its question, I keep the chat id, the number of my message and the "
            "question it answered for at most two days, then delete them.\n"
            "• The language you choose with /language: kept with your user id and when you "
            "chose it, until you "
            "pick “automatic” there, which deletes it.\n"
            "Nothing else: no names, usernames or chat histories. The flood guard only "
            "counts messages in memory for a few seconds; the server log (at its default "
            "level) notes a user id only for technical events such as errors, never the "
            "question text."
        ),
    },
    # answers: the readers' texts shared with the command line (bot.answer_view), plus
    # Telegram's own hints
    "source_label": _reader("source_label"),
    "no_match": _reader(
        "no_answer",
        {"zh": "看看 /topics 了解文章讲了什么。", "en": "See /topics for what it covers."},
    ),
    "no_match_related": _reader("no_answer_related"),
    "did_you_mean_one": _reader(
        "did_you_mean_one",
        {
            "zh": "不是的话,换个说法再问,或者看看 /topics。",
            "en": "If not, try rephrasing, or see /topics.",
        },
    ),
    "did_you_mean": _reader(
        "did_you_mean",
        {
            "zh": "都不是的话,换个说法再问,或者看看 /topics。",
            "en": "If not, try rephrasing, or see /topics.",
        },
    ),
    "greeting": _reader(
        "greeting", {"zh": "可以直接提问,或用 /topics 浏览。", "en": "Ask away, or see /topics."}
    ),
    "thanks": _reader("thanks"),
    "too_long": {
        "zh": "这条消息太长了(超过 {limit} 个字符)。请把问题缩短一些再问。",
        "en": "That message is too long (over {limit} characters). Please ask a shorter question.",
    },
    "media_hint": {
        "zh": "我只能读文字消息。请用文字输入你的问题,或用 /topics 浏览文章。",
        "en": "I can only read text messages. Please type your question, or see /topics.",
    },
    "ask_usage": {
        "zh": "用法:/ask 问题,例如 /ask 连云港有多少个爱国主义教育基地?",
        "en": "Usage: /ask your question, e.g. /ask How many patriotic education bases are there?",
    },
    "unknown_command": {
        "zh": "我不认识这个命令。可用的命令见 /help。",
        "en": "I don't know that command. See /help for the commands.",
    },
    "flood": {
        "zh": "消息太快了,请稍等几秒再问。",
        "en": "You're sending messages too quickly; please wait a few seconds.",
    },
    "stale_button": {
        "zh": "这个按钮已失效(知识库可能已更新)。请重新提问,或使用 /topics。",
        "en": "This button is no longer valid (the knowledge base may have changed). "
        "Please ask again or use /topics.",
    },
    "feedback_thanks": {"zh": "谢谢反馈", "en": "Thanks for the feedback"},
    "original_quote": {"zh": "原文(简体):", "en": "Original (simplified Chinese):"},
    "language": {
        "zh": "<b>语言</b>\n现在:{current}\n选择界面和回答使用的语言:",
        "en": "<b>Language</b>\nNow: {current}\nChoose the language of the interface "
        "and the answers:",
    },
    "language_not_saved": {
        "zh": "没能保存,请稍后再试。",
        "en": "Could not save that; please try again later.",
    },
    "language_auto": {
        "zh": "自动(按你的 Telegram 语言和提问的语言)",
        "en": "automatic (your Telegram language and the language you ask in)",
    },
    "language_auto_button": {"zh": "自动", "en": "Automatic"},
    "language_saved": {"zh": "已保存", "en": "Saved"},
    # sharing (bot.telegram.sharing): the share button, a stale shared link, inline mode
    "share_button": {"zh": "↗ 分享这个回答", "en": "↗ Share this answer"},
    "share_stale": {
        "zh": "抱歉,这个分享链接指向的内容已不在知识库里了(可能已更新)。"
        "请直接提问,或在下面按章节浏览文章(/topics)。",
        "en": "Sorry, what this shared link pointed to is no longer in the knowledge base "
        "(it may have changed). Ask your question, or browse the article by section below "
        "(/topics).",
    },
    "inline_no_answer": _reader("no_answer"),
    "inline_asked": {"zh": "问:{question}", "en": "Q: {question}"},
    "error": {
        "zh": "抱歉,出了点问题,请稍后再试。",
        "en": "Sorry, something went wrong. Please try again later.",
    },
    # ---- admins
    "not_admin": {
        "zh": "抱歉,这个命令只有管理员可以使用。",
        "en": "Sorry, this command is for the bot's admins only.",
    },
    "review_item": {
        "zh": "<b>待审核</b>\n问题:{question}\n读者{did}({count} 次)",
        "en": "<b>To review</b>\nQuestion: {question}\nReaders {did} ({count} times)",
    },
    "review_tap": {"zh": "点了「{entry}」", "en": "tapped “{entry}”"},
    "review_up": {"zh": "对「{entry}」点了 👍", "en": "gave 👍 to “{entry}”"},
    "review_down": {"zh": "对「{entry}」点了 👎", "en": "gave 👎 to “{entry}”"},
    "review_empty": {"zh": "没有待审核的内容了。", "en": "Nothing left to review."},
    "review_add": {"zh": "加入「{entry}」", "en": "add to “{entry}”"},
    "review_not_in_article": {"zh": "文章里没有", "en": "not in the article"},
    "review_skip": {"zh": "跳过", "en": "skip"},
    "review_added": {
        "zh": "✅ 已把「{question}」加入 <code>{entry}</code>(版本 <code>{version}</code>,"
        "原 <code>{previous}</code>),现在会直接回答。",
        "en": "✅ Added “{question}” to <code>{entry}</code> (version <code>{version}</code>, "
        "was <code>{previous}</code>); it is answered directly now.",
    },
    "review_refused": {
        "zh": "❌ 没有加入「{question}」,知识库没有改变:",
        "en": "❌ “{question}” was not added; nothing changed:",
    },
    "review_mark_refused": {
        "zh": "❌ 没有把「{question}」记为文章里没有的问题,知识库没有改变:",
        "en": "❌ “{question}” was not marked as not in the article; nothing changed:",
    },
    "review_marked_not_in_article": {
        "zh": "已记为文章里没有的问题:「{question}」。以后同样的问法会得到“文章没有提到”的回答。",
        "en": "Recorded as not in the article: “{question}”. The bot now refuses this wording.",
    },
    "review_skipped": {"zh": "已跳过。", "en": "Skipped."},
    "review_other": {"zh": "另一个条目…", "en": "another entry…"},
    "review_back": {"zh": "« 返回", "en": "« Back"},
    "review_pick_section": {
        "zh": "「{question}」属于哪个条目?先选文章的部分:",
        "en": "Which entry does “{question}” belong to? First choose a part of the article:",
    },
    "review_pick_entry": {
        "zh": "「{question}」属于「{section}」里的哪个条目?",
        "en": "Which entry of “{section}” does “{question}” belong to?",
    },
    "review_pick_stale": {
        "zh": "知识库已经更新,请重新选择。",
        "en": "The knowledge base has changed; please choose again.",
    },
    "review_gone": {"zh": "这一条已经审核过了。", "en": "That item was reviewed already."},
    "review_unavailable": {
        "zh": "审核不可用(没有反馈数据或学习文件)。",
        "en": "Review is not available (no feedback store or learned file).",
    },
    "private_only": {
        "zh": "请在与我的私聊中使用这个命令(问题内容不在群里公开)。",
        "en": "Please use this command in a private chat with me (question texts are not "
        "shown in groups).",
    },
    "reloading": {"zh": "正在重新加载知识库…", "en": "Reloading the knowledge base…"},
    "reload_ok": {
        "zh": (
            "<b>知识库已重新加载</b>\n"
            "条目:{entries}\n"
            "版本:<code>{version}</code>(原 <code>{previous}</code>)\n"
            "新增:{added}\n"
            "删除:{removed}\n"
            "修改:{changed}"
        ),
        "en": (
            "<b>Knowledge base reloaded</b>\n"
            "Entries: {entries}\n"
            "Version: <code>{version}</code> (was <code>{previous}</code>)\n"
            "Added: {added}\n"
            "Removed: {removed}\n"
            "Changed: {changed}"
        ),
    },
    "reload_failed": {
        "zh": (
            "<b>重新加载失败</b>:发现 {n} 个问题。"
            "仍在使用原来的知识库(版本 <code>{version}</code>)。"
        ),
        "en": (
            "<b>Reload failed</b>: {n} problem(s) found. The previous knowledge base "
            "(version <code>{version}</code>) is still serving."
        ),
    },
    "reload_more": {"zh": "……还有 {n} 个问题", "en": "… and {n} more"},
    "reload_crashed": {
        "zh": "重新加载失败:{error}。仍在使用原来的知识库。",
        "en": "Reload failed: {error}. The previous knowledge base is still serving.",
    },
    "reload_timeout": {
        "zh": (
            "<b>重新加载已放弃</b>:超过了 {seconds} 秒的时限。"
            "仍在使用原来的知识库(版本 <code>{version}</code>),稍后可以再试 /reload。"
        ),
        "en": (
            "<b>Reload abandoned</b>: it ran past its time limit of {seconds} s. The previous "
            "knowledge base (version <code>{version}</code>) is still serving; /reload may be "
            "tried again later."
        ),
    },
    "reload_busy": {
        "zh": (
            "<b>重新加载未进行</b>:上一次重新加载在 {seconds} 秒内仍未结束。"
            "仍在使用原来的知识库(版本 <code>{version}</code>),请稍后再试。"
        ),
        "en": (
            "<b>Reload not done</b>: a previous reload was still running after {seconds} s. "
            "The previous knowledge base (version <code>{version}</code>) is still serving; "
            "try again later."
        ),
    },
    "reload_stopping": {
        "zh": "<b>重新加载已放弃</b>:机器人正在停止。仍在使用原来的知识库。",
        "en": "<b>Reload abandoned</b>: the bot is stopping. The previous knowledge base is "
        "still serving.",
    },
    "reload_checked": {
        "zh": "替换前已检查受修改影响的 {n} 个已存问题。",
        "en": "Before the swap, checked the {n} stored questions the changes can affect.",
    },
    "reload_warnings": {
        "zh": "⚠️ 其中 {n} 个已存问题没有由自己的条目回答(读者现在得到的回答都不变):",
        "en": "⚠️ {n} stored question(s) are not answered by their own entry (no answer "
        "readers get today changes):",
    },
    "check_follows": {
        "zh": "全面自检正在后台进行,结果随后发送。",
        "en": "The full self-check runs in the background; its result follows.",
    },
    "check_clean": {
        "zh": "<b>自检通过</b>:版本 <code>{version}</code> 的 {n} 个已存问题都由各自的条目回答。",
        "en": "<b>Self-check passed</b>: all {n} stored questions of version "
        "<code>{version}</code> are answered by their own entries.",
    },
    "check_collisions": {
        "zh": (
            "<b>自检发现问题</b>:版本 <code>{version}</code> 的 {n} 个已存问题"
            "没有由各自的条目回答(共检查 {checked} 个):"
        ),
        "en": (
            "<b>Self-check found problems</b>: {n} stored question(s) of version "
            "<code>{version}</code> are not answered by their own entry ({checked} checked):"
        ),
    },
    # ---- error reports to admins (bot.telegram.error_reports): names and counts only
    "error_report": {
        "zh": "⚠️ <b>机器人出错</b>:<code>{error}</code>,位置 <code>{where}</code>。",
        "en": "⚠️ <b>Error in the bot</b>: <code>{error}</code> at <code>{where}</code>.",
    },
    "error_report_update": {"zh": "更新 {id}。", "en": " Update {id}."},
    "error_report_repeats": {
        "zh": "上次报告以来({minutes} 分钟)又发生 {n} 次,未逐一报告。",
        "en": " {n} more since the last report ({minutes} minutes ago), not reported one by one.",
    },
    "error_report_footer": {
        "zh": "\n详情(含回溯)见日志。同类错误 {minutes} 分钟内最多报告一次。",
        "en": (
            "\nThe details (with the traceback) are in the log. An error of the same kind is "
            "reported at most once in {minutes} minutes."
        ),
    },
    "none": {"zh": "无", "en": "none"},
    "stats": {
        "zh": (
            "<b>统计</b>\n"
            "自启动({started}):已回答 {s_answered},待选择 {s_ambiguous},"
            "未回答 {s_no_match},寒暄 {s_smalltalk}\n"
            "累计:已回答 {t_answered},待选择 {t_ambiguous},"
            "未回答 {t_no_match},寒暄 {t_smalltalk}\n"
            "知识库:{entries} 条,版本 <code>{version}</code>\n"
            "读者反馈:点选建议 {f_tap},👍 {f_up},👎 {f_down};待审核 {f_queue} 条(/review);"
            "收件箱待回答 {inbox}"
        ),
        "en": (
            "<b>Statistics</b>\n"
            "Since start ({started}): answered {s_answered}, did-you-mean {s_ambiguous}, "
            "unanswered {s_no_match}, small talk {s_smalltalk}\n"
            "In total: answered {t_answered}, did-you-mean {t_ambiguous}, "
            "unanswered {t_no_match}, small talk {t_smalltalk}\n"
            "Knowledge base: {entries} entries, version <code>{version}</code>\n"
            "Readers' feedback: suggestions tapped {f_tap}, 👍 {f_up}, 👎 {f_down}; "
            "waiting for review {f_queue} (/review); inbox not yet answered {inbox}"
        ),
    },
    "unanswered": {
        "zh": "<b>最近 {days} 天最常见的未回答问题</b>",
        "en": "<b>Most frequent unanswered questions, last {days} days</b>",
    },
    "review_queue_size": {
        "zh": "待审核的读者点选和评价:{n} 条(/review)",
        "en": "Readers' taps and votes waiting for review: {n} (/review)",
    },
    # ---- the review reminder (bot.telegram.review_reminder): counts only, no questions
    "review_reminder": {
        "zh": "📝 待审核的读者点选和评价:{n} 条。请用 /review 审核。",
        "en": "📝 Readers' taps and votes waiting for review: {n}. Review them with /review.",
    },
    "review_reminder_new": {
        "zh": (
            "📝 待审核的读者点选和评价:{n} 条,其中 {new} 条是上次提醒后新增的。"
            "请用 /review 审核。"
        ),
        "en": (
            "📝 Readers' taps and votes waiting for review: {n}, {new} of them new since the "
            "last reminder. Review them with /review."
        ),
    },
    "review_reminder_footer": {
        "zh": "\n有新内容才提醒,最多每 {period}一次(CITEBOT_REVIEW_REMINDER_HOURS)。",
        "en": (
            "\nA reminder comes only when something new waits, at most once every {period} "
            "(CITEBOT_REVIEW_REMINDER_HOURS)."
        ),
    },
    "unclear": {
        "zh": "<b>需要选择(“你是想问”)的问题</b>",
        "en": "<b>Questions that got “did you mean”</b>",
    },
    "unanswered_none": {"zh": "(没有)", "en": "(none)"},
    "unanswered_usage": {
        "zh": "用法:/unanswered [数量 1-50] [天数 1-365]",
        "en": "Usage: /unanswered [count 1-50] [days 1-365]",
    },
    "times": {"zh": "{n} 次,最近 {last}", "en": "{n}×, last {last}"},
}

# The /language buttons: each language in itself (never converted).
LANGUAGE_NAMES = {"zh-hans": "简体中文", "zh-hant": "繁體中文", "en": "English"}

# Command menu descriptions (plain text, up to 256 characters).
COMMANDS: dict[str, dict[Lang, str]] = {
    "start": {"zh": "介绍和示例问题", "en": "what this bot is, with example questions"},
    "ask": {"zh": "提问:/ask 问题", "en": "ask a question: /ask question"},
    "topics": {"zh": "按章节浏览文章", "en": "browse the article by section"},
    "source": {"zh": "文章出处", "en": "where the article comes from"},
    "privacy": {"zh": "我会保存什么", "en": "what the bot stores"},
    "language": {"zh": "选择语言", "en": "choose the language"},
    "help": {"zh": "帮助", "en": "how to use the bot"},
    "reload": {"zh": "重新加载知识库(管理员)", "en": "reload the knowledge base (admin)"},
    "stats": {"zh": "问答统计(管理员)", "en": "question statistics (admin)"},
    "unanswered": {"zh": "未回答的问题(管理员)", "en": "unanswered questions (admin)"},
    "review": {
        "zh": "审核读者的点击和评价(管理员)",
        "en": "review readers' taps and votes (admin)",
    },
}


def ui_lang(language_code: str | None) -> Lang:
    """The UI language for a Telegram ``language_code``: Chinese for ``zh*``, else English."""
    return "zh" if (language_code or "").lower().startswith("zh") else "en"


def t(key: str, lang: Lang, **values: Any) -> str:
    """The ``key`` text in ``lang`` as Telegram HTML, with ``values`` escaped and filled in."""
    template = TEXTS[key][lang]
    if not values:
        return template
    return template.format(**{k: html.escape(str(v), quote=False) for k, v in values.items()})


def plain(key: str, lang: Lang, **values: Any) -> str:
    """The ``key`` text in ``lang`` for plain-text places (button labels, callback notices)."""
    return TEXTS[key][lang].format(**values) if values else TEXTS[key][lang]
