"""``mathtutor`` command line: a thin shell over the library (argparse; heavy imports stay lazy)."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mathtutor import exit_codes
from mathtutor.apps import build, study
from mathtutor.settings import get_settings

if TYPE_CHECKING:
    from mathtutor.ingest.pipeline import IngestReport

EPILOG = """exit codes:
  0    done
  1    some files (or some --batch lines) failed; everything else was done and nothing indexed was lost
  2    bad usage or input: wrong arguments, an empty or too long question, an index built by another model
  3    the index is corrupt: run `mathtutor index check` to see what, `mathtutor index rollback` to recover
  4    disk full while writing the index: free space and run again (the previous index is untouched)
  5    the index folder is read-only: make it writable or use --index DIR elsewhere (the index is untouched)
  130  interrupted (Ctrl-C or SIGTERM): the index was left as it was before the command
  141  the program reading the output stopped early (e.g. `| head`): the rest of the output was dropped
"""
_C1_OR_SURROGATE = re.compile("[\x7f-\x9f\ud800-\udfff]")


def _add_index_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, metavar="DIR", help="index folder (default: settings.index_dir)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mathtutor",
        description="Offline study-path tutor for the math of ML.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    p.add_argument("--learner", metavar="NAME", help='answer "what should I study next?" from NAME\'s progress')
    p.add_argument("--verbose", action="store_true", help="say on stderr when a running server could not be asked")
    p.add_argument("--no-server", action="store_true", help="answer in this process even if `mathtutor serve` runs")

    # --- practice, check, progress, users (implemented in mathtutor.apps.study)
    study.add_commands(sub)
    build.add_commands(sub)

    # --- serve (the web UI; implemented in mathtutor.apps.ui.app)
    p = sub.add_parser("serve", help="start the web UI (Gradio) on 127.0.0.1")
    _add_index_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require this username and password")
    p.add_argument("--backend", choices=["extractive", "local", "ollama", "openai"])
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.add_argument(
        "--insecure-public",
        action="store_true",
        help="allow a non-loopback --host without --auth (anyone on the network can use the tutor)",
    )

    # --- eval (implemented in mathtutor.evals)
    p = sub.add_parser("eval", help="score the tutor on the offline eval set")
    _add_index_arg(p)
    p.add_argument(
        "--split",
        choices=["test", "dev", "legacy"],
        default="test",
        help="which case set: test (frozen, reported), dev (tune on this), legacy (evals/cases.jsonl)",
    )
    p.add_argument("--cases", type=Path, metavar="FILE", help="another case file (overrides --split)")
    p.add_argument("--no-terms", action="store_true", help="skip the 'where is TERM explained' questions")
    p.add_argument(
        "--practice-seeds",
        type=int,
        default=50,
        metavar="N",
        help="practice self-check: every generator x level x N seeds (0: skip)",
    )
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

    p = sub.add_parser("index", help="inspect, check and recover an index")
    isub = p.add_subparsers(dest="index_command", required=True)
    info = isub.add_parser("info", help="what an index holds (and whether its files are whole)")
    _add_index_arg(info)
    info.add_argument("--json", action="store_true")
    info.add_argument("--check", action="store_true", help="also run the full check (see `index check`)")
    check = isub.add_parser(
        "check", help="verify every file of the live generation: SQLite integrity, FAISS, BM25, manifest, counts"
    )
    _add_index_arg(check)
    check.add_argument("--json", action="store_true")
    back = isub.add_parser("rollback", help="make the previous whole generation live again")
    _add_index_arg(back)
    return parser


def _cmd_ingest(args: argparse.Namespace) -> int:
    from mathtutor.ingest.pipeline import ingest

    settings = get_settings(
        index_dir=args.index, chunk_tokens=args.chunk_tokens, chunk_overlap_tokens=args.overlap_tokens
    )
    report = ingest(args.paths, settings, prune=args.prune, progress=False if args.no_progress else None)
    print_ingest_report(report, args.json)
    return exit_codes.EXIT_OK if report.ok else exit_codes.EXIT_FAILED


def print_ingest_report(report: IngestReport, as_json: bool) -> None:
    """The ingest summary: one JSON object, or lines for a person (file names made terminal-safe)."""
    if as_json:
        print(_json_line(report.to_dict()))
    else:
        if report.noop:
            print(f"Nothing to do: {report.files_unchanged} files unchanged ({report.chunks_total} chunks).")
        else:
            print(
                f"Files: {report.files_seen} seen, {report.files_new} new, {report.files_changed} changed, "
                f"{report.files_unchanged} unchanged, {report.files_removed} removed, "
                f"{report.files_relinked} re-linked; {report.pages} pages.\n"
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
                print(f"  {_safe(issue.file)}: {_safe(issue.reason)}")
        if report.errors:
            print(f"Failed {len(report.errors)} (nothing already indexed was lost):", file=sys.stderr)
            for issue in report.errors:
                print(f"  {_safe(issue.file)}: {_safe(issue.reason)}", file=sys.stderr)


def _load_json_file(path: Path, what: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SystemExit(f"error: cannot read {what} {_safe(str(path))}: {_safe(str(exc))}") from None


def _safe(text: str) -> str:
    """Text for a terminal: no escape sequences or control characters from documents or file names."""
    from mathtutor.inputs import terminal_safe

    return terminal_safe(text)


def _json_line(obj) -> str:
    """One JSON line; DEL, C1 controls and lone surrogates escaped too (json escapes only C0 by itself)."""
    return _C1_OR_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False))


def _learner_handle(name: str):
    """The learner's progress for "what should I study next?"; None (with a warning) if it cannot be read."""
    from mathtutor.learning import LearnerStore, LearningError

    try:
        return LearnerStore().for_learner(name)
    except LearningError as exc:
        print(f"warning: progress is not available: {exc}", file=sys.stderr)
        return None


