"""A second reader for the scope policy: how likely a question is to be about something other than the maths of ML.

The word-sense check (``tutor/offtopic.py``) knows the domains, cue words and ambiguous words its tables list, and
every held-out batch of eval cases brought traps in words they lacked. This model reads the question's whole MiniLM
embedding instead, beside the character n-grams of its words (TF-IDF, as scikit-learn's ``char_wb`` analyser makes
them) and its words and word pairs (the ``word`` analyser): a logistic regression trained on examples we wrote for
it (``corpus/scope_examples.jsonl``, in and out of scope, English and Chinese, written apart from the eval cases, so
the eval's dev split measures it held out). A Chinese question is read as its word-by-word gloss
(``Context.meaning``), as the check reads it. The n-grams see what one sentence vector blurs: the words of the ask
("refund", "proctor", "tattoo") beside the maths word, and the turns of a conversation (5-fold accuracy on the 2,709
examples: 0.875 with the vector alone, 0.921 with both). Word pairs read the ask as a phrase ("grade appeal", "in
japanese"): on the dev split's first questions, held out from the examples, the share of traps above the in-scope
98th percentile went from 0.919 to 0.929 (English) and from 0.855 to 0.903 (Chinese, glossed) with 3,509 examples.

It is stored as JSON (``corpus/scope_model.json``: weights, bias, the n-grams' and words' weights and IDF, the hash
of the examples it was fitted on): no pickle, and no scikit-learn at run time, only a dot product with the vector
the check has already computed and a sum over the question's n-grams and words.
``mathtutor scope-model`` fits it again after the examples change; a test checks that the stored model is the one
its examples give.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mathtutor.knowledge.zh import has_cjk, translate_query
from mathtutor.types import Context

MODEL_FILE = "scope_model.json"
EXAMPLES_FILE = "scope_examples.jsonl"
#: The embedding model whose vectors the weights read; a model file for another is refused.
EMBEDDING = "all-MiniLM-L6-v2"
#: Inverse L2 strength of the fit (scikit-learn's ``C``), chosen by 5-fold cross-validation on the examples
#: alone (2,037 examples: accuracy 0.909 at 2 and 3, 0.902 at 1 and 10; 2,409 with the harder ones of 2026-12-03,
#: whose maths words are clear but whose ask is an exam's rules, a form, a tool, a purchase: 0.892 at 3 and 5, 0.890
#: at 2, 0.886 at 1, 0.888 at 10; 3,109 with the 400 of 2026-12-04, harder still, with the n-grams: 0.912 at 3, 0.913
#: at 2, 0.917 at 5, kept at 3 so that the bars tuned on it stay comparable).
REGULARISATION = 3.0
#: Character n-grams of each word padded with a space on both sides (scikit-learn's ``char_wb``), kept when two
#: examples or more have them; their TF-IDF vector (sublinear tf, L2-normalised) is scaled by NGRAM_SCALE beside the
#: unit-length sentence vector. Chosen by the same cross-validation: (3, 5) 0.921-0.926, (2, 4) 0.919-0.922, at scales
#: 1-2; scale 1.5 at C=3: 0.924 (on the 2,409 examples of the afternoon of 2026-12-03).
NGRAM_RANGE = (3, 5)
NGRAM_MIN_DF = 2
NGRAM_SCALE = 1.5
#: Word unigrams and bigrams (scikit-learn's ``word`` analyser), a third block beside the two, scaled by WORD_SCALE:
#: they see the ask as a phrase ("grade appeal", "in japanese", "how much") where the n-grams see its letters.
#: Chosen on the dev split's first questions (2,121, held out from the examples; 2026-12-04, 3,509 examples), as the
#: share of traps read above the in-scope 98th percentile: English 0.919 -> 0.929, Chinese (glossed) 0.855 -> 0.903
#: at scale 2 (1: 0.921, 0.893; 3: 0.926, 0.916; unigrams alone at 2: 0.901, 0.890).
WORD_RANGE = (1, 2)
WORD_SCALE = 2.0
_WORD = re.compile(r"(?u)\b\w\w+\b")
_EXAMPLE_KEYS = frozenset({"q", "scope", "lang", "why"})
_MAX_QUESTION = 2000
#: How far a probe's probability may move (bfloat16 or int8 query vectors move it a little; another model, a lot).
PROBE_TOLERANCE = 0.1


class ScopeModelError(ValueError):
    """The model or its examples cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class Example:
    """One training question we wrote: in scope (the maths of ML, learning it) or not."""

    q: str
    in_scope: bool
    lang: str
    why: str


