"""The word-sense check with the real model: a maths word in another domain's sentence is refused, the same
word in a maths question is not, follow-ups stay with the conversation only when they point back at it.

The questions here are not the dev split's (they probe the same mechanism with other words and domains).
"""

from __future__ import annotations

import pytest

from conversations import MATHS_TURN
from mathtutor.knowledge import zh_gloss
from mathtutor.settings import PROJECT_ROOT, Settings
from mathtutor.tutor.offtopic import SenseCheck
from mathtutor.tutor.offtopic_cues import ASKS_FOR_MATHS, CLEAR_BRANCH
from mathtutor.tutor.offtopic_rules import OTHER, Evidence, reads_other
from mathtutor.tutor.understand import understand

CORPUS = PROJECT_ROOT / "corpus"


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.texts = 0

    def embed(self, texts, batch_size=None):
        self.texts += len(texts)
        return self.inner.embed(texts)

    def embed_query(self, text):
        return self.embed([text])[0]


@pytest.fixture(scope="module")
def check(parts, real_embedder):
    topics, _, table = parts
    return SenseCheck(Settings(), CountingEmbedder(real_embedder), topics, table)


def ctx_of(q, parts, history=()):
    topics, catalog, _ = parts
    return understand(q, list(history), level=None, formats=None, topics=topics, catalog=catalog)


@pytest.mark.parametrize(
    ("q", "domain"),
    [
        ("Is The Matrix Reloaded better than the first film?", "film-tv"),
        ("How do I make a linear gradient button in Tailwind?", "web-design"),
        ("Which vector graphics editor is best for logos?", "web-design"),
        ("Are crypto derivatives legal in the UK?", "finance"),
        ("What is the limit on carry-on luggage for Ryanair?", "travel"),
        ("What is the probability that it snows on Christmas in London?", "weather"),
        ("信用卡的积分可以换什么礼品？", "finance"),
        ("电影院里播放的《黑客帝国》讲的矩阵是真的吗？", "film-tv"),
        ("我们部门的矩阵式组织结构有什么缺点？", OTHER),
    ],
)
def test_a_maths_word_in_another_domain_is_refused(check, parts, q, domain):
    assert check.judge(ctx_of(q, parts)) == domain


@pytest.mark.parametrize(
    "q",
    [
        "How do I compute the gradient of a quadratic function?",
        "What is the derivative of sin(x)?",
        "What is the limit of 1/x as x goes to infinity?",
        "If a stock goes up 10% with probability 0.6 and down 5% otherwise, what is the expected return?",
        "A disease test is 95% accurate; what is the probability of being ill after a positive result?",
        "梯度的方向为什么是函数增长最快的方向？",
        "两个事件独立时，它们同时发生的概率怎么算？",
        "股票价格的方差是什么意思？",  # a finance cue, but the rest of the question is maths
        "How does a film recommendation system use matrix factorization?",  # a clear maths term: not checked
    ],
)
def test_the_same_words_in_maths_questions_pass(check, parts, q):
    assert check.judge(ctx_of(q, parts)) is None


@pytest.mark.parametrize(
    ("q", "refused"),
    [
        ("Thanks! Can you also recommend a hotel in Paris?", True),
        ("ok, what's the weather in Rome?", True),
        ("By the way, who won the match last night?", True),
        ("好的，顺便帮我查一下明天的航班。", True),
        ("And for a beginner?", False),
        ("Something with more examples?", False),
        ("Is there a video for that?", False),  # points back at the conversation
        ("Anything I could watch rather than read?", False),  # another format of the same topic
        ("Which films should I watch tonight?", True),  # a format word, but a film question
        ("有没有更简单一点的？", False),
    ],
)
def test_follow_ups_inherit_the_topic_only_when_they_are_about_it(check, parts, q, refused):
    ctx = ctx_of(q, parts, MATHS_TURN)
    assert (check.judge(ctx) is not None) is refused


def test_questions_with_a_clear_maths_term_are_judged_without_embedding(check, parts):
    check.judge(ctx_of("Who plays Neo in The Matrix?", parts))  # the domain and concept vectors are ready
    before = check.embedder.texts
    for q in ("What is the covariance matrix?", "梯度下降是什么？", "Explain eigenvectors of a symmetric matrix"):
        assert check.evidence(ctx_of(q, parts)).case is None
    assert check.embedder.texts == before


def test_the_bars_are_settings(parts, real_embedder, monkeypatch):
    topics, _, table = parts
    trap = ctx_of("Is The Matrix Reloaded better than the first film?", parts)
    zh_trap = ctx_of("我们部门的矩阵式组织结构有什么缺点？", parts)
    assert SenseCheck(Settings(), real_embedder, topics, table).judge(trap) == "film-tv"
    monkeypatch.setenv("MATHTUTOR_OFFTOPIC_MARGIN", "0.9")
    monkeypatch.setenv("MATHTUTOR_OFFTOPIC_CUE_MARGIN", "0.9")
    monkeypatch.setenv("MATHTUTOR_OFFTOPIC_ZH_UNEXPLAINED", "1.0")
    lax = SenseCheck(Settings(), real_embedder, topics, table)
    assert lax.settings.offtopic_margin == 0.9
    assert lax.judge(trap) is None
    assert lax.judge(zh_trap) is None  # 0.7-0.9 of it unexplained, under a bar of 1.0


def glossed(q, parts, history=()):
    """As the tutor reads it: with the Chinese gloss (knowledge/zh_gloss.py)."""
    topics, catalog, _ = parts
    return understand(q, list(history), level=None, formats=None, topics=topics, catalog=catalog, gloss=zh_gloss.gloss)


@pytest.mark.parametrize(
    "q",
    [
        "我在医院做影像科医生，想转去做医学人工智能，数学上要补哪些？",
        "做了三年前端，想转到推荐算法岗，数学得补到什么程度？",
        "As a game developer who wants to move into machine learning, how much maths do I have to catch up on?",
    ],
)
def test_the_mission_question_about_ml_is_in_scope_whatever_else_it_tells(check, parts, q):
    ctx = glossed(q, parts)
    assert ctx.intent == "mission" and check.judge(ctx) is None


