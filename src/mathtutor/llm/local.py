"""The local backend: a GGUF model run by llama.cpp in this process, loaded once and shared."""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ChatMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

if TYPE_CHECKING:
    from llama_cpp import Llama


from mathtutor.llm.errors import INSTALL_HINT, BackendUnavailable, LLMError

# --------------------------------------------------------------------------------------------------
# local backend: llama.cpp in this process


@dataclass
class _LoadedModel:
    llama: Llama
    #: llama.cpp keeps one KV cache per context, so two generations at once would corrupt each other.
    lock: threading.Lock
    n_ctx: int


#: One loaded GGUF per (path, requested n_ctx, threads): loading costs seconds and the weights' memory.
LLAMA_CACHE: dict[tuple[str, int, int], _LoadedModel] = {}
_CACHE_LOCK = threading.Lock()


_GGUF_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def gguf_context_length(path: Path) -> int | None:
    """The context length a GGUF model was trained with, read from the file's header (no model load).

    Reading it first lets the model be loaded once with the right context size; llama.cpp itself only
    warns when asked for more than the model was trained on.
    """

    def read(f: BinaryIO, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        data = f.read(size)
        if len(data) != size:
            raise ValueError("truncated GGUF header")
        return struct.unpack(fmt, data)[0]

    def read_str(f: BinaryIO) -> str:
        return f.read(read(f, "<Q")).decode("utf-8", "replace")

    def read_value(f: BinaryIO, kind: int) -> Any:
        if kind in _GGUF_SCALAR:
            return read(f, _GGUF_SCALAR[kind])
        if kind == _GGUF_STRING:
            return read_str(f)
        if kind == _GGUF_ARRAY:  # skipped: arrays hold the vocabulary, never the context length
            item, count = read(f, "<I"), read(f, "<Q")
            if item in _GGUF_SCALAR:
                f.seek(count * struct.calcsize(_GGUF_SCALAR[item]), 1)
            else:
                for _ in range(count):
                    read_value(f, item)
            return None
        raise ValueError(f"unknown GGUF value type {kind}")

    try:
        with open(path, "rb") as f:
            if f.read(4) != b"GGUF":
                return None
            read(f, "<I")  # version
            read(f, "<Q")  # tensor count
            values: dict[str, Any] = {}
            for _ in range(read(f, "<Q")):
                key = read_str(f)
                values[key] = read_value(f, read(f, "<I"))
                arch = values.get("general.architecture")
                if arch and f"{arch}.context_length" in values:
                    return int(values[f"{arch}.context_length"])
    except (OSError, ValueError, struct.error, MemoryError):
        return None
    return None


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise BackendUnavailable(INSTALL_HINT["local"]) from exc
    return llama_cpp


def _load_llama(path: Path, n_ctx: int, n_threads: int) -> _LoadedModel:
    """Load ``path`` once per process; later calls with the same key return the same instance."""
    key = (str(path.resolve()), n_ctx, n_threads)
    with _CACHE_LOCK:
        loaded = LLAMA_CACHE.get(key)
        if loaded is not None:
            return loaded
        llama_cpp = _import_llama_cpp()

        try:
            # A context longer than the model was trained on only produces garbage past that point.
            trained = gguf_context_length(path)
            ctx = min(n_ctx, trained) if trained else n_ctx
            llama = llama_cpp.Llama(
                model_path=str(path), n_ctx=ctx, n_threads=n_threads, n_threads_batch=n_threads, verbose=False
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise BackendUnavailable(f"could not load the local model {path.name}: {type(exc).__name__}") from exc
        loaded = _LoadedModel(llama=llama, lock=threading.Lock(), n_ctx=llama.n_ctx())
        LLAMA_CACHE[key] = loaded
        return loaded


def clear_local_models() -> None:
    """Forget the loaded GGUF models (their memory is freed once no chat model holds them)."""
    with _CACHE_LOCK:
        LLAMA_CACHE.clear()


def _role(message: BaseMessage) -> str:
    if isinstance(message, ChatMessage):
        return message.role
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ToolMessage):
        return "tool"
    return "user"


class LlamaCppChatModel(BaseChatModel):
    """A GGUF model run in this process by llama.cpp, streaming through ``create_chat_completion``.

    The prompt is formatted with the chat template stored in the GGUF, so any instruct model works.
    """

    model_path: str
    n_ctx: int
    n_threads: int
    max_tokens: int = 384
    temperature: float = 0.2
    #: How long a call waits for another answer that is using the model; then it gives up.
    busy_timeout_s: float = 60.0

    _loaded: _LoadedModel = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        self._loaded = _load_llama(Path(self.model_path), self.n_ctx, self.n_threads)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "max_tokens": self.max_tokens}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop=stop, run_manager=run_manager, **kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        loaded = self._loaded
        if not loaded.lock.acquire(timeout=self.busy_timeout_s):
            raise LLMError(f"the local model is still busy with another answer after {self.busy_timeout_s:g} s")
        try:
            pieces = loaded.llama.create_chat_completion(
                messages=[{"role": _role(m), "content": m.text} for m in messages],
                stream=True,
                max_tokens=int(kwargs.get("max_tokens", self.max_tokens)),
                temperature=float(kwargs.get("temperature", self.temperature)),
                stop=stop or [],
            )
            try:
                for piece in pieces:
                    choice = piece["choices"][0]
                    text = choice.get("delta", {}).get("content") or ""
                    finish = choice.get("finish_reason")
                    if not text and finish is None:
                        continue
                    chunk = ChatGenerationChunk(
                        message=AIMessageChunk(content=text),
                        generation_info={"finish_reason": finish} if finish else None,
                    )
                    if run_manager is not None and text:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
            finally:
                pieces.close()  # stop generating when the caller stops reading
        finally:
            loaded.lock.release()
