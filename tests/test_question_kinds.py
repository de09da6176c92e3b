"""What a question asks for, from its wording alone."""

from __future__ import annotations

import pytest

from bot.engine import prepare
from bot.normalize import normalize, strip_fillers
from bot.question_kinds import (
    answer_kinds,
    asked_deed,
    asked_kinds,
    asked_levels,
    asked_role,
    asked_superlatives,
    asked_unit,
    asks_mention,
    bare_numbers,
    enumeration_asked,
    is_bare_topic,
    lists_items,
    mentioned_content,
    split_two,
    states_doer,
    states_unit,
)


def norm(text: str) -> str:
    return strip_fillers(normalize(text))


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("连云港有多少个爱国主义教育基地", {"quantity"}),
        ("How many patriotic education bases are there?", {"quantity"}),
        ("巾帼宣讲会是哪天办的", {"date"}),
        ("When did the classroom open?", {"date"}),
        ("4本必学书目是哪几本", {"list"}),
        ("红色影片叫什么名字", {"name"}),
        ("Which movie was shown?", {"name", "title"}),
        ("工地上放的是哪部电影", {"name", "title"}),
        ("文章分哪几部分", {"list"}),
        ("中央厨房花了多少钱", {"quantity", "money"}),
        ("谢印参是哪里人", {"origin"}),
        ("尹玉林的电话", {"contact"}),
        ("怎么联系善行天下志愿队", {"contact"}),
        ("How can I reach the volunteer team?", {"contact"}),
        ("开山岛在文章里被提到了吗", set()),
        ("宣讲分团在全省是第几家成立的", {"ordinal"}),  # first, second...: not a count
        ("参加剧本演绎的青年党员名单", {"people"}),
        ("董力生是哪个村的", {"origin", "locality"}),
        ("雷锋车事迹陈列馆几点开门", {"clock"}),
        ("抗日山烈士陵园在哪个镇", {"locality"}),
        ("中华药港在哪个区", {"district"}),
        ("中华药港青年之家在哪条路", {"locality"}),
        ("12345热线每天受理多少诉求", {"quantity", "rate"}),
        ("Which villages did Party members visit?", {"locality"}),
        ("那7个青年党员都是谁", {"people"}),
        ("讲解员大赛谁得了第一", {"winner"}),
        ("When does the Lianyungang Revolution Memorial Hall open?", {"clock", "date"}),
        ("12345热线的工作时间", {"clock"}),
        ("刘慧洋多大了", {"quantity", "age"}),
        ("How old is Liu Huiyang?", {"quantity", "age"}),
        ("杨铮在联盟干了几年", {"quantity"}),  # how many years
        ("读书班办在哪几年", {"list"}),  # which years: not a count
        ("六比六赛第一名是谁", {"winner"}),  # normalised to 第 1 名
        ("近几年连云港做了哪些工作", set()),  # "these years": no count asked
        ("这几年连云港有什么变化", set()),
        ("十几年来连云港的红色教育", set()),
        ("排第12位的是谁", set()),  # a rank, not the winner
        ("谁拿了第一次宣讲的机会", set()),
    ],
)
def test_asked_kinds(question: str, kinds: set[str]) -> None:
    assert asked_kinds(norm(question)) == kinds


def test_answer_kinds() -> None:
    assert answer_kinds("连云港市有66个爱国主义教育基地。") >= {"quantity"}
    assert "quantity" not in answer_kinds("谢印参是一名建筑工人。")  # 一名 is "a", not a count
    assert "date" in answer_kinds("5月24日,赣榆区举办了宣讲会。")
    assert "list" in answer_kinds("县区、市级机关、青少年3个宣讲分团")
    assert "money" not in answer_kinds("新建了面积2000平方米的中央厨房")
    assert "date" not in answer_kinds("新建了面积2000平方米的中央厨房")  # no year
    assert "date" not in answer_kinds("The 12345 hotline handled 205,500 requests.")
    assert "date" in answer_kinds("The article was published in 2021.")
    assert "ordinal" in answer_kinds("连云港在全省首家成立了宣讲分团")
    assert "name" in answer_kinds("文章的发布者是shiyun。")  # a user name amid Chinese
    assert "name" not in answer_kinds("The article has been viewed 1,523 times.")
    assert "people" in answer_kinds("宣讲会讲述了董力生、姜霜菊等巾帼典型的事迹")
    assert "people" not in answer_kinds("7名青年党员体验了一场“沉浸式”的“红色剧本演绎”")


