"""The benchmark, end to end: `python -m bench [--smoke] [options]`.

Sections (each a median of --runs runs, every run a fresh process):
  warm     render of the N-message, M-minute episode with every clip cached (offline voice)
  ffmpeg   baseline (b): the bundled ffmpeg alone encoding that programme's WAV to MP3 with
           the MP3 deliverable's settings (the floor for the MP3 deliverable)
  profiles the same episode delivered as ebu-r128 + shortwave + podcast (the shipped
           profiles, whatever their chains are), warm, each run followed by baseline (c):
           ffmpeg alone encoding the podcast MP3 (44.1 kHz, 128k) from that run's WAV
  peers    on the same WAV: ffmpeg-normalize (EBU R128 -23 LUFS, MP3), and one ffmpeg command
           making the shortwave files (band limit, speechnorm, acompressor, loudnorm, MP3
           22.05 kHz 32k + MP2)
  cold     a render from an empty cache through the TTS stand-in (fixed latency per request)
           at each --concurrency, with a request cap that does not bind
  naive    baseline (a): sequential gTTS + pydub (bench/naive.py) through the same stand-in
  cap      a render under the default cap (120 requests/minute): the stand-in counts
  edit     one message edited, rendered again: clips synthesized and requests sent
  long     peak memory of a --long-minutes programme (warm)

Results go to bench/RESULTS.md (between its markers) and bench/results.json; a smoke run
(--smoke: tiny sizes, one run, little latency) writes them into its work folder only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import resource
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import harness
from .harness import Run, median
from .standin import proxy_env, requests_in_window, standin
from .workload import Workload, edit_message, make_workload, write_episode

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "RESULTS.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
SECTIONS = ("warm", "ffmpeg", "profiles", "peers", "cold", "naive", "cap", "edit", "long")


@dataclass
class Config:
    runs: int = 3
    messages: int = 40
    minutes: float = 30.0
    long_messages: int = 160
    long_minutes: float = 120.0
    latency_s: float = 0.3
    concurrency: tuple[int, ...] = (1, 4)
    uncapped_rpm: int = 6000  # high enough never to bind at 300 ms and concurrency 4
    cap_rpm: int = 120  # the default cap, shown to hold
    cap_requests: int = 150  # about this many requests in the cap run (over a minute's worth)
    sections: tuple[str, ...] = SECTIONS
    work: Path = BENCH / "work"
    smoke: bool = False

    @classmethod
    def smoke_config(cls, work: Path) -> Config:
        return cls(
            runs=1,
            messages=2,
            minutes=0.6,
            long_messages=2,
            long_minutes=0.8,
            latency_s=0.05,
            cap_rpm=60,
            cap_requests=4,
            work=work,
            smoke=True,
        )


@dataclass
class Measure:
    name: str
    runs: list[float]
    unit: str = "s"
    load: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return median(self.runs)


@dataclass
class Results:
    config: dict[str, object]
    machine: dict[str, str]
    date: str
    measures: dict[str, Measure] = field(default_factory=dict)
    facts: dict[str, object] = field(default_factory=dict)

    def add(self, key: str, measure: Measure) -> Measure:
        self.measures[key] = measure
        return measure


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


def timed(
    results: Results, key: str, name: str, runs: int, once: Callable[[int], Run], note: str = ""
) -> list[Run]:
    done = []
    for i in range(runs):
        run = once(i)
        log(f"{name}: run {i + 1}/{runs}: {run.seconds:.1f} s (load {run.load:.2f})")
        done.append(run)
    results.add(
        key, Measure(name, [r.seconds for r in done], load=[r.load for r in done], note=note)
    )
    return done


def stages(runs: list[Run]) -> dict[str, float]:
    """Median seconds per stage, from the renders' progress lines."""
    return {k: round(median([r.stages.get(k, 0.0) for r in runs]), 2) for k in runs[0].stages}


