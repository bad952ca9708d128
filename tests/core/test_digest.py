"""sha256 of files and texts, against the published SHA-256 test vectors (FIPS 180-2,
appendix B) and hashlib over the whole bytes at once."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from audio_pipeline.core.digest import sha256_file, sha256_text, text_sha256

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
MILLION_A = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"


def test_text_digests_are_the_published_vectors() -> None:
    assert sha256_text("") == EMPTY
    assert sha256_text("abc") == ABC
    assert sha256_text("a" * 1_000_000) == MILLION_A


def test_text_is_hashed_as_utf8() -> None:
    # 한 is U+D55C: ED 95 9C in UTF-8
    assert sha256_text("한") == hashlib.sha256(b"\xed\x95\x9c").hexdigest()


def test_file_digests_are_the_published_vectors(tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "abc").write_bytes(b"abc")
    (tmp_path / "a").write_bytes(b"a" * 1_000_000)
    assert sha256_file(tmp_path / "empty") == EMPTY
    assert sha256_file(tmp_path / "abc") == ABC
    assert sha256_file(tmp_path / "a") == MILLION_A


def test_a_file_read_in_several_blocks_hashes_as_a_whole(tmp_path: Path) -> None:
    content = bytes(range(256)) * (3 * 4096 + 7)  # a little over 3 MiB: four reads
    path = tmp_path / "big.bin"
    path.write_bytes(content)
    assert sha256_file(path) == hashlib.sha256(content).hexdigest()


def test_a_message_digest_ignores_the_surrounding_whitespace_only() -> None:
    assert text_sha256("abc") == ABC
    assert text_sha256("  abc\n\n") == ABC
    assert text_sha256("\tabc ") == ABC
    # whitespace inside the text is part of it: an approval binds to the text as written
    assert text_sha256("a bc") != text_sha256("a  bc")
    assert text_sha256("a\nbc") != text_sha256("a bc")


def test_a_message_digest_is_the_same_however_the_hangul_was_composed() -> None:
    composed = "당신은 혼자가 아닙니다."
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed  # jamo, as some editors save it
    expected = hashlib.sha256(composed.encode("utf-8")).hexdigest()
    assert text_sha256(composed) == expected
    assert text_sha256(decomposed + "\n") == expected
