"""Understanding a question: concepts, study-path intent, level, formats, named resources, follow-ups."""

from __future__ import annotations

import pytest

from mathtutor.inputs import check_history, check_level, check_question
from mathtutor.knowledge.catalog import load_catalog
from mathtutor.knowledge.topics import load_topics
from mathtutor.settings import PROJECT_ROOT
from mathtutor.tutor.understand import QuestionError, common_names, resources_in, understand


@pytest.fixture(scope="module")
def shipped():
    corpus = PROJECT_ROOT / "corpus"
    return load_catalog(corpus / "catalog.yaml"), load_topics(corpus / "topics.yaml")


def _ctx(shipped, q, history=(), **kw):
    catalog, topics = shipped
    opts = {"level": None, "formats": None, "topics": topics, "catalog": catalog, "common": common_names(topics)} | kw
    return understand(q, list(history), **opts)


def test_plan_question_with_concept_level_and_format(shipped):
    ctx = _ctx(shipped, "I'm new to this: what videos should I watch to learn PCA?")
    assert ctx.plan and ctx.concepts == ["pca"] and ctx.level == "beginner" and ctx.formats == {"video"}
    assert ctx.resources == set() and not ctx.followup


def test_explicit_level_and_formats_win_and_default_level_applies(shipped):
    ctx = _ctx(shipped, "What is an eigenvector?", level="researcher", formats={"book"})
    assert not ctx.plan and ctx.level == "researcher" and ctx.formats == {"book"}
    assert _ctx(shipped, "What is an eigenvector?", default_level="practitioner").level == "practitioner"
    assert _ctx(shipped, "What is an eigenvector?").level is None


def test_without_the_graph_no_concepts_are_found(shipped):
    assert _ctx(shipped, "What should I study for PCA?", topics=None).concepts == []


def test_elliptical_followup_carries_the_concepts_of_the_last_user_turn(shipped):
    history = [{"role": "user", "content": "What should I study for PCA?"}, {"role": "assistant", "content": "..."}]
    ctx = _ctx(shipped, "and for a beginner?", history)
    assert ctx.concepts == ["pca"] and ctx.followup and ctx.plan and ctx.level == "beginner"


def test_it_refers_to_the_first_resource_the_last_answer_cited(shipped):
    catalog, _ = shipped
    answer = "Try [1] and [2].\n[1] MML <https://mml-book.github.io/>\n[2] D2L <https://d2l.ai/>"
    assert resources_in(answer, catalog) == ["mml-book", "d2l"]
    history = [{"role": "user", "content": "A book for linear algebra?"}, {"role": "assistant", "content": answer}]
    ctx = _ctx(shipped, "Which chapter of it covers optimization?", history)
    assert ctx.resources == {"mml-book"} and ctx.followup


@pytest.mark.parametrize(
    "q",
    [
        "What should I study to understand neural networks?",
        "How do probability distributions relate to Bayesian inference?",
        "What is KL divergence in information theory?",
    ],
)
def test_a_generic_catalog_title_is_not_a_named_resource(shipped, q):
    """Bug 1: "Neural networks", "Bayesian Inference", "Information Theory" are subjects, not resources."""
    assert _ctx(shipped, q).resources == set()


@pytest.mark.parametrize(
    ("q", "named"),
    [
        ("I'm looking for Simon Ward-Jones's post on probability distributions", {"swj-probability-distributions"}),
        ("the 3Blue1Brown series on neural networks", {"3blue1brown", "3b1b-neural-networks"}),
        ("Which chapter of Mathematics for Machine Learning covers PCA?", {"mml-book"}),
    ],
)
def test_a_title_with_a_cue_or_a_distinctive_title_names_a_resource(shipped, q, named):
    assert _ctx(shipped, q).resources == named


@pytest.mark.parametrize(("bad", "words"), [("", "empty"), (None, "text"), ("x" * 2001, "2001 characters")])
def test_bad_questions_are_refused_in_words(bad, words):
    with pytest.raises(QuestionError, match=words):
        check_question(bad)


