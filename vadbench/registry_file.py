"""``registry.yaml``: plugin modules to load besides the installed entry points, and per-component default
settings (e.g. where a dataset lives on this machine). "Registry" in vadbench names this file only; the
components themselves are in ``vadbench.catalog``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vadbench.errors import ConfigError

FILE_NAME = "registry.yaml"
ENVIRONMENT = "VADBENCH_REGISTRY"


def registry_file() -> Path | None:
    """The registry file in use: ``$VADBENCH_REGISTRY``, else ``./registry.yaml`` if it exists."""
    explicit = os.environ.get(ENVIRONMENT)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{ENVIRONMENT} points to {path}, which is not a file; fix the path or unset it")
        return path
    local = Path(FILE_NAME)
    return local if local.is_file() else None


def read_registry_file() -> dict[str, Any]:
    """The parsed registry file (empty when there is none)."""
    path = registry_file()
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
    """The module paths the registry file lists under ``plugins``."""
    return list(read_registry_file().get("plugins") or [])


def default_settings(kind: str, name: str) -> dict[str, Any]:
    """The registry file's ``defaults.<kind>.<name>`` settings, plus ``$VADBENCH_<NAME>_ROOT`` for datasets."""
    defaults = dict(((read_registry_file().get("defaults") or {}).get(kind) or {}).get(name) or {})
    if kind == "dataset":
        root = os.environ.get(f"VADBENCH_{name.upper().replace('-', '_')}_ROOT")
        if root:
            defaults["root"] = root
    return defaults
