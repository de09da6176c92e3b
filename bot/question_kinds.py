"""What a question asks for, read from its wording alone (pure, no knowledge base).

The matcher's guards (``bot.matcher.guards``) use these against confident wrong answers: a
question asking "how many" is poorly served by an answer without a number, "when" by one
without a date, "多少名党员" by one that counts companies; and the matcher uses them to
recognise questions that only look something up
("does the article mention X?", "66个是什么?").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.lexicons import en_lexicon, word_list
from bot.model import Lang
from bot.normalize import EN_STOP, MEASURE_WORDS, is_number, normalize, stem

# Words that ask rather than say: never "unknown content", whatever the knowledge base holds
# (bot/data/zh_question_words.txt, bot/data/en_question_words.txt).
ZH_QUESTION_WORDS = sorted(word_list("zh_question_words.txt"), key=len, reverse=True)
EN_QUESTION_WORDS = frozenset(word_list("en_question_words.txt"))


_ZH_QW_RE = re.compile(r"(.)[不没]\1|" + "|".join(map(re.escape, ZH_QUESTION_WORDS)))


_EN_COUNT = (
    r"\b(two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty|fifty|"
    r"hundreds?|thousands?|millions?|dozens?)\b"
)


_MONTHS = (
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december)\b"
)


# Kinds of fact: kind -> (what a question asking for it looks like (normalised text), what
# an answer stating it looks like (raw answer text)). A question asking "how many" is poorly
# served by an answer without a number, "when" by one without a date, "which ones" by one
# that lists nothing: the matcher's guards (bot.matcher.guards) cost such answers score.
ANSWER_KINDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "quantity": (
        re.compile(
            r"多少|(?<![哪第])几[个名家条项本处场次件位支所部批届期顿天万千百十岁]|(?<![哪第这那近前十两数好])几年(?![级来前里间])|几万|"
            r"数量|数目|人数|多大|多久|多长|"
            r"多高|多远|几岁|年龄|年纪|\bhow (many|much|old|long|big|large)\b|\bnumber of\b|"
            r"\bpercent|\brate\b"
        ),
        re.compile(rf"\d|[二两三四五六七八九十百千万]+[{MEASURE_WORDS}]|{_EN_COUNT}", re.I),
    ),
    "ordinal": (
        re.compile(r"第几|排名|名列|\bwhich place\b|\branks?\b|\branked\b"),
        re.compile(r"首|第[一二三四五六七八九十\d]|率先|前列|\bfirst\b|\branks?\b", re.I),
    ),
    "clock": (
        re.compile(
            r"几点|开放时间|营业时间|工作时间|办公时间|开门|关门|"
            r"\bwhat time\b|\bopening (?:hours|times)\b|\bwhen (?:does|do|is|are) .{0,60}\bopen\b"
        ),
        re.compile(r"\d+\s*[点时:：]\d|\d+\s*点|\b\d+\s*[ap]\.?m\b|o'clock", re.I),
    ),
    "date": (
        re.compile(
            r"日期|哪天|哪一天|几月|几号|几日|什么时候|啥时候|何时|哪年|哪一年|什么时间|"
            r"\bwhen\b|\bwhat (date|day|year|time)\b|\bwhich (date|day|year)\b"
        ),
        # a year stands alone as 19xx/20xx: not the 2000 of 2000平方米 or the 1234 of 12345
        re.compile(rf"\d+\s*[年月日号]|(?<!\d)(?:19|20)\d\d(?![\d平万])|{_MONTHS}", re.I),
    ),
    "name": (
        re.compile(
            r"叫什么|什么名字|名字是|名称|片名|书名|剧名|歌名|哪部(?!分)|"
            r"\bwhat is it called\b|\bnamed?\b|\btitle\b|"
            r"\b(?:which|what) (?:movie|film|book|song|play|drama|documentary)s?\b"
        ),
        # a title, a list of names, or a user name amid Chinese (文章的发布者是shiyun)
        re.compile(r"[“《「\"]|[\u4e00-\u9fff]{2,3}[、和与]|(?<=[\u4e00-\u9fff])[A-Za-z]{3,}"),
    ),
    "title": (  # which film was shown: wants the film's title ("什么电影" may be "red films")
        re.compile(
            r"哪一?部(?!分)|哪几部(?!分)|片名|书名|剧名|歌名|"
            r"\b(?:which|what) (?:movie|film|book|song|play|drama|documentary)s?\b|"
            r"\btitles? of (?:the |its )?(?:\w+ )?(?:movie|film|book|song|play|drama|documentar)"
        ),
        re.compile(r"《"),  # the article marks titles so (see Matcher._build)
    ),
    "people": (
        re.compile(
            r"名单|姓名|都(?:是|有)?谁|分别是?谁|\bnames of\b|\bwhat are the(?:ir)? names\b"
        ),
        re.compile(r"[\u4e00-\u9fff]{2,3}[、和与][\u4e00-\u9fff]{2,3}|[A-Z]\w+ [A-Z]\w+ and [A-Z]"),
    ),
    "locality": (
        re.compile(
            r"哪个[镇乡村]|哪条[街路]|什么[镇乡村]|具体位置|具体地址|门牌|"
            r"\bwhich (?:town|township|village|street)s?\b|\bexact (?:location|address)\b|"
            r"\bwhere exactly\b|\bwhere in [a-z]+\b"
        ),
        re.compile(
            r"[\u4e00-\u9fff][镇乡](?![村])|[\u4e00-\u9fff]{2}村|街道|路\d|\b(?:towns?|villages?|streets?)\b"
        ),
    ),
    "rate": (  # "每天受理多少", "how often": wants a rate, not a total
        re.compile(
            r"(?:每[天日月年周次]|一天)[^，。]{0,8}(?:多少|几)|平均|\bhow often\b|\bon average\b|"
            r"\bhow many\b.* \b(?:per|each|a) (?:day|year|month|week)\b"
        ),
        re.compile(
            r"每|平均|\bper\b|\bdaily\b|\beach\b|\bevery\b|\bweekly\b|\bmonthly\b|\baverage", re.I
        ),
    ),
    "district": (
        re.compile(r"哪一?个[区县]|什么[区县]|\bwhich (?:district|county)\b"),
        re.compile(r"[\u4e00-\u9fff][区县](?![委级])|\bdistrict|\bcounty|\bzone\b", re.I),
    ),
    "age": (
        re.compile(r"多大了|几岁|多少岁|年龄|年纪|\bhow old\b|\bages?\b|\baged\b"),
        re.compile(
            r"\d+\s*岁|年龄|年纪|年轻|青年|老年|青少年|中小学生|\d{4}|"
            r"\d+\s*years? old|\byoung|\belderly|\bold\b|\bages?\b|\baged\b",
            re.I,
        ),
    ),
    "money": (
        re.compile(
            r"多少钱|花了|花费|费用|投资|预算|造价|票价|门票|\bcost|\bspend|\bspent|\bbudget|\bprice"
        ),
        re.compile(r"元|yuan|rmb", re.I),
    ),
    "origin": (
        re.compile(
            r"哪里人|哪儿人|哪个省|籍贯|老家|出生|是哪个[村镇乡]的|\bborn\b|\bhometown\b|"
            r"\bwhere (?:is|was|does|did) (?:he|she)\b.* (?:from|come)\b"
        ),
        re.compile(r"出生|籍贯|\bborn\b"),
    ),
    "winner": (
        re.compile(
            r"谁赢|赢了|冠军|获奖|得奖|第 ?[一1] ?名|名次|夺冠|获胜|"
            r"[得拿获排]了?第 ?(?:一|1)(?! ?[\d批届次期个位])|"  # 排第一, not 排第12位, 第一批
            r"\bwon\b|\bwinners?\b|\bprize|\bwho (?:came|finished) first\b"
        ),
        re.compile(r"冠军|获奖|一等奖|第 ?[一1] ?名|\bwon\b|\bwinner"),
    ),
    "contact": (
        re.compile(
            r"电话|手机|号码|地址|网址|网站|邮箱|联系方式|联系电话|联络|怎么(?:才能|能)?联系(?:上|到)?(?!实际|现实|工作|群众|起来|在一起|生活)|\bcontact|"
            r"\bphone|\bthe address\b|\baddress of\b|\bwebsite|\bemail|"
            r"\bhow (?:can|do|to) .{0,30}\breach\b"
        ),
        re.compile(r"\d{3,}-|路\d+号|@|www\.|https?://"),
    ),
    "area": (
        re.compile(r"面积|占地|多大的地方|\bhow (?:big|large) is\b|\barea\b|\bsquare"),
        re.compile(r"面积|平方米|亩|\bsquare|\barea\b", re.I),
    ),
    "episodes": (
        re.compile(r"几集|多少集|集数|\bepisodes?\b"),
        re.compile(r"\d+\s*集|\bepisodes?\b", re.I),
    ),
    "list": (
        re.compile(
            r"哪几|分别是|具体|都有哪|都是哪|有哪些|包括哪|包含哪|"
            r"\bwhich (two|three|four|five|six)\b|\bwhat are the\b|\blist\b"
        ),
        re.compile(r"、|[,，;；].*[,，;；]|,.*\band\b|“[^”]+”[^“]*“"),
    ),
    # how a reader can take part or get at something: sign up, download, listen, tickets
    "access": (
        re.compile(
            r"报名|下载|收听|收看|购票|买票|门票|在哪(?:里|儿)?(?:能|可以)?(?:看|听|买)|"
            r"\bsign(?:ing)? up\b|\bregist|\bdownload|\btickets?\b|"
            r"\bwhere can (?:i|we|you|one) (?:watch|listen|hear|buy|see|get)\b|"
            r"\bhow (?:do|can) (?:i|we|you|one) (?:apply|sign)\b"
        ),
        re.compile(
            r"报名|下载|网址|网站|链接|二维码|http|收听|收看|播出|频道|门票|票价|免费|"
            r"\bsign(?:ing)? up\b|\bregist|\bdownload|\bwebsite\b|\blink\b|\btickets?\b|"
            r"\bchannel\b|\bbroadcast|\bfree\b",
            re.I,
        ),
    ),
}


_PERSON_ENDINGS = "员人友生者众工"  # 党员, 工人, 工友, 学生, 志愿者, 群众, 农民工
_PEOPLE_COUNT = r"[\d一二两三四五六七八九十百千万][余多]?[名位]"
_UNITS = {"名": "名人位", "人": "名人位", "位": "名人位"}


COUNT_CUE = r"(?<![第哪])(?:多少|几)"  # "how many" (not 第几, 哪几)
_ASKED_NOUN_RE = re.compile(COUNT_CUE + r"([\u4e00-\u9fff]{2})")


_ASKED_UNIT_RE = re.compile(
    COUNT_CUE + r"([名人位家条项本处场件份所支座篇批届顿字]|部(?!分))"  # 几部分: parts
)


FUNCTION_CHARS = "的了是有在和与及被把都也就还这那个么之对给中上下里"  # particles, pronouns...
_FUNCTION_CHARS = str.maketrans(dict.fromkeys(FUNCTION_CHARS, " "))


_ASKS_MENTION_RE = re.compile(  # a yes/no "does the article mention X?" question
    r"(有没有|是否|有无)(提到|提及|说到|讲到|谈到|写到|提|说|讲|写)|"
    r"(提到|提及|说到|讲到|谈到|写到|出现)了?\s*(吗|没|没有)"
)


_MENTION_RE = re.compile(r"提到|提及|说到|讲到|谈到|写到|出现|文章里|文中|里面|有没有|吗")


_EN_HOW_MANY_RE = re.compile(r"\bhow many ([a-z]+(?: [a-z]+){0,2})")


def asked_unit(norm: str, lang: Lang) -> str:
    """What a "how many" question counts: a Chinese measure word (名, 家…) or the English
    words after "how many" (up to the verb)."""
    if lang == "zh":
        m = _ASKED_UNIT_RE.search(norm) or _ASKED_NOUN_RE.search(norm)
        return m.group(1) if m else ""
    m = _EN_HOW_MANY_RE.search(norm)
    if not m:
        return ""
    words = []
    for word in m.group(1).split():
        if word in EN_STOP or en_lexicon().get(word) == "V":  # "how many students took"
            break
        words.append(stem(word))
    return " ".join(words)


_ZH_ROLES = (
    "老师|教师|书记|[省市县区镇乡村校院局部处科厂馆队组社]长|主任|主席|领导|教授|专家|记者|导演|"
    "编剧|演员|主持人|负责人|创始人|发起人|讲解员|教练|医生|歌手|董事长|经理|委员"
)
_ZH_ROLE_RE = re.compile(rf"((?:副|常务副)?(?:{_ZH_ROLES}))是?(?:谁|叫什么|姓什么)")
_EN_ROLE_RE = re.compile(  # "who is the deputy secretary", "who is Guanyun County's mayor"
    r"\bwho (?:is|was|are|were) (?:the |its |their )?(?:[a-z]+ ){0,3}?(?:city |party |municipal )*"
    r"((?:deputy |vice )?(?:secretary|mayor|teacher|director|head|chairman|chairwoman|chair|"
    r"president|principal|leader|founder|host|coach|doctor|governor|chief|manager))\b"
)


def asked_role(norm: str, lang: Lang) -> str:
    """The post a "who is the <role>" question asks about (副书记, deputy secretary), or ""."""
    m = (_ZH_ROLE_RE if lang == "zh" else _EN_ROLE_RE).search(norm)
    return m.group(1) if m else ""


_LEVEL_RE = re.compile(
    r"国家级|省级|市级|县级|区级|镇级|村级|全国|全省|\bnational\b|\bprovincial\b|\bcounty-level\b|"
    # 全省第二家: a rank (not 第三部分, the third section)
    r"第 ?[二三四五六七八九十2-9](?= ?[家名位])|"
    r"\b(?:second|third|fourth|fifth)\b(?! (?:section|part))"
)


def asked_levels(norm: str) -> frozenset[str]:
    """Administrative levels or ranks a question qualifies its subject with (省级, national,
    第二家)."""
    return frozenset(_LEVEL_RE.findall(norm))


_ZH_SUPERLATIVE_RE = re.compile(r"最(?:受欢迎|[\u4e00-\u9fff])")
_EN_SUPERLATIVE_RE = re.compile(
    r"\b(?:largest|biggest|longest|shortest|oldest|youngest|newest|highest|lowest|best|worst|"
    r"least|greatest|smallest|farthest|furthest|fastest|busiest)\b"
)
# Superlatives that only order things in time or in the text (最后一部分, 最早发在哪)
_NOT_SUPERLATIVES = frozenset("最后 最终 最近 最新 最早 最先 最初".split())


def asked_superlatives(norm: str, lang: Lang) -> frozenset[str]:
    """Superlatives a question asks about (最大, 最受欢迎, the longest): the answer must
    say the same to answer it."""
    found = (_ZH_SUPERLATIVE_RE if lang == "zh" else _EN_SUPERLATIVE_RE).findall(norm)
    return frozenset(found) - _NOT_SUPERLATIVES


# "Who did X?": the deed asked about (question verbs) and the verbs an answer naming the doer
# of that deed uses. An answer that only says the thing happened ("the ceremony was held")
# does not say who did it.
_DEEDS = [
    (
        r"开展|搞",
        r"开展|设计|组织|举办|成立|组建|推出|创作|制定|打造|"
        r"\bdesign|\borganis|\bheld|\bset up|\blaunch",
    ),
    (
        r"写|作者|撰写|执笔|\bwrote\b|\bwritten\b|\bauthor",
        r"写|作者|撰写|\bwrote|\bwritten|\bauthor",
    ),
    (
        r"讲(?!座|台)|授课|上课|讲话|发言|致辞|\btaught\b|\bteach|\bspoke\b|\bspeak|\blectured\b|"
        r"\bgave\b.{0,25}\b(?:talk|lecture|speech|class)",
        r"讲话|授课|主讲|致辞|发言|宣讲(?!会|活动|分团)|\btaught\b|\bspoke\b|\bspeaker",
    ),
    (r"设计|\bdesign", r"设计|\bdesign"),
    (
        r"提出|首创|发明|\bproposed?\b|\bcame up with\b|\bcoined\b|\binvent",
        r"提出|首创|\bproposed|\bcoined",
    ),
    (
        r"主办|承办|举办|牵头|\borgani[sz]es?\b|\bhosts?\b|\bhosted\b|\bruns?\b",
        r"主办|承办|举办|牵头|组织|\borgani[sz]|\bhost|\bheld\b|\bran\b|\bruns\b",
    ),
    (r"主持|\bpresided|\bchaired", r"主持|\bhosted|\bpresided|\bchaired"),
    (r"建(?:的|造|成)|修建|\bbuilt\b|\bconstructed\b", r"建|\bbuilt\b|\bbuild"),
    (r"导演|拍(?:的|摄)|\bdirected\b|\bfilmed\b", r"导演|拍|\bdirect"),
    (
        r"成立|组建|创建|\bset up\b|\bfounded\b|\bformed\b|\bestablished\b|\bcreated\b",
        r"成立|组建|创建|组织|\bset up|\bfound|\bform|\bestablish|\bcreat|\borganis",
    ),
    (r"谁开|开车|驾驶|\bdrove\b|\bdrives?\b", r"驾驶|司机|\bdrove|\bdriver"),
    (
        r"负责|领导|带领|\bleads?\b|\bheads?\b|\bin charge\b",
        r"负责人|[长]|主任|书记|\bhead|\bdirector|\bleader|\bchief|\bsecretary|\bchair",
    ),
]
_DEED_RES = [(re.compile(q), re.compile(a, re.I)) for q, a in _DEEDS]
_WHO_RE = re.compile(
    r"谁|由哪[个家](?:部门|单位|机构)|哪[个家](?:部门|单位|机构)(?:主办|承办|举办|牵头|负责)|"
    r"\bwho\b|\bwhich (?:department|agency|organi[sz]ation|body|company)\b"
)
_PASSIVE_BEFORE_RE = re.compile(r"\b(?:was|were|is|are|been|be)\s+$")


def asked_deed(norm: str) -> re.Pattern[str] | None:
    """For "who did X?", the verbs an answer naming the doer of X would use (else None)."""
    if not _WHO_RE.search(norm):
        return None
    return next((a for q, a in _DEED_RES if q.search(norm)), None)


def states_doer(answer: str, verbs: re.Pattern[str]) -> bool:
    """Does the answer use one of ``verbs`` actively (not "the ceremony was held")?"""
    return any(not _PASSIVE_BEFORE_RE.search(answer[: m.start()]) for m in verbs.finditer(answer))


def states_unit(
    answer: str,
    unit: str,
    lang: Lang,
    *,
    any_people: bool = False,
    normalized: Callable[[str], str] = normalize,
) -> bool:
    """Does an answer count in ``unit`` (an equivalent measure word, the counted noun, or
    any of the English words)? With ``any_people``, a count of people in 名/位 answers a
    head count of any people (多少工人: 150余名工友). ``normalized`` normalises an English
    answer as the question was (with the knowledge base's synonyms)."""
    if lang == "zh" and len(unit) == 1:
        return bool(re.search(rf"[\d百千万余多][{_UNITS.get(unit, unit)}]", answer))
    if lang == "zh":  # 多少社区: a number followed closely by the noun
        if re.search(rf"[\d一二两三四五六七八九十百千万][^。;；]{{0,16}}{re.escape(unit)}", answer):
            return True
        return any_people and unit[-1] in _PERSON_ENDINGS and bool(re.search(_PEOPLE_COUNT, answer))
    words = normalized(answer).split()
    wanted = set(unit.split())
    return any(  # a number shortly before the counted word: "more than 150 workers"
        stem(w) in wanted and any(_is_count(x) for x in words[max(i - 6, 0) : i])
        for i, w in enumerate(words)
    )


def _is_count(word: str) -> bool:
    return is_number(word) or word in _EN_NUMBERS or word in ("hundred", "thousand", "all")


_REVERSE_WORDS_RE = re.compile(
    rf"指的是|指的|代表|表示|数据|数字|意思|[{MEASURE_WORDS}万%近约逾余多是]"
)


def bare_numbers(norm: str) -> frozenset[str]:
    """The numbers of a question that asks only what they are ("66个是什么", "44万指的是
    什么"), else an empty set."""
    numbers = frozenset(t for t in norm.split() if is_number(t))
    if not numbers:
        return numbers
    rest = _REVERSE_WORDS_RE.sub(" ", strip_question_words(norm)).translate(_FUNCTION_CHARS)
    left = [t for t in rest.split() if not is_number(t)]
    return frozenset() if left else numbers


_EN_NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_LIST_ASK_ZH = r"哪些|哪几|分别|名字|名称|叫什么|都有哪|包括哪|包含哪|有哪"
_COUNTED_ZH_RE = re.compile(
    rf"(\d+)\s*[{MEASURE_WORDS}].*(?:{_LIST_ASK_ZH})|(?:{_LIST_ASK_ZH}|哪)\s*(\d+)\s*[{MEASURE_WORDS}]"
)
_COUNTED_EN_RE = re.compile(
    rf"\b(?:which|what (?:are|were)|name|names|list|who (?:are|were))(?: all)?(?: the| its| their)?"
    rf" (\d+|{'|'.join(_EN_NUMBERS)}) [a-z]"
)
_ITEM_SEPARATORS_RE = re.compile(r"[、;；]|[和与及]")  # commas join clauses, not items


def enumeration_asked(norm: str, lang: Lang) -> int:
    """How many things a question asks to have listed or named ("7名青年党员叫什么名字",
    "30家关联企业都有哪些", "what are the six contests"): 0 when it asks for no list."""
    if lang == "zh":
        m = _COUNTED_ZH_RE.search(norm)
        n = (m.group(1) or m.group(2)) if m else ""
    else:
        m = _COUNTED_EN_RE.search(norm)
        n = m.group(1) if m else ""
    count = int(n) if n.isdigit() else _EN_NUMBERS.get(n, 0)
    return count if count >= 2 else 0


def lists_items(answer: str, count: int) -> bool:
    """Could ``answer`` (the Chinese answer, which punctuates lists with 、) list ``count``
    things: enough separators between items?"""
    return len(_ITEM_SEPARATORS_RE.findall(answer)) + 1 >= count


def asked_kinds(norm: str) -> frozenset[str]:
    """The kinds of fact a normalised question asks for."""
    return frozenset(k for k, (asks, _) in ANSWER_KINDS.items() if asks.search(norm))


def answer_kinds(answer: str) -> frozenset[str]:
    """The kinds of fact an answer states."""
    return frozenset(k for k, (_, says) in ANSWER_KINDS.items() if says.search(answer))


def strip_question_words(norm: str) -> str:
    """Replace question words and particles with spaces (content words stay)."""
    return " ".join(_ZH_QW_RE.sub(" ", norm).split())


def asks_mention(text: str) -> bool:
    """Is this a yes/no "does the article mention X?" question (normalised, fillers kept)?"""
    return bool(_ASKS_MENTION_RE.search(text))


def mentioned_content(norm: str) -> list[str]:
    """The X of "does the article mention X?": its content words of 2+ characters."""
    rest = _MENTION_RE.sub(" ", strip_question_words(norm)).translate(_FUNCTION_CHARS)
    return [w for w in rest.split() if len(w) > 1]


# A bare topic ("党史学习教育", "red tourism") asks nothing in particular: no question word,
# no kind of fact, no request, no question mark; a few words at most.
_ASKING_MARKS_RE = re.compile(r"[?？吗呢吧嘛么]|请|介绍|讲讲|说说|谈谈|告诉|聊聊|解释|怎")
_EN_ASKING_RE = re.compile(
    r"^\s*(?:what|who|whom|whose|when|where|which|why|how|is|are|was|were|do|does|did|can|"
    r"could|will|would|should|has|have|had|tell|list|name|give|show|explain|describe)\b|\?",
    re.I,
)
BARE_TOPIC_MAX_HAN = 8
BARE_TOPIC_MAX_EN_WORDS = 3
_ATTRIBUTES = word_list("question_attributes.txt")
_ZH_ATTRIBUTE_RE = re.compile(
    "|".join(
        [re.escape(w) for w in _ATTRIBUTES if not w.isascii() and len(w) > 1]
        + [re.escape(w) + "$" for w in _ATTRIBUTES if not w.isascii() and len(w) == 1]
    )
)
_EN_ATTRIBUTES = frozenset(stem(w) for w in _ATTRIBUTES if w.isascii())


def is_bare_topic(text: str, norm: str, lang: Lang) -> bool:
    """Is this question only a topic, asking nothing in particular? ``text`` as typed,
    ``norm`` normalised with fillers stripped."""
    if not norm or asked_kinds(norm):
        return False
    if lang == "en":
        words = norm.split()
        return (
            not _EN_ASKING_RE.search(text)
            and len(words) <= BARE_TOPIC_MAX_EN_WORDS
            and not _EN_ATTRIBUTES.intersection(stem(w) for w in words)
        )
    if _ASKING_MARKS_RE.search(text) or _ZH_QW_RE.search(norm) or _ZH_ATTRIBUTE_RE.search(norm):
        return False
    return sum(1 for ch in norm if "\u4e00" <= ch <= "\u9fff") <= BARE_TOPIC_MAX_HAN


# Two questions in one message ("有多少个宣讲分团，一共讲了多少场?", "Who wrote it, and where
# was it published?"): split where both sides ask something.
_ZH_SPLIT_RE = re.compile(r"[，,；;？?、]|以及|还有|另外|并且|同时")
_EN_SPLIT_RE = re.compile(r",? and |[;?]\s*|,\s*", re.I)
_EN_ASKS_RE = re.compile(
    r"^\s*(?:what|who|whom|whose|when|where|which|why|how|is|are|was|were|do|does|did|can)\b",
    re.I,
)
MIN_PART_CHARS = 4  # a Chinese part shorter than this has nothing to look up...
MIN_PART_WORDS = 2  # ...nor an English part of fewer words ("When")


def asks_something(part: str, lang: Lang) -> bool:
    """Does this piece of a question (as typed) ask something by itself?"""
    if lang == "en":
        return bool(_EN_ASKS_RE.search(part))
    norm = normalize(part)
    return bool(_ASKING_MARKS_RE.search(part) or _ZH_QW_RE.search(norm) or asked_kinds(norm))


def split_two(text: str, lang: Lang) -> tuple[str, str] | None:
    """The two questions of a message asking two things, split at the first separator
    where both sides ask something; None for a message asking one thing."""
    splitter = _EN_SPLIT_RE if lang == "en" else _ZH_SPLIT_RE
    body = text.strip().rstrip("?？!！。. ")
    for m in splitter.finditer(body):
        first, second = body[: m.start()].strip(), body[m.end() :].strip()
        if lang == "en" and min(len(first.split()), len(second.split())) < MIN_PART_WORDS:
            continue
        if min(len(first), len(second)) < MIN_PART_CHARS:
            continue
        if asks_something(first, lang) and asks_something(second, lang):
            return first, second
    return None