@pytest.mark.parametrize(
    "q",
    [
        "有没有学尤克里里的视频课程？",
        "Is there a good online course on watercolour painting for beginners?",
        "有没有教摄影构图的书？",
    ],
)
def test_a_resource_request_about_another_subject_is_refused(check, parts, q):
    ctx = glossed(q, parts)
    assert ctx.intent == "resource" and check.judge(ctx) is not None


def test_resource_requests_about_maths_pass(check, parts):
    for q in (
        "有没有适合初学者的统计学视频？",
        "Is there a course that goes through the proofs of convex optimization?",
    ):
        assert check.judge(glossed(q, parts)) is None


def test_a_chinese_maths_word_in_a_business_idiom_is_refused(check, parts):
    assert check.judge(glossed("老板说要对竞争对手降维打击，这词到底啥意思？", parts)) is not None
    assert check.judge(glossed("为什么机器学习里常常要先降维？", parts)) is None


def test_after_a_change_of_subject_it_is_measured_not_assumed(check, parts):
    email = "Great, and while you're at it, could you draft an email to my landlord about the rent?"
    assert check.judge(glossed(email, parts, MATHS_TURN)) is not None
    assert check.judge(glossed("Can I apply it to house price data?", parts, MATHS_TURN)) is None


def test_asking_for_something_less_dry_stays_with_the_conversation(check, parts):
    assert check.judge(glossed("hmm, that's a bit dry. anything less dense?", parts, MATHS_TURN)) is None


def test_advice_in_another_domain_is_that_domains_even_after_the_maths(check, parts):
    q = "so is that how I should choose between two phone contracts? which one would you pick?"
    assert check.judge(glossed(q, parts, MATHS_TURN)) is not None
    assert check.judge(glossed("so is that how the gradient is used in training?", parts, MATHS_TURN)) is None


def test_a_branch_of_maths_named_outright_is_about_the_maths(check, parts):
    assert check.judge(glossed("手机里的人脸解锁背后用到了线性代数吗？", parts)) is None


def test_asking_for_a_channel_on_another_subject_is_refused(check, parts):
    assert check.judge(glossed("What's the best YouTube channel for learning to juggle?", parts)) is not None


def test_what_a_probability_means_is_maths_whatever_the_domain(check, parts):
    assert (
        check.judge(glossed("The app says 40% chance of snow. What does that number mean as a probability?", parts))
        is None
    )
    assert check.judge(glossed("What is the probability that it snows in Oslo next Friday?", parts)) == "weather"


def test_after_a_change_of_subject_the_conversation_does_not_speak_for_the_question(check, parts):
    q = "cool. totally different thing, my bike chain keeps slipping when I change gear, how do I fix it?"
    assert check.judge(glossed(q, parts, MATHS_TURN)) is not None


@pytest.mark.parametrize(
    "q",
    [
        "thanks, that helps. my teenager keeps skipping school lately, what should I do?",
        "ok. my roommate never takes the bins out, how do I bring it up without a row?",  # "it": the learner's story
        "好的。我邻居家天天半夜装修，这个怎么投诉？",
        "Side question: my laptop fan got loud after the update, how do I clean it safely?",
        "ok. speaking of activating things, my new bus pass won't activate at the gate, who do I call?",
        "好的。另外我房东说下个月房租要涨，这合理吗？",
    ],
)
def test_a_follow_up_that_points_nowhere_or_changes_subject_is_judged_alone(check, parts, q):
    assert check.judge(glossed(q, parts, MATHS_TURN)) is not None


@pytest.mark.parametrize(
    "q",
    [
        "why does it point uphill, though?",
        "and in three dimensions?",
        "speaking of which, is there a video?",
        "can I use it on my sales data?",  # the pointer comes before the learner's own words
        "它在我的模型里怎么用？",
    ],
)
def test_follow_ups_about_the_maths_still_pass(check, parts, q):
    assert check.judge(glossed(q, parts, MATHS_TURN)) is None


def test_advice_with_another_domains_word_is_refused_at_a_lower_bar(check, parts):
    assert check.judge(glossed("我这次高考比平均分高一个标准差，报哪个学校比较稳？", parts)) == "exams-admissions"
    assert check.judge(glossed("我考试比平均分高一个标准差，大概超过了百分之多少的人？", parts)) is None


def test_a_word_for_our_field_after_a_change_of_subject_is_not_the_mission_question(check, parts):
    q = "懂了，谢谢！顺便问一下，我表妹今年高考数学考了131，总分610左右，想学人工智能专业，在河南大概能上哪些学校？"
    ctx = glossed(q, parts, MATHS_TURN)
    assert ctx.intent == "mission" and check.judge(ctx) == "exams-admissions"
    # without a change of subject it is the mission question, whatever the learner's story
    assert check.judge(glossed("我表妹高考考了610分，想读人工智能专业，大学前该先补哪些数学？", parts)) is None


def test_the_mission_question_inside_a_resource_request_is_in_scope(check, parts):
    q = "作为家长，孩子想以后做人工智能，现在该补哪些数学？有没有适合中学生的资料推荐？"
    assert check.judge(glossed(q, parts)) is None


def test_a_maths_word_used_as_a_bridge_to_another_subject_is_measured(check, parts):
    q = "Nice. Speaking of momentum, my five-a-side football team has won five in a row, should we keep the lineup?"
    assert check.judge(glossed(q, parts, MATHS_TURN)) == "sports"
    assert check.judge(glossed("By the way, what is an eigenvector?", parts, MATHS_TURN)) is None


def test_asking_to_pick_products_with_the_maths_is_advice_in_that_domain(check, parts):
    assert check.judge(glossed("那这个能用来选股票吗？帮我推荐几只稳一点的", parts, MATHS_TURN)) == "finance"
    assert check.judge(glossed("can I use it to compare two funds' returns?", parts, MATHS_TURN)) is None


def test_a_screening_accuracy_puzzle_is_maths_whoever_asks(check, parts):
    assert check.judge(glossed("学校体检的筛查准确率99%，为什么查出阳性的同学大多数其实没病？", parts)) is None


def test_a_probability_asked_about_a_game_is_maths(check, parts):
    q = "手游抽卡爆率2%，连抽50次至少出一个的概率是多少？"
    assert check.judge(glossed(q, parts)) is None
    assert check.judge(glossed("手游抽卡爆率2%，这个卡池值得氪金吗？有什么建议", parts)) is not None


