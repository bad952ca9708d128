"""Delivery profiles: what a transmitter partner receives (loudness, band, levelling, files).

Shipped defaults live in audio_pipeline/data/profiles.yaml; a project adds or overrides
profiles with input/profiles/<name>.yaml. An episode names the profiles it delivers; with
none named, it gets the implicit `programme` profile: its own target and ceiling, written as
<episode>.wav (48 kHz 24-bit) and <episode>.mp3, as the first version of the pipeline did.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from audio_pipeline.audio.am_processing import PRESETS, AMProcessing
from audio_pipeline.audio.processing import BandLimit, Levelling
from audio_pipeline.core import defaults
from audio_pipeline.core.codecs import CODECS, MP3, WAV, Codec
from audio_pipeline.core.errors import Problem
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.fields import ID_PATTERN, ID_RULE, FieldReader, SubReader
from audio_pipeline.inputs.yamlio import load_yaml_mapping

PROGRAMME = "programme"
DEFAULT_FILE = "{episode}-{profile}.{ext}"
PROFILE_FIELDS = (
    "description",
    "target_lufs",
    "true_peak_dbtp",
    "band",
    "levelling",
    "am_processing",
    "formats",
    "max_lra",
)


@dataclass(frozen=True)
class OutputFormat:
    """One file of a delivery: codec, rate, bit depth or bitrate, and its name pattern."""

    codec: str  # a name in core.codecs.CODECS
    sample_rate: int = defaults.SAMPLE_RATE
    channels: int = 1
    bit_depth: int = defaults.WAV_BIT_DEPTH
    bitrate_k: int = defaults.MP3_BITRATE_K
    file: str = DEFAULT_FILE

    @property
    def spec(self) -> Codec:
        return CODECS[self.codec]

    @property
    def extension(self) -> str:
        return self.spec.extension

    def filename(self, episode_id: str, profile: str) -> str:
        return self.file.format(episode=episode_id, profile=profile, ext=self.extension)

    def describe(self) -> str:
        if self.spec.lossy:
            return f"{self.spec.label} {self.sample_rate} Hz {self.bitrate_k} kbit/s"
        return f"{self.spec.label} {self.sample_rate} Hz {self.bit_depth}-bit"


@dataclass(frozen=True)
class DeliveryProfile:
    name: str
    description: str
    target_lufs: float
    true_peak_dbtp: float
    formats: tuple[OutputFormat, ...]
    band: BandLimit | None = None
    levelling: Levelling | None = None
    source: str = "shipped"
    # the loudness range a delivered file may have (EBU Tech 3342 LRA, over the whole file);
    # None: not limited
    max_lra: float | None = None
    am_processing: AMProcessing | None = None


def programme_profile(target_lufs: float, ceiling_dbtp: float) -> DeliveryProfile:
    """The implicit profile of an episode that names none."""
    return DeliveryProfile(
        name=PROGRAMME,
        description="the episode's own programme: 48 kHz 24-bit WAV and MP3",
        target_lufs=target_lufs,
        true_peak_dbtp=ceiling_dbtp,
        formats=(
            OutputFormat(WAV, file="{episode}.{ext}"),
            OutputFormat(MP3, file="{episode}.{ext}"),
        ),
    )


FORMAT_FIELDS = ("codec", "sample_rate", "bit_depth", "bitrate_k", "file")
LEVELLING_FIELDS = (
    "leveller_max_gain_db",
    "compressor_ratio",
    "compressor_threshold_db",
    "attack_ms",
    "release_ms",
)


def _format(item: Any, where: str, r: FieldReader) -> OutputFormat | None:
    if not isinstance(item, dict):
        r.problem(where, "expected a mapping like {codec: mp3, sample_rate: 44100, bitrate_k: 128}")
        return None
    f = SubReader.of(r, where, item)
    before = len(r.problems)
    f.reject_unknown(FORMAT_FIELDS)
    name = f.choice("codec", CODECS)
    if name is None:
        return None
    codec = CODECS[name]
    rate = item.get("sample_rate", defaults.SAMPLE_RATE)
    if rate not in codec.sample_rates:
        allowed = ", ".join(map(str, codec.sample_rates))
        f.problem("sample_rate", f"{rate} is not allowed for {name}; allowed: {allowed}")
    depth = item.get("bit_depth", defaults.WAV_BIT_DEPTH)
    if codec.bit_depths and depth not in codec.bit_depths:
        allowed = ", ".join(map(str, codec.bit_depths))
        f.problem("bit_depth", f"{depth} is not allowed; allowed: {allowed}")
    bitrate = item.get("bitrate_k", defaults.MP3_BITRATE_K)
    if codec.bitrates_k and bitrate not in codec.bitrates_k:
        allowed = ", ".join(map(str, codec.bitrates_k))
        f.problem("bitrate_k", f"{bitrate} is not allowed for {name}; allowed: {allowed}")
    pattern = item.get("file", DEFAULT_FILE)
    if not isinstance(pattern, str) or "{episode}" not in pattern or not pattern.endswith(".{ext}"):
        f.problem("file", "must contain {episode} and end with .{ext}")
    elif any(c in pattern for c in "/\\") or pattern.startswith("."):
        f.problem("file", "must be a plain file name (no folders, not hidden)")
    if len(r.problems) > before:
        return None
    return OutputFormat(name, int(rate), 1, int(depth), int(bitrate), str(pattern))


def parse_profile(
    name: str, data: dict[str, Any], file: str, problems: list[Problem], source: str
) -> DeliveryProfile | None:
    # in the shipped file every profile is a mapping under its name: problems say so
    r = (
        SubReader(data, file, problems, name)
        if source == "shipped"
        else FieldReader(data, file, problems)
    )
    before = len(problems)
    r.reject_unknown(PROFILE_FIELDS)
    description = r.text("description", required=False, max_chars=500, multiline=True) or ""
    target = r.number("target_lufs", *defaults.TARGET_LUFS_RANGE, required=True)
    max_lra = r.number("max_lra", *defaults.MAX_LRA_RANGE)
    ceiling = r.number("true_peak_dbtp", *defaults.TRUE_PEAK_RANGE, required=True)
    band = None
    band_data = r.mapping("band")
    if band_data:
        b = SubReader.of(r, "band", band_data)
        b.reject_unknown(("highpass_hz", "lowpass_hz"))
        band = BandLimit(
            b.number("highpass_hz", 20.0, 1000.0, None),
            b.number("lowpass_hz", 2000.0, 20000.0, None),
        )
    levelling = None
    lev = r.mapping("levelling")
    if lev:
        v = SubReader.of(r, "levelling", lev)
        v.reject_unknown(LEVELLING_FIELDS)
        defaults_ = Levelling()
        levelling = Levelling(
            v.number("leveller_max_gain_db", 0.0, 12.0, defaults_.leveller_max_gain_db) or 0.0,
            v.number("compressor_ratio", 1.0, 4.0, defaults_.compressor_ratio) or 1.0,
            v.number("compressor_threshold_db", -20.0, 0.0, defaults_.compressor_threshold_db)
            or 0.0,
            v.number("attack_ms", 1.0, 100.0, defaults_.attack_ms) or defaults_.attack_ms,
            v.number("release_ms", 20.0, 2000.0, defaults_.release_ms) or defaults_.release_ms,
        )
    am = _am_processing(r, band, levelling)
    formats_data = data.get("formats")
    formats: list[OutputFormat] = []
    if not isinstance(formats_data, list) or not formats_data:
        r.problem("formats", "expected a list of at least one output format")
    else:
        for i, item in enumerate(formats_data):
            fmt = _format(item, f"formats[{i}]", r)
            if fmt is not None:
                formats.append(fmt)
    if len(problems) > before or target is None or ceiling is None:
        return None
    return DeliveryProfile(
        name,
        description.strip(),
        target,
        ceiling,
        tuple(formats),
        band,
        levelling,
        source,
        max_lra=max_lra,
        am_processing=am,
    )


# am_processing: each field's range (see audio/am_processing.py for what each does)
AM_RANGES: dict[str, tuple[float, float]] = {
    "highpass_hz": (50.0, 300.0),
    "dispersion_ms": (0.0, 12.0),
    "agc_range_db": (0.0, 20.0),
    "agc_attack_s": (0.05, 5.0),
    "agc_release_db_s": (0.5, 20.0),
    "gate_db": (10.0, 40.0),
    "presence_db": (0.0, 12.0),
    "presence_hz": (800.0, 4000.0),
    "compression_ratio": (1.0, 10.0),
    "compression_threshold_db": (-20.0, 10.0),
    "density_db": (0.0, 16.0),
}
AM_BAND_RANGES: dict[str, tuple[float, float]] = {  # one value for every band, or a list
    "attack_ms": (0.5, 200.0),
    "release_db_s": (5.0, 1000.0),
}
AM_CROSSOVERS = (2, 4)  # 3 to 5 bands
AM_CROSSOVER_HZ = (150.0, 4000.0)


def _am_processing(
    r: FieldReader, band: BandLimit | None, levelling: Levelling | None
) -> AMProcessing | None:
    """`am_processing: {preset: standard, <field>: <value>, ...}`: a preset, and any of its
    fields overridden, each range-checked."""
    data = r.mapping("am_processing")
    if not data:
        return None
    a = SubReader.of(r, "am_processing", data)
    before = len(r.problems)
    a.reject_unknown(("preset", "crossovers_hz", *AM_RANGES, *AM_BAND_RANGES))
    preset = PRESETS[a.choice("preset", PRESETS, required=False) or "standard"]
    if levelling is not None:
        r.problem("levelling", "cannot be used with am_processing (it has its own AGC); remove it")
    if band is None or band.lowpass_hz is None:
        r.problem(
            "band",
            "am_processing ends in the band limit: give band.lowpass_hz "
            "(4500 for AM broadcasting, ITU RR Appendix 11)",
        )
    changes: dict[str, Any] = {}
    for name, (lo, hi) in AM_RANGES.items():
        value = a.number(name, lo, hi)
        if value is not None:
            changes[name] = value
    crossovers = _am_crossovers(a, data.get("crossovers_hz"), band)
    if crossovers is not None:
        changes["crossovers_hz"] = crossovers
    bands = len(changes.get("crossovers_hz", preset.crossovers_hz)) + 1
    for name, (lo, hi) in AM_BAND_RANGES.items():
        values = _am_per_band(a, name, data.get(name), lo, hi, bands)
        if values is not None:
            changes[name] = values
        elif len(getattr(preset, name)) != bands:
            a.problem(name, f"give one value, or a list of {bands} (one per band)")
    if len(r.problems) > before:
        return None
    return replace(preset, **changes)


def _am_crossovers(a: SubReader, value: Any, band: BandLimit | None) -> tuple[float, ...] | None:
    if value is None:
        return None
    lo, hi = AM_CROSSOVER_HZ
    if band is not None and band.lowpass_hz is not None:
        hi = min(hi, band.lowpass_hz)
    n_lo, n_hi = AM_CROSSOVERS
    ok = (
        isinstance(value, list)
        and n_lo <= len(value) <= n_hi
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        and all(lo <= v <= hi for v in value)
        and all(hi_ > lo_ * 1.25 for lo_, hi_ in itertools.pairwise(value))
    )
    if not ok:
        a.problem(
            "crossovers_hz",
            f"expected a list of {n_lo} to {n_hi} frequencies from {lo:g} to {hi:g} Hz, "
            "rising, each at least a third of an octave (x1.25) above the one before",
        )
        return None
    return tuple(float(v) for v in value)


def _am_per_band(
    a: SubReader, name: str, value: Any, lo: float, hi: float, bands: int
) -> tuple[float, ...] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value] * bands
    if len(items) != bands or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi for v in items
    ):
        a.problem(
            name, f"expected one number or a list of {bands} (one per band), each {lo:g} to {hi:g}"
        )
        return None
    return tuple(float(v) for v in items)


def shipped_profiles() -> tuple[dict[str, DeliveryProfile], list[Problem]]:
    text = resources.files("audio_pipeline").joinpath("data/profiles.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    profiles: dict[str, DeliveryProfile] = {}
    problems: list[Problem] = []
    for name, data in raw.items():
        profile = parse_profile(
            name, data, "audio_pipeline/data/profiles.yaml", problems, "shipped"
        )
        if profile is not None:
            profiles[name] = profile
    return profiles, problems


def profiles_dir(project: Project) -> Path:
    return project.root / defaults.INPUT_DIR / "profiles"


def load_profiles(project: Project) -> tuple[dict[str, DeliveryProfile], list[Problem]]:
    """Shipped profiles, then the project's input/profiles/*.yaml (which may override them)."""
    profiles, problems = shipped_profiles()
    folder = profiles_dir(project)
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            shown = project.show(path)
            name = path.stem
            if not ID_PATTERN.match(name) or name == PROGRAMME:
                problems.append(
                    Problem(
                        shown,
                        "",
                        f"'{name}' is not a usable profile name; "
                        f"allowed: {ID_RULE}, not '{PROGRAMME}'",
                    )
                )
                continue
            # a broken file overriding a shipped profile takes it away: rendering with the
            # shipped one instead would deliver what the partner did not ask for, silently
            profiles.pop(name, None)
            data, found = load_yaml_mapping(path, root=project.root)
            problems += found
            if data is None:
                continue
            profile = parse_profile(name, data, shown, problems, shown)
            if profile is not None:
                profiles[name] = profile
    return profiles, problems
