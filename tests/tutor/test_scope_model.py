"""The scope model: its files are read strictly (JSON, checked shapes, examples with exactly our keys), the stored
model is the one its examples give, and with the real embedder it reads whole questions the word tables cannot.

The probes are not the eval cases' (dev or test) and not the training examples'.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from conversations import MATHS_TURN
from mathtutor.knowledge import zh_gloss
from mathtutor.knowledge.senses import load_senses
from mathtutor.knowledge.topics import load_topics
from mathtutor.settings import PROJECT_ROOT, Settings
from mathtutor.tutor import scope_model
from mathtutor.tutor.offtopic import SenseCheck
from mathtutor.tutor.offtopic_rules import OTHER
from mathtutor.tutor.scope_model import Ngrams, ScopeModel, ScopeModelError
from mathtutor.tutor.understand import understand

CORPUS = PROJECT_ROOT / "corpus"


def example(q: str, scope: str = "in", lang: str = "en") -> str:
    return json.dumps({"q": q, "scope": scope, "lang": lang, "why": "probe"}, ensure_ascii=False)


def write(tmp_path, *lines: str):
    path = tmp_path / "examples.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- reading the files


def test_examples_are_read_with_their_labels(tmp_path):
    path = write(tmp_path, example("What is an eigenvalue?"), example("信用卡积分怎么换？", "out", "zh"))
    got = scope_model.load_examples(path)
    assert [(e.in_scope, e.lang) for e in got] == [(True, "en"), (False, "zh")]


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        ([example("a"), "{not json"], "line 2: not JSON"),
        ([example("a"), json.dumps({"q": "b", "scope": "out", "lang": "en"})], "exactly the keys"),
        ([example("a"), example("b", "maybe")], 'scope must be "in" or "out"'),
        ([example("a"), example("积分怎么换", "out", "en")], "does not match the question's script"),
        ([example("a"), example("a", "out")], "the same question twice"),
        ([example("a"), example("b")], "both in and out of scope"),
        ([example("a"), example("x" * 2001, "out")], "at most 2000 characters"),
    ],
)
def test_bad_examples_are_refused_with_the_line(tmp_path, lines, says):
    with pytest.raises(ScopeModelError, match=says):
        scope_model.load_examples(write(tmp_path, *lines))


def model_file(tmp_path, **fields) -> object:
    raw = {
        "embedding": scope_model.EMBEDDING,
        "bias": 0.5,
        "weights": [0.0] * 4,
        "examples_sha256": "x",
        "probes": [{"text": "What is a matrix?", "p_other": 0.1}],
    } | fields
    path = tmp_path / "scope_model.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_a_model_file_round_trips(tmp_path):
    ngrams = Ngrams({" ma": 1.5, "矩阵 ": 2.25}, {" ma": -0.5, "矩阵 ": 0.75})
    model = ScopeModel(
        np.array([1.0, -2.0, 0.5, 0.0], dtype=np.float32), -0.25, "abc", 7, (("What is a matrix?", 0.1),), ngrams
    )
    path = tmp_path / "m.json"
    path.write_text(model.to_json(), encoding="utf-8")
    back = scope_model.load_model(path, 4)
    assert scope_model.same_model(back, model)
    assert back.n_examples == 7
    assert back.probes == (("What is a matrix?", 0.1),)
    assert back.ngrams == ngrams
    assert back.words is None
    assert not scope_model.same_model(back, replace(model, ngrams=None))
    words = Ngrams({"grade appeal": 1.5}, {"grade appeal": 0.25}, words=True)
    path.write_text(replace(model, words=words).to_json(), encoding="utf-8")
    assert scope_model.load_model(path, 4).words == words
    assert not scope_model.same_model(scope_model.load_model(path, 4), model)
    assert not scope_model.same_model(back, replace(model, ngrams=Ngrams({" ma": 1.5}, {" ma": -0.5})))


@pytest.mark.parametrize(
    ("fields", "dim", "says"),
    [
        ({"weights": [0.0] * 3}, 4, "expected 4 finite weights"),
        ({"weights": [0.0, 0.0, 0.0, float("nan")]}, 4, "expected 4 finite weights"),
        ({"embedding": "another-model"}, 4, "not a scope model for"),
        ({"bias": "high"}, 4, "bias must be a finite number"),
        ({"probes": []}, 4, "the probes must be a list"),
        ({"probes": [{"text": "a"}]}, 4, "the probes must be a list"),
        ({"ngrams": {"range": [2, 4], "terms": {" ab": [1.0, 0.5]}}}, 4, "ngrams must be"),
        ({"ngrams": {"range": [3, 5], "terms": {" ab": [0.0, 0.5]}}}, 4, "ngrams must be"),
        ({"ngrams": {"range": [3, 5], "terms": {" ab": [1.0]}}}, 4, "ngrams must be"),
        ({"ngrams": {"range": [3, 5], "terms": {" ab": [1.0, "x"]}}}, 4, "ngrams must be"),
        ({"ngrams": [" ab"]}, 4, "ngrams must be"),
        ({"words": {"range": [3, 5], "terms": {"ab": [1.0, 0.5]}}}, 4, "words must be"),
        ({"words": {"range": [1, 2], "terms": {"ab": [-1.0, 0.5]}}}, 4, "words must be"),
    ],
)
def test_a_model_that_does_not_fit_is_refused(tmp_path, fields, dim, says):
    with pytest.raises(ScopeModelError, match=says):
        scope_model.load_model(model_file(tmp_path, **fields), dim)


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "scope_model.json"
    path.write_bytes(b"\x80\x04\x95 pickled bytes")  # a pickle is never read
    with pytest.raises(ScopeModelError, match="cannot read the scope model"):
        scope_model.load_model(path, 4)


def test_only_the_embedder_it_was_fitted_on_reads_it(real_embedder):
    """A stand-in embedder (or another model) gives other vectors: the probes say so, and the check goes without it."""
    from conftest import FakeEmbedder

    stored = scope_model.load_model(CORPUS / scope_model.MODEL_FILE, Settings().embedding_dim)
    assert stored.reads(real_embedder.embed_query)
    assert not stored.reads(FakeEmbedder().embed_query)
    topics, table = load_topics(CORPUS / "topics.yaml"), load_senses(CORPUS / "offtopic.yaml")
    assert SenseCheck(Settings(), FakeEmbedder(), topics, table, stored).model is None
    assert SenseCheck(Settings(), real_embedder, topics, table, stored).model is stored


# --- the model's arithmetic


def test_p_other_is_the_logistic_of_the_score():
    model = ScopeModel(np.array([2.0, 0.0], dtype=np.float32), -1.0, "", 0)
    assert model.p_other(np.array([0.5, 9.0]), "") == pytest.approx(0.5)
    assert model.p_other(np.array([1.0, 0.0]), "") == pytest.approx(1 / (1 + np.exp(-1.0)))
    assert model.p_other(np.array([1e6, 0.0]), "") == pytest.approx(1.0)  # clipped, no overflow
    assert model.p_other(np.array([-1e6, 0.0]), "") == pytest.approx(0.0)


def test_the_ngrams_add_their_weight_times_the_normalised_tf_idf():
    ngrams = Ngrams({" ab": 2.0, "ab ": 1.0, " ab ": 1.0}, {" ab": 3.0, "ab ": -1.0, " ab ": 0.0})
    # "ab ab": each n-gram twice, tf 1 + ln 2; the vector (2, 1, 1) * (1 + ln 2), normalised
    assert ngrams.score("ab ab") == pytest.approx((3.0 * 2.0 - 1.0 * 1.0) / np.sqrt(6.0))
    assert ngrams.score("AB") == pytest.approx(5.0 / np.sqrt(6.0))  # lower-cased first
    assert ngrams.score("xyz") == 0.0  # nothing known: no weight either way
    model = ScopeModel(np.zeros(2, dtype=np.float32), 0.0, "", 0, ngrams=ngrams)
    assert model.p_other(np.zeros(2), "ab") == pytest.approx(1 / (1 + np.exp(-5.0 / np.sqrt(6.0))))
    assert model.p_other(np.zeros(2), "xyz") == pytest.approx(0.5)


@pytest.mark.parametrize(
    "text",
    ["What is an eigenvalue?", "a", "ab", "abc  de\tf", "  ", "", "Straße ÉCOLE ǅ", "信用卡 积分", "x" * 40],
)
def test_char_ngrams_are_scikit_learns(text):
    """The run-time reader must cut a question into the n-grams the fit saw."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyse = TfidfVectorizer(analyzer="char_wb", ngram_range=scope_model.NGRAM_RANGE).build_analyzer()
    assert scope_model.char_ngrams(text) == analyse(text)


