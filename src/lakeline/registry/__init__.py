"""The model registry: versions, aliases and deployments of the models a pipeline declares.

Every registry action is an event committed to the store's ``lakeline-registry`` branch
(docs/formats.md); the registry's state is folded from those events, so the store stays the
source of truth and the catalog only indexes it. `lakeline.Project` routes here; nothing here
imports the CLI or the catalog.
"""

from __future__ import annotations
