"""The checkpoint files of a learned model's fit: ``ckpt-<step>.pt`` in the fit stage's folder, written atomically
(a temporary file named after the writer's pid, then a rename) and read back with ``weights_only=True``.

Any model plugin may use these; the format of the state inside a file is the plugin's own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vadbench.atomic import atomic_file
from vadbench.errors import ConfigError
from vadbench.processes import alive

TEMP_PREFIX = ".tmp-ckpt-"  # + the writer's pid: a killed writer's half-written file is removed by the next fit


def checkpoint_name(step: int) -> str:
    return f"ckpt-{step:08d}.pt"


def last_checkpoint(workdir: Path) -> Path | None:
    """The checkpoint with the highest step in ``workdir``, or None."""
    found = sorted(workdir.glob("ckpt-*.pt")) if workdir.is_dir() else []
    return found[-1] if found else None


def save_checkpoint(workdir: Path, step: int, state: dict[str, Any], *, keep_older: bool = False) -> Path:
    """Write ``state`` as the checkpoint of ``step`` atomically (a temporary file of this process + rename); then
    drop older checkpoints unless ``keep_older`` (another process may have removed them already)."""
    import torch

    path = workdir / checkpoint_name(step)
    with atomic_file(path, prefix=f"{TEMP_PREFIX}{os.getpid()}-") as handle:
        torch.save(state, handle)
    if not keep_older:
        for old in workdir.glob("ckpt-*.pt"):
            if old != path:
                old.unlink(missing_ok=True)
    return path


def remove_orphaned_temporaries(workdir: Path) -> None:
    """Delete the half-written checkpoints of writers that died (their pid is in the name and no longer runs)."""
    for temp in workdir.glob(f"{TEMP_PREFIX}*.pt") if workdir.is_dir() else []:
        pid = temp.name.removeprefix(TEMP_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            temp.unlink(missing_ok=True)


def load_checkpoint(path: Path, kind: str) -> Any:
    """The object saved in checkpoint ``path``, loaded with ``weights_only=True`` onto the CPU; a missing or
    unreadable file is a ConfigError that names ``kind`` (e.g. "RaMViD"), what the file should have been."""
    import torch

    if not path.is_file():
        raise ConfigError(f"checkpoint {path} does not exist; pass the path of a ckpt-*.pt file written by fit")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ConfigError(f"checkpoint {path} cannot be read ({type(error).__name__}: {error}); "
                          f"it is truncated or not a vadbench {kind} checkpoint") from None
