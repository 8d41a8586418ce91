"""Catalog and manifest edits reach files already indexed: re-link their chunks, no re-embedding.

A file's bytes are hashed for change detection, but its title, URL and catalog resource also depend on
``corpus/catalog.yaml`` and on the folder's sources manifest. Each file entry of the index manifest keeps
a fingerprint of both (:func:`link_fingerprint`); when it changes, the chunks get the new links.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from mathtutor.index.writer import IndexWriter
from mathtutor.ingest.linking import SourceResolver
from mathtutor.ingest.readers import LoadError, decode_text, open_regular, read_bytes, split_front_matter
from mathtutor.settings import Settings


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open_regular(path) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def catalog_sha(settings: Settings) -> str:
    try:
        return _sha256(settings.corpus_dir / "catalog.yaml")
    except (OSError, LoadError):
        return ""


def link_fingerprint(catalog_sha: str, cand: Any) -> str:
    """What a file's links depend on besides its bytes: the catalog and its sources-manifest entry."""
    entry = asdict(cand.entry) if cand.entry is not None else None
    return hashlib.sha256(json.dumps([catalog_sha, entry], sort_keys=True).encode()).hexdigest()[:32]


def relink_all(
    relinks: list[Any],
    resolver: SourceResolver,
    catalog_sha: str,
    settings: Settings,
    chunker_info: dict[str, Any],
) -> tuple[int, int, list[tuple[str, str]]]:
    """Re-link unchanged files to the edited catalog/manifests: (chunks in the index, files re-linked, errors)."""
    relinked, errors = 0, []
    with IndexWriter(
        settings.index_dir,
        model=settings.embedding_model,
        dim=settings.embedding_dim,
        chunker=chunker_info,
        ann_min_vectors=settings.ann_min_chunks,
    ) as w:
        for c in relinks:
            try:
                front: dict[str, Any] = {}
                if c.kind == "markdown":
                    text = decode_text(read_bytes(c.path, int(settings.max_file_mb * 1e6)))
                    front = split_front_matter(text)[0]
                src = resolver.resolve(c.path, c.kind, c.entry, front)
            except (LoadError, OSError) as exc:
                errors.append((str(c.path), f"cannot re-link: {exc}"))
                continue
            w.relink_file(
                c.key,
                title=src.title,
                resource_id=src.resource_id,
                part_id=src.part_id,
                url=src.url,
                page_offset=src.page_offset,
            )
            entry = w.files[c.key]
            entry.update(
                title=src.title,
                resource_id=src.resource_id,
                part_id=src.part_id,
                url=src.url,
                link=link_fingerprint(catalog_sha, c),
            )
            relinked += 1
        if relinked:
            w.commit()
        return int(w.faiss.ntotal), relinked, errors
