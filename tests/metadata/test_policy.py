"""The public projection of an episode (metadata/policy.py): only the fields a policy scope
allows, the attribution only where the editor approved it, never a message's approver, notes
or path; and cue times rescaled to each file's rate without gaps or overlaps."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_pipeline.core.results import Loudness
from audio_pipeline.inputs.policy import EMBEDDED, SIDECARS, MetadataPolicy, default_policy
from audio_pipeline.metadata.policy import PublicCue, Timeline, public_metadata, rescale
from tests import metadata_helpers as mh

# --- positions at another rate -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("samples", "src", "dst", "expected"),
    [
        (48_000, 48_000, 22_050, 22_050),
        (1, 48_000, 44_100, 1),  # 0.919 of a sample: the nearest is 1
        (1, 48_000, 22_050, 0),  # 0.459: the nearest is 0
        (1, 2, 1, 1),  # exactly half: up
        (3, 2, 1, 2),  # 1.5: up
        (620_011, 48_000, 48_000, 620_011),
        (10**12 + 7, 48_000, 44_100, 918_750_000_006),  # exact integers, however long
    ],
)
def test_a_position_goes_to_the_nearest_sample_at_the_other_rate(
    samples: int, src: int, dst: int, expected: int
) -> None:
    assert rescale(samples, src, dst) == expected


RATES = st.sampled_from([8_000, 22_050, 24_000, 32_000, 44_100, 48_000, 96_000])


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 10_000_000), min_size=1, max_size=12),
    src=RATES,
    dst=RATES,
    offset=st.integers(0, 2_000),
)
def test_cues_at_another_rate_stay_back_to_back_and_within_half_a_sample(
    lengths: list[int], src: int, dst: int, offset: int
) -> None:
    edges = [sum(lengths[:i]) for i in range(len(lengths) + 1)]
    spans = tuple(itertools.pairwise(edges))
    timeline = Timeline(src, edges[-1], spans).at(dst, offset)
    assert timeline.sample_rate == dst
    assert timeline.length == timeline.spans[-1][1]  # the last cue ends with the programme
    assert timeline.spans[0][0] == offset
    for (_, end), (start, _) in itertools.pairwise(timeline.spans):
        assert end == start  # never a gap, never an overlap
    for (start, _), edge in zip(timeline.spans, edges, strict=False):
        assert abs(start - offset - Fraction(edge * dst, src)) <= Fraction(1, 2)


def test_the_same_rate_without_a_delay_is_the_same_timeline() -> None:
    timeline = Timeline(48_000, 100, ((0, 40), (40, 100)))
    assert timeline.at(48_000) is timeline
    assert timeline.at(48_000, 5) == Timeline(48_000, 105, ((5, 45), (45, 105)))


# --- what a scope lets out ----------------------------------------------------------------------


def test_the_default_sidecars_scope_carries_the_whole_public_episode() -> None:
    view = mh.view(SIDECARS)
    assert (view.scope, view.episode_id, view.sample_rate, view.length) == (
        SIDECARS,
        "2026-w47",
        mh.SR,
        mh.LENGTH,
    )
    assert (view.title, view.date.isoformat() if view.date else None) == (
        "소망의 메시지 - 2026년 47주",
        "2026-11-22",
    )
    assert view.station == "새벽빛 방송"  # no station of its own: the default
    assert (view.target_lufs, view.ceiling_dbtp, view.tool_version) == (-23.0, -1.0, "0.1.0")
    assert view.loudness_allowed
    assert view.timeline == Timeline(
        mh.SR, mh.LENGTH, tuple((start, end) for *_, start, end in mh.LAYOUT)
    )
    intro, first, sting, second, outro = view.cues
    assert [c.kind for c in view.cues] == ["intro", "message", "sting", "message", "outro"]
    assert first == PublicCue(
        index=2,
        kind="message",
        message_id="not-alone",
        title="당신은 혼자가 아닙니다",
        attribution=mh.APPROVED_ATTRIBUTION,
        engine="espeak",
        voice="ko-offline",
        fallback=False,
        text_sha256="ab" * 32,
        loudness=Loudness(-23.0, -3.0, 2.0, -20.0, -21.5),
    )
    # the attribution the editor did not approve never leaves, whatever the policy says
    assert second.message_id == "church-prays" and second.attribution is None
    # a bumper has no message, so no fallback to tell
    assert (intro.fallback, sting.engine, outro.message_id) == (None, None, None)


def test_the_default_embedded_scope_leaves_synthesis_and_hashes_out() -> None:
    view = mh.view(EMBEDDED)
    message = view.cues[1]
    assert (message.engine, message.voice, message.fallback, message.text_sha256) == (
        None,
        None,
        None,
        None,
    )
    assert message.title == "당신은 혼자가 아닙니다" and view.timeline is not None


@pytest.mark.parametrize(
    ("field", "gone"),
    [
        ("episode_title", lambda v: v.title is None),
        ("episode_date", lambda v: v.date is None),
        ("station", lambda v: v.station is None),
        ("message_id", lambda v: v.cues[1].message_id is None and v.cues[1].label == "message"),
        ("message_title", lambda v: v.cues[1].title is None),
        ("attribution", lambda v: v.cues[1].attribution is None),
        ("cue_times", lambda v: v.timeline is None),
        ("synthesis", lambda v: v.cues[1].engine is None and v.cues[1].fallback is None),
        ("text_sha256", lambda v: v.cues[1].text_sha256 is None),
        ("tool_version", lambda v: v.tool_version is None),
        (
            "loudness",
            lambda v: (
                not v.loudness_allowed
                and v.target_lufs is None
                and v.ceiling_dbtp is None
                and v.cues[1].loudness is None
                and v.loudness(Loudness(-23.0, -1.0)) is None
            ),
        ),
    ],
)
def test_each_field_a_policy_leaves_out_is_not_in_the_view(field: str, gone: object) -> None:
    full = mh.view(SIDECARS)
    view = mh.view(SIDECARS, mh.without(SIDECARS, field))
    assert gone(view)  # type: ignore[operator]
    assert not gone(full)  # type: ignore[operator]


def test_nothing_of_a_message_but_its_public_fields_is_in_any_view() -> None:
    everything = MetadataPolicy(
        frozenset(default_policy().sidecars), frozenset(default_policy().sidecars), "test"
    )
    for scope in (EMBEDDED, SIDECARS):
        text = repr(mh.view(scope, everything))
        for secret in (mh.SECRET_EMAIL, mh.SECRET_PHONE, mh.SECRET_NAME, "/home/producer"):
            assert secret not in text
        assert mh.UNAPPROVED_ATTRIBUTION not in text


def test_the_profile_targets_replace_the_episodes() -> None:
    from audio_pipeline.core.results import Programme

    programme: Programme = mh.programme()
    view = public_metadata(
        default_policy(),
        SIDECARS,
        programme,
        mh.episode(station="Dawn Light Radio"),
        mh.messages(),
        tool_version="9.9",
        target_lufs=-16.0,
        ceiling_dbtp=-2.0,
    )
    assert (view.target_lufs, view.ceiling_dbtp) == (-16.0, -2.0)
    assert (view.station, view.tool_version) == ("Dawn Light Radio", "9.9")


def test_an_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^unknown metadata scope 'public'$"):
        mh.view("public")


# --- the views every writer works from -----------------------------------------------------------


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
