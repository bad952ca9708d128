"""The metadata stage (write.py): each deliverable tagged with the embedded view and the
sidecars written with theirs, each scope as the policy says, read back by mutagen and json;
nothing private of a message reaches any file written."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from mutagen.id3 import ID3

from audio_pipeline.core.results import Deliverable, Loudness
from audio_pipeline.inputs.policy import EMBEDDED, MetadataPolicy, default_policy
from audio_pipeline.inputs.profiles import shipped_profiles
from audio_pipeline.metadata.write import write_metadata
from tests import metadata_helpers as mh
from tests.conftest import SR, mp3_bytes

MEASURED = Loudness(-23.014, -1.236, 3.456, -16.125, -20.004)
TITLE = "소망의 메시지 - 2026년 47주"


def written(tmp_path: Path, policy: MetadataPolicy) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "2026-w47.mp3"
    tone = (0.1 * np.sin(2 * np.pi * 330 * np.arange(SR) / SR)).astype(np.float32)
    path.write_bytes(mp3_bytes(tone, rate=24_000))
    inputs: Any = SimpleNamespace(policy=policy, episode=mh.episode())
    write_metadata(
        folder,
        inputs,
        mh.messages(),
        mh.programme(),
        [Deliverable(path, "mp3", 24_000, MEASURED)],
        MEASURED,
        shipped_profiles()[0]["ebu-r128"],
    )
    return folder


def test_the_file_is_tagged_and_the_sidecars_written_beside_it(tmp_path: Path) -> None:
    folder = written(tmp_path, default_policy())
    tags = ID3(folder / "2026-w47.mp3")
    assert tags["TIT2"].text == [TITLE]
    assert len(tags.getall("CHAP")) == len(mh.LAYOUT)
    document = json.loads((folder / "cues.json").read_text("utf-8"))
    assert document["programme"]["title"] == TITLE
    for path in folder.rglob("*"):  # no approver, notes or machine path in anything written
        data = path.read_bytes()
        for secret in (mh.SECRET_EMAIL, mh.SECRET_PHONE, mh.SECRET_NAME, "/home/producer"):
            assert secret.encode("utf-8") not in data, (path.name, secret)


def test_each_scope_sees_only_what_the_policy_lets_out_of_it(tmp_path: Path) -> None:
    folder = written(tmp_path, mh.without(EMBEDDED, "episode_title"))
    assert "TIT2" not in ID3(folder / "2026-w47.mp3")  # held back from the file...
    document = json.loads((folder / "cues.json").read_text("utf-8"))
    assert document["programme"]["title"] == TITLE  # ...and still in the sidecars