@pytest.mark.parametrize(
    "q",
    [
        "Could you draft a funny limerick for my colleague's leaving card? He loves cycling.",
        "write me a short toast for my sister's graduation, she studied statistics",  # names a maths word
        "帮我写一封给物业的信，楼上漏水两周了还没人来修",
        "给我写首诗，送给教了我三年微积分的老师",  # 微积分: a branch named outright, still a poem
    ],
)
def test_asking_the_tutor_to_compose_a_text_is_refused(check, parts, q):
    assert check.judge(glossed(q, parts)) == "writing"


@pytest.mark.parametrize("q", ["write me a proof that the trace sums the eigenvalues", "帮我写一段链式法则推导"])
def test_asking_for_a_proof_or_a_derivation_is_not_composing(check, parts, q):
    assert check.judge(glossed(q, parts)) is None


def test_pointing_back_with_another_domains_cue_word_is_measured(check, parts):
    q = "great, can you do the same with my tax forms? I'm two weeks behind on them"
    assert check.judge(glossed(q, parts, MATHS_TURN)) == "finance"


@pytest.mark.parametrize(
    "q",
    [
        "能不能再讲一遍？一步一步来，我有点跟不上",
        "sorry, I didn't follow. slower?",
        "可以举个具体点的例子吗",
        "有没有能拖动滑块自己看的？",
    ],
)
def test_asking_again_slower_or_for_an_example_stays_with_the_conversation(check, parts, q):
    assert check.judge(glossed(q, parts, MATHS_TURN)) is None


def test_a_pointer_after_coming_back_from_the_learners_own_story_is_about_the_maths(check, parts):
    q = "ha, like my cycling club's hill repeats. but seriously, why does it point uphill and not down?"
    assert check.judge(glossed(q, parts, MATHS_TURN)) is None
    q = "ha, like my cycling club's hill repeats. how do I get them to ride slower on it?"
    assert check.judge(glossed(q, parts, MATHS_TURN)) is not None


def test_a_maths_word_with_an_everyday_sense_in_chinese_is_measured(check, parts):
    assert check.judge(glossed("跑步的时候步长迈多大比较好？最近一跑步膝盖就疼", parts)) is not None
    assert check.judge(glossed("梯度下降的步长太大会怎么样？", parts)) is None
    assert check.judge(glossed("修图的时候高斯模糊半径调多少，证件照背景才自然？", parts)) is not None


def test_a_resource_request_that_names_maths_outright_keeps_its_ambiguous_words(check, parts):
    q = "我是初中数学老师，想给学生讲讲“向量”，有没有从零讲起、公式少一点的资料？"
    assert check.judge(glossed(q, parts)) is None
    assert check.judge(glossed("有没有讲向量图标设计的网站？", parts)) is not None  # no maths named, a design cue


@pytest.mark.parametrize(
    ("q", "domain"),
    [
        ("what's a good integration test setup for a Django app?", None),
        ("the curvature of my lawn makes mowing awkward, any tips?", "home-garden"),
        ("生物作业：神经元之间的突触是怎么传递信号的？", "school-science"),
        ("家里空调漏水，墙面有点曲率变形了，找谁修？", "home-garden"),
    ],
)
def test_everyday_senses_of_further_maths_words_are_refused(check, parts, q, domain):
    judged = check.judge(glossed(q, parts))
    assert judged is not None and (domain is None or judged == domain)


@pytest.mark.parametrize(
    "q", ["what are the moments of a distribution?", "矩阵什么时候可逆？", "神经网络里的神经元在计算什么？"]
)
def test_the_same_further_words_in_maths_questions_pass(check, parts, q):
    assert check.judge(glossed(q, parts)) is None


MML_TURN = [
    {"role": "user", "content": "有没有一本书把机器学习要用的数学都讲了？"},
    {
        "role": "assistant",
        "content": "可以看《Mathematics for Machine Learning》，线性代数、微积分、概率和优化都有 [1]。\n\n"
        "**Sources**\n[1] Mathematics for Machine Learning <https://mml-book.github.io/>",
    },
]


def test_a_pointer_at_the_cited_book_with_another_domains_cue_word_is_measured(check, parts):
    q = "好的。那本书的纸质版我网购了，快递显示签收了但我没拿到，该找谁？"
    assert check.judge(glossed(q, parts, MML_TURN)) is not None
    assert check.judge(glossed("那本书第几章讲概率？", parts, MML_TURN)) is None


def test_a_maths_word_as_the_bridge_of_a_chinese_change_of_subject_does_not_keep_it(check, parts):
    turns = [
        {"role": "user", "content": "方差是什么意思？"},
        {"role": "assistant", "content": "方差衡量取值偏离期望的程度 [1]。\n\n**Sources**\n[1] Seeing Theory <https://seeing-theory.brown.edu/>"},
    ]  # fmt: skip
    q = "懂了。说到方差，我们组绩效差距太大，年终奖月薪怎么谈比较好？"
    assert check.judge(glossed(q, parts, turns)) is not None


def test_the_mission_question_keeps_words_with_other_senses(check, parts):
    q = "我在物流公司做调度，老板要上AI排班系统，厂商老说“权重”“梯度”，我想听懂他们在说什么，数学要补到什么程度？"
    assert check.judge(glossed(q, parts)) is None


def test_a_new_question_after_a_change_of_subject_is_refused_at_a_lower_bar(check, parts):
    q = "cheers. totally different topic: I took up the cello at 40, how long should I practise each day?"
    ev = check.evidence(glossed(q, parts, MATHS_TURN))
    assert ev.changed and ev.case in ("followup", "unnamed")
    assert check.judge(glossed(q, parts, MATHS_TURN)) is not None
    assert check.judge(glossed("totally different topic: what is a Jacobian?", parts, MATHS_TURN)) is None


@pytest.mark.parametrize(
    "q",
    [
        "ok. speaking of that, is the airport train running this early or should I book a taxi?",
        "wow, that's really counterintuitive. my grandad's blood sugar is high, how do I get him to care?",
        "懂了。说起来我爸体检报告上血糖偏高，他不当回事，平时饮食要注意什么？",
        "过年写春联，上联想好了，下联的对偶怎么才工整？",
    ],
)
def test_drifting_after_the_maths_is_refused(check, parts, q):
    assert check.judge(glossed(q, parts, MATHS_TURN)) is not None


