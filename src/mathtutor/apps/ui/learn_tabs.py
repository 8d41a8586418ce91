"""The page's learner parts: the sign-in row, the Practice tab and the Progress tab, wired to their events.

Each builder is called inside the Blocks being built. Handlers find the learner only through the
session's token in ``gr.State`` (or ``--auth``'s user) via :meth:`Learners.handle`; no handler takes a
learner name from the page except the sign-in form, which needs the password too. Every handler is
rate-limited per owner like the chat. Gradio is imported inside functions (the core never imports it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mathtutor.apps.ui import practice_panel as pp
from mathtutor.apps.ui import progress_panel as prog
from mathtutor.apps.ui.accounts import NEEDS_SIGN_IN, NOT_SAVED, Learners, signed_in_line
from mathtutor.apps.ui.render import LATEX_DELIMITERS
from mathtutor.apps.ui.sessions import RateLimiter, owner_key
from mathtutor.learning import LearningError, ProgressUnavailable

__all__ = ["LearnUI", "build_account_row", "build_practice_tab", "build_progress_tab"]

TOO_MANY = "⚠️ Too many requests; wait a moment."


@dataclass
class LearnUI:
    """What the learner parts share: the accounts, the rate limit and the page's states."""

    learners: Learners
    rate: RateLimiter
    token: Any  # gr.State: this page's session token ("" when signed out)
    turns: Any  # gr.State: the chat turns (for the study path's next step)
    uploaded: Callable[[], Any]  # Gradio's set of files clients really uploaded
    cache_dir: Callable[[], Any]

    def key(self, request: Any) -> str:
        return owner_key(request, self.learners.name_for)

    def handle(self, token: str, request: Any) -> Any:
        """The signed-in learner's handle or None; raises ProgressUnavailable / LearningError."""
        return self.learners.handle(token, getattr(request, "username", None))


def _annotate(fn: Callable, **types: Any) -> Callable:
    """Gradio finds gr.Request by annotation; this module's annotations are strings it cannot resolve."""
    import gradio as gr

    fn.__annotations__ = {**types, "request": gr.Request}
    return fn


def browser_secret() -> str:
    """The key that encrypts the token kept in the browser: derived from the practice signing key, so every
    replica sharing ``MATHTUTOR_SECRET_KEY`` (or one data folder) reads it and a reload on another stays signed in."""
    import hashlib

    from mathtutor.practice.state import signing_key

    return hashlib.sha256(b"mathtutor browser session\x1f" + signing_key()).hexdigest()


def build_account_row(ui: LearnUI) -> dict[str, Any]:
    """The sign-in form and the account line; a reload stays signed in through encrypted browser storage."""
    import gradio as gr

    kept = gr.BrowserState("", storage_key="mathtutor-session", secret=browser_secret())
    with gr.Row(elem_id="mt-account"):
        line = gr.Markdown(signed_in_line(None), elem_id="mt-account-line")
        with gr.Accordion("Sign in", open=False, elem_id="mt-signin") as box:
            name = gr.Textbox(label="Name", max_length=200, elem_id="mt-signin-name")
            password = gr.Textbox(label="Password", type="password", max_length=200, elem_id="mt-signin-password")
            with gr.Row():
                sign_in = gr.Button("Sign in", variant="primary", elem_id="mt-signin-btn")
                sign_out = gr.Button("Sign out", elem_id="mt-signout-btn")
            note = gr.Markdown(
                "Accounts are made by whoever runs the tutor: `mathtutor users add NAME`.", elem_id="mt-signin-note"
            )

    def do_sign_in(user: str, pw: str, request: gr.Request):
        if not ui.rate.allow(ui.key(request)):
            return gr.skip(), gr.skip(), gr.skip(), TOO_MANY, "", gr.skip()
        token, message = ui.learners.sign_in(user, pw, getattr(request, "session_hash", None))
        if token is None:
            return gr.skip(), gr.skip(), gr.skip(), f"⚠️ {message}", "", gr.skip()
        return token, token, message, "", "", gr.Accordion(open=False, label="Account (sign out)")

    def do_sign_out(token: str, request: gr.Request):
        ui.learners.sign_out(token, getattr(request, "session_hash", None))
        line = signed_in_line(getattr(request, "username", None))
        return "", "", line, "Signed out.", "", gr.Accordion(label="Sign in")

    def restore(saved: str, request: gr.Request):
        token, learner = ui.learners.restore(saved, getattr(request, "session_hash", None))
        return token or "", signed_in_line(learner or getattr(request, "username", None))

    _annotate(do_sign_in, user=str, pw=str)
    _annotate(do_sign_out, token=str)
    _annotate(restore, saved=str)
    outs = [ui.token, kept, line, note, password, box]
    signed = sign_in.click(do_sign_in, [name, password], outs, api_name="sign_in", concurrency_limit=2)
    password.submit(do_sign_in, [name, password], outs, api_visibility="private", concurrency_limit=2)
    signed_out = sign_out.click(do_sign_out, [ui.token], outs, api_name="sign_out")
    return {
        "kept": kept,
        "line": line,
        "box": box,
        "restore": restore,
        "signed": signed,
        "signed_out": signed_out,
    }


