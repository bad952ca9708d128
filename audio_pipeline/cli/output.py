"""The two consoles every command prints on: results on stdout, progress, warnings and errors
on stderr (ffmpeg-normalize keeps the same discipline, so a script can read stdout)."""

from __future__ import annotations

import json
import os
import sys

from rich.console import Console

# markup off: what is printed holds input text (titles, ids, file names, YAML keys), and
# '[/b]' in a title must be printed, not parsed (a MarkupError used to end the command).
# A log file or a pipe has no width: give tables room (Rich assumes 80 columns) unless COLUMNS
# says otherwise; a terminal keeps its own width.
LOG_WIDTH = None if os.environ.get("COLUMNS") or sys.stdout.isatty() else 110
out = Console(highlight=False, soft_wrap=True, markup=False, width=LOG_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, width=LOG_WIDTH)


def print_json(document: object) -> None:
    """A --json document on stdout, alone (the console's wrapping and markup kept out)."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
