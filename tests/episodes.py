"""Building throwaway episodes of a chosen size for the reliability tests."""

from __future__ import annotations

from pathlib import Path

from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.project import Project

from .conftest import write_yaml

SENTENCES = (
    "사랑하는 형제자매 여러분.",
    "당신은 혼자가 아닙니다.",
    "오늘도 힘을 내십시오.",
    "우리는 당신을 위해 기도합니다.",
    "하나님께서 당신 곁에 계십니다.",
    "소망을 잃지 마십시오.",
    "어둠 속에도 빛이 있습니다.",
    "우리는 한 가족입니다.",
    "평안이 함께하기를 바랍니다.",
    "당신의 믿음은 큰 용기가 됩니다.",
    "내일도 함께 기도하겠습니다.",
)


def add_messages(project: Project, count: int, sentences_each: int = 2) -> list[str]:
    """`count` approved messages, each a different pair (or run) of short sentences."""
    ids = []
    for n in range(count):
        picked = [SENTENCES[(n * 3 + k * 5) % len(SENTENCES)] for k in range(sentences_each)]
        msg_id = f"msg-{n:02d}"
        # the number makes every text (and so every clip) different
        text = " ".join(picked) + f" {n + 1}번째 인사를 드립니다."
        write_yaml(
            project.messages_dir / f"{msg_id}.yaml",
            {
                "id": msg_id,
                "status": "approved",
                "title": f"메시지 {n}",
                "text": text,
                "approved_by": "편집팀",
                "approved_at": "2026-11-16",
                "approved_sha256": text_sha256(text),
            },
        )
        ids.append(msg_id)
    return ids


def write_episode(
    project: Project,
    episode_id: str,
    messages: list[str],
    *,
    voice: str = "ko-offline",
    fallback_voice: str | None = None,
) -> Path:
    data: dict[str, object] = {
        "id": episode_id,
        "title": "시험 방송",
        "date": "2026-11-22",
        "voice": voice,
        "messages": messages,
        "intro": "voices/bumpers/intro.wav",
        "outro": "voices/bumpers/outro.wav",
        "gap_s": 1.0,
    }
    if fallback_voice:
        data["fallback_voice"] = fallback_voice
    return write_yaml(project.episodes_dir / f"{episode_id}.yaml", data)
