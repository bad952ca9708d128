"""Bumper, sting and bed files: validated by decoding them, decoded once a run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.audio import ffmpeg, wavfile
from audio_pipeline.inputs.audiofiles import AudioStore, decode_audio_file, riff_truncation
from tests.conftest import REPO, SR, sine


def test_the_store_decodes_a_file_once_and_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "intro.wav"
    wavfile.write(path, sine(440, 1.0, -12.0), SR, "pcm24")
    store = AudioStore()
    first = store.load(path, "intro")
    again = store.load(path, "intro")
    assert first.error is None and first.samples is not None
    assert again.samples is first.samples and store.decodes == 1
    wavfile.write(path, sine(880, 2.0, -12.0), SR, "pcm24")  # replaced during the run
    os.utime(path, ns=(1, 1))  # a different modification time whatever the clock's grain
    changed = store.load(path, "intro")
    assert store.decodes == 2 and changed.samples is not None
    assert len(changed.samples) == 2 * SR


def test_what_is_wrong_with_a_file_is_said_in_one_line(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    wavfile.write(silent, np.zeros(SR, np.float32), SR, "pcm16")
    assert decode_audio_file(silent, "silent.wav").error == "'silent.wav' is silent"
    long = tmp_path / "long.wav"
    wavfile.write(long, sine(440, 3.0, -12.0), SR, "pcm16")
    found = decode_audio_file(long, "long.wav", max_seconds=2.0)
    assert found.samples is None
    assert found.error == "'long.wav' is 3 s long; at most 2 s allowed here"
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    assert "cannot decode 'notes.wav' as audio" in str(decode_audio_file(text, "notes.wav").error)
    missing = decode_audio_file(tmp_path / "nope.wav", "nope.wav")
    assert missing.error is not None and missing.error.startswith("cannot read 'nope.wav'")


def test_a_cut_off_wav_is_refused_though_ffmpeg_would_decode_it(tmp_path: Path) -> None:
    whole = tmp_path / "whole.wav"
    shutil.copy(REPO / "voices/bumpers/intro.wav", whole)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert riff_truncation(whole) is None
    assert len(ffmpeg.decode(cut, label="cut", sample_rate=SR)) > 0  # ffmpeg does not mind
    assert "is cut off" in str(decode_audio_file(cut, "cut.wav").error)


@pytest.mark.parametrize("name", ["intro.wav", "outro.wav", "sting.wav"])
def test_the_sample_bumpers_decode(name: str) -> None:
    found = decode_audio_file(REPO / "voices/bumpers" / name, name)
    assert found.error is None and found.samples is not None
