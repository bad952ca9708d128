"""Normalizing the pieces of a programme: each once, to the speech reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.core.project import Project

EPISODE_ID = "2026-w47"


def test_messages_handed_in_early_are_normalized_once(
    warm_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clip handed to SegmentMaker as it is made (a cold render, no tempo-up) is normalized
    once, in the background, and that very segment is the one assembled; a different tempo
    (a slot's tempo-up) normalizes it again."""
    from concurrent.futures import ThreadPoolExecutor

    from audio_pipeline.engines.registry import EngineSet
    from audio_pipeline.inputs.episodes import load_episode
    from audio_pipeline.speech.cache import ClipCache
    from audio_pipeline.speech.synthesis import ClipJob, synthesize_all

    inputs = load_episode(warm_project.root / f"input/episodes/{EPISODE_ID}.yaml", warm_project)
    jobs = [ClipJob(m, inputs.voice, inputs.fallback_voice) for m in inputs.messages[:2]]
    clips = synthesize_all(jobs, EngineSet(), ClipCache(warm_project.cache_dir))
    made: list[str] = []
    from audio_pipeline.programme import segments

    real = segments._normalized_segment

    def counted(samples: np.ndarray, kind: object, work: Path, name: str, *a, **k):  # type: ignore[no-untyped-def]
        made.append(name)
        return real(samples, kind, work, name, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(segments, "_normalized_segment", counted)
    messages = {m.id: m for m in inputs.messages}
    pieces = inputs.audio
    with ThreadPoolExecutor(2) as pool:
        maker = segments.SegmentMaker(inputs.episode, messages, tmp_path, pool)
        maker.start(clips[0])
        _, early, _, _ = maker.segments(clips, pieces)
        assert sorted(n for n in made if n.startswith("message-")) == sorted(
            f"message-{c.message_id}" for c in clips
        )
        made.clear()
        _, faster, _, _ = maker.segments(clips[:1], pieces, tempo=1.03)
    assert made.count(f"message-{clips[0].message_id}") == 1
    assert [s.message_id for s in early] == [c.message_id for c in clips]
    assert early[0].tempo == 1.0 and faster[0].tempo == 1.03
    assert faster[0].length < early[0].length
    assert [round(s.loudness.integrated_lufs, 1) for s in early] == [-23.0, -23.0]
