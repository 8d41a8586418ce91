#!/usr/bin/env bash
# Fresh machine to a running tutor: set up .venv, build the default index from corpus/, start the tutor.
set -euo pipefail
cd "$(dirname "$0")/.."
MATHTUTOR_EXTRAS=${MATHTUTOR_EXTRAS:-local,openai,ollama} bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/mathtutor ingest corpus --index indexes/default
.venv/bin/mathtutor index info --index indexes/default
