"""The topic graph: math-for-ML concepts, their prerequisites and the words learners use for them.

The graph is what turns "what do I need for PCA?" into an ordered study path, so it is validated
strictly on load (unknown fields, dangling prerequisites, cycles and ambiguous aliases are errors
rather than silent surprises later). Detection of concepts in free text is compiled once into a
single trie-shaped regex because it runs on every query.
"""

from __future__ import annotations

import heapq
import os
import re
from collections.abc import Iterable, Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mathtutor.knowledge.aliases import SEP_CHARS, canonical, compile_detector, normalize, singular_forms

__all__ = [
    "DEFAULT_TOPICS_PATH",
    "ENV_VAR",
    "NON_CONCEPT_TERMS",
    "Area",
    "Concept",
    "Levels",
    "TopicGraph",
    "TopicGraphError",
    "UnknownConceptError",
    "load_topics",
]

ENV_VAR = "MATHTUTOR_TOPICS"
DEFAULT_TOPICS_PATH = Path(__file__).resolve().parents[3] / "corpus" / "topics.yaml"

Area = Literal[
    "linear-algebra",
    "calculus",
    "optimization",
    "probability",
    "statistics",
    "information-theory",
    "signals",
    "deep-learning",
    "foundations",
]

# Whole subject names that contain a concept alias but do not mean that concept: "linear algebra"
# is not "algebra" (precalculus) and "微积分" (calculus) is not "积分" (integrals). Detection
# consumes these spans and reports nothing for them, so the shorter alias cannot fire inside them.
NON_CONCEPT_TERMS: tuple[str, ...] = (
    "linear algebra",
    "abstract algebra",
    "boolean algebra",
    "线性代数",
    "抽象代数",
    "高等代数",
    "微积分",
    "秩序",
    "分布式",
    "对数学",  # 对 + 数学 ("这个方向对数学的要求高吗"), not 对数 (logarithm) + 学
)


_MATRIX_END = re.compile(r"matrix$", re.IGNORECASE)


class TopicGraphError(ValueError):
    """Raised when the topic graph (or a lookup in it) is invalid; the message names the ids."""


class UnknownConceptError(TopicGraphError, KeyError):
    """A concept id that is not in the graph; also a KeyError so mapping-style callers work."""

    def __str__(self) -> str:  # KeyError would repr() the message; keep it readable
        return str(self.args[0]) if self.args else ""