def memory(results: Results, key: str, what: str, runs: list[Run]) -> None:
    results.add(f"rss_{key}", Measure(f"peak RSS, {what}", [r.rss_kb / 1024 for r in runs], "MiB"))
    results.add(
        f"rss_{key}_tree",
        Measure(f"  with its live children, {what}", [r.rss_tree_kb / 1024 for r in runs], "MiB"),
    )
    results.add(
        f"rss_{key}_max",
        Measure(
            f"  largest process of the tree, {what}", [r.rss_max_kb / 1024 for r in runs], "MiB"
        ),
    )


def ffmpeg_encode(wav: Path, out: Path, sample_rate: int = 48_000) -> Run:
    """Baselines (b) and (c): an MP3 deliverable's encoder settings (the programme's own MP3
    at 48 kHz; the podcast's at 44.1 kHz, soxr), from the WAV on disk."""
    from audio_pipeline.audio import ffmpeg
    from audio_pipeline.delivery.sinks import codec_args
    from audio_pipeline.inputs.profiles import OutputFormat

    args, muxer = codec_args(OutputFormat("mp3", sample_rate=sample_rate))
    cmd = [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(wav)]
    cmd += ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact", *args]
    cmd += ["-f", muxer, "-y", str(out)]
    return harness.run_process(cmd, cwd=out.parent, env=dict(os.environ)).check()


def peer_ffmpeg_normalize(wav: Path, out: Path) -> Run:
    """ffmpeg-normalize (slhck/ffmpeg-normalize): EBU R128 to -23 LUFS, -1 dBTP, MP3 128k
    (its two passes: loudnorm measures, then normalizes and encodes), the bundled ffmpeg."""
    from audio_pipeline.audio import ffmpeg

    exe = Path(sys.executable).parent / "ffmpeg-normalize"
    cmd = [str(exe), str(wav), "-o", str(out), "-f", "-nt", "ebu", "-t", "-23", "-tp", "-1"]
    cmd += ["-c:a", "libmp3lame", "-b:a", "128k", "-ar", "48000"]
    env = dict(os.environ, FFMPEG_PATH=ffmpeg.ffmpeg_exe())
    return harness.run_process(cmd, cwd=out.parent, env=env).check()


def peer_ffmpeg_shortwave(wav: Path, out: Path) -> Run:
    """One ffmpeg command making the shortwave files: the band of the shipped profile,
    speechnorm and acompressor for the levelling, loudnorm to -23 LUFS / -2 dBTP, split into
    the MP3 (22.05 kHz, 32k) and the MP2 (48 kHz, 128k)."""
    from audio_pipeline.audio import ffmpeg

    chain = "highpass=f=150:poles=1,lowpass=f=4500,speechnorm=e=6:r=0.0001:l=1,"
    chain += "acompressor=threshold=-29dB:ratio=2:attack=5:release=150,"
    chain += "loudnorm=I=-23:TP=-2:LRA=11,aresample=48000,asplit=2[wide][b];"
    chain += "[wide]aresample=22050:resampler=soxr[a]"
    cmd = [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(wav)]
    cmd += ["-filter_complex", f"[0:a]{chain}"]
    cmd += ["-map", "[a]", "-c:a", "libmp3lame"]
    cmd += ["-b:a", "32k", "-y", str(out.with_suffix(".mp3"))]
    cmd += ["-map", "[b]", "-c:a", "mp2", "-b:a", "128k", "-y", str(out.with_suffix(".mp2"))]
    return harness.run_process(cmd, cwd=out.parent, env=dict(os.environ)).check()


def shipped_chains() -> dict[str, list[str]]:
    """The processors each shipped profile's chain is made of (what the profiles run
    measured: the shortwave chain is another engineer's to change)."""
    from audio_pipeline.delivery.streams import profile_chain
    from audio_pipeline.inputs.profiles import shipped_profiles

    profiles, _ = shipped_profiles()
    return {
        name: [type(p).__name__ for p in profile_chain(profiles[name], -23.0).processors]
        for name in ("ebu-r128", "shortwave", "podcast")
        if name in profiles
    }


