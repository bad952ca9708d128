"""Every loader (messages, voices, episodes, bumpers) fuzzed through the CLI: arbitrary YAML,
wrong types, huge files, alias bombs, bad encodings, control characters, path traversal,
symlinks leading out, corrupt audio. Each must end in exit 2 with one line per problem, each
naming the file (and the field where there is one), and never a traceback."""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from audio_pipeline.audio import wavfile
from audio_pipeline.cli.main import app
from audio_pipeline.core.digest import text_sha256
from tests.conftest import REPO, SR

runner = CliRunner()
FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LINE = re.compile(r"^error: (input|voices)/[^:]*\.(yaml|yml): ")

# --- projects -------------------------------------------------------------------------------


def tiny_bumper(path: Path) -> None:
    t = np.arange(SR // 2) / SR
    wavfile.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), SR, "pcm16")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample messages and voices, no episodes, and short bumpers (fast to decode)."""
    root = tmp_path_factory.mktemp("fuzz") / "proj"
    shutil.copytree(REPO / "input" / "messages", root / "input" / "messages")
    (root / "input" / "episodes").mkdir()
    (root / "voices" / "bumpers").mkdir(parents=True)
    for name in ("ko-offline.yaml", "ko-google.yaml"):
        shutil.copy(REPO / "voices" / name, root / "voices" / name)
    tiny_bumper(root / "voices" / "bumpers" / "intro.wav")
    tiny_bumper(root / "voices" / "bumpers" / "outro.wav")
    assert validate(root).exit_code == 0
    return root


VALID: dict[str, dict[str, Any]] = {
    "message": {
        "id": "fuzz",
        "status": "approved",
        "title": "제목",
        "text": "사랑하는 형제자매 여러분.\n힘을 내십시오.",
        "approved_by": "편집팀",
        "approved_at": "2026-11-16",
        "approved_sha256": text_sha256("사랑하는 형제자매 여러분.\n힘을 내십시오."),
        "attribution": "성도들",
        "attribution_approved": True,
        "notes": "note",
    },
    "voice": {
        "name": "fuzz",
        "engine": "espeak",
        "options": {"voice": "ko", "rate": 140},
        "tempo": 1.0,
        "trim_threshold_db": -50,
        "sentence_pause_s": 0.5,
        "paragraph_pause_s": 1.0,
        "fallback_voice": "ko-offline",
        "description": "fuzz voice",
    },
    "episode": {
        "id": "fuzz",
        "title": "제목",
        "date": "2026-11-22",
        "voice": "ko-offline",
        "fallback_voice": "ko-offline",
        "messages": ["not-alone"],
        "intro": "voices/bumpers/intro.wav",
        "outro": "voices/bumpers/outro.wav",
        "sting": "voices/bumpers/intro.wav",
        "gap_s": 1.5,
        "target_lufs": -23,
        "true_peak_dbtp": -1,
        "station": "방송",
    },
}
FILES = {
    "message": "input/messages/fuzz.yaml",
    "voice": "voices/fuzz.yaml",
    "episode": "input/episodes/fuzz.yaml",
}
# what each field holds, to choose values of every other kind for it
KINDS = {
    "message": {
        "id": "text",
        "status": "text",
        "title": "text",
        "text": "text",
        "approved_by": "text",
        "approved_at": "date",
        "approved_sha256": "text",
        "attribution": "text",
        "attribution_approved": "bool",
        "notes": "text",
    },
    "voice": {
        "name": "text",
        "engine": "text",
        "options": "mapping",
        "tempo": "number",
        "trim_threshold_db": "number",
        "sentence_pause_s": "number",
        "paragraph_pause_s": "number",
        "fallback_voice": "text",
        "description": "text",
    },
    "episode": {
        "id": "text",
        "title": "text",
        "date": "date",
        "voice": "text",
        "fallback_voice": "text",
        "messages": "list",
        "intro": "text",
        "outro": "text",
        "sting": "text",
        "gap_s": "number",
        "target_lufs": "number",
        "true_peak_dbtp": "number",
        "station": "text",
    },
}
SINGLE_LINE_TEXT = {
    ("message", "title"),
    ("message", "approved_by"),
    ("message", "attribution"),
    ("voice", "description"),
    ("episode", "title"),
    ("episode", "station"),
    ("episode", "intro"),
}


def validate(root: Path, *args: str) -> Any:
    return runner.invoke(app, ["--project", str(root), "validate", *args])


def run(root: Path, loader: str, content: bytes | str | dict[str, Any]) -> Any:
    """Write the loader's file, validate (the episode, or the whole project), clean up."""
    path = root / FILES[loader]
    if isinstance(content, dict):
        content = yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    try:
        return validate(root, str(path)) if loader == "episode" else validate(root)
    finally:
        path.unlink()


