"""The reviewer's preview (app/preview.py): one message, one voice, one normalized clip, and
the exact text the engine received; the review page for several messages. The rules: text
nobody has approved never leaves the machine, and a refusal writes nothing. Clips are read
back by independent readers (wavinfo, ffmpeg's own loudness meter)."""

from __future__ import annotations

import html

import pytest
import requests
import responses
from wavinfo import WavInfoReader

from audio_pipeline.app import editing
from audio_pipeline.app.preview import preview_message, review_messages
from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.core.errors import InputError, RenderError
from audio_pipeline.core.project import ENV_VOICE, Project
from audio_pipeline.core.results import Clip
from tests.conftest import ffmpeg_ebur128

GTTS = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"


def refusal(project: Project, message_id: str, voice: str | None, **how: bool) -> list[str]:
    """The problems of a refused preview; nothing may have been written for it."""
    with pytest.raises(InputError) as refused:
        preview_message(project, message_id, voice, **how)
    assert not (project.output_dir / "preview").exists()
    return [str(p) for p in refused.value.problems]


def test_a_preview_is_a_normalized_clip_of_the_message(warm_project: Project) -> None:
    result = preview_message(warm_project, "not-forgotten", "ko-offline")
    assert result.path == warm_project.output_dir / "preview/not-forgotten.wav"
    assert (result.voice, result.engine, result.cached, result.fallback_reason) == (
        "ko-offline",
        "espeak",
        True,  # the session's render made it
        None,
    )
    info = WavInfoReader(str(result.path))
    assert (info.fmt.sample_rate, info.fmt.bits_per_sample, info.fmt.channel_count) == (
        48_000,
        24,
        1,
    )
    assert info.data.frame_count == round(result.duration_s * 48_000)
    measured = ffmpeg_ebur128(result.path)
    assert measured["I"] == pytest.approx(-23.0, abs=0.5)
    assert measured["TP"] <= -1.0 + 0.3
    assert "하나님은 당신을 잊지 않으셨습니다." in result.spoken_text
    assert not [p.name for p in result.path.parent.iterdir() if p.name.startswith(".")]


def test_an_approved_message_takes_the_project_s_voice(
    warm_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VOICE, "ko-nope")
    assert refusal(warm_project, "not-alone", None) == [
        "voices/ko-nope.yaml: unknown voice 'ko-nope'; voices: ko-azure-female, ko-azure-male, "
        "ko-google, ko-google-cloud-female, ko-google-cloud-male, ko-offline"
    ]


def test_text_nobody_approved_needs_the_flag_and_stays_on_the_machine(project: Project) -> None:
    file = "input/messages/christmas-greeting.yaml"
    assert refusal(project, "christmas-greeting", "ko-offline") == [
        f"{file}: status: message is pending; only approved messages are synthesized "
        "(--allow-pending previews it with an offline voice)"
    ]
    assert refusal(project, "christmas-greeting", "ko-google", allow_pending=True) == [
        "voices/ko-google.yaml: engine: 'gtts' sends text off this machine; preview a message "
        "that is not approved with an offline voice (--voice ko-offline)"
    ]


def test_text_changed_after_approval_is_not_approved(project: Project) -> None:
    path = project.messages_dir / "church-prays.yaml"
    path.write_text(path.read_text("utf-8").replace("한 가족입니다", "한 식구입니다"), "utf-8")
    (problem,) = refusal(project, "church-prays", "ko-offline")
    assert problem.startswith("input/messages/church-prays.yaml: text: text changed after approval")
    assert problem.endswith("(--allow-pending previews it with an offline voice)")
    assert refusal(project, "church-prays", "ko-google", allow_pending=True)[0].endswith(
        "with an offline voice (--voice ko-offline)"
    )


def test_drafts_rejected_and_unknown_messages_are_never_previewed(project: Project) -> None:
    editing.create_message(project, "a-draft", title="", text="힘내세요.", status="draft")
    assert refusal(project, "a-draft", "ko-offline", allow_pending=True) == [
        "input/messages/a-draft.yaml: status: message is draft; it cannot be previewed"
    ]
    assert refusal(project, "rejected-example", None, allow_pending=True) == [
        "input/messages/rejected-example.yaml: status: message is rejected; it cannot be previewed"
    ]
    assert refusal(project, "nope", None) == [
        "input/messages/nope.yaml: no message with id 'nope' in input/messages/"
    ]


@responses.activate
def test_strict_settings_fail_a_preview_instead_of_falling_back(warm_project: Project) -> None:
    responses.post(GTTS, body=requests.exceptions.ConnectionError("offline"))
    with pytest.raises(RenderError, match="--strict forbids fallback"):
        preview_message(
            warm_project, "not-alone", "ko-google", settings=RenderSettings(strict=True)
        )
    assert not (warm_project.output_dir / "preview/not-alone.wav").exists()
    loud = preview_message(warm_project, "not-alone", "ko-google")
    assert (loud.voice, loud.engine) == ("ko-offline", "espeak")
    assert loud.fallback_reason and "ko-google" in loud.fallback_reason


def test_the_review_page_lists_each_message_once_in_the_order_given(
    warm_project: Project,
) -> None:
    seen: list[Clip] = []
    result = review_messages(
        warm_project,
        ["not-alone", "christmas-greeting", "not-alone"],
        "ko-offline",
        allow_pending=True,
        on_clip=seen.append,
    )
    assert [c.message_id for c in seen] == ["not-alone", "christmas-greeting"]
    assert [c.message_id for c in result.clips] == [c.message_id for c in seen]
    assert result.page == warm_project.output_dir / "review/review.html"
    assert sorted(p.name for p in (result.folder / "clips").iterdir()) == [
        "christmas-greeting.wav",
        "not-alone.wav",
    ]
    page = html.unescape(result.page.read_text("utf-8"))
    assert "2 message(s) before broadcast, 1 of them pending approval (offline voice only)" in page


@responses.activate
def test_a_review_that_fails_leaves_the_previous_page_and_no_staging(warm_project: Project) -> None:
    responses.post(GTTS, body=requests.exceptions.ConnectionError("offline"))
    first = review_messages(warm_project, ["not-alone"], "ko-offline")
    before = {p.relative_to(first.folder): p.read_bytes() for p in first.folder.rglob("*.*")}
    with pytest.raises(RenderError):
        review_messages(
            warm_project,
            ["church-prays", "not-alone"],
            "ko-google",
            settings=RenderSettings(strict=True),
        )
    after = {p.relative_to(first.folder): p.read_bytes() for p in first.folder.rglob("*.*")}
    assert after == before
    leftovers = [p.name for p in warm_project.output_dir.iterdir() if p.name.startswith(".")]
    assert leftovers in ([], [".locks"])
