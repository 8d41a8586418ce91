"""The books' vocabulary in Chinese (corpus/terms_zh_books.yaml): loaded with the main table, longest match
wins, no one-character false positives, and matching cost does not grow with the table."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from mathtutor.knowledge import zh
from mathtutor.rerank import term_of
from mathtutor.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
BOOKS = CORPUS / "terms_zh_books.yaml"


@pytest.fixture(scope="module")
def table() -> zh.TermTable:
    return zh.load_terms(CORPUS / "terms_zh.yaml")


def english(text: str, table: zh.TermTable) -> str:
    return zh.translate_query(text, table).english


# ---------------------------------------------------------------- loading


def test_the_main_table_comes_with_its_parts(table):
    assert zh.table_files(CORPUS / "terms_zh.yaml") == [CORPUS / "terms_zh.yaml", BOOKS]
    books = yaml.safe_load(BOOKS.read_text(encoding="utf-8"))
    assert len(books) >= 400
    assert len(table) == len(yaml.safe_load((CORPUS / "terms_zh.yaml").read_text(encoding="utf-8"))) + len(books)
    assert table.lookup("迹").en == "trace"
    assert table.source == "terms_zh.yaml+terms_zh_books.yaml"


def test_a_part_alone_is_just_that_file():
    assert zh.table_files(BOOKS) == [BOOKS]


def test_books_entries_are_new_and_their_concepts_exist(table):
    main = {zh.fold(e["zh"]).lower() for e in yaml.safe_load((CORPUS / "terms_zh.yaml").read_text(encoding="utf-8"))}
    books = yaml.safe_load(BOOKS.read_text(encoding="utf-8"))
    assert not main & {zh.fold(e["zh"]).lower() for e in books}
    ids = {c["id"] for c in yaml.safe_load((CORPUS / "topics.yaml").read_text(encoding="utf-8"))}
    assert {e["concept"] for e in books if "concept" in e} <= ids
    assert all(e["kind"] in ("concept", "general") for e in books)


def test_a_duplicate_across_files_names_both(tmp_path):
    (tmp_path / "topics.yaml").write_text("- {id: svd, name: SVD}\n", encoding="utf-8")
    (tmp_path / "terms_zh.yaml").write_text("- {zh: 矩阵, en: matrix, kind: concept}\n", encoding="utf-8")
    (tmp_path / "terms_zh_books.yaml").write_text(
        "- {zh: 迹, en: trace, kind: concept}\n- {zh: 矩阵, en: matrices, kind: concept}\n", encoding="utf-8"
    )
    with pytest.raises(zh.TermTableError) as info:
        zh.load_terms(tmp_path / "terms_zh.yaml")
    assert str(info.value) == "terms_zh_books.yaml line 2: duplicate zh '矩阵' (first on terms_zh.yaml line 1)"


def test_a_part_is_read_after_the_main_file(tmp_path):
    (tmp_path / "topics.yaml").write_text("- {id: svd, name: SVD}\n", encoding="utf-8")
    (tmp_path / "terms_zh.yaml").write_text("- {zh: 矩阵, en: matrix, kind: concept}\n", encoding="utf-8")
    (tmp_path / "terms_zh_extra.yaml").write_text("- {zh: 迹, en: trace, kind: concept}\n", encoding="utf-8")
    table = zh.load_terms(tmp_path / "terms_zh.yaml")
    assert [t.zh for t in table.terms] == ["矩阵", "迹"]
    assert zh.translate_query("矩阵的迹", table).english == "matrix trace"


# ---------------------------------------------------------------- the books' terms translate


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("《Mathematics for Machine Learning》在哪里讲了迹？", "trace"),
        ("MML在哪里讲了阿贝尔群？", "abelian group"),
        ("哪里讲了增广矩阵？", "augmented matrix"),
        ("哪里讲了秩-零化度定理？", "rank-nullity theorem"),
        ("Chasnov在哪里讲了行最简形？", "reduced row echelon form"),
        ("哪里讲了哈达玛积？", "hadamard product"),
        ("哪里讲了辛普森公式？", "simpson's rule"),
        ("哪里讲了斯托克斯定理？", "stokes' theorem"),
        ("哪里讲了无迹变换？", "unscented transform"),
        ("在哪里讲了边缘似然", "marginal likelihood"),
    ],
)
def test_where_questions_read_the_books_terms(question, term):
    assert term_of(question) == term


def test_longest_match_wins(table):
    assert zh.segment("上三角矩阵和矩阵", table) == ["上三角矩阵", "和", "矩阵"]
    assert english("正交补与正交矩阵", table) == "orthogonal complement orthogonal matrix"
    assert zh.segment("无迹变换的迹", table) == ["无迹变换", "的", "迹"]
    assert english("矩阵的迹", table) == "trace of a matrix"  # the main table's longer entry, not 矩阵 + 迹


def test_rest_of_the_question_is_kept(table):
    r = zh.translate_query("楚列斯基分解在MML第几页？", table)
    assert r.english == "cholesky factorization MML which page"
    assert r.concepts == ("matrix-decompositions",)
    assert "where_explained" in r.intents


def test_no_one_character_false_positives(table):
    # 迹 is trace on its own, not inside the words that contain it
    assert "trace" not in english("粒子的运动轨迹", table)
    assert "trace" not in english("这是一个奇迹", table)
    # the books' words never match one character of an ordinary word (基 of 基于, 核 of 核心)
    r = zh.translate_query("基于核心数据的方法", table)
    assert r.english == "data"
    one_char = [t.zh for t in table.terms if len(t.zh) == 1 and t.line and t.zh not in "迹跡"]
    books_one_char = {e["zh"] for e in yaml.safe_load(BOOKS.read_text(encoding="utf-8")) if len(e["zh"]) == 1}
    assert books_one_char == {"迹", "跡"}
    assert "基" not in one_char and "核" not in one_char and "群" not in one_char


# ---------------------------------------------------------------- cost


def test_matching_tries_only_lengths_that_exist(table):
    """Each position looks up at most as many keys as there are distinct key lengths for its first character,
    so matching does not loop over the table (nor over every length up to the longest key)."""
    assert set(table.lengths) == {k[0] for k in table.by_key}
    for first, lengths in table.lengths.items():
        assert list(lengths) == sorted({len(k) for k in table.by_key if k[0] == first}, reverse=True)
    assert max(len(v) for v in table.lengths.values()) < table.max_len

    class Counting(dict):
        gets = 0

        def get(self, key, default=None):  # type: ignore[override]
            Counting.gets += 1
            return super().get(key, default)

    counted = zh.TermTable(
        table.terms, Counting(table.by_key), table.max_len, table.source, table.latin_words, table.lengths
    )
    text = "《Mathematics for Machine Learning》在哪里讲了矩阵的迹和楚列斯基分解？"
    assert zh.translate_query(text, counted).english == zh.translate_query(text, table).english
    per_char = max(len(v) for v in table.lengths.values())
    assert Counting.gets <= per_char * len(text)
    assert Counting.gets < len(text) * table.max_len // 2


def test_a_table_built_by_hand_without_the_index_still_matches(table):
    bare = zh.TermTable(table.terms, table.by_key, table.max_len, table.source, table.latin_words)
    assert zh.segment("上三角矩阵的迹", bare) == zh.segment("上三角矩阵的迹", table)


def test_the_table_is_built_once():
    assert zh.load_terms() is zh.load_terms()


# ---------------------------------------------------------------- the candidate script


def _script():
    path = PROJECT_ROOT / "scripts" / "glossary_candidates.py"
    spec = importlib.util.spec_from_file_location("glossary_candidates", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_candidate_titles_are_cut_into_terms():
    script = _script()
    assert list(script.pieces("Lecture 20: Cramer's Rule, Inverse Matrix and Volume")) == [
        "cramer's rule",
        "inverse matrix",
        "volume",
    ]
    assert list(script.pieces("Summary")) == []
    assert script.key("Symmetric Matrices") == script.key("symmetric matrix")


def test_candidate_coverage_reads_every_table_part(tmp_path: Path):
    script = _script()
    keys = script.covered_keys(CORPUS)
    assert script.key("trace") in keys  # from terms_zh_books.yaml
    assert script.key("singular value decomposition") in keys  # from terms_zh.yaml


def test_table_parts_are_not_ingested_as_course_material(tmp_path: Path):
    from mathtutor.ingest.discovery import discover
    from mathtutor.ingest.linking import ManifestCache

    for name in ("terms_zh.yaml", "terms_zh_books.yaml"):
        (tmp_path / name).write_text("- {zh: 迹, en: trace, kind: concept}\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("# Trace\n\nThe sum of the diagonal.\n", encoding="utf-8")
    found, skipped, errors = discover([tmp_path], ManifestCache())
    assert [c.path.name for c in found] == ["notes.md"]
    assert skipped == [] and errors == []