def test_units_must_match() -> None:
    assert asked_unit(norm("新医药产业党建联盟有多少名党员"), "zh") == "名"
    assert not states_unit("覆盖30家关联企业", "名", "zh")
    assert states_unit("全市44万名中小学生", "人", "zh")  # 人 and 名 count people alike
    assert states_unit("吸引了150余名工友观看", "工人", "zh", any_people=True)  # people
    assert not states_unit("吸引了150余名工友观看", "工人", "zh")  # unless the noun matters
    assert not states_unit("覆盖30家关联企业", "工人", "zh")
    assert asked_unit(norm("海州区有多少个社区"), "zh") == "社区"
    assert asked_unit(norm("连云港是第几家成立的"), "zh") == ""
    assert asked_unit(norm("县区之间比拼哪几个方面"), "zh") == ""  # which ones, not how many
    assert asked_unit(norm("文章分成几部分"), "zh") != "部"  # parts, not 部 as in 几部电影
    assert asked_unit(norm("How many students took the lesson?"), "en") == "student"
    assert not states_unit("新建了面积2000平方米的居家养老中央厨房配送中心", "社区", "zh")
    unit = asked_unit(norm("How many members does the alliance have?"), "en")
    assert unit == "member"
    assert not states_unit("It covers 30 related companies.", unit, "en")
    # the counted word must come with a number: a team's name is no head count
    assert not states_unit(
        'The "Shanxing Tianxia" volunteer team delivers meals.', "volunteer", "en"
    )
    assert states_unit("It drew more than 150 volunteers.", "volunteer", "en")


def test_look_up_questions() -> None:
    assert asks_mention(normalize("文章里有没有提到开山岛"))
    assert asks_mention(normalize("開山島在文章裡被提到了嗎"))
    assert not asks_mention(normalize("文中提到的工友叫什么名字"))
    assert mentioned_content(norm("文章里有没有提到开山岛")) == ["开山岛"]
    assert bare_numbers(norm("66个是什么")) == {"66"}
    assert bare_numbers(norm("44万指的是什么")) == {"44"}
    assert bare_numbers(norm("2020年连云港有多少个基地")) == frozenset()


@pytest.mark.parametrize(
    ("question", "lang", "count"),
    [
        ("参加剧本演绎的7名青年党员叫什么名字", "zh", 7),
        ("30家关联企业都有哪些", "zh", 30),
        ("两个国家级烈士纪念设施是哪两个", "zh", 2),
        ("连云港成立的三个宣讲分团分别是什么", "zh", 3),  # 三个 -> 3
        ("What are the six contests in Guanyun's competition?", "en", 6),
        ("Which 7 young members took part?", "en", 7),
        ("66个是什么", "zh", 0),  # what a number refers to, not a list
        ("连云港有多少个爱国主义教育基地", "zh", 0),
        ("Which county organised the six contests?", "en", 0),  # "which" asks for the county
    ],
)
def test_enumeration_asked(question: str, lang: str, count: int) -> None:
    assert enumeration_asked(normalize(question), lang) == count


def test_lists_items() -> None:
    assert lists_items("成立县区、市级机关、青少年3个宣讲分团", 3)
    assert not lists_items("7名青年党员体验了一场“红色剧本演绎”。", 7)
    assert not lists_items(
        "对于县处级以上党员领导干部,以读书班的形式,围绕4本必学书目,重抓专题学习", 4
    )


@pytest.mark.parametrize(
    ("question", "lang", "role"),
    [
        ("连云港市委副书记是谁", "zh", "副书记"),
        ("市委书记叫什么名字", "zh", "书记"),
        ("给中小学生上课的老师是哪位", "zh", "老师"),
        ("认领民生实事的是谁", "zh", ""),  # asks who did something, not who holds a post
        ("Who is the deputy secretary of Lianyungang?", "en", "deputy secretary"),
        ("Who is the Party secretary?", "en", "secretary"),
        ("Who is Guanyun County's Party secretary?", "en", "secretary"),
        ("Who wrote the article?", "en", ""),
    ],
)
def test_asked_role(question: str, lang: str, role: str) -> None:
    assert asked_role(strip_fillers(normalize(question)), lang) == role


