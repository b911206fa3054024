"""CLI commands for the catalog area (registered on `lakeline.cli.app`)."""

from __future__ import annotations
