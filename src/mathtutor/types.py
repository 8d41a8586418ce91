"""Records that cross module lines: files, sections and chunks; retrieval hits; the tutor's context and answers."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from mathtutor.links import deep_link

#: A citation marker in answer text: ``[3]`` cites the third source. The one definition every
#: module uses (generation, evals, web UI), so they agree on what counts as a citation; ``[1](url)``
#: and ``[1][2]``-style markdown link text are not markers.
CITATION_MARKER = re.compile(r"\[(\d{1,3})\](?![(\[])")

#: Loader kinds; they decide how a chunk's locator reads and links.
KINDS = ("pdf", "captions", "text", "markdown", "catalog")


@dataclass(slots=True)
class Source:
    """One ingested file and where it comes from (resource, title, URL), as the manifest/catalog say."""

    key: str  #: identity of the file in an index: its resolved absolute path
    path: str
    kind: str
    title: str
    resource_id: str | None = None
    part_id: str | None = None
    url: str | None = None
    page_offset: int = 0  #: add to a file page to get the page of ``url`` (chapter PDF -> whole book)
    license: str | None = None
    author: str | None = None


@dataclass(slots=True)
class Section:
    """A piece of a file before chunking: a PDF page, a caption cue, a markdown section, a catalog entry."""

    text: str
    page: int | None = None
    start_s: float | None = None
    end_s: float | None = None
    heading: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def format_time(seconds: float) -> str:
    """``83.4`` -> ``"1:23"``; ``3725`` -> ``"1:02:05"``."""
    total = int(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@dataclass(slots=True)
class Chunk:
    """A retrievable passage with everything a citation needs."""

    text: str
    file_key: str
    kind: str
    title: str
    ordinal: int
    resource_id: str | None = None
    part_id: str | None = None
    url: str | None = None
    page: int | None = None
    page_offset: int = 0
    start_s: float | None = None
    end_s: float | None = None
    section: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    def locator(self) -> str:
        """Human-readable position: ``p. 12``, ``3:05-4:10``, ``§ Change of basis``."""
        if self.page is not None:
            return f"p. {self.page + self.page_offset}"
        if self.start_s is not None:
            end = f"-{format_time(self.end_s)}" if self.end_s is not None else ""
            return f"{format_time(self.start_s)}{end}"
        if self.section:
            return f"§ {self.section}"
        return ""

    def link(self) -> str | None:
        """Deep link: YouTube ``?t=`` seconds, PDF ``#page=``; the plain URL otherwise."""
        page = self.page + self.page_offset if self.page is not None else None
        return deep_link(self.url, page=page, start_s=self.start_s)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- retrieval and the tutor


@dataclass(slots=True)
class Filters:
    """Restrict retrieval to passages of these catalog resources (a child series counts for its parent)."""

    resources: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.resources)


@dataclass(slots=True)
class Hit:
    """A retrieved passage with its fused rank score and, when a ranker found it, that ranker's score."""

    chunk: Chunk
    score: float  #: fused RRF score
    dense: float | None = None  #: cosine similarity, when the dense ranker found it
    lexical: float | None = None  #: BM25 score, when BM25 found it


@dataclass(slots=True)
class Context:
    """What the tutor understood of a question in its conversation (see ``tutor.understand``)."""

    question: str
    concepts: list[str]  #: topic-graph concept ids, named in the question or carried from earlier turns
    plan: bool  #: the learner asks what to study (a study path), not what something is
    formats: set[str]  #: preferred formats: keys of ``knowledge.formats.FORMAT_GROUPS``
    level: str | None
    resources: set[str]  #: catalog resources the question is about (named, or "it" = the one cited before)
    followup: bool = False  #: concepts or resources come from earlier turns
    #: What kind of answer is wanted beyond an explanation: "resource" (which book/course/video fits),
    #: "mission" (how much / what maths, in what order, for which role), "where" (the page that explains X),
    #: "facts" (a property of the resource cited before: is it free, who made it).
    intent: str | None = None
    #: The text retrieval searches: the question, plus its English rewrite for Chinese questions.
    search: str = ""
    #: Concepts this learner has mastered (``--learner``): study paths skip them.
    mastered: set[str] = field(default_factory=set)
    #: Another domain the question is about ("film-tv", ...; see ``tutor.offtopic``): it is refused.
    offtopic: str | None = None
    #: The scope model's probability that the question is not ours (``tutor.scope_model``; None: not read)
    p_other: float | None = None
    #: The question in English words, for the checks that judge what it is about (mission, other domains): the
    #: question itself, or a Chinese question's word-by-word gloss (``knowledge.zh_gloss``). Empty: not read yet.
    meaning: str = ""
    #: Resources the learner is moving away from ("anything shorter?" after 18.06, 看书有点枯燥): not recommended again.
    exclude: set[str] = field(default_factory=set)
    #: The question has earlier turns: a conversation about maths speaks for it, unless it changes the subject.
    conversation: bool = False
    #: Resources the learner prepares for ("what should I brush up on before starting 18.065?"): named, but the goal
    #: of the study path, not its source.
    goal: set[str] = field(default_factory=set)
    #: The resource the learner has finished and asks what comes after ("done with 18.06, which course next?"): the
    #: concepts are what builds on it, and it is not recommended again.
    finished: str | None = None


@dataclass(slots=True)
class Citation:
    """One numbered source of an answer: ``[n]`` in the text points here."""

    n: int
    resource_id: str | None
    title: str
    url: str | None
    locator: str
    snippet: str
    score: float
    #: The cited passage's id in the index (None for a catalog-only citation): lets evals check the
    #: page against the document without exposing where the file lives on the server.
    chunk_id: int | None = None


@dataclass(slots=True)
class StudyStep:
    """One concept of a study path, why it is there, and the numbers of the citations to study it from."""

    concept: str
    why: str
    citations: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Answer:
    """The tutor's answer; :meth:`to_dict` is the JSON contract of ``mathtutor ask --json``."""

    question: str
    in_scope: bool
    answer: str
    citations: list[Citation] = field(default_factory=list)
    study_path: list[StudyStep] = field(default_factory=list)
    concepts: list[str] = field(default_factory=list)
    backend: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: A practice move (problem, hint, feedback, solution) with its signed state; never the answer.
    practice: dict[str, Any] | None = None

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
            **({"practice": self.practice} if self.practice is not None else {}),
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
