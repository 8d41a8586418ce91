"""End to end in headless Chromium: a learner asks for a PCA study path, follows a citation, rates the answer.

Playwright drives Debian's ``/usr/bin/chromium`` (``scripts/install-browser.sh`` installs it and the
Playwright package when missing; browsers are never downloaded). Every request that is not for the
loopback server is aborted and recorded, so the test also proves the page loads nothing from elsewhere.
The screenshot goes to a temp file, or to $MATHTUTOR_SCREENSHOT (the README shows docs/screenshot.png).
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from mathtutor.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

# docs/screenshot.png is refreshed on request (MATHTUTOR_SCREENSHOT=docs/screenshot.png); otherwise a temp file,
# so a test run leaves the checkout unchanged.
SCREENSHOT = (
    Path(os.environ["MATHTUTOR_SCREENSHOT"])
    if os.environ.get("MATHTUTOR_SCREENSHOT")
    else Path(tempfile.gettempdir()) / "mathtutor-screenshot.png"
)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
QUESTION = "What should I study for PCA?"

#: Records every distinct text of the status line and of the latest assistant message while they change.
RECORDER = """
() => {
  window.__mt = {status: [], bot: []};
  const last = (xs) => xs.length ? xs[xs.length - 1] : null;
  const record = () => {
    const s = (document.querySelector('#mt-status') || {}).innerText || '';
    if (s && last(window.__mt.status) !== s) window.__mt.status.push(s);
    const bots = document.querySelectorAll('#mt-chat .bot.message');
    const t = bots.length ? bots[bots.length - 1].innerText : '';
    if (t && last(window.__mt.bot) !== t) window.__mt.bot.push(t);
  };
  new MutationObserver(record).observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""


#: Notes whenever the upload result shows Gradio's progress bar text.
PROGRESS_RECORDER = """
() => {
  window.__mtProgress = [];
  new MutationObserver(() => {
    const t = (document.querySelector('#mt-upload-result') || {}).innerText || '';
    if (/Reading and embedding/.test(t)) window.__mtProgress.push(t);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""
FOURIER_DOC = """# Fourier notes

The discrete Fourier transform writes a signal of length $N$ as a sum of complex exponentials
$e^{2\\pi i k n / N}$, and the fast Fourier transform computes all of its coefficients in $O(N \\log N)$
operations instead of $O(N^2)$, by splitting the signal into its even and odd samples again and again.
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ask(page, question: str) -> None:
    """Type a question, press Ask, and wait for its finished answer (not the previous one's status)."""
    before = page.locator("#mt-chat .bot.message").count()
    page.locator("#mt-input textarea").fill(question)
    page.locator("#mt-send").click()
    page.wait_for_function(
        r"""n => {
          const bots = document.querySelectorAll('#mt-chat .bot.message');
          const status = document.querySelector('#mt-status').innerText;
          return bots.length > n && /\d+ sources? ·/.test(status)
            && !bots[bots.length - 1].innerText.includes('Searching');
        }""",
        arg=before,
    )


def _chromium() -> str:
    """Install chromium and Playwright if missing (idempotent, quiet), then return the browser's path."""
    subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "install-browser.sh")], check=True, timeout=1200)
    importlib.invalidate_caches()
    path = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).exists(), "chromium was not installed"
    return path


