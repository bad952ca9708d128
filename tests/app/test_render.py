"""End to end: the sample episode rendered offline, every output parsed back independently."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import requests
import responses

from audio_pipeline.app.render import render_episode
from audio_pipeline.audio import ffmpeg, wavfile
from audio_pipeline.core.errors import OutputError, RenderError
from audio_pipeline.core.project import Project
from audio_pipeline.delivery.calibrate import calibrate_codec
from audio_pipeline.delivery.plan import scaled_spans
from audio_pipeline.delivery.sinks import measure_file
from audio_pipeline.inputs.profiles import OutputFormat
from audio_pipeline.publish.outputdir import episode_lock
from tests.conftest import SR, ffmpeg_ebur128

EPISODE_ID = "2026-w47"
MESSAGES = [
    "not-alone",
    "church-prays",
    "not-forgotten",
    "light-in-darkness",
    "peace-for-family",
    "strength-for-today",
]


def cues_of(out: Path) -> dict:
    return json.loads((out / "cues.json").read_text("utf-8"))


def test_every_output_is_written(rendered: tuple[Project, Path]) -> None:
    project, out = rendered
    names = {p.name for p in out.iterdir()}
    assert names == {
        f"{EPISODE_ID}.wav",
        f"{EPISODE_ID}.mp3",
        "cues.json",
        f"{EPISODE_ID}.cue",
        f"{EPISODE_ID}.labels.txt",
        f"{EPISODE_ID}.chapters.json",
        f"{EPISODE_ID}.mp3.cue",
        f"{EPISODE_ID}.mp3.labels.txt",
        f"{EPISODE_ID}.mp3.chapters.json",
        "broadcast-log.csv",
        "clips",
        "heard",
        "review.html",
        "manifest.json",
    }
    assert sorted(p.stem for p in (out / "clips").iterdir()) == sorted(MESSAGES)
    # the reviewer's as-heard versions, one per clip, kept out of the partner's clips/
    assert sorted(p.name for p in (out / "heard").iterdir()) == sorted(f"{m}.wav" for m in MESSAGES)
    leftovers = [
        p.name for p in project.output_dir.iterdir() if p.name.startswith((".staging", ".work"))
    ]
    assert leftovers == []


def test_wav_is_48k_mono_24_bit(rendered: tuple[Project, Path]) -> None:
    info = wavfile.read_info(rendered[1] / f"{EPISODE_ID}.wav")
    assert (info.sample_rate, info.channels, info.bits, info.format_tag) == (SR, 1, 24, 1)


def test_programme_loudness_by_an_independent_meter(rendered: tuple[Project, Path]) -> None:
    measured = ffmpeg_ebur128(rendered[1] / f"{EPISODE_ID}.wav")
    assert measured["I"] == pytest.approx(-23.0, abs=0.5)
    assert measured["TP"] <= -1.0
    reported = cues_of(rendered[1])["programme"]
    assert reported["integrated_lufs"] == pytest.approx(measured["I"], abs=0.15)


def test_every_message_is_at_the_target(rendered: tuple[Project, Path]) -> None:
    for cue in cues_of(rendered[1])["cues"]:
        assert cue["loudness"]["integrated_lufs"] == pytest.approx(-23.0, abs=0.5), cue["index"]
        assert cue["loudness"]["true_peak_dbtp"] <= -1.0


def test_cue_times_match_the_audio_sample_for_sample(rendered: tuple[Project, Path]) -> None:
    out = rendered[1]
    programme, rate = wavfile.read(out / f"{EPISODE_ID}.wav")
    doc = cues_of(out)
    assert doc["programme"]["duration_samples"] == len(programme)
    for cue in doc["cues"]:
        start, end = cue["start_sample"], cue["end_sample"]
        assert cue["start_s"] == round(start / rate, 6) and cue["end_s"] == round(end / rate, 6)
        if cue["kind"] == "message":
            clip, clip_rate = wavfile.read(out / "clips" / f"{cue['message_id']}.wav")
            assert clip_rate == rate
            np.testing.assert_array_equal(clip, programme[start:end])
    # between cues there is only silence: nothing plays outside a cue
    cues = doc["cues"]
    for before, after in itertools.pairwise(cues):
        gap = programme[before["end_sample"] : after["start_sample"]]
        assert len(gap) > 0 and np.max(np.abs(gap)) < 1e-4
    # and the cues begin and end on sound, not on padding of silence
    for cue in cues:
        body = programme[cue["start_sample"] : cue["end_sample"]]
        assert (
            np.max(np.abs(body[: rate // 2])) > 1e-3 and np.max(np.abs(body[-rate // 2 :])) > 1e-3
        )


def test_cue_order_and_metadata(rendered: tuple[Project, Path]) -> None:
    doc = cues_of(rendered[1])
    kinds = [c["kind"] for c in doc["cues"]]
    assert kinds == ["intro"] + ["message", "sting"] * 5 + ["message", "outro"]
    messages = [c for c in doc["cues"] if c["kind"] == "message"]
    assert [c["message_id"] for c in messages] == MESSAGES
    assert all(
        c["engine"] == "espeak" and c["voice"] == "ko-offline" and not c["fallback"]
        for c in messages
    )
    text = (rendered[0].messages_dir / "not-alone.yaml").read_text("utf-8")
    assert messages[0]["title"] == "당신은 혼자가 아닙니다"
    assert len(messages[0]["text_sha256"]) == 64 and "사랑하는" in text
    programme = doc["programme"]
    assert programme["episode_id"] == EPISODE_ID and programme["sample_rate"] == SR
    assert programme["target_lufs"] == -23.0 and programme["true_peak_ceiling_dbtp"] == -1.0
    assert programme["tool_version"]


def test_mp3_decodes_to_the_same_length_and_loudness(rendered: tuple[Project, Path]) -> None:
    out = rendered[1]
    wav, _ = wavfile.read(out / f"{EPISODE_ID}.wav")
    mp3 = ffmpeg.decode(out / f"{EPISODE_ID}.mp3", label="mp3", sample_rate=SR)
    assert abs(len(mp3) - len(wav)) <= SR // 1000
    measured = ffmpeg_ebur128(out / f"{EPISODE_ID}.mp3")
    assert measured["I"] == pytest.approx(-23.0, abs=0.5)
    assert measured["TP"] <= -1.0


def test_cd_cue_sheet_indexes_at_75_frames_per_second(rendered: tuple[Project, Path]) -> None:
    out = rendered[1]
    sheet = (out / f"{EPISODE_ID}.cue").read_text("utf-8").splitlines()
    assert sheet[2] == f'FILE "{EPISODE_ID}.wav" WAVE'
    indexes = [line.split()[-1] for line in sheet if line.strip().startswith("INDEX 01")]
    cues = cues_of(out)["cues"]
    assert len(indexes) == len(cues)
    for index, cue in zip(indexes, cues, strict=True):
        mm, ss, ff = (int(v) for v in index.split(":"))
        frames = (mm * 60 + ss) * 75 + ff
        assert frames == cue["start_sample"] * 75 // SR  # rounded down: never after the audio


def test_audacity_labels(rendered: tuple[Project, Path]) -> None:
    out = rendered[1]
    rows = [
        line.split("\t")
        for line in (out / f"{EPISODE_ID}.labels.txt").read_text("utf-8").splitlines()
    ]
    cues = cues_of(out)["cues"]
    assert len(rows) == len(cues)
    for (start, end, label), cue in zip(rows, cues, strict=True):
        assert float(start) == pytest.approx(cue["start_sample"] / SR, abs=1e-6)
        assert float(end) == pytest.approx(cue["end_sample"] / SR, abs=1e-6)
        assert label.endswith(cue["message_id"] or cue["kind"])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rerender_uses_the_cache_and_is_byte_identical(
    warm_project: Project, rendered: tuple[Project, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first render normalized every piece and kept it in the cache; this one takes them
    from there (it normalizes nothing) and writes the very same bytes."""
    from audio_pipeline.audio import dsp

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm render normalized a piece again")

    monkeypatch.setattr(dsp, "normalize_measured", refuse)
    report = render_episode(warm_project, warm_project.root / f"input/episodes/{EPISODE_ID}.yaml")
    assert (report.clips_cached, report.clips_synthesized) == (6, 0)
    out = report.output_dir
    assert out is not None
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(rendered[1]) for p in rendered[1].rglob("*") if p.is_file()
    )
    for name in files:  # every file, embedded metadata and sidecars included
        assert digest(out / name) == digest(rendered[1] / name), name