@pytest.mark.parametrize(
    "q",
    [
        # a camera purchase after a blur filter's maths: advice in photography's words, not the conversation's
        "nice. for landscapes on my Canon, is the 16mm or the 24mm lens the better buy?",
        # "book it" is a verb, and the "it" is the learner's marquee
        "lovely. we're getting married in May with 60 guests and the venue wants £900 for a rain cover. would you "
        "book it or risk it?",
    ],
)
def test_advice_after_a_maths_turn_is_not_bound_to_it(check, parts, q):
    assert check.judge(glossed(q, parts, MATHS_TURN)) is not None


def test_a_pointer_asking_for_another_take_keeps_the_conversation_whatever_story_follows(check, parts):
    q = "ok, I need to explain it to my manager tomorrow. anything shorter I could watch tonight?"
    assert check.judge(glossed(q, parts, MATHS_TURN)) is None


# ---------------------------------------------------------------- the decision on given evidence


def decided(parts, real_embedder, monkeypatch, q, ev, history=(), **settings):
    """The verdict for ``q`` when the check measures ``ev`` (the rules alone, on evidence we choose)."""
    topics, _, table = parts
    fresh = SenseCheck(Settings(**settings), real_embedder, topics, table)
    monkeypatch.setattr(fresh, "evidence", lambda ctx: ev)
    return fresh.verdict(ctx_of(q, parts, history))


STORY = "Our trail app says the last climb averages 14%. Too steep for my 9-year-old, or do we turn back?"


@pytest.mark.parametrize(
    ("margin", "p", "refused", "rule"),
    [
        (0.02, 0.70, True, "model-lean"),  # a little nearer another domain, and the model leans that way
        (0.02, 0.50, False, "margin"),  # the model does not lean: the margin keeps it
        (-0.01, 0.50, False, "margin"),  # nearer the maths than any domain, and the model does not lean
        (-0.01, 0.80, True, "unnamed-lean"),  # names nothing of ours: the model's lean decides whatever the margin
        (0.08, 0.30, True, "margin"),  # over the margin bar, and the model is not sure it is ours
        (0.08, 0.10, False, "model-keep"),
    ],
)
def test_an_english_first_question_in_doubt_goes_the_way_the_model_leans(
    parts, real_embedder, monkeypatch, margin, p, refused, rule
):
    ev = Evidence("unnamed", "travel", margin, p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, STORY, ev)
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


DASHBOARD = "how do I switch the y axis of a loss chart to log scale in the Weights & Biases dashboard"


@pytest.mark.parametrize(
    ("q", "p", "refused", "rule"),
    [
        (DASHBOARD, 0.70, True, "unnamed-lean"),  # no concept, no request, no number: nothing speaks for the maths
        (DASHBOARD, 0.50, False, "margin"),  # the model does not lean away
        ("I flipped a coin 20 times and got 15 heads, how sure can I be it's biased", 0.80, False, "margin"),
        ("Is there a free video course that goes slowly enough for me?", 0.80, False, "margin"),  # a request
    ],
)
def test_a_first_question_naming_nothing_of_ours_goes_the_way_the_model_leans_whatever_the_margin(
    parts, real_embedder, monkeypatch, q, p, refused, rule
):
    ev = Evidence("unnamed", "technology", -0.08, p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev)
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


def test_a_turn_naming_nothing_of_ours_is_not_refused_for_the_model_leaning(parts, real_embedder, monkeypatch):
    ev = Evidence("followup", "technology", -0.08, p_other=0.7)
    assert decided(parts, real_embedder, monkeypatch, DASHBOARD, ev, MATHS_TURN).domain is None


def test_the_lean_bar_is_a_setting_and_spares_follow_ups(parts, real_embedder, monkeypatch):
    ev = Evidence("unnamed", "travel", 0.02, p_other=0.7)
    assert decided(parts, real_embedder, monkeypatch, STORY, ev, offtopic_model_lean=0.75).domain is None
    turn = Evidence("followup", "travel", 0.02, p_other=0.7)
    assert decided(parts, real_embedder, monkeypatch, STORY, turn, MATHS_TURN).domain is None


@pytest.mark.parametrize(("p", "refused", "rule"), [(0.7, True, "model-lean"), (0.4, False, "word-problem")])
def test_a_chinese_word_problem_is_kept_unless_the_model_leans_away(
    parts, real_embedder, monkeypatch, p, refused, rule
):
    q = "我们奶茶店这个月平均每天卖120杯，比上个月少了15%，是不是因为隔壁新开了一家？"
    ev = Evidence("unnamed", "marketing", 0.06, unexplained=0.9, glossed=True, p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev)
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


@pytest.mark.parametrize(
    ("p", "advice", "refused", "rule"),
    [
        (0.2, False, False, "asks-maths"),  # another domain's cue word, but it asks for the maths
        (0.7, False, True, "cue-margin"),  # the model leans away: the cue decides again
        (0.2, True, True, "cue-margin"),  # a decision in that domain, however mathematically put
    ],
)
def test_asking_for_the_maths_in_another_settings_words_is_ours(
    parts, real_embedder, monkeypatch, p, advice, refused, rule
):
    q = "修图时用了斜切，最底下一行不动、越往上推得越远。这种变换后方向不变的方向，数学上叫什么？"
    ev = Evidence("unnamed", "web-design", 0.08, ("web-design",), 0.86, True, advice=advice, p_other=p, asks_maths=True)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev)
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


@pytest.mark.parametrize(
    ("q", "asks"),
    [
        ("开了家花店，想弄懂这条趋势线数学上是怎么定出来的", True),
        ("每年10%的人搬去乡下，用矩阵怎么算最后的比例？", True),
        ("I price used vans: I want to understand properly why the best line minimises squared errors", True),
        ("Is there a name for directions a shear leaves alone?", True),
        ("What's the maths behind my phone's face unlock?", True),
        ("My music app builds a playlist from everyone's skips. What kind of maths is that?", True),
        ("What maths is on the pilot entrance test?", False),  # an exam's content, not the maths of something
        ("这个损失金额是怎么算出来的？我能要求修车吗？", False),  # how a figure was reached, not the maths
        ("How much maths is on the pilot entrance test?", False),
    ],
)
def test_what_counts_as_asking_for_the_maths(q, asks):
    assert bool(ASKS_FOR_MATHS.search(q)) is asks


