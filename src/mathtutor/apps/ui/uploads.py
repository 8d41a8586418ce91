"""Accepting uploads and indexing them into one owner's private collection.

A file is accepted only when it is one the client really uploaded: its real path (symlinks resolved) lies
in Gradio's upload cache, in the ``<hash>/<name>`` layout Gradio writes there. A file description naming
any other file on the server is refused before anything reads it. Accepted files go into a collection of
their owner's own (a session, later a signed-in learner): the files and a small index of them under
``<data>/private/<token>/``, searched beside the shared index and seen by no one else. Visitors never
write to the shared index; only the operator's ``mathtutor ingest`` does.

The server ingests with ``parse_workers=0``: no process pool is forked after torch and Gradio threads
started (issue 10, bug 3).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathtutor.apps.ui.render import md_text, scrub_paths

if TYPE_CHECKING:
    from mathtutor.settings import Settings
    from mathtutor.tutor import Tutor

#: Upload types: the loaders' own suffixes (see mathtutor.ingest.readers.SUFFIX_KINDS).
UPLOAD_SUFFIXES = {".pdf": "pdf", ".md": "text", ".markdown": "text", ".txt": "text", ".srt": "text", ".vtt": "text"}
ACCEPTED_TYPES = "PDF (.pdf), transcripts (.srt, .vtt, .txt) or markdown (.md)"
NOT_UPLOADED = "this is not a file you uploaded; add files with the upload box"
_FILE_ID = re.compile(r"^[0-9a-f]{16}/[\w\-.]{1,100}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def upload_cache_dir() -> Path:
    """The folder Gradio stores client uploads in (``gradio.utils.get_upload_folder``: $GRADIO_TEMP_DIR or
    ``<tmp>/gradio``), resolved."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def check_origin(path: str | Path, cache_dir: Path, uploaded: AbstractSet[str] | None = None) -> str | None:
    """Why ``path`` is not a client's upload (None when it is).

    It must be a regular file at ``<cache_dir>/<folder>/<name>`` after resolving symlinks, not a symlink
    itself, and (when ``uploaded`` is given: Gradio's ``Blocks.upload_file_set``, every path its upload
    route handed out) one of the files a client really sent.
    """
    p = Path(path)
    try:
        if p.is_symlink():
            return NOT_UPLOADED
        real = p.resolve(strict=True)
    except (OSError, RuntimeError):
        return "the upload could not be found; upload the file again"
    root = Path(cache_dir).resolve()
    if not real.is_relative_to(root) or len(real.relative_to(root).parts) != 2 or not real.is_file():
        return NOT_UPLOADED
    if uploaded is not None and str(p) not in uploaded and not any(Path(u).resolve() == real for u in uploaded):
        return NOT_UPLOADED
    return None


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
    except OSError:
        return "the upload could not be read; upload it again"
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


def save_upload(src: Path, name: str, uploads_dir: Path) -> Path:
    """Copy an upload to ``uploads/<content hash>/<name>``: the same file twice is stored once."""
    from mathtutor.ingest.discovery import file_sha256

    folder = uploads_dir / file_sha256(src)[:16]
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / name
    if not dest.exists():
        tmp = folder / f".{name}.{uuid.uuid4().hex}.part"
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    return dest


@dataclass
class UploadResult:
    message: str
    added: list[str]
    rejected: list[str]


@dataclass
class _Lease:
    tutor: Any
    users: int = 0
    retired: bool = False


