"""The web UI: Gradio Blocks over one shared :class:`~mathtutor.tutor.Tutor`, and ``mathtutor serve``.

The pieces live beside this file: ``render`` (markdown and HTML, escaping), ``chat`` (one turn),
``uploads`` (accepting files, private collections), ``sessions`` (per-session state and limits) and
``notes`` (the study notes as pages). This module wires them into the page, the ``/chat`` and ``/upload``
API and two routes: ``/notes/<slug>`` and ``/my-files/<token>/...`` (a session's own uploads, reachable
only through the unguessable token in that session's answers). Gradio is imported only inside functions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathtutor.apps.ui.accounts import Learners
from mathtutor.apps.ui.chat import messages, scrub_paths, stream_turn
from mathtutor.apps.ui.learn_tabs import LearnUI, build_account_row, build_practice_tab, build_progress_tab
from mathtutor.apps.ui.practice_chat import practice_reply
from mathtutor.apps.ui.practice_panel import record
from mathtutor.apps.ui.render import (
    FILES_ROUTE,
    LATEX_DELIMITERS,
    Links,
    export_link,
    index_line,
    path_markdown,
    render_answer,
    render_path_html,
    render_sources,
    search_status,
    study_paths,
    uploads_table,
)
from mathtutor.apps.ui.serve import LOOPBACK, launch, parse_auth, public_host_refusal, serve
from mathtutor.apps.ui.sessions import Exports, Limits, Sessions, TutorHolder, default_data_dir, owner_key
from mathtutor.apps.ui.uploads import ACCEPTED_TYPES, UploadDesk, upload_cache_dir
from mathtutor.learning import LearningError, ProgressUnavailable
from mathtutor.settings import Settings, get_settings

if TYPE_CHECKING:
    import argparse

    import gradio as gr

    from mathtutor.tutor import Tutor

LEVEL_CHOICES = ("auto", "beginner", "practitioner", "researcher")
FORMAT_CHOICES = ("video", "book", "course", "interactive")
BACKEND_CHOICES = ("extractive", "local", "ollama", "openai")
EXAMPLES = (
    "What should I study for PCA?",
    "What is a partial derivative?",
    "I'm new to this: how do I learn gradient descent?",
    "Explain eigenvalues with a video",
    "What does the SVD of a matrix tell me?",
)
MAX_UPLOAD_MB = 50.0
#: Two cores: two questions answered at once keep both busy; more only add waiting inside the process.
CHAT_CONCURRENCY = 2
QUEUE_MAX_SIZE = 200
#: Exported study paths are temporary: the browser downloads them at once.
EXPORT_MAX_AGE_S = 3600.0
#: Re-exported: ``mathtutor.apps.cli`` and the tests import these from here.
__all__ = ["LATEX_DELIMITERS", "LOOPBACK", "build_app", "launch", "parse_auth", "public_host_refusal", "run_serve"]


def build_app(
    tutor_factory: Callable[[], Tutor] | None = None,
    settings: Settings | None = None,
    *,
    data_dir: str | Path | None = None,
    max_upload_mb: float = MAX_UPLOAD_MB,
    backend: str | None = None,
    limits: Limits | None = None,
    learners: Learners | None = None,
) -> gr.Blocks:
    """The Blocks app over one tutor made by ``tutor_factory`` (default: ``Tutor.open(settings.index_dir)``).

    The factory is called once here, so the embedding model is loaded before the first visitor.
    ``learners`` defaults to a :class:`LearnerStore` at ``$MATHTUTOR_DATABASE_URL`` or in ``data_dir``.
    ``app.holder`` is the :class:`TutorHolder`, ``app.sessions`` the :class:`Sessions` (tests read them).
    """
    import gradio as gr

    from mathtutor.tutor import QuestionError, Tutor

    if tutor_factory is None:
        settings = settings or get_settings()
        overrides = settings.model_dump(exclude_unset=True)
        overrides.pop("index_dir", None)
        if backend:
            overrides["backend"] = backend
        from mathtutor.ingest.embedding import Embedder
        from mathtutor.ingest.query_encoder import query_embedder

        # questions through the light encoder (answers equal the CLI's), uploads through the batched one
        tutor = Tutor.open(settings.index_dir, embedder=query_embedder(settings), **overrides)
        upload_embedder = Embedder(tutor.settings)
    else:
        tutor = tutor_factory()
        upload_embedder = tutor.embedder
    limits = limits or Limits(max_upload_mb=max_upload_mb)
    data = Path(data_dir) if data_dir else default_data_dir()
    holder = TutorHolder(tutor, data_dir=data, limits=limits)
    if learners is None:
        from mathtutor.learning import LearnerStore

        learners = Learners(LearnerStore(data_dir=data))
    base_overrides = tutor.settings.model_dump(exclude_unset=True)
    base_overrides.pop("index_dir", None)

    def open_private(index_dir: Path) -> Tutor:
        return Tutor.open(index_dir, embedder=tutor.embedder, **base_overrides)

    exports = Exports(EXPORT_MAX_AGE_S)
    sessions = Sessions(data / "private", tutor.settings, upload_embedder, open_private)
    desk = UploadDesk(holder, sessions)
    base_links = Links(tutor.settings.corpus_dir / "notes")
    default_backend = backend or tutor.settings.backend
    default_level = tutor.settings.level or "auto"
    if default_backend == "local":
        holder.warm_local_model()

    def links_for(key: str) -> Links:
        col = sessions.peek(key)
        return base_links.with_private(col.uploads_dir, f"{FILES_ROUTE}{col.token}") if col else base_links

    def respond(message: str, turns: list, level: str, formats: list, backend_name: str, request: gr.Request):
        question = (message or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        key = owner_key(request, learners.name_for)
        links = links_for(key)
        if not holder.rate.allow(key):
            line = f"⚠️ Too many questions: at most {limits.requests_per_minute} a minute. Wait a moment."
            yield gr.skip(), line, question, gr.skip(), gr.skip(), gr.skip(), turns
            return
        status = search_status(holder.tutor.status())
        shown = [
            *messages(turns, links),
            {"role": "user", "content": render_answer({"answer": question, "citations": []})},
        ]
        pending = {"role": "assistant", "content": f"_{status}_"}
        yield [*shown, pending], f"⏳ {status}", "", gr.skip(), gr.skip(), gr.skip(), turns
        t0 = time.perf_counter()
        try:
            for text, turn in stream_turn(
                holder,
                question,
                turns,
                level=level,
                formats=formats,
                backend=backend_name,
                collection=sessions.peek(key),
                links=links,
            ):
                if turn is None:
                    yield [*shown, {"role": "assistant", "content": text}], gr.skip(), *(gr.skip(),) * 4, turns
                    continue
                turns = [*turns, turn]
                n = len(turn["citations"])
                took = (time.perf_counter() - t0) * 1000
                line = f"✅ {n} source{'s' if n != 1 else ''} · {took:.0f} ms · {turn['backend']} backend"
                if not turn["in_scope"]:
                    line = "ℹ️ Not covered by the materials in the index."
                yield (
                    messages(turns, links),
                    line,
                    "",
                    render_sources(turn, links),
                    render_path_html(turns, holder.tutor, links),
                    export_button(turns, links),
                    turns,
                )
        except QuestionError as exc:
            shown.append({"role": "assistant", "content": f"⚠️ {exc}"})
            yield shown, f"⚠️ {exc}", question, gr.skip(), gr.skip(), gr.skip(), turns

    def chat_turn(
        message: str,
        turns: list,
        level: str,
        formats: list,
        backend_name: str,
        practice: str,
        token: str,
        request: gr.Request,
    ):
        """Practice first ("give me a problem", "hint", "I got ..."), else the tutor's answer."""
        question = (message or "").strip()
        key = owner_key(request, learners.name_for)
        reply = practice_reply(question, practice, turns, level, links_for(key)) if question else None
        if reply is None:  # not about practice: the tutor answers (and counts it against the rate limit)
            for out in respond(message, turns, level, formats, backend_name, request):
                yield (*out, gr.skip())
            return
        if not holder.rate.allow(key):
            line = f"⚠️ Too many questions: at most {limits.requests_per_minute} a minute. Wait a moment."
            yield gr.skip(), line, question, gr.skip(), gr.skip(), gr.skip(), turns, gr.skip()
            return
        turns = [*turns, reply.turn]
        note = "✏️ Practice"
        if reply.attempt is not None:
            try:
                saved = record(learners.handle(token, getattr(request, "username", None)), reply.attempt)
            except ProgressUnavailable:
                saved = "⚠️ Progress is not being saved right now (the progress database is unreachable)."
            except LearningError as exc:
                saved = f"⚠️ {exc}"
            note = f"{note} · {saved}" if saved else note
        yield messages(turns, links_for(key)), note, "", gr.skip(), gr.skip(), gr.skip(), turns, reply.state or ""

    def export_button(turns: list[dict[str, Any]], links: Links) -> str:
        if not study_paths(turns):
            return export_link(None)
        return export_link(exports.put(path_markdown(turns, holder.tutor, links)))

    def on_like(turns: list[dict[str, Any]], data: gr.LikeData) -> str:
        index = data.index if isinstance(data.index, int) else data.index[0]
        turn_no = index // 2
        if not isinstance(turns, list) or turn_no >= len(turns):
            return "The answer is still being written; rate it when it is done."
        rating = {True: "up", False: "down", None: "cleared"}.get(data.liked, "other")  # type: ignore[arg-type]
        holder.record_feedback(turns[turn_no], rating)
        return {"up": "👍 Thanks, noted.", "down": "👎 Thanks, noted: this helps improve the tutor."}.get(
            rating, "Rating cleared."
        )

    def pick_example(data: gr.SelectData) -> str:
        value = data.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    # Gradio finds event data by annotation; this module's annotations are strings it cannot resolve.
    on_like.__annotations__ = {"turns": list, "data": gr.LikeData, "return": str}
    pick_example.__annotations__ = {"data": gr.SelectData, "return": str}
    respond.__annotations__ = {**respond.__annotations__, "request": gr.Request}
    chat_turn.__annotations__ = {**chat_turn.__annotations__, "request": gr.Request}

    def show_backend(name: str) -> str:
        if name not in BACKEND_CHOICES:
            return "⚠️ Unknown backend."
        status = holder.backend_status(name)
        if status.available:
            return f"✅ **{name}**: {scrub_paths(status.detail)}"
        return (
            f"⚠️ **{name} is not available**: {scrub_paths(status.detail)}. "
            "Questions will be answered with **extractive**."
        )

    def mine(key: str) -> tuple[str, Any]:
        col = sessions.peek(key)
        files = col.files() if col else []
        return uploads_table([n for _, n in files]), gr.Dropdown(choices=[(n, i) for i, n in files], value=None)

    def upload(files: list[str] | None, request: gr.Request, progress: gr.Progress = gr.Progress()):  # noqa: B008
        key = owner_key(request, learners.name_for)
        if not holder.rate.allow(key):
            return f"⚠️ Too many requests: at most {limits.requests_per_minute} a minute.", *mine(key)
        result = desk.add(key, files, lambda fraction, desc: progress(fraction, desc=desc))
        if result.rejected and not result.added:
            gr.Warning(result.rejected[0])
        return result.message, *mine(key)

    def remove(file_id: str | None, request: gr.Request):
        key = owner_key(request, learners.name_for)
        col = sessions.peek(key)
        names = dict(col.files()) if col else {}
        if not file_id or file_id not in names:
            return "Pick one of your files to remove.", *mine(key)
        ok = col.remove(file_id)
        msg = f"🗑️ Removed **{names[file_id]}** from your material." if ok else "That file could not be removed."
        return msg, *mine(key)

    def chat_api(message: str, level: str = "auto", backend: str = "", request: gr.Request = None) -> str:
        """Ask the tutor one question: returns the answer in markdown with its numbered sources (links)."""
        key = owner_key(request, learners.name_for)
        if not holder.rate.allow(key):
            raise gr.Error(f"Too many questions: at most {limits.requests_per_minute} a minute.")
        if backend and backend not in BACKEND_CHOICES:
            raise gr.Error(f"backend must be one of {', '.join(BACKEND_CHOICES)}")
        turn = None
        try:
            for _, done in stream_turn(
                holder,
                message,
                [],
                level=level,
                formats=(),
                backend=backend or None,
                collection=sessions.peek(key),
                links=links_for(key),
            ):
                turn = done
        except QuestionError as exc:
            raise gr.Error(str(exc)) from None
        assert turn is not None
        return render_answer(turn, links_for(key))

    upload.__annotations__ = {"files": list, "request": gr.Request, "progress": gr.Progress}
    remove.__annotations__ = {"file_id": str, "request": gr.Request}
    chat_api.__annotations__ = {"message": str, "level": str, "backend": str, "request": gr.Request, "return": str}

    # Gradio's cache of uploads and downloads is emptied of files older than six hours, every hour.
    with gr.Blocks(title="mathtutor: the maths of machine learning", delete_cache=(3600, 6 * 3600)) as demo:
        turns_state = gr.State([])
        practice_state = gr.State("")  # the chat's open practice problem (a signed state; never the answer)
        token_state = gr.State("")  # this page's sign-in token
        learn = LearnUI(learners, holder.rate, token_state, turns_state, lambda: demo.upload_file_set, upload_cache_dir)
        with gr.Column(elem_id="mt-header"):
            gr.Markdown(
                "# mathtutor\nStudy paths and cited answers for the maths of machine learning, from free books, "
                "lectures and courses. Everything runs on this computer."
            )
            gr.Markdown(f"📚 {index_line(tutor.status())}", elem_id="mt-index")
            account = build_account_row(learn)
        with gr.Tabs(elem_id="mt-tabs"):
            with gr.Tab("Chat", id="chat", elem_id="mt-tab-chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    chatbot = gr.Chatbot(
                        label="Chat",
                        elem_id="mt-chat",
                        height=640,
                        latex_delimiters=LATEX_DELIMITERS,
                        feedback_options=("Like", "Dislike"),
                        examples=[{"text": q} for q in EXAMPLES],
                        placeholder="**Ask about a concept, or what to study for a topic.** Pick an example to start.",
                        buttons=["copy"],
                        layout="bubble",
                    )
                    status_md = gr.Markdown("", elem_id="mt-status")
                    with gr.Row():
                        msg = gr.Textbox(
                            placeholder='Ask a question, e.g. "What should I study for PCA?"',
                            show_label=False,
                            scale=8,
                            autofocus=True,
                            max_length=2000,
                            elem_id="mt-input",
                            submit_btn=False,
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="mt-send")
                        clear = gr.Button("New chat", scale=1, min_width=130)
                    with gr.Accordion("Settings: level, formats, backend", open=False, elem_id="mt-settings"):
                        level = gr.Radio(
                            list(LEVEL_CHOICES),
                            value=default_level,
                            label="Your level",
                            info="auto: read it from the question (“I'm new to this…”)",
                        )
                        formats = gr.CheckboxGroup(
                            list(FORMAT_CHOICES), value=[], label="Preferred formats", info="none ticked: any format"
                        )
                        backend_radio = gr.Radio(
                            list(BACKEND_CHOICES),
                            value=default_backend,
                            label="Answer backend",
                            info="extractive quotes the passages; the others write with a language model",
                        )
                        backend_md = gr.Markdown("", elem_id="mt-backend-status")
                    with gr.Accordion(
                        "Add your own material (PDF, transcripts, markdown)", open=False, elem_id="mt-add"
                    ):
                        files = gr.File(
                            file_count="multiple",
                            type="filepath",
                            label=f"{ACCEPTED_TYPES}; up to {limits.max_upload_mb:g} MB each; only you see it",
                            elem_id="mt-files",
                        )
                        add_btn = gr.Button("Add to my material", elem_id="mt-add-btn")
                        upload_md = gr.Markdown("", elem_id="mt-upload-result", min_height=60)
                        mine_md = gr.Markdown(uploads_table([]), elem_id="mt-mine")
                        with gr.Row():
                            mine_pick = gr.Dropdown(
                                [],
                                label="Remove one of my files",
                                elem_id="mt-mine-pick",
                                scale=3,
                                allow_custom_value=True,
                            )
                            remove_btn = gr.Button("Remove", elem_id="mt-remove", scale=1, min_width=90)
                with gr.Column(scale=2, min_width=320):
                    gr.Markdown("### Sources", elem_classes="mt-panel-title")
                    sources_md = gr.Markdown(
                        render_sources(None),
                        elem_id="mt-sources",
                        latex_delimiters=LATEX_DELIMITERS,
                        padding=True,
                        max_height=430,
                    )
                    gr.Markdown("### Study path", elem_classes="mt-panel-title")
                    path_html = gr.HTML(render_path_html([], tutor), elem_id="mt-path", js_on_load=None, max_height=380)
                    export = gr.HTML(export_link(None), elem_id="mt-export")
            with gr.Tab("Practice", id="practice", elem_id="mt-tab-practice") as practice_tab:
                practice = build_practice_tab(learn)
            with gr.Tab("Progress", id="progress", elem_id="mt-tab-progress") as progress_tab:
                progress = build_progress_tab(learn)

        chat_outputs = [chatbot, status_md, msg, sources_md, path_html, export, turns_state, practice_state]
        chat_inputs = [msg, turns_state, level, formats, backend_radio, practice_state, token_state]
        event = dict(concurrency_limit=CHAT_CONCURRENCY, concurrency_id="tutor", api_visibility="private")
        msg.submit(chat_turn, chat_inputs, chat_outputs, **event)
        send.click(chat_turn, chat_inputs, chat_outputs, **event)
        chatbot.example_select(pick_example, None, msg, queue=False, api_visibility="private").then(
            chat_turn, chat_inputs, chat_outputs, **event
        )
        practice_tab.select(
            practice["picker"], practice["picker_inputs"], practice["picker_outputs"], api_visibility="private"
        )
        progress_tab.select(progress["show"], progress["inputs"], progress["outputs"], api_visibility="private")
        account_outputs = [token_state, account["line"]]
        demo.load(account["restore"], account["kept"], account_outputs, api_visibility="private")
        chatbot.like(on_like, turns_state, status_md, queue=False, api_visibility="private")

        def reset() -> tuple[Any, ...]:
            return (
                [],
                [],
                "",
                "",
                render_sources(None),
                render_path_html([], holder.tutor),
                gr.DownloadButton(value=None, interactive=False),
            )

        reset_outputs = [chatbot, turns_state, practice_state, status_md, sources_md, path_html, export]
        clear.click(reset, None, reset_outputs, queue=False, api_visibility="private")
        chatbot.clear(reset, None, reset_outputs, queue=False, api_visibility="private")  # the chat's own bin
        backend_radio.change(show_backend, backend_radio, backend_md, api_visibility="private")
        demo.load(show_backend, backend_radio, backend_md, api_visibility="private")
        add_btn.click(
            upload,
            files,
            [upload_md, mine_md, mine_pick],
            api_name="upload",
            concurrency_limit=1,
            show_progress_on=upload_md,
        )
        remove_btn.click(remove, mine_pick, [upload_md, mine_md, mine_pick], api_name="remove", concurrency_limit=1)
        gr.api(chat_api, api_name="chat", concurrency_limit=CHAT_CONCURRENCY, concurrency_id="tutor")

        def end_session(request: gr.Request) -> None:
            key = owner_key(request, learners.name_for)
            learners.forget(getattr(request, "session_hash", None))
            if key.startswith("session:"):  # a signed-in learner's material outlives one tab (idle pruning ends it)
                sessions.drop(key)

        end_session.__annotations__ = {"request": gr.Request, "return": None}
        demo.unload(end_session)

    desk.uploaded = lambda: demo.upload_file_set  # what Gradio's upload route really received
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=QUEUE_MAX_SIZE)
    demo.holder = holder  # type: ignore[attr-defined]
    demo.sessions = sessions  # type: ignore[attr-defined]
    demo.exports = exports  # type: ignore[attr-defined]
    demo.desk = desk  # type: ignore[attr-defined]
    return demo


def run_serve(args: argparse.Namespace) -> int:
    """``mathtutor serve``: open the index once, then serve the chat until interrupted."""
    return serve(args, build_app)
