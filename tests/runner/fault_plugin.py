"""A test plugin: ``crash-once``, the interpolation floor whose process kills itself (SIGKILL, as the OOM killer or
a lost node would) the first time it reconstructs, while a marker file does not exist yet. It stands for a worker
that dies mid-stage."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from vadbench import hookimpl
from vadbench_plugins.models.interp import TemporalInterpolation


class CrashOnce(TemporalInterpolation):
    name = "crash-once"

    def __init__(self, marker: str = "", mode: str = "linear") -> None:
        super().__init__(mode=mode)
        self.marker = Path(marker)

    def reconstruct(self, clips, anchors):
        if self.marker.name and not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return super().reconstruct(clips, anchors)


@hookimpl
def register_models(register):
    register("crash-once", CrashOnce, description="interp, but the first reconstruction kills its process")
