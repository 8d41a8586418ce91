"""The tutor: question (+ conversation) -> retrieval -> an answer with numbered, resolvable citations.

"What should I study for X?" gets an ordered study path from the topic graph, each step with one to
three specific resources (chapter and page, lecture, episode at a timestamp) and a line on why.
Other questions get a short explanation built from the best-supported retrieved sentences, then
resources. Text inside documents is data: sentences that try to instruct the tutor are never used.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .records import Chunk
from .retrieval import Filters, Hit, HybridRetriever
from .settings import Settings, get_settings
from .sources import NOTES_RESOURCE

if TYPE_CHECKING:
    from .catalog import Catalog, Part, Resource
    from .store import IndexStore
    from .topics import TopicGraph

LEVELS = ("beginner", "practitioner", "researcher")
MAX_QUESTION_CHARS = 2000
#: Below this cosine similarity, with no concept recognised, the materials do not cover a question.
#: Measured on MiniLM: on-topic questions score 0.45-0.75 against their best passage, off-topic
#: ones ("capital of France", "write a poem") 0.05-0.30.
IN_SCOPE_MIN_SIMILARITY = 0.40
#: A recognised concept word lowers the bar, but does not remove it: "when does the *distribution* of
#: the new iPhone start?" names a concept and still matches no passage (0.32), while every on-topic
#: question of the eval set that names a concept, in English or Chinese, scores 0.43 or more.
IN_SCOPE_MIN_SIMILARITY_WITH_CONCEPT = 0.36
#: How many prerequisite hops a study path goes back, per level.
PATH_DEPTH = {"beginner": 4, "practitioner": 3, "researcher": 2}
MAX_PATH_STEPS = 14

_PLAN = re.compile(
    r"\b(what|which)\b.*\b(study|learn|know|read|watch|cover|need)\b"
    r"|\bstudy (path|plan|guide)|\broad ?map\b|\blearning (path|plan)\b|\bprereq|\bprerequisite"
    r"|\bhow (do|can|should|would) (i|you|one) (learn|study|get (into|started)|prepare|master)"
    r"|\bwhere (do|should|can) i (start|begin)\b|\bwhat .*\bbefore\b"
    r"|学什么|学习路线|学习路径|学习计划|需要.*(基础|先学|知识|学)|怎么学|如何学|先修|前置",
    re.IGNORECASE,
)
_FORMAT_HINTS = {
    "video": re.compile(r"\bvideos?\b|youtube|\bwatch\b|\blectures?\b|视频|讲座", re.IGNORECASE),
    "book": re.compile(r"\bbooks?\b|\bchapters?\b|\btextbooks?\b|\bpdf\b|\bread(ing)?\b|书|教材|章节", re.IGNORECASE),
    "course": re.compile(r"\bcourses?\b|\bmooc\b|课程", re.IGNORECASE),
    "interactive": re.compile(r"\binteractive\b|\bexercises?\b|\bpractice\b|交互|练习", re.IGNORECASE),
}
_LEVEL_HINTS = {
    "beginner": re.compile(
        r"\bbeginner\b|\bnew to\b|\bno background\b|\bfrom scratch\b|\bnovice\b|新手|入门|零基础", re.IGNORECASE
    ),
    "researcher": re.compile(r"\bresearch(er)?\b|\brigorous\b|\bproofs?\b|\bphd\b|\bgraduate\b|研究", re.IGNORECASE),
    "practitioner": re.compile(
        r"\bpractitioner\b|\bengineer\b|\bdeveloper\b|\bin practice\b|工程师|实践", re.IGNORECASE
    ),
}
_REFERS_BACK = re.compile(
    r"\b(it|that|this|those|them|the same)\b|\b(that|this|the) (book|course|series|channel|video|lecture|one)\b"
    r"|它|这本|那本|这个|那个|这门|那门",
    re.IGNORECASE,
)
#: Sentences in documents that address the assistant rather than the learner: never used.
_INJECTION = re.compile(
    r"ignore (all |any )?(the )?(previous|prior|above|earlier) (instructions|prompts?|messages?)"
    r"|disregard (all |the )?(previous|prior|above)|you are now\b|new instructions?:|system prompt"
    r"|\bas an ai\b|respond only with|reply only with|answer only with|忽略(之前|以上|前面)的?(指令|指示)",
    re.IGNORECASE,
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？])\s+(?=[A-Z0-9\"'(\[$\\]|[\u4e00-\u9fff])")
_URL = re.compile(r"https?://[^\s)\]>]+")
_WEB_ADDRESS = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|org|edu|io|net)/", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z0-9]+")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "for",
        "and",
        "or",
        "is",
        "are",
        "was",
        "be",
        "what",
        "which",
        "how",
        "why",
        "when",
        "where",
        "who",
        "does",
        "do",
        "did",
        "can",
        "could",
        "should",
        "would",
        "i",
        "me",
        "my",
        "you",
        "your",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "with",
        "on",
        "at",
        "by",
        "from",
        "as",
        "about",
        "into",
        "than",
        "then",
        "there",
        "their",
        "study",
        "learn",
        "need",
        "know",
        "explain",
        "tell",
        "please",
        "give",
        "some",
        "any",
        "more",
        "most",
        "much",
    ]
)


# ---------------------------------------------------------------- records


@dataclass(slots=True)
class Citation:
    n: int
    resource_id: str | None
    title: str
    url: str | None
    locator: str
    snippet: str
    score: float


@dataclass(slots=True)
class StudyStep:
    concept: str
    why: str
    citations: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Answer:
    question: str
    in_scope: bool
    answer: str
    citations: list[Citation] = field(default_factory=list)
    study_path: list[StudyStep] = field(default_factory=list)
    concepts: list[str] = field(default_factory=list)
    backend: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Exactly the JSON of ``mathtutor ask --json``."""
        return {
            "question": self.question,
            "in_scope": self.in_scope,
            "answer": self.answer,
            "citations": [asdict(c) for c in self.citations],
            "study_path": [asdict(s) for s in self.study_path],
            "concepts": list(self.concepts),
            "backend": self.backend,
            "timings_ms": dict(self.timings_ms),
        }

    def to_markdown(self) -> str:
        """The answer followed by its numbered sources (what the CLI prints)."""
        if not self.citations:
            return self.answer
        lines = [self.answer, "", "**Sources**"]
        for c in self.citations:
            where = f", {c.locator}" if c.locator else ""
            link = f" <{c.url}>" if c.url else ""
            lines.append(f"[{c.n}] {c.title}{where}{link}")
        return "\n".join(lines)


