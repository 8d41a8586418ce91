"""The Progress panel: the learner's map, a mastery table, the goal, what to study next, export and import.

Everything here takes a :class:`~mathtutor.learning.LearnerHandle` that the caller got for the signed-in
session (never a learner name from the page), so it can only show or change that learner's progress.
The map is inlined as an ``<img>`` of a base64 SVG: nothing in it can run in the page. Downloads are
written to fresh files under an unguessable temp folder and handed to Gradio's download buttons.
An import file must pass the same origin check as an uploaded document, then the store's own checks
(size, shape, known concepts); a refusal says why.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathtutor.apps.ui.accounts import NEEDS_SIGN_IN, NOT_SAVED
from mathtutor.apps.ui.render import escape_html, md_text
from mathtutor.apps.ui.uploads import check_origin
from mathtutor.learning import LearningError, NothingToDraw, ProgressUnavailable

if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet

    from mathtutor.learning import LearnerHandle

__all__ = ["MAX_IMPORT_BYTES", "ProgressView", "citations", "import_file", "progress_view", "set_goal"]

MAX_IMPORT_BYTES = 5_000_000
DOWNLOAD_MAX_AGE_S = 3600.0
MAP_LEGEND = "green: mastered · light green: over 50% · yellow: some evidence · grey: none yet · blue ring: review due"


@dataclass
class ProgressView:
    """What the panel shows; the three paths are None when there is nothing to download."""

    message: str
    map_html: str = ""
    table: str = ""
    next_steps: str = ""
    goal: str = ""
    svg: str | None = None
    png: str | None = None
    export: str | None = None


def citations(concept: str) -> list[dict[str, Any]]:
    """Where the catalog teaches a concept (the resource and page or part), for "what next"."""
    from mathtutor.practice.citations import citations_for

    try:
        return [c.to_dict() for c in citations_for(concept, "practitioner", limit=1)]
    except (KeyError, ValueError):
        return []


@lru_cache(maxsize=1)
def _graph() -> Any:
    from mathtutor.knowledge.topics import load_topics

    return load_topics()


def _graph_name(concept: str) -> str:
    try:
        return _graph().get(concept).name
    except (KeyError, ValueError):
        return concept


def mastery_table(progress: dict[str, Any]) -> str:
    """Practised concepts as a table; the goal's untouched concepts in one line after it."""
    rows = progress.get("concepts") or []
    done = [r for r in rows if r.get("attempts")]
    rest = [r for r in rows if not r.get("attempts")]
    out = []
    if done:
        out += ["| Concept | Mastery | Attempts | Next review |", "|---|---|---|---|"]
        for r in done:
            due = (r.get("due") or "")[:10] or "–"
            out.append(f"| {md_text(_graph_name(r['concept']))} | {r['mastery']:.0%} | {r['attempts']} | {due} |")
    else:
        out.append("_No practice recorded yet. Solve a problem in the **Practice** tab and it shows up here._")
    if rest:
        names = ", ".join(md_text(_graph_name(r["concept"])) for r in rest)
        out += ["", f"Not practised yet on the way to your goal ({len(rest)}): {names}."]
    return "\n".join(out)


def next_markdown(progress: dict[str, Any]) -> str:
    items = progress.get("next") or []
    if not items:
        return "_Nothing suggested yet._"
    out = []
    for i, item in enumerate(items, start=1):
        line = f"{i}. **{md_text(_graph_name(item['concept']))}**: {md_text(item['why'])}"
        for c in item.get("citations", [])[:1]:
            page = f", p. {c['page']}" if c.get("page") else ""
            title = md_text(c.get("title") or "")
            line += f" · [{title}]({c['url']}){page}" if c.get("url") else f" · {title}{page}"
        out.append(line)
    return "\n".join(out)


