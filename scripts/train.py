"""Stage `train`: fit a scaled logistic regression and write the model and its signature.

The signature (input feature names and dtypes, output classes) is what the registry compares
to decide a major version bump, so it is derived from the training data, never typed.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pandas as pd
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

TARGET = "target"
CLASS_NAMES = {0: "malignant", 1: "benign"}
MODEL_PATH = Path("models/model.pkl")
SIGNATURE_PATH = Path("models/signature.json")


def main() -> None:
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))["train"]
    train = pd.read_parquet("data/prepared/train.parquet")
    features = train.drop(columns=[TARGET])
    model = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "classify",
                LogisticRegression(
                    C=float(params["C"]),
                    max_iter=int(params["max_iter"]),
                    random_state=int(params["seed"]),
                ),
            ),
        ]
    )
    model.fit(features, train[TARGET])
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_bytes(pickle.dumps(model, protocol=5))
    classes = [int(c) for c in model.classes_]
    signature = {
        "inputs": [{"name": str(name), "dtype": str(dtype)} for name, dtype in features.dtypes.items()],
        "outputs": {
            "classes": classes,
            "class_names": [CLASS_NAMES.get(c, str(c)) for c in classes],
            "dtype": str(train[TARGET].dtype),
        },
    }
    SIGNATURE_PATH.write_text(json.dumps(signature, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"train: {type(model[-1]).__name__}(C={params['C']}) on {len(train)} rows -> {MODEL_PATH}")


if __name__ == "__main__":
    main()