@dataclass
class Collection:
    """One owner's private uploads and their small index; ``opener(index_dir)`` opens a tutor over it.

    A chat leases the current tutor for its whole answer. After an upload or a removal the new tutor is
    swapped in and the old one is closed as soon as no chat holds it (its store's files are released).
    """

    root: Path
    settings: Settings
    embedder: Any
    opener: Callable[[Path], Tutor]
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    stale: bool = False  #: a new index generation is committed but could not be opened yet
    _current: _Lease | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _write_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def uploads_dir(self) -> Path:
        return self.root / "uploads"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    def files(self) -> list[tuple[str, str]]:
        """``(file id, name)`` of every upload in the collection, by name."""
        if not self.uploads_dir.is_dir():
            return []
        out = [
            (f"{p.parent.name}/{p.name}", p.name) for p in self.uploads_dir.glob("*/*") if not p.name.startswith(".")
        ]
        return sorted(out, key=lambda x: (x[1].lower(), x[0]))

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.uploads_dir.glob("*/*")) if self.uploads_dir.is_dir() else 0

    @contextmanager
    def lease(self) -> Iterator[Tutor | None]:
        """The collection's tutor (None when it holds nothing), kept open until the block ends."""
        if self.stale:
            self._try_reopen()
        with self._lock:
            lease = self._current
            if lease is not None:
                lease.users += 1
        try:
            yield lease.tutor if lease is not None else None
        finally:
            if lease is not None:
                with self._lock:
                    lease.users -= 1
                    done = lease.retired and lease.users == 0
                if done:
                    _close(lease.tutor)

    def _swap(self, tutor: Tutor | None) -> None:
        with self._lock:
            old, self._current = self._current, (_Lease(tutor) if tutor is not None else None)
            done = old is not None and old.users == 0
            if old is not None:
                old.retired = True
        if done:
            _close(old.tutor)

    def _try_reopen(self) -> bool:
        try:
            fresh = self.opener(self.index_dir)
        except Exception:
            return False
        self.stale = False
        self._swap(fresh)
        return True

    def add(self, saved: Sequence[tuple[str, Path]], on_progress: Callable[[int, int], None] | None = None) -> Any:
        """Index ``saved`` (shown name, stored path); returns the ingest report. Raises what ingest raises."""
        from mathtutor.ingest.pipeline import ingest

        with self._write_lock:
            report = ingest(
                [p for _, p in saved],
                self._ingest_settings(),
                embedder=self.embedder,
                progress=False,
                on_progress=on_progress,
            )
            if report.chunks_added or report.chunks_removed or self.stale:
                self.stale = True
                self._try_reopen()
            return report

    def remove(self, file_id: str) -> bool:
        """Delete one upload and its passages; the collection is emptied when it was the last one."""
        from mathtutor.ingest.pipeline import ingest

        if not _FILE_ID.match(file_id or "") or ".." in file_id:
            return False
        path = self.uploads_dir / file_id
        if not path.is_file() or not path.resolve().is_relative_to(self.uploads_dir.resolve()):
            return False
        with self._write_lock:
            path.unlink()
            with suppress(OSError):
                path.parent.rmdir()
            if not self.files():
                self._swap(None)
                shutil.rmtree(self.index_dir, ignore_errors=True)
                self.stale = False
                return True
            ingest([self.uploads_dir], self._ingest_settings(), prune=True, embedder=self.embedder, progress=False)
            self.stale = True
            self._try_reopen()
        return True

    def close(self) -> None:
        """Drop everything: the tutor (closed once unused) and the files on disk."""
        with self._write_lock:
            self._swap(None)
            shutil.rmtree(self.root, ignore_errors=True)

    def _ingest_settings(self) -> Settings:
        return self.settings.model_copy(update={"index_dir": self.index_dir, "parse_workers": 0})


def _close(tutor: Any) -> None:
    """Release the index files of a tutor no chat uses any more."""
    close = getattr(getattr(tutor, "store", None), "close", None)
    if callable(close):
        with suppress(Exception):
            close()


