"""Downloading: parallel, resumable, checked transfers into place; one failure never stops the others.

A host that refuses connections or whose name does not resolve is marked down after its first failure, so
every other item for it fails at once with one clear line instead of retrying with backoff.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mathtutor.ingest.discovery import file_sha256
from mathtutor.settings import PROJECT_ROOT

if TYPE_CHECKING:
    import httpx

from mathtutor.fetch.failures import DownHosts, Fail, Retry, connect_error, host_of
from mathtutor.fetch.files import ChecksumRecord, check_content
from mathtutor.fetch.registry import Item, mirror_url

DEFAULT_DEST = PROJECT_ROOT / "data" / "corpus"
CHECKSUMS_NAME = "checksums.json"
PARTIAL_DIR = ".partial"  # hidden: ingest walks skip it
USER_AGENT = "mathtutor-corpus-fetch/0.1 (+offline math-for-ML tutor; personal study copies)"


class FetchBusyError(RuntimeError):
    """Another fetch is writing into the same folder (their partial files would collide)."""


Status = Literal["fetched", "resumed", "present", "planned", "failed"]


@dataclass(slots=True)
class ItemResult:
    key: str
    status: Status
    bytes: int = 0
    sha256: str | None = None
    checksum: str = ""  #: "verified" (registry or earlier record), "recorded" (first download) or ""
    url: str | None = None
    attempts: int = 0
    seconds: float = 0.0
    error: str | None = None
    offline: bool = False

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class FetchOptions:
    """How to fetch; the defaults suit a home connection. ``MATHTUTOR_FETCH_*`` variables override them."""

    dest: Path = DEFAULT_DEST
    mirror: str | None = None
    timeout: float = 30.0  #: seconds to connect, and at most between two received blocks
    retries: int = 3  #: extra attempts per address after a transient failure (timeout, 5xx, dropped)
    backoff: float = 1.0  #: first pause before a retry, doubled each time (with a little jitter)
    max_bytes: int = 300 * 1024 * 1024  #: refuse larger files
    workers: int = 4
    progress: bool | None = None  #: None: a bar only on a terminal

    @classmethod
    def from_env(cls, **overrides: Any) -> FetchOptions:
        opts = cls(**{k: v for k, v in overrides.items() if v is not None})
        env = os.environ
        if env.get("MATHTUTOR_FETCH_TIMEOUT"):
            opts.timeout = float(env["MATHTUTOR_FETCH_TIMEOUT"])
        if env.get("MATHTUTOR_FETCH_RETRIES"):
            opts.retries = int(env["MATHTUTOR_FETCH_RETRIES"])
        if env.get("MATHTUTOR_FETCH_BACKOFF"):
            opts.backoff = float(env["MATHTUTOR_FETCH_BACKOFF"])
        if env.get("MATHTUTOR_FETCH_MAX_MB"):
            opts.max_bytes = int(float(env["MATHTUTOR_FETCH_MAX_MB"]) * 1024 * 1024)
        if env.get("MATHTUTOR_FETCH_WORKERS"):
            opts.workers = max(1, int(env["MATHTUTOR_FETCH_WORKERS"]))
        return opts


def _parse_content_range(value: str | None) -> tuple[int, int | None] | None:
    m = re.match(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", value or "")
    if not m:
        return None
    total = None if m.group(3) == "*" else int(m.group(3))
    return int(m.group(1)), total


class _Fetcher:
    def __init__(self, options: FetchOptions, client: httpx.Client, record: ChecksumRecord, bar: Any):
        self.o = options
        self.client = client
        self.record = record
        self.bar = bar
        self.stop = threading.Event()
        self.down = DownHosts()
        self._bar_lock = threading.Lock()

    # -- bookkeeping ---------------------------------------------------------

    def _advance(self, n: int) -> None:
        if self.bar is not None and n:
            with self._bar_lock:
                self.bar.update(n)

    def _expected_sha(self, item: Item) -> str | None:
        return item.sha256 or self.record.sha_for(item.key)

    def _part_paths(self, item: Item) -> tuple[Path, Path]:
        part = self.o.dest / PARTIAL_DIR / (item.key + ".part")
        return part, part.with_name(part.name + ".json")

    @staticmethod
    def _drop(*paths: Path) -> None:
        for p in paths:
            p.unlink(missing_ok=True)

    # -- one item ------------------------------------------------------------

    def fetch(self, item: Item) -> ItemResult:
        t0 = time.monotonic()
        result = self._fetch(item)
        result.seconds = round(time.monotonic() - t0, 3)
        return result

    def _fetch(self, item: Item) -> ItemResult:
        target = self.o.dest / item.key
        expected = self._expected_sha(item)
        if target.is_file():
            present = self._check_present(item, target, expected)
            if present is not None:
                return present
        urls = [mirror_url(self.o.mirror, item)] if self.o.mirror else list(item.urls)
        errors: list[str] = []
        offline = True
        attempts = 0
        for url in urls:
            if self.stop.is_set():
                errors.append("interrupted")
                break
            down = self.down.reason(url)
            if down is not None:
                errors.append(f"skipped: {down}" if len(urls) == 1 else f"{host_of(url)}: skipped: {down}")
                continue
            try:
                result = self._download(item, url, target, expected)
                result.attempts += attempts
                return result
            except Fail as exc:
                attempts += exc.attempts
                offline = offline and exc.offline
                if exc.host_down:
                    self.down.mark(url, str(exc))
                errors.append(str(exc) if len(urls) == 1 else f"{host_of(url)}: {exc}")
        return ItemResult(
            item.key, "failed", attempts=attempts, error="; ".join(errors), offline=offline and bool(errors)
        )

    def _check_present(self, item: Item, target: Path, expected: str | None) -> ItemResult | None:
        """A file already in place that verifies (or, with nothing to verify against, passes the content
        check and gets its checksum recorded) is kept; otherwise it is re-fetched, and replaced only by a
        download that verifies."""
        try:
            sha = file_sha256(target)
            size = target.stat().st_size
        except OSError:
            return None
        if expected is not None:
            if sha != expected:
                return None
            return ItemResult(item.key, "present", bytes=size, sha256=sha, checksum="verified")
        try:
            check_content(target, item.format)
        except ValueError:
            return None
        self.record.record(item.key, sha, size, None)
        return ItemResult(item.key, "present", bytes=size, sha256=sha, checksum="recorded")

    def _download(self, item: Item, url: str, target: Path, expected: str | None) -> ItemResult:
        part, meta = self._part_paths(item)
        part.parent.mkdir(parents=True, exist_ok=True)
        resumed = False
        last: Retry | None = None
        attempt = 0
        for attempt in range(1, self.o.retries + 2):
            if self.stop.is_set():
                raise Fail("interrupted", keep_part=True)
            if attempt > 1:
                pause = self.o.backoff * (2 ** (attempt - 2)) * (1 + 0.25 * random.random())
                if self.stop.wait(min(pause, 30.0)):
                    raise Fail("interrupted", keep_part=True)
            try:
                size, resumed_now = self._attempt(item, url, part, meta)
                resumed = resumed or resumed_now
                break
            except Retry as exc:
                last = exc
            except Fail as exc:
                exc.attempts = attempt
                if not exc.keep_part:
                    self._drop(part, meta)
                raise
        else:
            assert last is not None  # the partial file stays: the next run resumes it
            fail = Fail(f"{last} (gave up after {attempt} attempts)", offline=last.offline, keep_part=True)
            fail.attempts = attempt
            raise fail

        # Complete: check it, verify it, then move it into place in one step.
        try:
            check_content(part, item.format)
            if item.size is not None and size != item.size:
                raise ValueError(f"size {size} bytes differs from the {item.size} bytes the registry lists")
            sha = file_sha256(part)
            if expected is not None and sha != expected:
                where = "the registry" if item.sha256 else f"{CHECKSUMS_NAME} (first download)"
                hint = "" if item.sha256 else f"; if the publisher updated it, delete its entry in {CHECKSUMS_NAME}"
                raise ValueError(f"checksum mismatch: got {sha[:12]}…, {where} says {expected[:12]}…{hint}")
        except ValueError as exc:
            self._drop(part, meta)
            fail = Fail(str(exc))
            fail.attempts = attempt
            raise fail from None
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)
        self._drop(meta)
        checksum = "verified"
        if expected is None:
            self.record.record(item.key, sha, size, url)
            checksum = "recorded"
        status: Status = "resumed" if resumed else "fetched"
        return ItemResult(item.key, status, bytes=size, sha256=sha, checksum=checksum, url=url, attempts=attempt)

    def _attempt(self, item: Item, url: str, part: Path, meta: Path) -> tuple[int, bool]:
        """One GET into the partial file, resuming it when the server allows; returns (size, resumed)."""
        import httpx

        offset = 0
        validators: dict[str, str] = {}
        if part.is_file():
            try:
                info = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                info = {}
            if info.get("url") == url and part.stat().st_size > 0:
                offset = part.stat().st_size
                validators = {k: v for k, v in info.items() if k in ("etag", "last_modified") and v}
            else:
                self._drop(part, meta)  # a fragment of some other address: start over
        headers = {"Accept-Encoding": "identity"}  # byte offsets must be offsets into the file itself
        if offset:
            headers["Range"] = f"bytes={offset}-"
            validator = validators.get("etag") or validators.get("last_modified")
            if validator and not validator.startswith("W/"):
                headers["If-Range"] = validator
        received = 0
        try:
            with self.client.stream("GET", url, headers=headers) as r:
                code = r.status_code
                if code == 416 and offset:
                    self._drop(part, meta)
                    raise Retry("the server would not resume the partial file; starting over")
                if code in (408, 425, 429) or code >= 500:
                    raise Retry(f"HTTP {code} {r.reason_phrase}".strip())
                if code not in (200, 206):
                    raise Fail(f"HTTP {code} {r.reason_phrase}".strip())
                total: int | None = None
                resumed = False
                if code == 206:
                    rng = _parse_content_range(r.headers.get("content-range"))
                    if rng is None or rng[0] != offset:
                        self._drop(part, meta)
                        raise Retry("the server answered the resume request with a different range; starting over")
                    total = rng[1]
                    resumed = offset > 0
                else:
                    offset = 0  # no Range asked, or the server ignored it: the whole file comes again
                    length = r.headers.get("content-length")
                    if length and length.isdigit() and not r.headers.get("content-encoding"):
                        total = int(length)
                ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype in ("text/html", "application/xhtml+xml"):
                    raise Fail(f"got an HTML page ({ctype}), not a {item.format} file (the address may have moved)")
                cap = self.o.max_bytes
                if total is not None and total > cap:
                    raise Fail(f"file is {total / 1e6:.1f} MB, over the {cap / 1e6:.0f} MB cap")
                if r.headers.get("content-encoding", "identity").lower() == "identity":
                    info = {"url": url, "etag": r.headers.get("etag"), "last_modified": r.headers.get("last-modified")}
                    meta.write_text(json.dumps(info), encoding="utf-8")
                else:
                    self._drop(meta)  # decoded bytes do not line up with the server's offsets: no resuming
                size = offset
                with part.open("ab" if offset else "wb") as f:
                    for block in r.iter_bytes():
                        if self.stop.is_set():
                            raise Fail("interrupted (the partial file is kept for next time)", keep_part=True)
                        size += len(block)
                        if size > cap:
                            f.close()
                            self._drop(part, meta)
                            raise Fail(f"file is over the {cap / 1e6:.0f} MB cap")
                        f.write(block)
                        received += len(block)
                        self._advance(len(block))
                    f.flush()
                    os.fsync(f.fileno())
                if total is not None and size < total:
                    raise Retry(f"the connection closed after {size} of {total} bytes")
                return size, resumed
        except httpx.TimeoutException:
            raise Retry(f"timed out after {self.o.timeout:g} s") from None
        except httpx.ConnectError as exc:
            raise connect_error(exc, url) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise Retry(f"the connection dropped after {received} bytes ({exc})") from None
        except httpx.TooManyRedirects:
            raise Fail("too many redirects") from None
        except httpx.HTTPError as exc:
            raise Retry(f"{type(exc).__name__}: {exc}") from None
        except OSError as exc:
            raise Fail(f"cannot write {part}: {exc.strerror or exc}") from None


@contextmanager
def _dest_lock(dest: Path) -> Iterator[None]:
    """One fetch per folder at a time (an advisory lock; released when the process ends, however it ends)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    path = dest / PARTIAL_DIR / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FetchBusyError(
                f"another `mathtutor corpus fetch` is writing to {dest}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def fetch_items(
    items: Sequence[Item],
    options: FetchOptions,
    *,
    client: httpx.Client | None = None,
    on_result: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    """Fetch every item (in parallel); one result per item, in the given order. Never raises for an item
    (FetchBusyError if another fetch holds the folder)."""
    options.dest.mkdir(parents=True, exist_ok=True)
    with _dest_lock(options.dest):
        return _fetch_all(items, options, client, on_result)


def _fetch_all(
    items: Sequence[Item],
    options: FetchOptions,
    client: httpx.Client | None,
    on_result: Callable[[ItemResult], None] | None,
) -> list[ItemResult]:
    import httpx

    record = ChecksumRecord(options.dest / CHECKSUMS_NAME)
    if record.warning:
        print(f"warning: {record.warning}", file=sys.stderr)
    show = options.progress if options.progress is not None else sys.stderr.isatty()
    bar = None
    if show:
        from tqdm import tqdm

        known = [i.size for i in items]
        total = sum(s for s in known if s) if all(known) else None
        bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="fetch", file=sys.stderr)
    own_client = client is None
    if client is None:
        client = httpx.Client(
            timeout=httpx.Timeout(options.timeout),
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=max(4, options.workers * 2)),
        )
    fetcher = _Fetcher(options, client, record, bar)
    results: list[ItemResult | None] = [None] * len(items)

    def run(index: int) -> None:
        try:
            res = fetcher.fetch(items[index])
        except Exception as exc:  # a bug must not take the other items down with it
            res = ItemResult(items[index].key, "failed", error=f"unexpected error: {type(exc).__name__}: {exc}")
        results[index] = res
        if bar is not None:
            with fetcher._bar_lock:
                bar.set_postfix_str(f"{sum(r is not None for r in results)}/{len(items)} files", refresh=False)
        if on_result is not None:
            on_result(res)

    pool = ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(items) or 1)))
    try:
        futures = [pool.submit(run, i) for i in range(len(items))]
        for fut in futures:
            fut.result()
    except BaseException:
        fetcher.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        if bar is not None:
            bar.close()
        if own_client:
            client.close()
    return [r if r is not None else ItemResult(items[i].key, "failed", error="not run") for i, r in enumerate(results)]


def plan(items: Sequence[Item], options: FetchOptions) -> list[ItemResult]:
    """What a fetch would do, without any network: files already in place are checked locally."""
    record = ChecksumRecord(options.dest / CHECKSUMS_NAME)
    out = []
    for item in items:
        target = options.dest / item.key
        expected = item.sha256 or record.sha_for(item.key)
        url = mirror_url(options.mirror, item) if options.mirror else item.urls[0]
        if target.is_file():
            sha = file_sha256(target)
            if expected is None or sha == expected:
                out.append(
                    ItemResult(
                        item.key,
                        "present",
                        bytes=target.stat().st_size,
                        sha256=sha,
                        url=url,
                        checksum="verified" if expected else "",
                    )
                )
                continue
        out.append(ItemResult(item.key, "planned", bytes=item.size or 0, sha256=expected, url=url))
    return out
