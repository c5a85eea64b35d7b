"""Resolve every component's settings from their layers, and parse ``--cfg-options``.

Precedence, lowest first: the defaults a component declares < the registry file's ``defaults.<kind>.<name>`` <
``$VADBENCH_<NAME>_ROOT`` (a dataset's ``root``) < the config file < ``--cfg-options``.

``--cfg-options`` keys are namespaced by kind and name (``model.mamba-ramvid.preset``, ``scorer.wmse.tau``,
``dataset.avenue.root``, ``masker.random.p_uncond``, ``protocol.sigma``); ``kind.key`` applies to every selected
component of that kind that has the setting; an alias a component registered (the RaMViD models answer
``sampler.steps`` with their ``sampling_steps``) applies to the selected components that registered it; an
unqualified key applies to every selected component that has it. A key that no selected component has is an
error naming the valid keys.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Any, Iterable

from vadbench.catalog import KINDS, check_settings
from vadbench.errors import ConfigError
from vadbench.registry_file import default_settings

PROTOCOL = "protocol"


@dataclass(frozen=True)
class Selected:
    """One selected component (or the protocol) and its resolved settings."""

    kind: str
    name: str
    settings: dict[str, Any]


def parse_value(text: str) -> Any:
    """A YAML scalar or flow value: ``3`` -> 3, ``[32, 32]`` -> list, ``true`` -> True, ``ddim`` -> "ddim"; a
    number in exponent form is a float as in Python (``5e-4``; YAML 1.1 would read it as a string), also inside
    a list; a quoted value stays a string (``"5e-4"``)."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if text.strip()[:1] in ("'", '"') else _exponent_floats(value)


def _exponent_floats(value: Any) -> Any:
    if isinstance(value, list):
        return [_exponent_floats(item) for item in value]
    if isinstance(value, dict):
        return {key: _exponent_floats(item) for key, item in value.items()}
    if isinstance(value, str) and _EXPONENT.fullmatch(value):
        return float(value)
    return value


_EXPONENT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def parse_cfg_options(options: Iterable[str]) -> list[tuple[str, Any]]:
    """``["a.b=1", "preset=tiny"]`` -> ``[("a.b", 1), ("preset", "tiny")]``; a malformed item is an error."""
    parsed = []
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--cfg-options item '{option}' is not key=value (e.g. model.interp.mode=linear)")
        parsed.append((key.strip(), parse_value(value.strip())))
    return parsed


def resolve(selection: dict[str, list[str]], config: dict[str, Any] | None = None,
            cfg_options: Iterable[tuple[str, Any]] = (), protocol_defaults: dict[str, Any] | None = None,
            ) -> dict[tuple[str, str], Selected]:
    """Resolved settings of every selected component, keyed by (kind, name), plus ("protocol", "protocol").

    ``selection`` maps a kind to its selected names; ``config`` holds the config file's ``model``, ``masker``,
    ``scorer``, ``dataset`` sections (``{name: {setting: value}}``) and ``protocol`` section.
    """
    from vadbench.plugin_host import catalog

    config = config or {}
    resolved: dict[tuple[str, str], Selected] = {}
    aliases: dict[str, list[tuple[Selected, str]]] = {}
    for kind, names in selection.items():
        for name in names:
            entry = catalog(kind).get(name)
            layers = [entry.settings, default_settings(kind, name), (config.get(kind) or {}).get(name) or {}]
            resolved[(kind, name)] = Selected(kind, name, _merge(kind, name, entry.settings, layers))
            for alias, setting in entry.aliases.items():
                aliases.setdefault(alias, []).append((resolved[(kind, name)], setting))
    if protocol_defaults is not None:
        layers = [protocol_defaults, config.get(PROTOCOL) or {}]
        resolved[(PROTOCOL, PROTOCOL)] = Selected(PROTOCOL, PROTOCOL, _merge(PROTOCOL, PROTOCOL, protocol_defaults,
                                                                             layers))
    for key, value in cfg_options:
        if key in aliases:
            for target, setting in aliases[key]:
                target.settings[setting] = value
        else:
            _apply_option(resolved, key, value)
    return resolved


def _merge(kind: str, name: str, known: dict[str, Any], layers: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for layer in layers:
        check_settings(kind, name, layer, known)
        merged.update(layer)
    return merged


def _apply_option(resolved: dict[tuple[str, str], Selected], key: str, value: Any) -> None:
    parts = key.split(".")
    kind = parts[0]
    if kind in KINDS and len(parts) >= 3 and (kind, parts[1]) in resolved:
        targets, setting = [resolved[(kind, parts[1])]], ".".join(parts[2:])
    elif kind in KINDS and len(parts) >= 3 and parts[1] not in {s.name for s in resolved.values() if s.kind == kind}:
        selected = sorted(s.name for s in resolved.values() if s.kind == kind)
        raise ConfigError(f"--cfg-options {key}: {kind} '{parts[1]}' is not selected in this run "
                          f"(selected {kind}s: {', '.join(selected) or '(none)'})")
    elif kind in (*KINDS, PROTOCOL) and len(parts) >= 2:
        targets, setting = [s for s in resolved.values() if s.kind == kind], ".".join(parts[1:])
    else:
        targets, setting = list(resolved.values()), key
    having = [target for target in targets if setting in target.settings]
    if not having:
        valid = sorted({f"{t.kind}.{t.name}.{k}" if t.kind != PROTOCOL else f"protocol.{k}"
                        for t in targets for k in t.settings})
        raise ConfigError(f"--cfg-options {key}: no selected component has the setting '{setting}'; "
                          f"valid keys: {', '.join(valid) or '(none)'}")
    for target in having:
        target.settings[setting] = value


def build_component(kind: str, name: str, cfg_options: Iterable[str] = (), **overrides: Any) -> Any:
    """Build one component with its layered settings, ``--cfg-options`` items and explicit ``overrides``."""
    options = [*parse_cfg_options(cfg_options), *overrides.items()]
    selected = resolve({kind: [name]}, cfg_options=options)[(kind, name)]
    from vadbench.plugin_host import catalog

    return catalog(kind).get(name).build(**selected.settings)