class Levels(BaseModel):
    """Optional one-line guidance per learner level (the lists' three "degrees")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    beginner: str | None = None
    practitioner: str | None = None
    researcher: str | None = None


class Concept(BaseModel):
    """One node of the graph. Unknown fields are rejected so typos in the YAML fail loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    name: str = Field(min_length=1)
    area: Area
    summary: str = Field(min_length=1)
    prereqs: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    levels: Levels | None = None

    @field_validator("name", "summary")
    @classmethod
    def _strip_text(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("prereqs")
    @classmethod
    def _unique_prereqs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for pid in value:
            if pid in seen:
                raise ValueError(f"prereq {pid!r} is listed twice")
            seen.add(pid)
        return value

    @field_validator("aliases", mode="before")
    @classmethod
    def _clean_aliases(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            cleaned = []
            for alias in value:
                if not isinstance(alias, str):
                    # YAML turns bare numbers/booleans into non-strings; make the author quote them.
                    raise ValueError(f"alias {alias!r} is not a string (quote it in YAML)")
                alias = " ".join(alias.split())
                if not alias:
                    raise ValueError("aliases must not be blank")
                cleaned.append(alias)
            return cleaned
        return value

    @property
    def terms(self) -> tuple[str, ...]:
        """Every surface form detection looks for: the id read as words, the name, the aliases.

        Regular plurals are handled by the matcher; "matrix" -> "matrices" is added here because
        "Jacobian matrices" should not fall back to the generic "matrices" concept.
        """
        base = (self.id.replace("-", " "), self.name, *self.aliases)
        extra = tuple(_MATRIX_END.sub("matrices", t) for t in base if _MATRIX_END.search(t))
        return tuple(dict.fromkeys(base + extra))


# ---------------------------------------------------------------------------------------------
# Loading

# The C loader is ~10x faster; fall back to the pure-Python one where libyaml is missing.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ---------------------------------------------------------------------------------------------
# The graph


class TopicGraph:
    """Validated, immutable view of the concepts with ordering and detection helpers."""

    def __init__(self, concepts: Iterable[Concept], *, source: str = "<memory>") -> None:
        self._concepts: list[Concept] = list(concepts)
        self.source = source
        _validate(self._concepts, source)
        self._by_id: dict[str, Concept] = {c.id: c for c in self._concepts}
        self._index: dict[str, int] = {c.id: i for i, c in enumerate(self._concepts)}
        self._dependents: dict[str, list[str]] = {c.id: [] for c in self._concepts}
        for concept in self._concepts:
            for pid in concept.prereqs:
                self._dependents[pid].append(concept.id)
        self._ancestors = self._compute_ancestors()
        self._term_ids: dict[str, str | None] = {}
        for concept in self._concepts:
            for term in concept.terms:
                self._term_ids.setdefault(canonical(term), concept.id)
        for term in NON_CONCEPT_TERMS:
            self._term_ids.setdefault(canonical(term), None)
        all_terms = [t for c in self._concepts for t in c.terms] + list(NON_CONCEPT_TERMS)
        self._detector = compile_detector(all_terms)

    # -- basic access ---------------------------------------------------------------------------

    @property
    def concepts(self) -> list[Concept]:
        """Concepts in file order (a copy, so callers cannot reorder the graph)."""
        return list(self._concepts)

    @property
    def ids(self) -> list[str]:
        """Concept ids in file order."""
        return [c.id for c in self._concepts]

    def __len__(self) -> int:
        return len(self._concepts)

    def __iter__(self) -> Iterator[Concept]:
        return iter(self._concepts)

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self._by_id

    def __repr__(self) -> str:
        return f"TopicGraph({len(self)} concepts from {self.source})"

    def get(self, concept_id: str) -> Concept:
        """The concept with this id; unknown ids raise UnknownConceptError (a KeyError too)."""
        try:
            return self._by_id[concept_id]
        except KeyError:
            raise UnknownConceptError(f"unknown concept id {concept_id!r}") from None

    def resolve(self, term: str) -> str | None:
        """Map an exact id, name or alias (any case, spacing or hyphenation) to its concept id."""
        if term in self._by_id:
            return term
        return self._term_ids.get(canonical(term))

    def dependents(self, concept_id: str) -> list[str]:
        """Concepts listing this one as a direct prerequisite, in file order (what it unlocks)."""
        self.get(concept_id)
        return list(self._dependents[concept_id])

    # -- detection ------------------------------------------------------------------------------

    def detect(self, text: str) -> list[str]:
        """Concept ids mentioned in text, unique, in order of first mention.

        Longest match wins at each position, so "stochastic gradient descent" is only SGD, and
        subject names such as "linear algebra" are swallowed instead of matching "algebra".
        """
        return list(dict.fromkeys(cid for cid, _ in self.mentions(text)))

    def mentions(self, text: str) -> list[tuple[str, str]]:
        """(concept id, the normalised words that named it) per alias found, in order: :meth:`detect` with its
        evidence, so a caller can tell "matrix" alone from "covariance matrix" (see ``tutor.offtopic``)."""
        found: list[tuple[str, str]] = []
        for match in self._detector.finditer(normalize(text)):
            cid = self._lookup(SEP_CHARS.sub("", match.group()))
            if cid is not None:
                found.append((cid, match.group()))
        return found

    def _lookup(self, key: str) -> str | None:
        return next((self._term_ids[k] for k in singular_forms(key) if k in self._term_ids), None)

    # -- ordering -------------------------------------------------------------------------------

    def prerequisites(self, concept_id: str, *, depth: int | None = None) -> list[str]:
        """All prerequisites of a concept (not itself), each after everything it needs.

        ``depth`` limits how many prerequisite hops back to go (1 = direct prerequisites only).
        Ties are broken by file order so the same question always gets the same path.
        """
        return self._order(self._prereq_set(concept_id, depth))

    def learning_path(
        self,
        concept_ids: Iterable[str],
        *,
        known: Iterable[str] = frozenset(),
        depth: int | None = None,
    ) -> list[str]:
        """Targets plus all their prerequisites in study order, minus what is already known."""
        wanted: set[str] = set()
        for cid in concept_ids:
            wanted |= self._prereq_set(cid, depth)
            wanted.add(cid)
        known_set = set(known)
        for cid in known_set:
            self.get(cid)  # a typo in `known` would otherwise be silently ignored
        return self._order(wanted - known_set)

    def validate_against(self, catalog_concept_ids: Iterable[str]) -> None:
        """Fail if the catalog tags resources with concept ids the graph does not define."""
        missing = sorted(set(catalog_concept_ids) - self._by_id.keys())
        if missing:
            raise TopicGraphError(
                f"catalog references concept ids missing from the topic graph ({self.source}): " + ", ".join(missing)
            )

    def _prereq_set(self, concept_id: str, depth: int | None) -> set[str]:
        self.get(concept_id)
        if depth is None:
            return set(self._ancestors[concept_id])
        if depth < 0:
            raise ValueError(f"depth must be >= 0, got {depth}")
        result: set[str] = set()
        frontier = [concept_id]
        for _ in range(depth):
            nxt = []
            for cid in frontier:
                for pid in self._by_id[cid].prereqs:
                    if pid not in result:
                        result.add(pid)
                        nxt.append(pid)
            frontier = nxt
        return result

    def _order(self, nodes: set[str]) -> list[str]:
        """Topological order of a subset, honouring indirect prerequisites that were left out."""
        sorter: TopologicalSorter[str] = TopologicalSorter({n: self._ancestors[n] & nodes for n in nodes})
        sorter.prepare()
        heap = [(self._index[n], n) for n in sorter.get_ready()]
        heapq.heapify(heap)
        order: list[str] = []
        while heap:
            _, node = heapq.heappop(heap)
            order.append(node)
            sorter.done(node)
            for ready in sorter.get_ready():
                heapq.heappush(heap, (self._index[ready], ready))
        return order

    def _compute_ancestors(self) -> dict[str, frozenset[str]]:
        sorter = TopologicalSorter({c.id: c.prereqs for c in self._concepts})
        ancestors: dict[str, frozenset[str]] = {}
        for cid in sorter.static_order():  # prerequisites come first, so theirs are ready
            acc: set[str] = set()
            for pid in self._by_id[cid].prereqs:
                acc.add(pid)
                acc |= ancestors[pid]
            ancestors[cid] = frozenset(acc)
        return ancestors


# ---------------------------------------------------------------------------------------------
# Validation and loading


def _validate(concepts: list[Concept], source: str) -> None:
    """Collect every structural problem and raise them together, naming the ids involved."""
    errors: list[str] = []

    seen: set[str] = set()
    for concept in concepts:
        if concept.id in seen:
            errors.append(f"duplicate concept id {concept.id!r}")
        seen.add(concept.id)

    for concept in concepts:
        for pid in concept.prereqs:
            if pid not in seen:
                errors.append(f"concept {concept.id!r} has unknown prereq {pid!r}")

    owner: dict[str, tuple[str, str]] = {}  # canonical term -> (concept id, term as written)
    for concept in concepts:
        for term in dict.fromkeys(concept.terms):
            key = canonical(term)
            if not key:
                errors.append(f"concept {concept.id!r} has an alias with no usable characters")
                continue
            other = owner.setdefault(key, (concept.id, term))
            if other[0] != concept.id:
                errors.append(f"duplicate alias {term!r}: used by both {other[0]!r} ({other[1]!r}) and {concept.id!r}")
    for key, (cid, term) in owner.items():
        if not key[-1:].isalpha() or not key[-1:].isascii():
            continue
        for suffix in ("s", "es"):
            plural = owner.get(key + suffix)
            if plural is not None and plural[0] != cid:
                errors.append(
                    f"ambiguous alias {plural[1]!r} of {plural[0]!r}: detection reads it as the "
                    f"plural of {term!r} of {cid!r}"
                )

    graph = {c.id: c.prereqs for c in concepts}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        cycle = exc.args[1]
        errors.append("prerequisite cycle: " + " -> ".join(cycle) + " (each is a prereq of the next)")

    if errors:
        raise TopicGraphError(f"invalid topic graph {source}:\n  - " + "\n  - ".join(errors))


def _describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "<entry>"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown field {loc!r}")
        else:
            parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def _parse_concepts(data: Any, source: str) -> list[Concept]:
    if not isinstance(data, list):
        raise TopicGraphError(f"{source}: expected a YAML list of concepts, got {type(data).__name__}")
    concepts: list[Concept] = []
    errors: list[str] = []
    for position, entry in enumerate(data, start=1):
        label = f"entry #{position}"
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            label += f" (id {entry['id']!r})"
        if not isinstance(entry, dict):
            errors.append(f"{label}: expected a mapping, got {type(entry).__name__}")
            continue
        try:
            concepts.append(Concept.model_validate(entry))
        except ValidationError as exc:
            errors.append(f"{label}: {_describe_validation_error(exc)}")
    if errors:
        raise TopicGraphError(f"invalid topic graph {source}:\n  - " + "\n  - ".join(errors))
    return concepts


def load_topics(path: Path | str | None = None) -> TopicGraph:
    """Load and validate the topic graph (default: corpus/topics.yaml, or $MATHTUTOR_TOPICS)."""
    if path is None:
        path = os.environ.get(ENV_VAR) or DEFAULT_TOPICS_PATH
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except OSError as exc:
        raise TopicGraphError(f"cannot read topic graph {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise TopicGraphError(f"topic graph {path} is not valid YAML: {exc}") from exc
    return TopicGraph(_parse_concepts(data, str(path)), source=str(path))