def test_question_whitespace_is_collapsed_and_bad_history_or_level_refused():
    assert check_question("  What   is\nPCA? ") == "What is PCA?"
    assert check_history(None) == []
    with pytest.raises(QuestionError, match=r"history\[1\]"):
        check_history([{"role": "user", "content": "a"}, {"role": "system", "content": "b"}])
    with pytest.raises(QuestionError, match="one of beginner"):
        check_level("expert")
    assert check_level("researcher") == "researcher"


def test_a_format_word_keeps_the_topic_and_drops_the_cited_resource(shipped):
    cat, topics = shipped
    history = [
        {"role": "user", "content": "What should I study for PCA?"},
        {"role": "assistant", "content": "Read this [1].\n[1] MML <https://mml-book.github.io/>"},
    ]
    videos = understand(
        "Are there videos for that instead?", history, level=None, formats=None, topics=topics, catalog=cat
    )
    assert videos.concepts == ["pca"] and videos.resources == set() and "video" in videos.formats
    book = understand("Which chapter of that book?", history, level=None, formats=None, topics=topics, catalog=cat)
    assert book.resources == {"mml-book"}


def _turns(user: str, answer: str, url: str, title: str = "Source") -> list[dict[str, str]]:
    return [
        {"role": "user", "content": user},
        {"role": "assistant", "content": f"{answer} [1]\n\n**Sources**\n[1] {title} <{url}>"},
    ]


CALCULUS = "https://www.3blue1brown.com/topics/calculus"


@pytest.mark.parametrize("q", ["And how is it used in backpropagation?", "那它在反向传播里具体怎么用？"])
def test_it_is_the_previous_concept_not_the_previous_resource(shipped, q):
    """Bug: "it" bound to the first resource of the previous answer (Essence of calculus), which does not teach
    backpropagation; it is the chain rule, asked about together with backpropagation, in both languages."""
    ctx = _ctx(shipped, q, _turns("What is the chain rule?", "Derivatives of compositions multiply.", CALCULUS))
    assert ctx.resources == set() and ctx.concepts == ["backpropagation", "chain-rule"] and ctx.followup


MML = "https://mml-book.github.io/"


@pytest.mark.parametrize(
    ("first", "q", "concepts"),
    [
        ("What is maximum likelihood estimation?", "why the logarithm?", ["maximum-likelihood", "exp-log"]),
        ("什么是最大似然估计？", "为什么要取对数？", ["maximum-likelihood", "exp-log"]),
        ("What is PCA?", "where do the eigenvectors come in?", ["pca", "eigendecomposition"]),
        (
            "How does gradient descent work?",
            "what does the derivative tell us here?",
            ["gradient-descent", "derivatives"],
        ),
    ],
)
def test_a_tool_of_the_conversations_concept_is_asked_about_inside_it(shipped, first, q, concepts):
    """Was: the turn lost the conversation's concept and was answered about logarithms in general."""
    ctx = _ctx(shipped, q, _turns(first, "It is explained here.", MML))
    assert ctx.concepts == concepts and ctx.followup


@pytest.mark.parametrize(
    ("q", "concepts"),
    [
        ("What is a logarithm?", ["exp-log", "maximum-likelihood"]),  # the tool itself, in the conversation's light
        ("what about derivatives?", ["derivatives"]),  # the same kind of question about a new concept
        ("By the way, why do people use logarithms?", ["exp-log"]),  # a new subject
        ("Any video on logarithms?", ["exp-log"]),  # a resource for the tool
    ],
)
def test_a_tool_asked_for_itself_stays_first_or_alone(shipped, q, concepts):
    ctx = _ctx(shipped, q, _turns("What is maximum likelihood estimation?", "It is explained here.", MML))
    assert ctx.concepts == concepts


@pytest.mark.parametrize(
    ("q", "intent"),
    [("Is that book free to download?", "facts"), ("Who wrote it?", "facts"), ("这本书要收费吗？", "facts")],
)
def test_a_property_of_the_cited_resource_binds_it(shipped, q, intent):
    history = _turns("Which book for linear algebra?", "MML covers it.", "https://mml-book.github.io/")
    ctx = _ctx(shipped, q, history)
    assert ctx.resources == {"mml-book"} and ctx.intent == intent


