"""The eval case file: schema, validation against the catalog and topic graph, loading."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mathtutor.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from mathtutor.knowledge.catalog import Catalog
    from mathtutor.knowledge.topics import TopicGraph


EVALS_DIR = PROJECT_ROOT / "evals"
#: The case files: ``test`` is frozen once written (its expectations come from the materials) and is
#: what the README reports; ``dev`` is the one to tune on; ``legacy`` is the first, catalog-written set.
SPLITS = {"test": EVALS_DIR / "test.jsonl", "dev": EVALS_DIR / "dev.jsonl", "legacy": EVALS_DIR / "cases.jsonl"}
DEFAULT_CASES = SPLITS["test"]
DEFAULT_OUT = PROJECT_ROOT / "evals" / "reports"
KINDS = ("plan", "concept", "resource", "level", "mission", "chinese", "followup", "out_of_scope")
#: What a resource question asks for, by description rather than title (``asks_for``).
ASKS_FOR = frozenset(
    {
        "book",
        "course",
        "lectures",
        "channel",
        "article",
        "video",
        "short-videos",
        "exercises",
        "solutions",
        "proofs",
        "code",
        "interactive",
        "free",
        "beginner",
        "advanced",
    }
)
#: Cut-offs of the ranking metrics.
HIT_KS = (1, 5)
RECALL_K = 5
NDCG_K = 10
#: An answer sentence counts as supported when its embedding (MiniLM, cosine) is at least this close
#: to a passage it cites. Calibrated on the extractive answers of the eval set (2026-11-21), whose
#: sentences are copied from the passage they cite: against that passage they score p5 0.56 /
#: median 0.76 (default index, 250 sentences; corpus-real: p5 0.46 / median 0.69), against a
#: passage cited for another question median 0.18 / p95 0.49 (corpus-real 0.17 / 0.49). At 0.5,
#: 98 % (93 %) of genuine support passes and 5 % of unrelated pairs do: the point where both error
#: rates are small. Every extractive run re-measures this into the report ("support calibration").
SUPPORT_THRESHOLD = 0.5
#: Kendall tau below this is reported as a disagreement with the expected study order.
MIN_ORDER_TAU = 0.5
NAIVE_K = 5
NAIVE_CHUNK_CHARS, NAIVE_OVERLAP_CHARS = 1000, 200

CJK = re.compile(r"[\u3400-\u9fff]")
_CASE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
URL_IN_TEXT = re.compile(r"https?://[^\s)\]>]+")


class Turn(BaseModel):
    """One earlier message of the conversation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class Case(BaseModel):
    """One eval question and what a good tutor should answer.

    ``any_of``: one of these catalog resources is enough; ``all_of``: each of these is needed;
    ``concepts``: the study path should contain these, in this (prerequisite) order.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: Literal["plan", "concept", "resource", "level", "mission", "chinese", "followup", "out_of_scope"]
    q: str = Field(min_length=1)
    history: tuple[Turn, ...] = ()
    level: Literal["beginner", "practitioner", "researcher"] | None = None
    lang: Literal["en", "zh"] = "en"
    expect_in_scope: bool = True
    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    expect_no_citations: bool = False
    note: str | None = None
    #: The phrasing pattern (dev and test never share one).
    template: str | None = None
    #: corpus-real files (manifest ``file`` paths) whose passages answer it: a retrieval-only check.
    expect_files: tuple[str, ...] = ()
    #: What a resource question asks for (exercises, short videos, proofs, code, ...).
    asks_for: tuple[str, ...] = ()
    #: ``concepts`` follows a book's order that the topic graph does not (the order check is skipped).
    contradicts_topics: bool = False

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _CASE_ID.match(v):
            raise ValueError(f"case ids are lower-case slugs ([a-z0-9-]): {v!r}")
        return v

    @field_validator("any_of", "all_of", "concepts")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        dupes = sorted({x for x in v if v.count(x) > 1})
        if dupes:
            raise ValueError(f"listed more than once: {', '.join(dupes)}")
        return v

    @field_validator("asks_for")
    @classmethod
    def _asks_for(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(v) - ASKS_FOR)
        if unknown:
            raise ValueError(f"unknown asks_for value(s): {', '.join(unknown)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        expects = bool(self.any_of or self.all_of or self.concepts)
        if set(self.any_of) & set(self.all_of):
            raise ValueError(f"in both any_of and all_of: {', '.join(sorted(set(self.any_of) & set(self.all_of)))}")
        if self.kind == "out_of_scope" and self.expect_in_scope:
            raise ValueError("kind 'out_of_scope' needs expect_in_scope: false")
        if not self.expect_in_scope:
            if expects:
                raise ValueError("an out-of-scope case cannot expect resources or concepts")
            if not self.expect_no_citations:
                raise ValueError("an out-of-scope case must set expect_no_citations: true")
        else:
            if self.expect_no_citations:
                raise ValueError("expect_no_citations is only for out-of-scope cases")
            if not expects:
                raise ValueError("an in-scope case needs any_of, all_of or concepts to score against")
        if self.kind == "followup" and not self.history:
            raise ValueError("a follow-up case needs a history")
        if self.history and self.history[-1].role != "assistant":
            raise ValueError("the history must end with the assistant's turn (the question is 'q')")
        if self.kind == "chinese" and self.lang != "zh":
            raise ValueError("kind 'chinese' needs lang: 'zh'")
        if self.asks_for and self.kind != "resource":
            raise ValueError("asks_for is for resource cases")
        if self.contradicts_topics and not self.concepts:
            raise ValueError("contradicts_topics needs concepts")
        if not self.expect_in_scope and self.expect_files:
            raise ValueError("an out-of-scope case cannot expect files")
        if self.lang == "zh" and not CJK.search(self.q):
            raise ValueError("lang 'zh' but the question has no Chinese characters")
        return self

    @property
    def expected_ids(self) -> set[str]:
        return set(self.any_of) | set(self.all_of)


class CaseFileError(ValueError):
    """The eval case file is unreadable or a case is malformed; the message names the line and id."""


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown field {loc!r}")
        elif err["type"] == "missing":
            parts.append(f"missing field {loc!r}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def parse_cases(
    text: str, *, source: str = "<cases>", catalog: Catalog | None = None, topics: TopicGraph | None = None
) -> list[Case]:
    """Validate JSONL text (one case per line); every problem is reported at once, by line and id.

    With ``catalog``/``topics``, resource ids must be catalog resources (not parts), concept ids must
    exist, and ``concepts`` must never list a concept after one of its own prerequisites.
    """
    cases: list[Case] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    resource_ids = {r.id for r in catalog.resources} if catalog is not None else None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{source}:{lineno}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(raw, dict):
            errors.append(f"{source}:{lineno}: each line must be a JSON object, got {type(raw).__name__}")
            continue
        label = f"{source}:{lineno} (id {raw.get('id')!r})" if isinstance(raw.get("id"), str) else f"{source}:{lineno}"
        try:
            case = Case.model_validate(raw)
        except ValidationError as exc:
            errors.append(f"{label}: {_describe(exc)}")
            continue
        if case.id in seen:
            errors.append(f"{label}: duplicate id (first used on line {seen[case.id]})")
            continue
        seen[case.id] = lineno
        if resource_ids is not None:
            for group in ("any_of", "all_of"):
                for rid in getattr(case, group):
                    if rid not in resource_ids:
                        hint = " (a part id: use its resource)" if catalog is not None and rid in catalog else ""
                        errors.append(f"{label}: {group}: {rid!r} is not a catalog resource id{hint}")
        if topics is not None:
            unknown = [c for c in case.concepts if c not in topics]
            for c in unknown:
                errors.append(f"{label}: concepts: unknown concept id {c!r}")
            known = [c for c in case.concepts if c in topics] if not case.contradicts_topics else []
            for i, later in enumerate(known):
                needs = set(topics.prerequisites(later))
                for earlier in known[i + 1 :]:
                    if earlier in needs:
                        errors.append(f"{label}: concepts: {later!r} is listed before its prerequisite {earlier!r}")
        cases.append(case)
    if errors:
        shown = errors[:25] + ([f"... and {len(errors) - 25} more"] if len(errors) > 25 else [])
        raise CaseFileError(f"invalid eval cases ({len(errors)} problem(s)):\n  - " + "\n  - ".join(shown))
    if not cases:
        raise CaseFileError(f"{source}: no cases")
    return cases


def load_cases(
    path: Path | str | None = None, *, catalog: Catalog | None = None, topics: TopicGraph | None = None
) -> list[Case]:
    """Read and validate a case file (default: the frozen test split); see :func:`parse_cases`."""
    p = Path(path) if path is not None else DEFAULT_CASES
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"cannot read eval cases {p}: {exc}") from exc
    return parse_cases(text, source=str(p), catalog=catalog, topics=topics)


def display_path(path: Path | str) -> str:
    """Relative to the checkout when inside it, so committed reports do not name one machine's folders."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(p)