def test_the_verdict_names_the_rule(check, parts):
    verdict = check.verdict(ctx_of("Who plays Neo in The Matrix?", parts))
    assert verdict.domain == "film-tv" and verdict.rule and verdict.evidence.case == "ambiguous"


@pytest.mark.parametrize(
    ("q", "refused"),
    [
        ("孩子最近数学考试平均分掉了10分，要不要给他报个补习班？", True),  # a decision with numbers in it
        ("网店这个月转化率才1.5%，客单价80块，值不值得再投广告？", True),
        ("连抛10次硬币，出现7次正面的概率是多少？", False),  # the numbers are the question
    ],
)
def test_a_chinese_decision_with_numbers_is_not_a_word_problem(check, parts, q, refused):
    assert (check.judge(glossed(q, parts)) is not None) is refused


@pytest.mark.parametrize(
    ("q", "refused"),
    [
        ("我在小红书发了30篇笔记，平均点赞才20多个，是不是被限流了？", True),  # an app called "little red book"
        ("小红书上有人推荐了一本讲矩阵微积分的书，适合初学者吗？", False),
    ],
)
def test_a_social_app_named_book_is_not_a_resource_request(check, parts, q, refused):
    assert (check.judge(glossed(q, parts)) is not None) is refused


# ---------------------------------------------------------------- the conversation, the field's words, the model


@pytest.mark.parametrize(
    ("case", "p", "refused"), [("mission", 0.95, True), ("subject", 0.95, True), ("mission", 0.5, False)]
)
def test_a_question_naming_our_field_is_refused_only_when_the_model_is_sure(
    parts, real_embedder, monkeypatch, case, p, refused
):
    q = "新手想入坑拼装模型，先买哪个系列比较适合？"
    verdict = decided(parts, real_embedder, monkeypatch, q, Evidence(case, p_other=p))
    assert (verdict.domain is not None, verdict.rule) == (refused, case)


PRINTED_COPY = "great, thanks. what's the cheapest place to buy a printed copy, and will it ship to Canada?"


@pytest.mark.parametrize(("p", "refused"), [(0.98, True), (0.92, False)])
def test_a_turn_the_conversation_keeps_is_refused_only_when_the_model_is_sure_of_it_alone(
    parts, real_embedder, monkeypatch, p, refused
):
    verdict = decided(parts, real_embedder, monkeypatch, PRINTED_COPY, Evidence("turn", p_other=p), MATHS_TURN)
    assert (verdict.domain is not None, verdict.rule) == (refused, "turn")


def test_clear_maths_words_are_refused_at_a_lower_bar_in_a_first_question_than_in_a_turn(
    parts, real_embedder, monkeypatch
):
    """A turn is read without its conversation, so only a surer model refuses it."""
    q = "Which tattoo studio would do Bayes' theorem in a nice serif font?"
    ev = Evidence(None, p_other=0.92)
    assert decided(parts, real_embedder, monkeypatch, q, ev).domain is not None
    assert decided(parts, real_embedder, monkeypatch, q, ev, MATHS_TURN).domain is None
    assert decided(parts, real_embedder, monkeypatch, q, ev, offtopic_model_clear_bar=0.95).domain is None


def test_the_field_bar_is_a_setting(parts, real_embedder, monkeypatch):
    q = "新手想入坑拼装模型，先买哪个系列比较适合？"
    ev = Evidence("subject", p_other=0.95)
    assert decided(parts, real_embedder, monkeypatch, q, ev, offtopic_model_field_bar=0.99).domain is None


@pytest.mark.parametrize(("p", "refused", "rule"), [(0.8, True, "changed-lean"), (0.4, False, "margin")])
def test_a_new_subject_with_no_concept_goes_the_way_the_model_leans(
    parts, real_embedder, monkeypatch, p, refused, rule
):
    q = "random question: is Marc Deisenroth still teaching, and how old is he?"
    ev = Evidence("unnamed", "film-tv", -0.12, changed=True, p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev, MATHS_TURN)
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


ZH_TURN = "那深度学习里哪里会用到这个？比如比较两段文字意思近不近"


@pytest.mark.parametrize(
    ("q", "history", "cues", "p", "refused", "rule"),
    [
        (ZH_TURN, MATHS_TURN, (), 0.05, False, "conversation"),  # a turn the conversation speaks for
        (ZH_TURN, (), (), 0.09, True, "zh-unexplained"),  # alone, the table's share decides
        (ZH_TURN, MATHS_TURN, (), 0.65, True, "zh-unexplained"),  # the model leans away: the table decides
        (ZH_TURN, MATHS_TURN, ("marketing",), 0.05, True, "zh-unexplained"),  # another domain's cue word
        ("话说" + ZH_TURN, MATHS_TURN, (), 0.09, True, "zh-unexplained"),  # a casual opener unbinds it
        ("对了，" + ZH_TURN, MATHS_TURN, (), 0.05, True, "zh-unexplained"),  # a change of subject
    ],
)
def test_a_chinese_turn_of_a_maths_conversation_is_kept_by_it(
    parts, real_embedder, monkeypatch, q, history, cues, p, refused, rule
):
    ev = Evidence("ambiguous", "web-design", -0.1, cues, unexplained=0.6, glossed=True, p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev, history)
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


MML_TURN = [
    {"role": "user", "content": "有没有系统讲机器学习数学基础的免费教材？"},
    {
        "role": "assistant",
        "content": "可以看 Mathematics for Machine Learning，官网有免费 PDF [1]。\n\n"
        "**Sources**\n[1] Mathematics for Machine Learning <https://mml-book.github.io/>",
    },
]


@pytest.mark.parametrize(
    ("q", "history"),
    [
        # "model" names our field only in a question that asks what maths to learn, not in a hobby's request
        ("想学做建筑模型，有没有适合新手的入门教程？", ()),
        ("Is there a good beginner course on building model railways?", ()),
        # buying the book just cited: the shop is another domain's cue word
        ("这本京东上有卖的吗？打印店打一本大概多少钱", MML_TURN),
    ],
)
def test_a_hobbys_models_and_the_cited_books_shop_are_not_ours(check, parts, q, history):
    assert check.judge(glossed(q, parts, history)) is not None


def test_material_on_our_field_by_name_is_still_ours(check, parts):
    assert check.judge(glossed("有没有讲机器学习模型的入门视频？", parts)) is None
    assert check.judge(glossed("Any good videos on how recommendation algorithms work?", parts)) is None


