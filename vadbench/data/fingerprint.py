"""Cheap digests of source files and settings, used in cache keys and ``Dataset.fingerprint()``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable


def digest(*parts: Any) -> str:
    """A short sha256 of JSON-serialisable ``parts`` (paths and other objects are written with ``str``)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_stat(path: Path) -> tuple[str, int, int]:
    """(absolute path, size, mtime in ns) of one file: changes whenever the file is rewritten."""
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def files_digest(paths: Iterable[Path]) -> str:
    """A digest of the paths, sizes and modification times of ``paths`` (order-independent)."""
    return digest(sorted(file_stat(Path(path)) for path in paths))
