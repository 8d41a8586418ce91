"""The ``mathtutor corpus fetch`` command: choose items, fetch or plan them, report, optionally ingest."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    pass
from mathtutor.fetch.download import FetchBusyError, FetchOptions, ItemResult, fetch_items, plan
from mathtutor.fetch.failures import host_of
from mathtutor.fetch.registry import Item, SelectionError, SourcesError, load_sources, select, write_manifest

MIRROR_ENV = "MATHTUTOR_MIRROR"
from mathtutor.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE  # noqa: E402


def _human(n: int) -> str:
    if not n:
        return "-"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def _table(results: Sequence[ItemResult], items: Sequence[Item]) -> str:
    by_key = {i.key: i for i in items}
    rows = [("ITEM", "STATUS", "SIZE", "CHECKSUM", "FROM / WHY")]
    for r in results:
        why = r.error if r.status == "failed" else (host_of(r.url) if r.url else "")
        if r.status == "planned":
            why = r.url or ""
        checksum = r.checksum or ("to verify" if r.status == "planned" and r.sha256 else "")
        size = r.bytes or (by_key[r.key].size or 0 if r.key in by_key else 0)
        rows.append((r.key, r.status, _human(size), checksum, why or ""))
    widths = [max(len(row[c]) for row in rows) for c in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row[:4])) + "  " + row[4] for row in rows
    ).rstrip()


def _licences(items: Sequence[Item]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in items:
        out.setdefault(i.resource_id, f"{i.license}. {i.terms}")
    return out


def run_fetch(args: argparse.Namespace, *, embedder: Any = None) -> int:
    """The ``mathtutor corpus fetch`` command. ``embedder`` is for tests (ingest loads the model otherwise)."""
    from mathtutor.knowledge.catalog import CatalogError, load_catalog

    try:
        catalog = load_catalog()
        items = load_sources(catalog=catalog)
        chosen = select(items, getattr(args, "ids", None) or [], catalog)
    except (CatalogError, SourcesError, SelectionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    mirror = getattr(args, "mirror", None) or os.environ.get(MIRROR_ENV) or None
    if mirror and urlsplit(mirror).scheme not in ("http", "https"):
        print(f"error: --mirror must be an http(s) URL, not {mirror!r}", file=sys.stderr)
        return EXIT_USAGE
    try:
        options = FetchOptions.from_env(dest=getattr(args, "dest", None), mirror=mirror)
    except ValueError as exc:
        print(f"error: bad MATHTUTOR_FETCH_* setting: {exc}", file=sys.stderr)
        return EXIT_USAGE
    options.dest = options.dest.expanduser()
    as_json = bool(getattr(args, "json", False))
    if as_json:
        options.progress = False
    licences = _licences(chosen)

    if getattr(args, "dry_run", False):
        results = plan(chosen, options)
        if as_json:
            print(
                json.dumps(
                    {
                        "dest": str(options.dest),
                        "dry_run": True,
                        "results": [r.to_dict() for r in results],
                        "licences": licences,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            todo = sum(r.status == "planned" for r in results)
            print(_table(results, chosen))
            print(
                f"\nDry run: {todo} to fetch, {len(results) - todo} already in {options.dest}; nothing was downloaded."
            )
            _print_licences(licences)
        return EXIT_OK

    try:
        options.dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: cannot create {options.dest}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        results = fetch_items(chosen, options)
    except FetchBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BaseException:  # interrupted: the files already in place still get their manifest lines
        write_manifest(options.dest, items)
        raise
    manifest = write_manifest(options.dest, items)
    failed = [r for r in results if not r.ok]
    report: dict[str, Any] = {
        "dest": str(options.dest),
        "manifest": str(manifest),
        "results": [r.to_dict() for r in results],
        "licences": licences,
    }
    if not as_json:
        print(_table(results, chosen))
        counts: dict[str, int] = {}
        for r in results:
            counts[r.status] = counts.get(r.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        print(f"\n{summary}. Files in {options.dest} (sources manifest: {manifest.name}).")
        if failed and all(r.offline for r in failed) and len(failed) == len(results):
            print("No download worked: this machine seems to be offline (or the sources are unreachable).")
        _print_licences(licences)

    ingest_ok = True
    if getattr(args, "ingest", False):
        from mathtutor.ingest.pipeline import ingest
        from mathtutor.settings import get_settings

        paths = [options.dest / i.key for i in chosen if (options.dest / i.key).is_file()]
        if paths:
            settings = get_settings(index_dir=getattr(args, "index", None))
            rep = ingest(paths, settings, progress=False if as_json else None, embedder=embedder)
            ingest_ok = rep.ok
            report["ingest"] = rep.to_dict()
            if not as_json:
                print(
                    f"\nIngested into {settings.index_dir}: {rep.files_new} new, {rep.files_changed} changed, "
                    f"{rep.files_unchanged} unchanged; {rep.chunks_total} chunks in the index."
                )
                for issue in rep.errors:
                    print(f"  failed: {issue.file}: {issue.reason}", file=sys.stderr)
        elif not as_json:
            print("\nNothing to ingest: no fetched file is in place.")
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
    return EXIT_OK if not failed and ingest_ok else EXIT_FAILED


def _print_licences(licences: dict[str, str]) -> None:
    if not licences:
        return
    print("\nLicences and terms (as the publishers state them):")
    for rid, text in licences.items():
        print(f"  {rid}: {text}")