@pytest.mark.parametrize(
    ("q", "history", "p", "refused", "rule"),
    [
        ("and why the log?", MATHS_TURN, 0.1, False, "conversation"),
        ("and why the log?", (), 0.1, True, "margin"),  # alone: the margin decides
        ("and why the log?", MATHS_TURN, 0.7, True, "margin"),  # the model leans away
        ("by the way, why the log?", MATHS_TURN, 0.1, True, "margin"),  # a change of subject
    ],
)
def test_an_english_turn_of_a_maths_conversation_is_kept_by_it(
    parts, real_embedder, monkeypatch, q, history, p, refused, rule
):
    ev = Evidence("followup", "sports", 0.08, p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev, history)
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


@pytest.mark.parametrize(
    ("q", "cues", "p", "refused", "rule"),
    [
        ("扔一大把硬币数正面的个数，为什么次数多了画出来像座山？", (), 0.03, False, "zh-model-keep"),
        ("扔一大把硬币数正面的个数，为什么次数多了画出来像座山？", (), 0.08, True, "zh-unexplained"),
        ("扔一大把硬币数正面的个数，为什么次数多了画出来像座山？", ("games-music",), 0.03, True, "cue-margin"),
        ("扔硬币决定周末去不去爬山，要不要听它的？", (), 0.03, True, "zh-unexplained"),  # a decision
    ],
)
def test_a_chinese_question_the_model_is_sure_is_ours_is_kept(
    parts, real_embedder, monkeypatch, q, cues, p, refused, rule
):
    ev = Evidence("unnamed", "games-music", 0.05, cues, unexplained=0.8, glossed=True, p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev)
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


def test_the_chinese_keep_bar_is_a_setting(parts, real_embedder, monkeypatch):
    q = "扔一大把硬币数正面的个数，为什么次数多了画出来像座山？"
    ev = Evidence("unnamed", "games-music", 0.05, unexplained=0.8, glossed=True, p_other=0.08)
    assert decided(parts, real_embedder, monkeypatch, q, ev, offtopic_zh_model_keep=0.1).domain is None


@pytest.mark.parametrize(
    ("aside", "refused", "rule"), [(0.9, True, "aside"), (0.6, False, "clear"), (None, False, "clear")]
)
def test_clear_words_only_in_the_story_are_refused_when_the_asking_part_reads_elsewhere(
    parts, real_embedder, monkeypatch, aside, refused, rule
):
    q = "Our office plots sales on a bell curve. Can I take Friday off?"
    verdict = decided(parts, real_embedder, monkeypatch, q, Evidence(None, p_other=0.6, aside=aside))
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


def test_the_aside_bar_is_a_setting(parts, real_embedder, monkeypatch):
    q = "Our office plots sales on a bell curve. Can I take Friday off?"
    ev = Evidence(None, p_other=0.6, aside=0.9)
    assert decided(parts, real_embedder, monkeypatch, q, ev, offtopic_aside_bar=0.95).domain is None


@pytest.mark.parametrize(
    ("p", "history", "unexplained", "refused", "rule"),
    [
        (0.05, (), None, False, "cue-model-keep"),  # the model is sure it is ours: the setting's word does not decide
        (0.3, (), None, True, "cue-margin"),
        (0.05, MATHS_TURN, None, True, "cue-margin"),  # a turn: the model does not read turns
        (0.05, (), 0.6, True, "cue-margin"),  # Chinese: the model reads it through a gloss
    ],
)
def test_a_cue_word_in_the_setting_yields_to_a_model_sure_it_is_maths(
    parts, real_embedder, monkeypatch, p, history, unexplained, refused, rule
):
    q = "Board game night with the kids: why do totals of five dice bunch up in the middle?"
    ev = Evidence("unnamed", "sports", -0.02, ("family-society",), unexplained, p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev, history)
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


@pytest.mark.parametrize(
    ("q", "cues", "p", "history", "refused"),
    [
        ("My kid asked at dinner what an eigenvector is", ("food",), 0.72, (), True),
        ("My kid asked at dinner what an eigenvector is", (), 0.72, (), False),  # no cue word: the clear bar
        ("Netflix ratings: how does the SVD fill in the films I have not rated?", ("film-tv",), 0.5, (), False),
        ("我家孩子吃饭时问特征向量是什么", ("food",), 0.72, (), False),  # Chinese: read through a gloss, its own bar
        ("and what about eigenvectors at dinner?", ("food",), 0.72, MATHS_TURN, False),  # a turn: its own bar
    ],
)
def test_clear_words_with_another_domains_cue_word_yield_to_a_model_leaning_other(
    parts, real_embedder, monkeypatch, q, cues, p, history, refused
):
    verdict = decided(parts, real_embedder, monkeypatch, q, Evidence(None, cues=cues, p_other=p), history)
    assert (verdict.domain is not None, verdict.rule) == (refused, "clear")
    if refused:
        assert verdict.domain == cues[0]


def test_the_clear_cue_bar_is_a_setting(parts, real_embedder, monkeypatch):
    q = "My kid asked at dinner what an eigenvector is"
    ev = Evidence(None, cues=("food",), p_other=0.72)
    assert decided(parts, real_embedder, monkeypatch, q, ev).domain is not None
    assert decided(parts, real_embedder, monkeypatch, q, ev, offtopic_model_clear_cue_bar=0.75).domain is None


def test_the_evidence_of_clear_words_carries_the_cue_words(check, parts):
    ev = check.evidence(ctx_of("Over dinner my kid asked what an eigenvector is", parts))
    assert ev.case is None and "food" in ev.cues


@pytest.mark.parametrize(
    ("q", "clear"),
    [
        ("need a calculus refresher I can get through on lunch breaks", True),
        ("I want to brush up on my calculus before the course", True),
        ("any good calculus videos with animations?", True),
        ("the hygienist scraped calculus off my back teeth, is that normal?", False),
        ("the calculus of political campaigns is brutal", False),
    ],
)
def test_calculus_as_something_to_learn_is_a_clear_branch(q, clear):
    assert bool(CLEAR_BRANCH.search(q)) is clear


