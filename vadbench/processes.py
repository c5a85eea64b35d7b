"""Whether a process still runs: how stale runs and orphaned temporary files are told from live ones."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """Whether a process with this pid runs on this machine (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
