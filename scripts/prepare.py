"""Stage `prepare`: split scikit-learn's bundled breast-cancer data set into Parquet files.

The data ships inside scikit-learn (no download). Columns become snake_case; the split is
stratified and seeded from params.yaml, so reruns write the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

OUT_DIR = Path("data/prepared")


def main() -> None:
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))["prepare"]
    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [str(c).strip().replace(" ", "_") for c in frame.columns]
    train, test = train_test_split(
        frame,
        test_size=float(params["test_size"]),
        random_state=int(params["seed"]),
        stratify=frame["target"],
    )
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, part in (("train", train), ("test", test)):
        part.reset_index(drop=True).to_parquet(OUT_DIR / f"{name}.parquet", index=False, engine="pyarrow")
    print(f"prepare: {len(train)} train rows, {len(test)} test rows -> {OUT_DIR}")


if __name__ == "__main__":
    main()
