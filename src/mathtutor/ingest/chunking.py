"""Split sections into passages that fit the embedding model, never losing a passage's locator.

Sizes are counted in the embedding model's own tokens (all-MiniLM-L6-v2 reads at most 256), so no
text is silently cut off by the model and no budget is wasted on overlap retrieval does not need.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from mathtutor.ingest.page_roles import classify as page_role
from mathtutor.types import Chunk, Section, Source

#: Tokens the model adds around every input ([CLS], [SEP]) plus room for the context header.
MODEL_MAX_TOKENS = 256
_SPACES = re.compile(r"\s+")


def text_hash(text: str) -> str:
    """Hash of whitespace/case-normalised text: equal for the same passage from two copies of a file."""
    norm = _SPACES.sub(" ", text).strip().lower()
    return hashlib.blake2b(norm.encode(), digest_size=12).hexdigest()


def load_token_counter(model_path: Path) -> Callable[[str], int]:
    """Count tokens with the model's own fast tokenizer (``tokenizers``: no torch import needed)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()

    def count(text: str) -> int:
        return len(tok.encode(text, add_special_tokens=False).ids)

    return count


def load_token_offsets(model_path: Path) -> Callable[[str], list[tuple[int, int]]]:
    """Character offsets of each model token of a text: one tokenizer call splits a whole window."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()

    def offsets(text: str) -> list[tuple[int, int]]:
        return tok.encode(text, add_special_tokens=False).offsets

    return offsets


class Chunker:
    """Turns a file's sections into :class:`Chunk` records sized in model tokens."""

    def __init__(
        self,
        count_tokens: Callable[[str], int],
        chunk_tokens: int = 200,
        overlap_tokens: int = 24,
        token_offsets: Callable[[str], list[tuple[int, int]]] | None = None,
    ):
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        if overlap_tokens >= chunk_tokens:
            raise ValueError("overlap_tokens must be smaller than chunk_tokens")
        self.count = count_tokens
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens
        self.token_offsets = token_offsets
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_tokens,
            chunk_overlap=overlap_tokens,
            length_function=count_tokens,
            separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
            keep_separator="end",
        )

    def split_text(self, text: str) -> list[str]:
        text = text.strip()
        if not text:
            return []
        if self.count(text) <= self.chunk_tokens:
            return [text]
        return [t.strip() for t in self._splitter.split_text(text) if t.strip()]

    def _split_section(self, sec: Section, kind: str) -> list[str]:
        if sec.meta.get("window") and self.token_offsets is not None:
            return self.split_by_tokens(sec.text)
        return self.split_text(_normalise(sec.text, kind))

    def split_by_tokens(self, text: str) -> list[str]:
        """Windows of ``chunk_tokens`` model tokens with ``overlap_tokens`` overlap, cut where a word starts.

        One tokenizer call per text: linear time for the windows of a huge file, where the recursive
        splitter measures every word separately (minutes for a 50 MB line).
        """
        assert self.token_offsets is not None
        offs = self.token_offsets(text)
        n = len(offs)

        def word_start(j: int, lo: int) -> int:
            """The nearest token at or before j (not before lo) that starts a word."""
            for k in range(j, max(lo, j - 16), -1):
                if offs[k][0] == 0 or text[offs[k][0] - 1].isspace():
                    return k
            return j

        pieces, i = [], 0
        while i < n:
            j = n if i + self.chunk_tokens >= n else word_start(i + self.chunk_tokens, i + 1)
            piece = text[offs[i][0] : offs[j - 1][1]].strip()
            if piece:
                pieces.append(piece)
            if j >= n:
                break
            i = max(word_start(j - self.overlap_tokens, i + 1), i + 1)
        return pieces

    def chunk(self, source: Source, sections: Iterable[Section]) -> list[Chunk]:
        sections = list(sections)
        if source.kind == "captions":
            chunks = self._chunk_captions(source, sections)
        else:
            for sec in sections if source.kind in ("pdf", "markdown") else ():  # whole page -> chunk.meta["role"]
                sec.meta.setdefault("role", page_role(sec.text, sec.heading))
            chunks = [
                self._make(source, piece, sec, page=sec.page, heading=sec.heading)
                for sec in sections
                for piece in self._split_section(sec, source.kind)
            ]
        for i, c in enumerate(chunks):
            c.ordinal = i
        return chunks

    def _chunk_captions(self, source: Source, cues: list[Section]) -> list[Chunk]:
        """Merge consecutive cues into windows of about ``chunk_tokens``, carrying a little overlap."""
        chunks: list[Chunk] = []
        window: list[tuple[Section, int]] = []
        size = fresh = 0  # fresh: cues in the window not yet emitted in an earlier chunk

        def emit() -> None:
            text = " ".join(c.text for c, _ in window)
            chunk = self._make(source, text, window[0][0])
            chunk.start_s, chunk.end_s = window[0][0].start_s, window[-1][0].end_s
            chunks.append(chunk)

        for cue in cues:
            n = self.count(cue.text) + 1
            if window and size + n > self.chunk_tokens:
                emit()
                carried: list[tuple[Section, int]] = []
                kept = 0
                for prev in reversed(window):
                    if kept + prev[1] > self.overlap_tokens:
                        break
                    carried.insert(0, prev)
                    kept += prev[1]
                window, size, fresh = carried, kept, 0
            window.append((cue, n))
            size += n
            fresh += 1
        if fresh:
            emit()
        return chunks

    @staticmethod
    def _make(source: Source, text: str, sec: Section, page: int | None = None, heading: str | None = None) -> Chunk:
        meta = dict(sec.meta)
        meta.pop("window", None)
        return Chunk(
            text=text,
            file_key=source.key,
            kind=source.kind,
            title=meta.pop("title", None) or source.title,
            ordinal=0,
            resource_id=meta.pop("resource_id", None) or source.resource_id,
            part_id=meta.pop("part_id", None) or source.part_id,
            url=meta.pop("url", None) or source.url,
            page=page,
            page_offset=source.page_offset if page is not None else 0,
            section=heading,
            meta=meta,
        )


def _normalise(text: str, kind: str) -> str:
    """PDF pages: join hard-wrapped lines into paragraphs so the splitter sees sentences."""
    if kind != "pdf":
        return text
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def embedding_text(chunk: Chunk) -> str:
    """What is embedded: the passage, with a short context line where the passage lacks its topic.

    Transcripts ("so now we take this one...") get their video/lecture title; markdown gets its
    innermost heading. PDF pages and catalog records carry their topic words already, so they
    get nothing: every header token costs embedding time across thousands of chunks.
    """
    if chunk.kind in ("captions", "text"):
        return f"{chunk.title}\n{chunk.text}"
    if chunk.kind == "markdown" and chunk.section:
        return f"{chunk.section.rsplit(' > ', 1)[-1]}\n{chunk.text}"
    return chunk.text
