"""Clean page text from PDFs: body column apart from margin notes, no glued words, hyphens and ligatures repaired.

pypdf's plain ``extract_text`` writes text runs in content-stream order and only separates two runs when the
second one moves down or right; a run that jumps back to the left margin on the same baseline (a margin note
typeset beside a body line) is pasted onto the body word ("...ofTaylor polynomial"). Here pypdf's visitor gives
each run with its position; the document's body column and body font size are measured from all its pages, small
text outside the column becomes a margin note, and the body is re-joined with a space or line break wherever the
positions show a gap.

This module imports nothing from mathtutor: it maps pypdf pages to text and can move to ``mathtutor.ingest``.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Ligature code points -> letters. Not NFKC: NFKC would also turn superscripts, blackboard letters and
#: variant Greek (x², ℝ, ϵ) into plain characters and change what a formula says.
LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
#: Invisible or layout-only characters: soft hyphen and zero-width marks go, no-break spaces become spaces.
_INVISIBLE = {"\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u00a0": " ", "\u202f": " "}
_TRANSLATE = str.maketrans({**LIGATURES, **_INVISIBLE})

#: A margin run is printed smaller than the body font (MML: 8 pt notes beside 10.5 pt text).
MARGIN_SIZE_RATIO = 0.9
#: Horizontal gap, in units of the font size, that separates two runs on one line by a space.
SPACE_GAP = 0.25
#: Vertical move, in units of the smaller font size, that starts a new line (a superscript moves about 0.4).
LINE_MOVE = 0.8
#: A margin line further below the previous one than this (in font sizes) starts a new note.
NOTE_GAP = 1.8
#: ... and so does one more than this (pt) below the page's usual margin leading: MML sets the lines of one
#: note 10.4-10.5 pt apart and two notes 10.9 pt or more apart; other books use a wider leading throughout.
NOTE_LEADING_SLACK = 0.3
#: Margin notes of this many words or more are asides or captions, not a repeated term: see PageText.text.
NOTE_WORDS = 6

_HYPHEN_BREAK = re.compile(r"([A-Za-z]+)-\n[ \t]*(\S+)")
#: pypdf sometimes reports two lines as one run ("polyno- mial"): joined only when the document knows the word.
_HYPHEN_SPACE = re.compile(r"\b([A-Za-z]+)- ([a-z]+)\b")
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_LOWER_END = re.compile(r"[a-z]{2}$")
_MULTI_SPACE = re.compile(r"[ \t]{2,}")


@dataclass(slots=True)
class Run:
    """One piece of text as pypdf reports it: start position, font size (device space) and estimated end."""

    x: float
    y: float
    size: float
    text: str
    end: float
    upright: bool = True


@dataclass(slots=True)
class Column:
    """The body column of a page: left and right edge and the body font size, measured over the document."""

    left: float
    right: float
    size: float


@dataclass(slots=True)
class PageText:
    """A page's body text and its margin notes, each note one string."""

    body: str
    margin: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The body, then each margin note of :data:`NOTE_WORDS` or more words as a paragraph of its own.

        Short notes repeat a term of the body beside it (keywords: they stay in ``margin`` only); longer ones
        are captions and asides with content of their own, kept searchable without breaking a sentence.
        """
        notes = [n for n in self.margin if len(n.split()) >= NOTE_WORDS]
        return "\n\n".join(part for part in (self.body, *notes) if part)


def fix_characters(text: str) -> str:
    """Ligatures to letters, soft hyphens and zero-width marks removed; every other character kept."""
    return text.translate(_TRANSLATE)


# ---------------------------------------------------------------- runs


class _FontWidths:
    """Widths of a font's characters, parsed once per document with pypdf's own font reader.

    ``pypdf.generic._font`` is not public API: without it (another pypdf version) or for a damaged font,
    a character counts half an em, which only makes gap detection more cautious.
    """

    def __init__(self) -> None:
        # id -> (the font dictionary, kept alive so its id stays its own; parsed font or None)
        self._fonts: dict[int, tuple[Any, Any]] = {}

    def width(self, font_resource: Any, text: str, size: float) -> float:
        font = None
        if font_resource is not None:
            entry = self._fonts.get(id(font_resource))
            if entry is None:
                entry = (font_resource, _parse_font(font_resource))
                self._fonts[id(font_resource)] = entry
            font = entry[1]
        if font is None:
            return 0.5 * size * len(text)
        return font.get_text_width(text) * size / 1000


def _parse_font(font_resource: Any) -> Any:
    try:
        from pypdf.generic._font import Font

        return Font.from_font_resource(font_resource)
    except Exception:
        return None


def page_runs(page: Any, widths: _FontWidths | None = None) -> list[Run]:
    """The text runs of one pypdf page in content-stream order, with positions; runs off the crop box dropped."""
    widths = widths or _FontWidths()
    runs: list[Run] = []
    try:
        box = page.cropbox
        x0, y0, x1, y1 = float(box.left), float(box.bottom), float(box.right), float(box.top)
    except Exception:  # no usable box: keep everything
        x0 = y0 = float("-inf")
        x1 = y1 = float("inf")

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: float) -> None:
        if not text or text.isspace():
            return
        a = tm[0] * cm[0] + tm[1] * cm[2]
        b = tm[0] * cm[1] + tm[1] * cm[3]
        c = tm[2] * cm[0] + tm[3] * cm[2]
        d = tm[2] * cm[1] + tm[3] * cm[3]
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if not (x0 - 1 <= x <= x1 + 1 and y0 - 1 <= y <= y1 + 1):
            return
        scale_x = (a * a + b * b) ** 0.5
        eff = float(size) * ((c * c + d * d) ** 0.5 or 1.0)
        body = text.strip("\n")
        w = widths.width(font, body.strip(), float(size)) * (scale_x or 1.0)
        runs.append(Run(x=x, y=y, size=eff, text=body, end=x + w, upright=abs(b) <= abs(a) and a > 0))

    page.extract_text(visitor_text=visit)
    return runs


# ---------------------------------------------------------------- column


def _lines(runs: Sequence[Run]) -> list[list[Run]]:
    """Group runs (stream order) into visual lines: a line ends where the text moves down/up or back left."""
    lines: list[list[Run]] = []
    prev: Run | None = None
    for run in runs:
        if prev is None or _new_line(prev, run):
            lines.append([run])
        else:
            lines[-1].append(run)
        prev = run
    return lines


def _new_line(prev: Run, run: Run) -> bool:
    limit = LINE_MOVE * (min(prev.size, run.size) or 1.0)
    return abs(run.y - prev.y) > limit or run.x < prev.x - 1.0


def _weighted_mode(values: Iterable[tuple[float, int]]) -> float | None:
    counts: Counter[float] = Counter()
    for value, weight in values:
        counts[value] += weight
    return counts.most_common(1)[0][0] if counts else None


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def find_columns(pages: Sequence[Sequence[Run]]) -> dict[int, Column] | None:
    """Body column per page parity (books alternate margins), from lines in the body font; None if no body."""
    size = _weighted_mode((round(r.size, 1), len(r.text)) for p in pages for r in p if r.upright)
    if not size:
        return None
    columns: dict[int, Column] = {}
    for parity in (0, 1):
        starts: list[tuple[float, int]] = []
        full: list[tuple[float, float]] = []
        for i in range(parity, len(pages), 2):
            for line in _lines([r for r in pages[i] if r.upright]):
                first = line[0]
                n = sum(len(r.text) for r in line)
                if abs(first.size - size) <= 0.1 * size and n >= 20:
                    starts.append((round(first.x), n))
                    full.append((first.x, max(r.end for r in line)))
        left = _weighted_mode(starts)
        if left is None or len(full) < 5:
            continue
        ends = [end for x, end in full if abs(x - left) <= 2.0]
        if len(ends) >= 3:
            columns[parity] = Column(left=left, right=_percentile(ends, 0.8), size=size)
    if not columns:
        return None
    for parity in (0, 1):  # a parity with too few body lines borrows the other's column
        if parity not in columns:
            columns[parity] = columns[1 - parity]
    return columns


def is_margin(run: Run, column: Column) -> bool:
    """Small text wholly left of the body column or starting right of it."""
    if not run.upright or run.size >= MARGIN_SIZE_RATIO * column.size:
        return False
    return run.x < column.left - column.size or run.x > column.right + 0.5 * column.size


# ---------------------------------------------------------------- joining


def join_runs(runs: Sequence[Run]) -> str:
    """Runs -> lines of text, with a space where runs on one line leave a gap or a word meets a capital."""
    out: list[str] = []
    prev: Run | None = None
    for run in runs:
        text = run.text
        if prev is None:
            out.append(text.lstrip())
        elif _new_line(prev, run):
            out.append("\n")
            out.append(text.lstrip())
        else:
            last = out[-1][-1:] if out and out[-1] else ""
            if text.startswith((" ", "\t")) or last in (" ", "\n", ""):
                out.append(text)
            else:
                gap = run.x - prev.end
                same_base = abs(run.y - prev.y) <= 0.15 * (min(prev.size, run.size) or 1.0)
                case_join = same_base and text[:1].isupper() and _LOWER_END.search(out[-1]) is not None
                out.append((" " if gap > SPACE_GAP * (run.size or 1.0) or case_join else "") + text)
        prev = run
    lines = "".join(out).split("\n")
    return "\n".join(_MULTI_SPACE.sub(" ", ln).strip() for ln in lines)


def margin_notes(runs: Sequence[Run], body_baselines: Iterable[float] = ()) -> list[str]:
    """Margin runs -> notes: lines at the page's margin leading below each other on the same side form one note.

    A note also starts on a line that sits exactly on a body baseline, as a LaTeX margin note's first line
    does (its later lines follow the note's own, smaller leading, so they rarely hit one).
    """
    baselines = sorted(body_baselines)
    lines = [(line[0], text) for line in _lines(runs) if (text := join_runs(line))]
    gaps = [a.y - b.y for (a, _), (b, _) in itertools.pairwise(lines) if _below(a, b)]
    leading = _percentile(gaps, 0.25) if gaps else None  # most gaps are within a note
    notes: list[list[str]] = []
    prev: Run | None = None
    for head, text in lines:
        if prev is not None:
            gap = prev.y - head.y
            close = _below(prev, head)
            if close and leading is not None and gap > leading + NOTE_LEADING_SLACK:
                close = False
            if close and _on_baseline(head.y, baselines) and not notes[-1][-1].endswith("-"):
                close = False
            if close:
                notes[-1].append(text)
                prev = head
                continue
        notes.append([text])
        prev = head
    return [" ".join(repair_hyphens("\n".join(n), Counter()).split()) for n in notes]


def _below(upper: Run, lower: Run) -> bool:
    """``lower`` starts the next line of the same margin column as ``upper``."""
    size = upper.size or 1.0
    return 0 < upper.y - lower.y <= NOTE_GAP * size and abs(upper.x - lower.x) <= 3 * size


def _on_baseline(y: float, baselines: list[float], tolerance: float = 0.25) -> bool:
    i = bisect.bisect_left(baselines, y - tolerance)
    return i < len(baselines) and baselines[i] <= y + tolerance


# ---------------------------------------------------------------- hyphenation


def vocabulary(texts: Iterable[str]) -> Counter[str]:
    """Lower-cased words and hyphenated compounds of a document, for deciding line-end hyphens.

    The two halves of a word broken at a line end are left out: they are what is being decided.
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w.lower() for w in _WORD.findall(_HYPHEN_SPACE.sub(" ", _HYPHEN_BREAK.sub(" ", text))))
    return counts


