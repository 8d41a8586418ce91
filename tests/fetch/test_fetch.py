"""`mathtutor corpus fetch` against a real HTTP server on loopback.

The server (stdlib http.server in a thread, 127.0.0.1, ephemeral port) serves the real corpus in place
under the mirror layout (/mirror/<catalog id>/<file name>) and, under /b/<behaviour>/..., the broken
answers a download must survive: 404, 500, a body cut short, HTML instead of a PDF, a server slower than
the timeout, a server that ignores Range, a file over the size cap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from conftest import make_pdf, make_srt
from mathtutor import fetch
from mathtutor.apps.cli import build_parser, main
from mathtutor.fetch import FetchOptions, fetch_items, load_sources, run_fetch, select
from mathtutor.index.store import IndexStore
from mathtutor.ingest.linking import ManifestEntry, SourceResolver, read_sources_manifest
from mathtutor.knowledge.catalog import load_catalog
from mathtutor.settings import PROJECT_ROOT, Settings

CATALOG = load_catalog()
REGISTRY = PROJECT_ROOT / "corpus" / "sources.yaml"
# Made here, so the tests of broken servers need nothing from the real corpus.
PDF_BODY = make_pdf([f"Page {n}: the expectation of a random variable, example {n}.\n" * 12 for n in range(1, 31)])
SRT_BODY = make_srt(
    [(4.0 * i, 4.0 * i + 3.5, f"Cue {i}: a vector has a length and a direction.") for i in range(60)]
).encode()
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Not found</title></head><body>Sorry, moved.</body></html>"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- the server


def _real_files(real_corpus: Path) -> dict[str, Path]:
    """Mirror layout -> file of the real corpus, matched on the pinned git blob (repo, commit, path)."""
    by_origin, by_name = {}, {}
    for line in (real_corpus / "manifest.jsonl").read_text().splitlines():
        e = json.loads(line)
        repo = e["source_repo"].split()[0]
        by_origin[(repo, e["commit"].split()[0], e["original_path"])] = real_corpus / e["file"]
        by_name.setdefault(Path(e["file"]).name, real_corpus / e["file"])
    out = {}
    for item in load_sources(REGISTRY, CATALOG):
        parts = urlsplit(item.urls[0])
        path = None
        if parts.netloc == "raw.githubusercontent.com":
            owner, repo, commit, rest = parts.path.lstrip("/").split("/", 3)
            path = by_origin.get((f"{owner}/{repo}", commit, rest))
        elif item.resource_id == "chasnov":  # the institution's copy: same file name
            path = by_name.get(item.file)
        if path is not None:
            out[item.key] = path
    return out


class Server:
    """Routes: /mirror/<key> (the real corpus) and /b/<behaviour>/<name> (see ``_behave``)."""

    def __init__(self) -> None:
        self.mirror_files: dict[str, Path] = {}  # filled by the `mirror` fixture
        self.bodies: dict[str, bytes] = {}  # /b/... name -> body
        self.hits: list[tuple[str, str | None]] = []  # (path, Range header)
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                path = unquote(urlsplit(self.path).path)
                with server.lock:
                    server.hits.append((path, self.headers.get("Range")))
                    server.counts[path] = server.counts.get(path, 0) + 1
                    n = server.counts[path]
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server.route(self, path, n)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests_to(self, prefix: str) -> list[tuple[str, str | None]]:
        with self.lock:
            return [h for h in self.hits if h[0].startswith(prefix)]

    # -- responses -----------------------------------------------------------

    @staticmethod
    def send(h: BaseHTTPRequestHandler, body: bytes, ctype: str, *, honour_range: bool = True, cut: int | None = None):
        """Send ``body`` (or the asked range of it); ``cut`` stops after that many bytes and drops the line."""
        start = 0
        rng = h.headers.get("Range")
        m = re.match(r"bytes=(\d+)-$", rng or "")
        if honour_range and m and int(m.group(1)) < len(body):
            start = int(m.group(1))
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body) - start))
        h.send_header("ETag", f'"{_sha(body)[:16]}"')
        h.end_headers()
        payload = body[start:] if cut is None else body[start : start + cut]
        h.wfile.write(payload)
        h.wfile.flush()
        if cut is not None:
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)

    def route(self, h: BaseHTTPRequestHandler, path: str, n: int) -> None:
        if path.startswith("/mirror/"):
            f = self.mirror_files.get(path[len("/mirror/") :])
            if f is None:
                h.send_error(404)
                return
            ctype = "application/pdf" if f.suffix == ".pdf" else "text/plain; charset=utf-8"
            self.send(h, f.read_bytes(), ctype)
            return
        _, _, behaviour, name = path.split("/", 3)
        body = self.bodies.get(name, PDF_BODY)
        ctype = "application/pdf" if name.endswith(".pdf") else "text/plain"
        if behaviour == "ok":
            self.send(h, body, ctype)
        elif behaviour == "404":
            h.send_error(404)
        elif behaviour == "500":
            h.send_error(500)
        elif behaviour == "flaky":  # two server errors, then the file
            if n <= 2:
                h.send_error(503)
            else:
                self.send(h, body, ctype)
        elif behaviour == "truncated":  # the first answer is cut in half; later ones honour Range
            self.send(h, body, ctype, cut=len(body) // 2 if n == 1 else None)
        elif behaviour == "always-truncated":
            self.send(h, body, ctype, cut=len(body) // 3)
        elif behaviour == "norange":  # cut the first time, and later Range requests get the whole file
            self.send(h, body, ctype, honour_range=False, cut=len(body) // 2 if n == 1 else None)
        elif behaviour == "html":
            self.send(h, HTML_PAGE, "text/html; charset=utf-8")
        elif behaviour == "html-as-pdf":  # the content type lies; the content check must catch it
            self.send(h, HTML_PAGE, "application/pdf")
        elif behaviour == "slow":
            time.sleep(2.0)
            self.send(h, body, ctype)
        elif behaviour == "huge":  # announces 50 MB
            h.send_response(200)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(50 * 1024 * 1024))
            h.end_headers()
            h.wfile.write(body[:1024])
        elif behaviour == "endless":  # no length, keeps sending past the cap, then closes
            h.send_response(200)
            h.send_header("Content-Type", ctype)
            h.end_headers()
            h.close_connection = True
            for _ in range(64):
                h.wfile.write(b"%PDF-1.4 " + b"x" * 65527)
        elif behaviour == "no-eof":  # a PDF cut short with no length to tell
            h.send_response(200)
            h.send_header("Content-Type", ctype)
            h.end_headers()
            h.close_connection = True
            h.wfile.write(body[: len(body) // 2])
        else:
            h.send_error(400)


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def mirror(server, real_corpus) -> str:
    """The server's /mirror/ serves the real corpus (read in place) as URL/<catalog id>/<file name>."""
    if not server.mirror_files:
        server.mirror_files = _real_files(real_corpus)
    return server.url + "/mirror"