def bench(cfg: Config) -> Results:
    cfg.work.mkdir(parents=True, exist_ok=True)
    results = Results(
        config={k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        machine=harness.machine(),
        date=dt.date.today().isoformat(),
    )
    want = set(cfg.sections)
    w = make_workload(cfg.work / "w-main", cfg.messages, cfg.minutes)
    results.facts["letters"] = w.letters
    offline_cache = cfg.work / "cache-offline"

    if want & {"warm", "ffmpeg", "profiles"}:
        log(f"populating the clip cache (offline voice, {cfg.messages} messages)")
        first = harness.render(w.episode("offline"), w.root, fresh(offline_cache))
        results.facts["populate_s"] = round(first.seconds, 1)
    wav = w.root / "output" / "bench-offline" / "bench-offline.wav"
    if "warm" in want:
        # each warm render is followed at once by baseline (b) on the WAV it wrote, so a slow
        # spell of the machine (a shared VM's steal time) weighs on both sides of a ratio
        warm: list[Run] = []
        floor: list[Run] = []
        for i in range(cfg.runs):
            warm.append(harness.render(w.episode("offline"), w.root, offline_cache))
            log(f"warm render: run {i + 1}/{cfg.runs}: {warm[-1].seconds:.1f} s")
            if "ffmpeg" in want:
                floor.append(ffmpeg_encode(wav, cfg.work / "baseline-b.mp3"))
                log(f"ffmpeg alone: run {i + 1}/{cfg.runs}: {floor[-1].seconds:.1f} s")
        for run in warm:
            if harness.clips_synthesized(run) != 0:
                raise RuntimeError("a warm render synthesized clips")
        name = f"warm render, {cfg.messages} messages (<id>.wav + <id>.mp3)"
        results.add("warm", Measure(name, [r.seconds for r in warm], load=[r.load for r in warm]))
        if floor:
            name = "ffmpeg alone: programme WAV -> MP3 (baseline b)"
            results.add(
                "ffmpeg", Measure(name, [r.seconds for r in floor], load=[r.load for r in floor])
            )
            results.facts["warm_over_ffmpeg_per_run"] = [
                round(a.seconds / b.seconds, 2) for a, b in zip(warm, floor, strict=True)
            ]
        results.facts["programme_s"] = harness.programme_seconds(warm[-1])
        results.facts["warm_stages"] = stages(warm)
        results.facts["warm_cpu_s"] = [round(r.cpu_s, 1) for r in warm]
        results.facts["ffmpeg_cpu_s"] = [round(r.cpu_s, 1) for r in floor]
        memory(results, "main", "main programme", warm)
    elif "ffmpeg" in want:
        if not wav.exists():
            harness.render(w.episode("offline"), w.root, offline_cache)
        timed(
            results,
            "ffmpeg",
            "ffmpeg alone: programme WAV -> MP3 (baseline b)",
            cfg.runs,
            lambda i: ffmpeg_encode(wav, cfg.work / "baseline-b.mp3"),
        )
    master = w.root / "output" / "bench-profiles" / "bench-profiles-ebu-r128.wav"
    if "profiles" in want:
        # as the warm renders: each followed at once by baseline (c) on the WAV it wrote
        runs: list[Run] = []
        podcast: list[Run] = []
        for i in range(cfg.runs):
            runs.append(harness.render(w.episode("profiles"), w.root, offline_cache))
            log(f"profiles render: run {i + 1}/{cfg.runs}: {runs[-1].seconds:.1f} s")
            podcast.append(ffmpeg_encode(master, cfg.work / "baseline-c.mp3", 44_100))
            log(f"ffmpeg alone, podcast MP3: run {i + 1}/{cfg.runs}: {podcast[-1].seconds:.1f} s")
        name = "warm render, ebu-r128 + shortwave + podcast"
        seconds, load = [r.seconds for r in runs], [r.load for r in runs]
        results.add("profiles", Measure(name, seconds, load=load))
        name = "ffmpeg alone: the WAV -> podcast MP3, 44.1 kHz 128k (baseline c)"
        results.add(
            "ffmpeg_podcast",
            Measure(name, [r.seconds for r in podcast], load=[r.load for r in podcast]),
        )
        results.facts["profiles_over_podcast_per_run"] = [
            round(a.seconds / b.seconds, 2) for a, b in zip(runs, podcast, strict=True)
        ]
        results.facts["profiles_stages"] = stages(runs)
        results.facts["profiles_cpu_s"] = [round(r.cpu_s, 1) for r in runs]
        results.facts["podcast_cpu_s"] = [round(r.cpu_s, 1) for r in podcast]
        results.facts["profile_chains"] = shipped_chains()
        memory(results, "profiles", "three profiles", runs)
    if "peers" in want:
        if not master.exists():
            harness.render(w.episode("profiles"), w.root, offline_cache)
        timed(
            results,
            "peer_normalize",
            "peer: ffmpeg-normalize, the WAV -> -23 LUFS MP3",
            cfg.runs,
            lambda i: peer_ffmpeg_normalize(master, cfg.work / "peer-normalize.mp3"),
        )
        timed(
            results,
            "peer_shortwave",
            "peer: one ffmpeg command, the WAV -> shortwave MP3 + MP2",
            cfg.runs,
            lambda i: peer_ffmpeg_shortwave(master, cfg.work / "peer-shortwave"),
        )

    if want & {"cold", "naive", "cap", "edit"}:
        cold_sections(cfg, w, results, want)

    if "long" in want:
        long = make_workload(cfg.work / "w-long", cfg.long_messages, cfg.long_minutes)
        cache = cfg.work / "cache-long"
        log(f"populating the clip cache of the long programme ({cfg.long_messages} messages)")
        harness.render(long.episode("offline"), long.root, fresh(cache))
        runs = timed(
            results,
            "long",
            f"warm render, {cfg.long_messages} messages, long programme",
            cfg.runs,
            lambda i: harness.render(long.episode("offline"), long.root, cache),
        )
        results.facts["long_programme_s"] = harness.programme_seconds(runs[-1])
        memory(results, "long", "long programme", runs)
    return results


def cold_sections(cfg: Config, w: Workload, results: Results, want: set[str]) -> None:
    uncapped = ("--requests-per-minute", str(cfg.uncapped_rpm))
    episode = w.episode("google")
    with standin(0.0) as server:
        # the stand-in makes each answer's MP3 once and keeps it: this untimed run makes them
        # all, so the timed runs below measure the render, not the stand-in's encoder
        log("priming the stand-in (no latency)")
        prime = harness.render(
            episode,
            w.root,
            fresh(cfg.work / "cache-prime"),
            "--concurrency",
            "4",
            *uncapped,
            env=proxy_env(server),
        )
        if harness.clips_synthesized(prime) != cfg.messages:
            raise RuntimeError("the priming render did not synthesize every clip")
        per_render = len(server.records)
    results.facts["requests_per_cold_render"] = per_render

    with standin(cfg.latency_s) as server:
        env = proxy_env(server)
        if "cold" in want:
            for c in cfg.concurrency:
                counts: list[int] = []
                peaks: list[int] = []

                cpu: list[tuple[float, float]] = []

                def once(
                    i: int,
                    c: int = c,
                    counts: list[int] = counts,
                    peaks: list[int] = peaks,
                    cpu: list[tuple[float, float]] = cpu,
                ) -> Run:
                    server.records.clear()
                    before = resource.getrusage(resource.RUSAGE_SELF)
                    run = harness.render(
                        episode,
                        w.root,
                        fresh(cfg.work / f"cache-cold-{c}-{i}"),
                        "--concurrency",
                        str(c),
                        *uncapped,
                        env=env,
                    )
                    after = resource.getrusage(resource.RUSAGE_SELF)
                    standin_cpu = (after.ru_utime + after.ru_stime) - (
                        before.ru_utime + before.ru_stime
                    )
                    cpu.append((round(run.cpu_s, 1), round(standin_cpu, 1)))
                    counts.append(len(server.records))
                    peaks.append(requests_in_window([r.t for r in server.records], 60.0))
                    if harness.clips_synthesized(run) != cfg.messages:
                        raise RuntimeError("a cold render did not synthesize every clip")
                    return run

                runs = timed(
                    results,
                    f"cold_c{c}",
                    f"cold render, concurrency {c}, {cfg.latency_s * 1000:.0f} ms per request",
                    cfg.runs,
                    once,
                )
                synth = [r.stages.get("synthesizing", math.nan) for r in runs]
                results.add(f"cold_c{c}_synth", Measure(f"  of which synthesizing (c={c})", synth))
                results.facts[f"cold_c{c}_requests"] = counts
                results.facts[f"cold_c{c}_max_per_minute"] = peaks
                results.facts[f"cold_c{c}_stages"] = stages(runs)
                # CPU seconds per run: the render with its ffmpeg children, and the stand-in
                # (this process) serving it: what the two cores were busy with
                results.facts[f"cold_c{c}_cpu_render_standin"] = cpu
        if "naive" in want:
            counts = []

            def naive_once(i: int) -> Run:
                server.records.clear()
                out = cfg.work / "baseline-a.mp3"
                cmd = [sys.executable, "-m", "bench.naive", str(episode), str(out)]
                run = harness.run_process(cmd, cwd=BENCH.parent, env=env).check()
                counts.append(len(server.records))
                return run

            name = "naive gTTS + pydub script, sequential (baseline a)"
            timed(results, "naive", name, cfg.runs, naive_once)
            results.facts["naive_requests"] = counts
        if "cap" in want:
            per_message = max(1.0, per_render / cfg.messages)
            take = min(cfg.messages, max(1, math.ceil(cfg.cap_requests / per_message)))
            cap_episode = write_episode(w, "cap", list(w.message_ids[:take]), "ko-google")
            server.records.clear()
            log(f"rate cap: {take} messages at {cfg.cap_rpm} requests/minute, concurrency 4")
            run = harness.render(
                cap_episode,
                w.root,
                fresh(cfg.work / "cache-cap"),
                "--concurrency",
                "4",
                "--requests-per-minute",
                str(cfg.cap_rpm),
                env=env,
            )
            times = sorted(r.t for r in server.records)
            span = times[-1] - times[0] if len(times) > 1 else 0.0
            results.facts["cap"] = {
                "rpm": cfg.cap_rpm,
                "messages": take,
                "requests": len(times),
                "seconds": round(run.seconds, 1),
                "max_in_60s": requests_in_window(times, 60.0),
                "max_in_10s": requests_in_window(times, 10.0),
                "allowed_in_10s": 1 + math.floor(cfg.cap_rpm * 10 / 60),
                "achieved_rpm": round((len(times) - 1) / span * 60, 1) if span else None,
            }
        if "edit" in want:
            cache = cfg.work / "cache-edit"
            log("edit: a full cold render at concurrency 4 first")
            fresh(cache)
            harness.render(episode, w.root, cache, "--concurrency", "4", *uncapped, env=env)
            synthesized: list[int] = []
            counts = []

            def edit_once(i: int) -> Run:
                edit_message(w, w.message_ids[i % len(w.message_ids)])
                server.records.clear()
                options = ("--concurrency", "4", *uncapped)
                run = harness.render(episode, w.root, cache, *options, env=env)
                synthesized.append(harness.clips_synthesized(run))
                counts.append(len(server.records))
                return run

            timed(results, "edit", "re-render after editing one message (c=4)", cfg.runs, edit_once)
            results.facts["edit_clips_synthesized"] = synthesized
            results.facts["edit_requests"] = counts


# --- the report ----------------------------------------------------------------------------------


def _fmt(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.0f} {unit}" if unit == "MiB" else f"{value:.1f} {unit}"


def verdicts(r: Results) -> list[tuple[str, str, str, str]]:
    """(target, goal, measured, met) rows."""
    m, f = r.measures, r.facts
    rows: list[tuple[str, str, str, str]] = []
    if "warm" in m and "ffmpeg" in m:
        pairs = f.get("warm_over_ffmpeg_per_run")
        ratio = m["warm"].median / m["ffmpeg"].median
        if isinstance(pairs, list) and pairs:
            ratio = median(pairs)  # run by run: each render against the encode right after it
        rows.append(
            (
                "warm render vs ffmpeg-alone MP3 encode",
                "<= 1.5x",
                f"{ratio:.2f}x (median of per-run ratios; medians "
                f"{m['warm'].median:.1f} s / {m['ffmpeg'].median:.1f} s)",
                "yes" if ratio <= 1.5 else "**no**",
            )
        )
    if "profiles" in m and "ffmpeg_podcast" in m:
        pairs = f.get("profiles_over_podcast_per_run")
        ratio = m["profiles"].median / m["ffmpeg_podcast"].median
        if isinstance(pairs, list) and pairs:
            ratio = median(pairs)
        chains = f.get("profile_chains", {})
        shortwave = "+".join(chains.get("shortwave", [])) if isinstance(chains, dict) else ""
        rows.append(
            (
                f"three-profile warm render vs ffmpeg-alone podcast MP3 (shortwave chain: "
                f"{shortwave or 'none'})",
                "<= 2x",
                f"{ratio:.2f}x (median of per-run ratios; medians "
                f"{m['profiles'].median:.1f} s / {m['ffmpeg_podcast'].median:.1f} s)",
                "yes" if ratio <= 2.0 else "**no**",
            )
        )
    if "cold_c1" in m and "cold_c4" in m:
        ratio = m["cold_c1"].median / m["cold_c4"].median
        rows.append(
            (
                "cold render, concurrency 4 vs 1",
                ">= 3.5x faster",
                f"{ratio:.2f}x ({m['cold_c1'].median:.1f} s / {m['cold_c4'].median:.1f} s)",
                "yes" if ratio >= 3.5 else "**no**",
            )
        )
        s1, s4 = m["cold_c1_synth"].median, m["cold_c4_synth"].median
        rows.append(
            (
                "  synthesis stage alone, concurrency 4 vs 1",
                "(for the record)",
                f"{s1 / s4:.2f}x ({s1:.1f} s / {s4:.1f} s)",
                "",
            )
        )
    if "cap" in f:
        cap = f["cap"]
        assert isinstance(cap, dict)
        ok = cap["max_in_60s"] <= cap["rpm"] and cap["max_in_10s"] <= cap["allowed_in_10s"]
        rows.append(
            (
                "rate cap honoured (counted at the stand-in)",
                f"<= {cap['rpm']} in any 60 s, <= {cap['allowed_in_10s']} in any 10 s",
                f"{cap['max_in_60s']} in 60 s, {cap['max_in_10s']} in 10 s "
                f"({cap['requests']} requests, {cap['achieved_rpm']}/min achieved)",
                "yes" if ok else "**no**",
            )
        )
    if "edit_clips_synthesized" in f:
        clips = f["edit_clips_synthesized"]
        assert isinstance(clips, list)
        rows.append(
            (
                "editing one message re-synthesizes one clip",
                "exactly 1",
                f"{clips} clips; requests {f['edit_requests']}",
                "yes" if all(c == 1 for c in clips) else "**no**",
            )
        )
    if "rss_long" in m:
        peak = m["rss_long"].median
        minutes = float(f.get("long_programme_s", math.nan)) / 60  # type: ignore[arg-type]
        rows.append(
            (
                f"peak RSS, {minutes:.0f}-minute programme",
                "<= 1 GB (953 MiB)",
                f"{peak:.0f} MiB (whole tree {m['rss_long_tree'].median:.0f} MiB)",
                "yes" if peak * 1024 * 1024 <= 1e9 else "**no**",
            )
        )
    return rows


def markdown(r: Results) -> str:
    mach = r.machine
    lines = [
        f"Run of {r.date} on {mach['cpu']}, {mach['cores']} cores, {mach['ram']} RAM, "
        f"{mach['os']}, Python {mach['python']}, {mach['ffmpeg']} (imageio-ffmpeg).",
        "",
        f"Workload: {r.config['messages']} messages, "
        f"{float(r.facts.get('programme_s', math.nan)) / 60:.1f}-minute programme "  # type: ignore[arg-type]
        f"({r.facts.get('letters')} letters of Korean text); "
        f"stand-in latency {float(r.config['latency_s']) * 1000:.0f} ms per request; "  # type: ignore[arg-type]
        f"medians of {r.config['runs']} runs. Load average (1 min) at the start of each run "
        "in brackets.",
        "",
        "| measure | median | runs |",
        "|---|---:|---|",
    ]
    for measure in r.measures.values():
        runs = ", ".join(_fmt(v, measure.unit).split()[0] for v in measure.runs)
        load = f" [{', '.join(f'{x:.1f}' for x in measure.load)}]" if measure.load else ""
        lines.append(f"| {measure.name} | {_fmt(measure.median, measure.unit)} | {runs}{load} |")
    lines += ["", "| target | goal | measured | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in verdicts(r)]
    lines += ["", "<details><summary>facts of the run (JSON)</summary>", "", "```json"]
    lines += [json.dumps(r.facts, ensure_ascii=False, indent=1), "```", "", "</details>"]
    return "\n".join(lines)


def write_results(r: Results, target: Path) -> None:
    text = markdown(r)
    if target.exists() and START in target.read_text("utf-8"):
        before, rest = target.read_text("utf-8").split(START, 1)
        after = rest.split(END, 1)[1] if END in rest else ""
        target.write_text(f"{before}{START}\n{text}\n{END}{after}", "utf-8")
    else:
        target.write_text(f"{START}\n{text}\n{END}\n", "utf-8")


def parse(argv: Sequence[str]) -> tuple[Config, Path]:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--smoke", action="store_true", help="tiny sizes, one run: checks the harness")
    p.add_argument("--runs", type=int)
    p.add_argument("--messages", type=int)
    p.add_argument("--minutes", type=float)
    p.add_argument("--long-messages", type=int)
    p.add_argument("--long-minutes", type=float)
    p.add_argument("--latency", type=float, help="stand-in seconds per request")
    p.add_argument("--sections", help=f"comma-separated, of: {','.join(SECTIONS)}")
    p.add_argument("--work", type=Path, help="work folder (default: bench/work/)")
    p.add_argument("--out", type=Path, help="results markdown (default: bench/RESULTS.md)")
    a = p.parse_args(argv)
    # absolute: renders run in the workload's own folder
    work = (a.work or BENCH / "work" / ("smoke" if a.smoke else "full")).resolve()
    cfg = Config.smoke_config(work) if a.smoke else Config(work=work)
    for name in ("runs", "messages", "minutes", "long_messages", "long_minutes"):
        if getattr(a, name) is not None:
            setattr(cfg, name, getattr(a, name))
    if a.latency is not None:
        cfg.latency_s = a.latency
    if a.sections:
        unknown = set(a.sections.split(",")) - set(SECTIONS)
        if unknown:
            p.error(f"unknown sections: {', '.join(sorted(unknown))}")
        cfg.sections = tuple(a.sections.split(","))
    out = a.out or (work / "RESULTS.md" if a.smoke else RESULTS)
    return cfg, out


def main(argv: Sequence[str] | None = None) -> int:
    cfg, out = parse(sys.argv[1:] if argv is None else argv)
    results = bench(cfg)
    write_results(results, out)
    (out.parent / ("results.json" if out == RESULTS else f"{out.stem}.json")).write_text(
        json.dumps(
            {
                "date": results.date,
                "machine": results.machine,
                "config": results.config,
                "measures": {k: asdict(v) for k, v in results.measures.items()},
                "facts": results.facts,
            },
            ensure_ascii=False,
            indent=1,
        ),
        "utf-8",
    )
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