def build_practice_tab(ui: LearnUI) -> dict[str, Any]:
    """Concept and level pickers, the problem, an answer box with a live preview, four buttons."""
    import gradio as gr

    pstate = gr.State("")
    gr.Markdown(
        "Practise a concept: exact checking, hints that are real steps, a worked solution when you ask.",
        elem_id="mt-practice-intro",
    )
    with gr.Row():
        concept = gr.Dropdown(
            pp.concept_choices(),
            value=pp.concepts()[0][0],
            label="Concept",
            scale=3,
            elem_id="mt-practice-concept",
            filterable=True,
        )
        level = gr.Radio(
            list(pp.PRACTICE_LEVELS), value="beginner", label="Level", scale=2, elem_id="mt-practice-level"
        )
    problem = gr.Markdown(pp.EMPTY, elem_id="mt-problem", latex_delimiters=LATEX_DELIMITERS, padding=True)
    answer = gr.Textbox(
        label="Your answer",
        placeholder="e.g. 2x cos(x^2), 1/3, [[1,2],[3,4]] or \\frac{1}{3}",
        max_length=pp.MAX_ANSWER,
        elem_id="mt-answer",
        submit_btn=False,
    )
    preview = gr.Markdown("", elem_id="mt-preview", latex_delimiters=LATEX_DELIMITERS)
    with gr.Row():
        check = gr.Button("Check", variant="primary", elem_id="mt-check")
        hint = gr.Button("Hint", elem_id="mt-hint")
        solution = gr.Button("Solution", elem_id="mt-solution")
        new = gr.Button("New problem", elem_id="mt-new-problem")
    feedback = gr.Markdown("", elem_id="mt-feedback", latex_delimiters=LATEX_DELIMITERS, padding=True)
    saved = gr.Markdown("", elem_id="mt-practice-saved")

    def picker(token: str, turns: list, current: str, request: gr.Request):
        due, mastery, note = [], {}, f"_{NEEDS_SIGN_IN}_"
        try:
            h = ui.handle(token, request)
            if h is not None:
                due, mastery = h.due_concepts(), h.mastery()
                note = f"⏰ Due for review: {len(due)}" if due else ""
        except ProgressUnavailable:
            note = NOT_SAVED
        except LearningError as exc:
            note = f"⚠️ {exc}"
        has_path = any(t.get("study_path") for t in turns or [] if isinstance(t, dict))
        value = pp.default_concept(turns, due, mastery) if (due or has_path or not current) else current
        return gr.Dropdown(choices=pp.concept_choices(due), value=value), note

    def make(concept_id: str, lvl: str, request: gr.Request):
        if not ui.rate.allow(ui.key(request)):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), TOO_MANY
        md, state = pp.new_problem(concept_id, lvl)
        return md, state, "", "", ""

    def do_check(state: str, text: str, token: str, request: gr.Request):
        if not ui.rate.allow(ui.key(request)):
            return TOO_MANY, gr.skip(), gr.skip()
        md, new_state, attempt = pp.check_markdown(state, text)
        note = ""
        if attempt is not None:
            try:
                note = pp.record(ui.handle(token, request), attempt)
            except ProgressUnavailable:
                note = NOT_SAVED
            except LearningError as exc:
                note = f"⚠️ {exc}"
        return md, new_state or "", note

    def do_hint(state: str, request: gr.Request):
        md, new_state = pp.hint_markdown(state)
        return md, new_state or ""

    def do_solution(state: str, request: gr.Request):
        md, new_state = pp.solution_markdown(state)
        return md, new_state or ""

    def do_preview(state: str, text: str, request: gr.Request) -> str:
        return pp.preview_markdown(state, text)

    _annotate(picker, token=str, turns=list, current=str)
    _annotate(make, concept_id=str, lvl=str)
    _annotate(do_check, state=str, text=str, token=str)
    _annotate(do_hint, state=str)
    _annotate(do_solution, state=str)
    _annotate(do_preview, state=str, text=str)
    new.click(make, [concept, level], [problem, pstate, answer, preview, feedback], api_name="practice_new")
    check.click(
        do_check, [pstate, answer, ui.token], [feedback, pstate, saved], api_name="practice_check", concurrency_limit=2
    )
    answer.submit(
        do_check, [pstate, answer, ui.token], [feedback, pstate, saved], api_visibility="private", concurrency_limit=2
    )
    hint.click(do_hint, [pstate], [feedback, pstate], api_name="practice_hint")
    solution.click(do_solution, [pstate], [feedback, pstate], api_name="practice_solution")
    answer.change(
        do_preview,
        [pstate, answer],
        [preview],
        api_name="practice_preview",
        trigger_mode="always_last",
        show_progress="hidden",
    )
    return {
        "picker": picker,
        "picker_inputs": [ui.token, ui.turns, concept],
        "picker_outputs": [concept, saved],
        "state": pstate,
    }


