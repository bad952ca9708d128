"""The message page's "as heard on shortwave" clip: the place for the shortwave channel
simulator (`audio_pipeline.audio.channel`), which is being built beside the studio.

Until that module exists the section does not appear at all: nothing here imitates it. When
it lands, `available()` turns true, the page shows the section, and the route that makes the
clip calls the simulator's own function over the preview clip (to be wired where the page
says so: studio/templates/studio/page_message.j2, section "shortwave").
"""

from __future__ import annotations

import importlib.util

SIMULATOR = "audio_pipeline.audio.channel"


def available() -> bool:
    """Whether the shortwave channel simulator is installed with this audio_pipeline."""
    try:
        return importlib.util.find_spec(SIMULATOR) is not None
    except (ImportError, ValueError):
        return False
