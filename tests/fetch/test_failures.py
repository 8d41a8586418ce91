"""Transfer failures: unreachable hosts are marked down at once; an offline run says so in seconds."""

from __future__ import annotations

import time

import httpx
import yaml

from llm_servers import free_port
from mathtutor.apps.cli import main
from mathtutor.fetch import FetchOptions, fetch_items, load_sources
from mathtutor.fetch.failures import DownHosts, Fail, connect_error, host_of


def test_name_resolution_failure_marks_the_host_down():
    fail = connect_error(httpx.ConnectError("[Errno -3] Temporary failure in name resolution"), "https://x.org/a")
    assert isinstance(fail, Fail) and fail.offline and fail.host_down


def test_a_refused_connection_marks_the_host_down():
    fail = connect_error(httpx.ConnectError("[Errno 111] Connection refused"), "https://x.org/a")
    assert isinstance(fail, Fail) and fail.host_down
    assert "x.org" in str(fail) and "connection refused" in str(fail)


def test_other_connect_errors_fail_without_condemning_the_host():
    fail = connect_error(httpx.ConnectError("SSL handshake failed"), "https://x.org/a")
    assert not fail.host_down


def test_down_hosts_are_per_host_and_keep_the_first_reason():
    down = DownHosts()
    assert down.reason("http://a.org/1") is None
    down.mark("http://a.org/1", "first")
    down.mark("http://a.org/2", "second")
    assert down.reason("http://a.org/9") == "first"
    assert down.reason("http://b.org/1") is None
    assert host_of("http://127.0.0.1:9/x") == "127.0.0.1:9"


def _registry(tmp_path, urls):
    items = [{"id": "seeing-theory/basic-probability", "file": f"f{i}.pdf", "urls": [u]} for i, u in enumerate(urls)]
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
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_refusing_loopback_host_fails_every_item_at_once(tmp_path):
    """Before: every item retried with backoff (retries x backoff x items); now: no retry at all."""
    port = free_port()  # nothing listens: connections are refused
    urls = [f"http://127.0.0.1:{port}/f{i}.pdf" for i in range(12)]
    items = load_sources(_registry(tmp_path, urls))
    opts = FetchOptions(dest=tmp_path / "dest", timeout=5, retries=5, backoff=2.0, workers=2, progress=False)
    t0 = time.monotonic()
    results = fetch_items(items, opts)
    elapsed = time.monotonic() - t0
    assert elapsed < 3.0, f"took {elapsed:.1f} s"  # 5 retries with 2 s backoff would take minutes
    assert all(r.status == "failed" and r.offline for r in results)
    assert sum(r.attempts for r in results) <= opts.workers  # only the first tries reached the network
    assert all(f"127.0.0.1:{port}" in r.error for r in results)


def test_offline_fetch_prints_one_line_per_item_quickly(tmp_path, monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv(
        "MATHTUTOR_SOURCES", str(_registry(tmp_path, [f"http://127.0.0.1:{port}/f{i}.pdf" for i in range(4)]))
    )
    monkeypatch.setenv("MATHTUTOR_FETCH_RETRIES", "4")
    monkeypatch.setenv("MATHTUTOR_FETCH_BACKOFF", "3")
    t0 = time.monotonic()
    code = main(["corpus", "fetch", "--dest", str(tmp_path / "dest")])
    out, err = capsys.readouterr()
    assert time.monotonic() - t0 < 5
    assert code == 1 and "Traceback" not in out + err
    for i in range(4):
        lines = [ln for ln in out.splitlines() if f"f{i}.pdf" in ln]
        assert len(lines) == 1 and "failed" in lines[0], out
    assert "seems to be offline" in out