@pytest.mark.parametrize(
    "text",
    ["What is an eigenvalue?", "a", "a b", "It's the L2-norm, isn't it?", "  ", "", "Straße ÉCOLE", "信用卡 积分 x2"],
)
def test_word_ngrams_are_scikit_learns(text):
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyse = TfidfVectorizer(analyzer="word", ngram_range=scope_model.WORD_RANGE).build_analyzer()
    assert scope_model.word_ngrams(text) == analyse(text)


def test_word_blocks_score_word_pairs():
    words = Ngrams({"grade": 1.0, "grade appeal": 2.0}, {"grade": 0.0, "grade appeal": 1.5}, words=True)
    assert words.score("A Grade appeal") == pytest.approx(1.5 * 2.0 / np.sqrt(1.0 + 4.0))
    assert words.score("grade") == 0.0
    assert words.score("xyz") == 0.0


def test_fitting_separates_two_clusters():
    rng = np.random.default_rng(0)
    ours = rng.normal([1.0, 0.0], 0.1, size=(20, 2))
    theirs = rng.normal([0.0, 1.0], 0.1, size=(20, 2))
    weights, bias = scope_model.fit_vectors(np.vstack([ours, theirs]), [True] * 20 + [False] * 20)
    model = ScopeModel(weights, bias, "", 40)
    assert model.p_other(np.array([1.0, 0.0]), "") < 0.2
    assert model.p_other(np.array([0.0, 1.0]), "") > 0.8