def assert_exit_2(result: Any, file: str | None = None, field: str | None = None) -> list[str]:
    """Exit 2; every line an error naming a file (and field); the closing count; no trace."""
    detail = (result.exit_code, result.stdout, result.stderr, result.exception)
    assert result.exit_code == 2, detail
    assert "Traceback" not in result.stdout + result.stderr, detail
    lines = result.stderr.splitlines()
    assert lines and re.fullmatch(r"\d+ problem\(s\) found; nothing was written\.", lines[-1])
    for line in lines[:-1]:
        assert LINE.match(line), line
    if file is not None:
        where = f"error: {file}: {field}: " if field else f"error: {file}: "
        assert any(line.startswith(where) for line in lines), (where, lines)
    return lines


# --- value strategies -----------------------------------------------------------------------

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
BY_KIND = {
    "text": text,
    "number": st.one_of(st.integers(-(10**9), 10**9), st.floats()),
    "bool": st.booleans(),
    "date": st.dates(),
    "list": st.lists(st.integers() | text, max_size=3),
    "mapping": st.dictionaries(text, st.integers() | text, min_size=1, max_size=3),
}
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), text, st.dates(), st.datetimes()
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def wrong_for(kind: str) -> st.SearchStrategy[Any]:
    others = [k for k in BY_KIND if k != kind]
    if kind == "date":  # a date may be written as text
        others.remove("text")
    return st.one_of(*(BY_KIND[k] for k in others))


@st.composite
def wrong_field(draw: st.DrawFn, loader: str) -> tuple[str, Any]:
    field = draw(st.sampled_from(sorted(KINDS[loader])))
    return field, draw(wrong_for(KINDS[loader][field]))


LOADERS = ["message", "voice", "episode"]


# --- arbitrary documents ---------------------------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS)
@FUZZ
@given(document=documents)
def test_arbitrary_yaml_documents(root: Path, loader: str, document: Any) -> None:
    if isinstance(document, dict):
        document["zz-not-a-field"] = 1  # a mapping could, by luck, be valid otherwise
    result = run(root, loader, yaml.safe_dump(document, allow_unicode=True))
    lines = assert_exit_2(result, FILES[loader])
    assert not any("file not found" in line for line in lines)


@pytest.mark.parametrize("loader", LOADERS)
@FUZZ
@given(raw=st.binary(max_size=400) | text.map(str.encode))
def test_arbitrary_bytes(root: Path, loader: str, raw: bytes) -> None:
    assert_exit_2(run(root, loader, raw), FILES[loader])


@pytest.mark.parametrize("loader", LOADERS)
@FUZZ
@given(data=st.data())
def test_wrong_types_in_every_field(root: Path, loader: str, data: st.DataObject) -> None:
    field, value = data.draw(wrong_field(loader))
    document = {**VALID[loader], field: value}
    assert_exit_2(run(root, loader, document), FILES[loader], field)


# --- control characters, traversal ----------------------------------------------------------

controls = st.characters(codec="utf-8", categories=("Cc",), exclude_characters="\n\t\r")


@pytest.mark.parametrize("loader", LOADERS)
@FUZZ
@given(data=st.data())
def test_control_characters_in_text_fields(root: Path, loader: str, data: st.DataObject) -> None:
    field = data.draw(st.sampled_from(sorted(f for f, k in KINDS[loader].items() if k == "text")))
    before, after = data.draw(text), data.draw(text)
    bad = data.draw(controls)
    if (loader, field) in SINGLE_LINE_TEXT and data.draw(st.booleans()):
        bad = "\n"  # a line break inside a one-line field
        before, after = before.strip() or "a", after.strip() or "b"
    document = {**VALID[loader], field: f"{before}{bad}{after}"}
    assert_exit_2(run(root, loader, document), FILES[loader], field)


