"""The tutor: question (+ conversation) -> understanding -> retrieval -> a cited answer (-> an LLM's wording).

"What should I study for X?" gets an ordered study path, each step with one to three specific
resources; other questions get a short explanation from the best-supported retrieved sentences,
then resources. Ablations (retrieval mode, the topic graph) are arguments of each call, so one
shared Tutor serves concurrent callers with different settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathtutor.ingest.query_cache import expecting
from mathtutor.inputs import check_history, check_level, check_question
from mathtutor.knowledge.senses import SENSES_FILE, load_senses
from mathtutor.knowledge.zh_gloss import gloss as gloss_zh
from mathtutor.rerank import rerank, term_of
from mathtutor.retrieval import MODES, HybridRetriever
from mathtutor.settings import Settings, get_settings
from mathtutor.tutor import coach, guidance, passages, scope_model
from mathtutor.tutor.compose import CitationList, Composer
from mathtutor.tutor.lesson import note_sections
from mathtutor.tutor.mission import MissionDetector
from mathtutor.tutor.offtopic import SenseCheck
from mathtutor.tutor.plan import IndexLookups, pick_resources
from mathtutor.tutor.scope import in_scope
from mathtutor.tutor.understand import QuestionError, common_names, understand
from mathtutor.types import Answer, Citation, Context, Filters, Hit

if TYPE_CHECKING:
    from mathtutor.index.store import IndexStore
    from mathtutor.knowledge.catalog import Catalog
    from mathtutor.knowledge.topics import TopicGraph


class Tutor:
    """Answers questions over one index with the catalog and topic graph. Thread-safe: no per-call state."""

    def __init__(
        self, settings: Settings, store: IndexStore, embedder: Any, catalog: Catalog | None, topics: TopicGraph | None
    ):
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.catalog = catalog
        self.topics = topics
        self.retriever = HybridRetriever(store, embedder, catalog, topics)
        self.lookups = IndexLookups.build(store, embedder, topics, settings.embedding_dim)
        self.notes = note_sections(store.iter_chunks())
        self.composer = Composer(settings, catalog, topics, self.lookups, self.notes)
        self.common_names = common_names(topics)
        table = settings.corpus_dir / SENSES_FILE
        #: The word-sense check of the scope policy (None when the corpus has no offtopic.yaml).
        model_file = settings.corpus_dir / scope_model.MODEL_FILE
        ours = model_file.is_file() and settings.embedding_model.endswith(scope_model.EMBEDDING)
        model = scope_model.load_model(model_file, settings.embedding_dim) if ours else None
        self.senses = SenseCheck(settings, embedder, topics, load_senses(table), model) if table.is_file() else None
        self.mission_like = MissionDetector(embedder, settings.mission_min_similarity)
        #: How queries are embedded (calibration.EmbedChoice) when :meth:`open` made the embedder.
        self.embed_choice: Any = None
        _ = embedder.model  # load the model now, not during the first question

    @classmethod
    def open(
        cls, index_dir: str | Path | None = None, *, embedder: Any = None, prepare: bool = True, **overrides: Any
    ) -> Tutor:
        """Open the index (default: settings.index_dir) with the catalog and topic graph.

        ``prepare`` (see :meth:`prepare`) builds now what questions would build on first use; a process
        that answers one question and exits (``mathtutor ask``) is faster without it.
        """
        from mathtutor.index.store import IndexStore
        from mathtutor.knowledge.catalog import load_catalog
        from mathtutor.knowledge.topics import load_topics

        settings = get_settings(index_dir=Path(index_dir) if index_dir else None, **overrides)
        store = IndexStore.open(settings.index_dir, model=settings.embedding_model, dim=settings.embedding_dim)
        own_embedder = embedder is None
        if own_embedder:
            from mathtutor.ingest.embedding import Embedder

            embedder = Embedder(settings)
        catalog = load_catalog(settings.corpus_dir / "catalog.yaml")
        topics = load_topics(settings.corpus_dir / "topics.yaml")
        tutor = cls(settings, store, embedder, catalog, topics)
        if own_embedder:
            from mathtutor.ingest.tuning import tune_query_embedder

            # precision and threads for one short query, measured once per machine (cached in data_dir);
            # the int8 gate looks for each probe's neighbours among this index's vectors
            tutor.embed_choice = tune_query_embedder(embedder, settings, reference=tutor.lookups.vectors)
        if prepare:
            tutor.prepare()
        return tutor

    def prepare(self) -> None:
        """Build what questions otherwise build on first use: concept vectors, the resource recommender
        (and its vectors), the mission prototypes, the word-sense check's vectors, the Chinese term table.
        Call it once the query embedding is configured, as :meth:`open` does: without it the first questions
        of each kind wait for this (a first study plan embedded up to 7 concepts; issue 14's p95 was mostly
        such first-time work)."""
        from mathtutor.knowledge.zh import load_terms
        from mathtutor.knowledge.zh_gloss import load_glossary

        self.lookups.embed_concepts()
        self.mission_like.prepare()
        if self.senses is not None:
            self.senses.prepare()
        if self.catalog is not None:  # only _guide asks the recommender, and only with a catalog
            self.recommender.matrix()
        load_terms()
        if self._gloss is not None:
            load_glossary()

    @property
    def _gloss(self) -> Callable[[str], str] | None:
        """The Chinese gloss for the meaning checks, unless ``Settings.zh_gloss`` turns it off."""
        return gloss_zh if self.settings.zh_gloss else None

    def ask(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        *,
        level: str | None = None,
        formats: set[str] | None = None,
        backend: str | None = None,
        mode: str = "hybrid",
        use_graph: bool = True,
        learner: Any = None,
    ) -> Answer:
        """Answer ``question`` in the context of ``history``; the keywords are those of :meth:`stream`."""
        answer: Answer | None = None
        options = {"level": level, "formats": formats, "backend": backend, "mode": mode, "use_graph": use_graph}
        options["learner"] = learner
        for piece in self.stream(question, history, **options):
            if isinstance(piece, Answer):
                answer = piece
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        *,
        level: str | None = None,
        formats: set[str] | None = None,
        backend: str | None = None,
        mode: str = "hybrid",
        use_graph: bool = True,
        learner: Any = None,
    ) -> Iterator[str | Answer]:
        """Yield answer text as it is produced, then the final :class:`Answer`.

        ``mode`` ("hybrid", "dense", "bm25") and ``use_graph`` are ablations for evaluations. ``learner`` (a
        ``mathtutor.learning.LearnerHandle``) answers "what should I study next?" from that learner's progress.
        Practice moves (a problem, a hint, an answer to check) are answered exactly, before retrieval.
        """
        t0 = time.perf_counter()
        q = check_question(question)
        hist = check_history(history)
        check_level(level)
        if mode not in MODES:
            raise QuestionError(f"mode must be one of {', '.join(MODES)}")
        backend = backend or self.settings.backend
        ctx = understand(
            q,
            hist,
            level=level,
            formats=formats,
            topics=self.topics if use_graph else None,
            catalog=self.catalog,
            default_level=self.settings.level,
            common=self.common_names,
            mission_like=self.mission_like,
            gloss=self._gloss,
        )
        if self.senses is not None:
            with expecting(self._later_queries(ctx, hist, mode, use_graph)):  # embedded with the check's own text
                verdict = self.senses.verdict(ctx)
            ctx.offtopic, ctx.p_other = verdict.domain, verdict.evidence.p_other
        if learner is not None and ctx.plan:
            ctx.mastered = self._mastered(learner)
        direct = self._coach(ctx, hist, learner)
        if direct is not None:
            direct.timings_ms["total"] = round((time.perf_counter() - t0) * 1000, 2)
            yield from direct.answer.splitlines(keepends=True)
            yield direct
            return
        hits = self.retrieve(ctx, mode)
        t_retrieved = time.perf_counter()
        draft = (self._guide(ctx, hits, mode) if use_graph else None) or self.composer.compose(ctx, hits, mode)
        draft.timings_ms["retrieve"] = round((t_retrieved - t0) * 1000, 2)
        if backend != "extractive" and draft.in_scope:
            from mathtutor.tutor.generate import generate

            final = yield from generate(self.settings, ctx, draft, backend)
        else:
            yield from draft.answer.splitlines(keepends=True)
            final = draft
        t1 = time.perf_counter()
        final.timings_ms["generate"] = round((t1 - t_retrieved) * 1000, 2)
        final.timings_ms["total"] = round((t1 - t0) * 1000, 2)
        yield final

    @cached_property
    def recommender(self) -> Any:
        """Catalog resources as documents of their own (built on first use; vectors cached in data_dir)."""
        from mathtutor.recommend import Recommender

        return Recommender.from_settings(self.settings, embedder=self.embedder, topics=self.topics)

    def _guide(self, ctx: Context, hits: list[Hit], mode: str) -> Answer | None:
        """Which resource fits a description, and how much maths / in what order: see tutor/guidance.py."""
        if self.catalog is None:
            return None
        cites = CitationList(self.lookups, self.settings.public_url)
        if ctx.offtopic is not None:
            return None  # the composer refuses it
        names = {c.id: c.name for c in self.topics.concepts} if self.topics is not None else {}
        picks = lambda c, n: pick_resources(c, ctx, set(), n, self.catalog, self.lookups)  # noqa: E731
        if ctx.intent == "mission" and set(ctx.concepts) <= guidance.GENERAL:
            recs = self.recommender.search(ctx.search, k=4, level=ctx.level, concepts=guidance.FOUNDATIONS)
            return guidance.mission_answer(ctx, recs, self.catalog, cites, names, picks)
        if ctx.intent == "facts":
            return guidance.facts_answer(ctx, self.catalog, cites, names, picks)
        answerable = in_scope(ctx, hits, self.settings, mode) or (
            self.senses is not None and self.senses.request_about_maths(ctx)
        )
        if ctx.intent == "resource" and not ctx.plan and answerable:
            k = 5 + len(ctx.exclude)
            recs = self.recommender.search(ctx.search, k=k, formats=ctx.formats, level=ctx.level, concepts=ctx.concepts)
            recs = [r for r in recs if r.resource_id not in ctx.exclude][:5]
            return guidance.resource_answer(ctx, recs, self.catalog, cites)
        return None

    @staticmethod
    def _mastered(learner: Any) -> set[str]:
        """The learner's mastered concepts; none when progress cannot be read (the path is then complete)."""
        from mathtutor.learning import MASTERY_THRESHOLD, LearningError

        try:
            return {c for c, p in learner.mastery().items() if p >= MASTERY_THRESHOLD}
        except LearningError:
            return set()

    def _coach(self, ctx: Context, history: list[dict[str, str]], learner: Any) -> Answer | None:
        """Practice moves, and "what next" for a known learner: answered without retrieval."""
        if learner is not None and coach.wants_next_step(ctx.question):
            return coach.next_step_answer(ctx.question, learner.what_next(), self.topics, self._cite_concept(ctx))
        if ctx.offtopic is not None and coach.last_state(history) is None:
            return None  # "give me interview questions for a marketing job" is no practice request: refused later
        return coach.practice_turn(ctx, history)

    def _cite_concept(self, ctx: Context) -> Callable[[str], list[Citation]]:
        """Where to study a concept: the best resource at the page or minute this index has."""

        def cite(concept: str) -> list[Citation]:
            cites = CitationList(self.lookups, self.settings.public_url)
            for res, part in pick_resources(concept, ctx, set(), 1, self.catalog, self.lookups):
                cites.add_resource(concept, res, part)
            return cites.list

        return cite

    def practice(self, concept: str, *, level: str = "practitioner", seed: int | None = None) -> Any:
        """A practice problem (``mathtutor.practice.Problem``): statement, hints, signed state; never the answer."""
        from mathtutor.practice import make_problem

        return make_problem(concept, level=level, seed=seed)

    def check(self, problem: Any, answer: str) -> Any:
        """Check a learner's answer exactly (``mathtutor.practice.Feedback``); ``problem`` or its state string."""
        from mathtutor.practice import check

        return check(problem, answer)

    def retrieve(self, ctx: Context, mode: str = "hybrid") -> list[Hit]:
        """Passages for the question (restricted to the resources it is about, when there are any)."""
        # format preferences steer which resources are recommended, not which passages explain
        filters = Filters(resources=set(ctx.resources))
        k = self.settings.top_k
        query = ctx.search or ctx.question
        if ctx.intent == "where":  # the page that defines it: a wider pool, re-ranked by page role and definition
            term, concepts = self._search_terms(ctx)
            pool = self.retriever.search(
                term, k=self.settings.where_pool, concepts=concepts, filters=filters or None, mode=mode, diversify=False
            )
            st = self.settings
            weights = {"margin_weight": st.where_margin_weight, "early_weight": st.where_early_weight}
            hits = rerank(pool, ctx.question, weight=st.where_definition_weight, **weights)[:k]
        else:
            # "anything gentler?" after a book: its passages are not the other take asked for (one resource fills
            # at most 3 slots, so 3 more make up for them)
            more = 3 if ctx.exclude else 0
            hits = self.retriever.search(query, k=k + more, concepts=ctx.concepts, filters=filters or None, mode=mode)
            hits = [h for h in hits if not self._excluded(h, ctx.exclude)][:k] or hits[:k]
        if not hits and filters:
            hits = self.retriever.search(query, k=k, concepts=ctx.concepts, mode=mode)
        return [h for h in hits if passages.usable(h.chunk.text)]

    def _excluded(self, hit: Hit, exclude: set[str]) -> bool:
        """Is the passage from a resource the learner asked for something unlike? (Only that one: before the
        3Blue1Brown channel's neural-network series come its linear algebra and calculus series.)"""
        rid = hit.chunk.resource_id
        if not exclude or rid is None or self.catalog is None or rid not in self.catalog:
            return False
        return self.catalog.resource_of(rid).id in exclude

    def _search_terms(self, ctx: Context) -> tuple[str, list[str]]:
        """What the passages are searched for: the query and the concepts whose names expand it."""
        if ctx.intent == "where":
            # the term alone: the book's title and "where is ... explained" match openers and summaries; the term's
            # own concepts, or a follow-up's ("where is the stochastic version explained?") the conversation's
            term = term_of(ctx.question)
            named = self.topics.detect(term) if self.topics is not None and ctx.concepts else []
            return term, list(named or ctx.concepts)
        return ctx.search or ctx.question, list(ctx.concepts)

    def _later_queries(self, ctx: Context, history: list[dict[str, str]], mode: str, use_graph: bool) -> list[str]:
        """The texts this ask will embed after the word-sense check: the passages' query and, for a resource or
        mission question, the recommender's (none for a practice move, answered without retrieval)."""
        if coach.last_state(history) is not None or coach.asks_for_a_problem(ctx.question):
            return []
        texts = []
        if mode in ("hybrid", "dense"):
            query, concepts = self._search_terms(ctx)
            texts.append(self.retriever.expand(query, concepts))
        if use_graph and ctx.intent in ("resource", "mission") and "recommender" in vars(self):  # built: prepared
            texts.append(self.recommender.understand(ctx.search).search_text or ctx.search)
        return texts

    def status(self) -> dict[str, Any]:
        """What the tutor searches: for status lines in the UI and `index info`-like summaries."""
        formats: dict[str, int] = {}
        for rid in self.lookups.by_resource:
            fmt = self.retriever.format_of(rid) or "other"
            formats[fmt] = formats.get(fmt, 0) + 1
        return {"chunks": len(self.store), "resources": len(self.lookups.by_resource), "formats": formats}
