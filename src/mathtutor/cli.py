"""``mathtutor`` command line: a thin shell over the library (argparse; heavy imports stay lazy)."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .settings import get_settings

if TYPE_CHECKING:
    from .ingest import IngestReport

EXIT_OK, EXIT_FILES_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _add_index_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, metavar="DIR", help="index folder (default: settings.index_dir)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mathtutor", description="Offline study-path tutor for the math of ML.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add PDFs, transcripts and notes to an index")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    _add_index_arg(p)
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--prune", action="store_true", help="remove files from the index that no longer exist")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--chunk-tokens", type=int, help="chunk size in model tokens")
    p.add_argument("--overlap-tokens", type=int, help="chunk overlap in model tokens")

    p = sub.add_parser("ask", help="ask the tutor a question")
    p.add_argument("question", nargs="?", help="the question (omit with --batch)")
    _add_index_arg(p)
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--history", type=Path, metavar="FILE", help="JSON list of earlier {role, content} turns")
    p.add_argument("--level", choices=["beginner", "practitioner", "researcher"])
    p.add_argument("--backend", choices=["extractive", "local", "ollama", "openai"])
    p.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=["video", "book", "course", "interactive"],
        help="prefer this format (repeatable)",
    )
    p.add_argument("--batch", type=Path, metavar="FILE.jsonl", help='one {"q": ..., "history": [...]} per line')

    # --- serve (the web UI; implemented in mathtutor.ui)
    p = sub.add_parser("serve", help="start the web UI (Gradio) on 127.0.0.1")
    _add_index_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require this username and password")
    p.add_argument("--backend", choices=["extractive", "local", "ollama", "openai"])
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")

    # --- eval (implemented in mathtutor.evals)
    p = sub.add_parser("eval", help="score the tutor on the offline eval set")
    _add_index_arg(p)
    p.add_argument("--cases", type=Path, metavar="FILE", help="eval cases (default: evals/cases.jsonl)")
    p.add_argument("--out", type=Path, metavar="DIR", help="where to write the report (default: evals/reports)")
    p.add_argument("--backend", choices=["extractive", "local", "ollama", "openai"])
    p.add_argument("--no-ablations", action="store_true", help="score the full tutor only")
    p.add_argument("--limit", type=int, help="only the first N cases")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    # --- corpus fetch (implemented in mathtutor.fetch)
    p = sub.add_parser("corpus", help="bring free books, notes and transcripts onto this machine")
    csub = p.add_subparsers(dest="corpus_command", required=True)
    fetch = csub.add_parser("fetch", help="download the freely downloadable items of the catalog")
    fetch.add_argument("ids", nargs="*", metavar="ID", help="catalog/source ids (default: all)")
    fetch.add_argument("--dest", type=Path, metavar="DIR", help="download folder (default: data/corpus)")
    fetch.add_argument("--dry-run", action="store_true", help="say what would be fetched, fetch nothing")
    fetch.add_argument("--ingest", action="store_true", help="ingest what was fetched")
    _add_index_arg(fetch)
    fetch.add_argument("--mirror", metavar="URL", help="fetch from URL/<catalog id>/<file name> instead")
    fetch.add_argument("--json", action="store_true")

    p = sub.add_parser("index", help="inspect an index")
    isub = p.add_subparsers(dest="index_command", required=True)
    info = isub.add_parser("info", help="what an index holds")
    _add_index_arg(info)
    info.add_argument("--json", action="store_true")
    return parser


def _cmd_ingest(args: argparse.Namespace) -> int:
    from .ingest import ingest

    settings = get_settings(
        index_dir=args.index, chunk_tokens=args.chunk_tokens, chunk_overlap_tokens=args.overlap_tokens
    )
    report = ingest(args.paths, settings, prune=args.prune, progress=False if args.no_progress else None)
    _print_ingest_report(report, args.json)
    return EXIT_OK if report.ok else EXIT_FILES_FAILED


def _print_ingest_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    if report.noop:
        print(f"Nothing to do: {report.files_unchanged} files unchanged ({report.chunks_total} chunks).")
    else:
        print(
            f"Files: {report.files_seen} seen, {report.files_new} new, {report.files_changed} changed, "
            f"{report.files_unchanged} unchanged, {report.files_removed} removed; {report.pages} pages.\n"
            f"Chunks: +{report.chunks_added} -{report.chunks_removed}, {report.chunks_total} in the index "
            f"({report.duplicates_dropped} duplicate passages dropped).\n"
            f"Time: {report.seconds:.1f} s ({report.embed_seconds:.1f} s embedding, "
            f"{report.chunks_per_second:.0f} chunks/s"
            + (f", {report.embed_precision}" if report.embed_precision else "")
            + ")."
        )
        if report.embed_summary:
            print(f"Embedding: {report.embed_summary}.")
    if report.skipped:
        print(f"Skipped {len(report.skipped)}:")
        for issue in report.skipped:
            print(f"  {issue.file}: {issue.reason}")
    if report.errors:
        print(f"Failed {len(report.errors)} (nothing already indexed was lost):", file=sys.stderr)
        for issue in report.errors:
            print(f"  {issue.file}: {issue.reason}", file=sys.stderr)


def _load_json_file(path: Path, what: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SystemExit(f"error: cannot read {what} {path}: {exc}") from None


def _cmd_ask(args: argparse.Namespace) -> int:
    from .tutor import QuestionError, Tutor

    if (args.question is None) == (args.batch is None):
        print("error: give a QUESTION or --batch FILE.jsonl (not both)", file=sys.stderr)
        return EXIT_USAGE
    history = _load_json_file(args.history, "history file") if args.history else None
    tutor = Tutor.open(args.index, backend=args.backend)
    formats = set(args.formats or ())
    if args.batch is None:
        try:
            answer = tutor.ask(args.question, history=history, level=args.level, formats=formats)
        except QuestionError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(json.dumps(answer.to_dict(), ensure_ascii=False) if args.json else answer.to_markdown())
        return EXIT_OK
    status = EXIT_OK
    try:
        lines = args.batch.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.batch}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            if not isinstance(case, dict):
                raise QuestionError('each line must be an object like {"q": "..."}')
            answer = tutor.ask(
                case.get("q"), history=case.get("history"), level=case.get("level", args.level), formats=formats
            )
            out = answer.to_dict() if args.json else {"question": answer.question, "markdown": answer.to_markdown()}
        except (json.JSONDecodeError, QuestionError) as exc:
            out, status = {"line": lineno, "error": str(exc)}, EXIT_FILES_FAILED
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return status


def _cmd_index_info(args: argparse.Namespace) -> int:
    from .store import index_info

    info = index_info(get_settings(index_dir=args.index).index_dir)
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
    else:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(info["files_by_kind"].items()))
        print(
            f"Index {info['index_dir']} ({info['generation']}, updated {info['updated']})\n"
            f"Model: {info['embedding_model']} ({info['dimension']}-d)\n"
            f"Files: {info['files']} ({kinds}); pages: {info['pages']}; chunks: {info['chunks']}\n"
            f"Size: {info['bytes'] / 1e6:.1f} MB"
        )
    return EXIT_OK


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a service stop, ``kill``) ends an ingest the way Ctrl-C does: cleanly, index untouched."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from pydantic import ValidationError

    from .store import IndexError_
    from .tutor import QuestionError

    try:
        if args.command == "ingest":
            with _sigterm_as_interrupt():
                return _cmd_ingest(args)
        if args.command == "index":
            return _cmd_index_info(args)
        if args.command == "ask":
            return _cmd_ask(args)
        if args.command == "serve":
            from .ui import run_serve

            return run_serve(args)
        if args.command == "eval":
            from .evals import run_eval

            return run_eval(args)
        if args.command == "corpus":
            from .fetch import run_fetch

            return run_fetch(args)
    except KeyboardInterrupt:
        print("interrupted: the index was left as it was before this command", file=sys.stderr)
        return EXIT_INTERRUPTED
    except QuestionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IndexError_ as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as exc:
        print(f"error: invalid setting: {exc.errors()[0]['msg']} ({exc.errors()[0]['loc']})", file=sys.stderr)
        return EXIT_USAGE
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
