"""A synthetic workload: a throwaway project with N approved messages of natural Korean text
and episodes that list them.

The text is made of the sentences of the repository's own approved messages
(input/messages/*.yaml), combined by a seeded generator, so every run of the benchmark renders
the same words. Each message opens with its own numbered greeting, so no two texts (and no
two clips) are the same.
"""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from audio_pipeline.core.digest import text_sha256

REPO = Path(__file__).resolve().parent.parent

# Seconds of programme per letter (Hangul syllable), measured: espeak-ng at the ko-offline
# rate of 140 speaks 0.22-0.24 s a syllable, about 0.255 s with its pauses. The stand-in speaks
# 0.3 s + 0.21 s a letter per sentence at ko-google's tempo 0.95: about the same pace.
SECONDS_PER_LETTER = 0.255
STANDIN_SECONDS_PER_LETTER = 0.21
INTRO_OUTRO_S = 19.0  # the repository's intro and outro bumpers together
GAP_S = 1.5
STING_S = 1.1 + 2 * 0.4  # the sting with its pads, between messages

# The episode files the benchmark renders, by name: (voice, deliverables or None).
EPISODES: dict[str, tuple[str, list[str] | None]] = {
    "offline": ("ko-offline", None),  # <id>.wav + <id>.mp3, the default profile
    "google": ("ko-google", None),
    "profiles": ("ko-offline", ["ebu-r128", "shortwave", "podcast"]),
}


@dataclass(frozen=True)
class Workload:
    root: Path
    message_ids: tuple[str, ...]
    letters: int  # speakable letters over all messages

    def episode(self, name: str) -> Path:
        return self.root / "input" / "episodes" / f"bench-{name}.yaml"

    def message_file(self, message_id: str) -> Path:
        return self.root / "input" / "messages" / f"{message_id}.yaml"


def sentence_pool(repo: Path = REPO) -> list[str]:
    """Every sentence of the repository's approved messages, in file order."""
    pool: list[str] = []
    for path in sorted((repo / "input" / "messages").glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        if data.get("status") != "approved":
            continue
        for sentence in re.split(r"(?<=[.?!])\s+", " ".join(str(data["text"]).split())):
            if sentence and sentence not in pool:
                pool.append(sentence)
    return pool


def letters(text: str) -> int:
    return sum(1 for c in text if c.isalnum())


def message_text(n: int, target_letters: int, rng: random.Random, pool: list[str]) -> str:
    """About `target_letters` letters: a numbered greeting, then sentences of the pool in
    paragraphs of three."""
    sentences = [f"{n}번째 소식을 전합니다."]
    while sum(letters(s) for s in sentences) < target_letters:
        sentences.append(rng.choice(pool))
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    return "\n\n".join(paragraphs) + "\n"


def letters_per_message(messages: int, minutes: float) -> int:
    """Letters that make `messages` messages fill `minutes` with the bumpers and stings."""
    fixed = INTRO_OUTRO_S + 2 * GAP_S + max(0, messages - 1) * STING_S
    speech = max(10.0, (minutes * 60 - fixed) / messages)
    return max(20, round(speech / SECONDS_PER_LETTER))


def write_yaml(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def make_workload(root: Path, messages: int, minutes: float, seed: int = 8) -> Workload:
    """A project in `root` (made afresh) with `messages` approved messages filling about
    `minutes` of programme, and the episodes of EPISODES listing them all."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(REPO / "voices", root / "voices")
    (root / "input" / "messages").mkdir(parents=True)
    rng = random.Random(seed)
    pool = sentence_pool()
    target = letters_per_message(messages, minutes)
    ids = []
    total = 0
    for n in range(1, messages + 1):
        message_id = f"bench-{n:03d}"
        text = message_text(n, target, rng, pool)
        total += letters(text)
        write_yaml(
            root / "input" / "messages" / f"{message_id}.yaml",
            {
                "id": message_id,
                "status": "approved",
                "title": f"소망의 메시지 {n}",
                "text": text,
                "approved_by": "편집팀",
                "approved_at": "2026-11-16",
                "approved_sha256": text_sha256(text),
            },
        )
        ids.append(message_id)
    workload = Workload(root, tuple(ids), total)
    for name, (voice, deliverables) in EPISODES.items():
        write_episode(workload, name, ids, voice, deliverables)
    return workload


def write_episode(
    workload: Workload,
    name: str,
    message_ids: list[str],
    voice: str,
    deliverables: list[str] | None = None,
) -> Path:
    """The episode `bench-<name>`: the messages between the repository's bumpers, a sting
    between messages."""
    data: dict[str, object] = {
        "id": f"bench-{name}",
        "title": "벤치마크 방송",
        "date": "2026-11-22",
        "voice": voice,
        "messages": message_ids,
        "intro": "voices/bumpers/intro.wav",
        "outro": "voices/bumpers/outro.wav",
        "sting": "voices/bumpers/sting.wav",
        "gap_s": GAP_S,
    }
    if deliverables:
        data["deliverables"] = deliverables
    path = workload.episode(name)
    write_yaml(path, data)
    return path


def edit_message(workload: Workload, message_id: str) -> None:
    """Change one message's text as an editor would: one sentence added at the end, and the
    new text approved (an approval binds to the text it was given)."""
    path = workload.message_file(message_id)
    data = yaml.safe_load(path.read_text("utf-8"))
    data["text"] = str(data["text"]).rstrip() + " 다음 주에도 함께하겠습니다.\n"
    data["approved_sha256"] = text_sha256(data["text"])
    write_yaml(path, data)