def test_asked_levels() -> None:
    assert asked_levels(norm("66个爱国主义教育基地中有几个是省级的")) == {"省级"}
    assert asked_levels(norm("How many national martyrs memorial facilities?")) == {"national"}
    assert asked_levels(norm("全市有多少个爱国主义教育基地")) == frozenset()  # the city itself
    assert asked_levels(norm("全省第二家成立宣讲分团的是哪个城市")) == {"全省", "第 2"}


def test_asked_superlatives() -> None:
    assert asked_superlatives(norm("哪个爱国主义教育基地最大"), "zh") == {"最大"}
    assert asked_superlatives(norm("4条精品教学线路哪条最受欢迎"), "zh") == {"最受欢迎"}
    assert asked_superlatives(norm("Which teaching route is the longest?"), "en") == {"longest"}
    assert asked_superlatives(norm("文章最后一部分标题"), "zh") == frozenset()  # order, not size
    assert asked_superlatives(norm("What is the latest contest?"), "en") == frozenset()


def test_who_did_it_needs_an_answer_naming_the_doer() -> None:
    verbs = asked_deed(norm("雕塑公园是谁设计的"))
    assert verbs is not None
    assert not states_doer("连云港有邓小平和人民在一起雕塑公园。", verbs)
    assert states_doer("雕塑公园由某设计院设计。", verbs)
    hosted = asked_deed(norm("Who hosted the opening ceremony?"))
    assert hosted is not None
    assert not states_doer("The opening ceremony was held on April 9.", hosted)  # passive
    assert states_doer("The city held the opening ceremony on April 9.", hosted)
    assert asked_deed(norm("项雪龙是谁")) is None  # who someone is, not who did something


@pytest.mark.parametrize(
    ("question", "bare"),
    [
        ("党史学习教育", True),
        ("开山岛", True),
        ("red culture", True),
        ("volunteers", True),
        ("开山岛是什么", False),  # a question word
        ("介绍一下开山岛", False),  # a request
        ("开山岛?", False),
        ("项雪龙 职务", False),  # asks for an attribute
        ("12345热线满意率", False),
        ("宣讲活动场数", False),
        ("title of the article", False),
        ("What is red culture", False),
        ("连云港开展党史学习教育的同时还建设了哪些红色地标", False),  # long, and asks
    ],
)
def test_bare_topics_ask_nothing_in_particular(question: str, bare: bool) -> None:
    query = prepare(question)
    assert is_bare_topic(query.text, query.norm, query.lang) is bare


@pytest.mark.parametrize(
    ("question", "lang", "parts"),
    [
        ("有多少个宣讲分团，一共讲了多少场？", "zh", ("有多少个宣讲分团", "一共讲了多少场")),
        (
            "灌云县的竞赛叫啥？全市的实践活动又叫啥？",
            "zh",
            ("灌云县的竞赛叫啥", "全市的实践活动又叫啥"),
        ),
        (
            "Who wrote it, and where was it published?",
            "en",
            ("Who wrote it", "where was it published"),
        ),
        ("港城爱国教育基地和革命遗址各有多少", "zh", None),  # one question about two things
        ("在连云港，志愿者有多少", "zh", None),  # the first part asks nothing
        ("When and where did the ceremony take place?", "en", None),  # "When" names nothing
    ],
)
def test_a_message_asking_two_things_is_split_where_both_sides_ask(question, lang, parts) -> None:
    assert split_two(question, lang) == parts


@pytest.mark.parametrize(
    "question", ["精品教学线路的具体路线", "开山岛精神的具体内涵是什么", "50件民生实事具体是哪些"]
)
def test_asking_for_specifics_asks_for_a_list(question: str) -> None:
    # "具体…" wants the details themselves, which an answer that only names or counts
    # them does not give (the article rarely lists them: these are near-misses)
    assert "list" in asked_kinds(strip_fillers(normalize(question)))


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("实境课堂怎么报名", True),
        ("表情包在哪里可以下载", True),
        ("Where can I listen to the radio drama?", True),
        ("How do I sign up for the red tour?", True),
        ("常年在外地的党员怎么参加学习", False),  # how they take part: the article says
        ("实境课堂在哪里", False),
    ],
)
def test_asking_how_to_get_at_something(question: str, asks: bool) -> None:
    norm = strip_fillers(normalize(question))
    assert ("access" in asked_kinds(norm)) is asks
    if asks:
        assert "access" not in answer_kinds("实境课堂以“传承红色基因”为主题。")
        assert "access" in answer_kinds("可在“学习强国”平台免费下载。")
