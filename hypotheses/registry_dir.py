"""Where the shipped registry of hypothesis files lives (package data, next to this code)."""

from __future__ import annotations

from pathlib import Path


def default_registry_dir() -> Path:
    """The `hypotheses/registry/` folder installed with the package."""
    return Path(__file__).resolve().parent / "registry"
