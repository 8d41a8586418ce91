"""What can go wrong with a language-model backend, in words a learner can read, and how to install one."""

from __future__ import annotations

from dataclasses import dataclass

BACKENDS = ("extractive", "local", "ollama", "openai")

#: Seconds a status probe may wait for a server: the UI calls it while drawing the backend picker.
STATUS_TIMEOUT_S = 1.0

INSTALL_HINT = {
    "local": "the local backend needs the optional extra: pip install 'mathtutor[local]' (llama-cpp-python)",
    "ollama": "the ollama backend needs the optional extra: pip install 'mathtutor[ollama]' (langchain-ollama)",
    "openai": "the openai backend needs the optional extra: pip install 'mathtutor[openai]' (langchain-openai)",
}
BACKEND_MODULE = {"local": "llama_cpp", "ollama": "langchain_ollama", "openai": "langchain_openai"}


class LLMError(RuntimeError):
    """A language-model backend failed; the message is meant to be shown to the learner as is."""


class BackendUnavailable(LLMError):
    """The backend cannot be used at all: package not installed, server not running, model file missing."""


@dataclass(frozen=True)
class BackendStatus:
    """What the UI shows next to a backend's name."""

    name: str
    available: bool
    detail: str