@pytest.fixture(scope="module")
def server(tutor_index, real_embedder, tmp_path_factory):
    from mathtutor.apps.ui.app import build_app, launch
    from mathtutor.tutor import Tutor

    root = tmp_path_factory.mktemp("browser")
    index = root / "index"
    shutil.copytree(tutor_index.index_dir, index)
    closed = f"http://127.0.0.1:{_free_port()}"  # an Ollama that is not running
    demo = build_app(lambda: Tutor.open(index, embedder=real_embedder, ollama_base_url=closed), data_dir=root / "data")
    url = launch(demo, port=_free_port(), block=False)
    yield SimpleNamespace(url=url, data=root / "data")
    demo.close()


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_learner_gets_a_study_path_with_sources_and_rates_it(server, browser, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    outside: list[str] = []

    def only_loopback(route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server.url, wait_until="load")
    page.wait_for_selector("#mt-chat")

    # first load: example questions, nothing fetched from outside
    example = page.locator("#mt-chat").get_by_text(QUESTION, exact=True)
    example.wait_for()
    page.evaluate(RECORDER)
    example.click()
    page.wait_for_selector("#mt-status:has-text('sources ·')")
    seen = page.evaluate("window.__mt")

    # a status line while it retrieves, then the answer written into the chat
    assert any(s.startswith("⏳ Searching") and "passages from" in s for s in seen["status"]), seen["status"]
    texts = [t for t in seen["bot"] if t.strip() != "Loading content"]  # Gradio's own placeholder
    assert any("Searching" in t for t in texts[:-1]), texts
    growing = [t for t in texts if t.startswith("Where ")]  # the path opens with where its goal is taught
    assert len(growing) >= 3 and len(growing[0]) < len(growing[-1]), texts  # written piece by piece
    assert "Study path for Principal component analysis" in texts[-1]

    # citations: links that open a new tab, with title and locator as their tooltip
    bot = page.locator("#mt-chat .bot.message").last
    cites = bot.locator("a[href^='http']")
    assert cites.count() >= 5
    first = cites.first
    assert first.get_attribute("target") == "_blank"
    assert first.get_attribute("title")
    href = first.get_attribute("href")
    with context.expect_page() as new_tab:
        first.click()
    new_tab.value.close()
    assert href in outside  # the click opened the cited URL in a new tab (aborted here: no outside call)

    # the sources panel: each cited passage with its snippet
    sources = page.locator("#mt-sources")
    assert sources.locator("a").count() >= 5
    quotes = sources.locator("blockquote")
    assert quotes.count() >= 5 and len(quotes.first.inner_text().strip()) > 20

    # the study path as an ordered checklist the learner can tick
    steps = page.locator("#mt-path ol.mt-checklist > li")
    assert steps.count() >= 5
    assert "Principal component analysis" in steps.last.inner_text()
    steps.first.locator("input[type=checkbox]").check()
    assert steps.first.locator("input[type=checkbox]").is_checked()

    # thumbs up: stored with the question, answer and citations
    bot.hover()
    page.locator("#mt-chat button[aria-label='Like']").last.click()
    page.wait_for_selector("#mt-status:has-text('Thanks')")
    rows = [json.loads(line) for line in (server.data / "feedback.jsonl").read_text().splitlines()]
    assert rows[-1]["rating"] == "up" and rows[-1]["question"] == QUESTION
    assert rows[-1]["citations"] and "Study path for" in rows[-1]["answer"]

    # the study path downloads as a markdown checklist
    with page.expect_download() as download:
        page.locator("#mt-export a").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".md")
    assert "1. [ ] **" in exported and "Principal component analysis" in exported

    page.locator("#mt-chat .bubble-wrap").evaluate("el => el.scrollTo(0, 0)")
    page.mouse.move(0, 0)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # math renders in answers and snippets
    _ask(page, "What is a partial derivative?")
    page.locator("#mt-sources .katex").first.wait_for(timeout=15_000)
    page.locator("#mt-chat .bot.message").last.locator(".katex").first.wait_for(timeout=15_000)

    # an unavailable backend is named plainly
    page.get_by_text("Settings: level, formats, backend").click()
    page.locator("#mt-settings").get_by_label("ollama").check()
    page.wait_for_selector("#mt-backend-status:has-text('not available')")
    assert "Ollama is not running" in page.locator("#mt-backend-status").inner_text()

    # adding material from the page: a refused type and a good file, with a progress bar meanwhile
    bad, good = tmp_path / "setup.exe", tmp_path / "Fourier notes.md"
    bad.write_bytes(b"MZ" * 10)
    good.write_text(FOURIER_DOC, encoding="utf-8")
    page.get_by_text("Add your own material").click()
    page.locator("#mt-files input[type=file]").set_input_files([str(bad), str(good)])
    page.locator("#mt-files td.filename[aria-label='Fourier notes.md']").wait_for()  # uploaded to the server
    page.evaluate(PROGRESS_RECORDER)
    page.locator("#mt-add-btn").click()
    page.wait_for_selector("#mt-upload-result:has-text('Added')", timeout=120_000)
    result = page.locator("#mt-upload-result").inner_text()
    assert "Added Fourier_notes.md" in result and "Only you can see it" in result
    assert "Not added: setup.exe: .exe files are not accepted" in result
    assert page.evaluate("window.__mtProgress"), "no progress was shown while the file was added"
    _ask(page, "How does the fast Fourier transform work?")
    uploaded = page.locator("#mt-sources a", has_text="Fourier notes")
    uploaded.first.wait_for(timeout=15_000)
    assert uploaded.first.get_attribute("href").startswith("/my-files/")  # this session's private link

    # a new chat starts from the examples again, with empty panels
    page.get_by_role("button", name="New chat").click()
    page.wait_for_function("document.querySelectorAll('#mt-chat .bot.message').length === 0")
    page.locator("#mt-chat").get_by_text(QUESTION, exact=True).wait_for()
    assert "passages behind each answer" in page.locator("#mt-sources").inner_text()
    assert page.locator("#mt-path ol.mt-checklist").count() == 0

    assert outside == [href], f"the page asked for outside resources: {outside}"
    context.close()