def _cmd_ask(args: argparse.Namespace) -> int:
    from mathtutor.inputs import InputError, check_history, check_level, check_question

    if (args.question is None) == (args.batch is None):
        print("error: give a QUESTION or --batch FILE.jsonl (not both)", file=sys.stderr)
        return exit_codes.EXIT_USAGE
    formats = set(args.formats or ())
    try:  # checked before the model loads: a bad question costs milliseconds
        history = check_history(_load_json_file(args.history, "history file") if args.history else None)
        level = check_level(args.level)
        question = check_question(args.question) if args.batch is None else None
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_codes.EXIT_USAGE
    if question is not None:
        reply = None if args.learner else _ask_server(args, question, history, level, formats)
        if reply is not None:
            print(_json_line(reply["answer"]) if args.json else _safe(reply["markdown"]))
            return exit_codes.EXIT_OK
        tutor = _open_tutor(args, prepare=False)  # one question: build only what it needs
        from mathtutor.tutor import QuestionError

        try:
            learner = _learner_handle(args.learner) if getattr(args, "learner", None) else None
            answer = tutor.ask(question, history=history, level=level, formats=formats, learner=learner)
        except QuestionError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exit_codes.EXIT_USAGE
        print(_json_line(answer.to_dict()) if args.json else _safe(answer.to_markdown()))
        return exit_codes.EXIT_OK
    try:
        lines = args.batch.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {_safe(str(args.batch))}: {_safe(str(exc))}", file=sys.stderr)
        return exit_codes.EXIT_USAGE
    status = exit_codes.EXIT_OK
    tutor = None
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            if not isinstance(case, dict):
                raise InputError('each line must be an object like {"q": "..."}')
            q = check_question(case.get("q"))
            hist = check_history(case.get("history", history))
            lvl = check_level(case.get("level", level))
            if tutor is None:
                tutor = _open_tutor(args, prepare=True)
            answer = tutor.ask(q, history=hist, level=lvl, formats=formats)
            out = answer.to_dict() if args.json else {"question": answer.question, "markdown": answer.to_markdown()}
        except (json.JSONDecodeError, InputError, ValueError) as exc:
            out, status = {"line": lineno, "error": str(exc)}, exit_codes.EXIT_FAILED
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except Exception as exc:  # one line must not sink the batch; the error names the line and its type
            if _index_error(exc):
                raise
            out, status = {"line": lineno, "error": f"{type(exc).__name__}: {exc}"}, exit_codes.EXIT_FAILED
        if not args.json and "markdown" in out:
            out["markdown"] = _safe(out["markdown"])
        print(_json_line(out), flush=True)
    return status


