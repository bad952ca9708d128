"""What goes into a render: a message's approval bound to its text, the episode's target
length, the selection rule as it is recorded, and the defaults the README documents."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from audio_pipeline.core.models import (
    UNDER,
    Approval,
    Episode,
    FillSettings,
    Message,
    SelectOrder,
    SelectRule,
    Status,
)

TEXT = "사랑하는 형제자매 여러분, 당신은 혼자가 아닙니다."
# the digest of the text as approved, computed here from its bytes
TEXT_DIGEST = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()


def message(**fields: Any) -> Message:
    values: dict[str, Any] = {
        "id": "not-alone",
        "status": Status.APPROVED,
        "text": TEXT,
        "approved_by": "편집팀",
        "approved_at": dt.date(2026, 11, 16),
        "source": Path("input/messages/not-alone.yaml"),
        "approved_sha256": TEXT_DIGEST,
    }
    values.update(fields)
    return Message(**values)


def test_the_statuses_are_the_documented_ones() -> None:
    # README: draft | pending | approved | rejected
    assert [s.value for s in Status] == ["draft", "pending", "approved", "rejected"]


def test_an_approval_of_this_very_text_is_current() -> None:
    m = message()
    assert m.text_sha256 == TEXT_DIGEST
    assert m.approval is Approval.CURRENT and m.is_approved


def test_the_same_text_saved_otherwise_keeps_its_approval() -> None:
    saved_otherwise = "\n" + unicodedata.normalize("NFD", TEXT) + "\n\n"
    m = message(text=saved_otherwise)
    assert m.approval is Approval.CURRENT and m.is_approved


def test_a_changed_text_is_no_longer_approved() -> None:
    m = message(text=TEXT.replace("혼자가", "결코 혼자가"))
    assert m.approval is Approval.STALE and not m.is_approved


def test_an_approval_without_a_digest_is_unbound() -> None:
    m = message(approved_sha256=None)
    assert m.approval is Approval.UNBOUND and not m.is_approved


@pytest.mark.parametrize("status", [Status.DRAFT, Status.PENDING, Status.REJECTED])
def test_only_an_approved_message_has_an_approval(status: Status) -> None:
    m = message(status=status)  # a digest left over from an earlier approval counts for nothing
    assert m.approval is Approval.NONE and not m.is_approved


def test_a_message_is_frozen() -> None:
    m = message()
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.text = "다른 글"  # type: ignore[misc]


def test_the_select_rule_is_recorded_with_its_fixed_status() -> None:
    assert SelectRule(max_messages=8).as_dict() == {
        "status": "approved",
        "order": "oldest_approval",
        "max_messages": 8,
        "max_duration_s": None,
        "allow_repeats": False,
    }
    rule = SelectRule(3, SelectOrder.NEWEST_APPROVAL, 600.0, allow_repeats=True)
    assert rule.as_dict() == {
        "status": "approved",
        "order": "newest_approval",
        "max_messages": 3,
        "max_duration_s": 600.0,
        "allow_repeats": True,
    }


def episode(**fields: Any) -> Episode:
    values: dict[str, Any] = {
        "id": "2026-w47",
        "title": "소망의 메시지",
        "date": dt.date(2026, 11, 22),
        "voice": "ko-offline",
        "messages": ("not-alone",),
        "intro": Path("voices/bumpers/intro.wav"),
        "outro": Path("voices/bumpers/outro.wav"),
        "source": Path("input/episodes/2026-w47.yaml"),
    }
    values.update(fields)
    return Episode(**values)


def test_the_target_length_is_the_slot_minus_its_margin() -> None:
    assert episode(slot_s=900.0, margin_s=90.0).target_length_s == 810.0  # 15:00 - 1:30
    assert episode(slot_s=600.0).target_length_s == 600.0
    assert episode().target_length_s is None  # no slot, no target


def test_an_episode_without_the_optional_fields_has_the_documented_defaults() -> None:
    ep = episode()
    # README, Episode: gap_s default 1.5, target_lufs -23, true_peak_dbtp -1, fit max
    assert (ep.gap_s, ep.target_lufs, ep.true_peak_dbtp, ep.fit) == (1.5, -23.0, -1.0, "max")
    assert (ep.max_tempo, ep.crossfade_s, ep.margin_s) == (1.0, 0.0, 0.0)
    assert ep.deliverables == () and ep.select is None and ep.bed is None and ep.sting is None
    # README, Slot timing: at most 3 s without speech; gaps grow by gap_s + 1 s by default
    assert ep.fill == FillSettings(max_gap_s=None, max_silence_s=3.0, pool=None)


def test_a_bed_plays_under_the_programme_or_the_bumpers() -> None:
    assert UNDER == ("programme", "bumpers")