ID_FIELDS = [
    ("message", "id"),
    ("voice", "name"),
    ("voice", "fallback_voice"),
    ("episode", "id"),
    ("episode", "voice"),
    ("episode", "fallback_voice"),
    ("episode", "messages"),
]
segment = st.sampled_from(["..", ".", "", "etc", "not-alone", "voices", "passwd", "~", "%2e%2e"])
traversals = st.builds(
    lambda absolute, parts, sep: ("/" if absolute else "") + sep.join(parts),
    st.booleans(),
    st.lists(segment, min_size=2, max_size=5),
    st.sampled_from(["/", "\\", "/../"]),
)


@pytest.mark.parametrize(("loader", "field"), ID_FIELDS)
@FUZZ
@given(value=traversals)
def test_path_traversal_in_ids(root: Path, loader: str, field: str, value: str) -> None:
    document = {**VALID[loader], field: [value] if field == "messages" else value}
    where = "messages[0]" if field == "messages" else field
    assert_exit_2(run(root, loader, document), FILES[loader], where)


@FUZZ
@given(value=traversals)
def test_path_traversal_in_bumper_paths(root: Path, value: str) -> None:
    resolved = (root / value).resolve()
    bumpers = {(root / "voices" / "bumpers" / n).resolve() for n in ("intro.wav", "outro.wav")}
    result = run(root, "episode", {**VALID["episode"], "intro": value})
    if resolved in bumpers:  # './voices/bumpers/intro.wav' and the like are fine
        assert result.exit_code == 0, result.stderr
    else:
        lines = assert_exit_2(result, FILES["episode"], "intro")
        assert all("intro" in line for line in lines[:-1])


# --- size, aliases, encodings ---------------------------------------------------------------

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)
NASTY: dict[str, tuple[bytes, str]] = {
    "huge": (b"notes: '" + b"x" * 300_000 + b"'\n", "at most 262144 bytes"),
    "alias bomb": (BILLION_LAUGHS.encode(), "YAML aliases"),
    "latin-1": ("id: café\ntitle: naïve\n".encode("latin-1"), "not UTF-8"),
    "utf-16 with BOM": ("id: fuzz\n".encode("utf-16"), "not UTF-8"),
    "NUL": (b"id: fuzz\x00\n", "NUL"),
    "deep nesting": (b"[" * 5000 + b"]" * 5000, "invalid YAML"),
    "duplicate keys": (b"id: fuzz\nid: fuzz\n", "appears twice"),
    "not a mapping": (b"- a\n- b\n", "expected a mapping"),
    "empty": (b"", "file is empty"),
}


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("case", sorted(NASTY))
def test_nasty_files(root: Path, loader: str, case: str) -> None:
    raw, expected = NASTY[case]
    lines = assert_exit_2(run(root, loader, raw), FILES[loader])
    assert any(line.startswith(f"error: {FILES[loader]}: ") and expected in line for line in lines)


@pytest.mark.parametrize("loader", LOADERS)
def test_a_utf8_byte_order_mark_is_harmless(root: Path, loader: str) -> None:
    raw = yaml.safe_dump(VALID[loader], allow_unicode=True).encode("utf-8")
    assert run(root, loader, b"\xef\xbb\xbf" + raw).exit_code == 0


# --- symlinks -------------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the project holding perfectly good files."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    tiny_bumper(folder / "jingle.wav")
    for loader in LOADERS:
        (folder / f"{loader}.yaml").write_text(
            yaml.safe_dump(VALID[loader], allow_unicode=True), "utf-8"
        )
    return folder


@pytest.mark.parametrize("loader", LOADERS)
def test_input_files_linked_from_outside_the_project_are_refused(
    root: Path, outside: Path, loader: str
) -> None:
    link = root / FILES[loader]
    link.symlink_to(outside / f"{loader}.yaml")
    try:
        result = validate(root, str(link)) if loader == "episode" else validate(root)
    finally:
        link.unlink()
    lines = assert_exit_2(result, FILES[loader])
    assert any("outside the project" in line for line in lines)


