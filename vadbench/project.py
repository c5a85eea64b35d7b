"""The project file ``vadbench.yaml``: plugin modules to load besides the installed ones, and per-component
default settings (e.g. where a dataset lives on this machine)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vadbench.errors import ConfigError

FILE_NAME = "vadbench.yaml"
ENVIRONMENT = "VADBENCH_PROJECT"


def project_file() -> Path | None:
    """The project file in use: ``$VADBENCH_PROJECT``, else ``./vadbench.yaml`` if it exists."""
    explicit = os.environ.get(ENVIRONMENT)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{ENVIRONMENT} points to {path}, which is not a file; fix the path or unset it")
        return path
    local = Path(FILE_NAME)
    return local if local.is_file() else None


def read_project_file() -> dict[str, Any]:
    """The parsed project file (empty when there is none)."""
    path = project_file()
    if path is None:
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, dict) or set(data) - {"plugins", "defaults"}:
        raise ConfigError(f"{path} must be a mapping with 'plugins' and/or 'defaults' keys")
    return data


def plugin_modules() -> list[str]:
    """The module paths the project file lists under ``plugins``."""
    return list(read_project_file().get("plugins") or [])


def default_settings(kind: str, name: str) -> dict[str, Any]:
    """The project file's ``defaults.<kind>.<name>`` settings, plus ``$VADBENCH_<NAME>_ROOT`` for datasets."""
    defaults = dict(((read_project_file().get("defaults") or {}).get(kind) or {}).get(name) or {})
    if kind == "dataset":
        root = os.environ.get(f"VADBENCH_{name.upper().replace('-', '_')}_ROOT")
        if root:
            defaults["root"] = root
    return defaults
