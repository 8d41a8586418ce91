"""The Chinese term table and the query rewrite: exact segmentations, tags and table errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mathtutor.knowledge import zh
from mathtutor.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
TOPIC_IDS = [c["id"] for c in yaml.safe_load((CORPUS / "topics.yaml").read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def table() -> zh.TermTable:
    return zh.load_terms(CORPUS / "terms_zh.yaml")


def q(text: str, table: zh.TermTable) -> zh.ZhRewrite:
    return zh.translate_query(text, table)


# ---------------------------------------------------------------- the brief's examples


def test_book_request_for_matrix_calculus(table):
    r = q("有没有讲矩阵微积分的书？", table)
    assert r.tokens == ("有没有", "讲", "矩阵微积分", "的", "书")
    assert r.concepts == ("matrix-calculus",)
    assert r.formats == ("book",)
    assert r.intents == ("resource_request",)
    assert r.level is None
    assert r.english == "is there a about matrix calculus book"


def test_beginner_probability_course(table):
    r = q("有没有适合初学者的概率课程？", table)
    assert r.concepts == ("probability-basics",)
    assert r.level == "beginner"
    assert r.formats == ("course",)
    assert r.intents == ("resource_request",)
    assert "probability" in r.english.split()
    assert "course" in r.english.split()


def test_prerequisites_of_pca_is_a_plan_not_the_mission(table):
    r = q("学习主成分分析需要什么数学基础？", table)
    assert r.concepts == ("pca",)
    assert r.intents == ("plan",)
    assert r.level is None  # "基础" (background) is not "beginner"
    assert r.english == "learn principal component analysis what math background is needed"


def test_maths_for_ml_without_a_concept_is_the_mission(table):
    r = q("机器学习需要什么数学基础？", table)
    assert r.concepts == ()
    assert r.intents == ("plan", "mission")


def test_high_school_maths_enough_is_the_mission(table):
    r = q("高中数学够训练自己的模型吗？", table)
    assert r.intents == ("mission",)
    assert r.concepts == ("algebra-precalculus",)
    assert r.english == "high school math enough train my own models"


def test_is_my_maths_enough(table):
    assert q("我的数学够不够？", table).intents == ("mission",)
    assert q("我的數學夠嗎", table).intents == ("mission",)
    # "enough" about something that is not maths is not the mission question
    assert q("时间够吗", table).intents == ()


def test_how_much_maths(table):
    r = q("从调包到自己写模型还需要多少数学？", table)
    assert "mission" in r.intents
    assert "how much math do I need" in r.english


def test_what_next(table):
    r = q("接下来学什么？", table)
    assert r.tokens == ("接下来", "学什么")
    assert r.intents == ("plan", "next_step")
    assert r.english == "next what to learn"
    assert q("学完线性代数之后学什么", table).intents == ("plan", "next_step")


def test_which_page_explains_the_jacobian(table):
    r = q("哪一页讲了雅可比矩阵？", table)
    assert r.tokens == ("哪一页", "讲了", "雅可比矩阵")
    assert r.intents == ("where_explained",)
    assert r.concepts == ("jacobian",)
    assert r.english == "which page explains jacobian matrix"


def test_page_question_naming_a_book_is_not_a_resource_request(table):
    r = q("这本书第几页讲了海森矩阵？", table)
    assert r.concepts == ("hessian",)
    assert r.intents == ("where_explained", "follow_up")
    assert "resource_request" not in r.intents


def test_where_to_start(table):
    r = q("从哪里开始学机器学习？", table)
    assert r.intents == ("plan",)
    assert r.english == "where do I start learn machine learning"


# ---------------------------------------------------------------- segmentation


def test_longest_match_beats_shorter(table):
    assert zh.segment("矩阵乘法", table) == ["矩阵乘法"]
    assert zh.segment("矩阵", table) == ["矩阵"]
    assert zh.segment("梯度下降法", table) == ["梯度下降法"]
    assert zh.segment("随机梯度下降", table) == ["随机梯度下降"]
    assert zh.segment("主成分分析", table) == ["主成分分析"]


def test_segment_keeps_unknown_runs_together(table):
    assert zh.segment("红烧肉好吃吗", table) == ["红烧肉好吃吗"]
    assert zh.segment("今天天气怎么样", table) == ["今天", "天气", "怎么样"]
    assert zh.segment("我想练习矩阵乘法", table) == ["我想", "练习", "矩阵乘法"]


def test_characters_whose_lower_case_is_longer_do_not_shift_matches(table):
    # non-ASCII letters are not Latin tokens (they are skipped), but must not shift what follows
    assert zh.segment("İİ矩阵乘法", table) == ["矩阵乘法"]
    assert zh.segment("İ KL散度", table) == ["KL散度"]


def test_segment_drops_punctuation_and_spaces(table):
    assert zh.segment("特征值， 特征向量。", table) == ["特征值", "特征向量"]
    assert zh.segment("", table) == []


def test_latin_acronym_inside_chinese_is_kept(table):
    r = q("PCA和SVD有什么区别？", table)
    assert r.tokens == ("PCA", "和", "SVD", "有什么区别")
    assert r.latin == ("PCA", "SVD")
    assert r.english == "PCA SVD what is the difference"
    assert r.concepts == ("pca", "svd")  # one-word ids/aliases of topics.yaml
    assert r.intents == ("explain",)


def test_full_width_latin_is_folded(table):
    r = q("ＰＣＡ是什么？", table)
    assert r.latin == ("PCA",)
    assert r.concepts == ("pca",)
    assert r.intents == ("explain",)


def test_latin_prefixed_terms_match_case_insensitively(table):
    assert zh.segment("kl散度", table) == ["kl散度"]
    assert q("什么是KL散度", table).concepts == ("entropy-kl",)
    assert q("截断SVD", table).concepts == ("low-rank-approximation",)


def test_latin_term_does_not_match_inside_a_latin_word(table):
    # "LU分解" is a term, but not at the end of the Latin word "BLU"
    assert zh.segment("BLU分解", table) == ["BLU", "分解"]
    assert zh.segment("LU分解", table) == ["LU分解"]


def test_latin_tokens_keep_inner_dots_and_hyphens(table):
    assert zh.segment("MIT 18.06 课程", table) == ["MIT", "18.06", "课程"]
    assert q("t-SNE和主成分分析", table).latin == ("t-SNE",)


def test_traditional_characters(table):
    r = q("有沒有適合初學者的線性代數課程？", table)
    assert r.level == "beginner"
    assert r.formats == ("course",)
    assert r.intents == ("resource_request",)
    assert "linear algebra" in r.english
    assert q("從哪裡開始學機器學習", table).intents == ("plan",)
    assert q("什麼是特徵值", table).concepts == ("eigendecomposition",)
    assert q("貝氏定理", table).concepts == ("bayes-rule",)
    assert q("常態分佈", table).concepts == ("gaussian-distribution",)


# ---------------------------------------------------------------- formats, levels, traits


def test_formats(table):
    assert q("梯度下降的视频", table).formats == ("video",)
    assert q("反向传播的教材", table).formats == ("book",)
    assert q("概率论公开课", table).formats == ("course",)
    assert q("交互式的线性代数", table).formats == ("interactive",)
    assert q("线性代数视频课程", table).formats == ("video", "course")


def test_interactive_format_is_also_an_interactive_trait(table):
    r = q("有交互式的线性代数教材吗", table)
    assert r.formats == ("interactive", "book")
    assert r.traits == ("interactive",)
    assert r.intents == ("resource_request",)


def test_levels(table):
    assert q("零基础学概率", table).level == "beginner"
    assert q("入门书", table).level == "beginner"
    assert q("面向研究生的凸优化", table).level == "researcher"
    assert q("工程师需要的线性代数", table).level == "practitioner"
    assert q("研究生", table).levels == ("researcher",)  # longest match: not 研究 + 生


def test_resource_traits(table):
    r = q("有没有带习题和答案的线性代数教材", table)
    assert r.traits == ("exercises", "solutions")
    assert r.formats == ("book",)
    assert r.intents == ("resource_request",)
    assert q("讲证明的讲座", table).traits == ("proofs",)
    assert q("用代码讲解梯度下降", table).traits == ("code",)
    assert q("免费的概率课程", table).traits == ("free",)


def test_short_videos_for_the_bus(table):
    r = q("适合在公交车上看的短视频", table)
    assert r.formats == ("video",)
    assert r.traits == ("short",)
    assert r.intents == ("resource_request",)


def test_who_teaches_proofs_well(table):
    r = q("哪个老师讲证明讲得好", table)
    assert r.intents == ("resource_request",)
    assert r.traits == ("proofs",)


# ---------------------------------------------------------------- intents and their rules


def test_weak_cue_alone_is_not_a_resource_request(table):
    # "有没有" with nothing that describes a resource
    assert q("有没有办法理解这个概念", table).intents == ("explain", "follow_up")
    # "更…" with no concept is elliptical: a better way to understand *it*
    assert q("有没有更好的理解方法", table).intents == ("explain", "follow_up")
    assert q("有没有办法理解特征值", table).intents == ("explain",)


def test_weak_cue_with_a_trait_is_a_resource_request(table):
    assert q("有没有免费的", table).intents == ("resource_request",)


def test_practice_inside_a_resource_request_means_exercises(table):
    r = q("推荐一本有练习的概率书", table)
    assert r.intents == ("resource_request",)
    assert r.traits == ("exercises",)


def test_practice_on_its_own(table):
    r = q("我想练习矩阵乘法", table)
    assert r.intents == ("practice",)
    assert r.traits == ()
    assert r.concepts == ("matrix-multiplication",)
    assert q("考考我贝叶斯定理", table).intents == ("practice",)


def test_explain(table):
    assert q("什么是熵？", table).intents == ("explain",)
    assert q("怎么理解反向传播", table).intents == ("explain",)
    assert q("为什么梯度下降有效", table).intents == ("explain",)


def test_follow_ups(table):
    r = q("那初学者呢？", table)
    assert r.intents == ("follow_up",)
    assert r.level == "beginner"
    r = q("有视频吗？", table)
    assert r.formats == ("video",)
    assert r.intents == ("resource_request",)
    assert q("还有吗", table).intents == ("resource_request", "follow_up")
    assert q("这本书适合初学者吗", table).intents == ("resource_request", "follow_up")


def test_ellipsis_with_a_concept_is_not_a_follow_up(table):
    assert q("那特征值呢？", table).intents == ()
    assert q("那特征值呢？", table).concepts == ("eigendecomposition",)


def test_recommend_needs_something_to_recommend(table):
    assert q("推荐一下", table).intents == ()
    assert q("推荐一些学习线性代数的视频", table).intents == ("resource_request",)
    assert q("推荐一下线性代数", table).intents == ("resource_request",)
    r = q("推荐一部好看的电影", table)
    assert r.intents == ()
    assert "movie" in r.english.split()


def test_resource_words_that_are_not_formats(table):
    r = q("有没有讲贝叶斯推断的博客文章？", table)
    assert r.intents == ("resource_request",)
    assert r.formats == ()
    assert r.concepts == ("bayesian-inference",)
    assert q("矩阵求导有什么好的入门资料？", table).intents == ("resource_request",)


def test_what_does_it_have_is_not_a_request(table):
    r = q("特征值和特征向量有什么几何意义？", table)
    assert r.intents == ("explain",)
    assert r.concepts == ("eigendecomposition",)
    assert q("贝叶斯定理是什么意思？", table).tokens == ("贝叶斯定理", "是什么意思")


def test_where_can_i_watch_a_course_is_a_request_not_a_page(table):
    r = q("MIT 18.06 线性代数课程在哪里可以看？", table)
    assert r.intents == ("resource_request",)
    assert r.latin == ("MIT", "18.06")


# ---------------------------------------------------------------- unknown and bad input


def test_unknown_text_gives_an_empty_rewrite(table):
    r = q("红烧肉好吃吗", table)
    assert r.empty
    assert r.english == ""
    assert r.concepts == r.formats == r.intents == r.traits == r.levels == ()
    assert r.unknown == ("红烧肉好吃吗",)
    assert q("", table).empty
    assert q("？！。", table).empty


def test_everyday_words_keep_off_topic_questions_off_topic(table):
    r = q("今天天气怎么样", table)
    assert r.english == "weather"
    assert r.intents == r.concepts == ()


def test_english_text_passes_through(table):
    r = q("what is SVD", table)
    assert r.english == "what is SVD"
    assert r.concepts == ("svd",)


def test_too_long_is_refused_in_words(table):
    with pytest.raises(ValueError, match="too long"):
        zh.translate_query("矩阵" * 3000, table)
    with pytest.raises(TypeError, match="must be text"):
        zh.translate_query(None, table)  # type: ignore[arg-type]


def test_has_cjk():
    assert zh.has_cjk("什么是PCA")
    assert zh.has_cjk("貝氏")
    assert not zh.has_cjk("what is PCA?")
    assert not zh.has_cjk("？，。")  # Chinese punctuation alone is not Chinese text
    assert not zh.has_cjk("")


# ---------------------------------------------------------------- the table itself


def test_table_size_and_kinds(table):
    assert len(table) >= 400
    kinds = {t.kind for t in table.terms}
    assert kinds == zh.KINDS


def test_every_concept_has_a_chinese_entry_in_the_table(table):
    covered = {t.concept for t in table.terms if t.concept}
    assert sorted(set(TOPIC_IDS) - covered) == []


def test_every_concept_has_a_chinese_entry_in_table_or_topics():
    topics = yaml.safe_load((CORPUS / "topics.yaml").read_text(encoding="utf-8"))
    table = zh.load_terms(CORPUS / "terms_zh.yaml")
    covered = {t.concept for t in table.terms if t.concept}
    for concept in topics:
        in_aliases = any(zh.has_cjk(a) for a in concept.get("aliases", []) if isinstance(a, str))
        assert concept["id"] in covered or in_aliases, concept["id"]


def test_table_agrees_with_topics_aliases(table):
    topics = zh.read_topics(CORPUS / "topics.yaml")
    for key, cid in topics.zh_aliases.items():
        assert table.by_key[key].concept == cid, key


def test_table_concept_ids_exist(table):
    assert {t.concept for t in table.terms if t.concept} <= set(TOPIC_IDS)


def test_every_tagged_kind_carries_its_tag(table):
    for t in table.terms:
        if t.kind == "format":
            assert t.formats, t.zh
        if t.kind == "level":
            assert t.levels, t.zh
        if t.kind == "intent":
            assert t.intents, t.zh
        if t.kind == "resource-trait":
            assert t.traits, t.zh


def test_lookup(table):
    assert table.lookup("奇异值分解").en == "singular value decomposition"
    assert table.lookup("奇异值分解").concept == "svd"
    assert table.lookup("不存在的词") is None


def test_load_is_cached():
    assert zh.load_terms(CORPUS / "terms_zh.yaml") is zh.load_terms(CORPUS / "terms_zh.yaml")


# ---------------------------------------------------------------- malformed tables name the line

IDS = ["svd", "pca"]


def bad(text: str) -> str:
    with pytest.raises(zh.TermTableError) as info:
        zh.parse_terms(text, IDS, source="t.yaml")
    return str(info.value)


def test_duplicate_zh_names_both_lines():
    msg = bad(
        "- {zh: 矩阵, en: matrix, kind: concept}\n- {zh: 向量, en: vector, kind: concept}\n"
        "- {zh: 矩阵, en: matrices, kind: concept}\n"
    )
    assert msg == "t.yaml line 3: duplicate zh '矩阵' (first on line 1)"


def test_duplicate_after_folding():
    msg = bad("- {zh: KL散度, en: kl, kind: concept}\n- {zh: kl散度, en: kl, kind: concept}\n")
    assert msg == "t.yaml line 2: duplicate zh 'kl散度' (first on line 1)"


def test_unknown_concept_id():
    msg = bad(
        "- {zh: 奇异值分解, en: svd, kind: concept, concept: svd}\n"
        "- {zh: 特征值, en: eigenvalue, kind: concept, concept: eigenvalues}\n"
    )
    assert msg == "t.yaml line 2: concept 'eigenvalues' is not an id in topics.yaml"


def test_bad_kind():
    assert bad("- {zh: 书, en: book, kind: media, format: book}\n").startswith(
        "t.yaml line 1: kind 'media' is not one of"
    )


def test_kind_needs_its_tag():
    assert bad("\n\n- {zh: 书, en: book, kind: format}\n") == "t.yaml line 3: kind 'format' needs a 'format' field"


def test_bad_tag_value():
    assert bad("- {zh: 书, en: book, kind: format, format: pdf}\n").startswith(
        "t.yaml line 1: format 'pdf' is not one of video, book"
    )


def test_missing_en_and_unknown_field():
    assert bad("- {zh: 书, kind: general}\n") == "t.yaml line 1: 'en' is missing or not text (quote it in YAML)"
    assert bad("- {zh: 书, en: book, kind: general, note: x}\n").startswith("t.yaml line 1: unknown field 'note'")


def test_zh_must_be_chinese_and_en_english():
    assert bad("- {zh: book, en: book, kind: general}\n") == "t.yaml line 1: zh 'book' has no Chinese character"
    assert bad("- {zh: 书, en: 书本, kind: general}\n") == "t.yaml line 1: en '书本' must be English"


def test_concept_on_a_non_concept_kind():
    msg = bad("- {zh: 奇异值分解, en: svd, kind: general, concept: svd}\n")
    assert msg == "t.yaml line 1: concept is set but kind is 'general' (use kind: concept)"


def test_repeated_field_in_one_entry():
    assert bad("- {zh: 书, en: book, en: books, kind: general}\n") == "t.yaml line 1: field 'en' is given twice"


def test_yaml_syntax_error_names_the_line():
    msg = bad("- {zh: 书, en: book, kind: general}\n- {zh: 课, en: course, kind: general\n- {zh: x}\n")
    assert msg.startswith("t.yaml line 3: not valid YAML")


def test_not_a_list():
    assert bad("zh: 书\n") == "t.yaml line 1: expected a list of entries"
    assert bad("") == "t.yaml: the table is empty"
    assert bad("- 书\n") == "t.yaml line 1: each entry must be a mapping like {zh: ..., en: ...}"


def test_conflict_with_topics_alias():
    topics = zh.TopicVocabulary(frozenset(IDS), {"svd": "Singular value decomposition"}, {"奇异值": "svd"})
    with pytest.raises(zh.TermTableError) as info:
        zh.parse_terms("- {zh: 奇异值, en: singular values, kind: concept, concept: pca}\n", topics, source="t.yaml")
    assert str(info.value) == (
        "t.yaml line 1: '奇异值' is an alias of 'svd' in topics.yaml, but the table gives concept 'pca'"
    )


def test_topics_alias_missing_from_table_is_added():
    topics = zh.TopicVocabulary(frozenset(IDS), {"svd": "Singular value decomposition"}, {"奇异值": "svd"})
    t = zh.parse_terms(
        "- {zh: 主成分分析, en: principal component analysis, kind: concept, concept: pca}\n", topics, source="t.yaml"
    )
    r = zh.translate_query("奇异值和主成分分析", t)
    assert r.concepts == ("svd", "pca")
    assert r.english == "singular value decomposition principal component analysis"


def test_bad_table_file_fails_with_its_line(tmp_path: Path):
    (tmp_path / "topics.yaml").write_text("- id: svd\n  name: SVD\n  aliases: [奇异值]\n", encoding="utf-8")
    (tmp_path / "terms_zh.yaml").write_text(
        "# header\n- {zh: 奇异值分解, en: svd, kind: concept, concept: svd}\n- {zh: 书, en: book, kind: format}\n",
        encoding="utf-8",
    )
    with pytest.raises(zh.TermTableError, match=r"^terms_zh.yaml line 3: kind 'format' needs a 'format' field$"):
        zh.load_terms(tmp_path / "terms_zh.yaml")


def test_missing_files_are_reported_by_name(tmp_path: Path):
    with pytest.raises(zh.TermTableError, match=r"^topics.yaml: needed to check concept ids, but it is missing$"):
        zh.load_terms(tmp_path / "terms_zh.yaml")
    (tmp_path / "topics.yaml").write_text("- id: svd\n", encoding="utf-8")
    with pytest.raises(zh.TermTableError, match=r"^terms_zh.yaml: the Chinese term table is missing$"):
        zh.load_terms(tmp_path / "terms_zh.yaml")


# ---------------------------------------------------------------- phrasings added after a held-out check


def test_mission_phrasings(table):
    assert q("做算法工程师数学要到什么水平？", table).intents == ("mission",)
    assert q("大学数学忘光了还能学机器学习吗", table).intents == ("mission",)
    assert q("不会微积分能学深度学习吗？", table).intents == ("mission",)
    # "what level" about something that is not maths is not the mission question
    assert q("这本书是什么水平", table).intents == ("explain", "follow_up")
    assert q("这本书适合什么水平", table).intents == ("follow_up",)


def test_a_whole_field_keeps_the_mission_question(table):
    # 深度学习 maps to neural-networks, but "the maths for deep learning" is the mission question
    r = q("想读懂深度学习论文要补哪些数学", table)
    assert r.intents == ("plan", "mission")
    assert r.concepts == ("neural-networks",)
    # a specific concept makes it a prerequisite question
    assert q("学主成分分析要补哪些数学", table).intents == ("plan",)
    assert q("学PCA需要哪些数学", table).intents == ("plan",)
    assert q("学机器学习需要哪些数学", table).intents == ("plan", "mission")


def test_prerequisite_phrasings(table):
    r = q("学支持向量机前要掌握哪些知识", table)
    assert r.intents == ("plan",)
    assert r.concepts == ("svm",)


def test_comparative_follow_ups(table):
    r = q("有没有更短的？", table)
    assert r.intents == ("resource_request", "follow_up")
    assert r.traits == ("short",)
    r = q("换一本更入门的", table)
    assert r.intents == ("resource_request", "follow_up")
    assert r.formats == ("book",)
    assert r.level == "beginner"
    assert q("还有吗", table).intents == ("resource_request", "follow_up")


def test_give_me_a_problem(table):
    r = q("给我出一道求偏导数的练习题", table)
    assert r.intents == ("practice",)
    assert r.concepts == ("partial-derivatives",)
    assert r.traits == ("exercises",)


def test_common_words_that_only_look_like_cues(table):
    assert q("模型参数怎么更新", table).intents == ()  # 更新 is "update", not "更…" (a follow-up)
    assert q("帮我研究一下主成分分析", table).level is None  # "look into", not the researcher level
    assert q("简单来说什么是熵", table).level is None
    assert q("能够理解反向传播吗", table).intents == ("explain",)  # 能够 is "can", not "够" (enough)


@pytest.mark.parametrize(
    "text",
    [
        "只是微调现成的大模型，用不用学微积分？",
        "我数学一直很差，还有希望学会机器学习吗？",
        "零基础想搞深度学习，数学该从哪儿补起？",
    ],
)
def test_maths_or_a_branch_with_a_need_or_start_cue_is_the_mission(table, text):
    assert "mission" in q(text, table).intents


def test_a_branch_is_not_a_specific_concept_but_a_named_concept_is(table):
    assert "mission" in q("线性代数和概率论，应该先学哪一个？", table).intents
    assert "mission" not in q("学特征值需要什么基础？", table).intents  # a concept's prerequisites: a plan
    assert "mission" not in q("零基础怎么学习微积分？", table).intents  # 零基础 is a level, not a cue


def test_dui_shuxue_is_for_maths_not_a_logarithm(table):
    r = q("做自动驾驶对数学的要求高吗？", table)
    assert "logarithm" not in r.english and "exp-log" not in r.concepts
    assert "logarithm" in q("对数的底数怎么换？", table).english


@pytest.mark.parametrize("text", ["公司能报销带结业证书的网课吗", "药品说明书上写的剂量", "想学书法", "我是部门秘书"])
def test_words_that_contain_book_name_no_book(text, table):
    rewrite = q(text, table)
    assert "book" not in rewrite.formats
    assert "book" not in rewrite.english.split()


def test_bell_shape_is_the_gaussian(table):
    assert "gaussian-distribution" in q("为什么误差加起来总是钟形的？", table).concepts
