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

# --- registry (docs/registry.md): compare, gates, promote, canary, switch, rollback, events ----
export COLUMNS="${COLUMNS:-160}"  # wide tables even when the output is not a terminal
step "registry policy: gates, one approval (lakeline.yaml at the project root)"
cp "$REPO/lakeline.yaml" .
git add lakeline.yaml && git commit --quiet -m "registry policy"
cat lakeline.yaml

step "every experiment beside main"
lakeline exp compare

step "promote c-weak (C=10) as the first version of classifier and put it in production"
lakeline approve exp-c-weak -m "reviewed the run"
lakeline promote exp-c-weak -m "first production model"
lakeline deploy classifier v1.0.0 --env production -m "go live"

step "c-strong (C=0.05) is refused: its accuracy is below what production serves"
if lakeline promote exp-c-strong -m "try it"; then
    echo "unexpected: the gate let it through" >&2
    exit 1
fi

step "a new experiment from main (train.C=1.0) passes the gates: a minor version"
lakeline exp new c-best
set_param train.C 1.0
lakeline run -m "C=1.0"
lakeline approve exp-c-best
lakeline promote exp-c-best -m "beats production on accuracy"
lakeline compare classifier@v1.0.0 classifier@v1.1.0

step "10% canary: the same request key always gets the same version"
lakeline deploy classifier v1.1.0 --env production --traffic 10 -m "canary"
lakeline resolve classifier --env production --key user-42
python - <<'PY'
from collections import Counter
from lakeline import Project

with Project.open() as project:
    served = Counter(project.resolve("classifier", env="production", key=f"user-{i}").version for i in range(1000))
    again = {project.resolve("classifier", env="production", key=f"user-{i}").version for i in (7, 7, 7)}
print("1000 request keys ->", dict(sorted(served.items())), "| user-7 three times ->", again)
PY

step "full switch, then one command back"
lakeline deploy classifier v1.1.0 --env production -m "canary healthy"
lakeline deployments
lakeline rollback classifier -m "latency regression"
lakeline deployments
lakeline versions classifier

step "every registry action, from the store, in one SQL query over events"
lakeline sql "select strftime(time, '%H:%M:%S') as at, type, version, \"user\", details->>'env' as env, details->>'traffic' as traffic, details->>'mode' as mode, reason from events order by time, id"

# --- the catalog (docs/catalog.md): SQL over every commit, lineage and impact -------------------
step "the catalog: versions with their metrics, one SQL query"
lakeline sql "select version, status, metrics['accuracy'] as accuracy, bump, source_branch from model_versions where model = 'classifier' order by major, minor, patch"

step "lineage of classifier@v1.1.0: data -> stages -> model, with hashes, params and git sha"
lakeline lineage classifier@v1.1.0
lakeline lineage classifier@v1.1.0 --mermaid | head -5

step "impact of the prepared training data of v1.0.0: every version trained on those bytes"
lakeline impact data/prepared/train.parquet@classifier-v1.0.0

step "done"
echo "demo ran in $DEMO"