def word_ngrams(text: str, lo: int = WORD_RANGE[0], hi: int = WORD_RANGE[1]) -> list[str]:
    """The n-grams scikit-learn's ``word`` analyser makes of lower-cased ``text``: tokens of two or more word
    characters, then each run of ``lo`` to ``hi`` of them joined by a space (a test compares the two)."""
    tokens = _WORD.findall(text.lower())
    out: list[str] = []
    for n in range(lo, hi + 1):
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


def char_ngrams(text: str, lo: int = NGRAM_RANGE[0], hi: int = NGRAM_RANGE[1]) -> list[str]:
    """The n-grams scikit-learn's ``char_wb`` analyser makes of lower-cased ``text``: per word, padded with a space
    on both sides; a word shorter than ``n`` counts once, whole (a test compares the two)."""
    out: list[str] = []
    for word in text.lower().split():
        w = f" {word} "
        for n in range(lo, hi + 1):
            out.extend(w[i : i + n] for i in range(max(1, len(w) - n + 1)))
            if len(w) <= n:
                break
    return out


@dataclass(frozen=True)
class Ngrams:
    """A lexical block of the model: per n-gram its IDF and its weight (already times its scale); ``words`` for
    word n-grams, else character n-grams."""

    idf: dict[str, float]
    weight: dict[str, float]
    words: bool = False

    def score(self, text: str) -> float:
        """Weight times the question's L2-normalised sublinear TF-IDF vector (0 when no n-gram is known)."""
        grams = word_ngrams(text) if self.words else char_ngrams(text)
        counts = Counter(g for g in grams if g in self.idf)
        if not counts:
            return 0.0
        values = {g: (1.0 + math.log(c)) * self.idf[g] for g, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values()))
        return sum(self.weight[g] * v for g, v in values.items()) / norm


@dataclass(frozen=True)
class ScopeModel:
    """Logistic weights over a unit-length MiniLM vector and, when fitted with them, the question's character
    n-grams: ``p_other`` is the probability of "not ours"."""

    weights: np.ndarray
    bias: float
    examples_sha256: str
    n_examples: int
    #: (text, p_other) pairs the fit measured: an embedder that does not reproduce them is not the model's
    probes: tuple[tuple[str, float], ...] = ()
    ngrams: Ngrams | None = None
    words: Ngrams | None = None

    def p_other(self, vector: np.ndarray, text: str) -> float:
        """Probability that the question (``text``, and ``vector``, its embedding) is about another subject than the
        maths of ML."""
        z = float(self.weights @ np.asarray(vector, dtype=np.float32)) + self.bias
        if self.ngrams is not None:
            z += self.ngrams.score(text)
        if self.words is not None:
            z += self.words.score(text)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def reads(self, embed_query: Callable[[str], np.ndarray], tolerance: float = PROBE_TOLERANCE) -> bool:
        """Does this embedder give the vectors the weights were fitted on? The probes' probabilities must come out
        as the fit measured them (another model, or a stand-in embedder in tests, gives other numbers)."""
        if not self.probes:
            return False
        return all(abs(self.p_other(embed_query(text), text) - p) <= tolerance for text, p in self.probes)

    def to_json(self) -> str:
        return json.dumps(
            {
                "embedding": EMBEDDING,
                "examples_sha256": self.examples_sha256,
                "n_examples": self.n_examples,
                "regularisation": REGULARISATION,
                "bias": round(self.bias, 6),
                "probes": [{"text": t, "p_other": round(p, 4)} for t, p in self.probes],
                "weights": [round(float(w), 6) for w in self.weights],
                "ngrams": _ngrams_json(self.ngrams, NGRAM_RANGE),
                "words": _ngrams_json(self.words, WORD_RANGE),
            },
            indent=None,
            ensure_ascii=False,
        )


def _ngrams_json(block: Ngrams | None, span: tuple[int, int]) -> dict[str, object] | None:
    if block is None:
        return None
    terms = {g: [round(block.idf[g], 5), round(block.weight[g], 6)] for g in sorted(block.idf)}
    return {"range": list(span), "terms": terms}


