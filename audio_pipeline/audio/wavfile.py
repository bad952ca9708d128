"""RIFF/WAVE reading and streaming writing: PCM 16/24-bit and IEEE float 32-bit.

Hand-written because no library here both streams blocks out, writes 24-bit, and places our
own chunks (bext, cue, LIST/adtl for the cue metadata): the standard `wave` module does PCM only
and has no chunk API; scipy's writer holds the whole file in memory and has no 24-bit.

Layout written: RIFF, [JUNK reserve], fmt, [fact], data, [trailing chunks]. Every chunk is
padded to even length (RIFF rule). Sizes are patched on close, so a file is never valid
until it is complete, and callers write to a staging path anyway. `amend` adds chunks that
can only be made after the file has been measured (bext loudness), keeping it valid throughout.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
# JUNK reserve a delivered WAV leaves before fmt for the Broadcast Wave bext chunk
# (EBU Tech 3285: 8-byte header + 602 fixed bytes + CodingHistory), written in place once
# the file is measured (metadata.bwf); what the bext does not fill stays a JUNK chunk. The
# payload is a multiple of 4 on purpose.
BEXT_RESERVE_BYTES = 1016

SAMPLE_FORMATS = {"pcm16": (16, WAVE_FORMAT_PCM), "pcm24": (24, WAVE_FORMAT_PCM)}
SAMPLE_FORMATS["float32"] = (32, WAVE_FORMAT_IEEE_FLOAT)


class WavError(ValueError):
    pass


def chunk(chunk_id: bytes, payload: bytes) -> bytes:
    """One RIFF chunk: id, little-endian size, payload, pad byte when the size is odd."""
    if len(chunk_id) != 4:
        raise ValueError("chunk id must be 4 bytes")
    pad = b"\x00" if len(payload) % 2 else b""
    return chunk_id + struct.pack("<I", len(payload)) + payload + pad


def quantize_ints(block: np.ndarray, bits: int, rng: np.random.Generator | None) -> np.ndarray:
    """float32 in [-1, 1) to the integers a `bits`-bit PCM file holds (int32).

    16-bit gets TPDF dither from a seeded generator (deterministic output); at 24 bits the
    rounding error sits near -144 dBFS and dither would only cost reproducibility.
    """
    scale = float(2 ** (bits - 1))
    x = block.astype(np.float64) * scale
    if bits == 16 and rng is not None:
        x += rng.random(x.shape) - rng.random(x.shape)
    return np.clip(np.rint(x), -scale, scale - 1).astype("<i4")


def pcm_bytes(ints: np.ndarray, bits: int) -> np.ndarray:
    """Integers of `quantize_ints` as little-endian `bits`-bit bytes (a uint8 array)."""
    raw = np.ascontiguousarray(ints, dtype="<i4").reshape(-1).view(np.uint8).reshape(-1, 4)
    return raw[:, : bits // 8].reshape(-1)


def pcm_to_float(ints: np.ndarray, bits: int) -> np.ndarray:
    """PCM integers as float32, exactly as `read` decodes them from a file (and as ffmpeg
    does: every 16- or 24-bit value is exact in float32)."""
    if bits == 16:
        return ints.astype(np.float32) / np.float32(32768.0)
    return (ints / float(1 << (bits - 1))).astype(np.float32)


class WavWriter:
    def __init__(
        self,
        path: Path,
        sample_rate: int,
        channels: int,
        sample_format: str = "pcm24",
        *,
        reserve: int = 0,
        dither_seed: int = 0,
    ) -> None:
        if sample_format not in SAMPLE_FORMATS:
            raise ValueError(f"sample_format must be one of {sorted(SAMPLE_FORMATS)}")
        self.path = path
        self.sample_rate = sample_rate
        self.channels = channels
        self.bits, self.format_tag = SAMPLE_FORMATS[sample_format]
        self.frames = 0
        self._rng = np.random.default_rng(dither_seed)
        self._f: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._f.write(b"RIFF\x00\x00\x00\x00WAVE")
        self._reserve_offset: int | None = None
        self._reserve_size = 0
        if reserve:
            self._reserve_size = reserve + (reserve % 2)
            self._reserve_offset = self._f.tell()
            self._f.write(chunk(b"JUNK", bytes(self._reserve_size)))
        block_align = channels * self.bits // 8
        fmt = struct.pack(
            "<HHIIHH",
            self.format_tag,
            channels,
            sample_rate,
            sample_rate * block_align,
            block_align,
            self.bits,
        )
        if self.format_tag == WAVE_FORMAT_IEEE_FLOAT:
            fmt += struct.pack("<H", 0)  # cbSize
        self._f.write(chunk(b"fmt ", fmt))
        self._fact_offset: int | None = None
        if self.format_tag != WAVE_FORMAT_PCM:  # a fact chunk is required for non-PCM data
            self._fact_offset = self._f.tell()
            self._f.write(chunk(b"fact", struct.pack("<I", 0)))
        self._data_offset = self._f.tell()
        self._f.write(b"data\x00\x00\x00\x00")

    @property
    def closed(self) -> bool:
        return self._f.closed

    def encode(self, block: np.ndarray) -> tuple[bytes, np.ndarray]:
        """The bytes `block` takes in this file, and the samples as a reader of the file will
        decode them (the values to measure: PCM's quantized integers, as float32). Blocks
        must be encoded in the order they are written (16-bit dither is a seeded sequence)."""
        if block.ndim == 1 and self.channels != 1:
            raise ValueError("mono block written to a multichannel file")
        if block.ndim == 2 and block.shape[1] != self.channels:
            raise ValueError("block channel count does not match the file")
        if self.format_tag == WAVE_FORMAT_IEEE_FLOAT:
            stored = np.ascontiguousarray(block, dtype="<f4")
            return stored.tobytes(), stored
        ints = quantize_ints(block, self.bits, self._rng)
        return pcm_bytes(ints, self.bits).tobytes(), pcm_to_float(ints, self.bits)

    def write_encoded(self, data: bytes | memoryview, frames: int) -> None:
        """Append what `encode` made (or a whole-frame slice of it)."""
        if len(data) != frames * self.channels * self.bits // 8:
            raise ValueError("encoded data does not hold that many frames")
        self._f.write(data)
        self.frames += frames

    def write(self, block: np.ndarray) -> np.ndarray:
        """Append `block`; returns its samples as a reader of the file will decode them."""
        data, stored = self.encode(block)
        self.write_encoded(data, block.shape[0])
        return stored

    def close(self, trailing: list[bytes] | None = None, reserved: bytes | None = None) -> None:
        """Finish the file. `trailing` are whole chunks placed after data; `reserved` is a
        whole chunk written into the JUNK reserve (the rest of the reserve stays JUNK)."""
        f = self._f
        data_bytes = self.frames * self.channels * self.bits // 8
        if data_bytes % 2:
            f.write(b"\x00")
        for c in trailing or []:
            f.write(c)
        end = f.tell()
        if end - 8 > 0xFFFFFFFF:
            f.close()
            raise WavError("WAV larger than 4 GiB; split the programme")
        f.seek(4)
        f.write(struct.pack("<I", end - 8))
        f.seek(self._data_offset + 4)
        f.write(struct.pack("<I", data_bytes))
        if self._fact_offset is not None:
            f.seek(self._fact_offset + 8)
            f.write(struct.pack("<I", self.frames))
        if reserved is not None:
            if self._reserve_offset is None:
                raise ValueError("no reserve was made for this chunk")
            f.seek(self._reserve_offset)
            f.write(_fill_reserve(reserved, self._reserve_size + 8))
        f.flush()
        f.close()


def _fill_reserve(reserved: bytes, room: int) -> bytes:
    """`reserved` (a whole chunk) followed by a JUNK chunk taking up the rest of the room."""
    if len(reserved) % 2:
        raise ValueError("a chunk must have an even length (pad byte included)")
    if len(reserved) > room or (len(reserved) != room and room - len(reserved) < 8):
        raise ValueError("reserved chunk does not fit the JUNK reserve")
    rest = room - len(reserved)
    return reserved + (chunk(b"JUNK", bytes(rest - 8)) if rest else b"")


def amend(path: Path, *, reserved: bytes | None = None, trailing: Sequence[bytes] = ()) -> None:
    """Add chunks to a finished WAV: `reserved` (a whole chunk) into the JUNK reserve that
    the writer left at the front, `trailing` (whole chunks) after the end.

    For chunks known only once the file has been measured (the bext loudness fields). The
    audio data is not touched, and the file is a valid WAV after each step: the reserve is
    overwritten with chunks of the same total size, the new chunks are appended beyond the
    RIFF size (where readers do not look), and only then the RIFF size is patched (4 bytes).
    """
    info = read_info(path)
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(4)
        riff_size = struct.unpack("<I", f.read(4))[0]
        if riff_size + 8 != size:
            raise WavError(
                f"{path.name}: the RIFF size does not match the file; not a finished WAV"
            )
        if reserved is not None:
            first_id, first_offset, first_size = info.chunks[0]
            if first_id != b"JUNK" or first_offset != 20:
                raise WavError(f"{path.name}: no JUNK reserve at the front (already amended?)")
            f.seek(12)
            f.write(_fill_reserve(reserved, first_size + 8))
        if trailing:
            if any(len(c) % 2 for c in trailing):
                raise ValueError("a chunk must have an even length (pad byte included)")
            f.seek(size)
            for c in trailing:
                f.write(c)
            end = f.tell()
            if end - 8 > 0xFFFFFFFF:
                f.truncate(size)
                raise WavError("WAV larger than 4 GiB; split the programme")
            f.flush()
            f.seek(4)
            f.write(struct.pack("<I", end - 8))
        f.flush()


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    bits: int
    format_tag: int
    data_offset: int
    frames: int
    chunks: tuple[tuple[bytes, int, int], ...]  # (id, payload offset, payload size)


def read_info(path: Path) -> WavInfo:
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise WavError("not a RIFF/WAVE file")
        size = path.stat().st_size
        chunks: list[tuple[bytes, int, int]] = []
        fmt: bytes | None = None
        offset = 12
        while offset + 8 <= size:
            f.seek(offset)
            cid, csize = struct.unpack("<4sI", f.read(8))
            chunks.append((cid, offset + 8, csize))
            if cid == b"fmt ":
                fmt = f.read(min(csize, 64))
            offset += 8 + csize + (csize % 2)
    if fmt is None or len(fmt) < 16:
        raise WavError("no fmt chunk")
    tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == WAVE_FORMAT_EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]  # first two bytes of the SubFormat GUID
    data = [c for c in chunks if c[0] == b"data"]
    if not data:
        raise WavError("no data chunk")
    _, data_offset, data_size = data[0]
    if channels < 1 or bits not in (16, 24, 32) or tag not in (1, 3):
        raise WavError(f"unsupported WAV format (tag {tag}, {bits} bits)")
    if data_offset + data_size > size:
        raise WavError("data chunk is truncated")
    frames = data_size // (channels * bits // 8)
    return WavInfo(rate, channels, bits, tag, data_offset, frames, tuple(chunks))


def _decode(raw: bytes, info: WavInfo) -> np.ndarray:
    """Interleaved sample bytes of `info`'s format to float32."""
    if info.format_tag == WAVE_FORMAT_IEEE_FLOAT:
        x = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif info.bits == 16:
        x = pcm_to_float(np.frombuffer(raw, dtype="<i2"), 16)
    elif info.bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        ints = (
            b[:, 0].astype(np.int32)
            | (b[:, 1].astype(np.int32) << 8)
            | (b[:, 2].astype(np.int32) << 16)
        )
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        x = pcm_to_float(ints, 24)
    else:
        x = (np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2**31).astype(np.float32)
    return x if info.channels == 1 else x.reshape(-1, info.channels)


def read(path: Path) -> tuple[np.ndarray, int]:
    """Read a whole WAV into float32, shape (n,) for mono or (n, channels)."""
    info = read_info(path)
    width = info.bits // 8
    count = info.frames * info.channels
    with open(path, "rb") as f:
        f.seek(info.data_offset)
        raw = f.read(count * width)
    return _decode(raw, info), info.sample_rate


def iter_blocks(path: Path, block_frames: int) -> Iterator[np.ndarray]:
    """A WAV's samples as float32 blocks of `block_frames` (the last one shorter), so a long
    programme can be scanned without holding it in memory."""
    info = read_info(path)
    frame_bytes = info.channels * info.bits // 8
    left = info.frames
    with open(path, "rb") as f:
        f.seek(info.data_offset)
        while left > 0:
            frames = min(block_frames, left)
            raw = f.read(frames * frame_bytes)
            if len(raw) < frames * frame_bytes:
                raise WavError("data chunk is truncated")
            left -= frames
            yield _decode(raw, info)


def write(path: Path, samples: np.ndarray, sample_rate: int, sample_format: str) -> None:
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    w = WavWriter(path, sample_rate, channels, sample_format)
    w.write(samples)
    w.close()
