"""The web UI: a Gradio chat over one shared :class:`~mathtutor.tutor.Tutor`.

A thin shell: every answer, citation and study path comes from the tutor; this module only draws
them, stores feedback and uploads under the data directory, and swaps in a freshly opened tutor
after an upload was ingested. Gradio is imported only inside the functions that build and serve
the app, so the helpers here (rendering, upload checks) load without it and the core never needs it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from mathtutor.settings import PROJECT_ROOT, Settings, get_settings
from mathtutor.types import CITATION_MARKER

if TYPE_CHECKING:
    import argparse

    import gradio as gr

    from mathtutor.llm import BackendStatus
    from mathtutor.tutor import Tutor

LEVEL_CHOICES = ("auto", "beginner", "practitioner", "researcher")
FORMAT_CHOICES = ("video", "book", "course", "interactive")
BACKEND_CHOICES = ("extractive", "local", "ollama", "openai")
EXAMPLES = (
    "What should I study for PCA?",
    "What is a partial derivative?",
    "I'm new to this: how do I learn gradient descent?",
    "Explain eigenvalues with a video",
    "What does the SVD of a matrix tell me?",
)
#: Inline $...$ and \(...\), display $$...$$: what the notes and most transcripts use. ``\[...\]`` is left
#: out on purpose: it is also how markdown escapes a bracket, as in a citation label ``\[3\]``.
LATEX_DELIMITERS = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
    {"left": "\\(", "right": "\\)", "display": False},
]
#: Upload types: the loaders' own suffixes (see mathtutor.ingest.readers.SUFFIX_KINDS).
UPLOAD_SUFFIXES = {".pdf": "pdf", ".md": "text", ".markdown": "text", ".txt": "text", ".srt": "text", ".vtt": "text"}
ACCEPTED_TYPES = "PDF (.pdf), transcripts (.srt, .vtt, .txt) or markdown (.md)"
MAX_UPLOAD_MB = 50.0
#: Two cores: two questions answered at once keep both busy; more only add waiting inside the process.
CHAT_CONCURRENCY = 2
QUEUE_MAX_SIZE = 200
BACKEND_STATUS_TTL_S = 15.0
DATA_DIR_ENV = "MATHTUTOR_DATA_DIR"
#: Exported study paths are temporary: the browser downloads them at once.
EXPORT_MAX_AGE_S = 3600.0

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|])")


def default_data_dir() -> Path:
    """Where uploads, feedback and exports live: ``$MATHTUTOR_DATA_DIR`` or ``<checkout>/data`` (git-ignored)."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else PROJECT_ROOT / "data"


# ---------------------------------------------------------------------------------------------------
# rendering (pure functions: no gradio)


