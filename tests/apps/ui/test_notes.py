"""Study notes as pages: front matter gone, markdown rendered, raw HTML shown as text, LaTeX kept."""

from __future__ import annotations

from pathlib import Path

from mathtutor.apps.ui.notes import find_note, render_note
from mathtutor.settings import PROJECT_ROOT

NOTE = """---
title: "Eigen <things> — study note"
concept: eigen
---
# Eigenvalues

A value $\\lambda$ with $A v = \\lambda v$, and $a_1 * b_2 < c$.

<script>alert(1)</script>

$$\\sum_{i=1}^n \\lambda_i = \\operatorname{tr} A$$
"""


def test_note_is_rendered_without_front_matter_and_with_latex_left_alone() -> None:
    page = render_note(NOTE)
    assert "<title>Eigen &lt;things&gt; — study note</title>" in page
    assert "concept: eigen" not in page and "---" not in page
    assert "<h1>Eigenvalues</h1>" in page
    assert '<span class="math">$\\lambda$</span>' in page
    assert '<span class="math">$a_1 * b_2 &lt; c$</span>' in page  # no emphasis made of the underscores
    assert '<span class="math">$$\\sum_{i=1}^n \\lambda_i = \\operatorname{tr} A$$</span>' in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_slugs_cannot_leave_the_notes_folder(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    (notes / "concepts").mkdir(parents=True)
    (notes / "concepts" / "pca.md").write_text(NOTE)
    outside = tmp_path / "secret.md"
    outside.write_text("TOPSECRET")
    (notes / "concepts" / "leak.md").symlink_to(outside)
    assert find_note(notes, "pca") == (notes / "concepts" / "pca.md").resolve()
    for bad in ("../secret", "..", "leak", "pca.md", "", "a/b", "%2e%2e", "*"):
        assert find_note(notes, bad) is None, bad


def test_every_real_note_has_a_slug() -> None:
    notes = PROJECT_ROOT / "corpus" / "notes"
    stems = [p.stem for p in notes.rglob("*.md")]
    assert len(stems) == len(set(stems)) > 50  # slugs are unique across the sub-folders
    assert find_note(notes, "pca") is not None
