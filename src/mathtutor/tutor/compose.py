"""Composing the extractive answer: explanations from retrieved sentences, study paths and resources,
each with a numbered citation that resolves to a passage (page, timestamp, section) or a catalog entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mathtutor.ingest.linking import NOTES_RESOURCE
from mathtutor.ingest.page_roles import mentions
from mathtutor.links import is_note_location, note_url
from mathtutor.rerank import term_of
from mathtutor.tutor import passages
from mathtutor.tutor.coach import wants_explanation
from mathtutor.tutor.lesson import lesson_lines, note_concept
from mathtutor.tutor.plan import IndexLookups, pick_resources, study_path
from mathtutor.tutor.scope import in_scope, out_of_scope
from mathtutor.types import Answer, Chunk, Citation, Context, Hit, StudyStep

if TYPE_CHECKING:
    from mathtutor.knowledge.catalog import Catalog, Part, Resource
    from mathtutor.knowledge.topics import TopicGraph
    from mathtutor.settings import Settings


#: Pages cited for "where is X explained": the ranking's first pages, one citation each.
WHERE_CITES = 5


def label(res: Resource, part: Part | None) -> str:
    """``Title — 3 Chapter title`` for a part, the resource title otherwise."""
    if part is None:
        return res.title
    number = f"{part.number} " if part.number else ""
    return f"{res.title} — {number}{part.title}"


def public_link(chunk: Chunk, base_url: str | None = None) -> str | None:
    """The chunk's deep link, with study notes at their web path (or repository path): never a server path."""
    url = chunk.link()
    if url and (chunk.resource_id == NOTES_RESOURCE or is_note_location(url)) and not url.startswith("http"):
        return note_url(url, base_url)
    return url


class CitationList:
    """Numbers citations in order of first use; the same passage or entry is cited once."""

    def __init__(self, lookups: IndexLookups | None = None, base_url: str | None = None) -> None:
        self.list: list[Citation] = []
        self.lookups = lookups
        self.base_url = base_url
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
                    chunk.resource_id,
                    title,
                    public_link(chunk, self.base_url),
                    chunk.locator(),
                    passages.snippet(chunk.text),
                    round(float(score), 4),
                    chunk.id,
                )
            )
        return self._key[key]

    def add_catalog(self, res: Resource, part: Part | None) -> int:
        key = ("catalog", part.id if part is not None else res.id)
        if key not in self._key:
            self._key[key] = len(self.list) + 1
            title = res.title if part is None else label(res, part)
            url = (part.url if part is not None and part.url else None) or res.url
            locator = f"p. {part.page}" if part is not None and part.page else ""
            self.list.append(Citation(self._key[key], res.id, title, url, locator, res.description[:240], 1.0))
        return self._key[key]

    def add_resource(self, concept: str, res: Resource, part: Part | None) -> int:
        """Cite the best indexed passage of this resource/part for the concept, else the catalog entry."""
        found = self.lookups.best_passage(concept, res, part) if self.lookups is not None else None
        if found is not None:
            return self.add_chunk(*found)
        return self.add_catalog(res, part)


def section_bias(section: str | None) -> float:
    """Explanations should come from what-it-is prose, not from reading lists or pitfalls."""
    if not section:
        return 0.0
    last = section.rsplit(" > ", 1)[-1].lower()
    if last.startswith(("what it is", "why")):
        return 0.25
    if last.startswith(("where to learn", "before you start", "common pitfalls")):
        return -0.25
    return 0.0