def _md_text(text: str) -> str:
    """Text safe inside markdown link labels and lists (no accidental links, emphasis or HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _md_url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


class Links:
    """Turns citation URLs into links a browser can open.

    For the page (``roots`` given), ``file://`` URLs (uploads, the study notes) are served through
    Gradio's file route when they lie under one of ``roots``; other local files get no link rather
    than one the browser refuses. Without ``roots`` (the API, exports) URLs are kept as they are.
    """

    def __init__(self, roots: Sequence[Path] | None = None, prefix: str = "/gradio_api/file=") -> None:
        self.roots = [Path(r).resolve() for r in roots] if roots is not None else None
        self.prefix = prefix

    def href(self, url: str | None) -> str | None:
        if not url:
            return None
        if self.roots is None:
            return url
        if not url.startswith("file:"):
            return url if url.startswith(("http://", "https://")) else None
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            return None
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return f"{self.prefix}{quote(str(path))}{fragment}"


RAW_LINKS = Links()


def _cite_label(c: dict[str, Any]) -> str:
    return f"{c['title']}, {c['locator']}" if c.get("locator") else str(c["title"])


def link_citations(text: str, citations: list[dict[str, Any]], links: Links = RAW_LINKS) -> str:
    """``[n]`` markers become links to the cited passage, with its title and locator as the tooltip."""
    by_n = {int(c["n"]): c for c in citations}

    def repl(m: re.Match[str]) -> str:
        c = by_n.get(int(m.group(1)))
        if c is None:
            return m.group(0)
        href = links.href(c.get("url"))
        if href is None:
            return f"\\[{c['n']}\\]"
        tip = _cite_label(c).replace('"', "'")
        return f'[\\[{c["n"]}\\]]({_md_url(href)} "{tip}")'

    return CITATION_MARKER.sub(repl, text)


def source_line(c: dict[str, Any], links: Links = RAW_LINKS) -> str:
    """``**[n]** [Title](url) · locator`` (no link when the source cannot be opened)."""
    href = links.href(c.get("url"))
    title = _md_text(c["title"])
    label = f"[{title}]({_md_url(href)})" if href else title
    where = f" · {_md_text(c['locator'])}" if c.get("locator") else ""
    return f"**\\[{c['n']}\\]** {label}{where}"


def render_answer(answer: dict[str, Any], links: Links = RAW_LINKS, *, fold_sources: bool = False) -> str:
    """An answer (``Answer.to_dict()``) as markdown: linked citations, then the numbered sources.

    In the chat the list is folded (the sources panel beside it shows them in full); the API and
    exports get it open.
    """
    text = link_citations(answer["answer"], answer["citations"], links)
    cites = answer["citations"]
    if not cites:
        return text
    items = [f"- {source_line(c, links)}" for c in cites]
    if fold_sources:
        n = len(cites)
        summary = f"Sources ({n} passage{'s' if n != 1 else ''} and resources)"
        return "\n".join([text, "", f"<details><summary>{summary}</summary>", "", *items, "", "</details>"])
    return "\n".join([text, "", "**Sources**", *items])


def _snippet_md(snippet: str) -> str:
    """A passage as quoted markdown: HTML escaped, LaTeX left alone for the math renderer."""
    flat = " ".join(snippet.split())
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_sources(answer: dict[str, Any] | None, links: Links = RAW_LINKS) -> str:
    """The sources panel: every cited passage of the latest answer with its snippet."""
    if not answer:
        return "_The passages behind each answer appear here, with links to the book page or video moment._"
    if not answer["citations"]:
        return "_This answer cites no sources._"
    blocks = []
    for c in answer["citations"]:
        blocks.append(f"{source_line(c, links)}\n\n> {_snippet_md(c.get('snippet') or '')}")
    return "\n\n".join(blocks)


def _concept_name(tutor: Tutor | None, concept: str) -> str:
    topics = getattr(tutor, "topics", None)
    if topics is not None and concept in topics:
        return topics.get(concept).name
    return concept.replace("-", " ").capitalize()


def study_paths(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The turns of a conversation that produced a study path, oldest first."""
    return [t for t in turns if t.get("study_path")]


def render_path_html(turns: list[dict[str, Any]], tutor: Tutor | None, links: Links = RAW_LINKS) -> str:
    """The latest study path as an ordered checklist; earlier ones folded away below it."""
    paths = study_paths(turns)
    if not paths:
        return (
            '<p class="mt-empty">Ask <em>"What should I study for …?"</em> to get an ordered study path '
            "you can tick off as you go.</p>"
        )
    out = []
    for i, turn in enumerate(reversed(paths)):
        body = _path_list_html(turn, tutor, links)
        title = html.escape(turn["question"])
        if i == 0:
            out.append(f'<div class="mt-path"><p class="mt-path-q">{title}</p>{body}</div>')
        else:
            out.append(f'<details class="mt-path"><summary>{title}</summary>{body}</details>')
    return "\n".join(out)


def _path_list_html(turn: dict[str, Any], tutor: Tutor | None, links: Links) -> str:
    by_n = {int(c["n"]): c for c in turn["citations"]}
    items = []
    for step in turn["study_path"]:
        name = html.escape(_concept_name(tutor, step["concept"]))
        refs = []
        for n in step.get("citations", []):
            c = by_n.get(int(n))
            if c is None:
                continue
            href = links.href(c.get("url"))
            label = html.escape(_cite_label(c))
            if href:
                refs.append(
                    f'<a href="{html.escape(href, quote=True)}" target="_blank" rel="noopener noreferrer">{label}</a>'
                )
            else:
                refs.append(label)
        study = f'<div class="mt-study">Study: {" · ".join(refs)}</div>' if refs else ""
        items.append(
            f'<li><label><input type="checkbox"> <strong>{name}</strong></label>'
            f'<div class="mt-why">{html.escape(step["why"])}</div>{study}</li>'
        )
    return f'<ol class="mt-checklist">{"".join(items)}</ol>'


