"""Stage: embed the metadata in each deliverable file, after it has been measured.

One call per deliverable: the file says its own format and rate, the deliverable carries its
measured loudness (decoded back), and the PublicMetadata is what the policy lets into the
files. WAV gets bext/cue/LIST chunks, MP3 gets ID3v2.4 with chapters. Other formats (MP2 for
shortwave partners) carry no embedded metadata: their sidecars describe them.
"""

from __future__ import annotations

import logging

from audio_pipeline.audio import wavfile
from audio_pipeline.core.codecs import Embedded
from audio_pipeline.core.results import Deliverable
from audio_pipeline.inputs.policy import EMBEDDED
from audio_pipeline.metadata import bwf, id3tags
from audio_pipeline.metadata.policy import PublicMetadata

log = logging.getLogger(__name__)


def embed_metadata(deliverable: Deliverable, view: PublicMetadata) -> bool:
    """Embed `view` into the deliverable's file. Returns False for formats without tags."""
    if view.scope != EMBEDDED:
        raise ValueError("embedded metadata must come from the policy's 'embedded' scope")
    embedded = deliverable.codec.embedded
    if embedded is Embedded.BWF:
        info = wavfile.read_info(deliverable.path)
        if info.sample_rate != deliverable.sample_rate:
            raise ValueError(f"{deliverable.path.name}: rate differs from the deliverable's")
        reserved, trailing = bwf.wav_chunks(
            view,
            sample_rate=info.sample_rate,
            bits=info.bits,
            channels=info.channels,
            loudness=deliverable.loudness,
        )
        wavfile.amend(deliverable.path, reserved=reserved, trailing=trailing)
        return True
    if embedded is Embedded.ID3:
        id3tags.tag_mp3(deliverable.path, view, deliverable.sample_rate)
        return True
    log.info("%s: no embedded metadata for format %s", deliverable.path.name, deliverable.format)
    return False