def map_html(svg: bytes) -> str:
    """The map as an image: an SVG inside ``<img>`` cannot run scripts or reach the page."""
    data = base64.b64encode(svg).decode("ascii")
    alt = f"Your learner map: the topic graph around your goal, coloured by mastery ({MAP_LEGEND})"
    return (
        f'<figure class="mt-map"><img id="mt-map-img" alt="{escape_html(alt)}" src="data:image/svg+xml;base64,{data}" '
        'style="max-width:100%;height:auto"/></figure>'
    )


def download_folder(max_age_s: float = DOWNLOAD_MAX_AGE_S) -> Path:
    """A fresh private folder for one view's downloads; folders older than ``max_age_s`` are removed (Gradio
    has copied them into its own cache by then)."""
    root = Path(tempfile.gettempdir()) / "mathtutor-progress"
    root.mkdir(mode=0o700, exist_ok=True)
    now = time.time()
    for old in root.iterdir():
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > max_age_s:
                shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=root))


def _write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


def progress_view(handle: LearnerHandle | None, notice: str = "") -> ProgressView:
    """Everything the panel shows for the signed-in learner (or why it shows nothing)."""
    if handle is None:
        return ProgressView(f"_{NEEDS_SIGN_IN}_")
    try:
        progress = handle.progress(cite=citations)
        goal_text = progress.get("goal") or ""
        folder = download_folder()
        export = _write(folder, f"progress-{handle.name}.json", handle.export_json().encode("utf-8"))
        try:
            svg = handle.learner_map(fmt="svg")
            png = handle.learner_map(fmt="png")
        except NothingToDraw as exc:
            picture, svg_path, png_path = f"<p>{escape_html(str(exc))}</p>", None, None
        else:
            picture = map_html(svg)
            svg_path = _write(folder, "learner-map.svg", svg)
            png_path = _write(folder, "learner-map.png", png)
    except ProgressUnavailable:
        return ProgressView(NOT_SAVED)
    except LearningError as exc:
        return ProgressView(f"⚠️ {md_text(str(exc))}")
    head = f"**{md_text(handle.name)}**" + (f" · goal: {md_text(goal_text)}" if goal_text else " · no goal set yet")
    message = f"{notice}\n\n{head}" if notice else head
    return ProgressView(
        message, picture, mastery_table(progress), next_markdown(progress), goal_text, svg_path, png_path, export
    )


def set_goal(handle: LearnerHandle | None, goal: str | None) -> str:
    """Set (or, when empty, clear) the goal; a line saying what it became."""
    if handle is None:
        return f"_{NEEDS_SIGN_IN}_"
    text = " ".join((goal or "").split())
    if len(text) > 200:
        return "⚠️ A goal is at most 200 characters."
    try:
        ids = handle.set_goal(text or None)
    except ProgressUnavailable:
        return NOT_SAVED
    except LearningError as exc:
        return f"⚠️ {md_text(str(exc))}"
    if not ids:
        return "Goal cleared."
    return "🎯 Goal set: " + ", ".join(md_text(_graph_name(c)) for c in ids) + "."


def import_file(
    handle: LearnerHandle | None, path: str | None, cache_dir: Path, uploaded: AbstractSet[str] | None
) -> str:
    """Import an exported progress file the client uploaded; a line saying what was added or why not."""
    if handle is None:
        return f"_{NEEDS_SIGN_IN}_"
    if not path:
        return "Choose a progress file (.json) exported from mathtutor first."
    refusal = check_origin(path, cache_dir, uploaded)
    if refusal:
        return f"⚠️ Not imported: {refusal}."
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_IMPORT_BYTES:
            return f"⚠️ Not imported: the file is {size / 1e6:.1f} MB, over the {MAX_IMPORT_BYTES / 1e6:g} MB limit."
        data = p.read_bytes()
    except OSError:
        return "⚠️ Not imported: the file could not be read; upload it again."
    try:
        result = handle.import_progress(data)
    except ProgressUnavailable:
        return NOT_SAVED
    except LearningError as exc:
        return f"⚠️ Not imported: {md_text(str(exc))}"
    return f"📥 Imported {result.added} attempt(s); {result.skipped} were already there."