def repair_hyphens(text: str, vocab: Counter[str]) -> str:
    """Join words broken at a line end: ``differ-\\nentiable`` -> ``differentiable``.

    The document decides: a word it writes whole elsewhere is joined; a compound it writes with a hyphen, or
    two words it uses on their own (``least-\\nsquares``), keeps the hyphen; anything else is a split syllable
    and is joined. The hyphen also stays when the next line does not start in lower case (``rank-\\n1``).
    """

    def fix(m: re.Match[str]) -> str:
        head, tail = m.group(1), m.group(2)
        word = re.match(r"[A-Za-z]+", tail)
        if not tail[:1].islower() or word is None:
            return f"{head}-{tail}"
        joined = (head + word.group(0)).lower()
        if vocab[joined] > 0:
            return head + tail
        both_words = len(head) >= 2 and vocab[head.lower()] > 0 and vocab[word.group(0).lower()] > 0
        if vocab[f"{head}-{word.group(0)}".lower()] > 0 or both_words:
            return f"{head}-{tail}"
        return head + tail

    def fix_inline(m: re.Match[str]) -> str:
        head, tail = m.group(1), m.group(2)
        return head + tail if vocab[(head + tail).lower()] > 0 else m.group(0)

    return _HYPHEN_SPACE.sub(fix_inline, _HYPHEN_BREAK.sub(fix, text))


# ---------------------------------------------------------------- pages


def extract_pages(pages: Iterable[Any]) -> list[PageText]:
    """Clean text of every page of one document, in order; a page pypdf cannot read comes back empty."""
    widths = _FontWidths()
    all_runs: list[list[Run]] = []
    for page in pages:
        try:
            all_runs.append(page_runs(page, widths))
        except Exception:  # one broken page should not lose the rest of the document
            all_runs.append([])
    columns = find_columns(all_runs)
    bodies: list[str] = []
    margins: list[list[str]] = []
    for i, runs in enumerate(all_runs):
        column = columns[i % 2] if columns else None
        body_runs = [r for r in runs if column is None or not is_margin(r, column)]
        side_runs = [r for r in runs if column is not None and is_margin(r, column)]
        bodies.append(fix_characters(join_runs(body_runs)))
        baselines = [r.y for r in body_runs if column is not None and abs(r.size - column.size) <= 0.1 * column.size]
        margins.append([fix_characters(n) for n in margin_notes(side_runs, baselines)])
    vocab = vocabulary(bodies)
    return [PageText(body=repair_hyphens(b, vocab), margin=m) for b, m in zip(bodies, margins, strict=True)]