def build_progress_tab(ui: LearnUI) -> dict[str, Any]:
    """The learner map, mastery, goal, what next, export and import."""
    import gradio as gr

    message = gr.Markdown(f"_{NEEDS_SIGN_IN}_", elem_id="mt-progress-message")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            picture = gr.HTML("", elem_id="mt-map")
            with gr.Row():
                svg = gr.DownloadButton("Map (SVG)", value=None, interactive=False, elem_id="mt-map-svg", size="sm")
                png = gr.DownloadButton("Map (PNG)", value=None, interactive=False, elem_id="mt-map-png", size="sm")
                export = gr.DownloadButton(
                    "Export progress (JSON)", value=None, interactive=False, elem_id="mt-export-progress", size="sm"
                )
        with gr.Column(scale=2):
            with gr.Row():
                goal = gr.Textbox(
                    label="Your goal",
                    placeholder='e.g. "PCA" or "read the attention paper"',
                    max_length=200,
                    scale=4,
                    elem_id="mt-goal",
                )
                set_goal = gr.Button("Set goal", scale=1, min_width=90, elem_id="mt-set-goal")
            gr.Markdown("### What next", elem_classes="mt-panel-title")
            next_md = gr.Markdown("", elem_id="mt-next")
            gr.Markdown("### Mastery", elem_classes="mt-panel-title")
            table = gr.Markdown("", elem_id="mt-mastery")
            refresh = gr.Button("Refresh", size="sm", elem_id="mt-progress-refresh")
            with gr.Accordion("Import progress exported elsewhere", open=False, elem_id="mt-import"):
                upload = gr.File(
                    file_count="single",
                    type="filepath",
                    file_types=[".json"],
                    label="Progress file",
                    elem_id="mt-import-file",
                )
                do_import = gr.Button("Import", elem_id="mt-import-btn")

    def button(path: str | None) -> Any:
        return gr.DownloadButton(value=path, interactive=path is not None)

    def show(token: str, request: gr.Request, notice: str = ""):
        try:
            h = ui.handle(token, request)
        except ProgressUnavailable:
            h, notice = None, NOT_SAVED
        except LearningError as exc:
            h, notice = None, f"⚠️ {exc}"
        view = prog.progress_view(h, notice) if h is not None or not notice else prog.ProgressView(notice)
        return (
            view.message,
            view.map_html,
            view.table,
            view.next_steps,
            view.goal,
            button(view.svg),
            button(view.png),
            button(view.export),
        )

    def refresh_view(token: str, request: gr.Request):
        if not ui.rate.allow(ui.key(request)):
            return (TOO_MANY, *(gr.skip(),) * 7)
        return show(token, request)

    def change_goal(token: str, text: str, request: gr.Request):
        if not ui.rate.allow(ui.key(request)):
            return (TOO_MANY, *(gr.skip(),) * 7)
        try:
            notice = prog.set_goal(ui.handle(token, request), text)
        except LearningError as exc:  # ProgressUnavailable included
            notice = NOT_SAVED if isinstance(exc, ProgressUnavailable) else f"⚠️ {exc}"
        return show(token, request, notice)

    def import_progress(token: str, path: str | None, request: gr.Request):
        if not ui.rate.allow(ui.key(request)):
            return (TOO_MANY, *(gr.skip(),) * 7)
        try:
            notice = prog.import_file(ui.handle(token, request), path, ui.cache_dir(), ui.uploaded())
        except LearningError as exc:
            notice = NOT_SAVED if isinstance(exc, ProgressUnavailable) else f"⚠️ {exc}"
        return show(token, request, notice)

    _annotate(refresh_view, token=str)
    _annotate(change_goal, token=str, text=str)
    _annotate(import_progress, token=str, path=str)
    outs = [message, picture, table, next_md, goal, svg, png, export]
    refresh.click(refresh_view, [ui.token], outs, api_name="progress")
    set_goal.click(change_goal, [ui.token, goal], outs, api_name="set_goal")
    goal.submit(change_goal, [ui.token, goal], outs, api_visibility="private")
    do_import.click(import_progress, [ui.token, upload], outs, api_name="import_progress", concurrency_limit=1)
    return {"show": refresh_view, "inputs": [ui.token], "outputs": outs}
