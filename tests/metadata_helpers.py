"""A small synthetic episode for the metadata writers: a programme at 48 kHz with intro,
two messages around a sting, and an outro; one message's attribution approved, the other's
not; the approver and the notes hold details that must never leave."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from audio_pipeline.core.models import Episode, Message, Status
from audio_pipeline.core.results import Loudness, Programme, Segment, SegmentKind
from audio_pipeline.inputs.policy import EMBEDDED, MetadataPolicy, default_policy
from audio_pipeline.metadata.policy import PublicMetadata, public_metadata

SR = 48_000
SECRET_EMAIL = "kim.minsu@example.org"
SECRET_PHONE = "+82 10-1234-5678"
SECRET_NAME = "김민수"
UNAPPROVED_ATTRIBUTION = "서울의 김 집사"
APPROVED_ATTRIBUTION = "세계 곳곳의 성도들"

# (kind, message id, title, start, end) at 48 kHz; odd positions on purpose
LAYOUT = [
    (SegmentKind.INTRO, None, None, 0, 48_001),
    (SegmentKind.MESSAGE, "not-alone", "당신은 혼자가 아닙니다", 120_001, 300_007),
    (SegmentKind.STING, None, None, 319_207, 343_207),
    (SegmentKind.MESSAGE, "church-prays", "전 세계 교회가 기도합니다", 362_407, 500_003),
    (SegmentKind.OUTRO, None, None, 572_003, 620_011),
]
LENGTH = 620_011


def programme() -> Programme:
    segments = []
    for i, (kind, message_id, title, start, end) in enumerate(LAYOUT, start=1):
        segments.append(
            Segment(
                index=i,
                kind=kind,
                path=Path("unused.wav"),
                start=start,
                length=end - start,
                loudness=Loudness(-23.0, -3.0, 2.0, -20.0, -21.5),
                message_id=message_id,
                title=title,
                engine="espeak" if message_id else None,
                voice="ko-offline" if message_id else None,
                text_sha256="ab" * 32 if message_id else None,
            )
        )
    return Programme("2026-w47", "소망의 메시지", SR, LENGTH, tuple(segments))


def episode(title: str = "소망의 메시지 - 2026년 47주", station: str | None = None) -> Episode:
    return Episode(
        id="2026-w47",
        title=title,
        date=dt.date(2026, 11, 22),
        voice="ko-offline",
        messages=("not-alone", "church-prays"),
        intro=Path("voices/bumpers/intro.wav"),
        outro=Path("voices/bumpers/outro.wav"),
        source=Path("input/episodes/2026-w47.yaml"),
        station=station,
    )


def messages() -> dict[str, Message]:
    secret = f"{SECRET_NAME} {SECRET_EMAIL} {SECRET_PHONE}"
    return {
        "not-alone": Message(
            id="not-alone",
            status=Status.APPROVED,
            text="사랑하는 형제자매 여러분",
            approved_by=secret,
            approved_at=dt.date(2026, 11, 16),
            source=Path("/home/producer/project/input/messages/not-alone.yaml"),
            title="당신은 혼자가 아닙니다",
            attribution=APPROVED_ATTRIBUTION,
            attribution_approved=True,
            notes=secret,
        ),
        "church-prays": Message(
            id="church-prays",
            status=Status.APPROVED,
            text="전 세계 교회가 기도합니다",
            approved_by=secret,
            approved_at=dt.date(2026, 11, 16),
            source=Path("/home/producer/project/input/messages/church-prays.yaml"),
            title="전 세계 교회가 기도합니다",
            attribution=UNAPPROVED_ATTRIBUTION,
            attribution_approved=False,
            notes=secret,
        ),
    }


def view(
    scope: str = EMBEDDED,
    policy: MetadataPolicy | None = None,
    *,
    title: str = "소망의 메시지 - 2026년 47주",
    station: str | None = None,
) -> PublicMetadata:
    return public_metadata(
        policy or default_policy(),
        scope,
        programme(),
        episode(title, station),
        messages(),
        tool_version="0.1.0",
    )


def without(scope: str, *fields: str) -> MetadataPolicy:
    """The default policy with `fields` removed from `scope`."""
    base = default_policy()
    if scope == EMBEDDED:
        return MetadataPolicy(base.embedded - set(fields), base.sidecars, "test")
    return MetadataPolicy(base.embedded, base.sidecars - set(fields), "test")
