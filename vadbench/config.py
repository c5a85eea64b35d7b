"""Run config files: mmengine ``Config`` files under ``configs/`` with ``_base_`` inheritance.

A config file may hold these sections (all optional)::

    run = dict(models=["interp"], maskers=["selective"], scorers=["mse"], datasets=["synthetic"], seeds=[0],
               sample_seeds=[0], sigmas=[3.0])
    model = {"attention-ramvid": dict(preset="tiny")}      # {name: {setting: value}}; likewise masker, scorer, dataset
    protocol = dict(sigma=3.0)

Names that start with an underscore are the file's own helpers (e.g. a settings dict shared by two models).
Command-line options override ``run``; ``--cfg-options`` override everything. mmengine's ``Config`` imports torch,
so this module is only imported by commands that run jobs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vadbench.errors import ConfigError

SECTIONS = ("run", "model", "masker", "scorer", "dataset", "protocol")
RUN_KEYS = ("models", "maskers", "scorers", "datasets", "seeds", "sample_seeds", "sigmas")


def load_config(path: Path) -> dict[str, Any]:
    """The config file's sections as plain dicts; unknown sections or run keys are errors naming the valid ones."""
    from mmengine.config import Config

    if not path.is_file():
        raise ConfigError(f"--config {path}: no such file (configs live under configs/, e.g. configs/demo.py)")
    try:
        data = Config.fromfile(str(path)).to_dict()
    except Exception as error:
        raise ConfigError(f"--config {path} could not be read: {error}") from None
    data = {key: value for key, value in data.items() if not key.startswith("_")}  # the file's own helpers
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {', '.join(unknown)}; valid sections: {', '.join(SECTIONS)}")
    bad_run = sorted(set(data.get("run", {})) - set(RUN_KEYS))
    if bad_run:
        raise ConfigError(f"{path}: unknown run key(s) {', '.join(bad_run)}; valid: {', '.join(RUN_KEYS)}")
    return data
