"""The broadcast ledger as the commands and the studio open it for a look-up."""

from __future__ import annotations

from pathlib import Path

from audio_pipeline.core.project import Project
from audio_pipeline.publish.ledger import Ledger


def open_ledger(project: Project) -> Ledger:
    """The project's ledger; a missing one reads as empty and is not created by a look-up."""
    path = project.ledger_path
    return Ledger(path if path.exists() else Path(":memory:"))
