"""Listener checks: identifying details are found and never edited away silently."""

from __future__ import annotations

from audio_pipeline.text.checks import listener_checks


def test_email_phone_and_url_are_flagged_in_order() -> None:
    text = (
        "연락은 kim.supporter@example.org 또는 +1 (555) 123-4567, www.example.org/page 로 하세요."
    )
    rules = [(w.rule, w.excerpt) for w in listener_checks(text)]
    assert rules == [
        ("email", "kim.supporter@example.org"),
        ("phone-number", "+1 (555) 123-4567"),
        ("url", "www.example.org/page"),
    ]
    assert all(w.kind == "identifying" and w.start >= 0 for w in listener_checks(text))


def test_plain_message_has_no_warnings() -> None:
    assert listener_checks("하나님은 당신을 잊지 않으셨습니다.") == []
