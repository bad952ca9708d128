"""The reviewer's page: complete, self-contained, escaped, and free of private metadata."""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from audio_pipeline.app.render import render_episode
from audio_pipeline.audio import wavfile
from audio_pipeline.cli.main import app
from audio_pipeline.core.project import Project
from audio_pipeline.publish.review import wave_shape
from tests.conftest import REPO, SR, ffmpeg_ebur128, write_yaml

runner = CliRunner()


class Page(HTMLParser):
    """The parts of review.html the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.audio: list[dict[str, str | None]] = []
        self.cues: list[dict[str, str | None]] = []
        self.clips: list[str] = []
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "audio":
            self.audio.append(a)
        if tag == "button" and "cue" in (a.get("class") or ""):
            self.cues.append(a)
        if tag == "section" and a.get("data-message-id"):
            self.clips.append(str(a["data-message-id"]))
        self.urls += [str(a[k]) for k in ("src", "href", "action", "srcset") if a.get(k)]
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def test_the_episode_page_lists_every_clip_and_cue(rendered: tuple[Project, Path]) -> None:
    out = rendered[1]
    text = (out / "review.html").read_text("utf-8")
    page = Page(text)
    cues = json.loads((out / "cues.json").read_text("utf-8"))
    messages = [c["message_id"] for c in cues["cues"] if c["kind"] == "message"]
    assert page.clips == messages
    # one programme player and, per clip, the clip and the clip as heard on air, each naming
    # a file of the folder
    assert [a["src"] for a in page.audio] == ["2026-w47.wav"] + [
        src for m in messages for src in (f"clips/{m}.wav", f"heard/{m}.wav")
    ]
    assert page.audio[0]["id"] == "programme-player"
    for url in page.urls:
        assert (out / url).is_file(), url  # relative, inside the folder: works from a USB stick
    # every cue is a button that seeks to its start
    assert len(page.cues) == len(cues["cues"])
    for button, cue in zip(page.cues, cues["cues"], strict=True):
        assert float(str(button["data-start"])) == pytest.approx(cue["start_s"], abs=1e-6)
    # the approved text, the script as sent, the voice facts and the measurements
    section = text[text.index('id="clip-not-forgotten"') :]
    section = section[: section.index("</section>")]
    assert "하나님은 당신을 잊지 않으셨습니다." in section
    assert section.count("<li>") >= 2  # the script, one request per line
    assert "engine <b>espeak</b>" in section and "voice <b>ko-offline</b>" in section
    assert "fallback <b>no</b>" in section
    assert re.search(r"loudness <b>-2[23]\.\d LUFS", section)
    assert "No listener-check warnings." in section
    assert section.count("<svg") == 1 and "<polygon" in section


def _section(page: str, message_id: str) -> str:
    section = page[page.index(f'id="clip-{message_id}"') :]
    return section[: section.index("</section>")]


def test_what_the_page_shows_is_what_the_files_hold(rendered: tuple[Project, Path]) -> None:
    """The loudness and waveform of each clip, as the page shows them, against the clip file
    read independently: ffmpeg's ebur128 meter, and each column's peak taken with numpy."""
    _, out = rendered
    page = (out / "review.html").read_text("utf-8")
    for clip in sorted((out / "clips").glob("*.wav")):
        section = _section(page, clip.stem)
        shown = re.search(r"loudness <b>(-?[0-9.]+) LUFS, true peak (-?[0-9.]+) dBTP", section)
        assert shown is not None, clip.name
        meter = ffmpeg_ebur128(clip)
        assert float(shown[1]) == pytest.approx(meter["I"], abs=0.1)
        assert float(shown[2]) == pytest.approx(meter["TP"], abs=0.15)
        # the outline's top edge: one point per column at mid - peak * (mid - 1)
        points = re.search(r'<polygon points="([^"]+)"', section)
        assert points is not None
        pairs = [tuple(map(float, pt.split(","))) for pt in points[1].split()]
        columns = len(pairs) // 2
        samples, _ = wavfile.read(clip)
        per = -(-len(samples) // columns)  # columns of equal width; the last padded with 0
        highest = [
            float(np.max(samples[c * per : (c + 1) * per], initial=0.0)) for c in range(columns)
        ]
        mid = 56 / 2
        tops = [mid - min(1.0, v) * (mid - 1) for v in highest]
        assert [y for _, y in pairs[:columns]] == pytest.approx(tops, abs=0.06)


def test_the_page_is_self_contained(rendered: tuple[Project, Path]) -> None:
    project, out = rendered
    text = (out / "review.html").read_text("utf-8")
    assert "://" not in text  # no http, https, file or any other absolute URL
    assert "//" not in " ".join(Page(text).urls)
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?/""", text)
    assert "@import" not in text and "url(" not in text
    assert str(project.root) not in text and "/tmp/" not in text
    assert 'http-equiv="Content-Security-Policy"' in text
    assert "default-src 'none'" in html.unescape(text)
    assert "unsafe-inline" not in text