def test_a_request_for_another_resource_never_restricts_to_the_cited_one(shipped):
    history = _turns(
        "What does the determinant mean?", "It scales areas.", "https://www.3blue1brown.com/topics/linear-algebra"
    )
    ctx = _ctx(shipped, "Could you point me to something with worked exercises on it?", history)
    assert ctx.resources == set() and ctx.intent == "resource" and ctx.concepts == ["determinant"]


def test_another_format_after_a_resource_request_is_a_resource_request_on_the_same_topic(shipped):
    history = _turns("Which book should I use to learn linear algebra for ML?", "MML.", "https://mml-book.github.io/")
    ctx = _ctx(shipped, "Anything I could watch rather than read?", history)
    assert ctx.intent == "resource" and "video" in ctx.formats and ctx.resources == set()
    assert "linear algebra" in ctx.search  # the topic comes with the question, though it names no concept


@pytest.mark.parametrize("q", ["Got it. What comes after that?", "学完这个下一步学什么好？"])
def test_what_comes_next_is_what_the_topic_leads_to(shipped, q):
    _, topics = shipped
    ctx = _ctx(shipped, q, _turns("How does gradient descent work?", "Steps downhill.", "https://d2l.ai/"))
    assert ctx.concepts and set(ctx.concepts) <= set(topics.dependents("gradient-descent")) and not ctx.plan


@pytest.mark.parametrize(
    ("q", "level"), [("Anything for a total beginner?", "beginner"), ("有没有更深入一点的？", "researcher")]
)
def test_chinese_and_english_follow_ups_carry_the_concept_and_change_the_level(shipped, q, level):
    ctx = _ctx(shipped, q, _turns("什么是特征值？", "特征值是拉伸因子。", "https://mml-book.github.io/"))
    assert ctx.concepts == ["eigendecomposition"] and ctx.followup and ctx.level == level
    assert ctx.resources == set()


@pytest.mark.parametrize("q", ["对了，明天哪只股票会涨？", "By the way, can you book me a table for two tonight?"])
def test_a_change_of_subject_does_not_carry_the_topic(shipped, q):
    ctx = _ctx(shipped, q, _turns("什么是期望？", "期望是加权平均。", "https://seeing-theory.brown.edu/"))
    assert ctx.concepts == [] and not ctx.followup and "book" not in ctx.formats


@pytest.mark.parametrize("q", ["What about the SVD?", "那SVD呢？"])
def test_what_about_x_asks_the_previous_question_again_about_x(shipped, q):
    ctx = _ctx(shipped, q, _turns("What should I study for PCA?", "A path.", "https://mml-book.github.io/"))
    assert ctx.concepts == ["svd"] and ctx.plan and ctx.followup
    book = _ctx(shipped, q, _turns("Is there a book on PCA?", "MML.", "https://mml-book.github.io/"))
    assert book.intent == "resource" and book.concepts == ["svd"]


def test_chinese_follow_ups_that_drop_the_pronoun(shipped):
    """Chinese often drops "it": a relation with one named concept is about the previous one, a property with no
    subject of its own is the cited resource's, and "别的" after a resource request asks for more of them."""
    grad = _turns("梯度是什么？", "梯度是偏导数组成的向量。", "https://mml-book.github.io/")
    assert _ctx(shipped, "在深度学习里怎么用？", grad).concepts == ["neural-networks", "gradients"]
    assert _ctx(shipped, "和导数有什么区别？", grad).concepts == ["derivatives", "gradients"]
    assert _ctx(shipped, "有没有更基础的？", grad).level == "beginner"
    course = _turns(
        "有没有讲线性代数的课程？", "MIT 18.06。", "https://ocw.mit.edu/courses/18-06-linear-algebra-spring-2010/"
    )
    code = _ctx(shipped, "有配套代码吗？", course)
    assert code.resources == {"mit-18-06"} and code.intent == "facts"
    more = _ctx(shipped, "还有别的推荐吗？", course)
    assert more.intent == "resource" and more.resources == set() and "linear algebra" in more.search


