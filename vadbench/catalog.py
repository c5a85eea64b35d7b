"""The catalog of components of one kind (datasets, models, maskers or scorers), filled by the plugins.

A plugin registers a component by name and a *target*: a ``"module:attribute"`` string, imported only when the
component is first built or its settings are first read (so listing plugins never imports torch), or the
factory itself. A component's settings and their defaults are declared in one place, its factory:
``declared_settings`` reads them (see its docstring). ``Entry.build`` is the one way every component is built.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterable

from vadbench.errors import ConfigError, NameClashError, UnknownComponentError

KINDS = ("dataset", "model", "masker", "scorer")


def declared_settings(factory: Callable[..., Any]) -> dict[str, Any]:
    """The settings of a component and their defaults, as JSON values.

    A factory that declares ``settings_type`` (a dataclass whose fields all have defaults) takes exactly those
    fields; any other factory takes its keyword parameters, each of which must have a default. Tuples become
    lists, the form a config file or ``--cfg-options`` writes, so the defaults hash like the values users give.
    """
    settings_type = getattr(factory, "settings_type", None)
    if settings_type is not None:
        defaults = {}
        for item in dataclasses.fields(settings_type):
            if item.default is not dataclasses.MISSING:
                defaults[item.name] = item.default
            elif item.default_factory is not dataclasses.MISSING:
                defaults[item.name] = item.default_factory()
            else:
                raise ConfigError(f"{_qualified(factory)}: setting '{item.name}' of {settings_type.__name__} has no "
                                  "default; every setting needs one")
        return {name: _as_json(value) for name, value in defaults.items()}
    defaults = {}
    for parameter in inspect.signature(factory).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.default is parameter.empty:
            raise ConfigError(f"{_qualified(factory)}: parameter '{parameter.name}' has no default; every setting "
                              "of a component needs one (or declare them in a settings_type dataclass)")
        defaults[parameter.name] = _as_json(parameter.default)
    return defaults


def check_settings(kind: str, name: str, given: Iterable[str], known: Iterable[str]) -> None:
    """A ConfigError naming every setting in ``given`` that ``kind`` ``name`` lacks, and the valid ones."""
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ConfigError(f"{kind} '{name}' has no setting {', '.join(map(repr, unknown))}; "
                          f"valid settings: {', '.join(sorted(known)) or '(none)'}")


def _as_json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    return value


def _qualified(factory: Callable[..., Any]) -> str:
    return f"{getattr(factory, '__module__', '?')}:{getattr(factory, '__qualname__', factory)}"


@dataclass(frozen=True)
class Entry:
    """One registered component: its name, what builds it, who registered it, the ``--cfg-options`` aliases it
    answers to (``{"sampler.steps": "sampling_steps"}``: a kind-wide name for one of its settings) and, for a model,
    the published row it reproduces (``reported_as``: the model name of a ``reported`` job in the store, e.g.
    ``"FFP (CVPR'18)"``), which ``vadbench report`` sets beside the model's measured rows."""

    kind: str
    name: str
    target: str | Callable[..., Any]
    description: str = ""
    plugin: str = ""
    aliases: dict[str, str] = field(default_factory=dict)
    reported_as: str | None = None

    def __post_init__(self) -> None:
        if self.reported_as is None:
            return
        if self.kind != "model":
            raise ConfigError(f"{self.kind} '{self.name}' (plugin {self.plugin}): reported_as={self.reported_as!r} "
                              "applies to models only (a published row is a model's); remove it")
        if not isinstance(self.reported_as, str) or not self.reported_as.strip():
            raise ConfigError(f"model '{self.name}' (plugin {self.plugin}): reported_as={self.reported_as!r} must "
                              "be the model name of a reported row, e.g. reported_as=\"FFP (CVPR'18)\" (`vadbench "
                              "report` lists them)")

    @cached_property
    def factory(self) -> Callable[..., Any]:
        """The callable that builds the component, imported from ``target`` on first use."""
        if not isinstance(self.target, str):
            return self.target
        module_name, _, attribute = self.target.partition(":")
        try:
            return getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as error:
            raise ConfigError(f"{self.kind} '{self.name}' (plugin {self.plugin}): cannot import {self.target}: "
                              f"{type(error).__name__}: {error}; reinstall the plugin or fix its registration"
                              ) from None

    @cached_property
    def settings(self) -> dict[str, Any]:
        """The component's settings and their defaults (``declared_settings`` of its factory)."""
        return declared_settings(self.factory)

    def build(self, **settings: Any) -> Any:
        """The component, with its defaults updated by ``settings`` (every key must be one of its settings)."""
        check_settings(self.kind, self.name, settings, self.settings)
        return self.factory(**{**self.settings, **settings})


class Catalog:
    """The components of one kind, by name."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def add_all(self, entries: list[Entry]) -> None:
        """Add one plugin's entries, all or none: a name already taken is a NameClashError naming both plugins."""
        seen: dict[str, Entry] = {}
        for entry in entries:
            other = self._entries.get(entry.name) or seen.get(entry.name)
            if other is not None:
                raise NameClashError(
                    f"{self.kind} '{entry.name}' is registered twice: by plugin '{other.plugin}' and by plugin "
                    f"'{entry.plugin}'; uninstall one of them or rename its {self.kind}"
                )
            seen[entry.name] = entry
        self._entries.update(seen)

    def get(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._entries, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UnknownComponentError(
                f"unknown {self.kind} '{name}'{hint}; valid {self.kind}s: {', '.join(self.names()) or '(none)'}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        return [self._entries[name] for name in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._entries