def upload_message(added: list[str], rejected: list[str], report: Any, *, stale: bool = False) -> str:
    """What the learner reads after adding files: what was added, what not and why, in words."""
    lines = []
    if added:
        what = ", ".join(f"**{md_text(a)}**" for a in added)
        if report is not None and report.noop:
            lines.append(f"✅ {what}: already in your material, nothing changed.")
        elif stale:
            lines.append(
                f"✅ Added {what} to your material, but the updated index could not be opened yet; "
                "it is tried again with your next question."
            )
        else:
            chunks = report.chunks_added if report is not None else 0
            lines.append(
                f"✅ Added {what} ({chunks} new passage{'s' if chunks != 1 else ''}) to your own material. "
                "Only you can see it; ask about it in the chat."
            )
    for r in rejected:
        lines.append(f"❌ Not added: {md_text(r)}")
    return "\n\n".join(lines)


class UploadDesk:
    """The upload handler's work without Gradio: check each file's origin, type and size, then index it
    into the session's own collection."""

    def __init__(
        self,
        holder: Any,
        sessions: Any,
        cache_dir: Callable[[], Path] = upload_cache_dir,
        uploaded: Callable[[], AbstractSet[str]] | None = None,
    ) -> None:
        self.holder = holder
        self.sessions = sessions
        self.cache_dir = cache_dir
        self.uploaded = uploaded

    def add(self, key: str, files: Any, progress: Callable[[float, str], None] | None = None) -> UploadResult:
        report_progress = progress or (lambda fraction, desc: None)
        if not files:
            return UploadResult("Choose one or more files first.", [], [])
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            return UploadResult("❌ Not added: the request did not name uploaded files.", [], ["bad request"])
        limits = self.holder.limits
        self.sessions.prune(limits.idle_session_s)
        col = self.sessions.get(key)
        budget = int(limits.upload_mb_per_session * 1e6) - col.size_bytes()
        room = limits.files_per_session - len(col.files())
        cache = self.cache_dir()
        uploaded = self.uploaded() if self.uploaded is not None else None
        saved: list[tuple[str, Path]] = []
        rejected: list[str] = []
        existing = set(col.uploads_dir.glob("*/*"))
        for f in files:
            src = Path(f)
            shown = sanitize_filename(src.name)
            reason = check_origin(src, cache, uploaded) or check_upload(src, src.name, self.holder.max_upload_bytes)
            if reason is None and src.stat().st_size > budget:
                reason = f"your material would exceed {limits.upload_mb_per_session:g} MB; remove a file first"
            if reason is None and len(saved) >= room:
                reason = f"you can keep at most {limits.files_per_session} files; remove one first"
            if reason:
                rejected.append(f"{shown}: {reason}")
                continue
            budget -= src.stat().st_size
            saved.append((shown, save_upload(src, shown, col.uploads_dir)))
        if not saved:
            return UploadResult(upload_message([], rejected, None), [], rejected)
        state = {"done": 0, "total": len(saved)}
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["report"] = col.add(saved, lambda d, t: state.update(done=d, total=t))
            except Exception as exc:  # told to the learner in words below
                outcome["error"] = exc

        thread = threading.Thread(target=work, name="mathtutor-ingest", daemon=True)
        thread.start()
        while thread.is_alive():
            done, total = state["done"], state["total"]
            report_progress(0.05 + 0.9 * done / max(total, 1), f"Reading and embedding {done}/{total} files")
            thread.join(0.25)
        if "error" in outcome:
            for _, path in saved:
                if path not in existing and not col.stale:
                    path.unlink(missing_ok=True)
            rejected.append("the files could not be read and indexed; your material was left as it was")
            return UploadResult(upload_message([], rejected, None), [], rejected)
        report = outcome["report"]
        failed = {str(Path(i.file).resolve()) for i in [*report.errors, *report.skipped]}
        names = {str(p.resolve()): shown for shown, p in saved}
        for issue in [*report.errors, *report.skipped]:
            name = names.get(str(Path(issue.file).resolve()), "a file")
            rejected.append(f"{name}: {scrub_paths(issue.reason)}")
        added = [shown for shown, p in saved if str(p.resolve()) not in failed]
        report_progress(1.0, "Done")
        return UploadResult(upload_message(added, rejected, report, stale=col.stale), added, rejected)