def test_the_policy_allows_exactly_the_inline_style_and_script(
    rendered: tuple[Project, Path],
) -> None:
    import base64
    import hashlib

    text = (rendered[1] / "review.html").read_text("utf-8")
    policy = html.unescape(re.search(r'Content-Security-Policy" content="([^"]+)"', text)[1])  # type: ignore[index]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))

    def source(tag: str) -> str:
        body = re.search(rf"<{tag}>(.*?)</{tag}>", text, re.S)[1]  # type: ignore[index]
        return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"

    assert directives["style-src"] == source("style")
    assert directives["script-src"] == source("script")
    assert directives["default-src"] == "'none'"


PRIVATE = ("informant@example.org", "+82 10 5555 1234", "홍길동", "Kim Cheol-su")


def test_no_private_metadata_reaches_any_output_file(
    tmp_path: Path, rendered: tuple[Project, Path]
) -> None:
    root = tmp_path / "proj"
    shutil.copytree(REPO / "voices", root / "voices")
    shutil.copytree(REPO / "input", root / "input")
    project = Project.at(root, cache_dir=rendered[0].cache_dir)
    path = project.messages_dir / "not-alone.yaml"
    text = path.read_text("utf-8")
    text = text.replace("approved_by: 편집팀", "approved_by: 홍길동 (Kim Cheol-su)")
    text = re.sub(
        r"notes: .*", "notes: from informant@example.org, call +82 10 5555 1234 (홍길동)", text
    )
    hostile = 'title: "<script>alert(1)</script> & 혼자"'
    text = text.replace("title: 당신은 혼자가 아닙니다", hostile)
    path.write_text(text, "utf-8")
    write_yaml(
        project.episodes_dir / "private.yaml",
        {
            "id": "private",
            "title": "제목 <b>굵게</b>",
            "date": "2026-11-22",
            "voice": "ko-offline",
            "messages": ["not-alone"],
            "intro": "voices/bumpers/sting.wav",
            "outro": "voices/bumpers/sting.wav",
        },
    )
    report = render_episode(project, project.episodes_dir / "private.yaml")
    assert report.output_dir is not None
    files = [p for p in report.output_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"review.html", "manifest.json", "cues.json"}
    for file in files:
        data = file.read_bytes()
        for secret in (*PRIVATE, str(project.root)):
            assert secret.encode("utf-8") not in data, (file.name, secret)
    page = (report.output_dir / "review.html").read_text("utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 혼자" in page
    assert "제목 &lt;b&gt;굵게&lt;/b&gt;" in page
    assert Page(page).scripts and len(re.findall(r"<script>", page)) == 1


def test_listener_warnings_are_on_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: tuple[Project, Path]
) -> None:
    root = tmp_path / "proj"
    shutil.copytree(REPO / "voices", root / "voices")
    shutil.copytree(REPO / "input", root / "input")
    monkeypatch.chdir(root)
    monkeypatch.setenv("AUDIO_PIPELINE_CACHE", str(rendered[0].cache_dir))
    path = root / "input/messages/christmas-greeting.yaml"
    phone = "text: |\n  연락처 010-1234-5678 입니다. NGO 모임과 함께합니다.\n"
    path.write_text(path.read_text("utf-8").replace("text: |\n", phone, 1), "utf-8")
    result = runner.invoke(
        app, ["review", "christmas-greeting", "--allow-pending", "--voice", "ko-offline"]
    )
    assert result.exit_code == 0, result.stderr
    page = (root / "output/review/review.html").read_text("utf-8")
    assert "PENDING: not approved" in page
    assert "possible identifying detail" in page
    # the gate's finding, with why and how to fix it; listed once, not again as a warning
    assert re.search(r"<b>phone[-\w]*</b> in text: “010-1234-5678”: [^<]+\. Fix: ", page)
    assert page.count("010-1234-5678") == page.count("“010-1234-5678”") + 1  # + the text
    # and what the spoken script does, as preview and validate show it
    assert "spelled out as '엔지오'" in html.unescape(page)