class QuestionError(ValueError):
    """The question is empty, too long or not text."""


# ---------------------------------------------------------------- conversation state


@dataclass(slots=True)
class _Context:
    question: str
    concepts: list[str]
    plan: bool
    formats: set[str]
    level: str | None
    resources: set[str]
    followup: bool = False


def _check_question(question: Any) -> str:
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    q = " ".join(question.split())
    if not q:
        raise QuestionError("the question is empty")
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(q)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return q


def _check_history(history: Any) -> list[dict[str, str]]:
    if history is None:
        return []
    if not isinstance(history, list):
        raise QuestionError("history must be a list of {'role', 'content'} messages")
    out = []
    for i, msg in enumerate(history):
        if (
            not isinstance(msg, dict)
            or msg.get("role") not in ("user", "assistant")
            or not isinstance(msg.get("content"), str)
        ):
            raise QuestionError(f"history[{i}] must be {{'role': 'user'|'assistant', 'content': str}}")
        out.append({"role": msg["role"], "content": msg["content"]})
    return out


# ---------------------------------------------------------------- the tutor


class Tutor:
    """Answers questions over one index with the catalog and topic graph. Thread-safe for reads."""

    def __init__(
        self,
        settings: Settings,
        store: IndexStore,
        embedder: Any,
        catalog: Catalog | None,
        topics: TopicGraph | None,
    ):
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.catalog = catalog
        self.topics = topics
        self.retriever = HybridRetriever(store, embedder, catalog, topics)
        #: Ablation switches (evals): retrieval mode, and whether the topic graph is used at all.
        self.retrieval_mode = "hybrid"
        self.use_graph = True
        #: How queries are embedded (calibration.EmbedChoice) when Tutor.open made the embedder.
        self.embed_choice: Any = None
        self._prepare()

    @classmethod
    def open(cls, index_dir: str | Path | None = None, *, embedder: Any = None, **overrides: Any) -> Tutor:
        """Open the index (default: settings.index_dir) with the catalog and topic graph."""
        from .catalog import load_catalog
        from .store import IndexStore
        from .topics import load_topics

        settings = get_settings(index_dir=Path(index_dir) if index_dir else None, **overrides)
        store = IndexStore.open(settings.index_dir, model=settings.embedding_model, dim=settings.embedding_dim)
        own_embedder = embedder is None
        if own_embedder:
            from .embedding import Embedder

            embedder = Embedder(settings)
        catalog = load_catalog(settings.corpus_dir / "catalog.yaml")
        topics = load_topics(settings.corpus_dir / "topics.yaml")
        tutor = cls(settings, store, embedder, catalog, topics)
        if own_embedder:
            from .calibration import tune_query_embedder

            # precision and threads for one short query, measured once per machine (cached in data_dir);
            # the int8 gate looks for each probe's neighbours among this index's vectors
            tutor.embed_choice = tune_query_embedder(embedder, settings, reference=tutor._vectors)
        return tutor

    def _prepare(self) -> None:
        """Per-index lookups built once: vectors by chunk id, chunks per part/resource, concept vectors."""
        import faiss

        index = self.store.index
        n = int(index.ntotal)
        self._ids = faiss.vector_to_array(index.id_map).astype(np.int64) if n else np.zeros(0, np.int64)
        self._vectors = index.index.reconstruct_n(0, n) if n else np.zeros((0, self.settings.embedding_dim))
        self._row = {int(cid): i for i, cid in enumerate(self._ids)}
        self._by_part: dict[str, list[int]] = {}
        self._by_resource: dict[str, list[int]] = {}
        for cid, rid, pid in self.store.chunk_owners():
            if pid:
                self._by_part.setdefault(pid, []).append(cid)
            if rid:
                self._by_resource.setdefault(rid, []).append(cid)
        self._concept_vec: dict[str, np.ndarray] = {}
        if self.topics is not None and n:
            concepts = self.topics.concepts
            vecs = self.embedder.embed([f"{c.name}. {c.summary}" for c in concepts])
            self._concept_vec = {c.id: v for c, v in zip(concepts, vecs, strict=True)}
        _ = self.embedder.model  # load the model now, not during the first question

    # -- public API
    def ask(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        level: str | None = None,
        *,
        backend: str | None = None,
        formats: set[str] | None = None,
    ) -> Answer:
        """Answer ``question`` in the context of ``history``; see :class:`Answer`."""
        answer: Answer | None = None
        for piece in self.stream(question, history, level, backend=backend, formats=formats):
            if isinstance(piece, Answer):
                answer = piece
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        level: str | None = None,
        *,
        backend: str | None = None,
        formats: set[str] | None = None,
    ) -> Iterator[str | Answer]:
        """Yield answer text as it is produced, then the final :class:`Answer`."""
        t0 = time.perf_counter()
        q = _check_question(question)
        hist = _check_history(history)
        if level is not None and level not in LEVELS:
            raise QuestionError(f"level must be one of {', '.join(LEVELS)}")
        backend = backend or self.settings.backend
        ctx = self._understand(q, hist, level, formats)
        hits = self._retrieve(ctx)
        t_retrieved = time.perf_counter()
        draft = self._compose(ctx, hits)
        draft.timings_ms["retrieve"] = round((t_retrieved - t0) * 1000, 2)
        if backend != "extractive" and draft.in_scope:
            from .generation import generate

            final = yield from generate(self, ctx, draft, backend)
        else:
            yield from draft.answer.splitlines(keepends=True)
            final = draft
        t1 = time.perf_counter()
        final.timings_ms["generate"] = round((t1 - t_retrieved) * 1000, 2)
        final.timings_ms["total"] = round((t1 - t0) * 1000, 2)
        yield final

    def status(self) -> dict[str, Any]:
        """What the tutor searches: for status lines in the UI and `index info`-like summaries."""
        formats: dict[str, int] = {}
        for rid in self._by_resource:
            fmt = self.retriever._format_of(rid) or "other"
            formats[fmt] = formats.get(fmt, 0) + 1
        return {"chunks": len(self.store), "resources": len(self._by_resource), "formats": formats}

    # -- understanding
    def _understand(
        self, q: str, history: list[dict[str, str]], level: str | None, formats: set[str] | None
    ) -> _Context:
        topics = self.topics if self.use_graph else None
        concepts = topics.detect(q) if topics is not None else []
        plan = bool(_PLAN.search(q))
        wanted = set(formats or ()) | {f for f, rx in _FORMAT_HINTS.items() if rx.search(q)}
        if level is None:
            level = next((lv for lv, rx in _LEVEL_HINTS.items() if rx.search(q)), None) or self.settings.level
        named = self._named_resources(q)
        ctx = _Context(q, concepts, plan, wanted, level, named)
        previous_users = [m["content"] for m in history if m["role"] == "user"]
        previous_answer = next((m["content"] for m in reversed(history) if m["role"] == "assistant"), "")
        if history and topics is not None:
            if not concepts:
                for text in reversed(previous_users):
                    carried = topics.detect(text)
                    if carried:
                        ctx.concepts, ctx.followup = carried, True
                        ctx.plan = plan or bool(_PLAN.search(text))
                        break
            if not named and _REFERS_BACK.search(q):
                cited = self._resources_in(previous_answer)
                if cited:
                    ctx.resources = {cited[0]}
                    ctx.followup = True
        return ctx

    def _named_resources(self, q: str) -> set[str]:
        if self.catalog is None:
            return set()
        ql = q.lower()
        found = set()
        for r in self.catalog.resources:
            for title in (r.title, *r.alt_titles):
                if len(title) >= 6 and title.lower() in ql:
                    found.add(r.id)
        return found

    def _resources_in(self, text: str) -> list[str]:
        """Catalog resources an earlier answer cited, in order of first mention (by URL)."""
        if self.catalog is None or not text:
            return []
        out: list[str] = []
        for url in _URL.findall(text):
            m = self.catalog.match(url=url.rstrip(".,;"))
            if m is not None and m.resource_id not in out:
                out.append(m.resource_id)
        return out

    # -- retrieval
    def _retrieve(self, ctx: _Context) -> list[Hit]:
        # format preferences steer which resources are recommended, not which passages explain
        filters = Filters(resources=set(ctx.resources))
        query = ctx.question
        if ctx.followup and ctx.concepts and self.topics is not None:
            query = " ".join([query, *(self.topics.get(c).name for c in ctx.concepts)])
        mode = self.retrieval_mode
        k = self.settings.top_k
        hits = self.retriever.search(query, k=k, concepts=ctx.concepts, filters=filters or None, mode=mode)
        if not hits and filters:
            hits = self.retriever.search(query, k=k, concepts=ctx.concepts, mode=mode)
        return [h for h in hits if not _INJECTION.search(h.chunk.text) or _clean_text(h.chunk.text)]

    def in_scope(self, ctx: _Context, hits: list[Hit]) -> bool:
        dense = [h.dense for h in hits if h.dense is not None]
        if ctx.concepts:
            # Concepts carried from earlier turns ("and for a beginner?", "videos for that?") keep the
            # conversation's topic: such elliptical questions match few passages on their own. A question
            # that names a catalog resource is answered from the catalog even if few passages are indexed.
            if ctx.followup or ctx.resources:
                return True
            return not dense or max(dense) >= IN_SCOPE_MIN_SIMILARITY_WITH_CONCEPT
        if not dense:  # BM25-only ablation: its scores do not separate on- from off-topic, so any hit counts
            return bool(hits) and self.retrieval_mode == "bm25"
        return max(dense) >= IN_SCOPE_MIN_SIMILARITY

    # -- composition
    def _compose(self, ctx: _Context, hits: list[Hit]) -> Answer:
        if not self.in_scope(ctx, hits):
            return self._out_of_scope(ctx)
        cites = _Citations()
        if ctx.plan and ctx.concepts:
            steps, body = self._study_path(ctx, cites)
            intro = self._explain(ctx, hits, cites, max_sentences=1)
            text = "\n".join([*intro, "", *body]) if intro else "\n".join(body)
            return Answer(ctx.question, True, text, cites.list, steps, list(ctx.concepts))
        lines = self._explain(ctx, hits, cites, max_sentences=3)
        more = self._more_resources(ctx, cites)
        if more:
            lines += ["", "**Where to read more**", *more] if lines else ["**Where to read more**", *more]
        if not lines:
            return self._out_of_scope(ctx)
        return Answer(ctx.question, True, "\n".join(lines), cites.list, [], list(ctx.concepts))

    def _out_of_scope(self, ctx: _Context) -> Answer:
        examples = (
            "linear algebra (vectors, eigenvalues, SVD, PCA), calculus and matrix calculus, "
            "probability and statistics, optimization, information theory and the maths of neural networks"
        )
        text = (
            "The materials I have don't cover that question, so I won't guess. "
            f'I can help with {examples}: for example, ask "What should I study for PCA?" '
            'or "What is the chain rule used for in backpropagation?"'
        )
        return Answer(ctx.question, False, text, [], [], [])

    def _explain(self, ctx: _Context, hits: list[Hit], cites: _Citations, *, max_sentences: int) -> list[str]:
        """The best-supported sentences of the retrieved passages, each with its citation."""
        terms = _terms(ctx.question)
        if self.topics is not None:
            for c in ctx.concepts:
                concept = self.topics.get(c)
                terms |= _terms(concept.name)
        scored: list[tuple[float, int, str, Hit]] = []
        for rank, hit in enumerate(hits[:6]):
            if hit.chunk.kind == "catalog":
                continue
            for sent in _sentences(hit.chunk.text):
                words = _terms(sent)
                if not words:
                    continue
                overlap = len(words & terms) / (len(terms) or 1)
                score = overlap + (hit.dense or 0.0) * 0.5 - rank * 0.02 + _section_bias(hit.chunk.section)
                scored.append((score, rank, sent, hit))
        scored.sort(key=lambda t: (-t[0], t[1]))
        chosen: list[str] = []
        used_chunks: set[int | None] = set()
        for score, _, sent, hit in scored:
            if len(chosen) >= max_sentences or score <= 0:
                break
            if hit.chunk.id in used_chunks and len(scored) > max_sentences:
                continue
            n = cites.add_chunk(hit.chunk, hit.dense if hit.dense is not None else hit.score)
            used_chunks.add(hit.chunk.id)
            chosen.append(f"- {sent} [{n}]")
        if not chosen:
            return []
        names = self._names(ctx.concepts)
        head = f"Here is what the materials say about {names}:" if names else "Here is what the materials say:"
        return [head, *chosen]

    def _names(self, concepts: list[str]) -> str:
        if self.topics is None or not concepts:
            return ""
        return ", ".join(f"**{self.topics.get(c).name}**" for c in concepts[:3])

    def _more_resources(self, ctx: _Context, cites: _Citations) -> list[str]:
        lines = []
        listed: set[int] = set()
        for concept in ctx.concepts[:2]:
            for res, part in self._pick_resources(concept, ctx, used=set(), limit=2):
                n = self._cite_resource(concept, res, part, cites)
                if n not in listed:
                    listed.add(n)
                    lines.append(f"- {self._label(res, part)} [{n}]")
        if not ctx.concepts and ctx.resources and self.catalog is not None:
            for rid in sorted(ctx.resources):
                res = self.catalog.resource_of(rid)
                n = cites.add_catalog(res, None)
                lines.append(f"- {res.title}: {res.description} [{n}]")
        return lines

    def _study_path(self, ctx: _Context, cites: _Citations) -> tuple[list[StudyStep], list[str]]:
        topics = self.topics
        assert topics is not None
        level = ctx.level or "practitioner"
        targets = [c for c in ctx.concepts if c in topics][:3]
        path = topics.learning_path(targets, depth=PATH_DEPTH[level])
        if level != "beginner":
            path = [c for c in path if c in targets or topics.get(c).area != "foundations"]
        if len(path) > MAX_PATH_STEPS:  # keep the targets and the prerequisites closest to them
            keep = set(targets)
            for hops in range(1, PATH_DEPTH[level] + 1):
                near = set().union(*(topics.prerequisites(t, depth=hops) for t in targets))
                if len(keep | near) > MAX_PATH_STEPS:
                    break
                keep |= near
            path = [c for c in path if c in keep]
        in_path = set(path)
        steps: list[StudyStep] = []
        used: set[str] = set()
        names = self._names(targets).replace("**", "")
        lines = [f"**Study path for {names}** (level: {level}; {len(path)} steps, in order):", ""]
        for i, cid in enumerate(path, start=1):
            concept = topics.get(cid)
            needed_by = [topics.get(d).name for d in topics.dependents(cid) if d in in_path]
            why = concept.summary
            if cid in targets:
                why = f"The goal. {why}"
            elif needed_by:
                why = f"{why} Needed for {', '.join(needed_by[:3])}."
            picks = self._pick_resources(cid, ctx, used, limit=2 if level != "beginner" else 3)
            numbers = []
            refs = []
            for res, part in picks:
                n = self._cite_resource(cid, res, part, cites)
                numbers.append(n)
                refs.append(f"{self._label(res, part)} [{n}]")
                used.add(res.id)
            steps.append(StudyStep(cid, why, numbers))
            where = "; ".join(refs) if refs else "no resource in the catalog yet"
            lines.append(f"{i}. **{concept.name}** — {why}\n   Study: {where}")
        return steps, lines

    def _pick_resources(
        self, concept: str, ctx: _Context, used: set[str], limit: int
    ) -> list[tuple[Resource, Part | None]]:
        """One to three catalog resources that teach ``concept``, fitted to level and format."""
        if self.catalog is None:
            return []
        from .retrieval import FORMAT_GROUPS

        wanted = set().union(*(FORMAT_GROUPS.get(f, {f}) for f in ctx.formats)) if ctx.formats else set()
        level = ctx.level or "practitioner"
        scored = []
        for order, (res, part) in enumerate(self.catalog.teaching(concept)):
            if ctx.resources and res.id not in ctx.resources and res.parent not in ctx.resources:
                continue
            score = 0.0
            score += 2.0 if level in res.levels else 0.0
            score += 3.0 if wanted and res.format in wanted else (-2.0 if wanted else 0.0)
            score += 2.0 if part is not None and part.id in self._by_part else 0.0
            score += 1.0 if res.id in self._by_resource else 0.0
            score += 1.0 if part is not None else 0.0
            if level == "beginner" and res.format in ("video-series", "channel", "interactive"):
                score += 1.0
            if level == "researcher" and res.format in ("book", "course"):
                score += 1.0
            if res.id in used:
                score -= 0.75
            if not res.free or (res.note and "retired" in res.note.lower()):
                score -= 1.0
            scored.append((-score, order, res, part))
        scored.sort(key=lambda t: (t[0], t[1]))
        if wanted and any(res.format in wanted for _, _, res, _ in scored):
            scored = [t for t in scored if t[2].format in wanted]  # honour the preference when we can
        picks: list[tuple[Resource, Part | None]] = []
        seen: set[str] = set()
        for _, _, res, part in scored:
            if res.id in seen:
                continue
            seen.add(res.id)
            picks.append((res, part))
            if len(picks) >= limit:
                break
        return picks

    def _cite_resource(self, concept: str, res: Resource, part: Part | None, cites: _Citations) -> int:
        """Cite the best indexed passage of this resource/part for the concept, else the catalog entry."""
        ids = self._by_part.get(part.id, []) if part is not None else self._by_resource.get(res.id, [])
        vec = self._concept_vec.get(concept)
        if ids and vec is not None:
            rows = [self._row[c] for c in ids if c in self._row]
            if rows:
                sims = self._vectors[rows] @ vec
                best = int(np.argmax(sims))
                chunk = self.store.get_chunks([ids[best]])
                if chunk and chunk[0].kind != "catalog":
                    return cites.add_chunk(chunk[0], float(sims[best]))
        return cites.add_catalog(res, part)

    @staticmethod
    def _label(res: Resource, part: Part | None) -> str:
        if part is None:
            return res.title
        number = f"{part.number} " if part.number else ""
        return f"{res.title} — {number}{part.title}"


