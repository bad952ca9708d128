"""Nothing identifying anyone, and no secret, leaves in any byte of any output file.

An e-mail address, a phone number and a person's name are planted in a message's notes and
approver, and a name in an attribution the editor did not approve; the episode is rendered
and every file under output/<episode-id>/ (audio, tags, clips, sidecars, anything else
there) is searched for them in every encoding a tag or a text file could hold them in.
"""

from __future__ import annotations

import io
import logging
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from audio_pipeline.app.render import render_episode
from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.core.project import Project
from tests.conftest import REPO, write_yaml

EMAIL = "kim.minsu@example.org"
PHONE = "+82 10-1234-5678"
NAME = "김민수"
NAME_LATIN = "Kim Minsu"
UNAPPROVED = "평양의 김민수 집사"  # an attribution line nobody approved for broadcast
ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "cp949")


def needles(text: str) -> list[bytes]:
    found = []
    for encoding in ENCODINGS:
        try:
            found.append(text.encode(encoding))
        except UnicodeEncodeError:
            continue
    return found


def scan(folder: Path, text: str) -> list[str]:
    """Files under `folder` holding `text` in any of ENCODINGS."""
    hits = []
    patterns = needles(text)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits += [f"{path.relative_to(folder)} ({text!r})" for n in patterns if n in data]
    return hits


# the programme alone, and every delivery profile (WAV, MP3 at three rates, raw MP2) with a bed
EPISODES = ["2026-w47", "every-profile"]


@pytest.fixture(scope="module", params=EPISODES)
def planted(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    rendered: tuple[Project, Path],
) -> tuple[Project, Path]:
    root = tmp_path_factory.mktemp("safety") / "proj"
    shutil.copytree(REPO / "voices", root / "voices")
    shutil.copytree(REPO / "input", root / "input")
    # the session's clip cache: the texts are unchanged, only notes and approver are planted
    project = Project.at(root, cache_dir=rendered[0].cache_dir)
    messages = project.messages_dir
    not_alone = yaml.safe_load((messages / "not-alone.yaml").read_text("utf-8"))
    not_alone["approved_by"] = f"{NAME} ({NAME_LATIN}) <{EMAIL}>"
    not_alone["notes"] = f"Submitted by {NAME_LATIN} / {NAME}; call {PHONE} or write to {EMAIL}."
    write_yaml(messages / "not-alone.yaml", not_alone)
    church = yaml.safe_load((messages / "church-prays.yaml").read_text("utf-8"))
    church["attribution"] = UNAPPROVED
    church["attribution_approved"] = False
    church["approved_by"] = f"{NAME_LATIN}, {PHONE}"
    church["notes"] = f"{NAME} {EMAIL}"
    write_yaml(messages / "church-prays.yaml", church)
    if request.param == "every-profile":  # the planted messages, in every file of every profile
        write_yaml(
            project.episodes_dir / "every-profile.yaml",
            {
                "id": "every-profile",
                "title": "소망의 메시지",
                "date": "2026-11-22",
                "voice": "ko-offline",
                "messages": ["not-alone", "church-prays"],
                "intro": "voices/bumpers/intro.wav",
                "outro": "voices/bumpers/outro.wav",
                "deliverables": ["ebu-r128", "shortwave", "podcast"],
                "bed": {"file": "voices/beds/soft-pad.wav"},
            },
        )
    report = render_episode(project, project.episodes_dir / f"{request.param}.yaml")
    assert report.output_dir is not None
    return project, report.output_dir


def test_the_planted_details_are_really_in_the_input(planted: tuple[Project, Path]) -> None:
    project, _ = planted
    text = "".join(p.read_text("utf-8") for p in project.messages_dir.glob("*.yaml"))
    for secret in (EMAIL, PHONE, NAME, NAME_LATIN, UNAPPROVED):
        assert secret in text


