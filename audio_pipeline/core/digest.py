"""sha256 of files and texts: content addresses (the clip cache) and fingerprints (the
manifest, the ledger)."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_sha256(text: str) -> str:
    """The digest of a message's text as it stands in the message file: Unicode NFC, without
    leading or trailing whitespace. One function for every use, so an editor's approval
    (`approved_sha256`), the cues (`text_sha256`) and the ledger's placements can be compared
    directly: the same text gives the same digest however the file was saved."""
    return sha256_text(unicodedata.normalize("NFC", text.strip()))
