"""CLI commands for the registry area (registered on `lakeline.cli.app`)."""

from __future__ import annotations