def test_the_scan_finds_what_is_allowed_out(planted: tuple[Project, Path]) -> None:
    # a scan that finds nothing proves nothing: the approved title and attribution are there
    _, out = planted
    title_hits = scan(out, "당신은 혼자가 아닙니다")
    assert any(h.split(" ")[0].endswith(".mp3") for h in title_hits)  # in the ID3 chapters
    assert any(h.startswith("cues.json ") for h in title_hits)
    assert any(h.startswith("broadcast-log.csv ") for h in title_hits)
    assert scan(out, "세계 곳곳의 성도들")  # not-alone's attribution is approved
    assert needles(NAME)[-1] == NAME.encode("cp949")  # the Korean name is searched as EUC-KR too


@pytest.mark.parametrize("secret", [EMAIL, PHONE, NAME, NAME_LATIN, UNAPPROVED])
def test_no_planted_detail_in_any_output_file(planted: tuple[Project, Path], secret: str) -> None:
    _, out = planted
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 15  # audio, clips and every sidecar are scanned
    assert scan(out, secret) == []


@pytest.mark.parametrize("secret", [EMAIL, PHONE, NAME, NAME_LATIN, UNAPPROVED])
def test_no_planted_detail_in_the_ledger(planted: tuple[Project, Path], secret: str) -> None:
    project, _ = planted
    ledger = [p for p in project.root.glob("ledger.sqlite*") if p.is_file()]
    assert ledger  # the render was recorded
    for path in ledger:
        data = path.read_bytes()
        assert not any(n in data for n in needles(secret)), path.name


def test_no_path_or_name_of_the_production_machine(planted: tuple[Project, Path]) -> None:
    project, out = planted
    leaks = scan(out, str(project.root)) + scan(out, str(project.cache_dir))
    leaks += scan(out, str(REPO))
    host = socket.gethostname()
    if len(host) >= 6:  # a short name could match audio bytes by chance
        leaks += scan(out, host)
    assert leaks == []


# --- the neural services' keys ----------------------------------------------------------------
# The keys are planted in the environment and the episodes rendered through the services'
# stand-ins (tests/standins/): no key may reach an output file, the ledger, the clip cache
# or a log line, in any encoding.


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, list[Path], str]]:
    from audio_pipeline.engines.base import EngineSettings
    from tests.standins import NET, Serve
    from tests.standins.server import Schedule

    root = tmp_path_factory.mktemp("keys") / "proj"
    shutil.copytree(REPO / "voices", root / "voices")
    shutil.copytree(REPO / "input", root / "input")
    project = Project.at(root, cache_dir=root / "cache")
    google = yaml.safe_load((project.episodes_dir / "2026-w47-neural.yaml").read_text("utf-8"))
    google.update(id="keys-google", voice="ko-google-cloud-male", voice_rotation=None)
    write_yaml(project.episodes_dir / "keys-google.yaml", {k: v for k, v in google.items() if v})
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    root_logger = logging.getLogger()
    level = root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(logging.DEBUG)
    outputs = []
    with pytest.MonkeyPatch.context() as mp:
        serve = Serve(mp, root)
        # the first request of each service fails (the retry path is logged and reported too)
        serve(Schedule(0.0, first=["500", "429"]))
        try:
            for episode in ("2026-w47-neural", "keys-google"):
                report = render_episode(
                    project,
                    project.episodes_dir / f"{episode}.yaml",
                    RenderSettings(strict=True, engines=EngineSettings(NET)),
                )
                assert report.output_dir is not None and report.fallbacks == []
                outputs.append(report.output_dir)
        finally:
            serve.stop()
            root_logger.removeHandler(handler)
            root_logger.setLevel(level)
    yield project, outputs, logs.getvalue()


@pytest.mark.parametrize("variable", ["SPEECH_KEY", "GOOGLE_API_KEY"])
def test_no_service_key_in_any_output_ledger_cache_or_log(
    keyed: tuple[Project, list[Path], str], variable: str
) -> None:
    from tests.standins import KEYS

    project, outputs, logs = keyed
    key = KEYS[variable]
    for out in outputs:
        assert len([p for p in out.rglob("*") if p.is_file()]) >= 10
        assert scan(out, key) == []
    assert scan(project.cache_dir, key) == []
    for path in project.root.glob("ledger.sqlite*"):
        assert not any(n in path.read_bytes() for n in needles(key)), path.name
    assert "texttospeech.googleapis.com" in logs or "tts.speech.microsoft.com" in logs
    assert key not in logs
