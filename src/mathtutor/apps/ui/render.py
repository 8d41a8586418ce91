"""Drawing answers for the page, the API and exports: markdown and HTML in which untrusted text stays text.

Every title, snippet, locator and question comes from documents or visitors, so it is ESCAPED here (shown
literally, never cleaned into "safe" markup): ``<img onerror>`` reads as those characters. The tutor's own
answer markdown (bold, lists, numbered citations) is rendered, but the document sentences quoted inside it
are escaped the same way. Links are made only by :class:`Links`, which never lets a server path out.
Pure functions: no gradio.
"""

from __future__ import annotations

import html
import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from mathtutor.links import NOTES_REPO_DIR
from mathtutor.settings import PROJECT_ROOT
from mathtutor.types import CITATION_MARKER

if TYPE_CHECKING:
    from mathtutor.tutor import Tutor

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|!#~])")
_NOTE_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,120}$")
NOTES_ROUTE = "/notes/"
FILES_ROUTE = "/my-files/"
_ABS_PATH = re.compile(r"(?<![\w:/.])(?:file://)?/(?:[\w.@~+-]+/)+[\w.@~+-]*")
UNVERIFIED_MARK = "**Unverified model text** (it cites none of the sources, so check it against them):"
#: Inline $...$ and \\(...\\), display $$...$$: what the notes and most transcripts use. ``\\[...\\]`` is left
#: out on purpose: it is also how markdown escapes a bracket, as in a citation label ``\\[3\\]``.
LATEX_DELIMITERS = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
    {"left": "\\(", "right": "\\)", "display": False},
]


def escape_html(text: str) -> str:
    """``& < >`` and quotes as entities: the text is shown as written, never parsed as markup."""
    return html.escape(str(text), quote=True)


