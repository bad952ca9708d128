"""Baseline (a): the naive script a programme could be made with, and what the pipeline is
measured against.

Sequential: each message through gTTS (the real library, through the same stand-in), decoded
with pydub, pydub's peak normalize, joined with `+` between the bumpers, exported to MP3.
No cache, no loudness measurement, no checks. Run as
`python -m bench.naive EPISODE_YAML OUT_MP3` with HTTPS_PROXY pointing at the stand-in.
"""

from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path

import yaml


def main(episode_file: Path, out: Path) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from gtts import gTTS
        from pydub import AudioSegment, effects

    # pydub has no ffmpeg of its own: the bundled one (no ffprobe, so the codec is always named)
    import imageio_ffmpeg

    AudioSegment.converter = imageio_ffmpeg.get_ffmpeg_exe()
    root = episode_file.resolve().parent.parent.parent
    episode = yaml.safe_load(episode_file.read_text("utf-8"))
    programme = AudioSegment.from_file(root / episode["intro"], format="wav")
    gap = AudioSegment.silent(duration=round(1000 * float(episode.get("gap_s", 1.5))))
    for message_id in episode["messages"]:
        path = root / "input" / "messages" / f"{message_id}.yaml"
        message = yaml.safe_load(path.read_text("utf-8"))
        buffer = io.BytesIO()
        gTTS(message["text"], lang="ko").write_to_fp(buffer)
        buffer.seek(0)
        speech = AudioSegment.from_file(buffer, format="mp3", codec="mp3")
        programme = programme + gap + effects.normalize(speech)
    programme = programme + gap + AudioSegment.from_file(root / episode["outro"], format="wav")
    programme.export(out, format="mp3", codec="libmp3lame", bitrate="128k")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
