"""One home for URLs: validation, comparison keys, and deep links to a page or a video minute.

Every module that builds or checks a link calls these, so a citation, the catalog and the fetcher
agree on what a video URL or a PDF URL is.
"""

from __future__ import annotations

from pathlib import PurePath, PurePosixPath
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit


def check_http_url(value: str) -> str:
    """``value`` itself when it is an http(s) URL with a host; ValueError otherwise (pydantic validators)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` set in its query string (replacing any same-named ones)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def is_video_url(url: str | None) -> bool:
    """YouTube addresses, whose ``?t=`` opens a given second."""
    if not url:
        return False
    host = urlsplit(url).netloc.lower()
    return host.endswith("youtube.com") or host.endswith("youtu.be")


def is_pdf_url(url: str | None) -> bool:
    """Addresses of PDF files, whose ``#page=`` opens a given page."""
    return bool(url) and urlsplit(url).path.lower().endswith(".pdf")


def deep_link(url: str | None, *, page: int | None = None, start_s: float | None = None) -> str | None:
    """``url`` opened at a video second (``?t=``) or a PDF page (``#page=``); the plain URL otherwise."""
    if not url:
        return None
    if start_s is not None and is_video_url(url):
        return with_query(url.split("#")[0], t=f"{int(start_s)}s")
    if page is not None and is_pdf_url(url):
        return f"{url.split('#')[0]}#page={page}"
    return url


_YOUTUBE_HOSTS = {"youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com"}
_YT_ID_PATHS = ("/embed/", "/shorts/", "/live/", "/v/")


def normalize_url(url: str) -> str:
    """Reduce a URL to a comparison key so equivalent addresses compare equal.

    https is assumed for bare or http URLs, the host is lower-cased and loses
    "www.", fragments and utm_* parameters are dropped, as are a trailing "/"
    and a trailing "index.html".  Every YouTube video address (youtu.be/ID,
    watch?v=ID&list=..&t=.., embed/ID, ...) becomes "https://youtube.com/watch?v=ID".
    """
    s = url.strip()
    if "://" not in s:
        s = "https://" + s.lstrip("/")
    parts = urlsplit(s)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path or ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith("utm_")]

    video_id: str | None = None
    if host == "youtu.be":
        video_id = path.strip("/").split("/")[0] or None
    elif host in _YOUTUBE_HOSTS:
        host = "youtube.com"
        if path.rstrip("/") == "/watch":
            video_id = dict(query).get("v") or None
        else:
            for prefix in _YT_ID_PATHS:
                if path.startswith(prefix):
                    video_id = path[len(prefix) :].split("/")[0] or None
                    break
        if video_id is None and path.rstrip("/") == "/playlist":
            lists = [(k, v) for k, v in query if k == "list"]
            query = lists[:1]
    if video_id:
        return f"https://youtube.com/watch?v={video_id}"

    for suffix in ("/index.html", "/index.htm"):
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)]
    path = path.rstrip("/")
    out = f"https://{host}{path}"
    if query:
        out += "?" + urlencode(query)
    return out


#: Where mathtutor's own study notes live in the repository, and where the web app serves them.
NOTES_REPO_DIR = "corpus/notes"
NOTES_WEB_PATH = "/notes/"


def is_note_location(location: str | PurePath) -> bool:
    """True for a path or ``file:`` URL of a study note: inside a ``corpus/notes`` folder."""
    path = _local_path(location)
    return path is not None and f"/{NOTES_REPO_DIR}/" in f"/{path.as_posix().lstrip('/')}"


def note_url(location: str | PurePath, base_url: str | None = None) -> str:
    """Where a study note is cited: ``<base_url>/notes/<slug>`` (slug = file stem) on the web app, else
    its repository path ``corpus/notes/<folder>/<file>.md``. Never a ``file:`` URL or a server path.

    ``location`` is the note's path (absolute, relative or a ``file:`` URL) or its repository path.
    """
    path = _local_path(location)
    if path is None:
        raise ValueError(f"not a file location: {location!r}")
    posix = path.as_posix()
    marker = f"{NOTES_REPO_DIR}/"
    cut = posix.rfind(marker)
    rel = posix[cut + len(marker) :] if cut >= 0 else path.name
    if base_url:
        return f"{base_url.rstrip('/')}{NOTES_WEB_PATH}{quote(PurePosixPath(rel).stem)}"
    return f"{NOTES_REPO_DIR}/{rel}"


def _local_path(location: str | PurePath) -> PurePosixPath | None:
    if isinstance(location, PurePath):
        return PurePosixPath(location.as_posix())
    parts = urlsplit(location)
    if parts.scheme == "file":
        return PurePosixPath(unquote(parts.path))
    if parts.scheme or parts.netloc:  # http(s) and other URLs are not files
        return None
    return PurePosixPath(location.split("#", 1)[0])