def test_the_ngrams_separate_what_the_vectors_cannot():
    """Same vector for every example: only the words ("refund" against "matrix") tell the sides apart."""
    texts = [f"matrix question {i}" for i in range(20)] + [f"refund request {i}" for i in range(20)]
    vectors = np.ones((40, 2))
    weights, bias, ngrams, words = scope_model.fit_with_ngrams(vectors, texts, [True] * 20 + [False] * 20)
    model = ScopeModel(weights, bias, "", 40, ngrams=ngrams, words=words)
    assert model.p_other(np.ones(2), "a refund please") > 0.7
    assert model.p_other(np.ones(2), "the matrix again") < 0.3
    assert set(ngrams.idf) == set(ngrams.weight) and " refu" in ngrams.idf
    assert words.words and {"refund", "refund request"} <= set(words.idf) and words.weight["refund"] > 0


def test_a_word_pair_tells_what_its_words_alone_do_not():
    """Both sides use "grade" and "appeal"; only the pair "grade appeal" is the other side's."""
    ours = [f"why does the proof appeal to the grade {i} intuition" for i in range(20)]
    theirs = [f"how to file a grade appeal {i}" for i in range(20)]
    vectors = np.ones((40, 2))
    *_, words = scope_model.fit_with_ngrams(vectors, ours + theirs, [True] * 20 + [False] * 20)
    assert words.weight["grade appeal"] > 0 > words.weight["the grade"]


def test_too_few_shared_ngrams_fit_the_vector_alone():
    weights, _, ngrams, words = scope_model.fit_with_ngrams(np.eye(2), ["ab", "cd"], [True, False])
    assert ngrams is None and words is None and weights.shape == (2,)


# --- the stored model and the real embedder


def test_the_stored_model_names_its_examples():
    stored = scope_model.load_model(CORPUS / scope_model.MODEL_FILE, Settings().embedding_dim)
    examples = scope_model.load_examples(CORPUS / scope_model.EXAMPLES_FILE)
    assert stored.examples_sha256 == scope_model.examples_digest(CORPUS / scope_model.EXAMPLES_FILE)
    assert stored.n_examples == len(examples)
    assert {e.lang for e in examples} == {"en", "zh"}