def test_anything_shorter_moves_away_from_the_resource_just_given(shipped):
    url = "https://ocw.mit.edu/courses/18-06-linear-algebra-spring-2010/"
    history = _turns("Where can I learn linear algebra properly?", "18.06.", url)
    ctx = _ctx(shipped, "That's a lot of lectures. Anything shorter?", history)
    assert ctx.exclude == {"mit-18-06"}


def test_too_dense_anything_gentler_asks_for_another_resource_not_about_its_pages(shipped):
    history = _turns("I need to learn probability properly for ML.", "MML chapter 6.", "https://mml-book.github.io/")
    ctx = _ctx(shipped, "tried it, way too dense, the first few pages already lost me. anything gentler?", history)
    assert ctx.exclude == {"mml-book"} and ctx.resources == set() and ctx.intent != "facts"


def test_a_level_word_alone_asks_about_the_resource_just_cited(shipped):
    history = _turns("贝叶斯定理有没有直观一点的视频？", "3Blue1Brown。", "https://www.youtube.com/@3blue1brown")
    ctx = _ctx(shipped, "它讲不讲证明？", history)
    assert ctx.resources == {"3blue1brown"} and ctx.exclude == set()


def test_a_shorter_kind_inside_the_course_named_stays_in_it(shipped):
    url = "https://ocw.mit.edu/courses/18-06-linear-algebra-spring-2010/"
    history = _turns("How does least squares pick the line?", "18.06 lecture 16.", url)
    ctx = _ctx(shipped, "Does that MIT course have shorter problem-solving videos on this?", history)
    assert ctx.resources == {"mit-18-06"} and ctx.exclude == set()


@pytest.mark.parametrize("q", ["what should I do before that one?", "看这门课之前要先补什么？"])
def test_what_before_the_resource_just_cited_is_the_path_to_it_from_others(shipped, q):
    url = "https://ocw.mit.edu/courses/18-065-matrix-methods-in-data-analysis-signal-processing-and-machine-learning-spring-2018/"
    history = _turns("Is there a course on matrix methods for ML?", "MIT 18.065.", url)
    ctx = _ctx(shipped, q, history)
    assert ctx.plan and ctx.goal == {"mit-18-065"} and ctx.exclude == {"mit-18-065"} and ctx.resources == set()
    assert ctx.concepts


def test_a_dry_book_asks_for_the_other_format_only(shipped):
    history = _turns("概率论有没有入门的书？", "MML。", "https://mml-book.github.io/")
    ctx = _ctx(shipped, "看书太枯燥了，有没有能看的视频？", history)
    assert ctx.formats == {"video"} and ctx.exclude == {"mml-book"}


@pytest.mark.parametrize("q", ["Which chapter covers regression?", "哪一章讲回归？"])
def test_which_chapter_binds_to_the_resource_just_cited(shipped, q):
    history = _turns("Any interactive site for probability?", "Seeing Theory.", "https://seeing-theory.brown.edu/")
    ctx = _ctx(shipped, q, history)
    assert ctx.intent == "where" and ctx.resources == {"seeing-theory"}


@pytest.mark.parametrize(
    "q",
    [
        "Does it actually write out the derivations, or is it mostly pictures?",
        "How many hours a week does it take?",
        "那门课免费吗？",
    ],
)
def test_a_question_about_the_resource_cited_is_answered_from_the_catalog(shipped, q):
    url = "https://ocw.mit.edu/courses/18-06-linear-algebra-spring-2010/"
    history = _turns("有没有讲线性代数的公开课？", "18.06。", url)
    ctx = _ctx(shipped, q, history)
    assert ctx.resources == {"mit-18-06"} and ctx.intent == "facts"