def test_a_cleared_finding_and_a_changed_text_are_shown_before_broadcast(
    warm_project: Project,
) -> None:
    """Clearing never hides a finding from the page: it is listed, marked cleared. A message
    whose text changed after approval says so in large letters."""
    import yaml

    from audio_pipeline.core.digest import text_sha256

    path = warm_project.messages_dir / "not-alone.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["text"] += "\n김철수 집사님께서 함께 기도하십니다.\n"
    data["approved_sha256"] = text_sha256(data["text"])
    data["cleared"] = [{"words": "김철수 집사님", "by": "편집팀", "at": "2026-11-20"}]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    report = render_episode(warm_project, warm_project.episodes_dir / "2026-w47.yaml")
    page = (report.output_dir / "review.html").read_text("utf-8")
    section = page[page.index('id="clip-not-alone"') :]
    section = section[: section.index("</section>")]
    assert "1 cleared by an editor" in section and "“김철수 집사님”" in section
    assert '<span class="badge cleared">cleared</span>' in section
    assert "편집팀" not in page  # who cleared it stays in the message file
    # the text changes after approval: the reviewer's page says so
    data["text"] += "오늘도 평안하십시오.\n"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = runner.invoke(app, ["review", "not-alone", "--allow-pending", "--voice", "ko-offline"])
    assert result.exit_code == 0, result.stderr
    review = (warm_project.root / "output/review/review.html").read_text("utf-8")
    assert "TEXT CHANGED after approval" in review


def test_review_command_writes_a_page_for_just_those_clips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: tuple[Project, Path]
) -> None:
    root = tmp_path / "proj"
    shutil.copytree(REPO / "voices", root / "voices")
    shutil.copytree(REPO / "input", root / "input")
    monkeypatch.chdir(root)
    monkeypatch.setenv("AUDIO_PIPELINE_CACHE", str(rendered[0].cache_dir))
    result = runner.invoke(
        app, ["review", "not-forgotten", "not-alone", "not-forgotten", "--voice", "ko-offline"]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "page: output/review/review.html"
    folder = root / "output/review"
    for sub in ("clips", "heard"):
        assert sorted(p.name for p in (folder / sub).iterdir()) == [
            "not-alone.wav",
            "not-forgotten.wav",
        ]
    page = Page((folder / "review.html").read_text("utf-8"))
    assert page.clips == ["not-forgotten", "not-alone"]
    assert [a["src"] for a in page.audio] == [
        "clips/not-forgotten.wav",
        "heard/not-forgotten.wav",
        "clips/not-alone.wav",
        "heard/not-alone.wav",
    ]
    assert page.cues == []  # no programme without an episode
    info = wavfile.read_info(folder / "clips/not-alone.wav")
    assert (info.sample_rate, info.bits) == (SR, 24)

    # the preview rules: every problem at once, exit 2, and the previous page untouched
    before = (folder / "review.html").read_bytes()
    refused = runner.invoke(
        app, ["review", "christmas-greeting", "rejected-example", "nope", "--voice", "ko-offline"]
    )
    assert refused.exit_code == 2
    lines = refused.stderr.strip().splitlines()
    assert lines[0] == (
        "error: input/messages/christmas-greeting.yaml: status: message is pending; only "
        "approved messages are synthesized (--allow-pending previews it with an offline voice)"
    )
    assert "message is rejected" in lines[1] and "no message with id 'nope'" in lines[2]
    assert lines[-1] == "3 problem(s) found; nothing was written."
    online = runner.invoke(
        app, ["review", "christmas-greeting", "--allow-pending", "--voice", "ko-google"]
    )
    assert online.exit_code == 2 and "sends text off this machine" in online.stderr
    assert (folder / "review.html").read_bytes() == before


def test_a_wave_shape_is_the_top_edge_there_and_the_bottom_edge_back() -> None:
    lo = np.array([-0.5, -1.0, 0.0])
    hi = np.array([0.5, 1.0, 0.0])
    shape = wave_shape(lo, hi, height=10, markers=[0.5])
    # mid 5, scale 4: y = 5 - v * 4
    assert shape.points == "0,3.0 1,1.0 2,5.0 2,5.0 1,9.0 0,7.0"
    assert shape.columns == 3 and shape.markers == ("1.5",)
