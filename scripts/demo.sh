#!/usr/bin/env bash
# The main job end to end on the embedded store (filled in as features land).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/lakeline --version
