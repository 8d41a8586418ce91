"""Answers written by a real language model (SmolLM2 through llama.cpp), checked and with fallbacks."""

from __future__ import annotations

import re

import pytest

from llm_servers import LlamaCppServer, free_port
from mathtutor import llm
from mathtutor.tutor import Tutor
from mathtutor.tutor.generate import check_citations

pytestmark = pytest.mark.slow


def test_check_citations_removes_numbers_that_point_at_nothing():
    text, removed = check_citations("Eigenvectors keep direction [1]. Made up [7]. Zero [0]. Fine [2].", 2)
    assert text == "Eigenvectors keep direction [1]. Made up . Zero . Fine [2]."
    assert removed == [7, 0]


def _with(tutor: Tutor, **overrides) -> Tutor:
    """The same index and model, other settings (backend, token budget)."""
    settings = tutor.settings.model_copy(update=overrides)
    return Tutor(settings, tutor.store, tutor.embedder, tutor.catalog, tutor.topics)


@pytest.fixture(scope="module")
def llm_tutor(tutor):
    return _with(
        tutor, llm_max_tokens=64, llm_temperature=0.0, llm_threads=2, llm_context_tokens=2048, llm_timeout_s=120.0
    )


def test_local_backend_answers_for_real(llm_tutor):
    pieces = list(llm_tutor.stream("What is an eigenvector?", backend="local"))
    answer = pieces[-1]
    assert answer.backend == "local", answer.answer
    assert answer.answer.strip() and len(pieces) > 2
    numbers = {c.n for c in answer.citations}
    assert all(int(n) in numbers for n in re.findall(r"\[(\d+)\]", answer.answer))
    assert answer.timings_ms["generate"] > 0


def test_plan_keeps_the_study_path_under_the_model_text(llm_tutor):
    answer = llm_tutor.ask("What should I study for gradient descent?", backend="local")
    assert answer.backend == "local"
    assert "**Study path for Gradient descent**" in answer.answer
    assert answer.study_path and answer.study_path[-1].concept == "gradient-descent"


def test_openai_backend_against_a_real_loopback_server(llm_tutor, tmp_path):
    gguf = llm.default_gguf_path()
    server = LlamaCppServer(gguf, tmp_path / "server.log", alias="smollm2-test", n_ctx=2048, threads=1)
    try:
        server.wait_ready(90)
        t = _with(llm_tutor, backend="openai", openai_base_url=server.base_url, openai_model="smollm2-test")
        answer = t.ask("What is the chain rule?")
        assert answer.backend == "openai", answer.answer
        assert answer.answer.strip()
    finally:
        server.stop()


def test_unreachable_backend_falls_back_to_the_extractive_answer(llm_tutor):
    port = free_port()  # nothing listens here
    t = _with(llm_tutor, backend="openai", openai_base_url=f"http://127.0.0.1:{port}/v1", llm_timeout_s=5.0)
    answer = t.ask("What is the chain rule?")
    assert answer.backend == "extractive"
    assert "could not answer" in answer.answer and "extractive answer instead" in answer.answer
    assert answer.citations  # the extractive answer, cited as usual


def test_out_of_scope_never_reaches_the_model(llm_tutor):
    answer = llm_tutor.ask("What is the capital of France?", backend="local")
    assert not answer.in_scope and answer.backend == "extractive" and answer.citations == []