def test_bumpers_linked_from_outside_are_refused_unless_configured(
    root: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = root / "voices" / "bumpers" / "linked.wav"
    link.symlink_to(outside / "jingle.wav")
    try:
        document = {**VALID["episode"], "intro": "voices/bumpers/linked.wav"}
        lines = assert_exit_2(run(root, "episode", document), FILES["episode"], "intro")
        assert "outside the allowed folders" in lines[0]
        monkeypatch.setenv("AUDIO_PIPELINE_ALLOWED_AUDIO_DIRS", str(outside))
        assert run(root, "episode", document).exit_code == 0
    finally:
        link.unlink()


def test_symlink_loops_are_problems_not_crashes(root: Path) -> None:
    a, b = root / "voices" / "bumpers" / "a.wav", root / "voices" / "bumpers" / "b.wav"
    message = root / "input" / "messages" / "loop.yaml"
    a.symlink_to(b)
    b.symlink_to(a)
    message.symlink_to(message)
    try:
        episode = {**VALID["episode"], "intro": "voices/bumpers/a.wav"}
        lines = assert_exit_2(run(root, "episode", episode), FILES["episode"], "intro")
        assert any("cannot be followed" in line for line in lines)
        assert_exit_2(validate(root), "input/messages/loop.yaml")
    finally:
        for link in (a, b, message):
            link.unlink()


# --- corrupt or unsupported bumper audio ----------------------------------------------------


def wav_header(frames_bytes: int, held: int) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, SR, SR * 2, 2, 16)
    head = b"RIFF" + struct.pack("<I", 36 + frames_bytes) + b"WAVE"
    return head + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", frames_bytes)


def corrupt_cases(good: bytes) -> dict[str, tuple[str, bytes]]:
    return {
        "random bytes": ("bad.wav", bytes(np.random.default_rng(1).integers(0, 256, 4000, "u1"))),
        "cut-off WAV": ("cut.wav", good[: len(good) // 3]),
        "text as MP3": ("notes.mp3", "이것은 오디오가 아닙니다\n".encode() * 100),
        "empty file": ("empty.wav", b""),
        "header only": ("header.wav", wav_header(0, 0)),
        "silence": ("quiet.wav", wav_header(SR * 2, SR * 2) + bytes(SR * 2)),
        "an image": (
            "picture.png",
            bytes.fromhex(
                "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                "0000000d49444154789c626001000000ffff03000006000557bfabd40000000049454e44ae426082"
            ),
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "random bytes",
        "cut-off WAV",
        "text as MP3",
        "empty file",
        "header only",
        "silence",
        "an image",
    ],
)
def test_corrupt_or_unsupported_bumpers_are_named(root: Path, case: str) -> None:
    good = (root / "voices" / "bumpers" / "intro.wav").read_bytes()
    name, content = corrupt_cases(good)[case]
    path = root / "voices" / "bumpers" / name
    path.write_bytes(content)
    try:
        document = {**VALID["episode"], "outro": f"voices/bumpers/{name}"}
        lines = assert_exit_2(run(root, "episode", document), FILES["episode"], "outro")
    finally:
        path.unlink()
    (line,) = [ln for ln in lines if ": outro: " in ln]
    assert f"'voices/bumpers/{name}'" in line


@FUZZ
@given(content=st.binary(max_size=3000))
def test_any_bytes_as_a_bumper_are_refused_by_name(root: Path, content: bytes) -> None:
    path = root / "voices" / "bumpers" / "fuzzed.wav"
    path.write_bytes(content)
    try:
        document = {**VALID["episode"], "sting": "voices/bumpers/fuzzed.wav"}
        lines = assert_exit_2(run(root, "episode", document), FILES["episode"], "sting")
    finally:
        path.unlink()
    assert any("'voices/bumpers/fuzzed.wav'" in line for line in lines)


def test_the_date_field_takes_a_date(root: Path) -> None:
    # the wrong-type strategy leaves text out for dates; here text that is no date
    document = {**VALID["episode"], "date": "next sunday"}
    assert_exit_2(run(root, "episode", document), FILES["episode"], "date")
