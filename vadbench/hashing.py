"""Digests behind every cache key and fingerprint: canonical JSON of values, and cheap identities of files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable


def digest(value: Any, length: int = 16) -> str:
    """Hex sha256 of a JSON-serialisable value, independent of dict order (other objects are written with ``str``)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def seed(*parts: Any) -> int:
    """A 63-bit random-generator seed derived from ``parts`` (e.g. sample seed, video id, window start)."""
    return int(digest(list(parts)), 16) & (2**63 - 1)


def file_stat(path: Path) -> tuple[str, int, int]:
    """(absolute path, size, mtime in ns) of one file: changes whenever the file is rewritten."""
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def files_digest(paths: Iterable[Path]) -> str:
    """A digest of the paths, sizes and modification times of ``paths`` (order-independent)."""
    return digest(sorted(file_stat(Path(path)) for path in paths))


def file_digest(path: Path) -> str:
    """Digest of a file's bytes (checkpoints given with ``--checkpoint``)."""
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()[:16]
