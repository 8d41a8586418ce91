"""Serving the web UI: ``launch`` (loopback, no share link, capped uploads, extra routes) and ``mathtutor serve``."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mathtutor.apps.ui.notes import add_routes
from mathtutor.apps.ui.render import CSS, theme
from mathtutor.settings import get_settings

if TYPE_CHECKING:
    import argparse

    import gradio as gr

    from mathtutor.apps.ui.sessions import TutorHolder

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def launch(
    demo: gr.Blocks,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    inbrowser: bool = False,
    block: bool = True,
) -> str:
    """Serve ``demo``: loopback by default, no share link, uploads capped, notes and private files routed."""
    holder: TutorHolder = demo.holder  # type: ignore[attr-defined]
    # Gradio refuses anything larger outright; the tutor's own check gives the clear message below that.
    hard_cap = int(holder.max_upload_bytes * 2 + 1_000_000)
    _, url, _ = demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="mathtutor: sign in to continue" if auth else None,
        share=False,
        inbrowser=False,
        prevent_thread_lock=True,
        quiet=not block,
        show_error=False,
        allowed_paths=[],
        max_file_size=hard_cap,
        enable_monitoring=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        footer_links=[],
        theme=theme(),
        css=CSS,
    )
    add_routes(demo)
    if inbrowser:
        import webbrowser

        webbrowser.open(url)
    if block:
        demo.block_thread()
    return url


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``USER:PASSWORD`` -> (user, password); the password may itself contain colons."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth must look like USER:PASSWORD")
    return user, password


def public_host_refusal(host: str, auth: Any, insecure_public: bool) -> str | None:
    """Why the server must not start on ``host`` (None when it may)."""
    if host in LOOPBACK or auth is not None or insecure_public:
        return None
    return (
        f"refusing to serve on {host} without --auth: anyone on the network could use the tutor, add material "
        "and run the language model. Add --auth USER:PASSWORD, or --insecure-public if you really mean it."
    )


def serve(args: argparse.Namespace, build_app: Callable[..., gr.Blocks]) -> int:
    """``mathtutor serve`` with ``build_app`` (``apps.ui.app.build_app``): open the index once, then serve."""
    import sys

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        auth = parse_auth(getattr(args, "auth", None))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    host = args.host or "127.0.0.1"
    refusal = public_host_refusal(host, auth, bool(getattr(args, "insecure_public", False)))
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    settings = get_settings(index_dir=args.index, backend=args.backend)
    print(f"mathtutor: opening {settings.index_dir} (loading the embedding model)…", file=sys.stderr, flush=True)
    demo = build_app(settings=settings, backend=args.backend)
    if host not in LOOPBACK:
        print(f"warning: serving on {host}: other computers on the network can reach the tutor", file=sys.stderr)
        if auth is None:
            print("warning: --insecure-public: no password; anyone who can reach it can use it", file=sys.stderr)
    url = launch(demo, host=host, port=args.port, auth=auth, inbrowser=not args.no_browser, block=False)
    print(f"* Running on local URL:  {url}", flush=True)
    from mathtutor.apps.ui.ask_route import cli_access

    with cli_access(demo, url, settings.data_dir):  # `mathtutor ask` finds this server and asks it
        demo.block_thread()
    return 0
