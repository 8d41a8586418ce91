"""Files on disk: is a download what its format says, atomic writes, and the record of first-download checksums."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<!--")


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(_HTML_STARTS) or (start.startswith(b"<?xml") and b"<html" in start[:512])


def check_content(path: Path, fmt: str) -> None:
    """Raise ValueError when the file is not what its format says (an error page, a truncated PDF, ...)."""
    size = path.stat().st_size
    if size == 0:
        raise ValueError("the server sent an empty file")
    with path.open("rb") as f:
        head = f.read(2048)
        f.seek(max(0, size - 2048))
        tail = f.read()
    if _looks_like_html(head):
        raise ValueError(f"got an HTML page, not a {fmt} file (the address may have moved or need a login)")
    if fmt == "pdf":
        if b"%PDF-" not in head[:1024]:
            raise ValueError(f"not a PDF (it starts with {head[:16]!r})")
        if b"%%EOF" not in tail:
            raise ValueError("the PDF is incomplete (no end-of-file marker)")
        return
    data = path.read_bytes()
    if b"\x00" in data:
        raise ValueError(f"binary data, not a {fmt} text file")
    try:
        text = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if fmt == "srt" and "-->" not in text:
        raise ValueError("no caption timings (-->) in this SubRip file")
    if fmt == "vtt" and not text.lstrip().startswith("WEBVTT"):
        raise ValueError("not a WebVTT file (no WEBVTT header)")


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class ChecksumRecord:
    """DEST/checksums.json: sha256 and size of each file as first downloaded (the committed registry is
    never rewritten at run time); later downloads of a file without a registry checksum must match it."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self.files: dict[str, dict[str, Any]] = {}
        self.warning: str | None = None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = data.get("files") if isinstance(data, dict) else None
            if isinstance(files, dict):
                self.files = {
                    k: v for k, v in files.items() if isinstance(v, dict) and isinstance(v.get("sha256"), str)
                }
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.warning = f"{path} is unreadable ({exc}); checksums will be recorded afresh"

    def sha_for(self, key: str) -> str | None:
        with self._lock:
            entry = self.files.get(key)
        return entry["sha256"] if entry else None

    def record(self, key: str, sha: str, size: int, url: str | None) -> None:
        with self._lock:
            self.files[key] = {
                "sha256": sha,
                "bytes": size,
                "url": url,
                "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            body = {"version": 1, "note": "sha256 of files as first downloaded by mathtutor corpus fetch"}
            body["files"] = dict(sorted(self.files.items()))
            atomic_write_text(self.path, json.dumps(body, indent=1, ensure_ascii=False) + "\n")