def test_fitting_again_gives_the_stored_model(real_embedder):
    """Whoever edits the examples fits the model again (`mathtutor scope-model`)."""
    fitted = scope_model.fit(CORPUS / scope_model.EXAMPLES_FILE, real_embedder.embed, zh_gloss.gloss)
    stored = scope_model.load_model(CORPUS / scope_model.MODEL_FILE, Settings().embedding_dim)
    assert scope_model.same_model(stored, fitted)


@pytest.fixture(scope="module")
def checks(parts, real_embedder):
    topics, _, table = parts
    model = scope_model.load_model(CORPUS / scope_model.MODEL_FILE, Settings().embedding_dim)
    return SenseCheck(Settings(), real_embedder, topics, table, model), SenseCheck(
        Settings(), real_embedder, topics, table
    )


def with_model_parts(check):
    """The embedder, topics, table and model of a check, to build another with other settings."""
    return check.embedder, check.topics, check.table, check.model


def ctx_of(q, parts, history=()):
    topics, catalog, _ = parts
    return understand(q, list(history), level=None, formats=None, topics=topics, catalog=catalog, gloss=zh_gloss.gloss)


@pytest.mark.parametrize(
    "q",
    [
        # a clear maths word in a name: only the whole question says it is medicine
        "The surgeon took out part of my sigmoid colon last month. When can I start running again?",
        # no word of any table of ours: the margins alone keep them
        "My orthodontist says I need a retainer after the braces come off. Is a fixed one better than a removable one?",
        "我家猫最近总是掉毛，是不是缺什么营养？",
        "退烧药的剂量是按体重算的吗？孩子15公斤吃多少？",
    ],
)
def test_the_model_refuses_what_the_tables_keep(checks, parts, q):
    with_model, tables_only = checks
    ctx = ctx_of(q, parts)
    assert tables_only.judge(ctx) in (None, OTHER)  # kept, or refused without a domain of its own
    assert with_model.judge(ctx) is not None
    assert with_model.evidence(ctx).p_other >= Settings().offtopic_model_bar


@pytest.mark.parametrize(
    "q",
    [
        "Why do we square the errors in least squares rather than take absolute values?",
        "Why does the covariance matrix have to be positive semi-definite?",
        "Is there a video course that goes slowly through eigenvectors with pictures?",
        "为什么梯度的方向是函数增长最快的方向？",
        "Two dice: what's the chance the total is at least ten?",
    ],
)
def test_the_model_keeps_maths_questions(checks, parts, q):
    with_model, _ = checks
    ctx = ctx_of(q, parts)
    assert with_model.judge(ctx) is None
    p = with_model.evidence(ctx).p_other
    assert p is None or p < 0.5


@pytest.mark.parametrize(
    "q",
    [
        "In my photo collage app, when I shear a picture and then flip it, is there one single transformation that "
        "does both, and why does doing them in the other order give a different picture?",
        "I paint miniatures and mix colours by weight. If I think of each paint as a list of three numbers, is a mix "
        "just a weighted sum of those lists?",
    ],
)
def test_the_model_keeps_a_first_question_the_margin_alone_places_elsewhere(checks, parts, q):
    """The domain lines match the setting (photo apps, paints); the model reads the question, which is maths."""
    with_model, tables_only = checks
    ctx = ctx_of(q, parts)
    assert tables_only.judge(ctx) is not None
    assert with_model.judge(ctx) is None
    assert with_model.evidence(ctx).p_other < Settings().offtopic_model_keep


@pytest.mark.parametrize(
    "q",
    [
        "我们奶茶店这个月平均每天卖120杯，比上个月少了15%，是不是因为隔壁新开了一家？",  # its numbers kept it
        "Is the GMAT quant section harder than the GRE one?",  # a little nearer exams than maths
    ],
)
def test_the_model_refuses_what_the_margins_leave_in_doubt(checks, parts, q):
    with_model, tables_only = checks
    ctx = ctx_of(q, parts)
    assert tables_only.judge(ctx) is None
    verdict = with_model.verdict(ctx)
    assert verdict.domain is not None and verdict.rule in ("model", "model-lean")
    assert verdict.evidence.p_other >= Settings().offtopic_model_lean


