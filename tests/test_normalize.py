"""Unit tests of normalisation, language detection and small talk."""

import pytest

from bot.normalize import detect_lang, en_terms, normalize, smalltalk_kind, strip_fillers, zh_terms


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("開山島在文章裡被提到了嗎", "开山岛在文章里被提到了吗"),  # traditional -> simplified
        ("ＡＢＣ１２３４５熱線", "abc12345 热线"),  # full width -> half width, case
        ("有三个宣讲分团", "有3个宣讲分团"),  # Chinese counts -> digits, as the article writes them
        ("受理了205,500件", "受理了205500 件"),  # thousands separators
        ("满意率？！……96.78%", "满意率 96.78"),  # punctuation dropped
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw).replace(" ", "") == expected.replace(" ", "")


def test_fillers_are_dropped_but_question_words_kept() -> None:
    assert strip_fillers(normalize("请问连云港有3个宣讲分团呢?")) == "连云港有 3 个宣讲分团"
    assert "什么" in strip_fillers(normalize("这是什么活动啊"))


def test_ways_of_asking_the_same_thing_become_one() -> None:
    assert normalize("巾帼宣讲会日期") == normalize("巾帼宣讲会何时") == normalize("巾帼宣讲会哪天")
    assert normalize("宣讲分团有几个") == normalize("宣讲分团有多少")
    assert normalize("在哪儿宣誓") == normalize("在哪里宣誓")
    assert "在哪些" in normalize("分布在哪些省份")  # "which ones", not "where"
    assert "何时" in normalize("文章在哪天刊出")  # a day, not a place
    assert normalize("五月十二日晚") == normalize("5月12日晚")  # dates in Chinese numerals
    assert normalize("四十四万学生") == normalize("44万学生")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("连云港有多少个爱国主义教育基地?", "zh"),
        ("開山島", "zh"),
        ("How many bases does Lianyungang have?", "en"),
        ("What does the article say about 开山岛?", "en"),
        ("12345", "en"),
    ],
)
def test_detect_lang(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("早上好", "greeting"),
        ("你好!", "greeting"),
        ("Hi there", "greeting"),
        ("谢谢!", "thanks"),
        ("Thanks a lot", "thanks"),
        ("你好 谢谢", "thanks"),
        ("你叫什么名字?", "greeting"),  # about the bot: the greeting says what it is
        ("Who are you?", "greeting"),
        ("开山岛", None),
        ("hello what is the title", None),
        ("文章的作者叫什么名字", None),
    ],
)
def test_smalltalk(text: str, kind: str | None) -> None:
    assert smalltalk_kind(strip_fillers(normalize(text))) == kind


def test_terms() -> None:
    assert zh_terms("开山岛 12345") == ["开", "山", "岛", "开山", "山岛", "12345"]
    assert en_terms("how many bases does lianyungang have") == en_terms(
        "number of base lianyungang"
    )


def test_to_simplified_converts_as_zhconv_does() -> None:
    import pytest

    zhconv = pytest.importorskip("zhconv")
    from pathlib import Path

    from bot.normalize import to_simplified

    root = Path(__file__).resolve().parent.parent
    lines = [
        line
        for path in sorted((root / "knowledge").rglob("*.yaml"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for variant in ("zh-tw", "zh-hk", "zh-hant"):
        for line in lines[::3]:
            trad = zhconv.convert(line, variant)
            assert to_simplified(trad) == zhconv.convert(trad, "zh-cn"), trad
    assert to_simplified("連雲港有多少個愛國主義教育基地") == "连云港有多少个爱国主义教育基地"


def test_chinese_numerals_of_any_size_become_digits() -> None:
    from bot.normalize import cn_number

    assert normalize("一百五十余名工友") == "150 余名工友"
    assert normalize("两千平方米") == "2000 平方米"
    assert normalize("三万名农民工") == "3 万名农民工"  # 万 stays a word, as the article writes
    assert normalize("一百零五本书") == "105 本书"
    assert [cn_number(t) for t in ("十", "十二", "二十", "二十三", "一千零一")] == [
        10,
        12,
        20,
        23,
        1001,
    ]
    assert cn_number("一二") is None and cn_number("十百") is None
    assert cn_number("两百多") is None  # not a numeral: no error either
    assert normalize("两千人") == "2000 人"
    assert normalize("千里送学") == "千里送学"  # not a count


@pytest.mark.parametrize(
    "words",
    [
        ("organised", "organized", "organising", "organizing"),
        ("organisation", "organization"),
        ("used", "uses", "use"),
        ("studies", "studied", "study"),
        ("centres", "centre", "centers", "center"),
        ("activities", "activity"),
        ("bases", "base", "based"),
    ],
)
def test_english_forms_and_spellings_stem_alike(words: tuple[str, ...]) -> None:
    from bot.normalize import stem

    assert len({stem(w) for w in words}) == 1, {w: stem(w) for w in words}


def test_words_that_only_look_inflected_keep_their_stem() -> None:
    from bot.normalize import stem

    assert stem("series") == "series" and stem("news") == "news"
    assert stem("need") != stem("ne") and stem("needs") == stem("need")