# ---------------------------------------------------------------- helpers


class _Citations:
    """Numbers citations in order of first use; the same passage or entry is cited once."""

    def __init__(self) -> None:
        self.list: list[Citation] = []
        self._key: dict[tuple[str, str], int] = {}

    def add_chunk(self, chunk: Chunk, score: float) -> int:
        key = ("chunk", str(chunk.id))
        if key not in self._key:
            self._key[key] = len(self.list) + 1
            title = chunk.title
            if chunk.resource_id == NOTES_RESOURCE:
                title = "mathtutor study note: " + title.removesuffix(" — study note")
            self.list.append(
                Citation(
                    self._key[key],
                    chunk.resource_id if chunk.resource_id != NOTES_RESOURCE else NOTES_RESOURCE,
                    title,
                    chunk.link(),
                    chunk.locator(),
                    _snippet(chunk.text),
                    round(float(score), 4),
                )
            )
        return self._key[key]

    def add_catalog(self, res: Resource, part: Part | None) -> int:
        key = ("catalog", part.id if part is not None else res.id)
        if key not in self._key:
            self._key[key] = len(self.list) + 1
            title = res.title if part is None else Tutor._label(res, part)
            url = (part.url if part is not None and part.url else None) or res.url
            locator = f"p. {part.page}" if part is not None and part.page else ""
            self.list.append(Citation(self._key[key], res.id, title, url, locator, res.description[:240], 1.0))
        return self._key[key]


