"""CLI commands for the pipeline area (registered on `lakeline.cli.app`)."""

from __future__ import annotations
