"""The build command ``scope-model``: fit the scope model on the examples we wrote, or check the stored one.

Fitting is a build step, like ingesting: the tutor only reads ``corpus/scope_model.json`` (see
``tutor/scope_model.py``). Run it after editing ``corpus/scope_examples.jsonl``; ``--check`` says whether the
stored model is the one the examples give (exit 1 when not).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mathtutor.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE


def add_commands(sub: Any) -> None:
    """Register the build commands on the ``mathtutor`` sub-parser."""
    p = sub.add_parser("scope-model", help="fit the scope model on corpus/scope_examples.jsonl (a build step)")
    p.add_argument("--check", action="store_true", help="only say whether the stored model is the one it gives")


def _scope_model(args: argparse.Namespace) -> int:
    from mathtutor.ingest.embedding import Embedder
    from mathtutor.knowledge.zh_gloss import gloss
    from mathtutor.settings import get_settings
    from mathtutor.tutor import scope_model

    settings = get_settings()
    examples = settings.corpus_dir / scope_model.EXAMPLES_FILE
    target = settings.corpus_dir / scope_model.MODEL_FILE
    try:
        model = scope_model.fit(examples, Embedder(settings).embed, gloss if settings.zh_gloss else None)
        stored = scope_model.load_model(target, settings.embedding_dim) if args.check and target.is_file() else None
    except (OSError, ValueError) as exc:  # ScopeModelError, or a term table the Chinese examples need
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.check:
        same = stored is not None and scope_model.same_model(stored, model)
        print(f"{target.name}: {'matches' if same else 'does not match'} {examples.name} ({model.n_examples} examples)")
        return EXIT_OK if same else EXIT_FAILED
    target.write_text(model.to_json() + "\n", encoding="utf-8")
    print(f"wrote {target.name}: fitted on {model.n_examples} examples")
    return EXIT_OK


def run(args: argparse.Namespace) -> int | None:
    """Run a build command; None when ``args`` is not one."""
    handlers = {"scope-model": _scope_model}
    handler = handlers.get(args.command)
    return handler(args) if handler is not None else None
