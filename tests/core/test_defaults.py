"""The table of defaults: each default inside the range a file may set, the values the README
promises, limits that agree with the libraries and services they mirror, and a layout whose
folders nest the way the loaders expect."""

from __future__ import annotations

import re

import pytest
import yaml
from gtts import gTTS

from audio_pipeline.core import defaults
from tests.conftest import REPO

README = (REPO / "README.md").read_text("utf-8")

# (default, the range an input file may set it within)
DEFAULT_IN_RANGE = [
    ("TARGET_LUFS", "TARGET_LUFS_RANGE"),
    ("TRUE_PEAK_DBTP", "TRUE_PEAK_RANGE"),
    ("GAP_S", "GAP_RANGE"),
    ("SENTENCE_PAUSE_S", "PAUSE_RANGE"),
    ("PARAGRAPH_PAUSE_S", "PAUSE_RANGE"),
    ("FILL_MAX_SILENCE_S", "FILL_MAX_SILENCE_RANGE"),
    ("BED_LEVEL_LU", "BED_LEVEL_RANGE"),
    ("BED_DUCK_DB", "BED_DUCK_RANGE"),
    ("BED_ATTACK_S", "BED_ATTACK_RANGE"),
    ("BED_RELEASE_S", "BED_RELEASE_RANGE"),
    ("BED_FADE_S", "BED_FADE_RANGE"),
    ("BED_LOOP_CROSSFADE_S", "BED_LOOP_CROSSFADE_RANGE"),
    ("TRIM_THRESHOLD_DB", "TRIM_THRESHOLD_RANGE"),
    ("RENDER_CONCURRENCY", "RENDER_CONCURRENCY_RANGE"),
]


@pytest.mark.parametrize(("default", "allowed"), DEFAULT_IN_RANGE)
def test_each_default_is_a_value_its_own_field_accepts(default: str, allowed: str) -> None:
    value = getattr(defaults, default)
    lo, hi = getattr(defaults, allowed)
    assert lo < hi
    assert lo <= value <= hi, f"{default} = {value} is outside {allowed} = {(lo, hi)}"


def readme_number(pattern: str) -> float:
    """The one number a README phrase states (the phrase must be there exactly once)."""
    found = re.findall(pattern, README)
    assert len(found) == 1, (pattern, found)
    return float(found[0])


# (the README's phrase holding the number, what the number is multiplied by, the default)
DOCUMENTED = [
    (r"gap_s: \S+ +# default (\S+)\n", 1, "GAP_S"),
    (r"target_lufs: \S+ +# default (\S+) \(EBU R128\)", 1, "TARGET_LUFS"),
    (r"true_peak_dbtp: \S+ +# default (\S+)\n", 1, "TRUE_PEAK_DBTP"),
    (r"\(1-16, default (\d+)\)", 1, "RENDER_CONCURRENCY"),
    (r"`--requests-per-minute` \(default (\d+)", 1, "TTS_REQUESTS_PER_MINUTE"),
    (r"`fill.max_silence_s` \(default (\d+) s\)", 1, "FILL_MAX_SILENCE_S"),
    # fill.max_gap_s defaults to "the episode's `gap_s` plus 1 s"
    (r"the episode's `gap_s` plus (\d+) s", 1, "FILL_GAP_GROWTH_S"),
    (r"files over (\d+) KiB", 1024, "MAX_YAML_BYTES"),
    (r"# required, 1 to (\d+)", 1, "MAX_MESSAGES_PER_EPISODE"),
    (r"a `max_tempo`\s+of up to (\S+) lets", 1, "MAX_TEMPO_LIMIT"),
    (r"a warning from (\d+) % of a", 0.01, "USAGE_WARN_FRACTION"),
]


@pytest.mark.parametrize(("phrase", "scale", "name"), DOCUMENTED, ids=[d[2] for d in DOCUMENTED])
def test_the_defaults_the_readme_promises_are_the_defaults(
    phrase: str, scale: float, name: str
) -> None:
    assert readme_number(phrase) * scale == pytest.approx(getattr(defaults, name))


def test_ranges_the_readme_states() -> None:
    assert defaults.RENDER_CONCURRENCY_RANGE == (1, 16)  # --concurrency N (1-16, default 2)
    assert defaults.TEMPO_RANGE == (0.5, 2.0)
    assert re.search(r"tempo: .*; 0\.5 to 2\.0\n", README)
    assert defaults.BED_LEVEL_RANGE == (-40.0, -6.0)
    assert "level_lu: -16                # bed loudness relative to the target (-40 to -6)" in (
        README
    )


def test_gtts_limit_is_the_one_gtts_itself_keeps() -> None:
    assert defaults.GTTS_MAX_CHARS == gTTS.GOOGLE_TTS_MAX_CHARS


def test_the_longest_sentence_a_neural_service_gets_fits_in_one_request() -> None:
    assert defaults.AZURE_MAX_CHARS <= defaults.AZURE_MAX_REQUEST_CHARS
    # Hangul takes three bytes in UTF-8: a sentence of Hangul at the limit still fits
    sentence = "가" * defaults.GOOGLE_CLOUD_MAX_CHARS
    assert len(sentence.encode("utf-8")) <= defaults.GOOGLE_CLOUD_MAX_REQUEST_BYTES


def test_free_tiers_are_those_of_the_paid_engines() -> None:
    assert defaults.FREE_TIER_CHARS == {"azure": 500_000, "google-cloud": 1_000_000}


def test_the_layout_nests_as_the_loaders_expect() -> None:
    assert defaults.ALLOWED_AUDIO_DIRS == (defaults.VOICES_DIR, defaults.INPUT_DIR)
    for inside_input in (
        defaults.MESSAGES_DIR,
        defaults.EPISODES_DIR,
        defaults.METADATA_POLICY_FILE,
        defaults.IDENTIFYING_FILE,
    ):
        assert inside_input.startswith(defaults.INPUT_DIR + "/"), inside_input
    # filler audio must be readable: it lives in an allowed audio folder
    assert defaults.FILLERS_DIR.split("/")[0] in defaults.ALLOWED_AUDIO_DIRS


def test_the_default_voice_is_the_shipped_offline_voice() -> None:
    profile = yaml.safe_load(
        (REPO / defaults.VOICES_DIR / f"{defaults.DEFAULT_VOICE}.yaml").read_text("utf-8")
    )
    assert profile["engine"] == "espeak"  # the embedded voice: no network
