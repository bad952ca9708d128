"""The public view of a render's metadata that every writer works from: only what the policy
lets out, an attribution only where the editor approved it, nothing private; and timelines
rescaled to whole samples."""

from __future__ import annotations

from audio_pipeline.inputs.policy import EMBEDDED, SIDECARS
from audio_pipeline.metadata.policy import Timeline, rescale
from tests import metadata_helpers as mh


def test_attribution_leaves_only_where_the_editor_approved_it() -> None:
    for scope in (EMBEDDED, SIDECARS):
        cues = {c.message_id: c for c in mh.view(scope).cues}
        assert cues["not-alone"].attribution == mh.APPROVED_ATTRIBUTION
        assert cues["church-prays"].attribution is None
    held_back = mh.view(EMBEDDED, mh.without(EMBEDDED, "attribution"))
    assert all(c.attribution is None for c in held_back.cues)


def test_the_public_view_holds_nothing_private() -> None:
    for scope in (EMBEDDED, SIDECARS):
        text = repr(mh.view(scope))
        for secret in (mh.SECRET_EMAIL, mh.SECRET_PHONE, mh.SECRET_NAME, "/home/producer"):
            assert secret not in text
        assert mh.UNAPPROVED_ATTRIBUTION not in text


def test_fields_the_policy_holds_back_are_not_in_the_view() -> None:
    policy = mh.without(SIDECARS, "episode_title", "message_title", "cue_times", "station")
    view = mh.view(SIDECARS, policy)
    assert view.title is None and view.station is None and view.timeline is None
    assert all(c.title is None for c in view.cues)
    assert [c.message_id for c in view.cues if c.kind == "message"] == ["not-alone", "church-prays"]


def test_timelines_rescale_to_whole_samples_without_overlap() -> None:
    assert rescale(48_000, 48_000, 44_100) == 44_100
    assert rescale(1, 48_000, 44_100) == 1  # 0.91875 rounds to 1
    assert rescale(123_457, 48_000, 22_050) == round(123_457 * 22_050 / 48_000)
    timeline = Timeline(48_000, 100_001, ((0, 33_333), (33_333, 100_001)))
    at = timeline.at(22_050)
    assert at.spans[0][1] == at.spans[1][0] and at.spans[1][1] == at.length
    assert timeline.at(48_000) is timeline