@pytest.mark.parametrize("q", ["然后呢？", "And then?"])
def test_and_then_is_what_comes_next_even_after_a_branch(shipped, q):
    _, topics = shipped
    ctx = _ctx(
        shipped, q, _turns("线性代数入门看什么？", "3b1b。", "https://www.3blue1brown.com/topics/linear-algebra")
    )
    assert ctx.followup and ctx.concepts and set(ctx.concepts) <= set(topics.dependents("matrices"))


def test_the_gloss_is_what_the_mission_readings_judge(shipped):
    calls: list[str] = []
    q = "做了五年运维，想转机器学习，数学要补多少？"
    ctx = _ctx(shipped, q, gloss=lambda text: calls.append(text) or "GLOSS")
    assert calls == [q] and ctx.meaning == "GLOSS" and ctx.intent == "mission"
    assert _ctx(shipped, "What is PCA?", gloss=lambda q: "never").meaning == "What is PCA?"


@pytest.mark.parametrize(
    "q",
    [
        "What are the steps leading up to eigenvalues? I want to go in order.",
        "Before Bayes' rule can make sense, what has to click first?",
        "学奇异值分解前面得按什么顺序学会哪些东西？",
        "想搞懂协方差矩阵，要补哪些线代？",
    ],
)
def test_prerequisite_questions_in_other_words_ask_for_a_study_path(shipped, q):
    ctx = _ctx(shipped, q)
    assert ctx.plan and ctx.concepts


def test_is_a_resource_enough_is_the_mission_question(shipped):
    assert _ctx(shipped, "Is 3Blue1Brown enough for the maths of machine learning?").intent == "mission"


def test_an_interjection_before_and_keeps_the_ellipsis(shipped):
    ctx = _ctx(shipped, "nice, and in 3D?", _turns("What does a determinant measure?", "Area.", CALCULUS))
    assert ctx.followup and "determinant" in ctx.concepts


def test_got_it_points_at_nothing_and_a_new_subject_carries_no_topic(shipped):
    q = "got it. unrelated, what's a good resting heart rate at forty?"
    ctx = _ctx(shipped, q, _turns("What is the chain rule?", "Derivatives of compositions.", CALCULUS))
    assert not ctx.concepts


@pytest.mark.parametrize(
    ("text", "formats"),
    [
        ("a site where I can simulate coin flips, rather than a textbook", {"interactive"}),
        ("I'm taking an online course on it and need a video that explains eigenvalues", {"video"}),
        ("my textbook skips the proof; is there a book that doesn't?", {"book"}),
        ("不想看书，有没有视频讲贝叶斯？", {"video"}),
        ("is there a course on Fourier series?", {"course"}),
        ("free lecture notes with worked solutions, engineering style", {"book"}),  # notes to read, not a video
        ("有没有配套讲义？", {"book"}),
        # "book" the verb is no format
        ("the venue charges extra for a rain cover: would you book it or risk it?", set()),
        ("I'll book a slot with my tutor, but which book covers Bayes?", {"book"}),
        ("we book early every year", set()),
        # what the learner could not do, or tried and left, is their story, not what they ask for
        ("the slides turned into symbols I couldn't read. where do I restart?", set()),
        ("tried an online ML course last spring and quit; any videos that go slower?", {"video"}),
        ("I can't read 400 pages on a screen, any videos?", {"video"}),
        ("I can't find a book that explains the SVD slowly", {"book"}),
    ],
)
def test_formats_turned_down_or_already_had_are_not_asked_for(text, formats):
    from mathtutor.tutor.understand_cues import asked_formats

    assert asked_formats(text) == formats


def test_a_resource_named_outright_stays_whatever_format_word_comes_with_it(shipped):
    turns = _turns("Where can I play with probability visually?", "Seeing Theory does that.",
                   "https://seeing-theory.brown.edu/", "Seeing Theory")  # fmt: skip
    ctx = _ctx(shipped, "Does that site also cover Bayes' rule, so I can watch the posterior change?", turns)
    assert ctx.resources == {"seeing-theory"}


