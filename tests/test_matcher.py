"""Behaviour of the matcher on the shipped knowledge base (pure, no Telegram)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.engine import Engine, prepare
from bot.matcher import GUARDS, MatchConfig, Matcher, Weights
from bot.matcher.segment import head_noun
from bot.matcher.unknown import en_class
from bot.normalize import normalize, strip_fillers, to_simplified
from bot.question_kinds import asked_kinds

zhconv = pytest.importorskip("zhconv")


@pytest.fixture(scope="module")
def matcher(engine) -> Matcher:
    assert isinstance(engine.ranker, Matcher)
    return engine.ranker


def _traditional(text: str) -> str:
    return zhconv.convert(text, "zh-tw")


def test_every_entry_answers_its_own_first_questions(engine, kb) -> None:
    for entry in kb.entries:
        for lang in ("zh", "en"):
            result = engine.ask(entry.questions[lang][0])
            assert result.status == "answered", (entry.id, lang, result)
            assert result.entry is not None and result.entry.id == entry.id
            assert result.lang == lang


def test_traditional_characters_match_like_simplified(engine, kb) -> None:
    for entry in kb.entries[::5]:
        question = entry.questions["zh"][1]
        trad = _traditional(question)
        assert to_simplified(trad) != trad or trad == question
        assert engine.ask(trad).entry == engine.ask(question).entry


def test_fillers_and_punctuation_do_not_change_the_answer(engine, kb) -> None:
    for entry in kb.entries[::4]:
        q = entry.questions["zh"][0].rstrip("?？")
        assert engine.ask(f"请问{q}呢？？").entry == engine.ask(q).entry


@pytest.mark.parametrize(
    "question",
    [
        "连云港的人口有多少?",  # a fact the article does not give
        "去年12345热线受理了多少诉求?",  # another year than the article's
        "南京有多少个爱国主义教育基地?",  # another city
        "项雪龙的生日是哪天",  # a person's birthday
        "抗日山烈士陵园在哪个乡镇",  # detail not in the article
        "连云港有几个机场",
        "What is the GDP of Lianyungang?",
        "阿里巴巴的创始人是谁",
        "连云港市委副书记是谁",  # the article names the 市委书记, not a deputy
        "Who is the deputy secretary of Lianyungang?",
        "66个爱国主义教育基地中有几个是省级的",  # the article gives no provincial count
        "Which movie was shown to the construction workers?",  # "red films", no title
        "44万中小学生里小学生有多少",  # the answer's only number is the one asked about
        "哪个爱国主义教育基地最大",  # the article ranks none of them
    ],
)
def test_near_miss_and_off_topic_questions_are_not_answered(engine, question: str) -> None:
    result = engine.ask(question)
    assert result.status != "answered", (question, result.entry and result.entry.id)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("你好", "greeting"), ("早上好!", "greeting"), ("谢谢", "thanks"), ("thanks!", "thanks")],
)
def test_smalltalk_is_recognised_and_asserts_nothing(engine, text: str, kind: str) -> None:
    result = engine.ask(text)
    assert (result.status, result.smalltalk, result.entry) == ("no_match", kind, None)


@pytest.mark.parametrize("text", ["", "   ", "？？？", "🙂🙂", "\u200b"])
def test_empty_or_symbol_only_input_is_no_match(engine, text: str) -> None:
    assert engine.ask(text).status == "no_match"


def test_a_question_for_a_title_gets_the_titled_work(engine) -> None:
    result = engine.ask("What documentary did Lianyungang produce?")
    assert result.status == "answered" and "Red Memories" in result.entry.answer["en"]


def test_english_questions_get_english_answers(engine) -> None:
    result = engine.ask("How many patriotic education bases does Lianyungang have?")
    assert result.status == "answered" and result.lang == "en"
    assert "66" in result.entry.answer["en"]


def test_thresholds_are_configurable(kb) -> None:
    never = {"answer_threshold": 101, "confident_score": 101, "clear_lead_threshold": 101}
    strict = Engine.over(kb, MatchConfig(**never))
    question = kb.entries[0].questions["zh"][0]
    assert strict.ask(question).status == "ambiguous"
    silent = Engine.over(kb, MatchConfig(**never, suggest_threshold=101))
    assert silent.ask(question).status == "no_match"


def test_rivals_quoting_the_same_sentence_do_not_block_a_clear_lead(engine, kb) -> None:
    question = "志愿者为社区老人做什么"
    result = engine.ask(question)
    assert result.status == "answered" and result.entry is not None
    # The runner-up is close, but it quotes the very sentence the answer quotes.
    runner_up = Engine.over(kb, MatchConfig(answer_threshold=101, clear_lead_threshold=101))
    ids = [s.entry_id for s in runner_up.ask(question).suggestions]
    assert len(ids) >= 2 and ids[0] == result.entry.id
    cited = {e.id: e.citation for e in kb.entries}
    assert cited[ids[1]] == result.entry.citation
    assert result.score - runner_up.ask(question).suggestions[1].score < 8


def test_every_guard_has_a_factor_and_a_factor_is_what_it_costs(engine, kb) -> None:
    weights = Weights()
    assert [g.name for g in GUARDS] == list(weights.guards)  # one row, one factor
    question = "66个爱国主义教育基地中有几个是省级的"  # asks a level the answer does not state
    base = engine.ask(question)
    free = {**weights.guards, "named": 1.0}
    lenient = Engine.over(kb, MatchConfig(weights=Weights(guards=free))).ask(question)
    assert lenient.score > base.score


def test_the_fuzzy_scorer_is_a_parameter(kb) -> None:
    calls: list[tuple[str, str]] = []

    def scorer(a: str, b: str) -> float:
        calls.append((a, b))
        return 0.0

    engine = Engine.over(kb, ranker=lambda kb, cfg: Matcher(kb, cfg, scorer=scorer))
    result = engine.ask(kb.entries[0].questions["zh"][0])
    assert calls and result.entry == kb.entries[0]  # still found, without fuzzy similarity


def test_config_from_env() -> None:
    cfg = MatchConfig.from_env({"CITEBOT_ANSWER_THRESHOLD": "70", "CITEBOT_MAX_SUGGESTIONS": "2"})
    assert cfg.answer_threshold == 70.0 and cfg.max_suggestions == 2
    assert dataclasses.replace(cfg, answer_threshold=60) != cfg
    with pytest.raises(ValueError, match="CITEBOT_AMBIGUITY_GAP"):
        MatchConfig.from_env({"CITEBOT_AMBIGUITY_GAP": "wide"})


def test_ambiguous_results_offer_at_most_three_distinct_suggestions(engine) -> None:
    seen = 0
    for q in ["党史", "红色", "连云港", "宣讲", "活动", "党员", "学习教育"]:
        result = engine.ask(q)
        if result.status == "ambiguous":
            seen += 1
            ids = [s.entry_id for s in result.suggestions]
            assert 1 <= len(ids) <= 3 and len(set(ids)) == len(ids)
            assert all(s.score <= result.score for s in result.suggestions)
    assert seen, "vague one-word questions should produce at least one 'did you mean'"


def test_very_long_input_is_handled(engine) -> None:
    result = engine.ask("连云港" * 5000)
    assert result.status in {"answered", "ambiguous", "no_match"}


def test_unknown_english_words_are_judged_by_part_of_speech(matcher) -> None:
    def classes(question: str) -> dict[str, str]:
        return dict(matcher.unknown_words(normalize(question, matcher.words), "en", question))

    # Another verb or adjective for what the base says is just another way of asking...
    assert en_class("organise") == "V"
    assert en_class("famous") == "F"
    assert en_class("population") == "N"
    assert classes("Which famous contest?") == {"famous": "F"}
    assert classes("Which contest did they commemorate?").get("commemorate", "F") == "F"
    # ...but a noun the base never uses is a different subject, and in "who did X?" the
    # verb names the deed asked about.
    assert classes("Who directed the population census?")["directed"] == "V"
    assert "last year" in classes("How many requests did the hotline get last year?")
    assert classes("Who directed the population census?")["population"] == "N"
    assert classes("Tell me about Hangzhou, please")["hangzhou"] == "N"


def test_unknown_pairs_that_are_no_word_weigh_little(matcher) -> None:
    index = matcher.index["zh"]
    # 航的 only cuts across words; 宇航 is a word the base never uses (a different subject).
    assert "航的" not in index.weights and "宇航" not in index.weights
    assert index.weight("航的") < 0.5 * index.weight("宇航")


def test_a_typo_in_the_counted_noun_is_forgiven(engine) -> None:
    right = engine.ask("开发区工地放红色影片有多少工友观看")
    typo = engine.ask("开发区工地放红色影片有多少公友观看")  # 公友: a homophone of 工友
    assert right.status == typo.status == "answered"
    assert typo.entry == right.entry and "150" in typo.entry.answer["zh"]
    assert engine.ask("海州区有多少个社区").status != "answered"  # names 社区, counts none


def test_questions_are_cut_into_their_most_likely_words(matcher) -> None:
    assert ("人口", "N") in matcher.unknown.words("连云港人口")  # not 连云港人 | 口
    assert ("去年", "N") in matcher.unknown.words("热线去年受理了多少诉求")
    assert matcher.unknown.words("对流动党员") == []  # 对 | 流动 | 党员, not 对流 | 动


def test_a_real_word_is_no_typo_of_a_chance_homophone(matcher) -> None:
    # 厨师 sounds like 处是 (a cut across words): a different subject, not a typo...
    assert ("厨师", "N") in matcher.unknown_words(
        normalize("中央厨房有多少厨师", matcher.words), "zh"
    )
    # ...while 记录片 is a typo of the base's 纪录片 (a homophone that is a word too).
    assert matcher.unknown_words(normalize("连云港红色记忆是记录片吗", matcher.words), "zh") == []


def test_words_naming_no_subject_cost_nothing_but_words_of_time_do(matcher) -> None:
    from bot.lexicons import word_list, zh_lexicon

    vague = word_list("zh_vague_words.txt")
    assert {"大哥", "里头", "回来"} <= set(vague)
    assert all(word in zh_lexicon() for word in vague)  # else the cut never yields it
    checked = 0
    for word in vague:  # each is a function word wherever the cut yields it, unknown
        found = [cls for w, cls in matcher.unknown.words(word + "说了什么") if w == word]
        assert found in ([], ["F"]), word
        checked += bool(found)
    assert checked >= len(vague) // 2  # most are words the base never uses
    found = dict(matcher.unknown.words("工人大哥去年看了几场电影"))
    assert (found["大哥"], found["去年"]) == ("F", "N")


def test_a_verb_after_的_is_a_noun(matcher) -> None:
    assert ("导演", "N") in matcher.unknown_words(
        normalize("连云港红色记忆的导演", matcher.words), "zh"
    )


def test_where_in_a_named_place_is_no_unknown_word(matcher) -> None:
    assert (
        matcher.unknown_words(strip_fillers(normalize("抗日山上有什么", matcher.words)), "zh") == []
    )
    assert (
        matcher.unknown_words(strip_fillers(normalize("连云港人口多少", matcher.words)), "zh") != []
    )


def test_a_head_count_counts_the_head_of_the_noun_phrase(kb, matcher) -> None:
    assert head_noun("徐圩新区有多少农民工党员", "农民") == "党员"
    assert head_noun("连云港有多少国家级爱国主义教育基地", "国家") == "基地"
    assert head_noun("有多少工人看了电影", "工人") == "工人"
    assert head_noun("热线接了多少群众的求助", "群众") == "求助"
    entry = next(e for e in kb.entries if e.id == "xuwei-migrant-workers")  # 3万名农民工
    answers = matcher.answers["zh"]
    assert not answers.states_unit(entry.answer["zh"], "党员")  # a noun the base counts
    assert answers.states_unit("吸引了150余名工友观看", "工人")  # one it never counts


def test_a_leftover_of_function_characters_is_no_name(matcher) -> None:
    found = matcher.unknown_words(
        strip_fillers(normalize("当官的每月都要上读书班吗", matcher.words)), "zh"
    )
    assert all(cls == "F" for _, cls in found)  # harmless, not a name


def test_an_unknown_verb_counts_when_it_is_what_is_asked_about(matcher) -> None:
    assert ("转发", "V") in matcher.unknown_words(
        normalize("文章被转发了多少次", matcher.words), "zh"
    )


def test_the_engine_remembers_recent_answers_until_a_reload(tmp_path, knowledge_dir) -> None:
    import shutil

    shutil.copytree(knowledge_dir, tmp_path / "kb")
    engine = Engine(tmp_path / "kb")
    first = engine.ask("连云港有多少个爱国主义教育基地?")
    assert engine.ask("连云港有多少个爱国主义教育基地?") is first  # remembered
    engine.reload()
    again = engine.ask("连云港有多少个爱国主义教育基地?")
    assert again is not first and again.entry == first.entry  # a new base answers afresh


@pytest.mark.parametrize(
    "question",
    ["青少年有哪些专门的红色教育活动", "连云港宣讲党史用了哪些文艺表演形式"],  # issue examples
)
def test_a_question_the_article_does_not_answer_outright_gets_related_buttons(
    engine, question
) -> None:
    result = engine.ask(question)
    assert result.status != "answered" and result.suggestions
    assert all(s.score >= engine.config.related_threshold for s in result.suggestions)


@pytest.mark.parametrize("question", ["Who founded Alibaba?", "如何减肥", "阿里巴巴的创始人是谁"])
def test_off_topic_questions_get_no_buttons(engine, question) -> None:
    result = engine.ask(question)
    assert result.status == "no_match" and not result.suggestions


@pytest.mark.parametrize("question", ["在吗？", "晚上好"])
def test_greetings_are_recognised_after_normalisation(engine, question) -> None:
    assert engine.ask(question).smalltalk == "greeting"


def test_a_broad_bare_topic_gets_buttons_not_a_random_entry(engine, kb) -> None:
    result = engine.ask("党史学习教育")  # the article's whole subject: many entries
    assert (result.status, result.entry, result.reason) == ("ambiguous", None, "bare topic")
    assert 1 <= len(result.suggestions) <= 3
    # the same wording stored as a question of one entry is that entry's
    stored = next(q for e in kb.entries for q in e.questions["zh"] if len(q) <= 5 and "?" not in q)
    assert engine.ask(stored).status == "answered"
    # a topic that is one entry's is answered; so is a topic with what it asks for
    assert engine.ask("项雪龙 职务").status == "answered"
    # with no lead required, no bare topic is broad: the other rules decide
    wide = Engine.over(kb, dataclasses.replace(MatchConfig(), bare_topic_gap=0.0))
    free = wide.ask("党史学习教育")
    assert free.reason in ("answered", "close call")  # decided on its score and gap
    assert free.score >= MatchConfig().answer_threshold


def test_two_questions_in_one_message_get_both_answers_each_cited(engine) -> None:
    bases = engine.ask("连云港有多少个爱国主义教育基地?").entry
    satisfaction = engine.ask("12345热线的满意率是多少?").entry
    result = engine.ask("连云港有多少个爱国主义教育基地？12345热线的满意率是多少？")
    assert (result.status, result.reason) == ("answered", "two facts")
    assert result.entry.id == bases.id
    assert [r.entry.id for r in result.also] == [satisfaction.id]
    assert result.entry.citation != result.also[0].entry.citation


def test_a_second_question_that_leaves_out_its_subject_is_not_answered_alone(engine) -> None:
    # "主题是啥" alone is a question about the article's own theme; here it is the
    # lecture's: the message gets the lecture's entry, not a second, wrong answer
    lecture = engine.ask("赣榆那个宣讲会哪天开的").entry
    result = engine.ask("赣榆那个宣讲会哪天开的，主题是啥")
    assert result.entry.id == lecture.id and result.also == ()
    assert engine.ask("主题是啥").entry.id != lecture.id


def test_related_buttons_are_judged_before_the_unknown_word_penalty(kb) -> None:
    from bot.matcher.decision import Candidate, decide

    cfg = MatchConfig()
    halved = Candidate(cfg.related_threshold * 0.6, 0, False, True, cfg.related_threshold * 1.2)
    result = decide("q", "zh", kb.entries, [halved], [("菜谱", "N")], False, cfg)
    assert result.status == "no_match" and [s.entry_id for s in result.suggestions] == [
        kb.entries[0].id
    ]
    unrelated = dataclasses.replace(halved, related=False)
    assert decide("q", "zh", kb.entries, [unrelated], [("菜谱", "N")], False, cfg).suggestions == ()
    weak = dataclasses.replace(halved, unpenalized=cfg.related_threshold * 0.8)
    assert decide("q", "zh", kb.entries, [weak], [("菜谱", "N")], False, cfg).suggestions == ()


@pytest.mark.parametrize("question", ["六比六赛第一名是谁", "哪个县区排第一", "谁拿了第1"])
def test_asking_who_came_first_asks_for_a_winner_after_normalising(question) -> None:
    assert "winner" in asked_kinds(prepare(question).norm)
