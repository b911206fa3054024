"""lakeline: version ML models and their data on lakeFS branches.

`Project` is the Python API (every CLI command is one of its calls); the errors a caller can
catch live in `lakeline.errors`. Heavy modules load lazily, so ``import lakeline`` is cheap.
"""

from __future__ import annotations

from lakeline.errors import LakelineError
from lakeline.project import Project

__version__ = "0.1.0"

__all__ = ["LakelineError", "Project", "__version__"]
