"""DVC pipelines: reading dvc.yaml/dvc.lock/params, provenance, lineage, workspace, experiments.

Sits between `lakeline.project` (which routes here) and the store protocol. DVC itself is
imported only inside the functions that need it (``dvc`` costs ~0.3 s to import), so loading
this package stays cheap.
"""

from __future__ import annotations
