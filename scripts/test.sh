#!/usr/bin/env bash
# The test command: installs what it needs, then lint, type-check and the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests scripts
.venv/bin/ruff format --check src tests scripts
.venv/bin/mypy
.venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
