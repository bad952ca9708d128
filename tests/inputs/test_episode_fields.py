"""The fields of an episode file, one group at a time: ids and unknown fields, the slot
(slot, margin, fit, max_tempo), filling it, selecting from the queue, casting, the bed and the
deliverables; each problem one line (file, field, what is wrong, what is allowed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from audio_pipeline.core.errors import InputError, Problem
from audio_pipeline.core.models import FillSettings, SelectOrder, SelectRule, VoiceProfile
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episode_fields import (
    Casting,
    read_casting,
    read_deliverables,
    read_episode,
    read_message_voices,
)
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.inputs.fields import FieldReader
from tests.conftest import write_yaml
from tests.inputs.conftest import PARTNER, edit_partner, load_problems, problems_of


def test_unsafe_ids(project: Project) -> None:
    lines = problems_of(project, id="../evil", messages=["Not_Safe"])
    assert any(
        line.startswith("input/episodes/test-ep.yaml: id: '../evil' is not a safe id")
        for line in lines
    )
    assert any("messages[0]: 'Not_Safe' is not a safe id" in line for line in lines)


def test_unknown_fields_are_reported_with_the_allowed_ones(project: Project) -> None:
    lines = problems_of(project, titel="typo")
    assert lines[0].startswith(
        "input/episodes/test-ep.yaml: titel: unknown field; did you mean 'title'? allowed fields:"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"voice_rotation": ["ko-azure-female", "ko-nobody"]},
            "voice_rotation[1]: unknown voice 'ko-nobody'; voices in voices/: ko-azure-female,",
        ),
        ({"voice_rotation": "ko-azure-female"}, "voice_rotation: expected a list of voice names"),
        (
            {"messages": ["not-alone", {"id": "church-prays", "voice": "ko-nobody"}]},
            "messages[1].voice: unknown voice 'ko-nobody'",
        ),
        (
            {"messages": [{"id": "church-prays", "speaker": "ko-offline"}]},
            "messages[0].speaker: unknown field; allowed fields: id, voice",
        ),
        ({"messages": [{"voice": "ko-offline"}]}, "messages[0].id: missing"),
    ],
)
def test_casting_problems_are_one_line_each(
    project: Project, change: dict[str, object], expected: str
) -> None:
    path = project.episodes_dir / "2026-w47-neural.yaml"
    data = {**yaml.safe_load(path.read_text("utf-8")), **change}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(InputError) as failure:
        load_episode(path, project)
    lines = [str(p) for p in failure.value.problems]
    assert any(expected in line for line in lines), lines
    assert all("\n" not in line for line in lines)


def test_unknown_profile_and_bad_slot_fields(project: Project) -> None:
    lines = problems_of(
        project,
        deliverables=["ebu-r128", "longwave"],
        slot="quarter hour",
        fit="snug",
        max_tempo=1.2,
    )
    text = "\n".join(lines)
    assert (
        "deliverables[1]: unknown profile 'longwave'; "
        "profiles: ebu-r128, mediumwave, podcast, shortwave" in text
    )
    assert "slot: 'quarter hour' is not a duration; write mm:ss (e.g. 15:00) or seconds" in text
    assert "fit: 'snug' is not allowed; allowed: max, exact" in text
    assert "max_tempo: 1.2 is out of range; allowed: 1 to 1.05" in text


def test_margin_must_be_shorter_than_the_slot(project: Project) -> None:
    assert any(
        "margin: must be shorter than the slot" in line
        for line in problems_of(project, slot="2:00", margin="2:00")
    )


def test_bed_problems_are_named_under_bed(project: Project) -> None:
    lines = problems_of(
        project, bed={"file": "voices/beds/none.wav", "under": "everything", "level_lu": 0}
    )
    text = "\n".join(lines)
    assert "bed.file: 'voices/beds/none.wav' does not exist" in text
    assert "bed.under: 'everything' is not allowed; allowed: programme, bumpers" in text
    assert "bed.level_lu: 0 is out of range; allowed: -40 to -6" in text


def test_two_profiles_writing_one_file_is_a_problem(project: Project) -> None:
    write_yaml(
        project.root / "input/profiles/clash.yaml",
        {
            "target_lufs": -23,
            "true_peak_dbtp": -1,
            "formats": [{"codec": "wav", "file": "{episode}-ebu-r128.{ext}"}],
        },
    )
    lines = problems_of(project, deliverables=["ebu-r128", "clash"])
    assert any("writes test-ep-ebu-r128.wav, as 'ebu-r128' does" in line for line in lines)


def test_fill_needs_an_exact_fit_and_a_gap_no_longer_than_the_longest_silence(
    project: Project,
) -> None:
    path = edit_partner(project, fit="max", fill={"max_gap_s": 4.0, "max_silence_s": 2.0})
    assert load_problems(project, path) == [
        f"{PARTNER}: fill: only a fit: exact episode is filled; set fit: exact or remove fill",
        f"{PARTNER}: fill.max_gap_s: 4 s is longer than max_silence_s (2 s): a gap is a silence",
    ]


# --- the fields read one group at a time, without loading the episode's audio ---------------

MINIMAL: dict[str, object] = {
    "id": "e",
    "title": "시험 방송",
    "date": "2026-11-22",
    "voice": "ko-offline",
    "messages": ["not-alone"],
    "intro": "voices/bumpers/intro.wav",
    "outro": "voices/bumpers/outro.wav",
}


def read(
    tmp_path: Path, changes: dict[str, object] | None = None, drop: tuple[str, ...] = ()
) -> tuple[dict[str, object], list[str]]:
    project = Project.at(tmp_path)
    data = {k: v for k, v in {**MINIMAL, **(changes or {})}.items() if k not in drop}
    path = write_yaml(project.episodes_dir / "e.yaml", data)
    problems: list[Problem] = []
    parsed = read_episode(path, project, problems)
    assert parsed is not None
    return parsed[0], [str(p).removeprefix("input/episodes/e.yaml: ") for p in problems]


def test_an_episode_without_the_optional_fields_gets_the_documented_defaults(
    tmp_path: Path,
) -> None:
    values, problems = read(tmp_path)
    assert problems == []
    assert values == {
        "id": "e",
        "title": "시험 방송",
        "date": dt.date(2026, 11, 22),
        "voice": "ko-offline",
        "fallback_voice": None,
        "cast": {},
        "messages": ("not-alone",),
        "select": None,
        "intro": "voices/bumpers/intro.wav",
        "outro": "voices/bumpers/outro.wav",
        "sting": None,
        "gap_s": 1.5,
        "target_lufs": -23.0,
        "true_peak_dbtp": -1.0,
        "station": None,
        "crossfade_s": 0.0,
        "max_tempo": 1.0,
        "slot_s": None,
        "margin_s": 0.0,
        "fit": "max",
        "fill": FillSettings(max_gap_s=None, max_silence_s=3.0, pool=None),
    }


@pytest.mark.parametrize(
    ("slot", "margin", "slot_s", "margin_s"),
    [
        ("15:00", "1:30", 900.0, 90.0),
        (600, 30, 600.0, 30.0),
        ("1:02:03", "0:00.5", 3723.0, 0.5),
        ("90:00", None, 5400.0, 0.0),
    ],
)
def test_slot_and_margin_as_clock_times_or_seconds(
    tmp_path: Path, slot: object, margin: object, slot_s: float, margin_s: float
) -> None:
    changes = {"slot": slot, "fit": "exact", **({"margin": margin} if margin else {})}
    values, problems = read(tmp_path, changes)
    assert problems == []
    assert (values["slot_s"], values["margin_s"], values["fit"]) == (slot_s, margin_s, "exact")


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"slot": "0:30"}, "slot: 30 s is out of range; allowed: 1:00 to 6:00:00"),
        ({"slot": "7:00:00"}, "slot: 25200 s is out of range; allowed: 1:00 to 6:00:00"),
        ({"slot": "15:60"}, "slot: '15:60' is not a duration; write mm:ss (e.g. 15:00) or seconds"),
        ({"margin": "1:00"}, "slot: missing; margin and fit need a slot"),
        ({"fit": "exact"}, "slot: missing; margin and fit need a slot"),
        ({"max_tempo": 1.02}, "max_tempo: needs a slot: the tempo-up only serves to fit one"),
        ({"crossfade_s": 4}, "crossfade_s: 4 is out of range; allowed: 0 to 3"),
        (
            {"id": "preview"},
            "id: 'preview' is reserved (output/preview/ belongs to the `audio-pipeline preview` "
            "command); choose another id",
        ),
        (
            {"id": "review"},
            "id: 'review' is reserved (output/review/ belongs to the `audio-pipeline review` "
            "command); choose another id",
        ),
        ({"date": "2026-02-30"}, "date: '2026-02-30' is not a date; write it as YYYY-MM-DD"),
    ],
)
def test_a_bad_field_is_one_line(tmp_path: Path, changes: dict[str, object], line: str) -> None:
    assert read(tmp_path, changes)[1] == [line]


def test_a_message_may_name_its_own_voice(tmp_path: Path) -> None:
    values, problems = read(tmp_path, {"messages": [{"id": "a", "voice": "ko-google"}, "b"]})
    assert problems == []
    assert values["cast"] == {"a": "ko-google"} and values["messages"] == ("a", "b")


def test_select_instead_of_messages(tmp_path: Path) -> None:
    values, problems = read(tmp_path, {"select": {"max_messages": 8}}, drop=("messages",))
    assert problems == [] and values["messages"] == ()
    assert values["select"] == SelectRule(8, SelectOrder.OLDEST_APPROVAL, None, False)
    select = {
        "status": "approved",
        "max_messages": 3,
        "order": "newest_approval",
        "max_duration_s": 600,
        "allow_repeats": True,
    }
    values, problems = read(tmp_path, {"select": select}, drop=("messages",))
    assert problems == []
    assert values["select"] == SelectRule(3, SelectOrder.NEWEST_APPROVAL, 600.0, True)


def test_an_episode_lists_its_messages_or_selects_them(tmp_path: Path) -> None:
    assert read(tmp_path, drop=("messages",))[1] == ["messages: missing; this field is required"]
    assert read(tmp_path, {"select": {"max_messages": 8}})[1] == [
        "select: an episode either lists its messages or selects them from the queue; "
        "remove 'messages' or 'select'"
    ]


def test_every_problem_of_select_is_named_under_select(tmp_path: Path) -> None:
    select = {"max_messages": 0, "status": "pending", "order": "random", "max_duration_s": 5}
    values, problems = read(tmp_path, {"select": {**select, "limit": 1}}, drop=("messages",))
    assert values["select"] is None
    assert problems == [
        "select.limit: unknown field; allowed fields: allow_repeats, max_duration_s, "
        "max_messages, order, status",
        "select.status: 'pending' is not allowed; allowed: approved",
        "select.order: 'random' is not allowed; allowed: oldest_approval, newest_approval",
        "select.max_messages: 0 is out of range; allowed: 1 to 200",
        "select.max_duration_s: 5 is out of range; allowed: 10 to 21600",
    ]
    assert read(tmp_path, {"select": [8]}, drop=("messages",))[1] == [
        "select: expected a mapping (key: value), got a list"
    ]


def test_fill_settings_of_an_exact_fit(tmp_path: Path) -> None:
    fill = {"max_gap_s": 2.5, "max_silence_s": 4, "pool": ["voices/fillers/x.wav", "message:p"]}
    values, problems = read(tmp_path, {"slot": "15:00", "fit": "exact", "fill": fill})
    assert problems == []
    assert values["fill"] == FillSettings(2.5, 4.0, ("voices/fillers/x.wav", "message:p"))


def test_every_problem_of_fill_is_named_under_fill(tmp_path: Path) -> None:
    fill = {"pool": "voices/fillers/x.wav", "max_silence_s": 20, "gaps": 1}
    values, problems = read(tmp_path, {"slot": "15:00", "fit": "exact", "fill": fill})
    assert values["fill"] == FillSettings()
    assert problems == [
        "fill.gaps: unknown field; did you mean 'max_gap_s'? allowed fields: max_gap_s, "
        "max_silence_s, pool",
        "fill.max_silence_s: 20 is out of range; allowed: 0.5 to 10",
        "fill.pool: expected a list of audio files (voices/fillers/x.wav) and readings "
        "(message:<id>)",
    ]


def voice(name: str, fallback: str | None = None) -> VoiceProfile:
    return VoiceProfile(name, "espeak", {}, Path(f"voices/{name}.yaml"), fallback_voice=fallback)


def casting_of(
    data: dict[str, object], broken: tuple[str, ...] = ()
) -> tuple[Casting, set[str], list[str]]:
    voices = {v.name: v for v in (voice("a", fallback="c"), voice("b"), voice("c"))}
    problems: list[Problem] = []
    r = FieldReader(data, "e.yaml", problems)
    values: dict[str, object] = {"cast": read_message_voices(r), "fallback_voice": None}
    casting, used = read_casting(r, values, voices, lambda name: name in broken)
    return casting, used, [str(p) for p in problems]


def test_a_rotation_and_a_voice_per_message(tmp_path: Path) -> None:
    data = {"messages": ["m1", {"id": "m2", "voice": "b"}], "voice_rotation": ["a", "b"]}
    casting, used, problems = casting_of(data)
    assert problems == []
    assert casting == Casting({"m2": "b"}, ("a", "b"), None)
    assert used == {"a", "b", "c"}  # a falls back to c: its files belong to the episode


def test_casting_names_unknown_voices_and_fallbacks() -> None:
    data = {"messages": [{"id": "m1", "voice": "x"}], "voice_rotation": ["b", "y", 3]}
    _, _, problems = casting_of(data)
    assert problems == [
        "e.yaml: voice_rotation: expected a list of voice names, e.g. [a, b]",
        "e.yaml: messages[0].voice: unknown voice 'x'; voices in voices/: a, b, c",
        "e.yaml: voice_rotation[1]: unknown voice 'y'; voices in voices/: a, b, c",
    ]


def test_a_voice_whose_own_file_is_broken_is_told_there_not_here() -> None:
    _, used, problems = casting_of({"voice_rotation": ["a", "broken"]}, broken=("broken",))
    assert problems == [] and used == {"a", "broken", "c"}


def deliverables_of(tmp_path: Path, raw: object) -> tuple[list[str], list[str]]:
    project = Project.at(tmp_path)
    problems: list[Problem] = []
    r = FieldReader({"deliverables": raw}, "e.yaml", problems)
    chosen = read_deliverables(r, project, "e")
    return [p.name for p in chosen], [str(p) for p in problems]


def test_deliverables_in_the_order_listed(tmp_path: Path) -> None:
    assert deliverables_of(tmp_path, ["podcast", "ebu-r128"]) == (["podcast", "ebu-r128"], [])
    assert deliverables_of(tmp_path, None) == ([], [])


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (
            "ebu-r128",
            "deliverables: expected a list of delivery profile names, e.g. [ebu-r128, shortwave]",
        ),
        ([], "deliverables: expected a list of delivery profile names, e.g. [ebu-r128, shortwave]"),
        (["ebu-r128", "ebu-r128"], "deliverables[1]: 'ebu-r128' is listed twice"),
        (["programme"], "deliverables[0]: 'programme' is implicit: leave deliverables out"),
    ],
)
def test_bad_deliverables_are_one_line(tmp_path: Path, raw: object, line: str) -> None:
    assert deliverables_of(tmp_path, raw)[1] == [f"e.yaml: {line}"]