def _ask_server(args: argparse.Namespace, question: str, history, level, formats) -> dict | None:
    """The reply of a ``mathtutor serve`` on loopback over the same index (None: answer here, as before)."""
    from mathtutor.apps.discovery import find_server
    from mathtutor.apps.remote import EXTRACTIVE_TIMEOUT_S, GENERATE_TIMEOUT_S, RemoteError, ask_server

    settings = get_settings(index_dir=args.index, backend=args.backend)
    info = None if args.no_server else find_server(settings.data_dir, settings.index_dir, settings.corpus_dir)
    if info is None:
        return None
    backend = settings.backend
    timeout = EXTRACTIVE_TIMEOUT_S if backend == "extractive" else GENERATE_TIMEOUT_S
    try:
        return ask_server(
            info, question, history=history, level=level, formats=formats, backend=backend, timeout=timeout
        )
    except RemoteError as exc:
        if args.verbose:
            print(f"note: {_safe(str(exc))}; answering here instead", file=sys.stderr)
        return None


def _index_error(exc: BaseException) -> bool:
    from mathtutor.index.store import IndexError_

    return isinstance(exc, IndexError_)


def _open_tutor(args: argparse.Namespace, *, prepare: bool):
    from mathtutor.ingest.query_encoder import query_embedder
    from mathtutor.tutor import Tutor

    embedder = query_embedder(get_settings(index_dir=args.index))  # no torch: questions are short (bug 11)
    return Tutor.open(args.index, backend=args.backend, embedder=embedder, prepare=prepare)


def _cmd_index(args: argparse.Namespace) -> int:
    from mathtutor.index.generations import check_generation, live_generation, rollback
    from mathtutor.index.store import IndexCorruptError, IndexNotFoundError, corrupt_message, index_info

    index_dir = get_settings(index_dir=args.index).index_dir
    if args.index_command == "rollback":
        old, new = rollback(index_dir)
        print(f"Rolled back {index_dir}: {old or 'an unreadable CURRENT'} -> {new} is live now.")
        return exit_codes.EXIT_OK
    if args.index_command == "check":
        try:
            live = live_generation(index_dir)
        except IndexCorruptError as exc:
            raise IndexCorruptError(corrupt_message(index_dir, str(exc))) from None
        if live is None:
            raise IndexNotFoundError(f"no index at {index_dir}")
        faults = check_generation(live, full=True)
        if args.json:
            print(_json_line({"index_dir": str(index_dir), "generation": live.name, "faults": faults}))
        elif faults:
            print(f"Index {index_dir} ({live.name}) is corrupt:")
            for fault in faults:
                print(f"  {_safe(fault)}")
        else:
            print(f"Index {index_dir} ({live.name}): every file checked, counts agree.")
        if faults:
            print(f"error: {_safe(corrupt_message(index_dir, faults[0], live))}", file=sys.stderr)
            return exit_codes.EXIT_INDEX_CORRUPT
        return exit_codes.EXIT_OK
    try:
        info = index_info(index_dir)
    except IndexCorruptError as exc:
        raise IndexCorruptError(corrupt_message(index_dir, str(exc))) from None
    if args.check and info["healthy"]:
        live = live_generation(index_dir)
        assert live is not None
        info["faults"] = check_generation(live, full=True)
        info["healthy"] = not info["faults"]
    if args.json:
        print(_json_line(info))
    else:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(info["files_by_kind"].items()))
        health = "ok" if info["healthy"] else "CORRUPT: " + "; ".join(info["faults"])
        print(
            f"Index {info['index_dir']} ({info['generation']}, updated {info['updated']})\n"
            f"Model: {info['embedding_model']} ({info['dimension']}-d)\n"
            f"Files: {info['files']} ({kinds}); pages: {info['pages']}; chunks: {info['chunks']}\n"
            f"Size: {info['bytes'] / 1e6:.1f} MB\n"
            f"Health: {_safe(health)}"
        )
    if not info["healthy"]:
        print(f"error: {_safe(corrupt_message(index_dir, info['faults'][0]))}", file=sys.stderr)
        return exit_codes.EXIT_INDEX_CORRUPT
    return exit_codes.EXIT_OK


