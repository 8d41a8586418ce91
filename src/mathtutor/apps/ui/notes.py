"""Our study notes served as web pages at ``/notes/<slug>``: front matter removed, markdown rendered to HTML.

The slug is a file stem in ``corpus/notes`` (any sub-folder); it is checked against a strict pattern and the
file found must lie inside the notes folder after resolving symlinks, so the route can read nothing else.
Raw HTML in a note is shown as text; LaTeX is kept (escaped) for the browser's math renderer.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,120}$")
_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.DOTALL)
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$|\\\(.+?\\\)", re.DOTALL)
_TITLE = re.compile(r'^title:\s*"?(.*?)"?\s*$', re.MULTILINE)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{max-width:46em;margin:2em auto;padding:0 1em;font:16px/1.55 sans-serif;color:#222}}
code{{background:#f3f3f3;padding:0 .2em}}.math{{font-family:serif}}</style>
</head><body><article class="mt-note">
{body}
</article><p><a href="/">Back to mathtutor</a></p></body></html>
"""


def find_note(notes_dir: Path, slug: str) -> Path | None:
    """The note called ``slug`` inside ``notes_dir`` (None for a bad slug or a file outside the folder)."""
    if not SLUG.match(slug or ""):
        return None
    root = Path(notes_dir).resolve()
    for path in sorted(root.rglob(f"{slug}.md")):
        real = path.resolve()
        if real.is_relative_to(root) and real.is_file() and real.stem == slug:
            return real
    return None


def render_note(text: str) -> str:
    """A note's markdown as a full HTML page: front matter dropped, raw HTML escaped, LaTeX kept as text."""
    from markdown_it import MarkdownIt

    front = _FRONT_MATTER.match(text)
    title_m = _TITLE.search(front.group(0)) if front else None
    body = text[front.end() :] if front else text
    maths: list[str] = []

    def stash(m: re.Match[str]) -> str:
        maths.append(m.group(0))
        return f"MTMATH{len(maths) - 1}X"

    protected = _MATH.sub(stash, body)
    rendered = MarkdownIt("commonmark", {"html": False}).enable("table").render(protected)
    out = re.sub(
        r"MTMATH(\d+)X", lambda m: f'<span class="math">{html.escape(maths[int(m.group(1))])}</span>', rendered
    )
    title = title_m.group(1) if title_m else "Study note"
    return PAGE.format(title=html.escape(title), body=out)


def add_routes(demo: Any) -> None:
    """``/notes/<slug>`` (a study note as a page) and ``/my-files/<token>/<folder>/<name>`` (a session's upload)."""
    from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse
    from starlette.routing import Route

    from mathtutor.apps.ui.render import FILES_ROUTE
    from mathtutor.apps.ui.uploads import TOKEN_RE

    holder = demo.holder
    sessions = demo.sessions
    notes_dir = holder.settings.corpus_dir / "notes"

    async def note(request: Any) -> Any:
        path = find_note(notes_dir, request.path_params["slug"])
        if path is None:
            return PlainTextResponse("No study note by that name.", status_code=404)
        return HTMLResponse(render_note(path.read_text(encoding="utf-8")))

    async def my_file(request: Any) -> Any:
        token, rel = request.path_params["token"], request.path_params["rel"]
        col = sessions.by_token(token) if TOKEN_RE.match(token) else None
        parts = rel.split("/")
        if col is None or len(parts) != 2 or any(p in ("", ".", "..") for p in parts):
            return PlainTextResponse("No such file.", status_code=404)
        root = col.uploads_dir.resolve()
        path = (root / rel).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return PlainTextResponse("No such file.", status_code=404)
        media = "application/pdf" if path.suffix == ".pdf" else "text/plain; charset=utf-8"
        return FileResponse(path, media_type=media, headers={"X-Content-Type-Options": "nosniff"})

    async def export(request: Any) -> Any:
        text = demo.exports.get(request.path_params["key"])
        if text is None:
            return PlainTextResponse("This export has expired; export the study path again.", status_code=404)
        headers = {"Content-Disposition": 'attachment; filename="study-path.md"'}
        return PlainTextResponse(text, media_type="text/markdown; charset=utf-8", headers=headers)

    routes = demo.app.router.routes  # type: ignore[attr-defined]
    routes.insert(0, Route("/notes/{slug}", note, methods=["GET"]))
    routes.insert(0, Route("/exports/{key}", export, methods=["GET"]))
    routes.insert(0, Route(FILES_ROUTE + "{token}/{rel:path}", my_file, methods=["GET"]))
