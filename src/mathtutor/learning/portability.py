"""Export a learner's progress as JSON and read such a file back, refusing anything malformed.

The export is the progress view (``learner``, ``goal``, ``concepts``, ``next``) plus the evidence it was
computed from (``attempts``) and a format marker. Import takes only the attempts and the goal: the
importing store recomputes mastery and review schedules from the evidence, so an import is idempotent
(attempt ids already present are skipped) and cannot smuggle in a mastery figure.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mathtutor.learning.errors import ImportRefused
from mathtutor.learning.names import has_control

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "MAX_IMPORT_BYTES",
    "ExportFile",
    "ImportedAttempt",
    "export_document",
    "parse_export",
]

EXPORT_FORMAT = "mathtutor-progress"
EXPORT_VERSION = 1
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ATTEMPTS = 100_000


class ImportedAttempt(BaseModel):
    """One attempt of an export file (strict types: "true" is not a boolean)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    attempt_id: str = Field(min_length=1, max_length=128)
    concept: str = Field(min_length=1, max_length=64)
    correct: bool
    kind: Literal["practice", "conceptual"]
    at: datetime = Field(strict=False)
    seconds: float | None = Field(default=None, ge=0, lt=1e7, strict=False)

    @field_validator("attempt_id", "concept")
    @classmethod
    def _printable(cls, value: str) -> str:
        if has_control(value):
            raise ValueError("control characters are not allowed")
        return value

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("the time needs a timezone (for example 2026-01-31T10:00:00+00:00)")
        return value.astimezone(UTC)


class ExportFile(BaseModel):
    """The parts of an export file that import reads."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["mathtutor-progress"]
    version: Literal[1]
    learner: str | None = None
    goal: str | None = Field(default=None, max_length=200)
    attempts: list[ImportedAttempt] = Field(max_length=MAX_IMPORT_ATTEMPTS)


def parse_export(data: bytes | str) -> ExportFile:
    """Validate an export file's bytes; raise :class:`ImportRefused` with the reason."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportRefused(
            f"The progress file is too large ({len(raw) / 1_048_576:.1f} MB); the limit is "
            f"{MAX_IMPORT_BYTES // 1_048_576} MB."
        )
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ImportRefused("The progress file is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise ImportRefused(f"The progress file is not valid JSON (line {exc.lineno}, column {exc.colno}).") from None
    except RecursionError:
        raise ImportRefused("The progress file is nested too deeply to be a progress export.") from None
    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
        raise ImportRefused("The file is not a mathtutor progress export (its 'format' is not 'mathtutor-progress').")
    if doc.get("version") != EXPORT_VERSION:
        raise ImportRefused(
            f"The progress file has version {str(doc.get('version'))[:20]!r}; this mathtutor reads version "
            f"{EXPORT_VERSION}."
        )
    try:
        parsed = ExportFile.model_validate(doc)
    except ValidationError as exc:
        raise ImportRefused("The progress file is malformed: " + _first_error(exc)) from None
    ids = [a.attempt_id for a in parsed.attempts]
    if len(ids) != len(set(ids)):
        raise ImportRefused("The progress file is malformed: an attempt id appears twice.")
    return parsed


def export_document(progress: dict[str, Any], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    """The export file: format marker, the progress view, and the attempts."""
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, **progress, "attempts": attempts}


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err.get("loc", ())) or "file"
    return f"{where}: {err.get('msg', 'invalid value')}."