def test_a_corrupt_normalized_piece_is_found_on_read_and_made_again(
    warm_project: Project, rendered: tuple[Project, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from audio_pipeline.audio import dsp

    stored = sorted((warm_project.cache_dir / "normalized").rglob("*.wav"))
    assert len(stored) >= 9  # six messages, intro, outro, sting
    for path in stored:  # (other tests' renders may have added pieces of their own)
        data = bytearray(path.read_bytes())
        data[-100] ^= 0xFF
        path.write_bytes(bytes(data))
    calls = []
    real = dsp.normalize_measured

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dsp, "normalize_measured", counted)
    report = render_episode(warm_project, warm_project.root / f"input/episodes/{EPISODE_ID}.yaml")
    assert len(calls) == 9  # every piece found corrupt, normalized again
    out = report.output_dir
    assert out is not None
    for path in rendered[1].glob("*.*"):
        if path.is_file():
            assert digest(out / path.name) == digest(path), path.name


def test_failed_render_leaves_the_previous_output_untouched(
    warm_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    episode = warm_project.root / f"input/episodes/{EPISODE_ID}.yaml"
    out = render_episode(warm_project, episode).output_dir
    assert out is not None
    before = {p.name: digest(p) for p in out.rglob("*") if p.is_file()}

    def broken_deliver(*args: object, **kwargs: object) -> None:
        (Path(str(args[1])) / f"{EPISODE_ID}.wav").write_bytes(b"half a file")
        raise RenderError("simulated encoder crash")

    monkeypatch.setattr("audio_pipeline.app.render.deliver", broken_deliver)
    with pytest.raises(RenderError, match="simulated"):
        render_episode(warm_project, episode)
    after = {p.name: digest(p) for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in warm_project.output_dir.iterdir() if p.name.startswith(".")] == [
        ".locks"
    ]


def test_a_second_render_of_the_same_episode_is_refused(warm_project: Project) -> None:
    episode = warm_project.root / f"input/episodes/{EPISODE_ID}.yaml"
    with (
        episode_lock(warm_project.output_dir, EPISODE_ID),
        pytest.raises(OutputError, match="is being rendered"),
    ):
        render_episode(warm_project, episode)


@responses.activate
def test_fallback_is_recorded_in_report_and_cues(warm_project: Project) -> None:
    responses.post(
        "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute",
        body=requests.exceptions.ConnectionError("offline"),
    )
    report = render_episode(warm_project, warm_project.root / "input/episodes/2026-w47-google.yaml")
    assert len(report.fallbacks) == 6
    assert all("FALLBACK" in note and "ko-offline" in note for note in report.fallbacks)
    assert report.output_dir is not None
    messages = [c for c in cues_of(report.output_dir)["cues"] if c["kind"] == "message"]
    assert {(c["engine"], c["voice"], c["fallback"]) for c in messages} == {
        ("espeak", "ko-offline", True)
    }


def test_the_wav_is_measured_as_ffmpeg_decodes_it(warm_project: Project) -> None:
    # the WAV deliverable is measured from the samples written to it, while it is written:
    # decoding the finished file back with ffmpeg and measuring it gives the same figures
    report = render_episode(warm_project, warm_project.root / f"input/episodes/{EPISODE_ID}.yaml")
    assert report.programme is not None
    wav = report.deliverables[0]
    assert wav.format == "wav" and wav.loudness is not None
    spans = scaled_spans(report.programme, wav.sample_rate)
    decoded = measure_file(wav.path, OutputFormat("wav"), spans, maxima=True)
    for name in ("integrated_lufs", "true_peak_dbtp", "lra_lu", "max_momentary_lufs"):
        assert getattr(wav.loudness, name) == pytest.approx(
            getattr(decoded.loudness, name), abs=1e-9
        ), name
    assert [(i, c.integrated_lufs) for i, c in wav.cue_loudness] == [
        (i, pytest.approx(c.integrated_lufs, abs=1e-9)) for i, c in decoded.cues
    ]


def test_codec_calibration_measures_level_and_delay() -> None:
    # LAME CBR returns speech ~0.4 dB quiet and hides its delay in the LAME header; raw MP2
    # decodes 481 samples late (the layer II filterbank): both must be measured
    t = np.arange(SR * 4) / SR
    carrier = np.sin(2 * np.pi * 200 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    speech = (0.1 * carrier).astype(np.float32)
    mp3 = calibrate_codec(OutputFormat("mp3"), speech, -1.0)
    assert 0.0 < mp3.codec_gain_db < 1.0 and mp3.delay == 0
    mp2 = calibrate_codec(OutputFormat("mp2"), speech, -1.0)
    assert mp2.delay == 481


def longest_quiet_s(path: Path, floor_db: float = -50.0) -> float:
    """The longest run of 10 ms frames quieter than `floor_db` RMS, read from the file."""
    samples = ffmpeg.decode(path, label=path.name, sample_rate=SR)
    hop = SR // 100
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop).astype(np.float64)
    quiet = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-12) < floor_db
    longest = run = 0
    for q in quiet.tolist():
        run = run + 1 if q else 0
        longest = max(longest, run)
    return longest * hop / SR


@pytest.mark.slow
def test_an_exact_slot_is_filled_with_programme_audio_not_dead_air(
    warm_project: Project,
) -> None:
    """The sample week in a slot of 3:40, no bed: fillers from the pool and longer gaps fill
    it; measured in the delivered file, nothing is quiet for longer than max_silence_s; the
    fillers are cued, logged, and the reading is in the ledger."""
    import csv
    import io

    import yaml

    from audio_pipeline.publish.ledger import Ledger

    path = warm_project.root / "input/episodes/2026-w47.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data.update(slot="3:40", fit="exact", fill={"max_gap_s": 2.5, "max_silence_s": 3})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    report = render_episode(warm_project, path)
    out = report.output_dir
    assert report.programme.duration_s == pytest.approx(220.0, abs=1e-6)
    fill = report.programme.fill
    assert fill is not None and fill.fillers and fill.longest_gap <= 3 * SR
    assert longest_quiet_s(out / "2026-w47.wav") <= 3.0 + 0.05
    cues = cues_of(out)["cues"]
    played = [c for c in cues if c["kind"] == "filler"]
    assert [c.get("message_id") or c["title"] for c in played] == list(fill.fillers)
    log = list(csv.DictReader(io.StringIO((out / "broadcast-log.csv").read_text("utf-8"))))
    assert len(log) == len([c for c in cues if c["kind"] in ("message", "filler")])
    with Ledger(warm_project.ledger_path) as ledger:
        placed = [p.message_id for p in ledger.placements(report.ledger_render_id or 0)]
    readings = [c["message_id"] for c in played if c.get("message_id")]
    assert all(r in placed for r in readings)


def test_a_file_over_its_profiles_loudness_range_fails_in_one_line(
    warm_project: Project,
) -> None:
    profiles = warm_project.root / "input/profiles"
    profiles.mkdir(parents=True)
    (profiles / "tight.yaml").write_text(
        "target_lufs: -23\ntrue_peak_dbtp: -1\nmax_lra: 1\nformats:\n  - {codec: wav}\n",
        "utf-8",
    )
    path = warm_project.root / "input/episodes/2026-w47.yaml"
    path.write_text(path.read_text("utf-8") + "deliverables: [tight]\n", "utf-8")
    with pytest.raises(RenderError) as info:
        render_episode(warm_project, path)
    assert str(info.value).startswith("2026-w47-tight.wav: loudness range ")
    assert "over the max_lra of profile 'tight' (1 LU)" in str(info.value)
    assert not (warm_project.output_dir / "2026-w47").exists()