def _registry(tmp_path: Path, server: Server, entries: list[dict], name: str = "sources.yaml") -> Path:
    """A registry of test items, all under one catalog part (distinct file names)."""
    items = []
    for e in entries:
        e = dict(e)
        urls = e.pop("urls", None) or [f"{server.url}/b/{e.pop('behaviour')}/{e['file']}"]
        items.append({"id": e.pop("id", "seeing-theory/basic-probability"), "urls": urls, **e})
    data = {
        "version": 1,
        "sources": [
            {
                "resource": "seeing-theory",
                "format": "pdf",
                "license": "test licence",
                "terms": "test terms",
                "items": items,
            }
        ],
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _opts(dest: Path, **kw) -> FetchOptions:
    base = {"dest": dest, "timeout": 0.5, "retries": 2, "backoff": 0.05, "workers": 8, "progress": False}
    base.update(kw)
    return FetchOptions(**base)


def _args(*argv: str):
    return build_parser().parse_args(["corpus", "fetch", *argv])


# --------------------------------------------------------------------------- the registry


def test_registry_loads_and_every_item_names_a_catalog_entry():
    items = load_sources(REGISTRY, CATALOG)
    assert len(items) > 150
    assert len({i.key for i in items}) == len(items)
    resources = {i.resource_id for i in items}
    for rid in (
        "mml-book",
        "matrix-calculus",
        "d2l",
        "chasnov",
        "hajek-random-processes",
        "mackay-itila",
        "seeing-theory",
        "3b1b-essence-linear-algebra",
        "mit-18-06",
        "mit-18-065",
    ):
        assert rid in resources, rid
    for i in items:
        assert i.id in CATALOG and CATALOG.resource_of(i.id).id == i.resource_id
        assert all(u.startswith(("https://", "http://")) for u in i.urls)
        assert i.license and i.terms
    # the publishers' own terms are carried through, e.g. the MML book's request not to redistribute
    mml = next(i for i in items if i.resource_id == "mml-book")
    assert "not be posted or redistributed" in mml.terms
    # caption files come from the 3b1b/captions repository at a pinned commit
    caps = [i for i in items if i.resource_id.startswith("3b1b-") and i.format == "srt"]
    assert caps and all(
        re.match(
            r"^https://raw\.githubusercontent\.com/3b1b/captions/[0-9a-f]{40}/.+/english/captions\.srt$", i.urls[0]
        )
        for i in caps
    )


def test_manifest_entries_match_the_right_catalog_entry():
    """What ingestion does with a fetched file's manifest line: catalog.match plus the resolver."""
    resolver = SourceResolver(CATALOG)
    items = load_sources(REGISTRY, CATALOG)
    for i in items:
        m = CATALOG.match(url=i.canonical_url, name=i.resource_title)
        assert m is not None and m.resource_id == i.resource_id, (i.key, m)
        if m.part_id is not None:
            assert m.part_id == i.id, i.key
        e = i.manifest_entry()
        entry = ManifestEntry(
            file=e["file"],
            title=e["title"],
            resource=e["resource"],
            author=e["author"],
            canonical_url=e["canonical_url"],
            alt_urls=tuple(e["alt_urls"]),
            series_url=e["series_url"],
            license=e["license"],
        )
        kind = {"pdf": "pdf", "srt": "captions", "vtt": "captions", "md": "markdown", "txt": "text"}[i.format]
        src = resolver.resolve(Path("/nonexistent") / i.key, kind, entry)
        assert src.resource_id == i.resource_id, i.key
        if i.id != i.resource_id:  # a part: the file must land on that part, whichever way it is found
            assert src.part_id == i.id, (i.key, src.part_id)
    # videos cite the video (minute links), books cite pages of the right file or the printed book
    ep = next(i for i in items if i.id == "3b1b-essence-linear-algebra/ep14")
    assert "youtube.com/watch?v=PFDu9oVAE-g" in ep.canonical_url
    ch = next(i for i in items if i.key == "chasnov/matrix-algebra/matrix-algebra-for-engineers.pdf")
    assert ch.canonical_url.endswith("matrix-algebra-for-engineers.pdf")


@pytest.mark.slow
def test_registry_checksums_are_those_of_the_pinned_files(server, mirror):
    """sha256/bytes were recorded from byte-identical copies; re-measure them on the real corpus."""
    items = {i.key: i for i in load_sources(REGISTRY, CATALOG)}
    checked = 0
    for key, path in server.mirror_files.items():
        item = items[key]
        if item.sha256 is None:
            continue
        data = path.read_bytes()
        assert item.sha256 == _sha(data) and item.size == len(data), key
        checked += 1
    assert checked >= 90
    # every item that has a checksum is one of those (nothing unverifiable was pinned)
    assert checked == sum(1 for i in items.values() if i.sha256)


def test_select_by_resource_part_parent_and_file():
    items = load_sources(REGISTRY, CATALOG)
    keys = lambda ids: {i.key for i in select(items, ids, CATALOG)}  # noqa: E731
    mml = keys(["mml-book"])
    assert "mml-book/ch02/chapter02.pdf" in mml and "mml-book/mml-book.pdf" not in mml  # optional: only by name
    assert keys(["mml-book/mml-book.pdf"]) == {"mml-book/mml-book.pdf"}
    assert keys(["mml-book/ch02"]) == {"mml-book/ch02/chapter02.pdf"}
    b3 = keys(["3blue1brown"])  # the channel: its series and its stand-alone videos
    assert any(k.startswith("3b1b-essence-calculus/") for k in b3) and any(k.startswith("3blue1brown/") for k in b3)
    assert not any(i.optional for i in select(items, [], CATALOG))
    with pytest.raises(fetch.SelectionError, match="nothing freely downloadable"):
        select(items, ["statquest"], CATALOG)
    with pytest.raises(fetch.SelectionError, match="neither a catalog id"):
        select(items, ["no-such-thing"], CATALOG)


# --------------------------------------------------------------------------- fetching


@pytest.mark.slow
def test_fetch_from_mirror_verifies_and_writes_manifest(server, mirror, tmp_path, capsys):
    dest = tmp_path / "corpus"
    before = REGISTRY.read_bytes()
    ids = ["seeing-theory", "3b1b-essence-linear-algebra/ep01", "d2l/prelim-linear-algebra"]
    code = main(["corpus", "fetch", *ids, "--dest", str(dest), "--mirror", mirror, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    results = {r["key"]: r for r in out["results"]}
    assert len(results) == 8
    for key, r in results.items():
        assert r["status"] == "fetched" and r["checksum"] == "verified", r
        assert r["url"] == f"{server.url}/mirror/{key}"  # URL/<catalog id>/<file name>
        assert (dest / key).read_bytes() == server.mirror_files[key].read_bytes()
    assert REGISTRY.read_bytes() == before  # the committed registry is never rewritten
    assert not list((dest / ".partial").rglob("*.part"))
    assert "not be used commercially" in out["licences"]["seeing-theory"]

    manifest = read_sources_manifest(dest / "manifest.jsonl")
    assert set(manifest) == set(results)
    line = json.loads((dest / "manifest.jsonl").read_text().splitlines()[0])
    assert {"file", "title", "resource", "author", "canonical_url", "alt_urls", "series_url", "license"} <= set(line)
    e = manifest["3b1b-essence-linear-algebra/ep01/01-vectors.captions.srt"]
    assert CATALOG.match(url=e.canonical_url, name=e.resource).part_id == "3b1b-essence-linear-algebra/ep01"
    assert any(u.startswith("https://raw.githubusercontent.com/3b1b/captions/") for u in e.alt_urls)

    # a second run finds everything in place and verified, and asks the server nothing
    n = len(server.requests_to("/mirror/"))
    assert main(["corpus", "fetch", *ids, "--dest", str(dest), "--mirror", mirror, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert {r["status"] for r in again["results"]} == {"present"}
    assert len(server.requests_to("/mirror/")) == n


@pytest.mark.slow
def test_mirror_from_the_environment(mirror, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MATHTUTOR_MIRROR", mirror + "/")
    dest = tmp_path / "d"
    assert main(["corpus", "fetch", "3b1b-essence-calculus/ep02", "--dest", str(dest)]) == 0
    out = capsys.readouterr().out
    key = "3b1b-essence-calculus/ep02/02-derivatives.captions.srt"
    assert re.search(rf"^{re.escape(key)}\s+fetched\s+.*verified", out, re.M), out
    assert "Licences and terms" in out and "all rights reserved" in out
    assert (dest / key).is_file()


def test_broken_servers_fail_alone_and_leave_nothing_behind(server, tmp_path):
    half = len(PDF_BODY) // 2
    good = {"sha256": _sha(PDF_BODY), "bytes": len(PDF_BODY)}
    entries = [
        {"file": "ok.pdf", "behaviour": "ok", **good},
        {"file": "missing.pdf", "behaviour": "404"},
        {"file": "error.pdf", "behaviour": "500"},
        {"file": "flaky.pdf", "behaviour": "flaky", **good},
        {"file": "cut.pdf", "behaviour": "truncated", **good},
        {"file": "norange.pdf", "behaviour": "norange", **good},
        {"file": "page.pdf", "behaviour": "html"},
        {"file": "disguised.pdf", "behaviour": "html-as-pdf"},
        {"file": "slow.pdf", "behaviour": "slow", **good},
        {"file": "huge.pdf", "behaviour": "huge"},
        {"file": "endless.pdf", "behaviour": "endless"},
        {"file": "noeof.pdf", "behaviour": "no-eof"},
        {"file": "wrongsum.pdf", "behaviour": "ok", "sha256": "0" * 64},
        {"file": "notcaptions.srt", "behaviour": "ok", "format": "srt"},
        {"file": "captions.srt", "behaviour": "ok", "format": "srt", "sha256": _sha(SRT_BODY)},
    ]
    server.bodies["notcaptions.srt"] = b"just some words, no timings at all\n"
    server.bodies["captions.srt"] = SRT_BODY
    items = load_sources(_registry(tmp_path, server, entries), CATALOG)
    dest = tmp_path / "dest"
    t0 = time.monotonic()
    results = {r.key.rsplit("/", 1)[1]: r for r in fetch_items(items, _opts(dest, max_bytes=2 * 1024 * 1024))}
    took = time.monotonic() - t0
    base = dest / "seeing-theory" / "basic-probability"

    for name in ("ok.pdf", "flaky.pdf", "cut.pdf", "norange.pdf"):
        r = results[name]
        assert r.ok and r.checksum == "verified", (name, r)
        assert (base / name).read_bytes() == PDF_BODY
    assert results["ok.pdf"].status == "fetched" and results["ok.pdf"].attempts == 1
    assert results["flaky.pdf"].attempts == 3  # two 503s, retried with backoff
    # the cut download was resumed where it stopped, with a Range request
    assert results["cut.pdf"].status == "resumed"
    assert [rng for p, rng in server.requests_to("/b/truncated/cut.pdf")] == [None, f"bytes={half}-"]
    # a server that ignores Range sends the whole file again: it is rewritten from the start, not appended
    assert results["norange.pdf"].status == "fetched"
    assert [rng for p, rng in server.requests_to("/b/norange/norange.pdf")] == [None, f"bytes={half}-"]
    assert results["captions.srt"].ok

    expect_fail = {
        "missing.pdf": "HTTP 404",
        "error.pdf": "HTTP 500",
        "page.pdf": "HTML page",
        "disguised.pdf": "HTML page",
        "slow.pdf": "timed out",
        "huge.pdf": "cap",
        "endless.pdf": "cap",
        "noeof.pdf": "incomplete",
        "wrongsum.pdf": "checksum mismatch",
        "notcaptions.srt": "no caption timings",
    }
    for name, why in expect_fail.items():
        r = results[name]
        assert r.status == "failed" and why in r.error, (name, r)
        assert not (base / name).exists(), name
    assert results["missing.pdf"].attempts == 1  # a 404 is not retried
    assert results["error.pdf"].attempts == 3  # a 500 is, twice
    assert len(server.requests_to("/b/500/error.pdf")) == 3
    assert results["slow.pdf"].attempts == 3
    # nothing half-written is left where ingestion would see it; only transient failures keep a .part
    leftovers = {p.name for p in (dest / ".partial").rglob("*") if p.is_file() and p.name != "lock"}
    assert leftovers <= {"slow.pdf.part", "slow.pdf.part.json"}, leftovers
    assert took < 20


def test_an_interrupted_download_resumes_on_the_next_run(server, tmp_path):
    server.bodies["resume.pdf"] = PDF_BODY
    reg = _registry(
        tmp_path, server, [{"file": "resume.pdf", "behaviour": "always-truncated", "sha256": _sha(PDF_BODY)}]
    )
    items = load_sources(reg, CATALOG)
    dest = tmp_path / "dest"
    first = fetch_items(items, _opts(dest, retries=0))[0]
    assert first.status == "failed" and ("closed after" in first.error or "dropped" in first.error), first
    part = dest / ".partial" / (items[0].key + ".part")
    assert part.stat().st_size == len(PDF_BODY) // 3
    # the next run (same address) continues from the partial file, a third at a time
    second = fetch_items(items, _opts(dest, retries=3))[0]
    assert second.status == "resumed" and second.checksum == "verified", second
    ranges = [rng for _, rng in server.requests_to("/b/always-truncated/resume.pdf")]
    third = len(PDF_BODY) // 3
    assert ranges[:3] == [None, f"bytes={third}-", f"bytes={2 * third}-"]
    assert (dest / items[0].key).read_bytes() == PDF_BODY and not part.exists()


def test_files_already_there_are_kept_or_replaced_only_by_a_verified_copy(server, tmp_path):
    old = PDF_BODY.replace(b"%%EOF", b"%%EOF\n% an older printing\n%%EOF", 1)
    server.bodies["book.pdf"] = PDF_BODY
    dest = tmp_path / "dest"
    target = dest / "seeing-theory" / "basic-probability" / "book.pdf"
    target.parent.mkdir(parents=True)
    target.write_bytes(old)
    # the registry wants another version, but the server only has an error page: the old file stays
    reg = _registry(tmp_path, server, [{"file": "book.pdf", "behaviour": "html", "sha256": _sha(PDF_BODY)}], "a.yaml")
    r = fetch_items(load_sources(reg, CATALOG), _opts(dest))[0]
    assert r.status == "failed" and target.read_bytes() == old
    # a good copy replaces it atomically
    reg = _registry(tmp_path, server, [{"file": "book.pdf", "behaviour": "ok", "sha256": _sha(PDF_BODY)}], "b.yaml")
    r = fetch_items(load_sources(reg, CATALOG), _opts(dest))[0]
    assert r.status == "fetched" and target.read_bytes() == PDF_BODY
    # and a verified file is not downloaded again
    n = len(server.requests_to("/b/ok/book.pdf"))
    r = fetch_items(load_sources(reg, CATALOG), _opts(dest))[0]
    assert r.status == "present" and r.checksum == "verified"
    assert len(server.requests_to("/b/ok/book.pdf")) == n


def test_unknown_checksums_are_recorded_locally_then_enforced(server, tmp_path):
    server.bodies["unpinned.pdf"] = PDF_BODY
    reg = _registry(tmp_path, server, [{"file": "unpinned.pdf", "behaviour": "ok"}])
    reg_bytes = reg.read_bytes()
    items = load_sources(reg, CATALOG)
    dest = tmp_path / "dest"
    r = fetch_items(items, _opts(dest))[0]
    assert r.status == "fetched" and r.checksum == "recorded"
    record = json.loads((dest / "checksums.json").read_text())["files"][items[0].key]
    assert record["sha256"] == _sha(PDF_BODY) and record["bytes"] == len(PDF_BODY)
    assert reg.read_bytes() == reg_bytes  # recorded next to the files, never in the registry
    # the publisher's copy changes; a re-download (the local file was lost) no longer matches the record
    (dest / items[0].key).unlink()
    server.bodies["unpinned.pdf"] = PDF_BODY.replace(b"%%EOF", b"%%EOF\n% changed\n%%EOF", 1)
    r = fetch_items(items, _opts(dest))[0]
    assert r.status == "failed" and "checksum mismatch" in r.error and "checksums.json" in r.error
    assert not (dest / items[0].key).exists()
    server.bodies["unpinned.pdf"] = PDF_BODY
    # a file damaged on disk is replaced by a fresh, verified copy
    assert fetch_items(items, _opts(dest))[0].status == "fetched"
    (dest / items[0].key).write_bytes(b"%PDF-1.4 damaged")
    r = fetch_items(items, _opts(dest))[0]
    assert r.status == "fetched" and r.checksum == "verified"
    assert (dest / items[0].key).read_bytes() == PDF_BODY


def test_offline_says_so_once_per_item_without_a_traceback(server, tmp_path, monkeypatch, capsys):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    entries = [{"file": f"f{i}.pdf", "urls": [f"http://127.0.0.1:{port}/f{i}.pdf"]} for i in range(3)]
    monkeypatch.setenv("MATHTUTOR_SOURCES", str(_registry(tmp_path, server, entries)))
    monkeypatch.setenv("MATHTUTOR_FETCH_RETRIES", "1")
    monkeypatch.setenv("MATHTUTOR_FETCH_BACKOFF", "0.05")
    code = main(["corpus", "fetch", "--dest", str(tmp_path / "dest")])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out + err
    for i in range(3):
        lines = [ln for ln in out.splitlines() if f"/f{i}.pdf" in ln]
        assert len(lines) == 1 and "failed" in lines[0] and "offline?" in lines[0], out
    assert "seems to be offline" in out


def test_one_fetch_per_folder_at_a_time(server, tmp_path):
    import fcntl

    items = load_sources(_registry(tmp_path, server, [{"file": "ok.pdf", "behaviour": "ok"}]), CATALOG)
    dest = tmp_path / "dest"
    (dest / ".partial").mkdir(parents=True)
    with (dest / ".partial" / "lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(fetch.FetchBusyError, match="another"):
            fetch_items(items, _opts(dest))
    assert fetch_items(items, _opts(dest))[0].status == "fetched"  # free again


def test_dry_run_downloads_nothing(server, tmp_path, capsys):
    dest = tmp_path / "dest"
    n = len(server.hits)
    assert main(["corpus", "fetch", "mml-book", "--dry-run", "--dest", str(dest), "--mirror", server.url]) == 0
    out = capsys.readouterr().out
    assert len(server.hits) == n and not dest.exists()
    assert re.search(r"^mml-book/ch05/chapter05\.pdf\s+planned\s+733\.4 kB\s+to verify", out, re.M), out
    assert f"{server.url}/mml-book/ch05/chapter05.pdf" in out
    assert "mml-book: free PDF for personal use" in out and "not be posted or redistributed" in out


def test_unknown_ids_are_a_usage_error(capsys):
    assert main(["corpus", "fetch", "no-such-book"]) == 2
    assert "no-such-book" in capsys.readouterr().err


# --------------------------------------------------------------------------- ingesting


@pytest.mark.slow
def test_fetch_and_ingest_links_files_to_the_catalog(mirror, tmp_path, fake_embedder, capsys):
    dest, index = tmp_path / "corpus", tmp_path / "index"
    ids = [
        "seeing-theory/bayesian-inference",
        "mml-book/ch01",
        "3b1b-essence-linear-algebra/ep02",
        "d2l/prelim-calculus",
    ]
    args = _args(*ids, "--dest", str(dest), "--mirror", mirror, "--ingest", "--index", str(index))
    assert run_fetch(args, embedder=fake_embedder) == 0
    out = capsys.readouterr().out
    assert f"Ingested into {index}: 4 new" in out
    settings = Settings(index_dir=index)
    store = IndexStore.open(index, model=settings.embedding_model, dim=settings.embedding_dim)
    by_part: dict[str, list] = {}
    for c in store.iter_chunks():
        by_part.setdefault(c.part_id, []).append(c)
    assert set(by_part) == set(ids)
    mml = by_part["mml-book/ch01"]  # a chapter file cites the printed book's pages (chapter 1 starts on p. 11)
    assert all(c.page_offset == 10 and c.resource_id == "mml-book" for c in mml)
    assert all(c.locator() == f"p. {c.page + 10}" for c in mml)
    video = by_part["3b1b-essence-linear-algebra/ep02"]
    assert all(c.start_s is not None for c in video)
    assert any("youtube.com/watch?v=k7RM-ot2NWY" in c.link() and "t=" in c.link() for c in video if c.start_s > 60)
    st = by_part["seeing-theory/bayesian-inference"]
    assert all(c.url == "https://seeing-theory.brown.edu/bayesian-inference/index.html" for c in st)
    assert all(c.file_key.startswith(str(dest.resolve())) for cs in by_part.values() for c in cs)


@pytest.mark.slow
def test_tutor_cites_a_page_of_a_fetched_pdf(mirror, tmp_path, real_embedder):
    """Fetch a Seeing Theory chapter from the mirror, ingest it with the catalog, ask, and follow the citation
    back to a page of the fetched file that holds the cited words."""
    from pypdf import PdfReader

    from mathtutor.ingest.pipeline import ingest
    from mathtutor.tutor import Tutor

    dest = tmp_path / "corpus"
    items = select(load_sources(REGISTRY, CATALOG), ["seeing-theory/basic-probability"], CATALOG)
    results = fetch_items(items, _opts(dest, mirror=mirror, timeout=10))
    assert [r.checksum for r in results] == ["verified"]
    fetch.write_manifest(dest, items)
    settings = Settings(index_dir=tmp_path / "index", parse_workers=0)
    report = ingest([PROJECT_ROOT / "corpus" / "catalog.yaml", dest], settings, embedder=real_embedder, progress=False)
    assert report.ok, report.errors

    tutor = Tutor.open(settings.index_dir, embedder=real_embedder)
    answer = tutor.ask("What is the expectation of a random variable and how is it computed?")
    pages = [page.extract_text() or "" for page in PdfReader(str(dest / items[0].key)).pages]
    # pypdf's plain text keeps ligatures and glued words that ours repairs: compare letters only
    flat = ["".join(re.findall(r"[a-z]", t.lower().replace("\ufb01", "fi").replace("\ufb02", "fl"))) for t in pages]
    cited = [c for c in answer.citations if c.url == CATALOG.get(items[0].id).url and c.locator.startswith("p. ")]
    assert cited, answer.to_markdown()
    for c in cited:
        page = int(c.locator[3:])
        assert 1 <= page <= len(pages)
        words = re.findall(r"[a-z]{4,}", c.snippet.lower())[:6]
        # a passage starts on the cited page (and may run onto the next)
        here = flat[page - 1] + flat[min(page, len(pages) - 1)]
        assert all(w in here for w in words[:3]), (c, page)