def _same_block(a: Ngrams | None, b: Ngrams | None, tol: float) -> bool:
    if a is None or b is None:
        return a is b
    if a.words != b.words or a.idf.keys() != b.idf.keys():
        return False
    keys = sorted(a.idf)
    pairs = [(a.idf, b.idf), (a.weight, b.weight)]
    return all(np.allclose([x[g] for g in keys], [y[g] for g in keys], atol=tol) for x, y in pairs)


def same_model(a: ScopeModel, b: ScopeModel, tol: float = 1e-3) -> bool:
    """Fitted on the same examples, with the same weights up to rounding and BLAS noise."""
    if not (_same_block(a.ngrams, b.ngrams, tol) and _same_block(a.words, b.words, tol)):
        return False
    return (
        a.examples_sha256 == b.examples_sha256
        and abs(a.bias - b.bias) <= tol
        and bool(np.allclose(a.weights, b.weights, atol=tol))
    )


def judged_text(ctx: Context) -> str:
    """What the scope readers embed: the question, or a Chinese question's gloss (the term table's rewrite without
    one)."""
    q = ctx.question
    if ctx.meaning:
        return ctx.meaning
    return translate_query(q).english if has_cjk(q) else q


def load_model(path: Path, dim: int) -> ScopeModel:
    """Read a model file written by :func:`fit` (JSON only), checking it fits vectors of ``dim`` numbers."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScopeModelError(f"{path.name}: cannot read the scope model ({exc.__class__.__name__})") from None
    if not isinstance(raw, dict) or raw.get("embedding") != EMBEDDING:
        raise ScopeModelError(f"{path.name}: not a scope model for {EMBEDDING}")
    weights = np.asarray(raw.get("weights", []), dtype=np.float32)
    bias = raw.get("bias")
    if weights.shape != (dim,) or not np.all(np.isfinite(weights)):
        raise ScopeModelError(f"{path.name}: expected {dim} finite weights, found shape {weights.shape}")
    if not isinstance(bias, (int, float)) or not math.isfinite(bias):
        raise ScopeModelError(f"{path.name}: the bias must be a finite number")
    probes = raw.get("probes", [])
    ok = isinstance(probes, list) and all(
        isinstance(x, dict) and isinstance(x.get("text"), str) and isinstance(x.get("p_other"), (int, float))
        for x in probes
    )
    if not ok or not probes:
        raise ScopeModelError(f"{path.name}: the probes must be a list of {{text, p_other}}")
    pairs = tuple((x["text"], float(x["p_other"])) for x in probes)
    ngrams = _read_ngrams(path, raw.get("ngrams"))
    words = _read_ngrams(path, raw.get("words"), words=True)
    n = int(raw.get("n_examples", 0))
    return ScopeModel(weights, float(bias), str(raw.get("examples_sha256", "")), n, pairs, ngrams, words)


def _read_ngrams(path: Path, raw: object, words: bool = False) -> Ngrams | None:
    """A lexical block of a model file (None: the model has no such block)."""
    if raw is None:
        return None
    key, span = ("words", WORD_RANGE) if words else ("ngrams", NGRAM_RANGE)
    shape = f"{{range: {list(span)}, terms: {{n-gram: [idf, weight]}}}}"
    bad = ScopeModelError(f"{path.name}: {key} must be {shape}")
    if not isinstance(raw, dict) or raw.get("range") != list(span) or not isinstance(raw.get("terms"), dict):
        raise bad
    idf: dict[str, float] = {}
    weight: dict[str, float] = {}
    for g, pair in raw["terms"].items():
        ok = isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, (int, float)) for x in pair)
        if not ok or not all(math.isfinite(x) for x in pair) or pair[0] <= 0:
            raise bad
        idf[g], weight[g] = float(pair[0]), float(pair[1])
    return Ngrams(idf, weight, words) if idf else None


def examples_digest(path: Path) -> str:
    """SHA-256 of the examples file's bytes: the stored model names the examples it was fitted on."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_examples(path: Path) -> list[Example]:
    """Read the training examples, one JSON object per line ({"q", "scope": "in"|"out", "lang", "why"})."""
    out: list[Example] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name} line {n}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError:
            raise ScopeModelError(f"{where}: not JSON") from None
        if not isinstance(raw, dict) or set(raw) != _EXAMPLE_KEYS:
            raise ScopeModelError(f"{where}: expected exactly the keys {sorted(_EXAMPLE_KEYS)}")
        q, scope, lang = raw["q"], raw["scope"], raw["lang"]
        if not isinstance(q, str) or not q.strip() or len(q) > _MAX_QUESTION:
            raise ScopeModelError(f"{where}: q must be a non-empty string of at most {_MAX_QUESTION} characters")
        if scope not in ("in", "out") or lang not in ("en", "zh"):
            raise ScopeModelError(f'{where}: scope must be "in" or "out" and lang "en" or "zh"')
        if (lang == "zh") != has_cjk(q):
            raise ScopeModelError(f"{where}: lang {lang!r} does not match the question's script")
        if q in seen:
            raise ScopeModelError(f"{where}: the same question twice")
        seen.add(q)
        out.append(Example(q, scope == "in", lang, str(raw["why"])))
    if not any(e.in_scope for e in out) or all(e.in_scope for e in out):
        raise ScopeModelError(f"{path.name}: needs examples both in and out of scope")
    return out


