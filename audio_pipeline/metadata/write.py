"""Stage: the metadata of a render, embedded in each measured deliverable and written as
sidecars beside them; both see only what the metadata policy lets out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from audio_pipeline import __version__
from audio_pipeline.core.models import Message
from audio_pipeline.core.results import Deliverable, Loudness, Programme
from audio_pipeline.inputs.episodes import EpisodeInputs
from audio_pipeline.inputs.policy import EMBEDDED, SIDECARS
from audio_pipeline.inputs.profiles import DeliveryProfile
from audio_pipeline.metadata.embed import embed_metadata
from audio_pipeline.metadata.policy import PublicMetadata, public_metadata
from audio_pipeline.metadata.sidecars import write_sidecars


def write_metadata(
    folder: Path,
    inputs: EpisodeInputs,
    messages: Mapping[str, Message],
    programme: Programme,
    deliverables: Sequence[Deliverable],
    loudness: Loudness,
    profile: DeliveryProfile,
    extra: Mapping[str, object] | None = None,
) -> None:
    """Stage: embed the metadata in each measured deliverable, then write the
    sidecars; both see only what the metadata policy lets out."""

    def view(scope: str) -> PublicMetadata:
        return public_metadata(
            inputs.policy,
            scope,
            programme,
            inputs.episode,
            messages,
            tool_version=__version__,
            target_lufs=profile.target_lufs,
            ceiling_dbtp=profile.true_peak_dbtp,
        )

    embedded = view(EMBEDDED)
    for deliverable in deliverables:
        embed_metadata(deliverable, embedded)
    write_sidecars(folder, view(SIDECARS), deliverables, loudness, extra=extra)