ROMAN_PHRASE = "The wobbleton identity says that a wobbleton matrix squared gives back the identity matrix."


def _roman_pdf(path: Path) -> None:
    """Eight pages: front matter labelled i-iii, then 1-5; the phrase sits on physical page 6 (printed 3)."""
    import io

    from pypdf import PdfReader, PdfWriter

    from conftest import make_pdf

    pages = ["Title page", "Contents", "Preface", "Chapter one", "More of chapter one", ROMAN_PHRASE, "End", "Index"]
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(make_pdf(pages))).pages:
        writer.add_page(page)
    writer.set_page_label(0, 2, style="/r")
    writer.set_page_label(3, 7, style="/D")
    with open(path, "wb") as f:
        writer.write(f)
    assert PdfReader(str(path)).page_labels == ["i", "ii", "iii", "1", "2", "3", "4", "5"]


def test_links_land_where_they_say(server, browser, tmp_path: Path) -> None:
    """A PDF page link opens its physical page (front matter numbered i-iii), a video its minute, a note renders."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def only_loopback(route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        # chrome:// and chrome-extension:// are the browser's own PDF viewer, not the network
        own = ("data:", "blob:", "chrome:", "chrome-extension:")
        if route.request.url.startswith(own) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server.url, wait_until="load")
    page.wait_for_selector("#mt-chat")

    pdf = tmp_path / "wobbleton.pdf"
    _roman_pdf(pdf)
    page.get_by_text("Add your own material").click()
    page.locator("#mt-files input[type=file]").set_input_files([str(pdf)])
    page.locator("#mt-files td.filename[aria-label='wobbleton.pdf']").wait_for()
    page.locator("#mt-add-btn").click()
    page.wait_for_selector("#mt-upload-result:has-text('Added')", timeout=120_000)
    assert "wobbleton.pdf" in page.locator("#mt-mine").inner_text()

    _ask(page, "What does the wobbleton identity say?")
    answer = page.locator("#mt-chat .bot.message").last.inner_text()
    assert answer.startswith("From your own material:") and "wobbleton matrix squared" in answer
    link = page.locator("#mt-sources a", has_text="Wobbleton").first
    link.wait_for(timeout=15_000)
    href = link.get_attribute("href")
    assert href.startswith("/my-files/") and href.endswith("/wobbleton.pdf#page=6"), href  # physical, not "3"
    with context.expect_page() as new_tab:
        link.click()
    tab = new_tab.value
    tab.wait_for_load_state()
    assert urlsplit(tab.url).fragment == "page=6", tab.url
    response = context.request.get(tab.url.split("#")[0])
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
    tab.close()

    # a video citation opens at its second; a catalog citation says it opens the whole resource
    _ask(page, "In the talk on gradient descent, what does the learning rate control?")
    video = page.locator("#mt-sources a[href*='youtu.be/TESTgd01']").first
    video.wait_for(timeout=15_000)
    assert "t=" in video.get_attribute("href") and video.get_attribute("href").endswith("s")
    _ask(page, "What should I study for PCA?")
    sources = page.locator("#mt-sources").inner_text()
    assert "the whole resource" in sources

    # a study note opens rendered, at /notes/<slug>
    note = page.locator("#mt-sources a[href^='/notes/']").first
    note.wait_for(timeout=15_000)
    with context.expect_page() as new_tab:
        note.click()
    tab = new_tab.value
    tab.wait_for_load_state()
    assert urlsplit(tab.url).path.startswith("/notes/")
    assert tab.locator("article.mt-note h1").count() == 1
    assert "concept:" not in tab.locator("body").inner_text()
    tab.close()
    assert outside == [], outside
    context.close()


# ------------------------------------------------------------------------------------------------ learners

#: docs/practice.png and docs/learner-map.png are refreshed on request (MATHTUTOR_SCREENSHOT_DIR=docs).
SHOT_DIR = Path(os.environ.get("MATHTUTOR_SCREENSHOT_DIR") or tempfile.gettempdir())


@pytest.fixture
def learner_server(tutor_index, real_embedder, tmp_path_factory, monkeypatch):
    from llm_servers import free_port
    from mathtutor.apps.ui import practice_panel
    from mathtutor.apps.ui.accounts import Learners
    from mathtutor.apps.ui.app import build_app, launch
    from mathtutor.learning import LearnerStore
    from mathtutor.tutor import Tutor

    root = tmp_path_factory.mktemp("learner-browser")
    monkeypatch.setenv("MATHTUTOR_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("MATHTUTOR_DATABASE_URL", f"sqlite:///{root / 'learners.sqlite'}")
    monkeypatch.setattr(practice_panel, "new_seed", lambda: 7)  # chain rule, beginner, seed 7: d/dx (3x - 5)^5
    store = LearnerStore(url=f"sqlite:///{root / 'learners.sqlite'}", data_dir=root / "data")  # settings are cached
    store.create_user("ann", "ann-password-1")
    closed = f"http://127.0.0.1:{free_port()}"  # an Ollama that is not running
    demo = build_app(
        lambda: Tutor.open(tutor_index.index_dir, embedder=real_embedder, ollama_base_url=closed),
        data_dir=root / "data",
        learners=Learners(store),
    )
    url = launch(demo, port=free_port(), block=False)
    yield SimpleNamespace(url=url, store=store)
    demo.close()


def test_learner_signs_in_practises_and_sees_the_map(learner_server, browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def only_loopback(route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(learner_server.url, wait_until="load")
    page.wait_for_selector("#mt-account-line:has-text('Not signed in')")

    # sign in
    page.get_by_text("Sign in", exact=True).first.click()
    page.locator("#mt-signin-name input, #mt-signin-name textarea").first.fill("ann")
    page.locator("#mt-signin-password input").fill("wrong-password")
    page.locator("#mt-signin-btn").click()
    page.wait_for_selector("#mt-signin-note:has-text('do not match')")
    page.locator("#mt-signin-password input").fill("ann-password-1")
    page.locator("#mt-signin-btn").click()
    page.wait_for_selector("#mt-account-line:has-text('Signed in as ann')")
    page.locator("#mt-signin-password input").wait_for(state="hidden")  # the form folds away

    # practice in the chat: a problem, a hint, a wrong answer (recorded), the solution; in Chinese too
    def say(text: str, expect: str) -> str:
        before = page.locator("#mt-chat .bot.message").count()
        page.locator("#mt-input textarea").fill(text)
        page.locator("#mt-send").click()
        page.wait_for_function(
            "([n, t]) => { const b = document.querySelectorAll('#mt-chat .bot.message');"
            " return b.length > n && b[b.length - 1].innerText.includes(t); }",
            arg=[before, expect],
        )
        return page.locator("#mt-chat .bot.message").last.inner_text()

    assert "Chain rule" in say("give me a practice problem on the chain rule", "Practice: Chain rule")
    page.locator("#mt-chat .bot.message").last.locator(".katex").first.wait_for(timeout=15_000)
    assert say("hint", "Hint 1/").startswith("Hint 1/")
    say("I got 0", "Not quite")
    page.wait_for_selector("#mt-status:has-text('Saved to your progress')")
    assert "Solution" in say("show me the solution", "Solution")
    say("出一道题", "练习")
    _ask(page, "What is a partial derivative?")  # other questions still go to the tutor, with sources
    assert "Practice" not in page.locator("#mt-chat .bot.message").last.inner_text()
    chat_attempts = learner_server.store.for_learner("ann").attempts()
    assert [(a["concept"], a["correct"]) for a in chat_attempts] == [("chain-rule", False)]

    # the Practice tab: pick the chain rule, get a problem
    page.get_by_role("tab", name="Practice").click()
    concept = page.locator("#mt-practice-concept input")
    concept.click()
    concept.fill("Chain rule")
    page.get_by_role("option", name="Chain rule", exact=True).click()
    page.locator("#mt-new-problem").click()
    page.wait_for_selector("#mt-problem:has-text('Chain rule · beginner')")
    page.locator("#mt-problem .katex").first.wait_for(timeout=15_000)  # the maths is rendered

    # a wrong answer that forgets the inner derivative: previewed as read, then named
    answer = page.locator("#mt-answer textarea")
    answer.fill("5(3x-5)^4")
    page.locator("#mt-preview .katex").first.wait_for(timeout=15_000)
    assert page.locator("#mt-preview").inner_text().startswith("Read as:")
    page.locator("#mt-check").click()
    page.wait_for_selector("#mt-feedback:has-text('Not quite')")
    feedback = page.locator("#mt-feedback").inner_text()
    assert "This looks like" in feedback and "Hint" in feedback
    page.wait_for_selector("#mt-practice-saved:has-text('Saved to your progress')")

    # an unreadable answer is explained in words
    answer.fill("5(3x-5")
    page.wait_for_selector("#mt-preview:has-text('bracket is not closed')")

    # a hint, then the right answer
    page.locator("#mt-hint").click()
    page.wait_for_selector("#mt-feedback:has-text('Hint 2/3')")
    answer.fill("15(3x-5)^4")
    page.locator("#mt-preview .katex").first.wait_for(timeout=15_000)
    page.locator("#mt-check").click()
    page.wait_for_selector("#mt-feedback:has-text('Correct')")
    page.wait_for_selector("#mt-practice-saved:has-text('mastery of this concept is now')")
    attempts = learner_server.store.for_learner("ann").attempts()
    assert [(a["concept"], a["correct"]) for a in attempts[1:]] == [("chain-rule", False), ("chain-rule", True)]
    page.wait_for_function("!document.body.innerText.includes('processing |')")
    page.mouse.move(0, 0)
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT_DIR / "practice.png"), full_page=True)

    # Progress: set a goal, see the map, the mastery table and what next
    page.get_by_role("tab", name="Progress").click()
    page.wait_for_selector("#mt-progress-message:has-text('ann')")
    page.locator("#mt-goal textarea").fill("PCA")
    page.locator("#mt-set-goal").click()
    page.wait_for_selector("#mt-progress-message:has-text('goal: PCA')")
    page.wait_for_function("!document.body.innerText.includes('processing |')")  # every update has landed
    img = page.locator("#mt-map img")
    img.wait_for()
    assert img.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert page.evaluate("document.querySelector('#mt-map img').naturalWidth") > 100  # the SVG really drew
    assert "Chain rule" in page.locator("#mt-mastery").inner_text()
    assert page.locator("#mt-next li").count() >= 1
    page.mouse.move(0, 0)
    page.screenshot(path=str(SHOT_DIR / "learner-map.png"), full_page=True)
    assert outside == [], outside
    context.close()