@pytest.mark.parametrize(
    "q",
    [
        "医生说这个药半衰期大概8小时，为什么过了16小时还剩四分之一而不是没了？这种曲线数学上怎么描述？",
        "I run a small used-car lot and plotted price against mileage. I want to understand properly why the best "
        "line minimises the squared errors rather than the plain distances.",
    ],
)
def test_asking_for_the_maths_keeps_a_question_told_in_another_settings_words(checks, parts, q):
    with_model, _ = checks
    verdict = with_model.verdict(ctx_of(q, parts))
    assert verdict.domain is None, verdict


def test_a_chinese_turn_the_table_cannot_explain_is_kept_by_the_conversation(checks, parts):
    """The term table explains little of it (the tables alone refuse it); as a turn of a maths conversation that the
    model does not lean to call another subject's, it is the conversation's."""
    with_model, tables_only = checks
    q = "为啥数据多了，估出来的结果就越准？是按什么速度变准的"
    assert tables_only.judge(ctx_of(q, parts, MATHS_TURN)) is not None
    verdict = with_model.verdict(ctx_of(q, parts, MATHS_TURN))
    assert (verdict.domain, verdict.rule) == (None, "conversation")


def test_a_short_english_turn_is_kept_by_the_conversation(checks, parts):
    with_model, tables_only = checks
    mle = [
        {"role": "user", "content": "What is maximum likelihood estimation?"},
        {
            "role": "assistant",
            "content": "It picks the parameters under which the observed data are most probable [1].\n\n"
            "**Sources**\n[1] Dive into Deep Learning <https://d2l.ai/>",
        },
    ]
    q = "why the log?"  # alone, "log" is nearer a sport's words than the maths
    assert tables_only.judge(ctx_of(q, parts, mle)) is not None
    verdict = with_model.verdict(ctx_of(q, parts, mle))
    assert (verdict.domain, verdict.rule) == (None, "conversation")


@pytest.mark.parametrize(
    ("q", "kept"),
    [
        (
            "扔一大把硬币数正面的个数，为什么次数多了画出来像座山？",
            True,
        ),  # the central limit theorem, in everyday words
        ("一次扔好多骰子把点数加起来，为啥次数多了分布就变成中间高两边低？", True),
        ("商业上常说的降维打击是什么意思？", False),  # a business idiom: the model is not that sure
    ],
)
def test_a_chinese_question_the_model_is_sure_is_ours_is_kept(checks, parts, q, kept):
    with_model, tables_only = checks
    ctx = ctx_of(q, parts)
    assert tables_only.judge(ctx) is not None
    verdict = with_model.verdict(ctx)
    assert (verdict.domain is None) is kept
    assert (verdict.rule == "zh-model-keep") is kept


@pytest.mark.parametrize(
    "q",
    [
        "Our HR department forces everyone's yearly rating onto a normal distribution, and I landed in the bottom "
        "10%. Can my manager put me on a performance plan without a written warning?",
        "公司年终考核按正态分布强制排名，我被分到了末位5%。公司能以此为由直接辞退我吗？要不要申请劳动仲裁？",
    ],
)
def test_maths_words_only_in_the_story_do_not_keep_what_it_asks(checks, parts, q):
    """The normal distribution is the story's; the question asks about employment law. Kept before: a clear word."""
    with_model, _ = checks
    verdict = with_model.verdict(ctx_of(q, parts))
    assert (verdict.domain is not None, verdict.rule) == (True, "aside")
    assert verdict.evidence.aside >= Settings().offtopic_aside_bar
    # a turn of a conversation is not read so: its story may be the conversation's; nor below the whole-question bar
    assert with_model.verdict(ctx_of(q, parts, MATHS_TURN)).evidence.aside is None
    lenient = SenseCheck(Settings(offtopic_aside_lean=1.0), *with_model_parts(with_model))
    assert lenient.verdict(ctx_of(q, parts)).evidence.aside is None


