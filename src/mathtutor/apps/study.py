"""The study commands: ``practice``, ``check``, ``progress`` and ``users``.

Practice problems are exact (SymPy) and need no model or index, so these commands start in well under a
second. With ``--learner NAME`` an answer is recorded as evidence for that learner's mastery; a database
that cannot be reached is reported in one line and the answer is still checked.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from typing import Any

from mathtutor.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE


def add_commands(sub: Any) -> None:
    """Register the study commands on the ``mathtutor`` sub-parser."""
    p = sub.add_parser("practice", help="a practice problem on a concept (hints withheld, answer never shown)")
    p.add_argument("concept", help="a topic-graph id (chain-rule, eigendecomposition, ...) or any alias")
    p.add_argument("--level", choices=["beginner", "practitioner", "researcher"], default="practitioner")
    p.add_argument("--seed", type=int, help="the same seed gives the same problem")
    p.add_argument("--solution", action="store_true", help="also print the answer and the worked steps")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("check", help="check your answer to a practice problem")
    p.add_argument("state", help="the problem's state string (from `mathtutor practice`)")
    p.add_argument("answer", help='your answer, e.g. "2x cos(x^2)", "1/3", "[[1,2],[3,4]]", "\\frac{1}{3}"')
    p.add_argument("--learner", metavar="NAME", help="record the attempt in NAME's progress")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("progress", help="a learner's mastery, due reviews and what to study next")
    p.add_argument("--learner", metavar="NAME", required=True)
    p.add_argument("--goal", help='set the goal first ("PCA", "read the attention paper")')
    p.add_argument("--export", action="store_true", help="print the learner's progress as portable JSON")
    p.add_argument("--import", dest="import_file", metavar="FILE", help="merge progress exported elsewhere")
    p.add_argument("--map", metavar="FILE", help="write the learner's map around the goal (.svg or .png)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("users", help="web accounts")
    users = p.add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="create an account (password read from the terminal or stdin)")
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def _cite(concept: str, level: str = "practitioner") -> list[dict[str, Any]]:
    from mathtutor.practice.citations import citations_for

    return [c.to_dict() for c in citations_for(concept, level)]


def _print(obj: Any, as_json: bool, text: str) -> None:
    print(json.dumps(obj, ensure_ascii=False) if as_json else text)


def _practice(args: argparse.Namespace) -> int:
    from mathtutor import practice

    problem = practice.make_problem(args.concept, level=args.level, seed=args.seed)
    out = problem.to_dict()
    lines = [f"**{problem.concept}** ({problem.level})", "", problem.statement]
    lines += [f"  {chr(ord('a') + i)}) {c}" for i, c in enumerate(problem.choices)]
    lines += ["", f"Hints: {problem.hints_total} (ask with `mathtutor check STATE hint`)."]
    lines += [
        f"Learn it: {c.title}" + (f", p. {c.page}" if c.page else "") + (f" <{c.url}>" if c.url else "")
        for c in problem.citations
    ]
    if args.solution:
        sol = practice.solution(problem.state)
        out = sol.to_dict()
        lines += ["", "**Solution**", *sol.steps, "", f"Answer: {sol.answer}"]
    lines += ["", f"State: {problem.state}"]
    _print(out, args.json, "\n".join(lines))
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from mathtutor import practice
    from mathtutor.practice.engine import load

    answer = args.answer.strip()
    if answer.lower() in ("hint", "提示"):
        reply = practice.hint(args.state)
        _print(reply.to_dict(), args.json, reply.hint or "No more hints: ask for the solution.")
        return EXIT_OK
    if answer.lower() in ("solution", "show me the solution", "答案"):
        sol = practice.solution(args.state)
        _print(sol.to_dict(), args.json, "\n".join([*sol.steps, "", f"Answer: {sol.answer}"]))
        return EXIT_OK
    feedback = practice.check(args.state, answer)
    out = feedback.to_dict()
    if args.learner:
        out["recorded"] = _record(args.learner, args.state, answer, feedback.correct, load)
    text = feedback.feedback + (f"\nHint: {feedback.hint}" if feedback.hint else "")
    if feedback.state:
        text += f"\nState: {feedback.state}"
    _print(out, args.json, text)
    return EXIT_OK


def _record(learner: str, state: str, answer: str, correct: bool, load: Any) -> bool:
    """Record the attempt; an unreachable database is reported, never fatal. The attempt id is derived
    from the problem state and the answer, so a retried request is not counted twice."""
    from mathtutor.learning import LearnerStore, LearningError

    st, inst = load(state)
    attempt_id = hashlib.sha256(f"{state}\0{answer}".encode()).hexdigest()[:32]
    kind = "conceptual" if inst.answer_type in ("choice", "multiple_choice") else "practice"
    try:
        LearnerStore().for_learner(learner).record(st.concept, correct, attempt_id, kind=kind)
    except LearningError as exc:
        print(f"warning: progress is not being saved: {exc}", file=sys.stderr)
        return False
    return True


def _progress(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mathtutor.learning import LearnerStore

    handle = LearnerStore().for_learner(args.learner)
    if args.import_file:
        result = handle.import_progress(Path(args.import_file).read_bytes())
        print(f"imported {result.added} attempt(s), skipped {result.skipped} already there", file=sys.stderr)
    if args.goal:
        handle.set_goal(args.goal)
    if args.export:
        print(handle.export_json())
        return EXIT_OK
    if args.map:
        fmt = "png" if args.map.lower().endswith(".png") else "svg"
        Path(args.map).write_bytes(handle.learner_map(fmt=fmt))
    view = handle.progress(cite=_cite)
    lines = [f"**{view['learner']}**" + (f", goal: {view['goal']}" if view.get("goal") else "")]
    lines += [
        f"- {c['concept']}: mastery {c['mastery']:.2f}, {c['attempts']} attempt(s)"
        + (f", review due {c['due'][:10]}" if c.get("due") else "")
        for c in view["concepts"]
    ]
    lines += ["", "**Next**"] + [f"- {n['concept']}: {n['why']}" for n in view["next"]]
    _print(view, args.json, "\n".join(lines))
    return EXIT_OK


def _users(args: argparse.Namespace) -> int:
    import getpass

    from mathtutor.learning import LearnerStore

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return EXIT_USAGE
    else:
        print("error: no terminal to ask for a password; use --password-stdin", file=sys.stderr)
        return EXIT_USAGE
    LearnerStore().create_user(args.name, password)
    print(f"account {args.name} created")
    return EXIT_OK


def run(args: argparse.Namespace) -> int | None:
    """Run a study command; None when ``args`` is not one. Learner-facing errors become one line."""
    from mathtutor.learning import LearningError
    from mathtutor.practice import PracticeError

    handlers = {"practice": _practice, "check": _check, "progress": _progress, "users": _users}
    handler = handlers.get(args.command)
    if handler is None:
        return None
    try:
        return handler(args)
    except (PracticeError, LearningError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"error: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
