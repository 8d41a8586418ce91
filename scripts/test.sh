#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite plus the linter. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The learner-store tests start a real PostgreSQL 15 on loopback: make sure its server binaries are here.
bash scripts/ensure_postgres.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/ruff check
.venv/bin/python -m pytest "$@"