def path_markdown(turns: list[dict[str, Any]], tutor: Tutor | None = None) -> str:
    """The conversation's study paths as a markdown checklist to download and tick off elsewhere."""
    paths = study_paths(turns)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = ["# My study path", "", f"_Made with mathtutor on {stamp}._", ""]
    if not paths:
        lines.append('No study path yet: ask "What should I study for …?" first.')
    for turn in paths:
        level = f" (level: {turn['level']})" if turn.get("level") else ""
        lines += [f"## {_md_text(turn['question'])}{level}", ""]
        by_n = {int(c["n"]): c for c in turn["citations"]}
        for i, step in enumerate(turn["study_path"], start=1):
            lines.append(f"{i}. [ ] **{_md_text(_concept_name(tutor, step['concept']))}**: {_md_text(step['why'])}")
            for n in step.get("citations", []):
                c = by_n.get(int(n))
                if c is None:
                    continue
                url = c.get("url")
                label = _md_text(_cite_label(c))
                lines.append(f"   - [{label}]({_md_url(url)})" if url else f"   - {label}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_FORMAT_WORDS = {
    "book": ("book", "books"),
    "video-series": ("video series", "video series"),
    "channel": ("video channel", "video channels"),
    "course": ("course", "courses"),
    "article": ("article", "articles"),
    "interactive": ("interactive site", "interactive sites"),
    "notes": ("set of study notes", "sets of study notes"),
}


def search_status(status: dict[str, Any]) -> str:
    """``Searching 745 passages from 4 books, 8 video series, 13 courses and 11 more sources…``."""
    formats = dict(status.get("formats") or {})
    parts = []
    for fmt in ("book", "video-series", "channel", "course"):
        n = formats.pop(fmt, 0)
        if n:
            parts.append(f"{n} {_FORMAT_WORDS[fmt][n != 1]}")
    rest = sum(formats.values())
    if rest:
        noun = "source" if rest == 1 else "sources"
        parts.append(f"{rest} more {noun}" if parts else f"{rest} {noun}")
    where = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else (parts[0] if parts else "the index")
    return f"Searching {status.get('chunks', 0):,} passages from {where}…"


