#!/usr/bin/env bash
# What the browser test (tests/test_browser.py) needs, installed only when missing:
#   - Debian's chromium (Playwright drives /usr/bin/chromium; `playwright install` is never run, it downloads browsers)
#   - an emoji font, so screenshots show the UI's status icons
#   - Playwright's Python package in .venv
# Quiet and idempotent: a second run does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PLAYWRIGHT_VERSION=${PLAYWRIGHT_VERSION:-1.65.2}

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if ! command -v fc-list >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Color Emoji"; then
  need_apt+=(fonts-noto-color-emoji)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=()
  [ "$(id -u)" -ne 0 ] && SUDO=(sudo -n)
  echo "install-browser: apt-get install ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq >/dev/null
  "${SUDO[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! "$PY" -c "import playwright.sync_api" >/dev/null 2>&1; then
  echo "install-browser: pip install playwright==$PLAYWRIGHT_VERSION" >&2
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip install --quiet -c requirements/constraints.txt \
    "playwright==$PLAYWRIGHT_VERSION"
fi
