"""The "tutorial LangChain pipeline" that benchmarks/ingest.py compares mathtutor against.

Run as its own process (the driver measures its wall time and peak memory from outside):

    python benchmarks/baseline_langchain.py --corpus ../shared/corpus-real [--limit N] [--queries FILE]

What it does is what the LangChain RAG tutorials do, with the same local MiniLM model mathtutor uses:
every file listed in the corpus ``manifest.jsonl``; ``.pdf`` through ``PyPDFLoader`` (one document per
page), everything else through ``TextLoader(autodetect_encoding=True)``;
``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` (characters, not tokens);
``HuggingFaceEmbeddings`` on CPU with normalised vectors; ``FAISS.from_documents``; ``save_local``
into a temporary folder (only saved: ``load_local`` unpickles, so it is never called). Then, in the
same process and from memory, it answers the query set with ``similarity_search(q, k=10)``.

Prints one JSON object on stdout (everything else goes to stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

# Before the heavy imports (the stdlib ones above cost milliseconds). The driver compares wall clocks
# across processes: its spawn time against ``index_done_wall``.
T_START_WALL = time.time()
T_START = time.perf_counter()

#: all-MiniLM-L6-v2 reads at most 256 tokens, two of them [CLS] and [SEP]: the rest is cut off.
MODEL_CONTENT_TOKENS = 254


def _vm_hwm_mb() -> float | None:
    """This process's peak resident set so far (Linux), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def manifest_files(corpus: Path, limit: int | None = None) -> list[Path]:
    """Files listed in ``corpus/manifest.jsonl``, in manifest order (the first ``limit`` of them)."""
    files = []
    with open(corpus / "manifest.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                files.append(corpus / json.loads(line)["file"])
    return files[:limit] if limit else files


def run(corpus: Path, limit: int | None, queries: list[str], k: int) -> dict:
    # mathtutor.settings only to find the same local MiniLM folder (it also sets HF_HUB_OFFLINE=1)
    from mathtutor.settings import Settings

    model_path = Settings().resolved_model_path()

    t = time.perf_counter()
    from langchain_community.document_loaders import PyPDFLoader, TextLoader
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    import_seconds = time.perf_counter() - t

    # --- load + split
    t = time.perf_counter()
    files = manifest_files(corpus, limit)
    docs, errors, pdf_pages = [], [], 0
    for path in files:
        try:
            if path.suffix.lower() == ".pdf":
                loaded = PyPDFLoader(str(path)).load()
                pdf_pages += len(loaded)
            else:
                loaded = TextLoader(str(path), autodetect_encoding=True).load()
        except Exception as exc:  # a tutorial would crash; we record it so the figures stay comparable
            errors.append({"file": str(path), "reason": f"{type(exc).__name__}: {exc}"})
            continue
        docs.extend(loaded)
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = splitter.split_documents(docs)
    load_split_seconds = time.perf_counter() - t

    # --- model
    t = time.perf_counter()
    embeddings = HuggingFaceEmbeddings(
        model_name=str(model_path),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )
    model_load_seconds = time.perf_counter() - t

    # --- embed + index
    t = time.perf_counter()
    db = FAISS.from_documents(chunks, embeddings)
    embed_index_seconds = time.perf_counter() - t

    # --- save (never load_local: it unpickles the docstore)
    t = time.perf_counter()
    out_dir = Path(tempfile.mkdtemp(prefix="mathtutor-bench-langchain-"))
    db.save_local(str(out_dir))
    save_seconds = time.perf_counter() - t
    index_done_wall = time.time()
    seconds_total = time.perf_counter() - T_START
    peak_rss_at_index_mb = _vm_hwm_mb()
    index_bytes = _dir_bytes(out_dir)

    # --- tokens the model actually read (outside the timings)
    from mathtutor.ingest.chunking import load_token_counter

    count = load_token_counter(model_path)
    raw = [count(c.page_content) for c in chunks]
    tokens_embedded = sum(min(n, MODEL_CONTENT_TOKENS) for n in raw)

    # --- answer the query set from memory
    t = time.perf_counter()
    answers = []
    for q in queries:
        hits = db.similarity_search(q, k=k)
        answers.append([_rel(h.metadata.get("source", ""), corpus) for h in hits])
    query_seconds = time.perf_counter() - t

    shutil.rmtree(out_dir, ignore_errors=True)
    return {
        "pipeline": "langchain-tutorial",
        "files": len(files) - len(errors),
        "files_listed": len(files),
        "documents": len(docs),
        "pdf_pages": pdf_pages,
        "chunks": len(chunks),
        "tokens_embedded": tokens_embedded,
        "tokens_uncapped": sum(raw),
        "chunks_over_model_limit": sum(1 for n in raw if n > MODEL_CONTENT_TOKENS),
        "import_seconds": round(import_seconds, 3),
        "load_split_seconds": round(load_split_seconds, 3),
        "model_load_seconds": round(model_load_seconds, 3),
        "embed_index_seconds": round(embed_index_seconds, 3),
        "save_seconds": round(save_seconds, 3),
        "seconds_in_process": round(seconds_total, 3),
        "start_wall": T_START_WALL,
        "index_done_wall": index_done_wall,
        "chunks_per_second": round(len(chunks) / embed_index_seconds, 1) if embed_index_seconds > 0 else 0.0,
        "peak_rss_at_index_mb": peak_rss_at_index_mb,
        "index_bytes": index_bytes,
        "query_seconds": round(query_seconds, 3),
        "answers": answers,
        "errors": errors,
    }


def _rel(source: str, corpus: Path) -> str:
    try:
        return os.path.relpath(Path(source).resolve(), corpus.resolve())
    except ValueError:
        return source


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, required=True, help="folder with manifest.jsonl")
    ap.add_argument("--limit", type=int, help="only the first N manifest files")
    ap.add_argument("--queries", type=Path, help="JSONL with a 'q' per line, answered after indexing")
    ap.add_argument("-k", type=int, default=10)
    args = ap.parse_args()
    queries = []
    if args.queries:
        queries = [json.loads(x)["q"] for x in args.queries.read_text(encoding="utf-8").splitlines() if x.strip()]
    with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the one JSON object
        result = run(args.corpus, args.limit, queries, args.k)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