def md_text(text: str) -> str:
    """Untrusted text for markdown (labels, list items): HTML escaped, markdown syntax backslashed, one line."""
    flat = " ".join(str(text).split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", flat)


def escape_answer(text: str) -> str:
    """The tutor's answer markdown, with the document text inside it unable to become HTML or links.

    HTML special characters become entities (LaTeX like ``$a < b$`` still renders: the math renderer reads
    the decoded text); ``](`` and ``![`` lose their link meaning, so a quoted ``[x](javascript:..)`` is text.
    """
    out = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return out.replace("](", "]\\(").replace("![", "!\\[")


def _md_url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace('"', "%22")


def _page_fragment(fragment: str) -> str:
    """Only a ``page=N`` fragment survives onto a served file (nothing a document could inject)."""
    m = re.fullmatch(r"page=(\d{1,6})", fragment or "")
    return f"#page={m.group(1)}" if m else ""


class Links:
    """Turns citation URLs into links a browser can open, without ever showing a server path.

    http(s) URLs are kept. ``file://`` URLs become public routes: study notes under ``notes_dir`` ->
    ``/notes/<slug>``; files in one of ``private`` (folder -> URL prefix, e.g. a session's uploads) ->
    that prefix plus the path below the folder, with its ``#page=``. Any other file, and any other scheme
    (``javascript:``, ``data:``), gets no link at all.
    """

    def __init__(self, notes_dir: Path | None = None, private: Mapping[Path, str] | None = None) -> None:
        self.notes_dir = Path(notes_dir).resolve() if notes_dir else None
        self.private = {Path(k).resolve(): v.rstrip("/") for k, v in (private or {}).items()}

    def with_private(self, folder: Path, prefix: str) -> Links:
        """These links plus one more private folder (a session's own uploads)."""
        return Links(self.notes_dir, {**self.private, folder: prefix})

    def href(self, url: str | None) -> str | None:
        if not url:
            return None
        if url.startswith(NOTES_ROUTE) and _NOTE_SLUG.match(url[len(NOTES_ROUTE) :].split("#")[0]):
            return url
        if url.startswith(("http://", "https://")):
            return url
        if url.startswith(f"{NOTES_REPO_DIR}/") and url.endswith(".md"):  # links.note_url without a base URL
            stem = PurePosixPath(url).stem
            return f"{NOTES_ROUTE}{quote(stem)}" if _NOTE_SLUG.match(stem) else None
        if not url.startswith("file:"):
            return None
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve()
        if self.notes_dir is not None and path.is_relative_to(self.notes_dir) and path.suffix == ".md":
            return f"{NOTES_ROUTE}{quote(path.stem)}" if _NOTE_SLUG.match(path.stem) else None
        for folder, prefix in self.private.items():
            if path.is_relative_to(folder):
                rel = path.relative_to(folder).as_posix()
                return f"{prefix}/{quote(rel)}{_page_fragment(parts.fragment)}"
        return None


NO_LINKS = Links()


def cite_label(c: Mapping[str, Any]) -> str:
    return f"{c['title']}, {c['locator']}" if c.get("locator") else str(c["title"])


def whole_resource(c: Mapping[str, Any]) -> bool:
    """A citation of a catalog entry (no passage, no page or minute): its link opens the whole resource."""
    return not c.get("locator")


def link_citations(text: str, citations: list[dict[str, Any]], links: Links = NO_LINKS) -> str:
    """``[n]`` markers become links to the cited passage, with its title and locator as the tooltip."""
    by_n = {int(c["n"]): c for c in citations}

    def repl(m: re.Match[str]) -> str:
        c = by_n.get(int(m.group(1)))
        if c is None:
            return m.group(0)
        href = links.href(c.get("url"))
        if href is None:
            return f"\\[{c['n']}\\]"
        tip = cite_label(c) + (" (the whole resource)" if whole_resource(c) else "")
        tip = escape_html(" ".join(tip.split())).replace("\\", "")
        return f'[\\[{c["n"]}\\]]({_md_url(href)} "{tip}")'

    return CITATION_MARKER.sub(repl, text)


def source_line(c: Mapping[str, Any], links: Links = NO_LINKS) -> str:
    """``**[n]** [Title](url) · locator`` (no link when the source cannot be opened)."""
    href = links.href(c.get("url"))
    title = md_text(c["title"])
    label = f"[{title}]({_md_url(href)})" if href else title
    where = f" · {md_text(c['locator'])}" if c.get("locator") else " · the whole resource" if href else ""
    return f"**\\[{c['n']}\\]** {label}{where}"


def render_answer(answer: Mapping[str, Any], links: Links = NO_LINKS, *, fold_sources: bool = False) -> str:
    """An answer (``Answer.to_dict()``) as markdown: escaped text, linked citations, then the numbered sources.

    In the chat the list is folded (the sources panel beside it shows them in full); the API and
    exports get it open.
    """
    text = link_citations(escape_answer(answer["answer"]), answer["citations"], links)
    cites = answer["citations"]
    if not cites:
        return text
    items = [f"- {source_line(c, links)}" for c in cites]
    if fold_sources:
        n = len(cites)
        summary = f"Sources ({n} passage{'s' if n != 1 else ''} and resources)"
        return "\n".join([text, "", f"<details><summary>{summary}</summary>", "", *items, "", "</details>"])
    return "\n".join([text, "", "**Sources**", *items])


def snippet_md(snippet: str) -> str:
    """A passage as quoted markdown: HTML and markdown syntax escaped, LaTeX left for the math renderer."""
    flat = " ".join(str(snippet).split())
    out = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\[\]`*_|!#])", r"\\\1", out).replace("](", "]\\(")


def render_sources(answer: Mapping[str, Any] | None, links: Links = NO_LINKS) -> str:
    """The sources panel: every cited passage of the latest answer with its snippet."""
    if not answer:
        return "_The passages behind each answer appear here, with links to the book page or video moment._"
    if not answer["citations"]:
        return "_This answer cites no sources._"
    blocks = []
    for c in answer["citations"]:
        blocks.append(f"{source_line(c, links)}\n\n> {snippet_md(c.get('snippet') or '')}")
    return "\n\n".join(blocks)


def concept_name(tutor: Tutor | None, concept: str) -> str:
    topics = getattr(tutor, "topics", None)
    if topics is not None and concept in topics:
        return topics.get(concept).name
    return concept.replace("-", " ").capitalize()


def study_paths(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The turns of a conversation that produced a study path, oldest first."""
    return [t for t in turns if t.get("study_path")]


def render_path_html(turns: list[dict[str, Any]], tutor: Tutor | None, links: Links = NO_LINKS) -> str:
    """The latest study path as an ordered checklist; earlier ones folded away below it."""
    paths = study_paths(turns)
    if not paths:
        return (
            '<p class="mt-empty">Ask <em>"What should I study for …?"</em> to get an ordered study path '
            "you can tick off as you go.</p>"
        )
    out = []
    for i, turn in enumerate(reversed(paths)):
        body = _path_list_html(turn, tutor, links)
        title = escape_html(turn["question"])
        if i == 0:
            out.append(f'<div class="mt-path"><p class="mt-path-q">{title}</p>{body}</div>')
        else:
            out.append(f'<details class="mt-path"><summary>{title}</summary>{body}</details>')
    return "\n".join(out)


def _path_list_html(turn: dict[str, Any], tutor: Tutor | None, links: Links) -> str:
    by_n = {int(c["n"]): c for c in turn["citations"]}
    items = []
    for step in turn["study_path"]:
        name = escape_html(concept_name(tutor, step["concept"]))
        refs = []
        for n in step.get("citations", []):
            c = by_n.get(int(n))
            if c is None:
                continue
            href = links.href(c.get("url"))
            label = escape_html(cite_label(c))
            if href:
                whole = " (whole resource)" if whole_resource(c) else ""
                refs.append(
                    f'<a href="{escape_html(href)}" target="_blank" rel="noopener noreferrer">{label}</a>{whole}'
                )
            else:
                refs.append(label)
        study = f'<div class="mt-study">Study: {" · ".join(refs)}</div>' if refs else ""
        items.append(
            f'<li><label><input type="checkbox"> <strong>{name}</strong></label>'
            f'<div class="mt-why">{escape_html(step["why"])}</div>{study}</li>'
        )
    return f'<ol class="mt-checklist">{"".join(items)}</ol>'


def path_markdown(turns: list[dict[str, Any]], tutor: Tutor | None = None, links: Links = NO_LINKS) -> str:
    """The conversation's study paths as a markdown checklist to download and tick off elsewhere."""
    paths = study_paths(turns)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = ["# My study path", "", f"_Made with mathtutor on {stamp}._", ""]
    if not paths:
        lines.append('No study path yet: ask "What should I study for …?" first.')
    for turn in paths:
        level = f" (level: {md_text(turn['level'])})" if turn.get("level") else ""
        lines += [f"## {md_text(turn['question'])}{level}", ""]
        by_n = {int(c["n"]): c for c in turn["citations"]}
        for i, step in enumerate(turn["study_path"], start=1):
            lines.append(f"{i}. [ ] **{md_text(concept_name(tutor, step['concept']))}**: {md_text(step['why'])}")
            for n in step.get("citations", []):
                c = by_n.get(int(n))
                if c is None:
                    continue
                url = links.href(c.get("url"))
                label = md_text(cite_label(c))
                lines.append(f"   - [{label}]({_md_url(url)})" if url else f"   - {label}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_FORMAT_WORDS = {
    "book": ("book", "books"),
    "video-series": ("video series", "video series"),
    "channel": ("video channel", "video channels"),
    "course": ("course", "courses"),
    "article": ("article", "articles"),
    "interactive": ("interactive site", "interactive sites"),
    "notes": ("set of study notes", "sets of study notes"),
}


def search_status(status: Mapping[str, Any]) -> str:
    """``Searching 745 passages from 4 books, 8 video series, 13 courses and 11 more sources…``."""
    formats = dict(status.get("formats") or {})
    parts = []
    for fmt in ("book", "video-series", "channel", "course"):
        n = formats.pop(fmt, 0)
        if n:
            parts.append(f"{n} {_FORMAT_WORDS[fmt][n != 1]}")
    rest = sum(formats.values())
    if rest:
        noun = "source" if rest == 1 else "sources"
        parts.append(f"{rest} more {noun}" if parts else f"{rest} {noun}")
    where = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else (parts[0] if parts else "the index")
    return f"Searching {status.get('chunks', 0):,} passages from {where}…"


def index_line(status: Mapping[str, Any]) -> str:
    formats = status.get("formats") or {}
    order = {f: i for i, f in enumerate(_FORMAT_WORDS)}
    ranked = sorted(formats.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    bits = [f"{n} {_FORMAT_WORDS.get(f, (f, f + 's'))[n != 1]}" for f, n in ranked]
    return f"{status.get('chunks', 0):,} passages from {status.get('resources', 0)} resources ({', '.join(bits)})"


def export_link(key: str | None) -> str:
    """The export control: a download link to ``/exports/<key>``, or a greyed-out label before any study path."""
    if key is None:
        return '<span class="mt-export-off">Export study path (.md): ask for a study path first</span>'
    href = f"/exports/{escape_html(key)}"
    return f'<a class="mt-export-link" href="{href}" download="study-path.md">Export study path (.md)</a>'


def uploads_table(names: list[str]) -> str:
    """The session's own uploads, listed for the learner (names escaped)."""
    if not names:
        return "_You have not added any material in this session. Only you can see what you add._"
    items = "\n".join(f"- {md_text(n)}" for n in names)
    return f"**Your material** (only you can see it; it is searched with the shared index):\n\n{items}"


def scrub_paths(text: str) -> str:
    """Server paths (``/home/..``, ``file:///..``) in text meant for a client become the words "a server file"."""
    out = str(text)
    for root in (str(PROJECT_ROOT), tempfile.gettempdir(), str(Path.home())):
        out = out.replace(root, "")
    return _ABS_PATH.sub("a server file", out)


CSS = """
.gradio-container { max-width: 1400px !important; margin: 0 auto; }
#mt-header h1 { margin-bottom: 0.1em; }
#mt-header p { margin-top: 0; color: var(--body-text-color-subdued); }
#mt-status { min-height: 1.6em; font-size: 0.92em; color: var(--body-text-color-subdued); }
#mt-sources blockquote { margin: 0.2em 0 0.9em 0; font-size: 0.92em; }
.mt-checklist { padding-left: 1.6em; margin: 0.3em 0; }
.mt-checklist li { margin: 0 0 0.55em 0; }
.mt-checklist label { cursor: pointer; }
.mt-checklist input[type=checkbox] {
  appearance: auto; -webkit-appearance: checkbox; width: 1.05em; height: 1.05em;
  margin: 0 0.35em 0 0; vertical-align: -2px; accent-color: var(--color-accent); cursor: pointer;
}
.mt-checklist li:has(input:checked) strong { text-decoration: line-through; opacity: 0.6; }
.mt-why { font-size: 0.9em; color: var(--body-text-color-subdued); }
.mt-study { font-size: 0.9em; }
#mt-path a { padding: 0 !important; margin: 0 !important; }
.mt-path-q { font-weight: 600; margin: 0 0 0.3em 0; }
.mt-empty { color: var(--body-text-color-subdued); }
.mt-panel-title { font-weight: 600; margin: 0.2em 0; }
.mt-export-off { color: var(--body-text-color-subdued); font-size: 0.9em; }
.mt-export-link { font-weight: 600; }
footer { display: none !important; }
"""


def theme() -> Any:
    """Gradio's Soft theme with fonts Gradio ships itself: the page loads nothing from elsewhere."""
    import gradio as gr

    # Regular and Bold only: Gradio's bundled SemiBold files hold just a few dozen glyphs.
    return gr.themes.Soft(
        primary_hue="indigo",
        font=[gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "monospace"],
    )