def test_reads_other_is_false_without_a_model_and_inclusive_at_the_bar():
    assert reads_other(Evidence(None, p_other=0.7), 0.7) and not reads_other(Evidence(None, p_other=0.69), 0.7)
    assert not reads_other(Evidence(None), 0.0)


# ---------------------------------------------------------------- requests for a branch, requests inside a conversation

COMMUTE = "每天坐公交半小时，想拿来补线性代数，求推荐十分钟一集、手机上能看的视频"


@pytest.mark.parametrize(
    ("q", "p", "refused", "rule"),
    [
        (COMMUTE, 0.05, False, "branch-request"),  # the commute and the phone are only the setting
        (COMMUTE, 0.3, True, "cue-margin"),  # the model does not say it is ours: the cue word decides
        ("说到概率，驾考科目二有没有什么技巧能提高一次通过的概率？", 0.05, True, "cue-margin"),  # changes the subject
        ("概率统计的网课要不要花钱买会员看？", 0.05, True, "cue-margin"),  # a decision, not material
    ],
)
def test_a_chinese_request_for_material_on_a_branch_is_kept_when_the_model_is_sure(
    parts, real_embedder, monkeypatch, q, p, refused, rule
):
    changed = q.startswith("说到")
    ev = Evidence("ambiguous", "computing", 0.02, ("computing",), 0.6, p_other=p, changed=changed, branch=True)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev)
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


def test_the_branch_request_bar_is_a_setting(parts, real_embedder, monkeypatch):
    ev = Evidence("ambiguous", "computing", 0.02, ("computing",), 0.6, p_other=0.05, branch=True)
    assert decided(parts, real_embedder, monkeypatch, COMMUTE, ev, offtopic_zh_branch_keep=0.04).domain is not None


@pytest.mark.parametrize(
    ("q", "branch"),
    [
        ("有没有那种网页版、能拖一拖滑块的概率统计教程？", True),  # a request, on a branch
        ("有没有讲梯度的动画视频？", False),  # a request, on a concept: the other rules read it
        ("概率统计期末考了58分，还能补考吗", False),  # a branch, but no request
    ],
)
def test_the_evidence_says_when_a_chinese_request_names_a_branch(check, parts, q, branch):
    assert check.evidence(ctx_of(q, parts)).branch is branch


@pytest.mark.parametrize(("p", "refused"), [(0.7, False), (0.9, True)])
def test_a_request_for_material_inside_the_conversation_is_kept_unless_the_model_is_sure(
    parts, real_embedder, monkeypatch, p, refused
):
    """The model reads such a turn alone ("a tutorial that runs the code as it goes?"): leaning is not enough."""
    q = "能不能用python写一遍？有没有那种边跑代码边讲的教程"
    ev = Evidence("followup", "computing", 0.02, unexplained=0.55, glossed=True, p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev, MATHS_TURN)
    assert verdict.domain is not None if refused else verdict.domain is None


@pytest.mark.parametrize(
    ("q", "p", "refused"),
    [
        ("高一物理作业：小球平抛，速度矢量的大小怎么求", 0.77, True),
        ("高一物理作业：小球平抛，速度矢量的大小怎么求", 0.73, False),
        ("Physics homework: the velocity vector of a thrown ball?", 0.77, False),
    ],
)
def test_a_chinese_first_question_with_clear_words_has_its_own_bar(parts, real_embedder, monkeypatch, q, p, refused):
    """A Chinese turn takes the same bar (read through its gloss, in-scope turns stay low); an English turn the higher
    turn bar."""
    verdict = decided(parts, real_embedder, monkeypatch, q, Evidence(None, p_other=p))
    assert (verdict.domain is not None, verdict.rule) == (refused, "clear")
    in_turn = decided(parts, real_embedder, monkeypatch, q, Evidence(None, p_other=p), MATHS_TURN)
    assert (in_turn.domain is not None) == refused


TRAIL = "How steep is a trail with a 12% gradient for a beginner with a heavy pack?"


@pytest.mark.parametrize(
    ("case", "margin", "p", "history", "refused", "rule"),
    [
        ("ambiguous", -0.1, 0.75, (), True, "ambiguous-lean"),  # the maths words are the trail's
        ("ambiguous", -0.1, 0.6, (), False, "margin"),  # the model barely leans: the margin keeps it
    ],
)
def test_a_first_question_of_ambiguous_words_yields_to_a_model_leaning_further(
    parts, real_embedder, monkeypatch, case, margin, p, history, refused, rule
):
    ev = Evidence(case, "sports", margin, p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, TRAIL, ev, history)
    assert (verdict.domain is not None, verdict.rule) == (refused, rule)


def test_a_few_words_naming_a_term_set_no_scene_for_the_ambiguous_lean_rule(parts, real_embedder, monkeypatch):
    ev = Evidence("ambiguous", "sports", -0.1, p_other=0.75)
    verdict = decided(parts, real_embedder, monkeypatch, "What is a flumbert spectrum?", ev)
    assert (verdict.domain, verdict.rule) == (None, "margin")


def test_the_ambiguous_lean_bar_is_a_setting_and_spares_a_turn(parts, real_embedder, monkeypatch):
    ev = Evidence("ambiguous", "sports", -0.1, p_other=0.75)
    assert decided(parts, real_embedder, monkeypatch, TRAIL, ev, offtopic_model_ambiguous_lean=0.8).domain is None
    turn = Evidence("followup", "sports", -0.1, p_other=0.75)
    assert decided(parts, real_embedder, monkeypatch, TRAIL, turn, MATHS_TURN).domain is None


@pytest.mark.parametrize(
    ("q", "named"),
    [
        ("Is MIT 18.065 too hard for me?", True),
        ("what should I brush up on before starting 18.065?", True),
        ("我开始看18.065之前要先补什么？", True),
        ("3Blue1Brown和StatQuest先刷哪个？", True),
        ("total newbie here. is Josh Starmer's channel a good first stop or do I need something before it?", True),
        ("3Blue1Brown的作者做频道之前在哪工作？", False),  # 之前 about the creator's life, not the learner's start
        ("Does Grant Sanderson of 3Blue1Brown have kids?", False),  # about the creator, not learning with it
        ("where can I buy a cheap printed copy of the MML book?", False),
    ],
)
def test_asking_how_to_learn_with_a_named_resource_is_its_own_case(check, parts, q, named):
    assert (check.evidence(ctx_of(q, parts)).case == "named") is named