def fit_vectors(vectors: np.ndarray, in_scope: Sequence[bool], c: float = REGULARISATION) -> tuple[np.ndarray, float]:
    """Logistic regression (scikit-learn, imported here only: fitting is a build step) of "not ours" on the
    vectors; classes weighted to balance, so the bar does not lean toward the larger side."""
    from sklearn.linear_model import LogisticRegression

    y = np.array([0 if keep else 1 for keep in in_scope])
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    clf.fit(vectors, y)
    return clf.coef_[0], float(clf.intercept_[0])


def fit_with_ngrams(
    vectors: np.ndarray, texts: Sequence[str], in_scope: Sequence[bool], c: float = REGULARISATION
) -> tuple[np.ndarray, float, Ngrams | None, Ngrams | None]:
    """The same regression on each vector beside its text's TF-IDF character n-grams (times NGRAM_SCALE) and word
    n-grams (times WORD_SCALE); a block no two examples share an n-gram of is left out."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    dense = np.asarray(vectors, dtype=np.float64)
    blocks = []
    for words, analyzer, span, scale in (
        (False, "char_wb", NGRAM_RANGE, NGRAM_SCALE),
        (True, "word", WORD_RANGE, WORD_SCALE),
    ):
        tfidf = TfidfVectorizer(analyzer=analyzer, ngram_range=span, min_df=NGRAM_MIN_DF, sublinear_tf=True)
        try:
            blocks.append((words, scale, tfidf, tfidf.fit_transform(list(texts))))
        except ValueError:  # no n-gram in two examples (a handful of examples)
            continue
    coef, bias = fit_vectors(
        hstack([csr_matrix(dense)] + [scale * m for _, scale, _, m in blocks]).tocsr(), in_scope, c
    )
    dim = at = dense.shape[1]
    found: dict[bool, Ngrams] = {}
    for words, scale, tfidf, _ in blocks:
        vocabulary = tfidf.vocabulary_
        idf = {g: float(tfidf.idf_[j]) for g, j in vocabulary.items()}
        weight = {g: float(coef[at + j]) * scale for g, j in vocabulary.items()}
        found[words] = Ngrams(idf, weight, words)
        at += len(vocabulary)
    return np.asarray(coef[:dim], dtype=np.float32), bias, found.get(False), found.get(True)


def fit(
    examples_path: Path, embed: Callable[[list[str]], np.ndarray], gloss: Callable[[str], str] | None
) -> ScopeModel:
    """Fit the model on the examples file: each question is read as the tutor reads a first question (``understand``
    with the Chinese ``gloss`` the tutor uses) and ``embed`` embeds the judged texts."""
    from mathtutor.tutor.understand import understand

    examples = load_examples(examples_path)

    def text(q: str) -> str:
        ctx = understand(q, [], level=None, formats=None, topics=None, catalog=None, gloss=gloss)
        return judged_text(ctx) or q

    texts = [text(e.q) for e in examples]
    vectors = embed(texts)
    weights, bias, ngrams, words = fit_with_ngrams(vectors, texts, [e.in_scope for e in examples])
    model = ScopeModel(weights, bias, examples_digest(examples_path), len(examples), ngrams=ngrams, words=words)
    # probes: the first English examples on each side, as the fit reads them
    picks = [next(i for i, e in enumerate(examples) if e.in_scope == side and e.lang == "en") for side in (True, False)]
    picks += [
        next(i for i, e in enumerate(examples) if e.in_scope == side and i not in picks) for side in (True, False)
    ]
    return replace(model, probes=tuple((texts[i], round(model.p_other(vectors[i], texts[i]), 4)) for i in picks))