@pytest.mark.parametrize("q", ["三年没碰数学了，想学SVD，补课路线是什么？", "想搞懂反向传播，先补什么？"])
def test_chinese_catch_up_routes_are_study_paths_not_course_requests(shipped, q):
    ctx = _ctx(shipped, q)
    assert ctx.plan and ctx.intent is None


def test_asking_whether_one_is_ready_for_a_named_book_is_the_mission_question(shipped):
    q = "I've done Khan Academy for two months; am I ready for the Mathematics for Machine Learning book?"
    ctx = _ctx(shipped, q)
    assert ctx.intent == "mission" and ctx.resources


def test_what_if_relates_the_new_concept_to_the_previous_one(shipped):
    turns = _turns("What is a derivative?", "The rate of change of a function.", CALCULUS)
    ctx = _ctx(shipped, "ok, what if the input is a vector?", turns)
    assert ctx.concepts[0] == "vectors" and "derivatives" in ctx.concepts and ctx.followup


@pytest.mark.parametrize(
    "q",
    [
        "What should I brush up on before starting MIT 18.065? My linear algebra is a decade old.",
        "打算看 Gilbert Strang 的 18.06，开始之前要先补哪些？",
    ],
)
def test_what_to_learn_before_a_named_resource_plans_toward_it_without_restricting_to_it(shipped, q):
    ctx = _ctx(shipped, q)
    assert ctx.plan and not ctx.resources
    named = _ctx(shipped, "Which lectures of MIT 18.065 cover the SVD?")
    assert named.resources  # a question about the resource itself still names it


@pytest.mark.parametrize("q", ["学完这门以后，下一步学什么？", "after that course, what should I study next?"])
def test_what_comes_after_the_cited_resource_is_not_restricted_to_it(shipped, q):
    turns = _turns("有没有系统的概率论公开课？", "MITx 6.431x 是一门完整的大学概率课。",
                   "https://www.edx.org/search?q=Probability+The+Science+of+Uncertainty+and+Data")  # fmt: skip
    ctx = _ctx(shipped, q, turns)
    assert not ctx.resources
    property_ = _ctx(shipped, "这门课免费吗？", turns)
    assert property_.resources  # a question about the course itself still binds to it


EIGEN_TURN = [
    {"role": "user", "content": "where can i learn eigenvalues and eigenvectors properly?"},
    {"role": "assistant", "content": "MIT 18.06 lecture 21 sets up Ax = λx [1].\n\n**Sources**\n[1] MIT 18.06"},
]


def test_another_take_that_names_a_prerequisite_stays_on_the_conversations_concept(shipped):
    q = "too dense for me, he flies through the algebra and i lost the thread. something gentler?"
    ctx = _ctx(shipped, q, EIGEN_TURN)
    assert ctx.followup and ctx.concepts[0] == "eigendecomposition" and ctx.level == "beginner"
    # a concept that is no prerequisite of the conversation's is the learner's new subject
    ctx = _ctx(shipped, "too dense for me. something gentler on Bayes' rule?", EIGEN_TURN)
    assert ctx.concepts[0] == "bayes-rule"


def test_a_chinese_request_to_drag_things_about_asks_for_an_interactive_page(shipped):
    ctx = _ctx(shipped, "有没有那种可以自己拖一拖、改改数字看结果怎么变的网页？")
    assert ctx.intent == "resource" and "interactive" in ctx.formats


def test_what_to_learn_before_a_resource_leads_to_what_it_opens_with(shipped):
    catalog, _ = shipped
    ctx = _ctx(shipped, "what should I brush up on before starting 18.065?")
    first = catalog.resource_of("mit-18-065").parts[0].concepts
    assert ctx.plan and ctx.goal == {"mit-18-065"} and not ctx.resources and ctx.concepts == list(first)
    # a question with its own concept keeps it
    ctx = _ctx(shipped, "what should I know about eigenvalues before starting 18.065?")
    assert ctx.goal == {"mit-18-065"} and ctx.concepts == ["eigendecomposition"]


