"""Run config files: mmengine ``Config`` files with ``_base_`` inheritance, a path or the name of one shipped in
``configs/`` (installed as the ``vadbench_configs`` package).

A config file may hold these sections (all optional)::

    run = dict(models=["interp"], maskers=["selective"], scorers=["mse"], datasets=["synthetic"], seeds=[0],
               sample_seeds=[0], sigmas=[3.0])
    model = {"attention-ramvid": dict(preset="tiny")}      # {name: {setting: value}}; likewise masker, scorer, dataset
    protocol = dict(sigma=3.0)
    executor = dict(name="slurm", slurm=dict(partition="gpu", timeout_min=240))  # where stages run (docs/scale.md)

Names that start with an underscore are the file's own helpers (e.g. a settings dict shared by two models).
Command-line options override ``run``; ``--cfg-options`` override everything. mmengine's ``Config`` imports torch,
so this module is only imported by commands that run jobs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vadbench.errors import ConfigError

SECTIONS = ("run", "model", "masker", "scorer", "dataset", "protocol", "executor")
RUN_KEYS = ("models", "maskers", "scorers", "datasets", "seeds", "sample_seeds", "sigmas")


def shipped_configs() -> dict[str, Path]:
    """The configs installed with vadbench (the checkout's ``configs/``), by name: ``demo``, ``synthetic32``..."""
    import vadbench_configs

    folder = Path(vadbench_configs.__file__).parent
    return {path.stem: path for path in sorted(folder.glob("*.py")) if not path.name.startswith("_")}


def find_config(given: Path) -> Path:
    """``given`` if it is a file, else the shipped config of that name (``demo`` or ``demo.py``); an error lists
    the shipped ones."""
    if given.is_file():
        return given
    shipped = shipped_configs()
    if given.parent == Path(".") and given.stem in shipped and given.suffix in ("", ".py"):
        return shipped[given.stem]
    raise ConfigError(f"--config {given}: no such file, and vadbench ships no config of that name; shipped: "
                      f"{', '.join(shipped)} (e.g. --config demo), or give a path to your own")


def load_config(path: Path) -> dict[str, Any]:
    """The config file's sections as plain dicts (``path`` a file, or the name of a shipped config); unknown sections
    or run keys are errors naming the valid ones."""
    from mmengine.config import Config

    path = find_config(path)
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