def _section_bias(section: str | None) -> float:
    """Explanations should come from what-it-is prose, not from reading lists or pitfalls."""
    if not section:
        return 0.0
    last = section.rsplit(" > ", 1)[-1].lower()
    if last.startswith(("what it is", "why")):
        return 0.25
    if last.startswith(("where to learn", "before you start", "common pitfalls")):
        return -0.25
    return 0.0


def _terms(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def _clean_text(text: str) -> str:
    """A passage without the sentences that try to instruct the assistant."""
    return " ".join(s for s in _sentences(text, min_words=1) if not _INJECTION.search(s))


_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE)


def _sentences(text: str, min_words: int = 6) -> list[str]:
    """Sentences of a passage; list items count as sentences of their own."""
    pieces = [" ".join(p.split()) for p in _BULLET.split(text)]
    out = []
    for s in (s for piece in pieces for s in _SENTENCE_SPLIT.split(piece)):
        s = s.strip()
        if len(s.split()) < min_words or len(s) > 400 or _INJECTION.search(s):
            continue
        if min_words > 1 and _WEB_ADDRESS.search(s):  # links in passages are often cut or third-party
            continue
        if sum(ch.isalpha() for ch in s) < 0.5 * len(s):  # formula soup, tables, code
            continue
        out.append(s)
    return out


def _snippet(text: str, limit: int = 300) -> str:
    flat = _clean_text(text) or " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
