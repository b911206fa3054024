"""Stage `evaluate`: score the model on the held-out split; write metrics.json and an ROC plot.

The PNG is drawn with matplotlib's Agg backend and written without the 'Software' tag (the
only varying metadata), so the same model gives the same bytes.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import matplotlib
import pandas as pd
import yaml
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

TARGET = "target"
METRICS_PATH = Path("metrics.json")
PLOT_PATH = Path("plots/roc.png")


def main() -> None:
    matplotlib.use("Agg")  # before pyplot loads: no display, deterministic raster output
    from matplotlib import pyplot as plt

    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))["evaluate"]
    model = pickle.loads(Path("models/model.pkl").read_bytes())
    test = pd.read_parquet("data/prepared/test.parquet")
    features, truth = test.drop(columns=[TARGET]), test[TARGET]
    scores = model.predict_proba(features)[:, 1]
    predicted = (scores >= float(params["threshold"])).astype(int)
    metrics = {
        "accuracy": accuracy_score(truth, predicted),
        "precision": precision_score(truth, predicted, zero_division=0),
        "recall": recall_score(truth, predicted, zero_division=0),
        "f1": f1_score(truth, predicted, zero_division=0),
        "roc_auc": roc_auc_score(truth, scores),
    }
    metrics = {name: round(float(value), 6) for name, value in metrics.items()}
    METRICS_PATH.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    fpr, tpr, _ = roc_curve(truth, scores)
    fig, ax = plt.subplots(figsize=(4, 4), dpi=80)
    ax.plot(fpr, tpr, label=f"ROC (AUC = {metrics['roc_auc']:.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right")
    PLOT_PATH.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT_PATH, format="png", metadata={"Software": None})
    plt.close(fig)
    print("evaluate: " + ", ".join(f"{k}={v}" for k, v in metrics.items()))


if __name__ == "__main__":
    main()