@pytest.mark.parametrize(("p", "refused"), [(0.8, False), (0.95, True)])
def test_a_named_resource_question_is_refused_only_when_the_model_is_sure(
    parts, real_embedder, monkeypatch, p, refused
):
    verdict = decided(parts, real_embedder, monkeypatch, "Is MIT 18.065 too hard for me?", Evidence("named", p_other=p))
    assert (verdict.domain is not None, verdict.rule) == (refused, "named")


@pytest.mark.parametrize(("p", "refused"), [(0.93, True), (0.84, False)])
def test_a_pointer_at_the_cited_course_is_refused_when_the_model_is_sure_whatever_the_margin(
    parts, real_embedder, monkeypatch, p, refused
):
    """The margin read the campus visit as maths (-0.02); the scope model, sure enough, does not."""
    q = "I'll be in Boston next month: can I sit in on that class in person, and where do I park?"
    ev = Evidence("cited", "travel", -0.02, ("travel",), p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev, MATHS_TURN)
    assert (verdict.domain is not None, verdict.rule) == (refused, "cited")
    lenient = decided(parts, real_embedder, monkeypatch, q, ev, MATHS_TURN, offtopic_model_cited_bar=0.99)
    assert lenient.domain is None


# ---------------------------------------------------------------- 2026-12-04 evening: turns with another domain's word


@pytest.fixture(scope="module")
def modelled(parts, real_embedder):
    """The check with the shipped scope model, as the tutor runs it."""
    from mathtutor.tutor import scope_model

    topics, _, table = parts
    model = scope_model.load_model(CORPUS / "scope_model.json", Settings().embedding_dim)
    return SenseCheck(Settings(), real_embedder, topics, table, model)


ZH_POINTER = "这个PDF我看了一下午，有什么眼药水能缓解一下？"


@pytest.mark.parametrize(("p", "refused"), [(0.95, True), (0.7, False)])
def test_a_chinese_turn_with_another_domains_word_is_read_alone_at_the_cited_bar(
    parts, real_embedder, monkeypatch, p, refused
):
    ev = Evidence("turn-cue", cues=("health",), p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, ZH_POINTER, ev, MATHS_TURN)
    assert (verdict.domain, verdict.rule) == ("health" if refused else None, "turn-cue")
    lenient = decided(parts, real_embedder, monkeypatch, ZH_POINTER, ev, MATHS_TURN, offtopic_model_cited_bar=0.99)
    assert lenient.domain is None


def test_the_chinese_turn_with_a_cue_word_is_measured_and_one_without_is_not(modelled, parts):
    with_cue = modelled.evidence(glossed(ZH_POINTER, parts, MATHS_TURN))
    assert (with_cue.case, with_cue.cues) == ("turn-cue", ("health",))
    assert with_cue.p_other is not None
    plain = modelled.evidence(glossed("这个PDF有配套的习题答案吗？", parts, MATHS_TURN))
    assert plain.case is None


@pytest.mark.parametrize(("p", "refused"), [(0.75, True), (0.5, False)])
def test_a_turn_that_changes_the_subject_and_names_nothing_is_read_like_a_first_question(
    parts, real_embedder, monkeypatch, p, refused
):
    q = "sort of unrelated, but my nephew asked whether a used copy from a market stall is worth it?"
    ev = Evidence("followup", None, -0.2, changed=True, p_other=p)
    verdict = decided(parts, real_embedder, monkeypatch, q, ev, MATHS_TURN)
    assert (verdict.domain is not None, verdict.rule) == (refused, "changed-lean" if refused else "margin")


def test_main_ingredient_is_not_principal_components(check, parts):
    """主成分 alone is an ingredient list's word as often as the statistics one; 主成分分析 is PCA."""
    q = "这瓶防晒霜的主成分是氧化锌吗？我过敏体质能不能用？"
    assert check.judge(glossed(q, parts)) == "health"
    assert check.judge(glossed("主成分分析里第一主成分的方向是怎么求的？", parts)) is None


def test_a_request_for_courses_on_the_maths_of_ml_keeps_a_workplace_setting(modelled, parts):
    q = "单位能报销带证书的网课。有没有讲机器学习相关数学、能拿证书的在线课程？"
    ev = modelled.evidence(glossed(q, parts))
    assert (ev.case, ev.cues) == ("subject", ("workplace",))
    assert modelled.judge(glossed(q, parts)) is None
    # no material asked for: the setting's complaint is the question
    complaint = "公司说我的贷款额度是机器学习模型算出来的，额度一下砍了一半，可以去哪里投诉？"
    assert modelled.evidence(glossed(complaint, parts)).case != "subject"


def test_what_to_take_after_a_finished_resource_of_ours_is_ours(modelled, parts):
    """The model reads it as a student's course choice (p > 0.9); the named resource and the next step say otherwise,
    but only when what comes next is something to learn."""
    assert modelled.judge(glossed("I've worked through all of MIT 18.06. What should I take after it?", parts)) is None
    career = "I finished MIT 18.06 last term. what should I do after it, apply for a bank job or a master's?"
    assert modelled.judge(glossed(career, parts)) is not None


@pytest.mark.parametrize(
    ("q", "domain"),
    [
        ("Why does the new space telescope sit at the second Lagrange point and not in orbit?", "school-science"),
        ("My biology book says the cerebral cortex is full of convolutions. Why is it folded?", "school-science"),
        ("为什么中继星要放在地月拉格朗日点上？", "school-science"),
        ("明天线性代数期末考，考场在哪栋楼还没通知，能带计算器吗？", "exams-admissions"),
        ("My stats professor grades on a curve. How do I file a grade appeal with the dean?", "exams-admissions"),
    ],
)
def test_a_lagrange_point_a_brains_folds_and_an_exams_rooms_are_not_ours(modelled, parts, q, domain):
    assert modelled.judge(glossed(q, parts)) == domain


@pytest.mark.parametrize(
    "q",
    [
        "How do Lagrange multipliers find the maximum under a constraint?",
        "What does a convolution compute in a CNN?",
        "拉格朗日乘子法的几何直觉是什么？",
        "Why do convolutions in a CNN share their weights?",
    ],
)
def test_lagrange_multipliers_and_convolutions_are_still_ours(modelled, parts, q):
    assert modelled.judge(glossed(q, parts)) is None