class Composer:
    """Builds the extractive :class:`Answer` for an understood question and its retrieved passages."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog | None,
        topics: TopicGraph | None,
        lookups: IndexLookups,
        notes: dict[str, dict[str, Chunk]] | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.topics = topics
        self.lookups = lookups
        self.notes = notes or {}

    def compose(self, ctx: Context, hits: list[Hit], mode: str = "hybrid") -> Answer:
        if not in_scope(ctx, hits, self.settings, mode):
            return out_of_scope(ctx)
        cites = CitationList(self.lookups, self.settings.public_url)
        if ctx.plan and ctx.concepts:
            # numbered in reading order: where the goal itself is taught, what it is, then the way there
            goal = self.goal_resources(ctx, cites)
            intro = self.explain(ctx, hits, cites, max_sentences=1)
            steps, body = self.study_path(ctx, cites)
            text = "\n".join([*goal, *intro, "", *body]) if intro or goal else "\n".join(body)
            return Answer(ctx.question, True, text, cites.list, steps, list(ctx.concepts))
        if ctx.intent == "where" and not ctx.plan:
            lines = self.where(ctx, hits, cites)
            if lines:
                cited = len(cites.list)  # other resources for the concept, never a page already listed
                more = [m for m in self.more_resources(ctx, cites) if int(m.rsplit("[", 1)[-1].rstrip("]")) > cited]
                lines += ["", "**Elsewhere**", *more] if more else []
                return Answer(ctx.question, True, "\n".join(lines), cites.list, [], list(ctx.concepts))
        if not ctx.plan and len(ctx.concepts) == 1 and self.topics is not None and wants_explanation(ctx.question):
            lesson = self.lesson(ctx, hits, cites)
            if lesson is not None:
                return lesson
        lines = self.explain(ctx, hits, cites, max_sentences=3)
        more = self.more_resources(ctx, cites, ctx.concepts or self.implied_concepts(ctx, hits))
        if more:
            lines += ["", "**Where to read more**", *more] if lines else ["**Where to read more**", *more]
            if ctx.intent == "where" and ctx.resources and self.catalog is not None and not ctx.plan:
                # "which page of Seeing Theory ...?" with no page of it found (an index without its text): say so
                titles = " and ".join(f"**{self.catalog.resource_of(r).title}**" for r in sorted(ctx.resources))
                lines.insert(0, f"I found no page of {titles} on this in the index, so here is where it is taught:")
        if not lines:
            return out_of_scope(ctx)
        return Answer(ctx.question, True, "\n".join(lines), cites.list, [], list(ctx.concepts))

    def lesson(self, ctx: Context, hits: list[Hit], cites: CitationList) -> Answer | None:
        """'Explain X' as a short lesson (tutor/lesson.py): notes, one material sentence, an example, a check."""
        assert self.topics is not None
        material = self.explain(ctx, [h for h in hits if h.chunk.resource_id != NOTES_RESOURCE], cites, max_sentences=1)
        built = lesson_lines(ctx, ctx.concepts[0], self.notes, material[1:], [], cites, self.topics)
        if built is None:
            return None
        lines, state = built
        more = self.more_resources(ctx, cites)
        if more:
            lines += ["", "**Where to read or watch more**", *more]
        text = "\n".join(lines) + (f"\n\n<!-- practice-state: {state} -->" if state else "")
        answer = Answer(ctx.question, True, text, cites.list, [], list(ctx.concepts))
        if state:
            answer.practice = {"intent": "check", "state": state}
        return answer

    def explain(self, ctx: Context, hits: list[Hit], cites: CitationList, *, max_sentences: int) -> list[str]:
        """The best-supported sentences of the retrieved passages, each with its citation."""
        terms = passages.terms(ctx.question)
        if self.topics is not None:
            for c in ctx.concepts:
                terms |= passages.terms(self.topics.get(c).name)
        level_bias = self.level_fit(ctx.level, hits[:6])
        scored: list[tuple[float, int, str, Hit]] = []
        for rank, hit in enumerate(hits[:6]):
            if hit.chunk.kind == "catalog":
                continue
            for sent in passages.sentences(hit.chunk.text):
                words = passages.terms(sent)
                if not words:
                    continue
                overlap = len(words & terms) / (len(terms) or 1)
                score = overlap + (hit.dense or 0.0) * 0.5 - rank * 0.02 + section_bias(hit.chunk.section)
                score += level_bias.get(hit.chunk.resource_id, 0.0)
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
        names = self.names(ctx.concepts)
        head = f"Here is what the materials say about {names}:" if names else "Here is what the materials say:"
        if ctx.finished is not None and self.catalog is not None and names:
            title = self.catalog.resource_of(ctx.finished).title
            head = f"After **{title}**, what builds on it next is {names}. Here is what the materials say:"
        return [head, *chosen]

    def level_fit(self, level: str | None, hits: list[Hit]) -> dict[str | None, float]:
        """Resource id -> bonus (at the learner's level) or malus (not at it); nothing without a stated level."""
        if level is None or self.catalog is None:
            return {}
        bias = self.settings.compose_level_bias
        fit: dict[str | None, float] = {}
        for hit in hits:
            rid = hit.chunk.resource_id
            if rid in fit or rid is None or rid == NOTES_RESOURCE:
                continue
            try:
                res = self.catalog.resource_of(rid)
            except KeyError:
                continue
            fit[rid] = bias if level in res.levels else -bias
        return fit

    def where(self, ctx: Context, hits: list[Hit], cites: CitationList) -> list[str]:
        """'Where does BOOK explain X?': the re-ranked pages in their order (the defining page first), one
        citation per page, each with the sentence that names X, so the order the learner sees is the ranking's."""
        term = term_of(ctx.question)
        seen: set[tuple[str, object]] = set()
        lines: list[str] = []
        for hit in hits:
            chunk = hit.chunk
            if chunk.kind == "catalog" or chunk.resource_id == NOTES_RESOURCE:
                continue
            key = (chunk.file_key, chunk.page if chunk.page is not None else chunk.section)
            if key in seen:
                continue
            seen.add(key)
            sents = passages.sentences(chunk.text)
            fallback = sents[0] if sents else passages.snippet(chunk.text, 200)
            sent = next((x for x in sents if mentions(x, term)), fallback)
            n = cites.add_chunk(chunk, hit.score)
            where = ", ".join(x for x in (chunk.title, chunk.locator()) if x)
            lines.append(f"- {where}: {sent} [{n}]")
            if len(lines) >= WHERE_CITES:
                break
        return [f"Where the materials explain **{term}** (best match first):", *lines] if lines else []

    def names(self, concepts: list[str]) -> str:
        if self.topics is None or not concepts:
            return ""
        return ", ".join(f"**{self.topics.get(c).name}**" for c in concepts[:3])

    def goal_resources(self, ctx: Context, cites: CitationList) -> list[str]:
        """One line: the two resources that teach the study path's goal itself, at their page or minute."""
        goal = ctx.concepts[-1]
        refs = [
            f"{label(res, part)} [{cites.add_resource(goal, res, part)}]"
            for res, part in pick_resources(goal, ctx, set(), 2, self.catalog, self.lookups)
        ]
        return [f"Where **{self.topics.get(goal).name}** itself is taught: {'; '.join(refs)}.", ""] if refs else []

    def implied_concepts(self, ctx: Context, hits: list[Hit]) -> list[str]:
        """A question that names no concept ("why do averages of many random things look bell-shaped?") is about
        the concepts whose study notes it matched closely: those lead to the resources that teach it."""
        if ctx.intent is not None or ctx.resources or self.topics is None:
            return []
        bar = self.settings.note_concept_min_similarity
        found: list[str] = []
        for hit in hits[:6]:
            concept = note_concept(hit.chunk)
            if concept is None or (hit.dense or 0.0) < bar:
                continue
            if concept in self.topics and concept not in found:
                found.append(concept)
        return found[:2]

    def more_resources(self, ctx: Context, cites: CitationList, concepts: list[str] | None = None) -> list[str]:
        lines = []
        listed: set[int] = set()
        for concept in (ctx.concepts if concepts is None else concepts)[:2]:
            for res, part in pick_resources(concept, ctx, set(), 2, self.catalog, self.lookups):
                n = cites.add_resource(concept, res, part)
                if n not in listed:
                    listed.add(n)
                    lines.append(f"- {label(res, part)} [{n}]")
        if not ctx.concepts and ctx.resources and self.catalog is not None:
            for rid in sorted(ctx.resources):
                res = self.catalog.resource_of(rid)
                n = cites.add_catalog(res, None)
                lines.append(f"- {res.title}: {res.description} [{n}]")
        return lines

    def study_path(self, ctx: Context, cites: CitationList) -> tuple[list[StudyStep], list[str]]:
        assert self.topics is not None
        level, targets, planned = study_path(ctx, self.topics, self.catalog, self.lookups)
        names = self.names(targets).replace("**", "")
        lines = [f"**Study path for {names}** (level: {level}; {len(planned)} steps, in order):", ""]
        if ctx.mastered:
            done = ", ".join(self.topics.get(c).name for c in sorted(ctx.mastered) if c in self.topics)
            lines[1:1] = ["", f"_Skipping what you have mastered: {done}._"]
        steps: list[StudyStep] = []
        for i, step in enumerate(planned, start=1):
            numbers = []
            refs = []
            for res, part in step.picks:
                n = cites.add_resource(step.concept, res, part)
                numbers.append(n)
                refs.append(f"{label(res, part)} [{n}]")
            steps.append(StudyStep(step.concept, step.why, numbers))
            where = "; ".join(refs) if refs else "no resource in the catalog yet"
            lines.append(f"{i}. **{self.topics.get(step.concept).name}** — {step.why}\n   Study: {where}")
        return steps, lines
