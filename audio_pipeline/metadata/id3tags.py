"""ID3v2.4 tags for MP3 deliverables, written with mutagen.

TIT2 (episode title), TPE1 (station), TDRC (episode date), TLAN "kor", one CHAP frame per cue
(ID3v2 Chapter Frame Addendum 1.0) and a top-level, ordered CTOC listing them. Chapter times
are milliseconds computed from whole samples at the MP3's own rate; the encoder delay is in
the LAME header, so a gapless decoder's sample 0 is the programme's sample 0 and chapters line
up. A player that ignores that header plays the encoder's priming samples first (about 23 ms
at 48 kHz): a chapter then lands that much before its message, in the silence ahead of it,
never after the first syllable.

ffmpeg wrote no tags of its own (`-id3v2_version 0`, `-map_metadata -1`): what is in the file
is exactly what the policy let through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mutagen.id3

from audio_pipeline.metadata.policy import PublicMetadata

# mutagen's frame classes take their fields as untyped keyword arguments
id3: Any = mutagen.id3


class _InOrderID3(mutagen.id3.ID3):
    """ID3 that writes its frames in the order they were added.

    mutagen sorts frames by size before writing (ID3Tags._write), which scatters the CHAP
    frames; ffmpeg (and other readers that ignore CTOC) list chapters in file order, so ours
    are written chronologically. tests/test_id3tags.py checks the order ffmpeg reports.
    """

    def _write(self, config: Any) -> bytearray:
        from mutagen.id3 import _tags

        save_frame: Any = _tags.save_frame
        frames: list[Any] = list(self.values())  # type: ignore[no-untyped-call]
        return bytearray().join(save_frame(frame, config=config) for frame in frames)


LANGUAGE = "kor"  # ISO 639-2: the programme is in Korean
TOC_ID = "toc"
NO_OFFSET = 0xFFFFFFFF  # CHAP byte offsets unused: times are authoritative
MAX_TOC_ENTRIES = 255  # a CTOC's entry count is one byte


def samples_to_ms(samples: int, rate: int) -> int:
    """Nearest millisecond, in exact integers."""
    return (2 * samples * 1000 + rate) // (2 * rate)


def chapter_id(index: int) -> str:
    return f"chp{index:03d}"


def build_tags(view: PublicMetadata, sample_rate: int) -> Any:
    tags: Any = _InOrderID3()  # type: ignore[no-untyped-call]
    if view.title:
        tags.add(id3.TIT2(encoding=id3.Encoding.UTF8, text=[view.title]))
    if view.station:
        tags.add(id3.TPE1(encoding=id3.Encoding.UTF8, text=[view.station]))
    if view.date:
        tags.add(id3.TDRC(encoding=id3.Encoding.UTF8, text=[view.date.isoformat()]))
    tags.add(id3.TLAN(encoding=id3.Encoding.LATIN1, text=[LANGUAGE]))
    if view.timeline is not None:
        timeline = view.timeline.at(sample_rate)
        ids = []
        for cue, (start, end) in zip(view.cues, timeline.spans, strict=True):
            sub = [id3.TIT2(encoding=id3.Encoding.UTF8, text=[cue.display_title])]
            if cue.attribution:
                sub.append(id3.TIT3(encoding=id3.Encoding.UTF8, text=[cue.attribution]))
            ids.append(chapter_id(cue.index))
            tags.add(
                id3.CHAP(
                    element_id=ids[-1],
                    start_time=samples_to_ms(start, sample_rate),
                    end_time=samples_to_ms(end, sample_rate),
                    start_offset=NO_OFFSET,
                    end_offset=NO_OFFSET,
                    sub_frames=sub,
                )
            )
        for frame in tables_of_contents(ids, view.title):
            tags.add(frame)
    return tags


def tables_of_contents(chapter_ids: list[str], title: str | None) -> list[Any]:
    """The CTOC frames: one top-level, ordered table listing the chapters; or, past
    MAX_TOC_ENTRIES chapters (a CTOC counts its entries in one byte), a top-level table of
    ordered sub-tables of up to that many chapters each, in programme order. Sub-tables come
    first, so a reader meets every element before the table that names it."""

    def toc(element_id: str, flags: int, children: list[str], name: str | None) -> Any:
        sub = [id3.TIT2(encoding=id3.Encoding.UTF8, text=[name])] if name else []
        return id3.CTOC(
            element_id=element_id, flags=flags, child_element_ids=children, sub_frames=sub
        )

    top = id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED
    if len(chapter_ids) <= MAX_TOC_ENTRIES:
        return [toc(TOC_ID, top, chapter_ids, title)]
    groups = [
        chapter_ids[i : i + MAX_TOC_ENTRIES] for i in range(0, len(chapter_ids), MAX_TOC_ENTRIES)
    ]
    parts = [
        toc(
            f"{TOC_ID}{n:02d}",
            id3.CTOCFlags.ORDERED,
            group,
            f"{title} ({n}/{len(groups)})" if title else None,
        )
        for n, group in enumerate(groups, start=1)
    ]
    return [*parts, toc(TOC_ID, top, [p.element_id for p in parts], title)]


def tag_mp3(path: Path, view: PublicMetadata, sample_rate: int) -> None:
    """Write the tags at the front of the MP3 (ID3v2.4, no ID3v1). Deterministic: mutagen's
    padding depends only on the file's size."""
    build_tags(view, sample_rate).save(path, v1=0, v2_version=4)
