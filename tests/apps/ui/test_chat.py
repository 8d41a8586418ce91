"""One chat turn: model text that cites nothing is marked unverified; model runs are capped; no paths leak."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from mathtutor.apps.ui.chat import pick_backend, stream_turn, tidy_model_text, valid_markers
from mathtutor.apps.ui.render import UNVERIFIED_MARK
from mathtutor.settings import PROJECT_ROOT, Settings
from mathtutor.types import Answer, Citation

EXTRACTIVE = "Eigenvalues scale eigenvectors [1]."


class FakeTutor:
    """Streams ``model_text`` for a model backend, the extractive answer otherwise (public API only).

    Its signatures are the facade's: ``level`` and what follows are keyword-only (``Tutor.ask`` called with a
    positional level raised TypeError in the chat's extractive fallback and in searching one's own uploads).
    """

    def __init__(self, model_text: str) -> None:
        self.model_text = model_text
        self.settings = Settings()
        self.backends: list[str] = []

    def _answer(self, backend: str) -> Answer:
        cite = Citation(1, "r", "A book", "https://ex.org/b.pdf#page=2", "p. 2", "Eigen text.", 1.0)
        text = EXTRACTIVE if backend == "extractive" else self.model_text
        return Answer("Q?", True, text, [cite], backend=backend)

    def stream(self, question, history=None, *, level=None, backend=None, formats=None):
        self.backends.append(backend)
        answer = self._answer(backend)
        yield answer.answer
        yield answer

    def ask(self, question, history=None, *, level=None, backend=None, formats=None):
        self.backends.append(backend)
        return self._answer(backend)


def _holder(tutor: FakeTutor, slots: int = 1, loading: bool = False) -> SimpleNamespace:
    return SimpleNamespace(
        tutor=tutor,
        settings=tutor.settings,
        local_model_loading=loading,
        generations=threading.BoundedSemaphore(slots),
        backend_status=lambda name: SimpleNamespace(available=True, detail="ready"),
    )


def _turn(holder, backend: str = "local") -> dict:
    *_, (_, turn) = stream_turn(holder, "Q?", [], level=None, formats=(), backend=backend)
    return turn


def test_model_text_without_citations_comes_after_the_extractive_answer_marked_unverified() -> None:
    rambling = "It was first done by Someone. It was first done by Someone. Then it grew and grew into"
    tutor = FakeTutor(rambling)
    turn = _turn(_holder(tutor))
    assert turn["answer"].startswith(EXTRACTIVE)
    assert f"{EXTRACTIVE}\n\n{UNVERIFIED_MARK}\n\n> It was first done by Someone." == turn["answer"]
    assert turn["verified"] is False and turn["backend"] == "local"
    assert tutor.backends == ["local", "extractive"]


def test_cited_model_text_is_kept_but_tidied() -> None:
    tutor = FakeTutor("Eigenvalues stretch [1]. Eigenvalues stretch [1]. They are roots [1]. And then the")
    turn = _turn(_holder(tutor))
    assert turn["answer"] == "Eigenvalues stretch [1]. They are roots [1]."
    assert "verified" not in turn


def test_helpers() -> None:
    assert valid_markers("a [1] b [7] c [2](x)", 3) == [1]
    assert tidy_model_text("One. Two. One.\n\nTwo. Three") == "One. Two."
    assert tidy_model_text("Done: $x^2$") == "Done: $x^2$"


def test_model_generations_are_capped_and_never_block_extractive_answers() -> None:
    tutor = FakeTutor("Cited [1].")
    holder = _holder(tutor, slots=1)
    assert holder.generations.acquire(blocking=False)  # another question holds the only slot
    turn = _turn(holder)
    assert turn["backend"] == "extractive" and "language model is busy" in turn["answer"]
    holder.generations.release()
    assert _turn(holder)["backend"] == "local"
    assert holder.generations.acquire(blocking=False)  # the slot was given back after the answer


def test_a_loading_local_model_answers_extractively_at_once() -> None:
    tutor = FakeTutor("Cited [1].")
    used, note = pick_backend(_holder(tutor, loading=True), "local")
    assert used == "extractive" and "still loading" in note


def test_model_failure_messages_lose_server_paths() -> None:
    msg = f"_The local model could not answer (timed out loading {PROJECT_ROOT}/models/m.gguf)_ [1]."
    turn = _turn(_holder(FakeTutor(msg)))
    assert str(PROJECT_ROOT) not in turn["answer"] and ".gguf" not in turn["answer"]
    assert str(PROJECT_ROOT) not in turn["display"]