def index_line(status: dict[str, Any]) -> str:
    formats = status.get("formats") or {}
    order = {f: i for i, f in enumerate(_FORMAT_WORDS)}
    ranked = sorted(formats.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    bits = [f"{n} {_FORMAT_WORDS.get(f, (f, f + 's'))[n != 1]}" for f, n in ranked]
    return f"{status.get('chunks', 0):,} passages from {status.get('resources', 0)} resources ({', '.join(bits)})"


# ---------------------------------------------------------------------------------------------------
# uploads


def sanitize_filename(name: str, max_stem: int = 80) -> str:
    """A safe file name: no folders, no control or shell-special characters, no leading dot."""
    name = unicodedata.normalize("NFKC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    clean = re.sub(r"[^\w\-]+", "_", stem).strip("._-")[:max_stem].strip("._-") or "upload"
    suffix = re.sub(r"[^a-z0-9]+", "", suffix.lower())[:10]
    return f"{clean}.{suffix}" if suffix else clean


def check_upload(path: Path, display_name: str, max_bytes: int) -> str | None:
    """Why this file cannot be added (None when it can): type, size and a look at its first bytes."""
    suffix = Path(display_name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        kind = f"{suffix} files" if suffix else "files without an extension"
        return f"{kind} are not accepted; upload {ACCEPTED_TYPES}"
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError as exc:
        return f"the upload could not be read ({exc.strerror or exc})"
    if size == 0:
        return "the file is empty"
    if size > max_bytes:
        return f"the file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit for uploads"
    if UPLOAD_SUFFIXES[suffix] == "pdf":
        if not head.startswith(b"%PDF-"):
            return "this is not a PDF (it does not start with %PDF-)"
    else:
        if b"\x00" in head:
            return f"this is not a text file (binary content), so it cannot be read as {suffix}"
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a multi-byte character cut at the end of the sample is fine
                return "this text file is not UTF-8; save it as UTF-8 and upload it again"
    return None


def _prune(root: Path, max_age_s: float) -> None:
    """Remove the sub-folders of ``root`` older than ``max_age_s`` (exports nobody will download again)."""
    if not root.is_dir():
        return
    cutoff = time.time() - max_age_s
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def save_upload(src: Path, name: str, uploads_dir: Path) -> Path:
    """Copy an upload to ``uploads/<content hash>/<name>``: the same file twice is stored once."""
    from mathtutor.ingest.pipeline import file_sha256

    folder = uploads_dir / file_sha256(src)[:16]
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / name
    if not dest.exists():
        tmp = folder / f".{name}.{uuid.uuid4().hex}.part"
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    return dest


# ---------------------------------------------------------------------------------------------------
# the shared state behind every session


@dataclass
class UploadResult:
    message: str
    added: list[str]
    rejected: list[str]


class TutorHolder:
    """One tutor for all sessions (the model is loaded once), replaced whole after an upload.

    A chat takes a reference to the current tutor and keeps it for its whole answer, so an index
    swap in the middle never disturbs it: the old tutor's files stay readable (the store keeps the
    previous generation) and it is dropped once the last chat using it ends.
    """

    def __init__(
        self,
        tutor: Tutor,
        *,
        data_dir: Path,
        max_upload_mb: float = MAX_UPLOAD_MB,
        reopen: Callable[[Tutor], Tutor] | None = None,
    ) -> None:
        self._tutor = tutor
        self._lock = threading.Lock()
        self._ingest_lock = threading.Lock()
        self._feedback_lock = threading.Lock()
        self._status_lock = threading.Lock()
        self._status_cache: dict[str, tuple[float, BackendStatus]] = {}
        self.data_dir = Path(data_dir)
        self.max_upload_bytes = int(max_upload_mb * 1e6)
        self._reopen = reopen or _reopen_tutor
        notes = tutor.settings.corpus_dir / "notes"
        self.links = Links([self.uploads_dir, notes, self.data_dir / "corpus"])

    @property
    def tutor(self) -> Tutor:
        with self._lock:
            return self._tutor

    def swap(self, tutor: Tutor) -> None:
        with self._lock:
            self._tutor = tutor

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def feedback_file(self) -> Path:
        return self.data_dir / "feedback.jsonl"

    @property
    def settings(self) -> Settings:
        return self.tutor.settings

    # -- backends
    def backend_status(self, name: str) -> BackendStatus:
        """``llm.backend_status`` cached for a few seconds: it may wait up to a second on a server."""
        from mathtutor.llm import backend_status

        now = time.monotonic()
        with self._status_lock:
            hit = self._status_cache.get(name)
            if hit is not None and now - hit[0] < BACKEND_STATUS_TTL_S:
                return hit[1]
        status = backend_status(name, self.settings)
        with self._status_lock:
            self._status_cache[name] = (time.monotonic(), status)
        return status

    # -- feedback
    def record_feedback(self, turn: dict[str, Any], rating: str) -> dict[str, Any]:
        """Append one rating with its question, answer and citations to ``feedback.jsonl``."""
        record = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "rating": rating,
            "question": turn["question"],
            "answer": turn["answer"],
            "citations": turn["citations"],
            "study_path": turn.get("study_path", []),
            "backend": turn.get("backend"),
            "level": turn.get("level"),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._feedback_lock:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            with open(self.feedback_file, "a", encoding="utf-8") as f:
                f.write(line)
        return record

    # -- uploads
    def add_files(
        self, files: Sequence[str | Path] | None, progress: Callable[[float, str], None] | None = None
    ) -> UploadResult:
        """Check, save and ingest uploads into the live index, then swap in a reopened tutor."""
        from mathtutor.index.store import IndexBusyError
        from mathtutor.ingest.pipeline import ingest

        report_progress = progress or (lambda fraction, desc: None)
        if not files:
            return UploadResult("Choose one or more files first.", [], [])
        saved: list[tuple[str, Path]] = []
        rejected: list[str] = []
        for f in files:
            src = Path(f)
            shown = sanitize_filename(src.name)
            reason = check_upload(src, src.name, self.max_upload_bytes)
            if reason:
                rejected.append(f"{shown}: {reason}")
                continue
            saved.append((shown, save_upload(src, shown, self.uploads_dir)))
        if not saved:
            return UploadResult(_upload_message([], rejected, None), [], rejected)

        report_progress(0.0, "Waiting for the index")
        with self._ingest_lock:
            current = self.tutor
            state: dict[str, Any] = {"done": 0, "total": len(saved), "reopening": False}
            outcome: dict[str, Any] = {}

            def on_progress(done: int, total: int) -> None:
                state.update(done=done, total=total)

            def work() -> None:  # the request thread keeps reporting progress while this runs
                try:
                    report = ingest(
                        [p for _, p in saved],
                        current.settings,
                        progress=False,
                        embedder=current.embedder,
                        on_progress=on_progress,
                    )
                    outcome["report"] = report
                    if report.chunks_added or report.chunks_removed:
                        state["reopening"] = True
                        fresh = self._reopen(current)
                        fresh.retriever.search("warm up", k=1)  # load the lexical index before the swap
                        self.swap(fresh)
                except Exception as exc:  # shown to the learner; the live index is untouched
                    outcome["error"] = exc

            thread = threading.Thread(target=work, name="mathtutor-ingest", daemon=True)
            thread.start()
            while thread.is_alive():
                if state["reopening"]:
                    report_progress(0.97, "Opening the updated index")
                else:
                    done, total = state["done"], state["total"]
                    report_progress(0.05 + 0.9 * done / max(total, 1), f"Reading and embedding {done}/{total} files")
                thread.join(0.25)
        error = outcome.get("error")
        if isinstance(error, IndexBusyError):
            rejected.append("the index is being updated by another program; try again in a minute")
            return UploadResult(_upload_message([], rejected, None), [], rejected)
        if error is not None:
            rejected.append(f"the files could not be added ({error}); the index was left as it was")
            return UploadResult(_upload_message([], rejected, None), [], rejected)
        report = outcome["report"]
        names = {str(p.resolve()): shown for shown, p in saved}
        failed = {str(Path(i.file).resolve()) for i in [*report.errors, *report.skipped]}
        for issue in [*report.errors, *report.skipped]:
            rejected.append(f"{names.get(str(Path(issue.file).resolve()), Path(issue.file).name)}: {issue.reason}")
        added = [shown for shown, p in saved if str(p.resolve()) not in failed]
        report_progress(1.0, "Done")
        return UploadResult(_upload_message(added, rejected, report), added, rejected)


def _upload_message(added: list[str], rejected: list[str], report: Any) -> str:
    lines = []
    if added:
        what = ", ".join(f"**{_md_text(a)}**" for a in added)
        if report is not None and report.noop:
            lines.append(f"✅ {what}: already in the index, nothing changed.")
        else:
            chunks = report.chunks_added if report is not None else 0
            total = report.chunks_total if report is not None else 0
            lines.append(
                f"✅ Added {what} ({chunks} new passage{'s' if chunks != 1 else ''}). "
                f"The tutor now searches {total:,} passages; ask about them in the chat."
            )
    for r in rejected:
        lines.append(f"❌ Not added: {_md_text(r)}")
    return "\n\n".join(lines)


def _reopen_tutor(current: Tutor) -> Tutor:
    """The same index, catalog and settings reopened at its newest generation, sharing the loaded model."""
    from mathtutor.tutor import Tutor

    overrides = current.settings.model_dump(exclude_unset=True)
    index_dir = overrides.pop("index_dir", current.settings.index_dir)
    return Tutor.open(index_dir, embedder=current.embedder, **overrides)


# ---------------------------------------------------------------------------------------------------
# conversation


def _history(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Earlier turns as the tutor reads them: answers with their sources' URLs, so "that book" resolves."""
    out: list[dict[str, str]] = []
    for t in turns:
        out += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": render_answer(t)}]
    return out


def _messages(turns: list[dict[str, Any]], links: Links) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for t in turns:
        out += [
            {"role": "user", "content": t["question"]},
            {"role": "assistant", "content": t.get("display") or render_answer(t, links, fold_sources=True)},
        ]
    return out


def _level_arg(level: str | None) -> str | None:
    return None if not level or level == "auto" else level


def _backend_note(status: BackendStatus) -> str:
    return f"⚠️ The **{status.name}** backend is not available: {status.detail}. Answering with **extractive** instead."


def _pick_backend(holder: TutorHolder, backend: str | None) -> tuple[str, str]:
    """The backend to use and a note when the chosen one cannot answer (no silent failure)."""
    backend = backend or holder.settings.backend
    if backend == "extractive":
        return backend, ""
    status = holder.backend_status(backend)
    if status.available:
        return backend, ""
    return "extractive", _backend_note(status)


def stream_turn(
    holder: TutorHolder,
    question: str,
    turns: list[dict[str, Any]],
    *,
    level: str | None,
    formats: Sequence[str] | None,
    backend: str | None,
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Yield the answer text so far; the last item carries the finished turn (``Answer.to_dict()`` + extras)."""
    from mathtutor.tutor import Answer

    tutor = holder.tutor  # kept for the whole answer, even if an upload swaps in a new tutor meanwhile
    used, note = _pick_backend(holder, backend)
    text = f"{note}\n\n" if note else ""
    final: Answer | None = None
    for piece in tutor.stream(
        question, _history(turns), level=_level_arg(level), backend=used, formats=set(formats or ())
    ):
        if isinstance(piece, Answer):
            final = piece
        else:
            text += piece
            yield text, None
    assert final is not None
    turn = final.to_dict()
    if note:
        turn["answer"] = f"{note}\n\n{turn['answer']}"
    turn["level"] = _level_arg(level) or tutor.settings.level
    turn["display"] = render_answer(turn, holder.links, fold_sources=True)
    yield turn["display"], turn


# ---------------------------------------------------------------------------------------------------
# the app


CSS = """
.gradio-container { max-width: 1400px !important; margin: 0 auto; }
#mt-header h1 { margin-bottom: 0.1em; }
#mt-header p { margin-top: 0; color: var(--body-text-color-subdued); }
#mt-status { min-height: 1.6em; font-size: 0.92em; color: var(--body-text-color-subdued); }
#mt-sources blockquote { margin: 0.2em 0 0.9em 0; font-size: 0.92em; }
.mt-checklist { padding-left: 1.6em; margin: 0.3em 0; }
.mt-checklist li { margin: 0 0 0.55em 0; }
.mt-checklist label { cursor: pointer; }
.mt-checklist input[type=checkbox] {
  appearance: auto; -webkit-appearance: checkbox; width: 1.05em; height: 1.05em;
  margin: 0 0.35em 0 0; vertical-align: -2px; accent-color: var(--color-accent); cursor: pointer;
}
.mt-checklist li:has(input:checked) strong { text-decoration: line-through; opacity: 0.6; }
.mt-why { font-size: 0.9em; color: var(--body-text-color-subdued); }
.mt-study { font-size: 0.9em; }
#mt-path a { padding: 0 !important; margin: 0 !important; }
.mt-path-q { font-weight: 600; margin: 0 0 0.3em 0; }
.mt-empty { color: var(--body-text-color-subdued); }
.mt-panel-title { font-weight: 600; margin: 0.2em 0; }
footer { display: none !important; }
"""


def theme() -> Any:
    """Gradio's Soft theme with fonts Gradio ships itself: the page loads nothing from elsewhere."""
    import gradio as gr

    # Regular and Bold only: Gradio's bundled SemiBold files hold just a few dozen glyphs.
    return gr.themes.Soft(
        primary_hue="indigo",
        font=[gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "monospace"],
    )


def build_app(
    tutor_factory: Callable[[], Tutor] | None = None,
    settings: Settings | None = None,
    *,
    data_dir: str | Path | None = None,
    max_upload_mb: float = MAX_UPLOAD_MB,
    backend: str | None = None,
) -> gr.Blocks:
    """The Blocks app over one tutor made by ``tutor_factory`` (default: ``Tutor.open(settings.index_dir)``).

    The factory is called once here, so the embedding model is loaded before the first visitor.
    ``app.holder`` is the :class:`TutorHolder` (tests and the load benchmark read it).
    """
    import gradio as gr

    from mathtutor.tutor import QuestionError, Tutor

    if tutor_factory is None:
        settings = settings or get_settings()
        overrides = settings.model_dump(exclude_unset=True)
        overrides.pop("index_dir", None)
        if backend:
            overrides["backend"] = backend
        tutor = Tutor.open(settings.index_dir, **overrides)
    else:
        tutor = tutor_factory()
    holder = TutorHolder(
        tutor, data_dir=Path(data_dir) if data_dir else default_data_dir(), max_upload_mb=max_upload_mb
    )
    default_backend = backend or tutor.settings.backend
    default_level = tutor.settings.level or "auto"

    def respond(message: str, turns: list[dict[str, Any]], level: str, formats: list[str], backend_name: str):
        question = (message or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        tutor_now = holder.tutor
        status = search_status(tutor_now.status())
        shown = [*_messages(turns, holder.links), {"role": "user", "content": question}]
        pending = {"role": "assistant", "content": f"_{status}_"}
        yield [*shown, pending], f"⏳ {status}", "", gr.skip(), gr.skip(), gr.skip(), turns
        t0 = time.perf_counter()
        try:
            for text, turn in stream_turn(holder, question, turns, level=level, formats=formats, backend=backend_name):
                if turn is None:
                    yield [*shown, {"role": "assistant", "content": text}], gr.skip(), *(gr.skip(),) * 4, turns
                    continue
                turns = [*turns, turn]
                n = len(turn["citations"])
                took = (time.perf_counter() - t0) * 1000
                line = f"✅ {n} source{'s' if n != 1 else ''} · {took:.0f} ms · {turn['backend']} backend"
                if not turn["in_scope"]:
                    line = "ℹ️ Not covered by the materials in the index."
                yield (
                    _messages(turns, holder.links),
                    line,
                    "",
                    render_sources(turn, holder.links),
                    render_path_html(turns, holder.tutor, holder.links),
                    _export_button(turns),
                    turns,
                )
        except QuestionError as exc:
            shown.append({"role": "assistant", "content": f"⚠️ {exc}"})
            yield shown, f"⚠️ {exc}", question, gr.skip(), gr.skip(), gr.skip(), turns

    def _export_button(turns: list[dict[str, Any]]) -> Any:
        if not study_paths(turns):
            return gr.DownloadButton(value=None, interactive=False)
        root = Path(tempfile.gettempdir()) / "mathtutor-exports"
        _prune(root, max_age_s=EXPORT_MAX_AGE_S)
        folder = root / uuid.uuid4().hex
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "study-path.md"
        path.write_text(path_markdown(turns, holder.tutor), encoding="utf-8")
        return gr.DownloadButton(value=str(path), interactive=True)

    def on_like(turns: list[dict[str, Any]], data: gr.LikeData) -> str:
        index = data.index if isinstance(data.index, int) else data.index[0]
        turn_no = index // 2
        if turn_no >= len(turns):
            return "The answer is still being written; rate it when it is done."
        rating = {True: "up", False: "down", None: "cleared"}.get(data.liked, str(data.liked))  # type: ignore[arg-type]
        holder.record_feedback(turns[turn_no], rating)
        return {"up": "👍 Thanks, noted.", "down": "👎 Thanks, noted: this helps improve the tutor."}.get(
            rating, "Rating cleared."
        )

    def pick_example(data: gr.SelectData) -> str:
        value = data.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    # Gradio finds event data by annotation; this module's annotations are strings it cannot resolve.
    on_like.__annotations__ = {"turns": list, "data": gr.LikeData, "return": str}
    pick_example.__annotations__ = {"data": gr.SelectData, "return": str}

    def show_backend(name: str) -> str:
        status = holder.backend_status(name)
        if status.available:
            return f"✅ **{name}**: {status.detail}"
        return f"⚠️ **{name} is not available**: {status.detail}. Questions will be answered with **extractive**."

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, str]:  # noqa: B008
        result = holder.add_files(files, lambda fraction, desc: progress(fraction, desc=desc))
        if result.rejected and not result.added:
            gr.Warning(result.rejected[0])
        return result.message, index_line(holder.tutor.status())

    def chat_api(message: str, level: str = "auto", backend: str = "") -> str:
        """Ask the tutor one question: returns the answer in markdown with its numbered sources (links)."""
        try:
            turn = None
            for _, done in stream_turn(holder, message, [], level=level, formats=(), backend=backend or None):
                turn = done
        except QuestionError as exc:
            raise gr.Error(str(exc)) from None
        assert turn is not None
        return render_answer(turn)

    # Gradio's cache of uploads and downloads is emptied of files older than six hours, every hour.
    with gr.Blocks(title="mathtutor: the maths of machine learning", delete_cache=(3600, 6 * 3600)) as demo:
        turns_state = gr.State([])
        with gr.Column(elem_id="mt-header"):
            gr.Markdown(
                "# mathtutor\nStudy paths and cited answers for the maths of machine learning, from free books, "
                "lectures and courses. Everything runs on this computer."
            )
            index_md = gr.Markdown(f"📚 {index_line(tutor.status())}", elem_id="mt-index")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    label="Chat",
                    elem_id="mt-chat",
                    height=640,
                    latex_delimiters=LATEX_DELIMITERS,
                    feedback_options=("Like", "Dislike"),
                    examples=[{"text": q} for q in EXAMPLES],
                    placeholder="**Ask about a concept, or what to study for a topic.** Pick an example to start.",
                    buttons=["copy"],
                    layout="bubble",
                )
                status_md = gr.Markdown("", elem_id="mt-status")
                with gr.Row():
                    msg = gr.Textbox(
                        placeholder='Ask a question, e.g. "What should I study for PCA?"',
                        show_label=False,
                        scale=8,
                        autofocus=True,
                        max_length=2000,
                        elem_id="mt-input",
                        submit_btn=False,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="mt-send")
                    clear = gr.Button("New chat", scale=1, min_width=130)
                with gr.Accordion("Settings: level, formats, backend", open=False, elem_id="mt-settings"):
                    level = gr.Radio(
                        list(LEVEL_CHOICES),
                        value=default_level,
                        label="Your level",
                        info="auto: read it from the question (“I'm new to this…”)",
                    )
                    formats = gr.CheckboxGroup(
                        list(FORMAT_CHOICES), value=[], label="Preferred formats", info="none ticked: any format"
                    )
                    backend_radio = gr.Radio(
                        list(BACKEND_CHOICES),
                        value=default_backend,
                        label="Answer backend",
                        info="extractive quotes the passages; the others write with a language model",
                    )
                    backend_md = gr.Markdown("", elem_id="mt-backend-status")
                with gr.Accordion("Add your own material (PDF, transcripts, markdown)", open=False, elem_id="mt-add"):
                    files = gr.File(
                        file_count="multiple",
                        type="filepath",
                        label=f"{ACCEPTED_TYPES}; up to {max_upload_mb:g} MB each",
                        elem_id="mt-files",
                    )
                    add_btn = gr.Button("Add to the index", elem_id="mt-add-btn")
                    upload_md = gr.Markdown("", elem_id="mt-upload-result", min_height=60)
            with gr.Column(scale=2, min_width=320):
                gr.Markdown("### Sources", elem_classes="mt-panel-title")
                sources_md = gr.Markdown(
                    render_sources(None),
                    elem_id="mt-sources",
                    latex_delimiters=LATEX_DELIMITERS,
                    padding=True,
                    max_height=430,
                )
                gr.Markdown("### Study path", elem_classes="mt-panel-title")
                path_html = gr.HTML(render_path_html([], tutor), elem_id="mt-path", js_on_load=None, max_height=380)
                export = gr.DownloadButton(
                    "Export study path (.md)", value=None, interactive=False, size="sm", elem_id="mt-export"
                )

        chat_outputs = [chatbot, status_md, msg, sources_md, path_html, export, turns_state]
        chat_inputs = [msg, turns_state, level, formats, backend_radio]
        event = dict(concurrency_limit=CHAT_CONCURRENCY, concurrency_id="tutor", api_visibility="private")
        msg.submit(respond, chat_inputs, chat_outputs, **event)
        send.click(respond, chat_inputs, chat_outputs, **event)
        chatbot.example_select(pick_example, None, msg, queue=False, api_visibility="private").then(
            respond, chat_inputs, chat_outputs, **event
        )
        chatbot.like(on_like, turns_state, status_md, queue=False, api_visibility="private")

        def reset() -> tuple[Any, ...]:
            return [], [], "", render_sources(None), render_path_html([], holder.tutor), _export_button([])

        reset_outputs = [chatbot, turns_state, status_md, sources_md, path_html, export]
        clear.click(reset, None, reset_outputs, queue=False, api_visibility="private")
        chatbot.clear(reset, None, reset_outputs, queue=False, api_visibility="private")  # the chat's own bin
        backend_radio.change(show_backend, backend_radio, backend_md, api_visibility="private")
        demo.load(show_backend, backend_radio, backend_md, api_visibility="private")
        add_btn.click(
            upload, files, [upload_md, index_md], api_name="upload", concurrency_limit=1, show_progress_on=upload_md
        )
        gr.api(chat_api, api_name="chat", concurrency_limit=CHAT_CONCURRENCY, concurrency_id="tutor")

    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=QUEUE_MAX_SIZE)
    demo.holder = holder  # type: ignore[attr-defined]
    return demo


def launch(
    demo: gr.Blocks,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    inbrowser: bool = False,
    block: bool = True,
) -> str:
    """Serve ``demo``: loopback by default, no share link, uploads capped, the study notes and uploads linkable."""
    holder: TutorHolder = demo.holder  # type: ignore[attr-defined]
    holder.uploads_dir.mkdir(parents=True, exist_ok=True)
    # Gradio refuses anything larger outright; the tutor's own check gives the clear message below that.
    hard_cap = int(holder.max_upload_bytes * 2 + 1_000_000)
    _, url, _ = demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="mathtutor: sign in to continue" if auth else None,
        share=False,
        inbrowser=inbrowser,
        prevent_thread_lock=not block,
        quiet=not block,
        show_error=True,
        allowed_paths=[str(p) for p in holder.links.roots or ()],
        max_file_size=hard_cap,
        enable_monitoring=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        footer_links=[],
        theme=theme(),
        css=CSS,
    )
    return url


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``USER:PASSWORD`` -> (user, password); the password may itself contain colons."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth must look like USER:PASSWORD")
    return user, password


def run_serve(args: argparse.Namespace) -> int:
    """``mathtutor serve``: open the index once, then serve the chat until interrupted."""
    import sys

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        auth = parse_auth(getattr(args, "auth", None))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = get_settings(index_dir=args.index, backend=args.backend)
    print(f"mathtutor: opening {settings.index_dir} (loading the embedding model)…", file=sys.stderr, flush=True)
    demo = build_app(settings=settings, backend=args.backend)
    host = args.host or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {host}: other computers on the network can reach the tutor", file=sys.stderr)
        if auth is None:
            print("warning: no --auth given: anyone who can reach it can use it", file=sys.stderr)
    launch(demo, host=host, port=args.port, auth=auth, inbrowser=not args.no_browser, block=True)
    return 0
