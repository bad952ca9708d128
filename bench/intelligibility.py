"""Intelligibility on the air: `python -m bench.intelligibility [--work DIR] [--out FILE]`.

Every sample episode of input/episodes/ is rendered offline, in a throwaway copy of the
project, with the plain ebu-r128 master and the shortwave and mediumwave profiles; then
each AM deliverable is heard over the simulated channel against the plain master by
`audio_pipeline.app.simulate` (the product's own simulator and score), and measured:
ESTOI per condition (the programme mean over the messages, then the mean over the
episodes), peak-to-loudness ratio over the speech, true peak after decoding, energy above
the 4.5 kHz band, and the CPU time of the AM chain on a long programme.

Results go to bench/RESULTS.md (between its intelligibility markers) and
bench/intelligibility.json. About 15-20 minutes on two cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from audio_pipeline.app.render import RenderSettings, render_episode
from audio_pipeline.app.simulate import simulate
from audio_pipeline.audio import ffmpeg
from audio_pipeline.audio.am_processing import am_chain
from audio_pipeline.audio.intelligibility import DEFAULT_SNRS
from audio_pipeline.audio.loudness import integrated_lufs, true_peak_dbtp
from audio_pipeline.audio.processing import BandLimiter, Chain
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.profiles import shipped_profiles

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "RESULTS.md"
START, END = "<!-- intelligibility:start -->", "<!-- intelligibility:end -->"
SR = 48_000
PROFILES = ("shortwave", "mediumwave")
FILES = (("shortwave", "mp3"), ("shortwave", "mp2"), ("mediumwave", "wav"), ("mediumwave", "mp2"))
LONG_MINUTES = 30.0
KEY_CONDITIONS = ("clean", "0 dB", "5 dB", "10 dB fading", "15 dB")


def log(message: str) -> None:
    print(f"[intelligibility {dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def make_project(
    work: Path, deliverables: tuple[str, ...] = ("ebu-r128", *PROFILES)
) -> tuple[Project, list[str]]:
    """A copy of the repository's voices/ and input/, every sample episode delivering the
    plain master and the AM profiles (the Google voice's episode with its offline fallback,
    as it renders without network)."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    shutil.copytree(REPO / "voices", work / "voices")
    shutil.copytree(REPO / "input", work / "input")
    ids = []
    for path in sorted((work / "input/episodes").glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        data["deliverables"] = list(deliverables)
        if data.get("fallback_voice"):
            data["voice"] = data.pop("fallback_voice")
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        ids.append(str(data["id"]))
    return Project.at(work, cache_dir=work.parent / "cache"), ids


def speech_spans(doc: dict[str, Any], deliverable: dict[str, Any]) -> list[tuple[int, int]]:
    """The messages' spans in one file's own samples (its codec delay included)."""
    cues = {c["index"]: c for c in deliverable["cues"]}
    return [
        (cues[c["index"]]["start_sample"], cues[c["index"]]["end_sample"])
        for c in doc["cues"]
        if c["kind"] == "message"
    ]


def speech_facts(path: Path, doc: dict[str, Any]) -> dict[str, float]:
    """PLR over the speech (the highest true peak of the messages against their loudness
    together, and the worst single message), true peak of the file as decoded, and the
    energy above the band against 150 Hz - 4.5 kHz, all from the file decoded back."""
    deliverable = next(d for d in doc["deliverables"] if d["file"] == path.name)
    rate = int(deliverable["sample_rate"])
    x = ffmpeg.decode(path, label=path.name, sample_rate=rate)
    spans = speech_spans(doc, deliverable)
    speech = np.concatenate([x[s:e] for s, e in spans])
    peaks = [true_peak_dbtp(x[s:e], rate) for s, e in spans]
    per_message = [
        p - integrated_lufs(x[s:e], rate) for p, (s, e) in zip(peaks, spans, strict=True)
    ]
    return {
        "plr_speech_db": max(peaks) - integrated_lufs(speech, rate),
        "plr_worst_message_db": max(per_message),
        "true_peak_dbtp": true_peak_dbtp(x, rate),
        "above_band_db": above_band_db(x, rate),
    }


def above_band_db(x: np.ndarray, rate: int) -> float:
    """Energy from 5 kHz up (where the 4.5 kHz band limit is 9 dB down and falling)
    against the energy from 150 Hz to 4.5 kHz, by FFT."""
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    above = spectrum[freqs >= 5000].sum()
    inside = spectrum[(freqs >= 150) & (freqs <= 4500)].sum()
    return float(10 * math.log10(max(above, 1e-30) / inside))


def band_limit_reference(path: Path) -> float:
    """`above_band_db` of the plain master through the profile's band limit alone (the
    previous shortwave profile's filter): what the band limit's own response leaves."""
    x = ffmpeg.decode(path, label=path.name, sample_rate=SR)
    profile = shipped_profiles()[0]["shortwave"]
    assert profile.band is not None
    chain = Chain([BandLimiter(profile.band, SR)])
    y = np.concatenate([chain.process(x), chain.flush()])
    return above_band_db(y, SR)


def chain_seconds_per_hour(project: Project, episode_id: str) -> float:
    """CPU seconds the shortwave AM chain takes per hour of programme, on LONG_MINUTES of
    the episode's master repeated, fed in the render's one-second blocks."""
    x = ffmpeg.decode(
        project.output_dir / episode_id / f"{episode_id}-ebu-r128.wav",
        label="master",
        sample_rate=SR,
    )
    long = np.tile(x, math.ceil(LONG_MINUTES * 60 * SR / len(x)))[: round(LONG_MINUTES * 60 * SR)]
    profile = shipped_profiles()[0]["shortwave"]
    assert profile.am_processing is not None and profile.band is not None
    chain = Chain(am_chain(profile.am_processing, profile.band, -23.0, SR))
    start = time.process_time()
    for i in range(0, len(long), SR):
        chain.process(long[i : i + SR])
    chain.flush()
    return (time.process_time() - start) * 3600 / (len(long) / SR)


def plain_render_seconds(work: Path) -> dict[str, float]:
    """Each episode rendered with the plain master only (clips cached): the baseline."""
    project, ids = make_project(work, ("ebu-r128",))
    seconds = {}
    for episode_id in ids:
        start = time.time()
        render_episode(
            project, project.episodes_dir / f"{episode_id}.yaml", RenderSettings(concurrency=1)
        )
        seconds[episode_id] = round(time.time() - start, 1)
    return seconds


def run(work: Path) -> dict[str, Any]:
    project, ids = make_project(work / "am")
    episodes: dict[str, Any] = {}
    for episode_id in ids:
        log(f"{episode_id}: rendering")
        start = time.time()
        report = render_episode(
            project, project.episodes_dir / f"{episode_id}.yaml", RenderSettings(concurrency=1)
        )
        assert report.output_dir is not None
        out = report.output_dir
        doc = json.loads((out / "cues.json").read_text("utf-8"))
        plain = out / f"{episode_id}-ebu-r128.wav"
        entry: dict[str, Any] = {
            "render_s": round(time.time() - start, 1),
            "plain": {
                **speech_facts(plain, doc),
                "band_limit_only_db": band_limit_reference(plain),
            },
            "files": {},
        }
        for profile, codec in FILES:
            log(f"{episode_id}: {profile} {codec} over the air")
            result = simulate(project, episode_id, profile=profile, codec=codec, write_audio=False)
            path = out / result.processed
            entry["files"][path.name] = {
                "profile": profile,
                **speech_facts(path, doc),
                **result.comparison.as_dict(),
            }
        episodes[episode_id] = entry
    log("the AM chain on a long programme; renders of the plain master alone")
    per_hour = chain_seconds_per_hour(project, ids[0])
    plain_seconds = plain_render_seconds(work / "plain")
    for episode_id, seconds in plain_seconds.items():
        episodes[episode_id]["render_plain_only_s"] = seconds
    return {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "snrs": list(DEFAULT_SNRS),
        "episodes": episodes,
        "chain_cpu_s_per_programme_hour": round(per_hour, 1),
    }


def mean_over(results: dict[str, Any], name_end: str, condition: str, key: str) -> float:
    values = [
        f["mean"][condition][key]
        for e in results["episodes"].values()
        for name, f in e["files"].items()
        if name.endswith(name_end) and condition in f["mean"]
    ]
    return float(np.mean(values)) if values else math.nan


def table(results: dict[str, Any]) -> str:
    episodes = results["episodes"]
    first = next(iter(episodes.values()))
    sw = next(f for n, f in first["files"].items() if n.endswith("shortwave.mp3"))
    lines = [
        f"Measured {results['date']} on {results['machine']}; episodes: "
        + ", ".join(f"`{e}`" for e in episodes)
        + ". ESTOI over the shortwave channel (mean over the messages of every episode), "
        "plain ebu-r128 master against the shortwave deliverables:",
        "",
        "| condition | plain | shortwave MP3 | (gain) | shortwave MP2 | (gain) |",
        "|---|---|---|---|---|---|",
    ]
    for condition in sw["conditions"]:
        plain = mean_over(results, "shortwave.mp3", condition, "plain")
        mp3 = mean_over(results, "shortwave.mp3", condition, "processed")
        mp2 = mean_over(results, "shortwave.mp2", condition, "processed")
        lines.append(
            f"| {condition} | {plain:.3f} | {mp3:.3f} | {mp3 - plain:+.3f} | {mp2:.3f} | "
            f"{mp2 - plain:+.3f} |"
        )
    lines += [
        "",
        "Per episode, the gain of the shortwave MP3 (and MP2) over the plain master:",
        "",
        "| episode | " + " | ".join(KEY_CONDITIONS) + " |",
        "|---|" + "---|" * len(KEY_CONDITIONS),
    ]
    for episode_id, e in episodes.items():
        cells = []
        for condition in KEY_CONDITIONS:
            gains = []
            for codec in ("mp3", "mp2"):
                f = e["files"][f"{episode_id}-shortwave.{codec}"]["mean"][condition]
                gains.append(f["processed"] - f["plain"])
            cells.append(f"{gains[0]:+.3f} ({gains[1]:+.3f})")
        lines.append(f"| {episode_id} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Mediumwave channel (no fading), plain against the mediumwave deliverables:",
        "",
        "| condition | plain | mediumwave WAV | (gain) | mediumwave MP2 | (gain) |",
        "|---|---|---|---|---|---|",
    ]
    mw = next(f for n, f in first["files"].items() if n.endswith("mediumwave.wav"))
    for condition in mw["conditions"]:
        plain = mean_over(results, "mediumwave.wav", condition, "plain")
        wav = mean_over(results, "mediumwave.wav", condition, "processed")
        mp2 = mean_over(results, "mediumwave.mp2", condition, "processed")
        lines.append(
            f"| {condition} | {plain:.3f} | {wav:.3f} | {wav - plain:+.3f} | {mp2:.3f} | "
            f"{mp2 - plain:+.3f} |"
        )
    lines += [
        "",
        "Per file, decoded back: PLR over the speech (highest true peak of the messages "
        "against their loudness; the worst single message), true peak of the file, energy from "
        "5 kHz up against 150 Hz-4.5 kHz (the plain master through the band limit alone, for "
        "reference):",
        "",
        "| episode | file | PLR speech | worst message | true peak | above band |",
        "|---|---|---|---|---|---|",
    ]
    for episode_id, e in episodes.items():
        p = e["plain"]
        lines.append(
            f"| {episode_id} | ebu-r128.wav | {p['plr_speech_db']:.1f} dB | "
            f"{p['plr_worst_message_db']:.1f} dB | {p['true_peak_dbtp']:.2f} dBTP | "
            f"{p['above_band_db']:.1f} dB ({p['band_limit_only_db']:.1f} dB band-limited) |"
        )
        for name, f in e["files"].items():
            lines.append(
                f"| {episode_id} | {name.removeprefix(episode_id + '-')} | "
                f"{f['plr_speech_db']:.1f} dB | {f['plr_worst_message_db']:.1f} dB | "
                f"{f['true_peak_dbtp']:.2f} dBTP | {f['above_band_db']:.1f} dB |"
            )
    lines += [
        "",
        "Render times with the plain master + shortwave + mediumwave (with the plain master "
        "alone), clips cached: "
        + ", ".join(
            f"{k} {e['render_s']} s ({e.get('render_plain_only_s', '-')} s)"
            for k, e in episodes.items()
        )
        + f". The shortwave AM chain alone: {results['chain_cpu_s_per_programme_hour']} CPU "
        "seconds per hour of programme (it runs twice per render: the speech measurement and "
        "the encode, plus once more per extra encoding round).",
    ]
    return "\n".join(lines)


def write(results: dict[str, Any], out: Path) -> None:
    """The table into `out` between the markers (appended with a heading if it has none),
    and every number into intelligibility.json beside it."""
    (out.parent / "intelligibility.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8"
    )
    text = out.read_text("utf-8") if out.exists() else ""
    block = f"{START}\n{table(results)}\n{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n## Intelligibility on the air\n\n" + block + "\n"
    out.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=BENCH / "work" / "intelligibility")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = run(args.work)
    write(results, args.out)
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
