"""``mathtutor`` command line: a thin shell over the library (argparse; heavy imports stay lazy)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .settings import get_settings

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
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        if report.noop:
            print(f"Nothing to do: {report.files_unchanged} files unchanged ({report.chunks_total} chunks).")
        else:
            print(
                f"Files: {report.files_seen} seen, {report.files_new} new, {report.files_changed} changed, "
                f"{report.files_unchanged} unchanged, {report.files_removed} removed; {report.pages} pages.\n"
                f"Chunks: +{report.chunks_added} -{report.chunks_removed}, {report.chunks_total} in the index "
                f"({report.duplicates_dropped} duplicate passages dropped).\n"
                f"Time: {report.seconds:.1f} s ({report.embed_seconds:.1f} s embedding, "
                f"{report.chunks_per_second:.0f} chunks/s)."
            )
        if report.skipped:
            print(f"Skipped {len(report.skipped)}:")
            for issue in report.skipped:
                print(f"  {issue.file}: {issue.reason}")
        if report.errors:
            print(f"Failed {len(report.errors)} (nothing already indexed was lost):", file=sys.stderr)
            for issue in report.errors:
                print(f"  {issue.file}: {issue.reason}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FILES_FAILED


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from pydantic import ValidationError

    from .store import IndexError_

    try:
        if args.command == "ingest":
            return _cmd_ingest(args)
        if args.command == "index":
            return _cmd_index_info(args)
    except KeyboardInterrupt:
        print("interrupted: the index was left as it was before this command", file=sys.stderr)
        return EXIT_INTERRUPTED
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