def _index_is_a_file(args: argparse.Namespace) -> str | None:
    index = getattr(args, "index", None)
    if index is not None and index.exists() and not index.is_dir():
        return (
            f"--index {_safe(str(index))} is a file, not an index folder: give the folder that holds CURRENT "
            "(or a new folder for a new index)"
        )
    return None


def _exit_for(exc: BaseException) -> int:
    """The exit code for an index error (see EPILOG)."""
    from mathtutor.index.store import IndexCorruptError, IndexDiskFullError, IndexReadOnlyError

    if isinstance(exc, IndexCorruptError):
        return exit_codes.EXIT_INDEX_CORRUPT
    if isinstance(exc, IndexDiskFullError):
        return exit_codes.EXIT_DISK_FULL
    if isinstance(exc, IndexReadOnlyError):
        return exit_codes.EXIT_READ_ONLY
    return exit_codes.EXIT_USAGE


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a service stop, ``kill``) ends an ingest the way Ctrl-C does: cleanly, index untouched."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _reader_went_away() -> int:
    """``mathtutor ask ... | head``: stop quietly, as the Python docs advise for SIGPIPE, not "error: Broken pipe"."""
    # point stdout at /dev/null so the interpreter's final flush does not raise a second BrokenPipeError
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return exit_codes.EXIT_PIPE_CLOSED


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit codes as in EPILOG."""
    try:
        code = _run_command(argv)
        sys.stdout.flush()  # a closed pipe shows up here for short, buffered output
        return code
    except BrokenPipeError:
        return _reader_went_away()


def _run_command(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from pydantic import ValidationError

    from mathtutor.index.store import IndexError_

    problem = _index_is_a_file(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return exit_codes.EXIT_USAGE
    try:
        if args.command == "ingest":
            with sigterm_as_interrupt():
                return _cmd_ingest(args)
        if args.command == "index":
            return _cmd_index(args)
        if args.command == "ask":
            return _cmd_ask(args)
        if args.command == "serve":
            from mathtutor.apps.ui.app import run_serve

            return run_serve(args)
        if args.command == "eval":
            from mathtutor.evals import run_eval

            return run_eval(args)
        if args.command == "corpus":
            from mathtutor.fetch import run_fetch

            return run_fetch(args)
        code = study.run(args)
        if code is None:
            code = build.run(args)
        if code is not None:
            return code
    except BrokenPipeError:
        raise  # not a file problem: main() handles it after the last flush
    except KeyboardInterrupt:
        print("interrupted: the index was left as it was before this command", file=sys.stderr)
        return exit_codes.EXIT_INTERRUPTED
    except IndexError_ as exc:
        print(f"error: {_safe(str(exc))}", file=sys.stderr)
        return _exit_for(exc)
    except ValidationError as exc:
        print(f"error: invalid setting: {exc.errors()[0]['msg']} ({exc.errors()[0]['loc']})", file=sys.stderr)
        return exit_codes.EXIT_USAGE
    except OSError as exc:  # whatever the store did not translate: still one line, with its own exit code
        where = _safe(str(exc.filename)) if exc.filename else "the index"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            print(f"error: disk full while writing {where}: free space and run again", file=sys.stderr)
            return exit_codes.EXIT_DISK_FULL
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            print(f"error: cannot write {where} ({exc.strerror}): make it writable", file=sys.stderr)
            return exit_codes.EXIT_READ_ONLY
        print(f"error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return exit_codes.EXIT_FAILED
    parser.error(f"unknown command {args.command}")
    return exit_codes.EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
