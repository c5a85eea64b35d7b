"""Atomic file writes: a half-written file is never read under its real name."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_file(path: Path, mode: str = "wb", prefix: str = ".tmp-") -> Iterator[IO]:
    """A handle on a temporary file beside ``path`` (named ``prefix...`` with ``path``'s suffix), renamed onto
    ``path`` when the block ends; removed instead when it raises. Concurrent writers never share a temporary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=path.suffix)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
