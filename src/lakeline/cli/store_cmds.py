"""CLI commands for the store area (registered on `lakeline.cli.app`)."""

from __future__ import annotations
