"""Language-model backends for the tutor: a GGUF run in-process, Ollama, or an OpenAI-compatible server.

Every backend is handed out as a LangChain :class:`~langchain_core.language_models.BaseChatModel`, so the
tutor builds its prompt once and streams the answer with :func:`stream_chat`, which turns every failure
(missing package, server down, stalled server, crash) into an :class:`LLMError` a learner can read.

This module is imported on every start of the tutor, so the heavy packages (``llama_cpp``,
``langchain_openai``, ``langchain_ollama``) are imported only when their backend is actually used.
"""

from mathtutor.llm.backends import backend_status, default_gguf_path, get_chat_model, stream_chat
from mathtutor.llm.errors import BACKENDS, STATUS_TIMEOUT_S, BackendStatus, BackendUnavailable, LLMError
from mathtutor.llm.local import LLAMA_CACHE, LlamaCppChatModel, clear_local_models, gguf_context_length

__all__ = [
    "BACKENDS",
    "LLAMA_CACHE",
    "STATUS_TIMEOUT_S",
    "BackendStatus",
    "BackendUnavailable",
    "LLMError",
    "LlamaCppChatModel",
    "backend_status",
    "clear_local_models",
    "default_gguf_path",
    "get_chat_model",
    "gguf_context_length",
    "stream_chat",
]
