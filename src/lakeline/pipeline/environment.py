"""The machine a pipeline commit was made on: Python, key package versions, platform, CPU, GPU.

Capturing never fails (a missing nvidia-smi, a locked-down /proc: the field is just null) and
never reads environment variables, which routinely hold secrets.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from functools import cache
from importlib import metadata
from typing import Any

# Distributions whose versions decide whether a model rebuilds the same; recorded if installed.
KEY_PACKAGES = (
    "lakeline",
    "dvc",
    "dvc-data",
    "scikit-learn",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "torch",
    "tensorflow",
    "jax",
    "xgboost",
    "lightgbm",
    "catboost",
    "transformers",
    "duckdb",
    "lakefs-sdk",
)
_GPU_TIMEOUT = 5.0


def capture_environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "gpu": gpus(),
        "packages": package_versions(),
    }


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@cache
def cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "Processor") and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or None


@cache
def gpus() -> list[dict[str, str]] | None:
    """NVIDIA GPUs as nvidia-smi reports them; None when there is none or no way to ask."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        done = subprocess.run(
            [exe, "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=_GPU_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    found = []
    for line in done.stdout.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if fields and fields[0]:
            found.append(
                {
                    "name": fields[0],
                    "driver": fields[1] if len(fields) > 1 else "",
                    "memory": fields[2] if len(fields) > 2 else "",
                }
            )
    return found or None
