#!/usr/bin/env bash
# Fresh machine to a running tutor: set up .venv, build the default index from corpus/, open the web UI
# on http://127.0.0.1:7860 (pass --port, --host, --auth USER:PASSWORD, --backend ... to change it).
set -euo pipefail
cd "$(dirname "$0")/.."
MATHTUTOR_EXTRAS=${MATHTUTOR_EXTRAS:-local,openai,ollama} bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/mathtutor ingest corpus --index indexes/default --no-progress
exec .venv/bin/mathtutor serve --index indexes/default "$@"
