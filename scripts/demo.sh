#!/usr/bin/env bash
# The main job end to end on the embedded store, in a fresh temporary folder:
# a git + DVC project with the example pipeline, lakeline init, a baseline on main, two
# experiments with different params (dvc repro + lakeline commit, provenance recorded
# automatically), then a look at them. Set LAKELINE_DEMO_KEEP=1 to keep the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
bash scripts/setup.sh

# `lakeline`, `dvc` and the `python` the pipeline's stages run, all from the project's venv.
export PATH="$REPO/.venv/bin:$PATH"
export DVC_NO_ANALYTICS=1
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-Demo User}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-demo@example.com}"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export LAKELINE_USER="${LAKELINE_USER:-$GIT_AUTHOR_EMAIL}"

DEMO=$(mktemp -d "${TMPDIR:-/tmp}/lakeline-demo.XXXXXX")
if [ "${LAKELINE_DEMO_KEEP:-0}" = "1" ]; then
    echo "demo folder (kept): $DEMO"
else
    trap 'rm -rf "$DEMO"' EXIT
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
set_param() {  # set_param train.C 0.05: edit params.yaml as a person would
    python - "$1" "$2" <<'PY'
import sys, yaml
key, value = sys.argv[1], yaml.safe_load(sys.argv[2])
params = yaml.safe_load(open("params.yaml"))
node = params
*parents, leaf = key.split(".")
for part in parents:
    node = node[part]
node[leaf] = value
yaml.safe_dump(params, open("params.yaml", "w"), sort_keys=False)
PY
}

step "a git repository with the example DVC pipeline"
cd "$DEMO"
git init --quiet --initial-branch=main
cp "$REPO/dvc.yaml" "$REPO/params.yaml" .
mkdir scripts
cp "$REPO/scripts/prepare.py" "$REPO/scripts/train.py" "$REPO/scripts/evaluate.py" scripts/
dvc init --quiet
dvc config core.analytics false
git add --all
git commit --quiet -m "example pipeline"
lakeline init

step "baseline on main: dvc repro, then lakeline commit"
dvc repro
lakeline commit -m "baseline: C=1.0"

step "experiment c-strong: stronger regularisation (train.C=0.05)"
lakeline exp new c-strong
set_param train.C 0.05
dvc repro
lakeline commit -m "C=0.05" --meta ticket=DEMO-1

step "experiment c-weak from main: weaker regularisation (train.C=10), via lakeline run"
lakeline exp new c-weak
set_param train.C 10.0
lakeline run -m "C=10"

step "the experiments, their metrics and provenance"
lakeline exp list
lakeline exp show c-weak
lakeline status

step "back to c-strong: its data, model and metrics return to the workspace"
lakeline checkout exp-c-strong
cat metrics.json
dvc status

# --- compare experiments (registry area): `lakeline exp compare` goes here.
# --- promote the best one to main as a model version: `lakeline promote exp-... -m ...` goes here.
# --- query the catalog: `lakeline sql "select ..."`, lineage and impact queries go here.

step "done"
echo "demo ran in $DEMO"