@pytest.mark.parametrize(
    "q",
    [
        "Our HR department forces everyone's yearly rating onto a normal distribution. Why would a company assume "
        "performance is bell-shaped, and what does the standard deviation mean here?",
        "公司年终考核按正态分布强制排名。正态分布到底是什么？为什么大家都默认绩效是钟形的？",
        "我在做用户画像，同事说要先对特征矩阵做主成分分析。我该从哪学起？",
    ],
)
def test_the_same_story_asking_about_the_maths_is_kept(checks, parts, q):
    with_model, _ = checks
    verdict = with_model.verdict(ctx_of(q, parts))
    assert verdict.domain is None and verdict.evidence.aside is None


@pytest.mark.parametrize(
    "q",
    [
        "Family board game night: my kids noticed that when we add up five dice, totals near the middle keep coming "
        "up and the extremes almost never do. Why does adding dice do that?",
        "骑行码表上一直显示瞬时速度，一瞬间根本没骑出距离，这个瞬时速度到底怎么算？",
    ],
)
def test_a_maths_question_set_in_family_life_or_sport_is_kept(checks, parts, q):
    """Was refused: the cue word of the setting ("kids", 骑行) placed it with that domain."""
    with_model, _ = checks
    assert with_model.verdict(ctx_of(q, parts)).domain is None


def test_a_turn_about_the_book_just_cited_is_read_alone(checks, parts):
    """The conversation kept every turn that pointed back; read alone, buying and shipping the book is not ours."""
    with_model, _ = checks
    q = "great, thanks. what's the cheapest place to buy a printed copy, and will it ship to Canada?"
    verdict = with_model.verdict(ctx_of(q, parts, MATHS_TURN))
    assert (verdict.domain, verdict.rule) == (OTHER, "turn")
    assert verdict.evidence.p_other >= Settings().offtopic_model_turn_bar
    kept = with_model.verdict(ctx_of("Who wrote it, and are they still updating it?", parts, MATHS_TURN))
    assert (kept.domain, kept.rule) == (None, "turn")


def test_a_format_word_that_points_at_the_material_asks_for_no_format(checks, parts):
    """ "the little tune at the start of his videos" names the material the turn is about; it asks for no video, so
    the turn is read alone, and what it asks about (an instrument to buy) is not ours."""
    with_model, _ = checks
    q = "the little tune at the start of his videos is lovely. which instrument is it, and where can I buy one?"
    assert with_model.evidence(ctx_of(q, parts, MATHS_TURN)).case == "turn"
    assert with_model.evidence(ctx_of("is there a video of that?", parts, MATHS_TURN)).case is None


class _AsksElsewhere:
    """A stand-in model: the whole question leans away a little (0.5), the asking part alone reads as not ours."""

    def __init__(self, asking: str) -> None:
        self.asking = asking

    def reads(self, embed_query) -> bool:
        return True

    def p_other(self, vector, text: str) -> float:
        return 0.95 if text.startswith(self.asking) else 0.5


def test_the_mission_question_after_the_learners_own_maths_story_is_not_an_aside(checks, parts):
    """Its clear maths words are the learner's story (algebra and trig long forgotten), and what it asks, where to
    restart, names no concept: still the mission question, not a story told to ask about something else."""
    with_model, _ = checks
    asking = "Where should I restart so my evenings are not wasted?"
    q = (
        "I studied civil engineering twenty years ago and now I manage projects. Our firm is adopting AI everywhere "
        "and I want to understand how it works, but I have forgotten even basic algebra and trigonometry. " + asking
    )
    topics, _, table = parts
    check = SenseCheck(Settings(), with_model.embedder, topics, table, _AsksElsewhere(asking))
    ctx = ctx_of(q, parts)
    verdict = check.verdict(ctx)
    assert ctx.intent == "mission" and verdict.evidence.p_other == 0.5
    assert verdict.domain is None and verdict.evidence.aside is None


@pytest.mark.parametrize(
    "q",
    [
        "Is there a video of that instead?",  # another format
        "got anything less dry?",  # another take: alone it reads as not ours
        "what comes after that?",  # the next topic
        "那本书的作者是谁？",  # Chinese turns are not read alone
    ],
)
def test_turns_asking_for_more_of_the_conversation_are_not_read_alone(checks, parts, q):
    with_model, _ = checks
    assert with_model.evidence(ctx_of(q, parts, MATHS_TURN)).case is None
