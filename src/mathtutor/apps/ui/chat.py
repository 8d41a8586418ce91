"""One chat turn: the shared tutor's answer, the session's own material beside it, model text kept honest.

Only the tutor's public API is used (``stream``, ``ask``, ``Answer.to_dict()``). A model answer that cites
none of its sources is not dressed as sourced: the extractive answer comes first and the model's text
follows, marked unverified. Repeated sentences and a sentence cut off at the end are removed. Model runs
are capped server-wide; when every slot is busy, or the local model is still loading, the extractive
answer is given at once with a plain note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathtutor.apps.ui.render import UNVERIFIED_MARK, Links, escape_answer, render_answer, scrub_paths
from mathtutor.types import CITATION_MARKER

if TYPE_CHECKING:
    from mathtutor.apps.ui.sessions import TutorHolder
    from mathtutor.apps.ui.uploads import Collection

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_ENDS_WELL = re.compile(r"[.!?:;)\]$*_`]\s*$")


def valid_markers(text: str, n_sources: int) -> list[int]:
    return [int(m.group(1)) for m in CITATION_MARKER.finditer(text) if 1 <= int(m.group(1)) <= n_sources]


def tidy_model_text(text: str) -> str:
    """Drop sentences the model repeats, and a last sentence it did not finish."""
    seen: set[str] = set()
    paragraphs = []
    for para in re.split(r"\n\s*\n", text.strip()):
        kept = []
        for sentence in _SENTENCE.split(para.strip()):
            key = " ".join(re.sub(r"\[\d+\]", "", sentence).lower().split())
            if not key or key in seen:
                continue
            seen.add(key)
            kept.append(sentence)
        if kept:
            paragraphs.append(" ".join(kept))
    if paragraphs and not _ENDS_WELL.search(paragraphs[-1]):
        parts = _SENTENCE.split(paragraphs[-1])
        paragraphs[-1] = " ".join(parts[:-1])
        if not paragraphs[-1]:
            paragraphs.pop()
    return "\n\n".join(paragraphs)


def history(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Earlier turns as the tutor reads them: answers with their sources, so "that book" resolves."""
    out: list[dict[str, str]] = []
    for t in turns:
        out += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": render_answer(t)}]
    return out


def messages(turns: list[dict[str, Any]], links: Links) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for t in turns:
        out += [
            {"role": "user", "content": escape_answer(t["question"])},
            {"role": "assistant", "content": t.get("display") or render_answer(t, links, fold_sources=True)},
        ]
    return out


def level_arg(level: str | None) -> str | None:
    return None if not level or level == "auto" else level


def pick_backend(holder: TutorHolder, backend: str | None) -> tuple[str, str]:
    """The backend to use and a note when the chosen one cannot answer now (no silent failure)."""
    backend = backend or holder.settings.backend
    if backend == "extractive":
        return backend, ""
    if backend == "local" and holder.local_model_loading:
        return "extractive", "⚠️ The **local** model is still loading; here is the extractive answer meanwhile."
    status = holder.backend_status(backend)
    if status.available:
        return backend, ""
    detail = scrub_paths(status.detail)
    return (
        "extractive",
        f"⚠️ The **{backend}** backend is not available: {detail}. Answering with **extractive** instead.",
    )


def _own_material(
    col: Collection | None, question: str, hist: list, level: str | None, formats: set[str], offset: int
) -> tuple[str, list[dict[str, Any]]]:
    """Passages of the session's own uploads that answer ``question``, numbered after the shared ones."""
    if col is None:
        return "", []
    uploads = col.uploads_dir.resolve()
    with col.lease() as tutor:
        if tutor is None:
            return "", []
        answer = tutor.ask(question, hist, level=level, backend="extractive", formats=formats).to_dict()
    if not answer["in_scope"]:
        return "", []
    mine = []
    for c in answer["citations"]:
        url = c.get("url") or ""
        path = Path(url[7:].split("#")[0]) if url.startswith("file://") else None
        if path is not None and path.resolve().is_relative_to(uploads) and c.get("snippet"):
            mine.append(c)
    if not mine:
        return "", []
    cites = [{**c, "n": offset + i} for i, c in enumerate(mine, start=1)]
    lines = ["**From your own material:**", ""] + [f"- {c['snippet']} [{c['n']}]" for c in cites]
    return "\n".join(lines), cites


def stream_turn(
    holder: TutorHolder,
    question: str,
    turns: list[dict[str, Any]],
    *,
    level: str | None,
    formats: Sequence[str] | None,
    backend: str | None,
    collection: Collection | None = None,
    links: Links | None = None,
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Yield the answer text so far; the last item carries the finished turn (``Answer.to_dict()`` + extras)."""
    from mathtutor.types import Answer

    tutor = holder.tutor
    used, note = pick_backend(holder, backend)
    slot = False
    if used != "extractive":
        slot = holder.generations.acquire(blocking=False)
        if not slot:
            used, note = (
                "extractive",
                "⚠️ The language model is busy with other questions; here is the extractive answer.",
            )
    hist, lvl, fmts = history(turns), level_arg(level), set(formats or ())
    text = f"{note}\n\n" if note else ""
    final: Answer | None = None
    try:
        for piece in tutor.stream(question, hist, level=lvl, backend=used, formats=fmts):
            if isinstance(piece, Answer):
                final = piece
            else:
                text += piece
                yield escape_answer(scrub_paths(text) if used != "extractive" else text), None
    finally:
        if slot:
            holder.generations.release()
    assert final is not None
    turn = final.to_dict()
    if used != "extractive":
        turn["answer"] = scrub_paths(turn["answer"])
        if turn["backend"] != "extractive" and not valid_markers(turn["answer"], len(turn["citations"])):
            extractive = tutor.ask(question, hist, level=lvl, backend="extractive", formats=fmts).to_dict()
            model_text = tidy_model_text(turn["answer"])
            turn = {**extractive, "backend": turn["backend"], "verified": False}
            turn["answer"] = f"{extractive['answer']}\n\n{UNVERIFIED_MARK}\n\n" + "\n".join(
                f"> {line}" for line in model_text.splitlines()
            )
        else:
            turn["answer"] = tidy_model_text(turn["answer"])
    if note:
        turn["answer"] = f"{note}\n\n{turn['answer']}"
    shared_in_scope = turn["in_scope"]
    offset = len(turn["citations"]) if shared_in_scope else 0
    own_text, own_cites = _own_material(collection, question, hist, lvl, fmts, offset)
    if own_cites and shared_in_scope:
        turn["answer"] = f"{turn['answer']}\n\n{own_text}"
        turn["citations"] = [*turn["citations"], *own_cites]
    elif own_cites:  # only the learner's own material covers it: that alone is the answer
        turn.update(answer=own_text, citations=own_cites, in_scope=True, study_path=[])
    turn["level"] = lvl or tutor.settings.level
    turn["display"] = render_answer(turn, links or Links(), fold_sources=True)
    yield turn["display"], turn
