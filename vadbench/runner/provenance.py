"""Where and with what a run ran: versions, git commit, host, device, peak memory."""

from __future__ import annotations

import platform
import resource
import socket
import subprocess
import sys
from typing import Any

import vadbench
from vadbench import plugin_host


def environment(device: str) -> dict[str, Any]:
    """Versions of vadbench, python, torch and every plugin distribution; git commit; host; device."""
    import torch

    distributions = {info.distribution: info.version for info in plugin_host.host().plugins
                     if info.distribution and info.version}
    device_name = torch.cuda.get_device_name(device) if device.startswith("cuda") else platform.processor() or "cpu"
    return {
        "versions": {"vadbench": vadbench.__version__, "python": platform.python_version(), "torch": torch.__version__,
                     "plugins": distributions},
        "git_commit": git_commit(),
        "device": f"{device} ({device_name})",
        "host": socket.gethostname(),
    }


def git_commit() -> str | None:
    """HEAD of the checkout vadbench runs from, with ``+dirty`` when tracked files (other than the results
    databases runs write to) have uncommitted changes; None outside git."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)*.db")
        return commit + ("+dirty" if changed else "")
    except (OSError, subprocess.SubprocessError):
        return None


def reset_peak_memory(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats(device)


def peak_memory(device: str) -> int:
    """Peak bytes: CUDA memory allocated since the last reset on a GPU, else the process's peak RSS."""
    if device.startswith("cuda"):
        import torch

        return int(torch.cuda.max_memory_allocated(device))
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