def test_the_resource_prepared_for_is_no_source_and_its_kind_no_format_asked(shipped):
    ctx = _ctx(shipped, "What should I brush up on before I start Deisenroth's book? Been out of school for 8 years")
    assert ctx.goal == {"mml-book"} and ctx.exclude == {"mml-book"} and "book" not in ctx.formats
    ctx = _ctx(shipped, "What videos should I watch before I start Deisenroth's book?")
    assert ctx.goal == {"mml-book"} and ctx.formats == {"video"}


def test_what_to_brush_up_first_for_a_named_article_in_chinese_makes_it_the_goal(shipped):
    q = "想读Parr和Howard那篇The Matrix Calculus You Need For Deep Learning，但是微积分忘得差不多了，需要先补哪些？"
    ctx = _ctx(shipped, q)
    assert ctx.plan and ctx.goal == {"matrix-calculus"} and ctx.resources == set()


MC_TURN = [
    {"role": "user", "content": "How do I get from single-variable derivatives to the matrix derivatives of backprop?"},
    {
        "role": "assistant",
        "content": "Parr and Howard's article bridges exactly this [1]; MML chapter 5 does it more formally [2].\n\n"
        "**Sources**\n[1] The Matrix Calculus You Need For Deep Learning <https://explained.ai/matrix-calculus/>\n"
        "[2] Mathematics for Machine Learning <https://mml-book.github.io/>",
    },
]


def test_what_comes_after_a_named_resource_is_what_builds_on_it(shipped):
    catalog, topics = shipped
    ctx = _ctx(shipped, "finished the Parr and Howard article yesterday. what comes after it?", MC_TURN)
    assert ctx.finished == "matrix-calculus" and ctx.resources == set() and "matrix-calculus" in ctx.exclude
    covered = set(catalog.resource_of("matrix-calculus").topics)
    assert ctx.concepts and not set(ctx.concepts) & covered
    # each next concept builds directly on something the article teaches
    assert all(set(topics.get(c).prereqs) & covered for c in ctx.concepts)


def test_how_long_a_resource_takes_is_not_what_comes_after_it(shipped):
    ctx = _ctx(shipped, "how long does MIT 18.06 take to finish?")
    assert ctx.finished is None and ctx.resources == {"mit-18-06"}
    ctx = _ctx(shipped, "18.06 学完之后下一门上什么？")
    assert ctx.finished == "mit-18-06" and "mit-18-06" in ctx.exclude


DET_TURN = [
    {"role": "user", "content": "Where can I learn what a determinant means geometrically?"},
    {
        "role": "assistant",
        "content": "The determinant episode of Essence of linear algebra animates it [1]; Strang's lecture proves its "
        "properties [2].\n\n**Sources**\n[1] Essence of linear algebra <https://www.3blue1brown.com/topics/linear-algebra>"
        "\n[2] MIT 18.06 Linear Algebra (Spring 2010) <https://ocw.mit.edu/courses/18-06-linear-algebra-spring-2010/>",
    },
]


@pytest.mark.parametrize(
    ("q", "pointed"),
    [
        ("how many hours is the MIT one?", "mit-18-06"),
        ("how many hours is Strang's one?", "mit-18-06"),
        ("how many hours is Sanderson's one?", "3b1b-essence-linear-algebra"),
        ("how many hours is it?", "3b1b-essence-linear-algebra"),  # nothing tells them apart: the first cited
    ],
)
def test_a_pointer_picks_the_cited_resource_its_maker_or_number_names(shipped, q, pointed):
    assert _ctx(shipped, q, DET_TURN).resources == {pointed}


@pytest.mark.parametrize(
    ("q", "level"),
    [
        ("I failed calc twice in college. Where do I restart for ML?", "beginner"),
        ("Last did maths in school twelve years ago; how much do I need for machine learning?", "beginner"),
        ("高数挂过一次，想学机器学习，数学从哪里补起？", "beginner"),
        ("I passed calc with an A. How much more maths do I need for ML?", None),
    ],
)
def test_a_learner_who_failed_or_left_the_maths_starts_at_the_beginning(shipped, q, level):
    assert _ctx(shipped, q).level == level
